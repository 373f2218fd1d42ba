/* expr.c — the expression language of problem files: a tokenizer, a recursive
 * descent parser into a node pool, a compiler onto the tape and a double evaluator.
 *
 * Choices worth knowing:
 *   - Every token makes at most one node, so the pool is sized by counting tokens
 *     before parsing and never moves (node pointers stay valid).
 *   - Compile folds every subtree without coordinates, fields or unknowns to a
 *     double (computed with the same functions as nt_expr_eval) and applies it to a
 *     tensor with nt_scale.
 *   - x^p with constant p: p = 0 gives 1, p = 1 gives x, p = 2, 3, 4 are products
 *     (exact for negative x, cheap gradient), other p use nt_pow (C pow: integer p
 *     is correct for negative x, non-integer p gives NaN there as it should).
 *     a^b with non-constant b is exp(b·log a), defined for a > 0 only.
 *   - abs(a) is a·s with s = sign(a) recorded as a constant leaf: the value is
 *     exact, the gradient is sign(a) and 0 (a subgradient, not NaN) at a = 0.
 *   - tan = sin/cos; sinh, cosh = (eˣ ∓ e⁻ˣ)/2; sqrt = pow(·, 0.5). */
#include "pinn/expr.h"

#include "core/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX_DEPTH 200  /* nesting of parentheses, unary signs and tree height */

/* ------------------------------------------------------------------------------ */
/* Tokens                                                                           */

typedef enum tok_kind {
    TK_EOF = 0, TK_NUM, TK_IDENT, TK_LPAR, TK_RPAR,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_CARET,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_AND, TK_OR
} tok_kind;

typedef struct tok {
    tok_kind kind;
    int pos;   /* byte offset (0-based) */
    int len;
    double num;
} tok;

typedef struct parser {
    const char *text;
    const nt_expr_env *env;
    tok *toks;
    int n_toks;
    int cur;
    nt_expr_node *pool;
    int n_nodes, cap_nodes;
    int depth;
    int failed;
    int err_col;
} parser;

static const char *fn_names[] = {"sin", "cos", "tan", "exp", "log", "tanh", "sqrt",
                                 "abs", "sinh", "cosh"};
#define N_FUNCS ((int)(sizeof fn_names / sizeof fn_names[0]))

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void perr(parser *p, int pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void perr(parser *p, int pos, const char *fmt, ...)
{
    if (p->failed) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nt_set_error(NT_ERR_FORMAT, "%s", buf);
    p->failed = 1;
    p->err_col = pos + 1;
}

/* Splits the text into tokens (TK_EOF last). Returns 0 and reports on a lexical error. */
static int tokenize(parser *p)
{
    const char *s = p->text;
    int n = (int)strlen(s);
    p->toks = malloc(((size_t)n + 1) * sizeof(tok));
    if (!p->toks) {
        nt_set_error(NT_ERR_NOMEM, "out of memory parsing an expression");
        p->failed = 1;
        return 0;
    }
    int i = 0, k = 0;
    while (1) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        tok *t = &p->toks[k];
        t->pos = i;
        t->num = 0;
        if (i >= n) {
            t->kind = TK_EOF;
            t->len = 0;
            k++;
            break;
        }
        char c = s[i];
        int j = i;
        if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1]))) {
            while (j < n && is_digit(s[j])) j++;
            if (j < n && s[j] == '.') {
                j++;
                while (j < n && is_digit(s[j])) j++;
            }
            if (j < n && (s[j] == 'e' || s[j] == 'E')) {
                int m = j + 1;
                if (m < n && (s[m] == '+' || s[m] == '-')) m++;
                if (m < n && is_digit(s[m])) {
                    while (m < n && is_digit(s[m])) m++;
                    j = m;
                } else {
                    int e = m;
                    while (e < n && (is_alpha(s[e]) || is_digit(s[e]) || s[e] == '.')) e++;
                    perr(p, i, "malformed number '%.*s': the exponent needs digits", e - i, s + i);
                    return 0;
                }
            }
            if (j < n && s[j] == '.') {
                int e = j;
                while (e < n && (is_alpha(s[e]) || is_digit(s[e]) || s[e] == '.')) e++;
                perr(p, i, "malformed number '%.*s'", e - i, s + i);
                return 0;
            }
            char buf[128];
            int len = j - i;
            if (len >= (int)sizeof buf) {
                perr(p, i, "number '%.*s...' is too long", 20, s + i);
                return 0;
            }
            memcpy(buf, s + i, (size_t)len);
            buf[len] = 0;
            t->num = strtod(buf, NULL);
            if (!isfinite(t->num)) {
                perr(p, i, "number '%s' is out of range", buf);
                return 0;
            }
            t->kind = TK_NUM;
        } else if (is_alpha(c)) {
            while (j < n && (is_alpha(s[j]) || is_digit(s[j]))) j++;
            t->kind = TK_IDENT;
        } else {
            char d = i + 1 < n ? s[i + 1] : 0;
            j = i + 1;
            switch (c) {
            case '(': t->kind = TK_LPAR; break;
            case ')': t->kind = TK_RPAR; break;
            case '+': t->kind = TK_PLUS; break;
            case '-': t->kind = TK_MINUS; break;
            case '*':
                if (d == '*') {
                    perr(p, i, "'**' is not an operator; write '^' for a power");
                    return 0;
                }
                t->kind = TK_STAR;
                break;
            case '/': t->kind = TK_SLASH; break;
            case '^': t->kind = TK_CARET; break;
            case '<':
                if (d == '=') j++;
                t->kind = d == '=' ? TK_LE : TK_LT;
                break;
            case '>':
                if (d == '=') j++;
                t->kind = d == '=' ? TK_GE : TK_GT;
                break;
            case '=':
                if (d != '=') {
                    perr(p, i, "unexpected '='; write '==' for a comparison");
                    return 0;
                }
                j++;
                t->kind = TK_EQ;
                break;
            case '!':
                if (d != '=') {
                    perr(p, i, "unexpected '!'; only '!=' is an operator");
                    return 0;
                }
                j++;
                t->kind = TK_NE;
                break;
            case '&':
                if (d != '&') {
                    perr(p, i, "unexpected '&'; write '&&' for a logical and");
                    return 0;
                }
                j++;
                t->kind = TK_AND;
                break;
            case '|':
                if (d != '|') {
                    perr(p, i, "unexpected '|'; write '||' for a logical or");
                    return 0;
                }
                j++;
                t->kind = TK_OR;
                break;
            default:
                if ((unsigned char)c >= 0x80 || c < 0x20)
                    perr(p, i, "unexpected character (byte 0x%02x)", (unsigned)(unsigned char)c);
                else
                    perr(p, i, "unexpected character '%c'", c);
                return 0;
            }
        }
        t->len = j - i;
        i = j;
        k++;
    }
    p->n_toks = k;
    return 1;
}

/* ------------------------------------------------------------------------------ */
/* Parser                                                                           */

static tok *peek(parser *p) { return &p->toks[p->cur]; }

static nt_expr_node *new_node(parser *p, nt_expr_kind kind, int pos)
{
    NT_ASSERT(p->n_nodes < p->cap_nodes, "expression node pool overflow");
    nt_expr_node *x = &p->pool[p->n_nodes++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->col = pos + 1;
    return x;
}

/* Describes a token for a message: 'text' or "end of expression". */
static void tok_desc(parser *p, const tok *t, char *buf, size_t cap)
{
    if (t->kind == TK_EOF) snprintf(buf, cap, "end of expression");
    else snprintf(buf, cap, "'%.*s'", t->len > 40 ? 40 : t->len, p->text + t->pos);
}

static int starts_operand(tok_kind k) { return k == TK_NUM || k == TK_IDENT || k == TK_LPAR; }

static nt_expr_node *parse_or(parser *p);
static nt_expr_node *parse_unary(parser *p);

static int name_eq(const char *name, const char *s, int len)
{
    return (int)strlen(name) == len && strncmp(name, s, (size_t)len) == 0;
}

/* Appends ", name" entries of a list to buf, up to cap. */
static void list_names(char *buf, size_t cap, int *first, int n, const char (*names)[NT_EXPR_NAME])
{
    for (int i = 0; i < n; i++) {
        size_t l = strlen(buf);
        if (l + strlen(names[i]) + 8 >= cap) {
            if (l + 5 < cap) strcat(buf, ", ...");
            return;
        }
        if (!*first) strcat(buf, ", ");
        strcat(buf, names[i]);
        *first = 0;
    }
}

static void domain_list(const nt_expr_env *env, char *buf, size_t cap)
{
    buf[0] = 0;
    int first = 1;
    list_names(buf, cap, &first, env->n_vars, env->vars);
}

/* Whether a name is a variable, constant, unknown or field of env. */
static int env_has(const nt_expr_env *env, const char *s, int len)
{
    for (int k = 0; k < env->n_vars; k++)
        if (name_eq(env->vars[k], s, len)) return 1;
    for (int k = 0; k < env->n_consts; k++)
        if (name_eq(env->consts[k], s, len)) return 1;
    for (int k = 0; k < env->n_unknowns; k++)
        if (name_eq(env->unknowns[k], s, len)) return 1;
    for (int k = 0; k < env->n_fields; k++)
        if (name_eq(env->fields[k], s, len)) return 1;
    return 0;
}

/* Resolves an identifier that is not a function call. */
static nt_expr_node *parse_symbol(parser *p, const tok *t)
{
    const nt_expr_env *env = p->env;
    const char *s = p->text + t->pos;
    int len = t->len;
    for (int i = 0; i < env->n_vars; i++)
        if (name_eq(env->vars[i], s, len)) {
            nt_expr_node *x = new_node(p, NT_EX_VAR, t->pos);
            x->index = i;
            return x;
        }
    for (int i = 0; i < env->n_consts; i++)
        if (name_eq(env->consts[i], s, len)) {
            nt_expr_node *x = new_node(p, NT_EX_NUM, t->pos);
            x->value = env->const_val[i];
            return x;
        }
    for (int i = 0; i < env->n_unknowns; i++)
        if (name_eq(env->unknowns[i], s, len)) {
            nt_expr_node *x = new_node(p, NT_EX_UNKNOWN, t->pos);
            x->index = i;
            return x;
        }
    for (int i = 0; i < env->n_fields; i++)
        if (name_eq(env->fields[i], s, len)) {
            nt_expr_node *x = new_node(p, NT_EX_FIELD, t->pos);
            x->index = i;
            return x;
        }
    if (name_eq("pi", s, len)) {
        nt_expr_node *x = new_node(p, NT_EX_NUM, t->pos);
        x->value = NT_PI;
        return x;
    }
    /* F_D: the field with the longest name such that "F_" prefixes the symbol */
    int best = -1, best_len = -1;
    for (int f = 0; f < env->n_fields; f++) {
        int fl = (int)strlen(env->fields[f]);
        if (fl + 1 <= len && strncmp(env->fields[f], s, (size_t)fl) == 0 && s[fl] == '_' &&
            fl > best_len) {
            best = f;
            best_len = fl;
        }
    }
    if (best >= 0) {
        char dom[256];
        domain_list(env, dom, sizeof dom);
        int pos = best_len + 1;
        if (pos == len) {
            perr(p, t->pos, "'%.*s': missing derivative variables after '_' (domain: %s)", len, s,
                 dom);
            return NULL;
        }
        int counts[NT_EXPR_MAX_VARS] = {0};
        int order = 0;
        while (pos < len) {
            int hit = -1, hit_len = 0;
            for (int d = 0; d < env->n_vars; d++) {
                int vl = (int)strlen(env->vars[d]);
                if (vl > hit_len && pos + vl <= len && strncmp(env->vars[d], s + pos, (size_t)vl) == 0) {
                    hit = d;
                    hit_len = vl;
                }
            }
            if (hit < 0) {
                /* name the unmatched stretch: up to where a variable matches again */
                int end = pos + 1;
                for (; end < len; end++) {
                    int again = 0;
                    for (int d = 0; d < env->n_vars; d++) {
                        int vl = (int)strlen(env->vars[d]);
                        again |= end + vl <= len && strncmp(env->vars[d], s + end, (size_t)vl) == 0;
                    }
                    if (again) break;
                }
                perr(p, t->pos, "'%.*s': '%.*s' is not a domain variable (domain: %s)", len, s,
                     end - pos, s + pos, dom);
                return NULL;
            }
            counts[hit]++;
            order++;
            pos += hit_len;
        }
        if (order > NT_JET_MAX_ORDER) {
            perr(p, t->pos, "derivative order of '%.*s' exceeds %d", len, s, NT_JET_MAX_ORDER);
            return NULL;
        }
        nt_expr_node *x = new_node(p, NT_EX_FIELD, t->pos);
        x->index = best;
        memcpy(x->counts, counts, sizeof counts);
        return x;
    }
    char known[300] = "";
    int first = 1;
    list_names(known, sizeof known, &first, env->n_vars, env->vars);
    list_names(known, sizeof known, &first, env->n_fields, env->fields);
    list_names(known, sizeof known, &first, env->n_consts, env->consts);
    list_names(known, sizeof known, &first, env->n_unknowns, env->unknowns);
    if (name_eq("e", s, len))
        perr(p, t->pos, "unknown symbol 'e' (e is not built in; write exp(1))");
    else if (known[0])
        perr(p, t->pos, "unknown symbol '%.*s' (known: %s, pi)", len, s, known);
    else
        perr(p, t->pos, "unknown symbol '%.*s'", len, s);
    return NULL;
}

static int enter(parser *p, int pos)
{
    if (++p->depth > EXPR_MAX_DEPTH) {
        perr(p, pos, "expression nested too deeply (more than %d levels)", EXPR_MAX_DEPTH);
        return 0;
    }
    return 1;
}

/* Expects ')' closing the '(' at lpar_pos. */
static int expect_rpar(parser *p, int lpar_pos)
{
    tok *t = peek(p);
    if (t->kind == TK_RPAR) {
        p->cur++;
        return 1;
    }
    if (t->kind == TK_EOF) {
        perr(p, t->pos, "expected ')' to close '(' at column %d", lpar_pos + 1);
    } else {
        char d[64];
        tok_desc(p, t, d, sizeof d);
        perr(p, t->pos, "expected ')' to close '(' at column %d but found %s", lpar_pos + 1, d);
    }
    return 0;
}

static nt_expr_node *parse_atom(parser *p)
{
    tok *t = peek(p);
    char d[64];
    switch (t->kind) {
    case TK_NUM: {
        p->cur++;
        nt_expr_node *x = new_node(p, NT_EX_NUM, t->pos);
        x->value = t->num;
        return x;
    }
    case TK_IDENT: {
        p->cur++;
        const char *s = p->text + t->pos;
        if (peek(p)->kind == TK_LPAR) {
            int fn = -1;
            for (int i = 0; i < N_FUNCS; i++)
                if (name_eq(fn_names[i], s, t->len)) fn = i;
            if (fn < 0 && (env_has(p->env, s, t->len) || name_eq("pi", s, t->len))) {
                perr(p, t->pos, "'%.*s' is not a function; write '%.*s*(...)' for a product",
                     t->len, s, t->len, s);
                return NULL;
            }
            if (fn < 0) {
                perr(p, t->pos,
                     "unknown function '%.*s' (functions: sin cos tan exp log tanh sqrt abs sinh "
                     "cosh)",
                     t->len, s);
                return NULL;
            }
            tok *lp = peek(p);
            p->cur++;
            if (!enter(p, lp->pos)) return NULL;
            if (peek(p)->kind == TK_RPAR) {
                perr(p, peek(p)->pos, "function '%s' needs an argument", fn_names[fn]);
                return NULL;
            }
            nt_expr_node *arg = parse_or(p);
            if (!arg || !expect_rpar(p, lp->pos)) return NULL;
            p->depth--;
            nt_expr_node *x = new_node(p, NT_EX_FUNC, t->pos);
            x->func = (nt_expr_func)fn;
            x->a = arg;
            return x;
        }
        for (int i = 0; i < N_FUNCS; i++)
            if (name_eq(fn_names[i], s, t->len) && !env_has(p->env, s, t->len)) {
                perr(p, t->pos, "function '%s' needs an argument in parentheses: %s(...)",
                     fn_names[i], fn_names[i]);
                return NULL;
            }
        return parse_symbol(p, t);
    }
    case TK_LPAR: {
        p->cur++;
        if (!enter(p, t->pos)) return NULL;
        if (peek(p)->kind == TK_RPAR) {
            perr(p, peek(p)->pos, "empty parentheses");
            return NULL;
        }
        nt_expr_node *x = parse_or(p);
        if (!x || !expect_rpar(p, t->pos)) return NULL;
        p->depth--;
        return x;
    }
    case TK_EOF:
        perr(p, t->pos, "unexpected end of expression");
        return NULL;
    case TK_RPAR:
        perr(p, t->pos, "expected an operand before ')'");
        return NULL;
    default:
        tok_desc(p, t, d, sizeof d);
        perr(p, t->pos, "unexpected %s: expected a number, a name or '('", d);
        return NULL;
    }
}

static nt_expr_node *parse_power(parser *p)
{
    nt_expr_node *a = parse_atom(p);
    if (!a) return NULL;
    tok *t = peek(p);
    if (t->kind != TK_CARET) return a;
    p->cur++;
    nt_expr_node *b = parse_unary(p);
    if (!b) return NULL;
    nt_expr_node *x = new_node(p, NT_EX_POW, t->pos);
    x->a = a;
    x->b = b;
    return x;
}

static nt_expr_node *parse_unary(parser *p)
{
    tok *t = peek(p);
    if (t->kind != TK_MINUS && t->kind != TK_PLUS) return parse_power(p);
    p->cur++;
    if (!enter(p, t->pos)) return NULL;
    nt_expr_node *a = parse_unary(p);
    if (!a) return NULL;
    p->depth--;
    if (t->kind == TK_PLUS) return a;
    nt_expr_node *x = new_node(p, NT_EX_NEG, t->pos);
    x->a = a;
    return x;
}

static nt_expr_node *parse_prod(parser *p)
{
    nt_expr_node *a = parse_unary(p);
    while (a) {
        tok *t = peek(p);
        if (t->kind != TK_STAR && t->kind != TK_SLASH) break;
        p->cur++;
        nt_expr_node *b = parse_unary(p);
        if (!b) return NULL;
        nt_expr_node *x = new_node(p, t->kind == TK_STAR ? NT_EX_MUL : NT_EX_DIV, t->pos);
        x->a = a;
        x->b = b;
        a = x;
    }
    return a;
}

static nt_expr_node *parse_sum(parser *p)
{
    nt_expr_node *a = parse_prod(p);
    while (a) {
        tok *t = peek(p);
        if (t->kind != TK_PLUS && t->kind != TK_MINUS) break;
        p->cur++;
        nt_expr_node *b = parse_prod(p);
        if (!b) return NULL;
        nt_expr_node *x = new_node(p, t->kind == TK_PLUS ? NT_EX_ADD : NT_EX_SUB, t->pos);
        x->a = a;
        x->b = b;
        a = x;
    }
    return a;
}

static int cmp_kind(tok_kind k, nt_expr_kind *out)
{
    switch (k) {
    case TK_EQ: *out = NT_EX_EQ; return 1;
    case TK_NE: *out = NT_EX_NE; return 1;
    case TK_LT: *out = NT_EX_LT; return 1;
    case TK_LE: *out = NT_EX_LE; return 1;
    case TK_GT: *out = NT_EX_GT; return 1;
    case TK_GE: *out = NT_EX_GE; return 1;
    default: return 0;
    }
}

static nt_expr_node *parse_cmp(parser *p)
{
    nt_expr_node *a = parse_sum(p);
    if (!a) return NULL;
    tok *t = peek(p);
    nt_expr_kind k;
    if (!cmp_kind(t->kind, &k)) return a;
    p->cur++;
    nt_expr_node *b = parse_sum(p);
    if (!b) return NULL;
    nt_expr_kind k2;
    if (cmp_kind(peek(p)->kind, &k2)) {
        perr(p, peek(p)->pos,
             "comparisons do not chain; write 'a < b && b < c' instead of 'a < b < c'");
        return NULL;
    }
    nt_expr_node *x = new_node(p, k, t->pos);
    x->a = a;
    x->b = b;
    return x;
}

static nt_expr_node *parse_and(parser *p)
{
    nt_expr_node *a = parse_cmp(p);
    while (a && peek(p)->kind == TK_AND) {
        tok *t = peek(p);
        p->cur++;
        nt_expr_node *b = parse_cmp(p);
        if (!b) return NULL;
        nt_expr_node *x = new_node(p, NT_EX_AND, t->pos);
        x->a = a;
        x->b = b;
        a = x;
    }
    return a;
}

static nt_expr_node *parse_or(parser *p)
{
    nt_expr_node *a = parse_and(p);
    while (a && peek(p)->kind == TK_OR) {
        tok *t = peek(p);
        p->cur++;
        nt_expr_node *b = parse_and(p);
        if (!b) return NULL;
        nt_expr_node *x = new_node(p, NT_EX_OR, t->pos);
        x->a = a;
        x->b = b;
        a = x;
    }
    return a;
}

static int tree_height(const nt_expr_node *x)
{
    if (!x) return 0;
    int ha = tree_height(x->a), hb = tree_height(x->b);
    return 1 + (ha > hb ? ha : hb);
}

nt_status nt_expr_parse(nt_expr *e, const char *text, const nt_expr_env *env, int *err_col)
{
    NT_ASSERT(e && text && env, "nt_expr_parse: NULL argument");
    NT_ASSERT(env->n_vars >= 0 && env->n_vars <= NT_EXPR_MAX_VARS &&
              env->n_fields >= 0 && env->n_fields <= NT_EXPR_MAX_FIELDS &&
              env->n_consts >= 0 && env->n_consts <= NT_EXPR_MAX_CONSTS &&
              env->n_unknowns >= 0 && env->n_unknowns <= NT_EXPR_MAX_UNKNOWNS,
              "nt_expr_parse: env counts out of range");
    memset(e, 0, sizeof *e);
    if (err_col) *err_col = 0;
    parser p;
    memset(&p, 0, sizeof p);
    p.text = text;
    p.env = env;
    nt_status st = NT_ERR_FORMAT;
    if (strlen(text) > (size_t)1 << 20) {
        nt_set_error(NT_ERR_FORMAT, "expression longer than 1 MiB");
        if (err_col) *err_col = 1;
        return NT_ERR_FORMAT;
    }
    if (!tokenize(&p)) goto fail;
    if (p.n_toks == 1) {
        perr(&p, p.toks[0].pos, "empty expression");
        p.err_col = 1;
        goto fail;
    }
    p.cap_nodes = p.n_toks;
    p.pool = calloc((size_t)p.cap_nodes, sizeof(nt_expr_node));
    if (!p.pool) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory parsing an expression");
        goto fail;
    }
    nt_expr_node *root = parse_or(&p);
    if (root && peek(&p)->kind != TK_EOF) {
        tok *t = peek(&p);
        char d[64];
        tok_desc(&p, t, d, sizeof d);
        if (t->kind == TK_RPAR)
            perr(&p, t->pos, "unmatched ')'");
        else if (starts_operand(t->kind))
            perr(&p, t->pos, "expected an operator before %s (write '*' for a product)", d);
        else
            perr(&p, t->pos, "unexpected %s", d);
        root = NULL;
    }
    if (root && tree_height(root) > EXPR_MAX_DEPTH) {
        perr(&p, 0, "expression nested too deeply (more than %d levels)", EXPR_MAX_DEPTH);
        root = NULL;
    }
    if (!root) goto fail;
    e->text = malloc(strlen(text) + 1);
    if (!e->text) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory parsing an expression");
        goto fail;
    }
    strcpy(e->text, text);
    e->root = root;
    e->pool = p.pool;
    e->n_nodes = p.n_nodes;
    e->n_vars = env->n_vars;
    e->n_fields = env->n_fields;
    free(p.toks);
    return NT_OK;
fail:
    if (err_col) *err_col = p.failed ? p.err_col : 0;
    free(p.toks);
    free(p.pool);
    memset(e, 0, sizeof *e);
    return st;
}

void nt_expr_free(nt_expr *e)
{
    if (!e) return;
    free(e->pool);
    free(e->text);
    memset(e, 0, sizeof *e);
}

/* ------------------------------------------------------------------------------ */
/* Queries                                                                          */

static int is_logic(nt_expr_kind k) { return k >= NT_EX_EQ && k <= NT_EX_OR; }

static int uses_rec(const nt_expr_node *x)
{
    if (!x) return 0;
    int f = uses_rec(x->a) | uses_rec(x->b);
    switch (x->kind) {
    case NT_EX_VAR: f |= NT_EXPR_USES_VAR; break;
    case NT_EX_UNKNOWN: f |= NT_EXPR_USES_UNKNOWN; break;
    case NT_EX_FIELD: f |= NT_EXPR_USES_FIELD; break;
    default:
        if (is_logic(x->kind)) f |= NT_EXPR_USES_LOGIC;
        break;
    }
    return f;
}

int nt_expr_uses(const nt_expr *e) { return uses_rec(e->root); }

static void visit_rec(const nt_expr_node *x, void (*fn)(void *, int, const int *), void *user)
{
    if (!x) return;
    if (x->kind == NT_EX_FIELD) fn(user, x->index, x->counts);
    visit_rec(x->a, fn, user);
    visit_rec(x->b, fn, user);
}

void nt_expr_visit_fields(const nt_expr *e, void (*fn)(void *user, int field, const int *counts),
                          void *user)
{
    visit_rec(e->root, fn, user);
}

/* The identifier at a node's column, for messages. */
static void node_name(const nt_expr *e, const nt_expr_node *x, char *buf, size_t cap)
{
    const char *s = e->text + (x->col - 1);
    size_t n = 0;
    while (s[n] && (is_alpha(s[n]) || is_digit(s[n]))) n++;
    if (n >= cap) n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
}

/* ------------------------------------------------------------------------------ */
/* Double semantics (shared by eval and constant folding)                          */

static double apply_func(nt_expr_func f, double a)
{
    switch (f) {
    case NT_FN_SIN: return sin(a);
    case NT_FN_COS: return cos(a);
    case NT_FN_TAN: return tan(a);
    case NT_FN_EXP: return exp(a);
    case NT_FN_LOG: return log(a);
    case NT_FN_TANH: return tanh(a);
    case NT_FN_SQRT: return sqrt(a);
    case NT_FN_ABS: return fabs(a);
    case NT_FN_SINH: return sinh(a);
    case NT_FN_COSH: return cosh(a);
    }
    return NAN;
}

static double apply_binary(nt_expr_kind k, double a, double b)
{
    switch (k) {
    case NT_EX_ADD: return a + b;
    case NT_EX_SUB: return a - b;
    case NT_EX_MUL: return a * b;
    case NT_EX_DIV: return a / b;
    case NT_EX_POW: return pow(a, b);
    case NT_EX_EQ: return a == b;
    case NT_EX_NE: return a != b;
    case NT_EX_LT: return a < b;
    case NT_EX_LE: return a <= b;
    case NT_EX_GT: return a > b;
    case NT_EX_GE: return a >= b;
    case NT_EX_AND: return (a != 0) && (b != 0);
    case NT_EX_OR: return (a != 0) || (b != 0);
    default: return NAN;
    }
}

typedef struct eval_ctx {
    int n_vars, n_fields;
    const double *coords, *unknowns, *fields;  /* coords/fields point at row i */
    nt_expr_field_fn field_fn;                 /* nt_expr_eval_fn: field values and derivatives */
    void *user;
} eval_ctx;

static double eval_rec(const nt_expr_node *x, const eval_ctx *c)
{
    switch (x->kind) {
    case NT_EX_NUM: return x->value;
    case NT_EX_VAR: return c->coords[x->index];
    case NT_EX_UNKNOWN: return c->unknowns[x->index];
    case NT_EX_FIELD: return c->field_fn ? c->field_fn(c->user, x->index, x->counts, c->coords) : c->fields[x->index];
    case NT_EX_NEG: return -eval_rec(x->a, c);
    case NT_EX_FUNC: return apply_func(x->func, eval_rec(x->a, c));
    default: return apply_binary(x->kind, eval_rec(x->a, c), eval_rec(x->b, c));
    }
}

/* Checks that the inputs eval needs are present. */
static nt_status eval_check(const nt_expr *e, const nt_expr_node *x, const double *coords,
                            const double *unknowns, const double *fields, int field_fn)
{
    if (!x) return NT_OK;
    char name[NT_EXPR_NAME + 64];
    switch (x->kind) {
    case NT_EX_VAR:
        if (!coords) {
            node_name(e, x, name, sizeof name);
            return nt_set_error(NT_ERR_ARG, "'%s' at column %d needs coordinates, none given",
                                name, x->col);
        }
        break;
    case NT_EX_UNKNOWN:
        if (!unknowns) {
            node_name(e, x, name, sizeof name);
            return nt_set_error(NT_ERR_ARG,
                                "unknown coefficient '%s' at column %d has no value here", name,
                                x->col);
        }
        break;
    case NT_EX_FIELD: {
        int order = 0;
        for (int d = 0; d < NT_EXPR_MAX_VARS; d++) order += x->counts[d];
        node_name(e, x, name, sizeof name);
        if (field_fn) {
            if (!coords) return nt_set_error(NT_ERR_ARG, "'%s' at column %d needs coordinates, none given", name, x->col);
            break;
        }
        if (order > 0)
            return nt_set_error(NT_ERR_ARG,
                                "derivative '%s' at column %d cannot be evaluated from field "
                                "values (only plain fields can)",
                                name, x->col);
        if (!fields)
            return nt_set_error(NT_ERR_ARG, "field '%s' at column %d has no values here", name,
                                x->col);
        break;
    }
    default: break;
    }
    nt_status s = eval_check(e, x->a, coords, unknowns, fields, field_fn);
    if (s == NT_OK) s = eval_check(e, x->b, coords, unknowns, fields, field_fn);
    return s;
}

nt_status nt_expr_eval(const nt_expr *e, int64_t n, const double *coords,
                       const double *unknowns, const double *fields, double *out)
{
    NT_ASSERT(e && e->root && (out || n == 0), "nt_expr_eval: NULL argument");
    nt_status s = eval_check(e, e->root, coords, unknowns, fields, 0);
    if (s != NT_OK) return s;
    eval_ctx c = {e->n_vars, e->n_fields, NULL, unknowns, NULL, NULL, NULL};
    for (int64_t i = 0; i < n; i++) {
        c.coords = coords ? coords + i * e->n_vars : NULL;
        c.fields = fields ? fields + i * e->n_fields : NULL;
        out[i] = eval_rec(e->root, &c);
    }
    return NT_OK;
}

nt_status nt_expr_eval_fn(const nt_expr *e, int64_t n, const double *coords, const double *unknowns,
                          nt_expr_field_fn field, void *user, double *out)
{
    NT_ASSERT(e && e->root && field && (out || n == 0), "nt_expr_eval_fn: NULL argument");
    nt_status s = eval_check(e, e->root, coords, unknowns, NULL, 1);
    if (s != NT_OK) return s;
    eval_ctx c = {e->n_vars, e->n_fields, NULL, unknowns, NULL, field, user};
    for (int64_t i = 0; i < n; i++) {
        c.coords = coords ? coords + i * e->n_vars : NULL;
        out[i] = eval_rec(e->root, &c);
    }
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Compile onto the tape                                                            */

typedef struct cval {
    nt_tensor *t;  /* NULL: constant v */
    double v;
} cval;

typedef struct cctx {
    const nt_expr *e;
    nt_tape *tape;
    const nt_expr_bind *b;
    int failed;
} cctx;

#define CFAIL ((cval){NULL, NAN})

static cval cconst(double v) { return (cval){NULL, v}; }
static cval ctens(cctx *c, nt_tensor *t)
{
    if (!t) c->failed = 1;
    return (cval){t, 0};
}

/* a·mul + add, skipping the identity. */
static nt_tensor *scale(cctx *c, nt_tensor *a, double mul, double add)
{
    if (!a) return NULL;
    if (mul == 1.0 && add == 0.0) return a;
    return nt_scale(c->tape, a, mul, add);
}

/* |a| = a·sign(a), the sign a constant leaf (gradient sign(a), 0 at 0). */
static nt_tensor *t_abs(cctx *c, nt_tensor *a)
{
    nt_tensor *s = nt_tensor_new(c->tape, a->dtype, a->ndim, a->shape);
    if (!s) return NULL;
    for (int64_t i = 0; i < a->size; i++) {
        double v = nt_tensor_get(a, i);
        nt_tensor_set(s, i, v > 0 ? 1.0 : v < 0 ? -1.0 : v == 0 ? 0.0 : v);
    }
    return nt_mul(c->tape, a, s);
}

static nt_tensor *t_func(cctx *c, nt_expr_func f, nt_tensor *a)
{
    nt_tape *t = c->tape;
    switch (f) {
    case NT_FN_SIN: return nt_sin(t, a);
    case NT_FN_COS: return nt_cos(t, a);
    case NT_FN_TAN: {
        nt_tensor *s = nt_sin(t, a), *co = s ? nt_cos(t, a) : NULL;
        return co ? nt_div(t, s, co) : NULL;
    }
    case NT_FN_EXP: return nt_exp(t, a);
    case NT_FN_LOG: return nt_log(t, a);
    case NT_FN_TANH: return nt_tanh(t, a);
    case NT_FN_SQRT: return nt_pow(t, a, 0.5);
    case NT_FN_ABS: return t_abs(c, a);
    case NT_FN_SINH:
    case NT_FN_COSH: {
        nt_tensor *ep = nt_exp(t, a);
        nt_tensor *na = ep ? nt_scale(t, a, -1.0, 0.0) : NULL;
        nt_tensor *em = na ? nt_exp(t, na) : NULL;
        if (!em) return NULL;
        nt_tensor *r = f == NT_FN_SINH ? nt_sub(t, ep, em) : nt_add(t, ep, em);
        return r ? nt_scale(t, r, 0.5, 0.0) : NULL;
    }
    }
    return NULL;
}

/* a^p for a constant p ≠ 0. */
static nt_tensor *t_pow_const(cctx *c, nt_tensor *a, double p)
{
    nt_tape *t = c->tape;
    if (p == 1.0) return a;
    if (p == 2.0) return nt_mul(t, a, a);
    if (p == 3.0) {
        nt_tensor *a2 = nt_mul(t, a, a);
        return a2 ? nt_mul(t, a2, a) : NULL;
    }
    if (p == 4.0) {
        nt_tensor *a2 = nt_mul(t, a, a);
        return a2 ? nt_mul(t, a2, a2) : NULL;
    }
    return nt_pow(t, a, p);
}

static int is_scalar(const nt_tensor *x) { return x->size == 1; }

static cval compile_rec(cctx *c, const nt_expr_node *x)
{
    nt_tape *t = c->tape;
    const nt_expr_bind *b = c->b;
    char name[NT_EXPR_NAME + 64];
    switch (x->kind) {
    case NT_EX_NUM: return cconst(x->value);
    case NT_EX_VAR: {
        nt_tensor *v = b->coord[x->index];
        if (!v) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "coordinate '%s' is not bound for this expression", name);
            c->failed = 1;
            return CFAIL;
        }
        if (v->size != b->n || v->dtype != b->dtype) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "coordinate '%s' has %lld values of %s, expected %lld of %s",
                         name, (long long)v->size, nt_dtype_name(v->dtype), (long long)b->n,
                         nt_dtype_name(b->dtype));
            c->failed = 1;
            return CFAIL;
        }
        return ctens(c, v);
    }
    case NT_EX_UNKNOWN: {
        nt_tensor *v = b->unknown[x->index];
        if (!v || v->size != 1 || v->dtype != b->dtype) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "unknown coefficient '%s' is %s", name,
                         v ? "not a single value of the expression's dtype" : "not bound");
            c->failed = 1;
            return CFAIL;
        }
        return ctens(c, v);
    }
    case NT_EX_FIELD: {
        nt_tensor *v = b->field ? b->field(b->user, x->index, x->counts) : NULL;
        if (!v) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "field value '%s' is not available here", name);
            c->failed = 1;
            return CFAIL;
        }
        if (v->size != b->n || v->dtype != b->dtype) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "field value '%s' has %lld values of %s, expected %lld of %s",
                         name, (long long)v->size, nt_dtype_name(v->dtype), (long long)b->n,
                         nt_dtype_name(b->dtype));
            c->failed = 1;
            return CFAIL;
        }
        return ctens(c, v);
    }
    case NT_EX_NEG: {
        cval a = compile_rec(c, x->a);
        if (c->failed) return CFAIL;
        if (!a.t) return cconst(-a.v);
        return ctens(c, nt_scale(t, a.t, -1.0, 0.0));
    }
    case NT_EX_FUNC: {
        cval a = compile_rec(c, x->a);
        if (c->failed) return CFAIL;
        if (!a.t) return cconst(apply_func(x->func, a.v));
        return ctens(c, t_func(c, x->func, a.t));
    }
    case NT_EX_ADD:
    case NT_EX_SUB:
    case NT_EX_MUL:
    case NT_EX_DIV:
    case NT_EX_POW: {
        cval a = compile_rec(c, x->a);
        if (c->failed) return CFAIL;
        cval bb = compile_rec(c, x->b);
        if (c->failed) return CFAIL;
        if (!a.t && !bb.t) return cconst(apply_binary(x->kind, a.v, bb.v));
        if (x->kind == NT_EX_POW) {
            if (!bb.t) {
                if (bb.v == 0.0) return cconst(1.0);
                return ctens(c, t_pow_const(c, a.t, bb.v));
            }
            /* a^b = exp(b·log a) */
            nt_tensor *l;
            if (!a.t) {
                l = scale(c, bb.t, log(a.v), 0.0);
            } else {
                nt_tensor *la = nt_log(t, a.t);
                l = la ? nt_mul(t, bb.t, la) : NULL;
            }
            return ctens(c, l ? nt_exp(t, l) : NULL);
        }
        if (!a.t) {  /* constant ⊕ tensor */
            double k = a.v;
            switch (x->kind) {
            case NT_EX_ADD: return ctens(c, scale(c, bb.t, 1.0, k));
            case NT_EX_SUB: return ctens(c, scale(c, bb.t, -1.0, k));
            case NT_EX_MUL: return ctens(c, scale(c, bb.t, k, 0.0));
            default: return ctens(c, scale(c, nt_pow(t, bb.t, -1.0), k, 0.0));
            }
        }
        if (!bb.t) {  /* tensor ⊕ constant */
            double k = bb.v;
            switch (x->kind) {
            case NT_EX_ADD: return ctens(c, scale(c, a.t, 1.0, k));
            case NT_EX_SUB: return ctens(c, scale(c, a.t, 1.0, -k));
            case NT_EX_MUL: return ctens(c, scale(c, a.t, k, 0.0));
            default: return ctens(c, scale(c, a.t, 1.0 / k, 0.0));
            }
        }
        NT_ASSERT(a.t->size == bb.t->size || is_scalar(a.t) || is_scalar(bb.t),
                  "expression operands of different sizes");
        switch (x->kind) {
        case NT_EX_ADD: return ctens(c, nt_add(t, a.t, bb.t));
        case NT_EX_SUB: return ctens(c, nt_sub(t, a.t, bb.t));
        case NT_EX_MUL: return ctens(c, nt_mul(t, a.t, bb.t));
        default: return ctens(c, nt_div(t, a.t, bb.t));
        }
    }
    default:
        nt_set_error(NT_ERR_ARG,
                     "comparisons and '&&'/'||' (column %d) can only be used in 'where' clauses, "
                     "not in equations",
                     x->col);
        c->failed = 1;
        return CFAIL;
    }
}

nt_tensor *nt_expr_compile(const nt_expr *e, nt_tape *t, const nt_expr_bind *b)
{
    NT_ASSERT(e && e->root && t && b, "nt_expr_compile: NULL argument");
    cctx c = {e, t, b, 0};
    cval r = compile_rec(&c, e->root);
    if (c.failed) return NULL;
    if (!r.t) {
        nt_tensor *y = nt_tensor_new2(t, b->dtype, b->n, 1);
        if (!y) return NULL;
        for (int64_t i = 0; i < b->n; i++) nt_tensor_set(y, i, r.v);
        return y;
    }
    nt_tensor *y = r.t;
    if (!(y->ndim == 2 && y->shape[0] == b->n && y->shape[1] == 1)) {
        /* a size-1 result (unknowns only) or another shape of n values: adding an
         * (n × 1) zero leaf broadcasts/reshapes and keeps the gradient path */
        nt_tensor *z = nt_tensor_zeros2(t, b->dtype, b->n, 1);
        y = z ? nt_add(t, z, y) : NULL;
    }
    return y;
}

/* ------------------------------------------------------------------------------ */
/* Jets of expressions (hard constraints)                                           */

/* Which functions of a tape jet exist (nt_jet_act's activations, sinh/cosh by exp). */
static int jet_func_ok(nt_expr_func f)
{
    return f == NT_FN_SIN || f == NT_FN_COS || f == NT_FN_TANH || f == NT_FN_EXP || f == NT_FN_SINH ||
           f == NT_FN_COSH;
}

/* Returns 1 if x depends on a field, 0 if not, −1 after setting the error. */
static int check_jet_rec(const nt_expr *e, const nt_expr_node *x, int *col)
{
    char name[NT_EXPR_NAME + 64];
    switch (x->kind) {
    case NT_EX_NUM:
    case NT_EX_VAR: return 0;
    case NT_EX_UNKNOWN:
        node_name(e, x, name, sizeof name);
        *col = x->col;
        nt_set_error(NT_ERR_FORMAT, "unknown coefficient '%s' cannot be used here (only in pde and conditions)", name);
        return -1;
    case NT_EX_FIELD: {
        for (int d = 0; d < NT_EXPR_MAX_VARS; d++)
            if (x->counts[d]) {
                node_name(e, x, name, sizeof name);
                *col = x->col;
                nt_set_error(NT_ERR_FORMAT,
                             "'%s' is a derivative: derivatives of the network outputs cannot appear here "
                             "(the transform is differentiated automatically)", name);
                return -1;
            }
        return 1;
    }
    case NT_EX_NEG: return check_jet_rec(e, x->a, col);
    case NT_EX_FUNC: {
        if (x->func == NT_FN_ABS) {
            *col = x->col;
            nt_set_error(NT_ERR_FORMAT, "abs is not differentiable at 0 and cannot be used here");
            return -1;
        }
        int da = check_jet_rec(e, x->a, col);
        if (da > 0 && !jet_func_ok(x->func)) {
            *col = x->col;
            nt_set_error(NT_ERR_FORMAT,
                         "%s of an expression of the network outputs is not supported (sin cos tanh exp sinh "
                         "cosh are; %s only of coordinates and constants)", fn_names[x->func], fn_names[x->func]);
            return -1;
        }
        return da;
    }
    case NT_EX_ADD:
    case NT_EX_SUB:
    case NT_EX_MUL:
    case NT_EX_DIV:
    case NT_EX_POW: {
        int da = check_jet_rec(e, x->a, col);
        if (da < 0) return -1;
        int db = check_jet_rec(e, x->b, col);
        if (db < 0) return -1;
        if (x->kind == NT_EX_DIV && db) {
            *col = x->col;
            nt_set_error(NT_ERR_FORMAT, "division by an expression of the network outputs is not supported "
                                        "(divide by coordinates and constants only)");
            return -1;
        }
        if (x->kind == NT_EX_POW && da) {
            double p = NAN;
            int ok = !(uses_rec(x->b) & (NT_EXPR_USES_VAR | NT_EXPR_USES_FIELD | NT_EXPR_USES_UNKNOWN));
            if (ok) {
                eval_ctx c = {e->n_vars, e->n_fields, NULL, NULL, NULL, NULL, NULL};
                p = eval_rec(x->b, &c);
            }
            if (!ok || !(p >= 0 && p <= 64 && p == floor(p))) {
                *col = x->col;
                nt_set_error(NT_ERR_FORMAT, "a power of an expression of the network outputs needs a constant "
                                            "integer exponent in 0..64");
                return -1;
            }
        }
        return da | db;
    }
    default:
        *col = x->col;
        nt_set_error(NT_ERR_FORMAT, "comparisons and '&&'/'||' cannot be used here");
        return -1;
    }
}

nt_status nt_expr_check_jet(const nt_expr *e, int *err_col)
{
    NT_ASSERT(e && e->root, "nt_expr_check_jet: NULL argument");
    int col = 0;
    int r = check_jet_rec(e, e->root, &col);
    if (err_col) *err_col = r < 0 ? col : 0;
    return r < 0 ? NT_ERR_FORMAT : NT_OK;
}

/* Constant jets ------------------------------------------------------------------ */

void nt_cjet_mul(const nt_jet_spec *s, int64_t n, const double *a, const double *b, double *out)
{
    if (!s) {
        for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
        return;
    }
    NT_ASSERT(s->pairs != NULL, "call nt_jet_spec_build before using a jet spec");
    for (int st = 0; st < s->n_streams; st++) {
        double *o = out + (size_t)st * (size_t)n;
        for (int64_t i = 0; i < n; i++) o[i] = 0;
        for (int q = s->pair_off[st]; q < s->pair_off[st + 1]; q++) {
            double c = s->pairs[q][0];
            const double *ai = a + (size_t)s->pairs[q][1] * (size_t)n, *bj = b + (size_t)s->pairs[q][2] * (size_t)n;
            for (int64_t i = 0; i < n; i++) o[i] += c * ai[i] * bj[i];
        }
    }
}

void nt_cjet_compose(const nt_jet_spec *s, int64_t n, const double *a, const double *d, double *out)
{
    if (!s) {
        for (int64_t i = 0; i < n; i++) out[i] = d[i];
        return;
    }
    NT_ASSERT(s->terms != NULL, "call nt_jet_spec_build before using a jet spec");
    for (int st = 0; st < s->n_streams; st++) {
        double *o = out + (size_t)st * (size_t)n;
        if (st == 0) {
            for (int64_t i = 0; i < n; i++) o[i] = d[i];
            continue;
        }
        for (int64_t i = 0; i < n; i++) o[i] = 0;
        for (int q = s->term_off[st]; q < s->term_off[st + 1]; q++) {
            const nt_jet_term *tm = &s->terms[q];
            const double *dm = d + (size_t)tm->m * (size_t)n;
            for (int64_t i = 0; i < n; i++) {
                double v = tm->coef * dm[i];
                for (int k = 0; k < tm->m; k++) v *= a[(size_t)tm->blocks[k] * (size_t)n + (size_t)i];
                o[i] += v;
            }
        }
    }
}

void nt_cjet_derivs_pow(double p, int K, const double *a, int64_t n, double *d)
{
    double coef = 1;
    for (int k = 0; k <= K; k++) {
        for (int64_t i = 0; i < n; i++) d[(size_t)k * (size_t)n + (size_t)i] = coef == 0 ? 0 : coef * pow(a[i], p - k);
        coef *= p - k;
    }
}

/* d[k·n + i] = f⁽ᵏ⁾(a_i), k = 0..K (not abs). */
static void cjet_derivs_func(nt_expr_func f, int K, const double *a, int64_t n, double *d)
{
    size_t N = (size_t)n;
    switch (f) {
    case NT_FN_SIN:
    case NT_FN_COS:
        for (int k = 0; k <= K; k++) {
            int r = (k + (f == NT_FN_COS)) % 4; /* cos⁽ᵏ⁾ = sin⁽ᵏ⁺¹⁾ */
            for (size_t i = 0; i < N; i++)
                d[k * N + i] = r == 0 ? sin(a[i]) : r == 1 ? cos(a[i]) : r == 2 ? -sin(a[i]) : -cos(a[i]);
        }
        return;
    case NT_FN_EXP:
        for (size_t i = 0; i < N; i++) {
            double v = exp(a[i]);
            for (int k = 0; k <= K; k++) d[k * N + i] = v;
        }
        return;
    case NT_FN_SINH:
    case NT_FN_COSH:
        for (size_t i = 0; i < N; i++)
            for (int k = 0; k <= K; k++) d[k * N + i] = (k + (f == NT_FN_COSH)) % 2 ? cosh(a[i]) : sinh(a[i]);
        return;
    case NT_FN_LOG:
        for (size_t i = 0; i < N; i++) {
            d[i] = log(a[i]);
            double fact = 1; /* (k−1)! */
            for (int k = 1; k <= K; k++) {
                d[k * N + i] = (k % 2 ? 1 : -1) * fact / pow(a[i], k);
                fact *= k;
            }
        }
        return;
    case NT_FN_SQRT:
        nt_cjet_derivs_pow(0.5, K, a, n, d);
        return;
    case NT_FN_TANH:
        nt_act_eval_f64(NT_ACT_TANH, K, a, n, d);
        return;
    case NT_FN_TAN: {
        /* tan⁽ᵏ⁾ = P_k(tan), P_0 = t, P_{k+1} = P_k'·(1 + t²) */
        double P[NT_JET_MAX_ORDER + 2][NT_JET_MAX_ORDER + 3];
        memset(P, 0, sizeof P);
        P[0][1] = 1;
        for (int k = 0; k < K && k <= NT_JET_MAX_ORDER; k++)
            for (int j = 1; j <= k + 1; j++) {
                P[k + 1][j - 1] += j * P[k][j];
                P[k + 1][j + 1] += j * P[k][j];
            }
        for (size_t i = 0; i < N; i++) {
            double t = tan(a[i]);
            for (int k = 0; k <= K; k++) {
                double v = 0;
                for (int j = k + 1; j >= 0; j--) v = v * t + P[k][j];
                d[k * N + i] = v;
            }
        }
        return;
    }
    case NT_FN_ABS:
        for (size_t i = 0; i < (size_t)(K + 1) * N; i++) d[i] = NAN;
        return;
    }
}

/* Compiler ------------------------------------------------------------------------ */

typedef enum { JV_NUM = 0, JV_CJET, JV_TAPE } jv_kind;

typedef struct jval {
    jv_kind kind;
    double v;         /* JV_NUM */
    const double *c;  /* JV_CJET: S·n doubles */
    nt_tensor *t;     /* JV_TAPE: (S·n × 1) */
} jval;

typedef struct jctx {
    const nt_expr *e;
    nt_tape *tape;
    const nt_expr_jet_bind *b;
    const nt_jet_spec *s;
    int S, K;
    int64_t n, N;     /* points, S·n */
    int failed;
} jctx;

static const jval JFAIL = {JV_NUM, NAN, NULL, NULL};

static jval jnum(double v) { return (jval){JV_NUM, v, NULL, NULL}; }
static jval jcjet(const double *c) { return (jval){JV_CJET, 0, c, NULL}; }
static jval jtape(jctx *c, nt_tensor *t)
{
    if (!t) {
        c->failed = 1;
        return JFAIL;
    }
    return (jval){JV_TAPE, 0, NULL, t};
}

static double *jalloc(jctx *c, size_t count)
{
    double *p = nt_arena_alloc(&c->tape->arena, count * sizeof(double));
    if (!p) c->failed = 1;
    return p;
}

/* The constant jet of a value without fields (a number: value stream only). */
static const double *as_cjet(jctx *c, jval a)
{
    if (a.kind == JV_CJET) return a.c;
    double *p = jalloc(c, (size_t)c->N);
    if (!p) return NULL;
    for (int64_t i = 0; i < c->N; i++) p[i] = i < c->n ? a.v : 0;
    return p;
}

static nt_tensor *as_tape(jctx *c, jval a)
{
    if (a.kind == JV_TAPE) return a.t;
    const double *p = as_cjet(c, a);
    return p ? nt_tensor_from_f64(c->tape, c->b->dtype, c->N, 1, p) : NULL;
}

static nt_tensor *jmul_t(jctx *c, nt_tensor *a, nt_tensor *b)
{
    if (!a || !b) return NULL;
    return c->s ? nt_jet_mul(c->tape, c->s, a, b) : nt_mul(c->tape, a, b);
}

static nt_tensor *jact_t(jctx *c, nt_tensor *a, nt_act act)
{
    if (!a) return NULL;
    return c->s ? nt_jet_act(c->tape, c->s, a, act) : nt_act_apply(c->tape, a, act, 0);
}

/* a + sign·b */
static jval j_add(jctx *c, jval a, jval b, double sign)
{
    if (a.kind == JV_NUM && b.kind == JV_NUM) return jnum(a.v + sign * b.v);
    if (a.kind != JV_TAPE && b.kind != JV_TAPE) {
        const double *pa = as_cjet(c, a), *pb = as_cjet(c, b);
        double *o = jalloc(c, (size_t)c->N);
        if (!pa || !pb || !o) return JFAIL;
        for (int64_t i = 0; i < c->N; i++) o[i] = pa[i] + sign * pb[i];
        return jcjet(o);
    }
    nt_tape *t = c->tape;
    if (b.kind == JV_NUM || a.kind == JV_NUM) { /* a number moves the value stream only */
        double k = a.kind == JV_NUM ? a.v : sign * b.v;
        nt_tensor *x = a.kind == JV_NUM ? (sign == 1 ? b.t : nt_scale(t, b.t, -1, 0)) : a.t;
        if (k == 0 || !x) return jtape(c, x);
        nt_tensor *kb = nt_tensor_from_f64(t, c->b->dtype, 1, 1, &k);
        return jtape(c, kb ? nt_bias(t, x, kb, c->n) : NULL);
    }
    nt_tensor *ta = as_tape(c, a), *tb = as_tape(c, b);
    if (!ta || !tb) return jtape(c, NULL);
    return jtape(c, sign == 1 ? nt_add(t, ta, tb) : nt_sub(t, ta, tb));
}

static jval j_scale(jctx *c, jval a, double k)
{
    if (a.kind == JV_NUM) return jnum(k * a.v);
    if (k == 1) return a;
    if (a.kind == JV_TAPE) return jtape(c, nt_scale(c->tape, a.t, k, 0));
    double *o = jalloc(c, (size_t)c->N);
    if (!o) return JFAIL;
    for (int64_t i = 0; i < c->N; i++) o[i] = k * a.c[i];
    return jcjet(o);
}

static jval j_mul(jctx *c, jval a, jval b)
{
    if (a.kind == JV_NUM) return j_scale(c, b, a.v);
    if (b.kind == JV_NUM) return j_scale(c, a, b.v);
    if (a.kind == JV_CJET && b.kind == JV_CJET) {
        double *o = jalloc(c, (size_t)c->N);
        if (!o) return JFAIL;
        nt_cjet_mul(c->s, c->n, a.c, b.c, o);
        return jcjet(o);
    }
    return jtape(c, jmul_t(c, as_tape(c, a), as_tape(c, b)));
}

/* f(a) of a constant jet, from f's derivative table. */
static jval cjet_compose(jctx *c, const double *a, nt_expr_func f, int is_pow, double p)
{
    double *d = jalloc(c, (size_t)(c->K + 1) * (size_t)c->n), *o = jalloc(c, (size_t)c->N);
    if (!d || !o) return JFAIL;
    if (is_pow) nt_cjet_derivs_pow(p, c->K, a, c->n, d);
    else cjet_derivs_func(f, c->K, a, c->n, d);
    nt_cjet_compose(c->s, c->n, a, d, o);
    return jcjet(o);
}

static jval j_func(jctx *c, nt_expr_func f, jval a)
{
    if (a.kind == JV_NUM) return jnum(apply_func(f, a.v));
    if (a.kind == JV_CJET) return cjet_compose(c, a.c, f, 0, 0);
    switch (f) {
    case NT_FN_SIN: return jtape(c, jact_t(c, a.t, NT_ACT_SIN));
    case NT_FN_COS: return jtape(c, jact_t(c, a.t, NT_ACT_COS));
    case NT_FN_TANH: return jtape(c, jact_t(c, a.t, NT_ACT_TANH));
    case NT_FN_EXP: return jtape(c, jact_t(c, a.t, NT_ACT_EXP));
    case NT_FN_SINH:
    case NT_FN_COSH: {
        nt_tensor *ep = jact_t(c, a.t, NT_ACT_EXP);
        nt_tensor *em = jact_t(c, nt_scale(c->tape, a.t, -1, 0), NT_ACT_EXP);
        if (!ep || !em) return jtape(c, NULL);
        nt_tensor *r = f == NT_FN_SINH ? nt_sub(c->tape, ep, em) : nt_add(c->tape, ep, em);
        return jtape(c, r ? nt_scale(c->tape, r, 0.5, 0) : NULL);
    }
    default:
        nt_set_error(NT_ERR_ARG, "%s of an expression of the network outputs cannot be differentiated", fn_names[f]);
        c->failed = 1;
        return JFAIL;
    }
}

static jval jet_rec(jctx *c, const nt_expr_node *x)
{
    const nt_expr_jet_bind *b = c->b;
    char name[NT_EXPR_NAME + 64];
    if (c->failed) return JFAIL;
    switch (x->kind) {
    case NT_EX_NUM: return jnum(x->value);
    case NT_EX_VAR:
        if (x->index < 0 || x->index >= NT_EXPR_MAX_VARS || !b->coord[x->index]) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "coordinate '%s' is not bound for this expression", name);
            c->failed = 1;
            return JFAIL;
        }
        return jcjet(b->coord[x->index]);
    case NT_EX_FIELD: {
        int order = 0;
        for (int d = 0; d < NT_EXPR_MAX_VARS; d++) order += x->counts[d];
        nt_tensor *v = x->index >= 0 && x->index < NT_EXPR_MAX_FIELDS ? b->field[x->index] : NULL;
        if (order || !v || v->size != c->N || v->dtype != b->dtype) {
            node_name(c->e, x, name, sizeof name);
            nt_set_error(NT_ERR_ARG, "'%s' is not available here%s", name,
                         order ? " (derivatives of fields cannot be differentiated again)" : "");
            c->failed = 1;
            return JFAIL;
        }
        return jtape(c, v);
    }
    case NT_EX_NEG: return j_scale(c, jet_rec(c, x->a), -1);
    case NT_EX_FUNC: {
        if (x->func == NT_FN_ABS) {
            nt_set_error(NT_ERR_ARG, "abs (column %d) cannot be differentiated", x->col);
            c->failed = 1;
            return JFAIL;
        }
        jval a = jet_rec(c, x->a);
        return c->failed ? JFAIL : j_func(c, x->func, a);
    }
    case NT_EX_ADD:
    case NT_EX_SUB:
    case NT_EX_MUL:
    case NT_EX_DIV:
    case NT_EX_POW: {
        jval a = jet_rec(c, x->a);
        jval bb = c->failed ? JFAIL : jet_rec(c, x->b);
        if (c->failed) return JFAIL;
        if (a.kind == JV_NUM && bb.kind == JV_NUM) return jnum(apply_binary(x->kind, a.v, bb.v));
        switch (x->kind) {
        case NT_EX_ADD: return j_add(c, a, bb, 1);
        case NT_EX_SUB: return j_add(c, a, bb, -1);
        case NT_EX_MUL: return j_mul(c, a, bb);
        case NT_EX_DIV:
            if (bb.kind == JV_NUM) return j_scale(c, a, 1 / bb.v);
            if (bb.kind == JV_TAPE) break;
            {
                jval r = cjet_compose(c, bb.c, NT_FN_ABS, 1, -1);
                return c->failed ? JFAIL : j_mul(c, a, r);
            }
        default: /* POW */
            if (bb.kind == JV_NUM) {
                double p = bb.v;
                if (a.kind == JV_CJET) return cjet_compose(c, a.c, NT_FN_ABS, 1, p);
                if (!(p >= 0 && p <= 64 && p == floor(p))) break;
                /* a^p by squaring */
                jval r = jnum(1), sq = a;
                for (int k = (int)p; k > 0 && !c->failed; k >>= 1) {
                    if (k & 1) r = j_mul(c, r, sq);
                    if (k > 1) sq = j_mul(c, sq, sq);
                }
                return c->failed ? JFAIL : r;
            }
            if (a.kind == JV_TAPE) break;
            {
                /* a^b = exp(b·log a), a > 0 without fields */
                jval la = a.kind == JV_NUM ? jnum(log(a.v)) : cjet_compose(c, a.c, NT_FN_LOG, 0, 0);
                jval pr = c->failed ? JFAIL : j_mul(c, bb, la);
                return c->failed ? JFAIL : j_func(c, NT_FN_EXP, pr);
            }
        }
        nt_set_error(NT_ERR_ARG, "'%c' at column %d cannot be differentiated for these operands",
                     x->kind == NT_EX_DIV ? '/' : '^', x->col);
        c->failed = 1;
        return JFAIL;
    }
    case NT_EX_UNKNOWN:
        node_name(c->e, x, name, sizeof name);
        nt_set_error(NT_ERR_ARG, "unknown coefficient '%s' cannot be used in a jet expression", name);
        c->failed = 1;
        return JFAIL;
    default:
        nt_set_error(NT_ERR_ARG, "comparisons and '&&'/'||' (column %d) cannot be differentiated", x->col);
        c->failed = 1;
        return JFAIL;
    }
}

nt_tensor *nt_expr_compile_jet(const nt_expr *e, nt_tape *t, const nt_expr_jet_bind *b)
{
    NT_ASSERT(e && e->root && t && b && b->n >= 0, "nt_expr_compile_jet: NULL argument");
    NT_ASSERT(!b->spec || b->spec->terms != NULL, "call nt_jet_spec_build before using a jet spec");
    jctx c;
    memset(&c, 0, sizeof c);
    c.e = e;
    c.tape = t;
    c.b = b;
    c.s = b->spec;
    c.S = b->spec ? b->spec->n_streams : 1;
    c.K = b->spec ? b->spec->max_order : 0;
    c.n = b->n;
    c.N = (int64_t)c.S * b->n;
    jval r = jet_rec(&c, e->root);
    if (c.failed) {
        if (!nt_error_msg()[0]) nt_set_error(NT_ERR_NOMEM, "out of memory compiling an expression jet");
        return NULL;
    }
    nt_tensor *y = as_tape(&c, r);
    if (!y && !nt_error_msg()[0]) nt_set_error(NT_ERR_NOMEM, "out of memory compiling an expression jet");
    return y;
}
