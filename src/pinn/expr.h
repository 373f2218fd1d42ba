/* expr.h — the expression language of problem files (internal).
 *
 * Expressions are text like "u_t + u*u_x - nu*u_xx" or "-sin(pi*x)". They are
 * parsed once into an AST and then either compiled onto the tape (one node per
 * operation, constants folded) or evaluated in double precision at points.
 *
 * Grammar (lowest to highest precedence):
 *   or:      and ('||' and)*
 *   and:     cmp ('&&' cmp)*
 *   cmp:     sum (('=='|'!='|'<'|'<='|'>'|'>=') sum)?
 *   sum:     prod (('+'|'-') prod)*
 *   prod:    unary (('*'|'/') unary)*
 *   unary:   ('-'|'+') unary | power
 *   power:   atom ('^' unary)?             right-associative; -x^2 = -(x^2)
 *   atom:    number | identifier | identifier '(' or ')' | '(' or ')'
 * Numbers: 1, 1.5, .5, 1e-3, 2.5E+4. Functions: sin cos tan exp log tanh sqrt abs
 * sinh cosh. Built-in constant: pi (and e is NOT built in; write exp(1)).
 * Comparisons and && || give 1 or 0 and exist for `where` clauses; they cannot be
 * compiled onto the tape.
 *
 * Identifiers resolve in this order: a domain variable, a constant, an unknown, a
 * field, pi; otherwise a name "F_D" where F is a field and D a concatenation of
 * domain-variable names (longest match first) is the derivative of F, e.g. u_xxt
 * is ∂³u/∂x²∂t. Anything else is an error naming the symbol and its column. */
#ifndef NT_PINN_EXPR_H
#define NT_PINN_EXPR_H

#include "noether.h"

#define NT_EXPR_MAX_VARS 8      /* = NT_JET_MAX_DIM */
#define NT_EXPR_MAX_FIELDS 8
#define NT_EXPR_MAX_CONSTS 64
#define NT_EXPR_MAX_UNKNOWNS 16
#define NT_EXPR_NAME 32

/* The names an expression may use. Index order is meaningful: coordinate d is
 * column d of the points, field f is output f of the network. */
typedef struct nt_expr_env {
    int n_vars;
    char vars[NT_EXPR_MAX_VARS][NT_EXPR_NAME];
    int n_fields;
    char fields[NT_EXPR_MAX_FIELDS][NT_EXPR_NAME];
    int n_consts;
    char consts[NT_EXPR_MAX_CONSTS][NT_EXPR_NAME];
    double const_val[NT_EXPR_MAX_CONSTS];
    int n_unknowns;
    char unknowns[NT_EXPR_MAX_UNKNOWNS][NT_EXPR_NAME];
} nt_expr_env;

typedef enum nt_expr_kind {
    NT_EX_NUM,      /* value */
    NT_EX_VAR,      /* coordinate `index` */
    NT_EX_UNKNOWN,  /* unknown coefficient `index` */
    NT_EX_FIELD,    /* field `index`, derivative multi-index `counts` (all 0 = value) */
    NT_EX_NEG,      /* -a */
    NT_EX_ADD, NT_EX_SUB, NT_EX_MUL, NT_EX_DIV, NT_EX_POW,
    NT_EX_FUNC,     /* func(a), `func` one of nt_expr_func */
    NT_EX_EQ, NT_EX_NE, NT_EX_LT, NT_EX_LE, NT_EX_GT, NT_EX_GE, NT_EX_AND, NT_EX_OR
} nt_expr_kind;

typedef enum nt_expr_func {
    NT_FN_SIN, NT_FN_COS, NT_FN_TAN, NT_FN_EXP, NT_FN_LOG, NT_FN_TANH, NT_FN_SQRT,
    NT_FN_ABS, NT_FN_SINH, NT_FN_COSH
} nt_expr_func;

typedef struct nt_expr_node {
    nt_expr_kind kind;
    int col;                 /* 1-based column in the source text */
    double value;            /* NT_EX_NUM (constants and pi are folded to NUM) */
    int index;               /* VAR / UNKNOWN / FIELD */
    int counts[NT_EXPR_MAX_VARS]; /* FIELD: derivative orders per domain variable */
    nt_expr_func func;
    struct nt_expr_node *a, *b;
} nt_expr_node;

typedef struct nt_expr {
    nt_expr_node *root;
    nt_expr_node *pool;      /* all nodes, one allocation */
    int n_nodes;
    char *text;              /* copy of the source */
    int n_vars, n_fields;    /* of the env it was parsed against */
} nt_expr;

/* Parses `text` against env. On error returns NT_ERR_FORMAT, sets nt_error_msg to
 * a message WITHOUT location prefix (e.g. "unknown symbol 'v'") and *err_col to the
 * 1-based column inside text where the problem is (0 if unknown). The caller adds
 * "file:line:col: ". */
nt_status nt_expr_parse(nt_expr *e, const char *text, const nt_expr_env *env, int *err_col);
void nt_expr_free(nt_expr *e);

/* Flags of what an expression uses. */
enum { NT_EXPR_USES_VAR = 1, NT_EXPR_USES_UNKNOWN = 2, NT_EXPR_USES_FIELD = 4,
       NT_EXPR_USES_LOGIC = 8 /* comparisons or && || */ };
int nt_expr_uses(const nt_expr *e);

/* Calls fn(user, field, counts) once per FIELD node (duplicates included), so the
 * caller can add the derivative streams the expression needs to a jet spec. */
void nt_expr_visit_fields(const nt_expr *e, void (*fn)(void *user, int field, const int *counts),
                          void *user);

/* Tensors an expression is compiled against, all for the same n points. */
typedef struct nt_expr_bind {
    nt_dtype dtype;
    nt_tensor *coord[NT_EXPR_MAX_VARS];     /* (n × 1) each, NULL if unused */
    nt_tensor *unknown[NT_EXPR_MAX_UNKNOWNS];/* size-1 tensors (trainable), broadcast */
    /* returns the (n × 1) tensor of ∂^counts field, or NULL if not available */
    nt_tensor *(*field)(void *user, int field, const int *counts);
    void *user;
    int64_t n;                               /* number of points */
} nt_expr_bind;

/* Records the expression on the tape; returns an (n × 1) tensor (a subtree without
 * coordinates, fields or unknowns is folded to a number and applied with nt_scale;
 * a wholly constant expression gives an (n × 1) tensor filled with its value).
 * NULL with nt_error_msg set on failure (logic operators, missing field). */
nt_tensor *nt_expr_compile(const nt_expr *e, nt_tape *t, const nt_expr_bind *b);
/* Notes on compile: the result may be a bound tensor itself (for "u" or "x"); the
 * field callback is called once per FIELD node; abs(a) is recorded as a·sign(a)
 * (gradient sign(a), 0 at a = 0); a^b with a non-constant b is exp(b·log a), so it
 * needs a > 0 (nt_expr_eval uses pow and agrees wherever that is defined). */

/* Evaluates in double at n points: coords is n × e->n_vars row-major (may be NULL if no
 * VAR is used), unknowns holds the current unknown values (may be NULL if none are
 * used), fields is n × e->n_fields values (may be NULL; a FIELD node with nonzero
 * counts, or any FIELD node when fields is NULL, is an error). Returns NT_ERR_ARG
 * with a message on such an error. */
nt_status nt_expr_eval(const nt_expr *e, int64_t n, const double *coords,
                       const double *unknowns, const double *fields, double *out);

/* Field values for nt_expr_eval_fn: the value of field `field` differentiated
 * counts[v] times along each variable v, at the point coords (one row). */
typedef double (*nt_expr_field_fn)(void *user, int field, const int *counts, const double *coords);

/* As nt_expr_eval, with fields and their derivatives supplied by `field` (e.g. an
 * exact solution differentiated numerically, to check a problem's PDE against its
 * exact solution). coords must be given when the expression uses variables or
 * fields. */
nt_status nt_expr_eval_fn(const nt_expr *e, int64_t n, const double *coords, const double *unknowns,
                          nt_expr_field_fn field, void *user, double *out);

/* ------------------------------------------------------------------------------ */
/* Jets of expressions (hard constraints, src/pinn/hard.c)                          */
/*
 * nt_expr_compile_jet evaluates an expression in which every value is a stacked jet
 * (S·n × 1, the streams of an nt_jet_spec; S = 1 and values only when spec is NULL):
 *   - a coordinate (a VAR node, including pseudo-variables the caller binds, such as
 *     `dist`) is a constant jet given in double: S·n values, stream-major;
 *   - a number is a jet with the value stream only;
 *   - a FIELD node (value only: counts all zero) is a jet on the tape, e.g. a column
 *     of the network's output jet, through which gradients flow.
 * Subexpressions without fields are computed in double as constant jets ("cjets",
 * Faà di Bruno with the spec's term tables, Leibniz with its pairs) and enter the
 * tape as leaves; subexpressions with fields use nt_jet_mul, nt_jet_act (sin, cos,
 * tanh, exp; sinh and cosh through exp), nt_scale, nt_add/nt_sub and nt_bias (a
 * number added to the value stream only).
 *
 * What can be differentiated (nt_expr_check_jet says so at load time):
 *   - without fields: everything but abs and comparisons (sin cos tan exp log tanh
 *     sqrt sinh cosh, a/b, a^b; log, sqrt and real powers need a positive argument
 *     at the points, a/b a nonzero b);
 *   - with fields: + − ×, sin cos tanh exp sinh cosh of them, division BY a
 *     field-free expression, a^k for a constant integer k >= 0, c^a for a field-free
 *     c > 0; not: field derivatives (u_x), division by a field, tan log sqrt abs of
 *     a field, non-integer or negative powers of a field, unknowns, comparisons. */

/* NT_OK, or NT_ERR_FORMAT with a message (no location) and *err_col set to the
 * 1-based column of the offending node. */
nt_status nt_expr_check_jet(const nt_expr *e, int *err_col);

typedef struct nt_expr_jet_bind {
    nt_dtype dtype;                          /* of the field jets and the result */
    const nt_jet_spec *spec;                 /* NULL: values only (S = 1) */
    int64_t n;                               /* points */
    const double *coord[NT_EXPR_MAX_VARS];   /* S·n doubles per variable (NULL if unused) */
    nt_tensor *field[NT_EXPR_MAX_FIELDS];    /* (S·n × 1) tape jets (NULL if unavailable) */
} nt_expr_jet_bind;

/* Records the expression on the tape; returns an (S·n × 1) jet, or NULL with
 * nt_error_msg set (out of memory, an unbound symbol, or an expression that
 * nt_expr_check_jet rejects). Scratch for the constant jets comes from the tape's
 * arena (freed by nt_tape_reset). */
nt_tensor *nt_expr_compile_jet(const nt_expr *e, nt_tape *t, const nt_expr_jet_bind *b);

/* Constant jets in double: S·n values, stream-major (S = s->n_streams, or 1 and
 * values only when s is NULL). out must not alias an input. */
void nt_cjet_mul(const nt_jet_spec *s, int64_t n, const double *a, const double *b, double *out);
/* out = f(a) given d[k·n + i] = f⁽ᵏ⁾(a_i) (a_i the value stream) for k = 0..K,
 * K = s->max_order (0 without s): Faà di Bruno with the spec's terms. */
void nt_cjet_compose(const nt_jet_spec *s, int64_t n, const double *a, const double *d, double *out);
/* The derivative table of a^p for k = 0..K: p(p−1)…(p−k+1)·a^(p−k). */
void nt_cjet_derivs_pow(double p, int K, const double *a, int64_t n, double *d);

#endif
