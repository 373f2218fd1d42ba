/* problem.c — YAML problem files → nt_problem, with every error located. */
#include "pinn/problem.h"
#include "pinn/hard.h"
#include "solvers/solvers.h"
#include "core/internal.h"
#include "io/yaml.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The source text of the file being loaded (for positions inside block scalars). */
static _Thread_local const char *g_src;

/* Line and column in the file of column `ecol` (1-based) inside the scalar node's
 * text. Quoted and plain scalars start at the node; a block scalar (| or >) starts
 * on the next line, indented as its first content line. */
static void expr_file_pos(const nt_ynode *n, int ecol, int *line, int *col)
{
    *line = n->line;
    if (n->style != 3) {
        int off = (n->style == 1 || n->style == 2) ? 1 : 0;
        *col = n->col + off + (ecol > 0 ? ecol - 1 : 0);
        return;
    }
    /* which line of the block, and the column within it */
    int k = 0, c = ecol > 0 ? ecol : 1;
    for (int i = 0; n->str[i] && i < ecol - 1; i++)
        if (n->str[i] == '\n') {
            k++;
            c = ecol - 1 - i;
        }
    *line = n->line + 1 + k;
    int indent = 0;
    if (g_src) {
        const char *s = g_src;
        for (int l = 1; l < *line && *s; s++)
            if (*s == '\n') l++;
        while (s[indent] == ' ') indent++;
    }
    *col = indent + c;
}

/* Parses the scalar node as an expression; errors point into the file. */
static nt_status parse_expr(const nt_ydoc *d, const nt_ynode *n, const nt_expr_env *env,
                            const char *what, nt_expr *out)
{
    const char *s;
    nt_status st = nt_yaml_str(d, n, what, &s);
    if (st) return st;
    int ecol = 0;
    st = nt_expr_parse(out, s, env, &ecol);
    if (st) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", nt_error_msg());
        int line, col, len = (int)strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ')) len--;
        expr_file_pos(n, ecol, &line, &col);
        return nt_yaml_error_at(d, line, col, "in %s \"%.*s\": %s", what, len, s, msg);
    }
    return NT_OK;
}

static nt_status check_name(const nt_ydoc *d, int line, int col, const char *name, const char *what)
{
    size_t len = strlen(name);
    int ok = len > 0 && len < NT_EXPR_NAME &&
             ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'));
    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!ok)
        return nt_yaml_error_at(d, line, col, "%s name '%s' must start with a letter and use only letters, digits and '_' (at most %d characters)",
                                what, name, NT_EXPR_NAME - 1);
    static const char *reserved[] = {"pi", "sin", "cos", "tan", "exp", "log", "tanh", "sqrt", "abs", "sinh", "cosh", NULL};
    for (int i = 0; reserved[i]; i++)
        if (!strcmp(reserved[i], name))
            return nt_yaml_error_at(d, line, col, "%s name '%s' is reserved (a built-in function or constant)", what, name);
    return NT_OK;
}

static int env_has(const nt_expr_env *e, const char *name)
{
    for (int i = 0; i < e->n_vars; i++) if (!strcmp(e->vars[i], name)) return 1;
    for (int i = 0; i < e->n_fields; i++) if (!strcmp(e->fields[i], name)) return 1;
    for (int i = 0; i < e->n_consts; i++) if (!strcmp(e->consts[i], name)) return 1;
    for (int i = 0; i < e->n_unknowns; i++) if (!strcmp(e->unknowns[i], name)) return 1;
    return 0;
}

static void resolve(const char *dir, const char *rel, char *out, size_t cap)
{
    if (rel[0] == '/' || !dir[0]) snprintf(out, cap, "%s", rel);
    else snprintf(out, cap, "%s/%s", dir, rel);
}

void nt_problem_resolve(const nt_problem *p, const char *rel, char *out, size_t cap)
{
    resolve(p->dir, rel, out, cap);
}

static nt_status file_exists(const nt_ydoc *d, const nt_ynode *n, const char *resolved, const char *what)
{
    struct stat sb;
    if (stat(resolved, &sb) != 0 || !S_ISREG(sb.st_mode))
        return nt_yaml_error(d, n, "%s '%s' not found (looked for '%s')", what, n->str, resolved);
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */

static nt_status load_domain(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return nt_yaml_error(d, d->root, "missing 'domain' (e.g. domain: {x: [-1, 1], t: [0, 1]})");
    int has_geom = nt_ynode_key_index(n, "geometry") >= 0; /* not a variable: load_geometry */
    if (n->kind != NT_Y_MAP || n->n - has_geom < 1)
        return nt_yaml_error(d, n, "'domain' must be a mapping of variables to [low, high]");
    if (n->n - has_geom > NT_EXPR_MAX_VARS)
        return nt_yaml_error(d, n, "at most %d domain variables", NT_EXPR_MAX_VARS);
    int nv = 0;
    for (int i = 0; i < n->n; i++) {
        if (!strcmp(n->keys[i], "geometry")) continue;
        nt_status st = check_name(d, n->key_line[i], n->key_col[i], n->keys[i], "variable");
        if (st) return st;
        if (!strcmp(n->keys[i], "n"))
            return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "'n' is reserved for the outward normal (u_n); name the variable differently");
        const nt_ynode *r = n->items[i];
        if (r->kind != NT_Y_SEQ || r->n != 2)
            return nt_yaml_error(d, r, "domain of '%s' must be [low, high]", n->keys[i]);
        double lo, hi;
        if ((st = nt_yaml_double(d, r->items[0], "the low end", &lo))) return st;
        if ((st = nt_yaml_double(d, r->items[1], "the high end", &hi))) return st;
        if (!(hi > lo)) return nt_yaml_error(d, r, "domain of '%s' needs low < high (got [%g, %g])", n->keys[i], lo, hi);
        snprintf(p->env.vars[nv], NT_EXPR_NAME, "%s", n->keys[i]);
        p->lo[nv] = lo;
        p->hi[nv] = hi;
        nv++;
    }
    p->env.n_vars = nv;
    return NT_OK;
}

/* domain: {..., geometry: SHAPE} over the space variables; the box of the variables
 * must contain it (it stays the normalization range). */
static nt_status load_geometry(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    const char *names[NT_GEOM_MAX_DIM];
    int dim = 0;
    for (int v = 0; v < p->env.n_vars; v++) {
        if (v == p->time_var) continue;
        if (dim == NT_GEOM_MAX_DIM)
            return nt_yaml_error(d, n, "a geometry needs 1 to %d space variables (this problem has more)", NT_GEOM_MAX_DIM);
        p->geom_var[dim] = v;
        names[dim++] = p->env.vars[v];
    }
    if (!dim) return nt_yaml_error(d, n, "a geometry needs a space variable (the domain has only time)");
    nt_status st = nt_geom_from_yaml(&p->geom, d, n, dim, names);
    if (st) return st;
    for (int k = 0; k < dim; k++) {
        int v = p->geom_var[k];
        double tol = 1e-12 * (p->hi[v] - p->lo[v]);
        if (p->geom.lo[k] < p->lo[v] - tol || p->geom.hi[k] > p->hi[v] + tol)
            return nt_yaml_error(d, n, "the geometry spans %s in [%g, %g], outside the domain's [%g, %g] (the variables' box must contain the geometry)",
                                 names[k], p->geom.lo[k], p->geom.hi[k], p->lo[v], p->hi[v]);
    }
    p->has_geom = 1;
    return NT_OK;
}

int nt_problem_in_domain(const nt_problem *p, const double *x)
{
    if (!p->has_geom) return 1;
    double y[NT_GEOM_MAX_DIM];
    for (int k = 0; k < p->geom.dim; k++) y[k] = x[p->geom_var[k]];
    return nt_geom_inside(&p->geom, y);
}

void nt_problem_geom_embed(const nt_problem *p, nt_geom_embed *e)
{
    memset(e, 0, sizeof *e);
    e->D = p->env.n_vars;
    for (int k = 0; k < p->geom.dim; k++) e->var[k] = p->geom_var[k];
    for (int v = 0; v < p->env.n_vars; v++) {
        e->lo[v] = p->lo[v];
        e->hi[v] = p->hi[v];
    }
}

static nt_status load_fields(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return nt_yaml_error(d, d->root, "missing 'fields' (e.g. fields: [u])");
    int cnt = n->kind == NT_Y_SCALAR ? 1 : n->n;
    if (n->kind != NT_Y_SCALAR && (n->kind != NT_Y_SEQ || n->n < 1 || n->n > NT_EXPR_MAX_FIELDS))
        return nt_yaml_error(d, n, "'fields' must be a name or a list of 1 to %d names", NT_EXPR_MAX_FIELDS);
    for (int i = 0; i < cnt; i++) {
        const nt_ynode *f = n->kind == NT_Y_SCALAR ? n : n->items[i];
        if (f->kind != NT_Y_SCALAR) return nt_yaml_error(d, f, "a field must be a name");
        nt_status st = check_name(d, f->line, f->col, f->str, "field");
        if (st) return st;
        if (strchr(f->str, '_'))
            return nt_yaml_error(d, f, "field name '%s' must not contain '_' (it starts a derivative, as in u_x)", f->str);
        if (env_has(&p->env, f->str)) return nt_yaml_error(d, f, "'%s' is already defined", f->str);
        snprintf(p->env.fields[i], NT_EXPR_NAME, "%s", f->str);
        p->env.n_fields = i + 1;
    }
    return NT_OK;
}

static nt_status load_constants(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    if (n->kind != NT_Y_MAP) return nt_yaml_error(d, n, "'constants' must be a mapping name: value");
    if (n->n > NT_EXPR_MAX_CONSTS) return nt_yaml_error(d, n, "at most %d constants", NT_EXPR_MAX_CONSTS);
    for (int i = 0; i < n->n; i++) {
        nt_status st = check_name(d, n->key_line[i], n->key_col[i], n->keys[i], "constant");
        if (st) return st;
        if (env_has(&p->env, n->keys[i]))
            return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "'%s' is already defined", n->keys[i]);
        /* a constant may be an expression of earlier constants, e.g. 0.01/pi */
        nt_expr_env ce;
        memset(&ce, 0, sizeof ce);
        ce.n_consts = p->env.n_consts;
        memcpy(ce.consts, p->env.consts, sizeof ce.consts);
        memcpy(ce.const_val, p->env.const_val, sizeof ce.const_val);
        nt_expr e;
        if ((st = parse_expr(d, n->items[i], &ce, "constant", &e))) return st;
        double v = NAN;
        st = nt_expr_eval(&e, 1, NULL, NULL, NULL, &v);
        nt_expr_free(&e);
        if (st || !isfinite(v)) return nt_yaml_error(d, n->items[i], "constant '%s' is not a finite number", n->keys[i]);
        int k = p->env.n_consts++;
        snprintf(p->env.consts[k], NT_EXPR_NAME, "%s", n->keys[i]);
        p->env.const_val[k] = v;
    }
    return NT_OK;
}

static nt_status load_unknowns(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    if (n->kind != NT_Y_MAP) return nt_yaml_error(d, n, "'unknowns' must be a mapping name: initial value (or {init, log, exact})");
    if (n->n > NT_EXPR_MAX_UNKNOWNS) return nt_yaml_error(d, n, "at most %d unknowns", NT_EXPR_MAX_UNKNOWNS);
    for (int i = 0; i < n->n; i++) {
        nt_status st = check_name(d, n->key_line[i], n->key_col[i], n->keys[i], "unknown");
        if (st) return st;
        if (env_has(&p->env, n->keys[i]))
            return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "'%s' is already defined", n->keys[i]);
        const nt_ynode *v = n->items[i];
        int k = p->env.n_unknowns;
        p->unknown_true[k] = NAN;
        p->unknown_log[k] = 0;
        if (v->kind == NT_Y_MAP) {
            static const char *keys[] = {"init", "log", "exact", NULL};
            if ((st = nt_yaml_check_keys(d, v, keys, "unknown"))) return st;
            const nt_ynode *x = nt_ynode_get(v, "init");
            if (!x) return nt_yaml_error(d, v, "unknown '%s' needs an initial value (init: ...)", n->keys[i]);
            if ((st = nt_yaml_double(d, x, "init", &p->unknown_init[k]))) return st;
            if ((x = nt_ynode_get(v, "log")) && (st = nt_yaml_bool(d, x, "log", &p->unknown_log[k]))) return st;
            if ((x = nt_ynode_get(v, "exact")) && (st = nt_yaml_double(d, x, "exact", &p->unknown_true[k]))) return st;
        } else if ((st = nt_yaml_double(d, v, "the initial value", &p->unknown_init[k]))) {
            return st;
        }
        if (p->unknown_log[k] && !(p->unknown_init[k] > 0))
            return nt_yaml_error(d, v, "unknown '%s' with log: true needs a positive initial value", n->keys[i]);
        snprintf(p->env.unknowns[k], NT_EXPR_NAME, "%s", n->keys[i]);
        p->env.n_unknowns = k + 1;
    }
    return NT_OK;
}

/* Parses a 'pde' node (one expression or a list) into out[]; *cnt gets the count. */
static nt_status parse_pde_list(nt_problem *p, const nt_ydoc *d, const nt_ynode *n, nt_expr *out, int *cnt)
{
    const nt_ynode *items[NT_PROB_MAX_PDE];
    int c = 0;
    if (n->kind == NT_Y_SCALAR) {
        items[c++] = n;
    } else if (n->kind == NT_Y_SEQ && n->n >= 1 && n->n <= NT_PROB_MAX_PDE) {
        for (int i = 0; i < n->n; i++) items[c++] = n->items[i];
    } else {
        return nt_yaml_error(d, n, "'pde' must be an expression or a list of 1 to %d expressions", NT_PROB_MAX_PDE);
    }
    for (int i = 0; i < c; i++) {
        nt_status st = parse_expr(d, items[i], &p->env, "pde", &out[i]);
        if (st) return st;
        *cnt = i + 1;
        int u = nt_expr_uses(&out[i]);
        if (u & NT_EXPR_USES_LOGIC)
            return nt_yaml_error(d, items[i], "pde: comparisons and && || cannot be part of a residual");
        if (!(u & NT_EXPR_USES_FIELD))
            return nt_yaml_error(d, items[i], "pde: the residual does not involve any field");
    }
    return NT_OK;
}

static nt_status load_pde(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return nt_yaml_error(d, d->root, "missing 'pde' (e.g. pde: \"u_t + u*u_x - nu*u_xx\")");
    return parse_pde_list(p, d, n, p->pde, &p->n_pde);
}

/* The subset check of a stage's pde: every (field, derivative counts) it uses must
 * appear in the problem's pde. */
typedef struct deriv_match {
    const nt_problem *p;
    int field;
    const int *counts;
    int found, missing;
} deriv_match;

static void deriv_same(void *user, int field, const int *counts)
{
    deriv_match *dm = user;
    if (field == dm->field && !memcmp(counts, dm->counts, NT_EXPR_MAX_VARS * sizeof(int))) dm->found = 1;
}

static void deriv_in_pde(void *user, int field, const int *counts)
{
    deriv_match *dm = user;
    dm->field = field;
    dm->counts = counts;
    dm->found = 0;
    for (int k = 0; k < dm->p->n_pde && !dm->found; k++) nt_expr_visit_fields(&dm->p->pde[k], deriv_same, dm);
    if (!dm->found) dm->missing = 1;
}

/* A stage's 'pde': as many residuals as the problem's, using only derivatives the
 * problem's residuals use (the network's derivative streams are fixed at setup). */
static nt_status load_stage_pde(nt_problem *p, const nt_ydoc *d, const nt_ynode *n, int stage)
{
    int cnt = 0;
    nt_status st = parse_pde_list(p, d, n, p->stage_pde[stage], &cnt);
    if (st) return st;
    p->stage_has_pde[stage] = 1;
    if (cnt != p->n_pde)
        return nt_yaml_error(d, n, "a stage's pde needs %d residual%s, as the problem's 'pde' has", p->n_pde,
                             p->n_pde == 1 ? "" : "s");
    deriv_match dm = {p, 0, NULL, 0, 0};
    for (int k = 0; k < p->n_pde; k++) nt_expr_visit_fields(&p->stage_pde[stage][k], deriv_in_pde, &dm);
    if (dm.missing)
        return nt_yaml_error(d, n, "a stage's pde may only use the field derivatives of the problem's 'pde' "
                                   "(it changes coefficients, not the equation's order)");
    return NT_OK;
}

/* where-clauses: "boundary", "initial", or a disjunction of `var == end`. */
static nt_status add_face(nt_condition *c, const nt_ydoc *d, const nt_ynode *n, int var, int side)
{
    for (int i = 0; i < c->n_faces; i++)
        if (c->faces[i].var == var && c->faces[i].side == side) return NT_OK;
    if (c->n_faces >= NT_PROB_MAX_FACES) return nt_yaml_error(d, n, "too many faces in one condition");
    c->faces[c->n_faces].var = var;
    c->faces[c->n_faces].side = side;
    c->n_faces++;
    return NT_OK;
}

static nt_status where_error(const nt_ydoc *d, const nt_ynode *n, int ecol, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    expr_file_pos(n, ecol, &line, &col);
    return nt_yaml_error_at(d, line, col, "%s", msg);
}

/* A number or a negated number (constants are folded by the parser). */
static int const_value(const nt_expr_node *e, double *out)
{
    if (e->kind == NT_EX_NUM) {
        *out = e->value;
        return 1;
    }
    if (e->kind == NT_EX_NEG && const_value(e->a, out)) {
        *out = -*out;
        return 1;
    }
    return 0;
}

static nt_status where_terms(nt_problem *p, nt_condition *c, const nt_ydoc *d, const nt_ynode *n,
                             const nt_expr_node *e)
{
    if (e->kind == NT_EX_OR) {
        nt_status st = where_terms(p, c, d, n, e->a);
        return st ? st : where_terms(p, c, d, n, e->b);
    }
    const nt_expr_node *v = NULL;
    double num = 0;
    if (e->kind == NT_EX_EQ) {
        if (e->a->kind == NT_EX_VAR && const_value(e->b, &num)) v = e->a;
        else if (e->b->kind == NT_EX_VAR && const_value(e->a, &num)) v = e->b;
    }
    if (!v)
        return where_error(d, n, e->col, "where: expected faces of the domain box such as \"x == -1 || x == 1\", \"boundary\" or \"initial\"");
    double lo = p->lo[v->index], hi = p->hi[v->index], tol = 1e-12 * (hi - lo);
    int side = fabs(num - lo) <= tol ? 0 : fabs(num - hi) <= tol ? 1 : -1;
    if (side < 0)
        return where_error(d, n, e->col, "where: %s == %g is not a face of the domain (%s is in [%g, %g])",
                                p->env.vars[v->index], num, p->env.vars[v->index], lo, hi);
    return add_face(c, d, n, v->index, side);
}

/* The whole where clause is the geometry's boundary (or a part by where_pred). */
static nt_status geom_face(const nt_problem *p, nt_condition *c)
{
    c->n_faces = 1;
    c->faces[0] = (nt_face){p->geom_var[0], 0, 1};
    return NT_OK;
}

static nt_status load_where(nt_problem *p, nt_condition *c, const nt_ydoc *d, const nt_ynode *n)
{
    const char *s;
    nt_status st = nt_yaml_str(d, n, "where", &s);
    if (st) return st;
    if (!strcmp(s, "boundary") && p->has_geom) return geom_face(p, c);
    if (!strcmp(s, "boundary")) {
        for (int v = 0; v < p->env.n_vars; v++) {
            if (v == p->time_var) continue;
            if ((st = add_face(c, d, n, v, 0)) || (st = add_face(c, d, n, v, 1))) return st;
        }
        if (!c->n_faces) return nt_yaml_error(d, n, "where: the domain has no spatial boundary");
        return NT_OK;
    }
    if (!strcmp(s, "initial")) {
        if (p->time_var < 0) return nt_yaml_error(d, n, "where: \"initial\" needs a time variable (name one 't' or set time:)");
        return add_face(c, d, n, p->time_var, 0);
    }
    nt_expr_env ve;
    memset(&ve, 0, sizeof ve);
    ve.n_vars = p->env.n_vars;
    memcpy(ve.vars, p->env.vars, sizeof ve.vars);
    ve.n_consts = p->env.n_consts;
    memcpy(ve.consts, p->env.consts, sizeof ve.consts);
    memcpy(ve.const_val, p->env.const_val, sizeof ve.const_val);
    /* "boundary && PRED": the part of a geometry's boundary where PRED holds */
    const char *r = s;
    while (*r == ' ') r++;
    if (!strncmp(r, "boundary", 8)) {
        r += 8;
        while (*r == ' ') r++;
        if (r[0] == '&' && r[1] == '&') {
            r += 2;
            while (*r == ' ') r++;
            if (!p->has_geom)
                return where_error(d, n, 1, "where: \"boundary && ...\" selects part of the boundary of a geometry (domain: {geometry: ...}); on a box, name the faces, e.g. \"x == -1 || y == 1\"");
            int ecol = 0, off = (int)(r - s);
            if ((st = nt_expr_parse(&c->where_pred, r, &ve, &ecol))) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", nt_error_msg());
                return where_error(d, n, off + (ecol > 0 ? ecol : 1), "in where \"%s\": %s", s, msg);
            }
            return geom_face(p, c);
        }
    }
    nt_expr e;
    if ((st = parse_expr(d, n, &ve, "where", &e))) return st;
    st = where_terms(p, c, d, n, e.root);
    nt_expr_free(&e);
    return st;
}

/* With a geometry: the measure in space of each face of a condition (the boundary,
 * its part in a plane or where a predicate holds, or the interior for a time face);
 * an empty part is an error at the where clause. */
int nt_face_keep(void *user, const double *row)
{
    const nt_face_sel *f = user;
    if (f->var >= 0) {
        double end = f->side ? f->p->hi[f->var] : f->p->lo[f->var];
        return fabs(row[f->var] - end) <= 1e-12 * (f->p->hi[f->var] - f->p->lo[f->var]);
    }
    if (!f->c->where_pred.root) return 1;
    double v = 0;
    return nt_expr_eval(&f->c->where_pred, 1, row, NULL, NULL, &v) == NT_OK && v != 0;
}

static nt_status geom_faces(nt_problem *p, nt_condition *c, const nt_ydoc *d, const nt_ynode *where)
{
    nt_geom_embed e;
    nt_problem_geom_embed(p, &e);
    for (int f = 0; f < c->n_faces; f++) {
        nt_face_sel sel = {p, c, c->faces[f].geom ? -1 : c->faces[f].var, c->faces[f].side};
        if (sel.var >= 0 && sel.var == p->time_var) {
            c->face_measure[f] = p->geom.measure;
            continue;
        }
        nt_status st = nt_geom_boundary_part(&p->geom, &e, nt_face_keep, &sel, 1 << 14, &c->face_measure[f]);
        if (st) return st;
        if (c->face_measure[f] > 0) continue;
        if (sel.var >= 0)
            return nt_yaml_error(d, where, "where: %s == %g is not part of the geometry's boundary (to select a curved part, write e.g. \"boundary && %s < 0\")",
                                 p->env.vars[sel.var], sel.side ? p->hi[sel.var] : p->lo[sel.var], p->env.vars[sel.var]);
        return nt_yaml_error(d, where, "where: no point of the geometry's boundary satisfies \"%s\"", c->where_pred.text);
    }
    return NT_OK;
}

static void face_label(const nt_problem *p, const nt_condition *c, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < c->n_faces && len + 1 < cap; i++) {
        int v = c->faces[i].var;
        if (c->faces[i].geom) { /* the geometry's boundary, "boundary&&PRED" without spaces */
            len += (size_t)snprintf(out + len, cap - len, "%sboundary%s", i ? "|" : "", c->where_pred.text ? "&&" : "");
            for (const char *q = c->where_pred.text; q && *q && len + 1 < cap; q++)
                if (*q != ' ' && *q != '"') out[len++] = *q;
            out[len < cap ? len : cap - 1] = 0;
            continue;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s=%g", i ? "|" : "", p->env.vars[v],
                                c->faces[i].side ? p->hi[v] : p->lo[v]);
    }
}

static nt_status load_condition(nt_problem *p, const nt_ydoc *d, const nt_ynode *n, nt_condition *c)
{
    nt_status st;
    if (n->kind != NT_Y_MAP) return nt_yaml_error(d, n, "a condition must be a mapping, e.g. {where: \"t == 0\", u: \"-sin(pi*x)\"}");
    memset(c, 0, sizeof *c);
    c->line = n->line;
    c->col = n->col;
    c->weight = 1;
    c->n_points = 256;
    c->periodic_order = 1;
    const nt_ynode *x;
    if ((x = nt_ynode_get(n, "weight")) && (st = nt_yaml_double(d, x, "weight", &c->weight))) return st;
    if (!(c->weight >= 0)) return nt_yaml_error(d, x, "weight must be >= 0");
    if ((x = nt_ynode_get(n, "points")) && (st = nt_yaml_int(d, x, "points", 1, 100000000, &c->n_points))) return st;
    if ((x = nt_ynode_get(n, "periodic"))) {
        static const char *keys[] = {"periodic", "derivatives", "weight", "points", NULL};
        if ((st = nt_yaml_check_keys(d, n, keys, "periodic condition"))) return st;
        const char *v;
        if ((st = nt_yaml_str(d, x, "periodic", &v))) return st;
        c->kind = NT_COND_PERIODIC;
        c->periodic_var = -1;
        for (int i = 0; i < p->env.n_vars; i++)
            if (!strcmp(p->env.vars[i], v)) c->periodic_var = i;
        if (c->periodic_var < 0) return nt_yaml_error(d, x, "periodic: '%s' is not a domain variable", v);
        if (p->has_geom && c->periodic_var != p->time_var)
            return nt_yaml_error(d, x, "periodic: '%s' is a coordinate of the domain's geometry (periodic conditions need a box)", v);
        int64_t o = 1;
        if ((x = nt_ynode_get(n, "derivatives")) && (st = nt_yaml_int(d, x, "derivatives", 0, 1, &o))) return st;
        c->periodic_order = (int)o;
        snprintf(c->label, sizeof c->label, "periodic %s", v);
        return NT_OK;
    }
    const nt_ynode *where = nt_ynode_get(n, "where");
    if (!where) return nt_yaml_error(d, n, "a condition needs 'where' (e.g. where: \"t == 0\") or 'periodic'");
    if ((st = load_where(p, c, d, where))) return st;
    if (p->has_geom && (st = geom_faces(p, c, d, where))) return st;
    /* the target: exactly one field key (u, u_t, u_n, ...) or `residual` */
    int found = 0;
    char text[1024], flab[48];
    for (int i = 0; i < n->n; i++) {
        const char *k = n->keys[i];
        if (!strcmp(k, "where") || !strcmp(k, "weight") || !strcmp(k, "points")) continue;
        if (found)
            return nt_yaml_error_at(d, n->key_line[i], n->key_col[i],
                                    "a condition sets one target; '%s' is a second one (write two conditions)", k);
        found = 1;
        nt_expr tgt;
        int is_residual = !strcmp(k, "residual");
        if (!is_residual) {
            int ecol;
            if (nt_expr_parse(&tgt, k, &p->cond_env, &ecol) != NT_OK)
                return nt_yaml_error_at(d, n->key_line[i], n->key_col[i],
                                        "unknown key '%s' in condition (expected where, weight, points, periodic, residual, or a field or derivative such as %s, %s_t, %s_n): %s",
                                        k, p->env.fields[0], p->env.fields[0], p->env.fields[0], nt_error_msg());
            int simple = tgt.root->kind == NT_EX_FIELD;
            nt_expr_free(&tgt);
            if (!simple)
                return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "condition key '%s' must be a field or one derivative of it", k);
        }
        nt_expr val;
        if ((st = parse_expr(d, n->items[i], &p->cond_env, is_residual ? "residual" : "condition value", &val))) return st;
        int u = nt_expr_uses(&val);
        nt_expr_free(&val);
        if (u & NT_EXPR_USES_LOGIC) return nt_yaml_error(d, n->items[i], "comparisons and && || cannot be part of a condition value");
        if (is_residual) snprintf(text, sizeof text, "%s", n->items[i]->str);
        else snprintf(text, sizeof text, "(%s) - (%s)", k, n->items[i]->str);
        int ecol;
        if ((st = nt_expr_parse(&c->residual, text, &p->cond_env, &ecol)))
            return nt_yaml_error(d, n->items[i], "%s", nt_error_msg());
        face_label(p, c, flab, sizeof flab);
        snprintf(c->label, sizeof c->label, "%s(%s)", is_residual ? "r" : k, flab);
    }
    if (!found) return nt_yaml_error(d, n, "the condition sets no target (e.g. u: 0, u_n: 0 or residual: \"u_n + u\")");
    /* the normal derivative is first order and alone */
    int nv = p->env.n_vars, bad = 0;
    for (int i = 0; i < c->residual.n_nodes; i++) {
        const nt_expr_node *e = &c->residual.pool[i];
        if (e->kind == NT_EX_VAR && e->index == nv) bad = 1;
        if (e->kind == NT_EX_FIELD && e->counts[nv]) {
            int o = 0;
            for (int v = 0; v <= nv; v++) o += e->counts[v];
            if (o != 1) bad = 2;
        }
    }
    if (bad == 1) return nt_yaml_error(d, n, "'n' names the outward normal and can only appear in a derivative such as u_n");
    if (bad == 2) return nt_yaml_error(d, n, "only the first normal derivative (u_n) is supported");
    return NT_OK;
}

static nt_status load_conditions(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    if (n->kind != NT_Y_SEQ) return nt_yaml_error(d, n, "'conditions' must be a list");
    if (n->n > NT_PROB_MAX_COND) return nt_yaml_error(d, n, "at most %d conditions", NT_PROB_MAX_COND);
    for (int i = 0; i < n->n; i++) {
        nt_status st = load_condition(p, d, n->items[i], &p->cond[i]);
        p->n_cond = i + 1;
        if (st) return st;
    }
    return NT_OK;
}

static nt_status load_data(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    static const char *keys[] = {"file", "from", "points", "noise", "weight", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "data");
    if (st) return st;
    const nt_ynode *f = nt_ynode_get(n, "file"), *fr = nt_ynode_get(n, "from"), *x;
    const char *s;
    if (f && fr) return nt_yaml_error(d, fr, "data takes 'file' or 'from: reference', not both");
    if (fr) {
        if ((st = nt_yaml_str(d, fr, "from", &s))) return st;
        if (strcmp(s, "reference")) return nt_yaml_error(d, fr, "data: from must be 'reference' (observations drawn from the problem's reference)");
        p->data_from_ref = 1;
    } else {
        if (!f) return nt_yaml_error(d, n, "data needs 'file' (a CSV with columns named like the domain variables and fields) or 'from: reference'");
        if ((st = nt_yaml_str(d, f, "file", &s))) return st;
        resolve(p->dir, s, p->data_path, sizeof p->data_path);
        if ((st = file_exists(d, f, p->data_path, "data file"))) return st;
    }
    if ((x = nt_ynode_get(n, "points")) && (st = nt_yaml_int(d, x, "points", 1, INT64_MAX / 2, &p->data_points))) return st;
    if ((x = nt_ynode_get(n, "noise")) && (st = nt_yaml_double(d, x, "noise", &p->data_noise))) return st;
    if (!(p->data_noise >= 0)) return nt_yaml_error(d, x, "noise must be >= 0");
    if ((x = nt_ynode_get(n, "weight")) && (st = nt_yaml_double(d, x, "weight", &p->data_weight))) return st;
    return NT_OK;
}

static nt_status const_expr(nt_problem *p, const nt_ydoc *d, const nt_ynode *x, const char *what, double *out);

/* model: {type, width, depth, blocks, degree, activation, fourier, periodic, rwf,
 * gaussians} (docs/problem-files.md, "Architectures"); the network is built by
 * nt_net_init in pinn.c. */
static nt_status load_model(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    static const char *keys[] = {"type", "width", "depth", "blocks", "degree", "activation", "fourier",
                                 "periodic", "rwf", "gaussians", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "model");
    if (st) return st;
    const nt_ynode *x, *type = NULL;
    const char *s;
    if ((x = type = nt_ynode_get(n, "type"))) {
        if ((st = nt_yaml_str(d, x, "type", &s))) return st;
        if (!strcmp(s, "mlp")) p->net_type = NT_NET_MLP;
        else if (!strcmp(s, "modified_mlp")) p->net_type = NT_NET_MODIFIED_MLP;
        else if (!strcmp(s, "pirate")) p->net_type = NT_NET_PIRATE;
        else if (!strcmp(s, "kan")) p->net_type = NT_NET_KAN;
        else return nt_yaml_error(d, x, "model type '%s' is not available (available: mlp, modified_mlp); also pirate (PirateNet) and kan (Chebyshev KAN)", s);
    }
    int pirate = p->net_type == NT_NET_PIRATE, kan = p->net_type == NT_NET_KAN;
    int64_t v;
    if ((x = nt_ynode_get(n, "width"))) {
        if ((st = nt_yaml_int(d, x, "width", 1, 4096, &v))) return st;
        p->width = (int)v;
    }
    const nt_ynode *bl = nt_ynode_get(n, "blocks");
    if (bl && !pirate) return nt_yaml_error(d, bl, "'blocks' applies to type: pirate (other networks take 'depth')");
    if ((x = nt_ynode_get(n, "depth"))) {
        if (bl) return nt_yaml_error(d, x, "pirate takes 'blocks' or 'depth' (the same thing), not both");
        if ((st = nt_yaml_int(d, x, "depth", 1, 60, &v))) return st;
        if (pirate && v > NT_NET_MAX_BLOCKS)
            return nt_yaml_error(d, x, "pirate depth (blocks) must be at most %d", NT_NET_MAX_BLOCKS);
        p->depth = (int)v;
    } else if (bl) {
        if ((st = nt_yaml_int(d, bl, "blocks", 1, NT_NET_MAX_BLOCKS, &v))) return st;
        p->depth = (int)v;
        x = bl;
    } else if (pirate) {
        p->depth = 3; /* the paper's usual number of blocks */
    }
    if (p->net_type == NT_NET_MODIFIED_MLP && p->depth < 2)
        return nt_yaml_error(d, x ? x : type, "modified_mlp needs depth >= 2 (hidden layers; depth - 1 gates)");
    if ((x = nt_ynode_get(n, "degree"))) {
        if (!kan) return nt_yaml_error(d, x, "'degree' applies to type: kan");
        if ((st = nt_yaml_int(d, x, "degree", 1, NT_NET_MAX_DEGREE, &v))) return st;
        p->kan_degree = (int)v;
    } else if (kan) {
        p->kan_degree = 5;
    }
    if ((x = nt_ynode_get(n, "activation"))) {
        if ((st = nt_yaml_str(d, x, "activation", &s))) return st;
        if (nt_act_parse(s, &p->act) != NT_OK || p->act == NT_ACT_IDENTITY)
            return nt_yaml_error(d, x, "unknown activation '%s' (tanh, sin, cos, sigmoid, gelu, swish, exp)", s);
        if (kan && p->act != NT_ACT_TANH)
            return nt_yaml_error(d, x, "kan squashes its inputs with tanh and takes no other activation");
    }
    const nt_ynode *b;
    if ((b = nt_ynode_get(n, "fourier"))) {
        static const char *fk[] = {"features", "scale", NULL};
        if ((st = nt_yaml_check_keys(d, b, fk, "fourier"))) return st;
        p->fourier_features = 128;
        p->fourier_scale = 1.0;
        if ((x = nt_ynode_get(b, "features"))) {
            if ((st = nt_yaml_int(d, x, "features", 1, NT_NET_MAX_FEATURES, &v))) return st;
            p->fourier_features = (int)v;
        }
        if ((x = nt_ynode_get(b, "scale"))) {
            if ((st = nt_yaml_double(d, x, "scale", &p->fourier_scale))) return st;
            if (!(p->fourier_scale > 0)) return nt_yaml_error(d, x, "fourier scale must be > 0");
        }
    }
    if ((b = nt_ynode_get(n, "periodic"))) {
        if (b->kind != NT_Y_MAP || b->n < 1)
            return nt_yaml_error(d, b, "periodic must map variables to {period: P, harmonics: K}, e.g. {x: {period: 2}}");
        for (int i = 0; i < b->n; i++) {
            int var = -1;
            for (int k = 0; k < p->env.n_vars; k++)
                if (!strcmp(p->env.vars[k], b->keys[i])) var = k;
            if (var < 0)
                return nt_yaml_error_at(d, b->key_line[i], b->key_col[i], "periodic: '%s' is not a domain variable",
                                        b->keys[i]);
            const nt_ynode *e = b->items[i];
            static const char *pk[] = {"period", "harmonics", "parity", NULL};
            if ((st = nt_yaml_check_keys(d, e, pk, "a periodic embedding"))) return st;
            if (!(x = nt_ynode_get(e, "period")))
                return nt_yaml_error(d, e, "periodic embedding of '%s' needs 'period' (in the variable's units)", b->keys[i]);
            double per;
            if ((st = const_expr(p, d, x, "period", &per))) return st;
            if (!(per > 0)) return nt_yaml_error(d, x, "period must be > 0");
            p->period[var] = per;
            p->harmonics[var] = 1;
            if ((x = nt_ynode_get(e, "harmonics"))) {
                if ((st = nt_yaml_int(d, x, "harmonics", 1, NT_NET_MAX_HARMONICS, &v))) return st;
                p->harmonics[var] = (int)v;
            }
            if ((x = nt_ynode_get(e, "parity"))) {
                const char *ps;
                if ((st = nt_yaml_str(d, x, "parity", &ps))) return st;
                if (!strcmp(ps, "odd")) p->parity[var] = -1;
                else if (!strcmp(ps, "even")) p->parity[var] = 1;
                else if (!strcmp(ps, "none")) p->parity[var] = 0;
                else return nt_yaml_error(d, x, "parity must be odd, even or none");
                if (p->parity[var] < 0 && pirate)
                    return nt_yaml_error(d, x, "odd parity is not available with a pirate network (its "
                                               "initialization fits the output layer to the initial condition)");
            }
        }
    }
    if ((b = nt_ynode_get(n, "rwf"))) {
        static const char *rk[] = {"mu", "sigma", NULL};
        if ((st = nt_yaml_check_keys(d, b, rk, "rwf"))) return st;
        p->rwf = 1;
        p->rwf_mu = 1.0;
        p->rwf_sigma = 0.1;
        if ((x = nt_ynode_get(b, "mu")) && (st = nt_yaml_double(d, x, "mu", &p->rwf_mu))) return st;
        if ((x = nt_ynode_get(b, "sigma"))) {
            if ((st = nt_yaml_double(d, x, "sigma", &p->rwf_sigma))) return st;
            if (!(p->rwf_sigma >= 0)) return nt_yaml_error(d, x, "rwf sigma must be >= 0");
        }
        if (kan) return nt_yaml_error(d, b, "rwf is not available with type: kan (it has no dense layers)");
    }
    if ((b = nt_ynode_get(n, "gaussians"))) {
        if (b->kind != NT_Y_MAP) return nt_yaml_error(d, b, "gaussians must be a mapping {count: M, sigma: s}");
        static const char *gk[] = {"count", "sigma", NULL};
        if ((st = nt_yaml_check_keys(d, b, gk, "gaussians"))) return st;
        p->gaussians = 64;
        p->gauss_sigma = 0.1;
        if ((x = nt_ynode_get(b, "count"))) {
            if ((st = nt_yaml_int(d, x, "count", 1, NT_NET_MAX_GAUSSIANS, &v))) return st;
            p->gaussians = (int)v;
        }
        if ((x = nt_ynode_get(b, "sigma"))) {
            if ((st = nt_yaml_double(d, x, "sigma", &p->gauss_sigma))) return st;
            if (!(p->gauss_sigma > 0 && isfinite(p->gauss_sigma)))
                return nt_yaml_error(d, x, "gaussians sigma must be > 0");
        }
        int per = 0;
        for (int k = 0; k < p->env.n_vars; k++) per |= p->period[k] > 0;
        if (p->fourier_features > 0 || per)
            return nt_yaml_error(d, b, "gaussians replace the input embedding and cannot be combined with %s",
                                 per ? "periodic" : "fourier");
    }
    /* PirateNets always use an embedding: Fourier features with their defaults if none is given */
    if (pirate && !p->gaussians && !p->fourier_features) {
        int per = 0;
        for (int k = 0; k < p->env.n_vars; k++) per |= p->period[k] > 0;
        if (!per) {
            p->fourier_features = 128;
            p->fourier_scale = 1.0;
        }
    }
    return NT_OK;
}

const char *nt_stage_name(const nt_stage *s)
{
    static const char *names[] = {"adam", "lbfgs", "multiadam", "config", "soap"};
    if (s->kind == NT_STAGE_LBFGS) return nt_qn_update_name(s->qn);
    return (unsigned)s->kind < sizeof names / sizeof names[0] ? names[s->kind] : "?";
}

static nt_status load_stage(nt_problem *p, const nt_ydoc *d, const nt_ynode *n, nt_stage *s)
{
    static const char *keys[] = {"optimizer", "steps", "lr", "decay_rate", "decay_every", "warmup", "history", "resample_every", "pde", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "stage");
    if (st) return st;
    const nt_ynode *x = nt_ynode_get(n, "optimizer");
    if (!x) return nt_yaml_error(d, n, "a stage needs 'optimizer' (adam, multiadam, config, soap, lbfgs, bfgs, ssbfgs or ssbroyden)");
    const char *o;
    if ((st = nt_yaml_str(d, x, "optimizer", &o))) return st;
    memset(s, 0, sizeof *s);
    s->lr = 1e-3;
    s->decay_rate = 1;
    s->decay_every = 1000;
    s->history = 50;
    if (!strcmp(o, "adam")) s->kind = NT_STAGE_ADAM;
    else if (!strcmp(o, "lbfgs") || !strcmp(o, "l-bfgs")) s->kind = NT_STAGE_LBFGS;
    else if (!strcmp(o, "bfgs")) s->kind = NT_STAGE_LBFGS, s->qn = NT_QN_BFGS;
    else if (!strcmp(o, "ssbfgs")) s->kind = NT_STAGE_LBFGS, s->qn = NT_QN_SSBFGS;
    else if (!strcmp(o, "ssbroyden")) s->kind = NT_STAGE_LBFGS, s->qn = NT_QN_SSBROYDEN;
    else if (!strcmp(o, "multiadam")) s->kind = NT_STAGE_MULTIADAM;
    else if (!strcmp(o, "config")) s->kind = NT_STAGE_CONFIG;
    else if (!strcmp(o, "soap")) s->kind = NT_STAGE_SOAP;
    else return nt_yaml_error(d, x, "unknown optimizer '%s' (adam, multiadam, config, soap, lbfgs, bfgs, ssbfgs, ssbroyden)", o);
    if (!(x = nt_ynode_get(n, "steps"))) return nt_yaml_error(d, n, "a stage needs 'steps'");
    if ((st = nt_yaml_int(d, x, "steps", 0, INT64_MAX / 4, &s->steps))) return st;
    if ((x = nt_ynode_get(n, "lr")) && (st = nt_yaml_double(d, x, "lr", &s->lr))) return st;
    if (!(s->lr > 0)) return nt_yaml_error(d, x, "lr must be > 0");
    if ((x = nt_ynode_get(n, "decay_rate")) && (st = nt_yaml_double(d, x, "decay_rate", &s->decay_rate))) return st;
    if (!(s->decay_rate > 0 && s->decay_rate <= 1)) return nt_yaml_error(d, x, "decay_rate must be in (0, 1]");
    if ((x = nt_ynode_get(n, "decay_every")) && (st = nt_yaml_int(d, x, "decay_every", 1, INT64_MAX / 4, &s->decay_every))) return st;
    if ((x = nt_ynode_get(n, "warmup")) && (st = nt_yaml_int(d, x, "warmup", 0, INT64_MAX / 4, &s->warmup))) return st;
    int64_t h;
    if ((x = nt_ynode_get(n, "history"))) {
        if (s->kind != NT_STAGE_LBFGS || s->qn != NT_QN_LBFGS)
            return nt_yaml_error(d, x, "history is for lbfgs (%s keeps no history)", o);
        if ((st = nt_yaml_int(d, x, "history", 1, 1000, &h))) return st;
        s->history = (int)h;
    }
    if ((x = nt_ynode_get(n, "resample_every"))) {
        if (s->kind != NT_STAGE_LBFGS)
            return nt_yaml_error(d, x, "resample_every in a stage is for lbfgs; first-order stages use train.resample_every");
        if ((st = nt_yaml_int(d, x, "resample_every", 1, INT64_MAX / 4, &s->resample_every))) return st;
    }
    if (s->kind == NT_STAGE_LBFGS && (nt_ynode_get(n, "lr") || nt_ynode_get(n, "decay_rate") || nt_ynode_get(n, "warmup")))
        return nt_yaml_error(d, n, "%s takes no learning rate (it uses a line search)", o);
    if ((x = nt_ynode_get(n, "pde")) && (st = load_stage_pde(p, d, x, (int)(s - p->stages)))) return st;
    return NT_OK;
}

/* A positive number (> 0, or >= 0 with zero_ok). */
static nt_status pos_double(const nt_ydoc *d, const nt_ynode *x, const char *what, int zero_ok, double *out)
{
    nt_status st = nt_yaml_double(d, x, what, out);
    if (st) return st;
    if (!(zero_ok ? *out >= 0 : *out > 0) || !isfinite(*out))
        return nt_yaml_error(d, x, "%s must be %s", what, zero_ok ? ">= 0" : "> 0");
    return NT_OK;
}

/* train.causal: {slices, epsilon (a number or a list: the schedule), tol} */
static nt_status load_causal(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    static const char *keys[] = {"slices", "epsilon", "tol", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "causal");
    if (st) return st;
    if (p->time_var < 0) return nt_yaml_error(d, n, "causal weighting needs a time variable (domain: {t: [a, b], ...})");
    const nt_ynode *x;
    int64_t v;
    p->causal_slices = 32;
    p->causal_n_eps = 1;
    p->causal_eps[0] = 1.0;
    p->causal_tol = 0.99;
    if ((x = nt_ynode_get(n, "slices"))) {
        if ((st = nt_yaml_int(d, x, "slices", 2, 1024, &v))) return st;
        p->causal_slices = (int)v;
    }
    if ((x = nt_ynode_get(n, "epsilon"))) {
        if (x->kind == NT_Y_SEQ) {
            if (x->n < 1 || x->n > NT_PROB_MAX_EPS)
                return nt_yaml_error(d, x, "epsilon: give 1 to %d values (the schedule)", NT_PROB_MAX_EPS);
            for (int i = 0; i < x->n; i++) {
                if ((st = pos_double(d, x->items[i], "epsilon", 0, &p->causal_eps[i]))) return st;
                if (i && !(p->causal_eps[i] > p->causal_eps[i - 1]))
                    return nt_yaml_error(d, x->items[i], "the epsilon schedule must increase");
            }
            p->causal_n_eps = x->n;
        } else if ((st = pos_double(d, x, "epsilon", 0, &p->causal_eps[0]))) {
            return st;
        }
    }
    if ((x = nt_ynode_get(n, "tol"))) {
        if ((st = nt_yaml_double(d, x, "tol", &p->causal_tol))) return st;
        if (!(p->causal_tol > 0 && p->causal_tol <= 1)) return nt_yaml_error(d, x, "tol must be in (0, 1]");
    }
    return NT_OK;
}

/* train.weighting: {method, every, alpha, probes, lr, gamma, eta} */
static nt_status load_weighting(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    static const char *keys[] = {"method", "every", "alpha", "probes", "lr", "gamma", "eta", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "weighting");
    if (st) return st;
    const nt_ynode *x = nt_ynode_get(n, "method");
    const char *s;
    int64_t v;
    if (!x) return nt_yaml_error(d, n, "weighting needs 'method' (fixed, gradnorm, ntk, self_adaptive, rba)");
    if ((st = nt_yaml_str(d, x, "method", &s))) return st;
    if (!strcmp(s, "fixed")) p->weighting = NT_WEIGHT_FIXED;
    else if (!strcmp(s, "gradnorm") || !strcmp(s, "grad_norm")) p->weighting = NT_WEIGHT_GRADNORM;
    else if (!strcmp(s, "ntk")) p->weighting = NT_WEIGHT_NTK;
    else if (!strcmp(s, "self_adaptive") || !strcmp(s, "sa")) p->weighting = NT_WEIGHT_SA;
    else if (!strcmp(s, "rba")) p->weighting = NT_WEIGHT_RBA;
    else return nt_yaml_error(d, x, "unknown weighting '%s' (fixed, gradnorm, ntk, self_adaptive, rba)", s);
    int global = p->weighting == NT_WEIGHT_GRADNORM || p->weighting == NT_WEIGHT_NTK;
    int point = p->weighting == NT_WEIGHT_SA || p->weighting == NT_WEIGHT_RBA;
    static const struct { const char *key; int ok; } only[] = {{"every", 1}, {"alpha", 1}, {"probes", 2}, {"lr", 3}, {"gamma", 4}, {"eta", 4}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        int ok = only[i].ok == 1 ? global : only[i].ok == 2 ? p->weighting == NT_WEIGHT_NTK
                 : only[i].ok == 3 ? p->weighting == NT_WEIGHT_SA : p->weighting == NT_WEIGHT_RBA;
        if ((x = nt_ynode_get(n, only[i].key)) && !ok)
            return nt_yaml_error(d, x, "'%s' does not apply to weighting '%s'", only[i].key, s);
    }
    (void)point;
    if ((x = nt_ynode_get(n, "every")) && (st = nt_yaml_int(d, x, "every", 1, INT64_MAX / 4, &p->weighting_every))) return st;
    if ((x = nt_ynode_get(n, "alpha"))) {
        if ((st = nt_yaml_double(d, x, "alpha", &p->weighting_alpha))) return st;
        if (!(p->weighting_alpha >= 0 && p->weighting_alpha < 1)) return nt_yaml_error(d, x, "alpha must be in [0, 1)");
    }
    if ((x = nt_ynode_get(n, "probes"))) {
        if ((st = nt_yaml_int(d, x, "probes", 1, 1024, &v))) return st;
        p->ntk_probes = (int)v;
    }
    if ((x = nt_ynode_get(n, "lr")) && (st = pos_double(d, x, "lr", 0, &p->sa_lr))) return st;
    if ((x = nt_ynode_get(n, "gamma"))) {
        if ((st = nt_yaml_double(d, x, "gamma", &p->rba_gamma))) return st;
        if (!(p->rba_gamma >= 0 && p->rba_gamma < 1)) return nt_yaml_error(d, x, "gamma must be in [0, 1)");
    }
    if ((x = nt_ynode_get(n, "eta")) && (st = pos_double(d, x, "eta", 0, &p->rba_eta))) return st;
    return NT_OK;
}

/* train.adaptive: {method: rad | r3 | rar | causal_r3, every, candidates, k, c, add, max_points,
 * alpha, gamma, eta, epsilon} */
static nt_status load_adaptive(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    static const char *keys[] = {"method", "every", "candidates", "k", "c", "add", "max_points",
                                 "alpha", "gamma", "eta", "epsilon", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "adaptive");
    if (st) return st;
    const nt_ynode *x = nt_ynode_get(n, "method");
    const char *s;
    if (!x) return nt_yaml_error(d, n, "adaptive needs 'method' (rad, r3, rar, causal_r3)");
    if ((st = nt_yaml_str(d, x, "method", &s))) return st;
    if (!strcmp(s, "rad")) p->adaptive = NT_ADAPT_RAD;
    else if (!strcmp(s, "r3")) p->adaptive = NT_ADAPT_R3;
    else if (!strcmp(s, "rar")) p->adaptive = NT_ADAPT_RAR;
    else if (!strcmp(s, "causal_r3")) p->adaptive = NT_ADAPT_CR3;
    else return nt_yaml_error(d, x, "unknown adaptive sampling '%s' (rad, r3, rar, causal_r3)", s);
    static const struct { const char *key; unsigned ok; } only[] = {
        {"candidates", 1u << NT_ADAPT_RAD | 1u << NT_ADAPT_RAR}, {"k", 1u << NT_ADAPT_RAD}, {"c", 1u << NT_ADAPT_RAD},
        {"add", 1u << NT_ADAPT_RAR}, {"max_points", 1u << NT_ADAPT_RAR}, {"alpha", 1u << NT_ADAPT_CR3},
        {"gamma", 1u << NT_ADAPT_CR3}, {"eta", 1u << NT_ADAPT_CR3}, {"epsilon", 1u << NT_ADAPT_CR3}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
        if ((x = nt_ynode_get(n, only[i].key)) && !(only[i].ok & (1u << p->adaptive)))
            return nt_yaml_error(d, x, "'%s' does not apply to adaptive sampling '%s'", only[i].key, s);
    if ((x = nt_ynode_get(n, "every")) && (st = nt_yaml_int(d, x, "every", 1, INT64_MAX / 4, &p->adaptive_every))) return st;
    if ((x = nt_ynode_get(n, "candidates")) && (st = nt_yaml_int(d, x, "candidates", 1, 100000000, &p->adaptive_candidates))) return st;
    if ((x = nt_ynode_get(n, "k")) && (st = pos_double(d, x, "k", 1, &p->rad_k))) return st;
    if ((x = nt_ynode_get(n, "c")) && (st = pos_double(d, x, "c", 1, &p->rad_c))) return st;
    if ((x = nt_ynode_get(n, "add")) && (st = nt_yaml_int(d, x, "add", 1, 100000000, &p->rar_add))) return st;
    if ((x = nt_ynode_get(n, "max_points")) && (st = nt_yaml_int(d, x, "max_points", 1, 100000000, &p->rar_max))) return st;
    if ((x = nt_ynode_get(n, "alpha")) && (st = pos_double(d, x, "alpha", 0, &p->cr3_alpha))) return st;
    if ((x = nt_ynode_get(n, "gamma")) && (st = nt_yaml_double(d, x, "gamma", &p->cr3_gamma))) return st;
    if ((x = nt_ynode_get(n, "eta")) && (st = pos_double(d, x, "eta", 0, &p->cr3_eta))) return st;
    if ((x = nt_ynode_get(n, "epsilon")) && (st = pos_double(d, x, "epsilon", 1, &p->cr3_eps))) return st;
    if (p->adaptive == NT_ADAPT_CR3 && p->time_var < 0)
        return nt_yaml_error(d, n, "causal_r3 needs a time variable");
    return NT_OK;
}

/* train.time_marching: {windows, steps} */
static nt_status load_marching(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    static const char *keys[] = {"windows", "steps", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "time_marching");
    if (st) return st;
    if (p->time_var < 0) return nt_yaml_error(d, n, "time marching needs a time variable");
    const nt_ynode *x;
    int64_t v;
    if (!(x = nt_ynode_get(n, "windows"))) return nt_yaml_error(d, n, "time_marching needs 'windows'");
    if ((st = nt_yaml_int(d, x, "windows", 1, 1000, &v))) return st;
    p->tm_windows = (int)v;
    if (!(x = nt_ynode_get(n, "steps"))) return nt_yaml_error(d, n, "time_marching needs 'steps' (Adam steps per window)");
    return nt_yaml_int(d, x, "steps", 1, INT64_MAX / 4, &p->tm_steps);
}

/* train.time_windows: K (sequence-to-sequence time marching, src/pinn/windows.h).
 * Called after the other train keys: it refuses the combinations it cannot honour. */
static nt_status load_windows(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    int64_t v;
    nt_status st;
    const nt_ynode *cont = NULL, *mn = NULL, *top = n;
    p->tw_modes = 256;
    if (n->kind == NT_Y_MAP) { /* {count: K, continuity: soft | hard, modes: M} */
        static const char *keys[] = {"count", "continuity", "modes", NULL};
        if ((st = nt_yaml_check_keys(d, n, keys, "time_windows"))) return st;
        const nt_ynode *c = nt_ynode_get(n, "count");
        if (!c) return nt_yaml_error(d, n, "time_windows needs 'count' (the number of windows)");
        cont = nt_ynode_get(n, "continuity");
        mn = nt_ynode_get(n, "modes");
        n = c;
    }
    st = nt_yaml_int(d, n, "time_windows", 1, 64, &v);
    if (st) return st;
    p->tw_windows = v > 1 ? (int)v : 0;
    if (cont) {
        const char *s;
        if ((st = nt_yaml_str(d, cont, "continuity", &s))) return st;
        if (!strcmp(s, "hard")) p->tw_hard = 1;
        else if (strcmp(s, "soft")) return nt_yaml_error(d, cont, "continuity must be soft or hard");
    }
    if (mn) {
        if ((st = nt_yaml_int(d, mn, "modes", 16, 4096, &v))) return st;
        if (v % 2) return nt_yaml_error(d, mn, "modes must be even (the samples of the window's initial state)");
        if (!p->tw_hard) return nt_yaml_error(d, mn, "modes belongs to continuity: hard");
        p->tw_modes = (int)v;
    }
    if (!p->tw_windows) {
        if (p->tw_hard) return nt_yaml_error(d, cont, "continuity: hard needs at least 2 windows");
        return NT_OK;
    }
    n = top;
    if (p->time_var < 0) return nt_yaml_error(d, n, "time_windows needs a time variable");
    if (p->tm_windows) return nt_yaml_error(d, n, "time_windows cannot be combined with time_marching (choose one way to march in time)");
    if (p->ms_stages > 1) return nt_yaml_error(d, n, "time_windows cannot be combined with multistage");
    if (p->n_output)
        return nt_yaml_error(d, n, "time_windows cannot be combined with output transforms: a hard initial condition holds "
                                   "at the first window's start only");
    if (p->data_path[0] || p->data_from_ref || p->env.n_unknowns)
        return nt_yaml_error(d, n, "time_windows does not support observations or unknowns (inverse problems)");
    int initial = 0;
    for (int c = 0; c < p->n_cond; c++) {
        const nt_condition *cd = &p->cond[c];
        if (cd->kind != NT_COND_EXPR) continue;
        for (int f = 0; f < cd->n_faces; f++) {
            if (cd->faces[f].geom || cd->faces[f].var != p->time_var) continue;
            if (cd->faces[f].side)
                return nt_yaml_error_at(d, cd->line, cd->col, "time_windows: a condition at the end of time (%s) cannot be "
                                        "split into windows", cd->label);
            initial = 1;
        }
    }
    if (!initial)
        return nt_yaml_error(d, n, "time_windows needs an initial condition ({where: initial, ...}): each window starts "
                                   "from the previous one's values through it");
    if (p->tw_hard) {
        /* G_k is a Fourier series in the one space variable: the network must be exactly
         * periodic in it (the periodic embedding) */
        int xv = -1, ns = 0;
        for (int k = 0; k < p->env.n_vars; k++)
            if (k != p->time_var) {
                xv = k;
                ns++;
            }
        if (ns != 1 || p->has_geom)
            return nt_yaml_error(d, cont, "continuity: hard needs one space variable besides time (the window's "
                                          "initial state is a Fourier series in it)");
        if (!(p->period[xv] > 0) || fabs(p->period[xv] - (p->hi[xv] - p->lo[xv])) > 1e-12 * p->period[xv])
            return nt_yaml_error(d, cont, "continuity: hard needs the exact periodic embedding of %s over its whole "
                                          "interval (model: {periodic: {%s: {period: %g}}})",
                                 p->env.vars[xv], p->env.vars[xv], p->hi[xv] - p->lo[xv]);
        p->tw_space_var = xv;
    }
    return NT_OK;
}

/* train.multistage: {stages: K, kappa: auto | κ, epsilon: auto | ε, activation: sin | same | name}
 * (multi-stage networks, src/pinn/mstage.h) */
static nt_status load_multistage(nt_problem *p, const nt_ydoc *d, const nt_ynode *n, const nt_ynode *train)
{
    static const char *keys[] = {"stages", "kappa", "epsilon", "activation", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "multistage");
    if (st) return st;
    const nt_ynode *x;
    int64_t v;
    if (!(x = nt_ynode_get(n, "stages"))) return nt_yaml_error(d, n, "multistage needs 'stages' (the number of networks, 1 to 8; 1 = off)");
    if ((st = nt_yaml_int(d, x, "stages", 1, 8, &v))) return st;
    p->ms_stages = (int)v;
    static const char *num[2] = {"kappa", "epsilon"};
    double *dst[2] = {&p->ms_kappa, &p->ms_eps};
    for (int i = 0; i < 2; i++) {
        if (!(x = nt_ynode_get(n, num[i]))) continue;
        if (x->kind == NT_Y_SCALAR && x->str && !strcmp(x->str, "auto")) continue;
        if (nt_yaml_double(d, x, num[i], dst[i]) || !(*dst[i] > 0) || !isfinite(*dst[i]))
            return nt_yaml_error(d, x, "%s must be auto or a number > 0", num[i]);
    }
    p->ms_act = NT_ACT_SIN; /* the paper's choice for the correction networks */
    p->ms_act_set = 1;
    if ((x = nt_ynode_get(n, "activation"))) {
        const char *s;
        if ((st = nt_yaml_str(d, x, "activation", &s))) return st;
        if (!strcmp(s, "same")) p->ms_act_set = 0;
        else if (nt_act_parse(s, &p->ms_act)) return nt_yaml_error(d, x, "%s (or same: the model's)", nt_error_msg());
    }
    if (p->ms_stages > 1 && p->dtype != NT_F64) {
        const nt_ynode *dt = nt_ynode_get(train, "dtype");
        return nt_yaml_error(d, dt ? dt : n, "multistage training needs dtype float64 (its later stages fit residues "
                                             "far below float32's resolution)");
    }
    if (p->ms_stages > 1 && p->env.n_unknowns)
        return nt_yaml_error(d, n, "multistage training does not support unknowns (inverse problems)");
    return NT_OK;
}

static nt_status load_train(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    static const char *keys[] = {"dtype", "seed", "points", "sampler", "resample_every", "chunk", "stages",
                                 "log_every", "eval_every", "checkpoint_every", "causal", "weighting",
                                 "adaptive", "time_marching", "time_windows", "multistage", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "train");
    if (st) return st;
    const nt_ynode *x;
    const char *s;
    int64_t v;
    if ((x = nt_ynode_get(n, "dtype"))) {
        if ((st = nt_yaml_str(d, x, "dtype", &s))) return st;
        if (nt_dtype_parse(s, &p->dtype)) return nt_yaml_error(d, x, "dtype must be float32 or float64");
    }
    if ((x = nt_ynode_get(n, "seed"))) {
        if ((st = nt_yaml_int(d, x, "seed", 0, INT64_MAX, &v))) return st;
        p->seed = (uint64_t)v;
    }
    if ((x = nt_ynode_get(n, "points")) && (st = nt_yaml_int(d, x, "points", 1, 100000000, &p->n_res))) return st;
    if ((x = nt_ynode_get(n, "sampler"))) {
        if ((st = nt_yaml_str(d, x, "sampler", &s))) return st;
        if (nt_sampler_parse(s, &p->sampler)) return nt_yaml_error(d, x, "%s", nt_error_msg());
    }
    if ((x = nt_ynode_get(n, "resample_every")) && (st = nt_yaml_int(d, x, "resample_every", 0, INT64_MAX / 4, &p->resample_every))) return st;
    if ((x = nt_ynode_get(n, "chunk")) && (st = nt_yaml_int(d, x, "chunk", 1, 100000000, &p->chunk))) return st;
    if ((x = nt_ynode_get(n, "log_every")) && (st = nt_yaml_int(d, x, "log_every", 0, INT64_MAX / 4, &p->log_every))) return st;
    if ((x = nt_ynode_get(n, "eval_every")) && (st = nt_yaml_int(d, x, "eval_every", 0, INT64_MAX / 4, &p->eval_every))) return st;
    if ((x = nt_ynode_get(n, "checkpoint_every")) && (st = nt_yaml_int(d, x, "checkpoint_every", 1, INT64_MAX / 4, &p->checkpoint_every))) return st;
    if ((x = nt_ynode_get(n, "stages"))) {
        if (x->kind != NT_Y_SEQ || x->n < 1 || x->n > NT_PROB_MAX_STAGES)
            return nt_yaml_error(d, x, "'stages' must be a list of 1 to %d stages", NT_PROB_MAX_STAGES);
        for (int i = 0; i < x->n; i++)
            if ((st = load_stage(p, d, x->items[i], &p->stages[i]))) return st;
        p->n_stages = x->n;
    }
    if ((x = nt_ynode_get(n, "causal")) && (st = load_causal(p, d, x))) return st;
    if ((x = nt_ynode_get(n, "weighting")) && (st = load_weighting(p, d, x))) return st;
    if ((x = nt_ynode_get(n, "adaptive")) && (st = load_adaptive(p, d, x))) return st;
    if ((x = nt_ynode_get(n, "time_marching")) && (st = load_marching(p, d, x))) return st;
    if ((x = nt_ynode_get(n, "multistage")) && (st = load_multistage(p, d, x, n))) return st;
    if ((x = nt_ynode_get(n, "time_windows")) && (st = load_windows(p, d, x))) return st;
    /* combinations that have no meaning */
    int pointw = p->weighting == NT_WEIGHT_SA || p->weighting == NT_WEIGHT_RBA;
    if (pointw && (p->resample_every > 0 || p->adaptive || p->tm_windows || p->tw_windows))
        return nt_yaml_error(d, nt_ynode_get(n, "weighting"),
                             "point weights (self_adaptive, rba) belong to fixed points: they cannot be combined with "
                             "resample_every, adaptive sampling, time marching or time windows");
    if (p->adaptive == NT_ADAPT_RAR && (p->resample_every > 0 || p->tm_windows))
        return nt_yaml_error(d, nt_ynode_get(n, "adaptive"),
                             "rar adds points to a fixed set: it cannot be combined with resample_every or time marching");
    if (p->adaptive == NT_ADAPT_CR3 && p->causal_slices)
        return nt_yaml_error(d, nt_ynode_get(n, "adaptive"),
                             "causal_r3 has its own time gate: it cannot be combined with causal weighting");
    if (p->adaptive == NT_ADAPT_RAR) {
        if (!p->rar_max) p->rar_max = 2 * p->n_res;
        if (p->rar_max < p->n_res)
            return nt_yaml_error(d, nt_ynode_get(n, "adaptive"), "rar max_points (%lld) is below the initial points (%lld)",
                                 (long long)p->rar_max, (long long)p->n_res);
    }
    return NT_OK;
}

static nt_status load_grid(nt_problem *p, const nt_ydoc *d, const nt_ynode *ref)
{
    const nt_ynode *g = nt_ynode_get(ref, "grid");
    for (int v = 0; v < p->env.n_vars; v++) p->ref_grid[v] = p->env.n_vars == 1 ? 512 : p->env.n_vars == 2 ? 128 : 32;
    if (!g) return NT_OK;
    if (g->kind != NT_Y_MAP) return nt_yaml_error(d, g, "grid must map variables to point counts, e.g. {x: 256, t: 100}");
    for (int i = 0; i < g->n; i++) {
        int v = -1;
        for (int k = 0; k < p->env.n_vars; k++)
            if (!strcmp(p->env.vars[k], g->keys[i])) v = k;
        if (v < 0) return nt_yaml_error_at(d, g->key_line[i], g->key_col[i], "grid: '%s' is not a domain variable", g->keys[i]);
        int64_t c;
        nt_status st = nt_yaml_int(d, g->items[i], "grid points", 2, 100000, &c);
        if (st) return st;
        p->ref_grid[v] = (int)c;
    }
    return NT_OK;
}

/* Rejects keys of the reference block that belong to other solvers. `allowed` is a
 * space-separated list beside file/solver/exact/grid. */
static nt_status only_keys(const nt_ydoc *d, const nt_ynode *n, const char *solver, const char *allowed)
{
    for (int i = 0; i < n->n; i++) {
        const char *k = n->keys[i];
        if (!strcmp(k, "solver") || !strcmp(k, "grid")) continue;
        size_t L = strlen(k);
        const char *a = allowed;
        int ok = 0;
        while (a && *a) {
            const char *e = strchr(a, ' ');
            size_t la = e ? (size_t)(e - a) : strlen(a);
            if (la == L && !strncmp(a, k, L)) ok = 1;
            a = e ? e + 1 : NULL;
        }
        if (!ok)
            return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "'%s' is not an option of the %s solver (its options: %s)",
                                    k, solver, allowed[0] ? allowed : "none");
    }
    return NT_OK;
}

static nt_status const_expr(nt_problem *p, const nt_ydoc *d, const nt_ynode *x, const char *what, double *out)
{
    nt_expr e;
    nt_status st = parse_expr(d, x, &p->env, what, &e);
    if (st) return st;
    st = nt_expr_eval(&e, 1, NULL, NULL, NULL, out);
    nt_expr_free(&e);
    if (st || !isfinite(*out)) return nt_yaml_error(d, x, "%s must be a constant expression", what);
    return NT_OK;
}

/* The value expression of the problem's initial condition on field f: the
 * condition `{where: initial | "t == t0", <field>: value}`; NULL when absent. */
static const nt_ynode *initial_value(const nt_problem *p, const nt_ydoc *d, int f)
{
    const nt_ynode *cs = nt_ynode_get(d->root, "conditions");
    if (!cs || cs->kind != NT_Y_SEQ) return NULL;
    for (int k = 0; k < p->n_cond; k++) {
        const nt_condition *c = &p->cond[k];
        if (c->kind != NT_COND_EXPR || c->n_faces != 1 || c->faces[0].var != p->time_var || c->faces[0].side != 0) continue;
        for (int i = 0; i < cs->n; i++) {
            const nt_ynode *cn = cs->items[i];
            if (cn->line != c->line || cn->col != c->col) continue;
            const nt_ynode *v = nt_ynode_get(cn, p->env.fields[f]);
            if (v) return v;
        }
    }
    return NULL;
}

static nt_status load_spectral_ref(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    static const char *eqs[] = {"burgers", "allen_cahn", "kdv", "ks", "nls"};
    nt_status st = only_keys(d, n, "spectral", "equation n dt scheme nu c initial");
    if (st) return st;
    const nt_ynode *x = nt_ynode_get(n, "equation");
    const char *s;
    if (!x) return nt_yaml_error(d, n, "the spectral solver needs 'equation' (burgers, allen_cahn, kdv, ks or nls)");
    if ((st = nt_yaml_str(d, x, "equation", &s))) return st;
    int pde = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, eqs[i])) pde = i;
    if (pde < 0) return nt_yaml_error(d, x, "unknown equation '%s' (spectral: burgers, allen_cahn, kdv, ks, nls)", s);
    nt_spectral_config c;
    nt_spectral_config_default(&c, (nt_spectral_pde)pde);
    p->ref_kind = NT_REF_SPECTRAL;
    p->ref_spec_pde = pde;
    p->ref_spec_nu = c.nu;
    memcpy(p->ref_spec_c, c.c, sizeof c.c);
    p->ref_spec_n = 512;
    p->ref_spec_dt = 1e-4;
    p->ref_spec_scheme = NT_SPEC_ETDRK4;
    int nf = pde == NT_SPEC_NLS ? 2 : 1;
    if (p->env.n_vars != 2 || p->time_var < 0 || p->env.n_fields != nf)
        return nt_yaml_error(d, x, "the spectral solver needs a domain of one space variable and time, and %s", nf == 2 ? "two fields (real and imaginary part)" : "one field");
    p->ref_space_var = p->time_var == 0 ? 1 : 0;
    int64_t v;
    if ((x = nt_ynode_get(n, "n"))) {
        if ((st = nt_yaml_int(d, x, "n", 8, 1 << 16, &v))) return st;
        if (v % 2) return nt_yaml_error(d, x, "n must be even");
        p->ref_spec_n = (int)v;
    }
    if ((x = nt_ynode_get(n, "dt")) && (st = const_expr(p, d, x, "dt", &p->ref_spec_dt))) return st;
    if (!(p->ref_spec_dt > 0)) return nt_yaml_error(d, x, "dt must be > 0");
    if ((x = nt_ynode_get(n, "scheme"))) {
        if ((st = nt_yaml_str(d, x, "scheme", &s))) return st;
        if (!strcmp(s, "etdrk4")) p->ref_spec_scheme = NT_SPEC_ETDRK4;
        else if (!strcmp(s, "rk4")) p->ref_spec_scheme = NT_SPEC_RK4;
        else return nt_yaml_error(d, x, "unknown scheme '%s' (etdrk4 or rk4)", s);
    }
    if ((x = nt_ynode_get(n, "nu")) && (st = const_expr(p, d, x, "nu", &p->ref_spec_nu))) return st;
    if ((x = nt_ynode_get(n, "c"))) {
        if (x->kind != NT_Y_SEQ || x->n < 1 || x->n > 4)
            return nt_yaml_error(d, x, "c must be a list of 1 to 4 coefficients (see docs/problem-files.md)");
        for (int i = 0; i < x->n; i++)
            if ((st = const_expr(p, d, x->items[i], "a coefficient", &p->ref_spec_c[i]))) return st;
    }
    const nt_ynode *ini = nt_ynode_get(n, "initial");
    if (ini && ini->kind != NT_Y_MAP) return nt_yaml_error(d, ini, "initial must map fields to expressions, e.g. {u: \"cos(pi*x)\"}");
    if (ini)
        for (int i = 0; i < ini->n; i++) {
            int f = -1;
            for (int k = 0; k < p->env.n_fields; k++)
                if (!strcmp(p->env.fields[k], ini->keys[i])) f = k;
            if (f < 0) return nt_yaml_error_at(d, ini->key_line[i], ini->key_col[i], "initial: '%s' is not a field", ini->keys[i]);
        }
    for (int f = 0; f < nf; f++) {
        const nt_ynode *e = ini ? nt_ynode_get(ini, p->env.fields[f]) : NULL;
        if (!e) e = initial_value(p, d, f);
        if (!e)
            return nt_yaml_error(d, n, "the spectral solver needs the initial value of '%s': give reference initial: {%s: ...} or a condition {where: initial, %s: ...}",
                                 p->env.fields[f], p->env.fields[f], p->env.fields[f]);
        if ((st = parse_expr(d, e, &p->env, "initial value", &p->ref_init[f]))) return st;
        if (nt_expr_uses(&p->ref_init[f]) & (NT_EXPR_USES_FIELD | NT_EXPR_USES_LOGIC))
            return nt_yaml_error(d, e, "an initial value for the reference may use coordinates and constants only");
    }
    return NT_OK;
}

static nt_status load_cavity_ref(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    nt_status st = only_keys(d, n, "cavity", "re n");
    if (st) return st;
    const nt_ynode *x;
    p->ref_kind = NT_REF_CAVITY;
    p->ref_re = 100;
    p->ref_solver_n = 129;
    if (p->env.n_vars != 2 || p->time_var >= 0 || p->env.n_fields < 2 || p->env.n_fields > 3)
        return nt_yaml_error(d, n, "the cavity solver needs a steady problem in two variables with fields u, v and optionally p");
    for (int v = 0; v < 2; v++)
        if (p->lo[v] != 0 || p->hi[v] != 1) return nt_yaml_error(d, n, "the cavity solver works on the unit square: both variables in [0, 1]");
    if ((x = nt_ynode_get(n, "re")) && (st = const_expr(p, d, x, "re", &p->ref_re))) return st;
    if (!(p->ref_re > 0)) return nt_yaml_error(d, x, "re must be > 0");
    int64_t v;
    if ((x = nt_ynode_get(n, "n"))) {
        if ((st = nt_yaml_int(d, x, "n", 9, 4097, &v))) return st;
        p->ref_solver_n = (int)v;
    }
    return NT_OK;
}

static nt_status load_fd_ref(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    static const char *eqs[] = {"heat", "wave", "poisson", "darcy"};
    nt_status st = only_keys(d, n, "fd", "equation n dt kappa c a source");
    if (st) return st;
    const nt_ynode *x = nt_ynode_get(n, "equation");
    const char *s;
    if (!x) return nt_yaml_error(d, n, "the fd solver needs 'equation' (heat, wave, poisson or darcy)");
    if ((st = nt_yaml_str(d, x, "equation", &s))) return st;
    int eq = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, eqs[i])) eq = i;
    if (eq < 0) return nt_yaml_error(d, x, "unknown equation '%s' (fd: heat, wave, poisson, darcy)", s);
    p->ref_kind = NT_REF_FD;
    p->ref_fd_eq = eq;
    int timed = eq == NT_FD_HEAT || eq == NT_FD_WAVE, ns = p->env.n_vars - (p->time_var >= 0);
    if (timed && (p->time_var < 0 || ns < 1 || ns > 2))
        return nt_yaml_error(d, x, "the fd %s solver needs time and one or two space variables", s);
    if (!timed && (p->time_var >= 0 || ns != 2))
        return nt_yaml_error(d, x, "the fd %s solver needs a steady problem in two variables", s);
    if (p->env.n_fields != 1) return nt_yaml_error(d, x, "the fd solvers compute one field");
    if (p->has_geom && timed) return nt_yaml_error(d, x, "the fd %s solver works on the box only (no geometry)", s);
    /* grid: n: 129 or n: {x: 129, y: 65} */
    int sv[2], k = 0;
    for (int v = 0; v < p->env.n_vars; v++)
        if (v != p->time_var) sv[k++] = v;
    p->ref_fd_n[0] = p->ref_fd_n[1] = ns == 1 ? 1025 : 129;
    if ((x = nt_ynode_get(n, "n"))) {
        int64_t c;
        if (x->kind == NT_Y_MAP) {
            for (int i = 0; i < x->n; i++) {
                int w = -1;
                for (int j = 0; j < ns; j++)
                    if (!strcmp(p->env.vars[sv[j]], x->keys[i])) w = j;
                if (w < 0) return nt_yaml_error_at(d, x->key_line[i], x->key_col[i], "n: '%s' is not a space variable", x->keys[i]);
                if ((st = nt_yaml_int(d, x->items[i], "n", 3, 100001, &c))) return st;
                p->ref_fd_n[w] = (int)c;
            }
        } else {
            if ((st = nt_yaml_int(d, x, "n", 3, 100001, &c))) return st;
            p->ref_fd_n[0] = p->ref_fd_n[1] = (int)c;
        }
    }
    if ((x = nt_ynode_get(n, "dt"))) {
        if (!timed) return nt_yaml_error(d, x, "dt: the %s equation is steady", s);
        if ((st = const_expr(p, d, x, "dt", &p->ref_fd_dt))) return st;
        if (!(p->ref_fd_dt > 0)) return nt_yaml_error(d, x, "dt must be > 0");
    }
    const char *cname = eq == NT_FD_HEAT ? "kappa" : eq == NT_FD_WAVE ? "c" : NULL;
    for (int i = 0; i < n->n; i++) {
        const char *key = n->keys[i];
        int bad = (!strcmp(key, "kappa") && eq != NT_FD_HEAT) || (!strcmp(key, "c") && eq != NT_FD_WAVE) ||
                  (!strcmp(key, "a") && eq != NT_FD_DARCY);
        if (bad) return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "'%s' is not a coefficient of the %s equation", key, s);
    }
    if (cname) {
        if (!(x = nt_ynode_get(n, cname))) return nt_yaml_error(d, n, "the fd %s solver needs '%s'", s, cname);
        if ((st = const_expr(p, d, x, cname, &p->ref_fd_coef))) return st;
        if (!(p->ref_fd_coef > 0)) return nt_yaml_error(d, x, "%s must be > 0", cname);
    }
    if (eq == NT_FD_DARCY) {
        if (!(x = nt_ynode_get(n, "a"))) return nt_yaml_error(d, n, "the fd darcy solver needs the coefficient 'a' (an expression)");
        if ((st = parse_expr(d, x, &p->env, "coefficient a", &p->ref_fd_a))) return st;
        if (nt_expr_uses(&p->ref_fd_a) & (NT_EXPR_USES_FIELD | NT_EXPR_USES_LOGIC))
            return nt_yaml_error(d, x, "a may use coordinates and constants only");
    }
    if ((x = nt_ynode_get(n, "source"))) {
        if ((st = parse_expr(d, x, &p->env, "source", &p->ref_fd_f))) return st;
        if (nt_expr_uses(&p->ref_fd_f) & (NT_EXPR_USES_FIELD | NT_EXPR_USES_LOGIC))
            return nt_yaml_error(d, x, "the source may use coordinates and constants only");
    }
    return NT_OK;
}

static nt_status load_reference(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    static const char *keys[] = {"file", "solver", "exact", "grid", "nu", "equation", "n", "dt", "scheme", "c",
                                 "initial", "re", "kappa", "a", "source", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "reference");
    if (st) return st;
    const nt_ynode *x;
    const char *s;
    int kinds = !!nt_ynode_get(n, "file") + !!nt_ynode_get(n, "solver") + !!nt_ynode_get(n, "exact");
    if (kinds != 1) return nt_yaml_error(d, n, "reference needs exactly one of 'file', 'solver' or 'exact'");
    if ((x = nt_ynode_get(n, "file"))) {
        if ((st = nt_yaml_str(d, x, "file", &s))) return st;
        if ((st = only_keys(d, n, "file", "file"))) return st;
        p->ref_kind = NT_REF_FILE;
        resolve(p->dir, s, p->ref_path, sizeof p->ref_path);
        return file_exists(d, x, p->ref_path, "reference file");
    }
    if ((st = load_grid(p, d, n))) return st;
    if ((x = nt_ynode_get(n, "solver"))) {
        if ((st = nt_yaml_str(d, x, "solver", &s))) return st;
        if (!strcmp(s, "spectral")) return load_spectral_ref(p, d, n);
        if (!strcmp(s, "cavity")) return load_cavity_ref(p, d, n);
        if (!strcmp(s, "fd")) return load_fd_ref(p, d, n);
        if (strcmp(s, "cole_hopf"))
            return nt_yaml_error(d, x, "unknown reference solver '%s' (available: cole_hopf, spectral, cavity, fd)", s);
        if ((st = only_keys(d, n, "cole_hopf", "nu"))) return st;
        p->ref_kind = NT_REF_COLE_HOPF;
        int ix = -1, it = -1;
        for (int v = 0; v < p->env.n_vars; v++) {
            if (!strcmp(p->env.vars[v], "x")) ix = v;
            if (v == p->time_var) it = v;
        }
        if (p->env.n_vars != 2 || ix < 0 || it < 0 || p->env.n_fields != 1 || p->lo[ix] != -1 || p->hi[ix] != 1 || p->lo[it] != 0)
            return nt_yaml_error(d, x, "cole_hopf is the Burgers solution for u(x, t) on x in [-1, 1], t from 0, u(x,0) = -sin(pi x)");
        p->ref_nu = NAN;
        for (int k = 0; k < p->env.n_consts; k++)
            if (!strcmp(p->env.consts[k], "nu")) p->ref_nu = p->env.const_val[k];
        for (int k = 0; k < p->env.n_unknowns; k++)
            if (!strcmp(p->env.unknowns[k], "nu") && isfinite(p->unknown_true[k])) p->ref_nu = p->unknown_true[k];
        if ((x = nt_ynode_get(n, "nu"))) {
            nt_expr e;
            if ((st = parse_expr(d, x, &p->env, "nu", &e))) return st;
            st = nt_expr_eval(&e, 1, NULL, NULL, NULL, &p->ref_nu);
            nt_expr_free(&e);
            if (st) return nt_yaml_error(d, x, "nu must be a constant expression");
        }
        if (!(p->ref_nu > 0)) return nt_yaml_error(d, n, "cole_hopf needs the viscosity: a constant 'nu' or reference key nu:");
        return NT_OK;
    }
    if ((st = only_keys(d, n, "exact", "exact"))) return st;
    x = nt_ynode_get(n, "exact");
    if (x->kind != NT_Y_MAP) return nt_yaml_error(d, x, "exact must map fields to expressions, e.g. {u: \"sin(pi*x)*exp(-t)\"}");
    p->ref_kind = NT_REF_EXACT;
    for (int i = 0; i < x->n; i++) {
        int f = -1;
        for (int k = 0; k < p->env.n_fields; k++)
            if (!strcmp(p->env.fields[k], x->keys[i])) f = k;
        if (f < 0) return nt_yaml_error_at(d, x->key_line[i], x->key_col[i], "exact: '%s' is not a field", x->keys[i]);
        if ((st = parse_expr(d, x->items[i], &p->env, "exact solution", &p->ref_exact[f]))) return st;
        p->ref_has[f] = 1;
        int u = nt_expr_uses(&p->ref_exact[f]);
        if (u & (NT_EXPR_USES_FIELD | NT_EXPR_USES_LOGIC))
            return nt_yaml_error(d, x->items[i], "an exact solution may use coordinates, constants and unknowns only");
    }
    return NT_OK;
}

/* output: {u: "g + dist*net_u"}: hard constraints (src/pinn/hard.h). */
static nt_status load_output(nt_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    if (n->kind != NT_Y_MAP || n->n < 1)
        return nt_yaml_error(d, n, "'output' must map fields to expressions of the variables, constants, dist and the network outputs net_<field>, e.g. {u: \"sin(pi*x) + t*dist*net_u\"}");
    int D = p->env.n_vars, F = p->env.n_fields;
    nt_expr_env *oe = &p->out_env;
    memset(oe, 0, sizeof *oe);
    oe->n_vars = D;
    memcpy(oe->vars, p->env.vars, sizeof oe->vars);
    int dist = -1;
    if (D < NT_EXPR_MAX_VARS && !env_has(&p->env, "dist")) {
        dist = D;
        snprintf(oe->vars[oe->n_vars++], NT_EXPR_NAME, "dist");
    }
    oe->n_consts = p->env.n_consts;
    memcpy(oe->consts, p->env.consts, sizeof oe->consts);
    memcpy(oe->const_val, p->env.const_val, sizeof oe->const_val);
    oe->n_unknowns = p->env.n_unknowns; /* only to be refused with a clear message */
    memcpy(oe->unknowns, p->env.unknowns, sizeof oe->unknowns);
    /* net_<f> are fields 0..F-1; the fields themselves follow, only to be refused */
    int nf = 2 * F <= NT_EXPR_MAX_FIELDS ? 2 * F : F;
    for (int f = 0; f < nf; f++) {
        if (f < F) snprintf(oe->fields[f], NT_EXPR_NAME, "net_%.*s", NT_EXPR_NAME - 5, p->env.fields[f]);
        else snprintf(oe->fields[f], NT_EXPR_NAME, "%s", p->env.fields[f - F]);
        if (f < F && env_has(&p->env, oe->fields[f]))
            return nt_yaml_error(d, n, "output: '%s' names the network output of field '%s', but it is already defined", oe->fields[f], p->env.fields[f]);
    }
    oe->n_fields = nf;
    for (int i = 0; i < n->n; i++) {
        int f = -1;
        for (int k = 0; k < F; k++)
            if (!strcmp(p->env.fields[k], n->keys[i])) f = k;
        if (f < 0) return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "output: '%s' is not a field", n->keys[i]);
        if (p->output[f].root) return nt_yaml_error_at(d, n->key_line[i], n->key_col[i], "output: '%s' is given twice", n->keys[i]);
        const nt_ynode *v = n->items[i];
        nt_expr *e = &p->output[f];
        nt_status st = parse_expr(d, v, oe, "output", e);
        if (st) return st;
        p->n_output++;
        const char *s = e->text;
        int len = (int)strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ')) len--;
        for (int k = 0; k < e->n_nodes; k++) {
            const nt_expr_node *x = &e->pool[k];
            if (x->kind == NT_EX_FIELD && x->index >= F)
                return where_error(d, v, x->col, "in output \"%.*s\": '%s' is the transformed field itself; the network's raw output is %s",
                                   len, s, p->env.fields[x->index - F], oe->fields[x->index - F]);
        }
        int ecol = 0;
        if (nt_expr_check_jet(e, &ecol)) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", nt_error_msg());
            return where_error(d, v, ecol, "in output \"%.*s\": %s", len, s, msg);
        }
        for (int k = 0; k < e->n_nodes; k++) {
            const nt_expr_node *x = &e->pool[k];
            if (x->kind != NT_EX_VAR || x->index != dist || dist < 0) continue;
            if (nt_hard_dist_check(p)) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", nt_error_msg());
                return where_error(d, v, x->col, "in output \"%.*s\": %s", len, s, msg);
            }
            p->output_dist = 1;
        }
    }
    return NT_OK;
}

static nt_status load_doc(nt_problem *p, const nt_ydoc *d)
{
    const nt_ynode *r = d->root;
    static const char *keys[] = {"name", "domain", "time", "fields", "constants", "unknowns", "pde", "pde_weight",
                                 "conditions", "data", "model", "train", "reference", "output", NULL};
    nt_status st = nt_yaml_check_keys(d, r, keys, "the problem");
    if (st) return st;
    const nt_ynode *x;
    const char *s;
    if ((x = nt_ynode_get(r, "name"))) {
        if ((st = nt_yaml_str(d, x, "name", &s))) return st;
        snprintf(p->name, sizeof p->name, "%s", s);
    }
    if ((st = load_domain(p, d, nt_ynode_get(r, "domain")))) return st;
    p->time_var = -1;
    for (int v = 0; v < p->env.n_vars; v++)
        if (!strcmp(p->env.vars[v], "t")) p->time_var = v;
    if ((x = nt_ynode_get(r, "time"))) {
        if ((st = nt_yaml_str(d, x, "time", &s))) return st;
        p->time_var = -1;
        for (int v = 0; v < p->env.n_vars; v++)
            if (!strcmp(p->env.vars[v], s)) p->time_var = v;
        if (p->time_var < 0 && strcmp(s, "none")) return nt_yaml_error(d, x, "time: '%s' is not a domain variable (or write none)", s);
    }
    if ((st = load_geometry(p, d, nt_ynode_get(nt_ynode_get(r, "domain"), "geometry")))) return st;
    if ((st = load_fields(p, d, nt_ynode_get(r, "fields")))) return st;
    if ((st = load_constants(p, d, nt_ynode_get(r, "constants")))) return st;
    if ((st = load_unknowns(p, d, nt_ynode_get(r, "unknowns")))) return st;
    p->cond_env = p->env;
    if (p->env.n_vars < NT_EXPR_MAX_VARS) {
        snprintf(p->cond_env.vars[p->env.n_vars], NT_EXPR_NAME, "n");
        p->cond_env.n_vars = p->env.n_vars + 1;
    }
    if ((st = load_pde(p, d, nt_ynode_get(r, "pde")))) return st;
    if ((x = nt_ynode_get(r, "pde_weight")) && (st = nt_yaml_double(d, x, "pde_weight", &p->pde_weight))) return st;
    if ((st = load_conditions(p, d, nt_ynode_get(r, "conditions")))) return st;
    if ((st = load_data(p, d, nt_ynode_get(r, "data")))) return st;
    if ((st = load_output(p, d, nt_ynode_get(r, "output")))) return st;
    int has_data = p->data_path[0] || p->data_from_ref;
    if (!p->n_cond && !has_data && !p->n_output)
        return nt_yaml_error(d, r, "the problem has no conditions and no data: its solution is not unique");
    if (p->env.n_unknowns && !has_data)
        return nt_yaml_error(d, nt_ynode_get(r, "unknowns"), "unknowns need observations: add a 'data' section");
    if ((st = load_model(p, d, nt_ynode_get(r, "model")))) return st;
    if ((st = load_train(p, d, nt_ynode_get(r, "train")))) return st;
    if ((st = load_reference(p, d, nt_ynode_get(r, "reference")))) return st;
    if (p->data_from_ref && (p->ref_kind == NT_REF_NONE || p->ref_kind == NT_REF_FILE))
        return nt_yaml_error(d, nt_ynode_get(nt_ynode_get(r, "data"), "from"),
                             "data from the reference needs a computed reference (solver or exact)");
    if (p->data_from_ref)
        for (int k = 0; k < p->env.n_unknowns; k++)
            if (!isfinite(p->unknown_true[k]))
                return nt_yaml_error(d, nt_ynode_get(r, "unknowns"),
                                     "data from the reference needs the true value of unknown '%s' (exact: ...)", p->env.unknowns[k]);
    return NT_OK;
}

static void defaults(nt_problem *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "problem");
    p->pde_weight = 1;
    p->data_weight = 1;
    p->width = 50;
    p->depth = 4;
    p->act = NT_ACT_TANH;
    p->dtype = NT_F64;
    p->seed = 1234;
    p->n_res = 8192;
    p->sampler = NT_SAMPLER_LHS;
    p->chunk = 2048;
    p->n_stages = 2;
    p->stages[0] = (nt_stage){NT_STAGE_ADAM, 2000, 1e-3, 1, 1000, 0, 50, 0, NT_QN_LBFGS};
    p->stages[1] = (nt_stage){NT_STAGE_LBFGS, 5000, 0, 1, 1000, 0, 50, 0, NT_QN_LBFGS};
    p->log_every = 100;
    p->eval_every = 500;
    p->checkpoint_every = 1000;
    p->weighting_every = 1000;
    p->weighting_alpha = 0.9;
    p->ntk_probes = 4;
    p->sa_lr = 5e-3;
    p->rba_gamma = 0.999;
    p->rba_eta = 0.01;
    p->adaptive_every = 1000;
    p->adaptive_candidates = 0; /* 0: 4 × points */
    p->cr3_alpha = 5; /* Daw et al.'s code: gate tanh steepness 5, start −0.5, step 1e-3, tol 20 */
    p->cr3_gamma = -0.5;
    p->cr3_eta = 1e-3;
    p->cr3_eps = 20;
    p->rad_k = 1;
    p->rad_c = 1;
    p->rar_add = 0;             /* 0: points / 20 */
}

nt_status nt_problem_load_string(nt_problem *p, const char *text, const char *name, const char *dir)
{
    defaults(p);
    snprintf(p->path, sizeof p->path, "%s", name);
    snprintf(p->dir, sizeof p->dir, "%s", dir ? dir : "");
    nt_ydoc d;
    g_src = text;
    nt_status st = nt_yaml_load_string(&d, text, name);
    if (st) return st;
    if (d.root->kind != NT_Y_MAP) st = nt_yaml_error(&d, d.root, "a problem file is a mapping (name:, domain:, fields:, pde:, ...)");
    else st = load_doc(p, &d);
    nt_yaml_free(&d);
    g_src = NULL;
    if (st) nt_problem_free(p);
    return st;
}

nt_status nt_problem_load(nt_problem *p, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        defaults(p);
        return nt_set_error(NT_ERR_IO, "cannot open problem file '%s'", path);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)(len > 0 ? len : 0) + 1);
    if (!text) {
        fclose(f);
        defaults(p);
        return nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    size_t got = fread(text, 1, (size_t)(len > 0 ? len : 0), f);
    text[got] = 0;
    fclose(f);
    char dir[NT_PROB_PATH];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    nt_status st = nt_problem_load_string(p, text, path, dir);
    free(text);
    return st;
}

void nt_problem_free(nt_problem *p)
{
    for (int i = 0; i < NT_PROB_MAX_PDE; i++) nt_expr_free(&p->pde[i]);
    for (int k = 0; k < NT_PROB_MAX_STAGES; k++)
        for (int i = 0; i < NT_PROB_MAX_PDE; i++) nt_expr_free(&p->stage_pde[k][i]);
    for (int i = 0; i < NT_PROB_MAX_COND; i++) {
        nt_expr_free(&p->cond[i].residual);
        nt_expr_free(&p->cond[i].where_pred);
    }
    for (int i = 0; i < NT_EXPR_MAX_FIELDS; i++) {
        nt_expr_free(&p->ref_exact[i]);
        nt_expr_free(&p->ref_init[i]);
    }
    nt_expr_free(&p->ref_fd_a);
    nt_expr_free(&p->ref_fd_f);
    for (int i = 0; i < NT_EXPR_MAX_FIELDS; i++) nt_expr_free(&p->output[i]);
    p->n_output = 0;
    p->n_pde = p->n_cond = 0;
}
