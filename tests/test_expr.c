/* test_expr.c — the expression language of problem files: parsing (precedence,
 * numbers, name resolution, errors with columns), queries (uses, visit_fields),
 * compile-vs-eval agreement on random points in float64 and float32, and
 * finite-difference gradient checks through unknowns and field tensors. */
#include "harness.h"

#include "pinn/expr.h"

#include <stdlib.h>
#include <string.h>

/* vars x, t; field u; constants nu = 0.01, a = 2; unknown lam */
static nt_expr_env env_xt(void)
{
    nt_expr_env env;
    memset(&env, 0, sizeof env);
    env.n_vars = 2;
    strcpy(env.vars[0], "x");
    strcpy(env.vars[1], "t");
    env.n_fields = 1;
    strcpy(env.fields[0], "u");
    env.n_consts = 2;
    strcpy(env.consts[0], "nu");
    env.const_val[0] = 0.01;
    strcpy(env.consts[1], "a");
    env.const_val[1] = 2.0;
    env.n_unknowns = 1;
    strcpy(env.unknowns[0], "lam");
    return env;
}

/* vars x, y, t; fields u, v; constant nu; unknown lam */
static nt_expr_env env_xyt(void)
{
    nt_expr_env env;
    memset(&env, 0, sizeof env);
    env.n_vars = 3;
    strcpy(env.vars[0], "x");
    strcpy(env.vars[1], "y");
    strcpy(env.vars[2], "t");
    env.n_fields = 2;
    strcpy(env.fields[0], "u");
    strcpy(env.fields[1], "v");
    env.n_consts = 1;
    strcpy(env.consts[0], "nu");
    env.const_val[0] = 0.1;
    env.n_unknowns = 1;
    strcpy(env.unknowns[0], "lam");
    return env;
}

/* Parses a constant expression and evaluates it. */
static double cval(const char *text)
{
    nt_expr_env env = env_xt();
    nt_expr e;
    int col = -1;
    nt_status s = nt_expr_parse(&e, text, &env, &col);
    if (s != NT_OK) {
        nt_test_fail(__FILE__, __LINE__, "parse '%s' failed at column %d: %s", text, col,
                     nt_error_msg());
        return NAN;
    }
    CHECK(nt_expr_uses(&e) == 0 || nt_expr_uses(&e) == NT_EXPR_USES_LOGIC);
    double out = NAN;
    CHECK_OK(nt_expr_eval(&e, 1, NULL, NULL, NULL, &out));
    nt_expr_free(&e);
    return out;
}

static void test_precedence(void)
{
    CHECK_NEAR(cval("2^3^2"), 512, 0);
    CHECK_NEAR(cval("(2^3)^2"), 64, 0);
    CHECK_NEAR(cval("-2^2"), -4, 0);
    CHECK_NEAR(cval("(-2)^2"), 4, 0);
    CHECK_NEAR(cval("2^-1"), 0.5, 0);
    CHECK_NEAR(cval("2^-1^2"), 0.5, 0);      /* 2^(-(1^2)) */
    CHECK_NEAR(cval("1-2-3"), -4, 0);
    CHECK_NEAR(cval("8/2/2"), 2, 0);
    CHECK_NEAR(cval("2*3+4*5"), 26, 0);
    CHECK_NEAR(cval("2+3*4^2"), 50, 0);
    CHECK_NEAR(cval("--3"), 3, 0);
    CHECK_NEAR(cval("-+-3"), 3, 0);
    CHECK_NEAR(cval("+3"), 3, 0);
    CHECK_NEAR(cval("2*-3"), -6, 0);
    CHECK_NEAR(cval("2--3"), 5, 0);
    CHECK_NEAR(cval("-(1+2)*3"), -9, 0);
    CHECK_NEAR(cval("6/-2/3"), -1, 0);
    CHECK_NEAR(cval(" 1 +\t2 "), 3, 0);
    /* logic: comparisons bind looser than sums, && tighter than || */
    CHECK_NEAR(cval("1 + 1 == 2"), 1, 0);
    CHECK_NEAR(cval("1 < 2 && 3 <= 2"), 0, 0);
    CHECK_NEAR(cval("1 > 2 || 2 >= 2"), 1, 0);
    CHECK_NEAR(cval("0 && 0 || 1"), 1, 0);
    CHECK_NEAR(cval("1 || 0 && 0"), 1, 0);
    CHECK_NEAR(cval("3 != 3"), 0, 0);
}

static void test_numbers_functions(void)
{
    CHECK_NEAR(cval(".5"), 0.5, 0);
    CHECK_NEAR(cval("1e-3"), 1e-3, 0);
    CHECK_NEAR(cval("2.5E+4"), 25000, 0);
    CHECK_NEAR(cval("3."), 3, 0);
    CHECK_NEAR(cval("007"), 7, 0);
    CHECK_NEAR(cval("1.25e2"), 125, 0);
    CHECK_NEAR(cval("pi"), NT_TEST_PI, 0);
    CHECK_NEAR(cval("sin(pi/2)"), 1, 1e-15);
    CHECK_NEAR(cval("cos(pi)"), -1, 1e-15);
    CHECK_NEAR(cval("tan(pi/4)"), 1, 1e-15);
    CHECK_NEAR(cval("exp(1)"), 2.718281828459045, 1e-15);
    CHECK_NEAR(cval("log(exp(2))"), 2, 1e-15);
    CHECK_NEAR(cval("tanh(0.5)"), tanh(0.5), 0);
    CHECK_NEAR(cval("sqrt(16)"), 4, 0);
    CHECK_NEAR(cval("abs(-3.5)"), 3.5, 0);
    CHECK_NEAR(cval("sinh(1)"), sinh(1.0), 0);
    CHECK_NEAR(cval("cosh(1)"), cosh(1.0), 0);
    CHECK_NEAR(cval("sqrt(abs(-2)^2)"), 2, 1e-15);
    CHECK_NEAR(cval("nu*a"), 0.02, 1e-17);

    /* constants and pi fold to NUM nodes */
    nt_expr_env env = env_xt();
    nt_expr e;
    CHECK_OK(nt_expr_parse(&e, "pi", &env, NULL));
    CHECK(e.root->kind == NT_EX_NUM && e.root->value == NT_TEST_PI);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "nu", &env, NULL));
    CHECK(e.root->kind == NT_EX_NUM && e.root->value == 0.01 && e.root->col == 1);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "  sin(x)", &env, NULL));
    CHECK(e.root->kind == NT_EX_FUNC && e.root->func == NT_FN_SIN && e.root->col == 3);
    CHECK(e.root->a->kind == NT_EX_VAR && e.root->a->index == 0 && e.root->a->col == 7);
    CHECK(strcmp(e.text, "  sin(x)") == 0);
    CHECK(e.n_vars == 2 && e.n_fields == 1);
    nt_expr_free(&e);
    nt_expr_free(&e); /* zeroed: no-op */
}

static void test_resolution(void)
{
    nt_expr_env env = env_xyt();
    nt_expr e;
    static const int zero[NT_EXPR_MAX_VARS] = {0};

    CHECK_OK(nt_expr_parse(&e, "t", &env, NULL));
    CHECK(e.root->kind == NT_EX_VAR && e.root->index == 2);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "nu", &env, NULL));
    CHECK(e.root->kind == NT_EX_NUM && e.root->value == 0.1);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "lam", &env, NULL));
    CHECK(e.root->kind == NT_EX_UNKNOWN && e.root->index == 0);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "v", &env, NULL));
    CHECK(e.root->kind == NT_EX_FIELD && e.root->index == 1 &&
          memcmp(e.root->counts, zero, sizeof zero) == 0);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "u_xxt", &env, NULL));
    CHECK(e.root->kind == NT_EX_FIELD && e.root->index == 0);
    CHECK(e.root->counts[0] == 2 && e.root->counts[1] == 0 && e.root->counts[2] == 1);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "v_tyx", &env, NULL));
    CHECK(e.root->kind == NT_EX_FIELD && e.root->index == 1);
    CHECK(e.root->counts[0] == 1 && e.root->counts[1] == 1 && e.root->counts[2] == 1);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "u_xxxxxx", &env, NULL)); /* order 6 is the limit */
    CHECK(e.root->counts[0] == 6);
    nt_expr_free(&e);

    /* a variable shadows pi; multi-letter variables match longest first */
    nt_expr_env env2;
    memset(&env2, 0, sizeof env2);
    env2.n_vars = 3;
    strcpy(env2.vars[0], "x");
    strcpy(env2.vars[1], "x1");
    strcpy(env2.vars[2], "pi");
    env2.n_fields = 2;
    strcpy(env2.fields[0], "h");
    strcpy(env2.fields[1], "h_2");  /* a field whose name has an underscore */
    CHECK_OK(nt_expr_parse(&e, "pi", &env2, NULL));
    CHECK(e.root->kind == NT_EX_VAR && e.root->index == 2);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "h_x1xx1", &env2, NULL));
    CHECK(e.root->kind == NT_EX_FIELD && e.root->index == 0);
    CHECK(e.root->counts[0] == 1 && e.root->counts[1] == 2 && e.root->counts[2] == 0);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "h_2", &env2, NULL));
    CHECK(e.root->kind == NT_EX_FIELD && e.root->index == 1 &&
          memcmp(e.root->counts, zero, sizeof zero) == 0);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "h_2_xpi", &env2, NULL));
    CHECK(e.root->kind == NT_EX_FIELD && e.root->index == 1);
    CHECK(e.root->counts[0] == 1 && e.root->counts[1] == 0 && e.root->counts[2] == 1);
    nt_expr_free(&e);
}

typedef struct err_case {
    const char *text;
    int col;
    const char *msg;
} err_case;

static void test_errors(void)
{
    nt_expr_env env = env_xt();
    static const err_case cases[] = {
        {"u + v", 5, "unknown symbol 'v'"},
        {"1 + u_z", 5, "'u_z': 'z' is not a domain variable (domain: x, t)"},
        {"u_xq", 1, "'q' is not a domain variable"},
        {"u_xzt", 1, "'u_xzt': 'z' is not a domain variable"},
        {"x(2)", 1, "'x' is not a function"},
        {"u_", 1, "missing derivative variables"},
        {"(x + 1", 7, "expected ')' to close '(' at column 1"},
        {"2*(x + (t - 1)", 15, "expected ')' to close '(' at column 3"},
        {"sin(x", 6, "expected ')' to close '(' at column 4"},
        {"(x 1)", 4, "expected ')' to close '(' at column 1 but found '1'"},
        {"x + 1)", 6, "unmatched ')'"},
        {"x t", 3, "expected an operator before 't'"},
        {"2x", 2, "expected an operator before 'x'"},
        {"", 1, "empty expression"},
        {"   ", 1, "empty expression"},
        {"x +", 4, "unexpected end of expression"},
        {"-", 2, "unexpected end of expression"},
        {"x * * t", 5, "unexpected '*'"},
        {"()", 2, "empty parentheses"},
        {"sgn(x)", 1, "unknown function 'sgn'"},
        {"x*sin", 3, "function 'sin' needs an argument"},
        {"sin()", 5, "function 'sin' needs an argument"},
        {"u_xxxxxxx", 1, "derivative order of 'u_xxxxxxx' exceeds 6"},
        {"u_xxxtttt + 1", 1, "exceeds 6"},
        {"x $ 1", 3, "unexpected character '$'"},
        {"x = 1", 3, "write '=='"},
        {"2**x", 2, "write '^'"},
        {"x & t", 3, "'&&'"},
        {"1e+", 1, "malformed number '1e+'"},
        {"1.2.3", 1, "malformed number '1.2.3'"},
        {"1e999", 1, "out of range"},
        {"e", 1, "write exp(1)"},
        {"0 < x < 1", 7, "do not chain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nt_expr e;
        int col = -1;
        nt_status s = nt_expr_parse(&e, cases[i].text, &env, &col);
        if (s != NT_ERR_FORMAT) {
            nt_test_fail(__FILE__, __LINE__, "'%s': expected NT_ERR_FORMAT, got %s",
                         cases[i].text, nt_status_str(s));
            if (s == NT_OK) nt_expr_free(&e);
            continue;
        }
        CHECK(e.root == NULL && e.pool == NULL && e.text == NULL);
        if (col != cases[i].col)
            nt_test_fail(__FILE__, __LINE__, "'%s': error column %d, expected %d (%s)",
                         cases[i].text, col, cases[i].col, nt_error_msg());
        if (!strstr(nt_error_msg(), cases[i].msg))
            nt_test_fail(__FILE__, __LINE__, "'%s': message \"%s\" lacks \"%s\"", cases[i].text,
                         nt_error_msg(), cases[i].msg);
    }
    /* err_col may be NULL */
    nt_expr e;
    CHECK(nt_expr_parse(&e, "q", &env, NULL) == NT_ERR_FORMAT);
    /* deep nesting is refused, not a stack overflow */
    char deep[2100];
    for (int i = 0; i < 1000; i++) deep[i] = '(';
    deep[1000] = 'x';
    for (int i = 0; i < 1000; i++) deep[1001 + i] = ')';
    deep[2001] = 0;
    CHECK(nt_expr_parse(&e, deep, &env, NULL) == NT_ERR_FORMAT);
    CHECK(strstr(nt_error_msg(), "nested too deeply") != NULL);
}

typedef struct visit_log {
    int n;
    int field[16];
    int counts[16][NT_EXPR_MAX_VARS];
} visit_log;

static void visit_fn(void *user, int field, const int *counts)
{
    visit_log *l = user;
    if (l->n >= 16) return;
    l->field[l->n] = field;
    memcpy(l->counts[l->n], counts, sizeof l->counts[0]);
    l->n++;
}

static void test_queries(void)
{
    nt_expr_env env = env_xt();
    nt_expr e;
    CHECK_OK(nt_expr_parse(&e, "u_t + u*u_x - nu*u_xx", &env, NULL));
    visit_log l;
    memset(&l, 0, sizeof l);
    nt_expr_visit_fields(&e, visit_fn, &l);
    CHECK(l.n == 4);
    static const int want[4][2] = {{0, 1}, {0, 0}, {1, 0}, {2, 0}}; /* u_t, u, u_x, u_xx */
    for (int i = 0; i < 4 && i < l.n; i++) {
        CHECK(l.field[i] == 0);
        CHECK(l.counts[i][0] == want[i][0] && l.counts[i][1] == want[i][1]);
        for (int d = 2; d < NT_EXPR_MAX_VARS; d++) CHECK(l.counts[i][d] == 0);
    }
    CHECK(nt_expr_uses(&e) == NT_EXPR_USES_FIELD);
    nt_expr_free(&e);

    struct { const char *text; int uses; } cases[] = {
        {"1 + nu*pi", 0},
        {"sin(pi*x)", NT_EXPR_USES_VAR},
        {"lam*u_x", NT_EXPR_USES_UNKNOWN | NT_EXPR_USES_FIELD},
        {"x > 0 && t < 1", NT_EXPR_USES_VAR | NT_EXPR_USES_LOGIC},
        {"(x == 1) + u", NT_EXPR_USES_VAR | NT_EXPR_USES_LOGIC | NT_EXPR_USES_FIELD},
        {"exp(-lam*t)", NT_EXPR_USES_VAR | NT_EXPR_USES_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_OK(nt_expr_parse(&e, cases[i].text, &env, NULL));
        if (nt_expr_uses(&e) != cases[i].uses)
            nt_test_fail(__FILE__, __LINE__, "uses('%s') = %d, expected %d", cases[i].text,
                         nt_expr_uses(&e), cases[i].uses);
        nt_expr_free(&e);
    }
}

/* Fake fields: a callback that wraps arrays of values (one per field and stream). */
typedef struct fake_fields {
    nt_tape *tape;
    nt_dtype dt;
    int64_t n;
    const double *val[2];     /* plain values per field */
    const double *ux;         /* u_x values (field 0, counts {1,0}) */
    int requires_grad;
    nt_tensor *made[2][2];    /* [field][0 = value, 1 = u_x] */
    int calls;
} fake_fields;

static nt_tensor *fake_field(void *user, int field, const int *counts)
{
    fake_fields *f = user;
    f->calls++;
    int order = 0;
    for (int d = 0; d < NT_EXPR_MAX_VARS; d++) order += counts[d];
    int slot;
    const double *src;
    if (order == 0) {
        slot = 0;
        src = f->val[field];
    } else if (field == 0 && order == 1 && counts[0] == 1) {
        slot = 1;
        src = f->ux;
    } else {
        return NULL;
    }
    if (!src) return NULL;
    if (!f->made[field][slot]) {
        nt_tensor *x = nt_tensor_from_f64(f->tape, f->dt, f->n, 1, src);
        if (x && f->requires_grad) nt_tensor_requires_grad(x);
        f->made[field][slot] = x;
    }
    return f->made[field][slot];
}

/* Uses every function, constant folding on both sides of every operator, pow by
 * constants (incl. odd/negative integer powers of negative values) and by tensors. */
static const char *COMPOSITE =
    "sin(pi*x)*u - nu*v^2 + exp(-t)*cosh(x) + sqrt(abs(u)+1)/(2+t) - tan(0.3*x)"
    " + u^3 + x^5 - 0.5*x^-3 + 2^t + (u*u+1)^(t-0.5) + log(1+x*x) - sinh(u)/3"
    " + tanh(v) + 3/(1+u*u) - -x^2 + lam*x - (1 - lam)/2 + 4/lam + abs(x)^1.5"
    " + (2*3 - 1)*t + x/4 - 1 + (cos(2) + 1)^2 + x^0 + v^1 + exp(lam)";

static void compile_vs_eval(nt_dtype dt, double rtol, double atol)
{
    nt_expr_env env = env_xyt();
    nt_expr e;
    CHECK_OK(nt_expr_parse(&e, COMPOSITE, &env, NULL));
    CHECK(nt_expr_uses(&e) == (NT_EXPR_USES_VAR | NT_EXPR_USES_FIELD | NT_EXPR_USES_UNKNOWN));
    enum { N = 257 };
    nt_rng rng;
    nt_rng_init(&rng, 7);
    static double coords[N * 3], fields[N * 2], xc[N], yc[N], tc[N], uv[N], vv[N];
    for (int i = 0; i < N; i++) {
        xc[i] = -1 + 2 * nt_rng_uniform(&rng);
        if (fabs(xc[i]) < 0.2) xc[i] += xc[i] < 0 ? -0.2 : 0.2;  /* x^-3 stays moderate */
        yc[i] = nt_rng_uniform(&rng);
        tc[i] = nt_rng_uniform(&rng);
        uv[i] = -2 + 4 * nt_rng_uniform(&rng);
        vv[i] = -2 + 4 * nt_rng_uniform(&rng);
        coords[i * 3 + 0] = xc[i];
        coords[i * 3 + 1] = yc[i];
        coords[i * 3 + 2] = tc[i];
        fields[i * 2 + 0] = uv[i];
        fields[i * 2 + 1] = vv[i];
    }
    double lam = 0.7;
    static double ref[N];
    CHECK_OK(nt_expr_eval(&e, N, coords, &lam, fields, ref));

    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    fake_fields ff;
    memset(&ff, 0, sizeof ff);
    ff.tape = &t;
    ff.dt = dt;
    ff.n = N;
    ff.val[0] = uv;
    ff.val[1] = vv;
    nt_expr_bind b;
    memset(&b, 0, sizeof b);
    b.dtype = dt;
    b.coord[0] = nt_tensor_from_f64(&t, dt, N, 1, xc);
    b.coord[1] = NULL; /* y unused */
    b.coord[2] = nt_tensor_from_f64(&t, dt, N, 1, tc);
    b.unknown[0] = nt_tensor_scalar(&t, dt, lam);
    nt_tensor_requires_grad(b.unknown[0]);
    b.field = fake_field;
    b.user = &ff;
    b.n = N;
    nt_tensor *y = nt_expr_compile(&e, &t, &b);
    CHECK(y != NULL);
    if (y) {
        CHECK(y->dtype == dt && y->ndim == 2 && y->shape[0] == N && y->shape[1] == 1);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double a = nt_tensor_get(y, i), r = ref[i];
            CHECK(isfinite(r));
            double err = fabs(a - r) / (rtol * fmax(fabs(a), fabs(r)) + atol);
            if (err > worst) worst = err;
            if (!(err <= 1))
                nt_test_fail(__FILE__, __LINE__, "%s point %d: compiled %.17g vs eval %.17g",
                             nt_dtype_name(dt), i, a, r);
        }
        printf("  %s: worst compile/eval error %.3g of tolerance\n", nt_dtype_name(dt), worst);
    }
    visit_log l;
    memset(&l, 0, sizeof l);
    nt_expr_visit_fields(&e, visit_fn, &l);
    CHECK(l.n == 11 && ff.calls == l.n); /* one callback per FIELD node: u 8 times, v 3 */
    nt_tape_free(&t);
    nt_expr_free(&e);
}

static void test_compile_eval_f64(void) { compile_vs_eval(NT_F64, 1e-12, 1e-12); }
static void test_compile_eval_f32(void) { compile_vs_eval(NT_F32, 1e-4, 1e-4); }

/* Special shapes of results and failures of compile. */
static void test_compile_cases(void)
{
    nt_expr_env env = env_xt();
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 16));
    double xs[5] = {-2, -1, 0, 0.5, 3}, us[5] = {1, 2, 3, 4, 5};
    fake_fields ff;
    memset(&ff, 0, sizeof ff);
    ff.tape = &t;
    ff.dt = NT_F64;
    ff.n = 5;
    ff.val[0] = us;
    nt_expr_bind b;
    memset(&b, 0, sizeof b);
    b.dtype = NT_F64;
    b.coord[0] = nt_tensor_from_f64(&t, NT_F64, 5, 1, xs);
    b.field = fake_field;
    b.user = &ff;
    b.n = 5;
    nt_tensor *lam = nt_tensor_scalar(&t, NT_F64, 0.25);
    b.unknown[0] = lam;
    nt_expr e;

    /* wholly constant: (n x 1) filled */
    CHECK_OK(nt_expr_parse(&e, "2*pi - nu", &env, NULL));
    nt_tensor *y = nt_expr_compile(&e, &t, &b);
    CHECK(y && y->ndim == 2 && y->shape[0] == 5 && y->shape[1] == 1);
    for (int i = 0; y && i < 5; i++) CHECK_NEAR(nt_tensor_get(y, i), 2 * NT_TEST_PI - 0.01, 1e-15);
    nt_expr_free(&e);

    /* unknowns only: broadcast to (n x 1) */
    CHECK_OK(nt_expr_parse(&e, "exp(lam)*2", &env, NULL));
    y = nt_expr_compile(&e, &t, &b);
    CHECK(y && y->ndim == 2 && y->shape[0] == 5 && y->shape[1] == 1);
    for (int i = 0; y && i < 5; i++) CHECK_NEAR(nt_tensor_get(y, i), 2 * exp(0.25), 1e-15);
    nt_expr_free(&e);

    /* odd powers of negative values, abs, folding into scale */
    CHECK_OK(nt_expr_parse(&e, "x^3 + x^5 + x^-1*(x != 0) ", &env, NULL));
    CHECK(nt_expr_compile(&e, &t, &b) == NULL); /* logic cannot be compiled */
    CHECK(strstr(nt_error_msg(), "where") != NULL);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "x^3 + x^5 + x^7 - x^-3 + abs(x)", &env, NULL));
    y = nt_expr_compile(&e, &t, &b);
    CHECK(y != NULL);
    for (int i = 0; y && i < 5; i++) {
        if (xs[i] == 0) continue;
        double x = xs[i];
        CHECK_CLOSE(nt_tensor_get(y, i), x * x * x + pow(x, 5) + pow(x, 7) - 1 / (x * x * x) + fabs(x),
                    1e-14, 1e-14);
    }
    nt_expr_free(&e);

    /* a missing derivative stream and a missing coordinate are errors, not crashes */
    CHECK_OK(nt_expr_parse(&e, "u + u_xx", &env, NULL));
    CHECK(nt_expr_compile(&e, &t, &b) == NULL);
    CHECK(strstr(nt_error_msg(), "u_xx") != NULL);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "x + t", &env, NULL));
    CHECK(nt_expr_compile(&e, &t, &b) == NULL);
    CHECK(strstr(nt_error_msg(), "'t'") != NULL);
    nt_expr_free(&e);

    /* eval errors: derivative values, missing coordinates */
    double out[5];
    CHECK_OK(nt_expr_parse(&e, "u_x", &env, NULL));
    CHECK(nt_expr_eval(&e, 5, NULL, NULL, us, out) == NT_ERR_ARG);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "x*u", &env, NULL));
    CHECK(nt_expr_eval(&e, 5, NULL, NULL, us, out) == NT_ERR_ARG);
    CHECK(nt_expr_eval(&e, 5, xs, NULL, NULL, out) == NT_ERR_ARG);
    double xt[10];
    for (int i = 0; i < 5; i++) {
        xt[2 * i] = xs[i];
        xt[2 * i + 1] = 0;
    }
    CHECK_OK(nt_expr_eval(&e, 5, xt, NULL, us, out));
    for (int i = 0; i < 5; i++) CHECK_NEAR(out[i], xs[i] * us[i], 0);
    nt_expr_free(&e);
    CHECK_OK(nt_expr_parse(&e, "x > 0 && x < 1 || x == -2", &env, NULL));
    CHECK_OK(nt_expr_eval(&e, 5, xt, NULL, NULL, out));
    CHECK(out[0] == 1 && out[1] == 0 && out[2] == 0 && out[3] == 1 && out[4] == 0);
    nt_expr_free(&e);
    nt_tape_free(&t);
}

/* Gradient check: L = mean(r²), r = expression below, wrt the unknown lam (an
 * nt_params parameter) and wrt every value of the field tensors u and u_x, against
 * central differences with h = 1e-6 in float64. u has an exact 0 (abs' kink): the
 * gradient there must be finite, and it equals the symmetric difference (0). */
static const char *GRAD_EXPR =
    "lam*u_x + exp(-lam)*x^3 - sqrt(abs(x)+1) + u*abs(u) + x^5/(2+u^2) + (1+u^2)^lam"
    " + sinh(lam*u)/cosh(u) + tan(0.5*u) - 3/(lam+u*u) + abs(u)";

enum { GN = 23 };

typedef struct grad_setup {
    double x[GN], u[GN], ux[GN];
} grad_setup;

static double grad_loss(const nt_expr *e, grad_setup *g, double lam_v, int want_grad,
                        double *dlam, double *du, double *dux)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 18));
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 4));
    nt_tensor *lam = nt_params_add(&p, "lam", 1, 1);
    nt_tensor_set(lam, 0, lam_v);
    nt_params_zero_grad(&p);
    fake_fields ff;
    memset(&ff, 0, sizeof ff);
    ff.tape = &t;
    ff.dt = NT_F64;
    ff.n = GN;
    ff.val[0] = g->u;
    ff.ux = g->ux;
    ff.requires_grad = want_grad;
    nt_expr_bind b;
    memset(&b, 0, sizeof b);
    b.dtype = NT_F64;
    b.coord[0] = nt_tensor_from_f64(&t, NT_F64, GN, 1, g->x);
    b.unknown[0] = lam;
    b.field = fake_field;
    b.user = &ff;
    b.n = GN;
    nt_tensor *r = nt_expr_compile(e, &t, &b);
    CHECK(r != NULL);
    double L = NAN;
    if (r) {
        nt_tensor *loss = nt_mean_sq(&t, r);
        L = nt_tensor_get(loss, 0);
        if (want_grad) {
            CHECK_OK(nt_tape_backward(&t, loss));
            *dlam = nt_tensor_grad_get(lam, 0);
            for (int i = 0; i < GN; i++) {
                du[i] = ff.made[0][0] ? nt_tensor_grad_get(ff.made[0][0], i) : NAN;
                dux[i] = ff.made[0][1] ? nt_tensor_grad_get(ff.made[0][1], i) : NAN;
            }
        }
    }
    nt_params_free(&p);
    nt_tape_free(&t);
    return L;
}

static void check_grad(const char *what, int i, double an, double fd)
{
    double err = fabs(an - fd) / (1e-6 * fmax(fabs(an), fabs(fd)) + 1e-8);
    if (!(err <= 1))
        nt_test_fail(__FILE__, __LINE__, "d/d%s[%d]: analytic %.12g vs fd %.12g", what, i, an, fd);
}

static void test_gradients(void)
{
    nt_expr_env env = env_xt();
    nt_expr e;
    CHECK_OK(nt_expr_parse(&e, GRAD_EXPR, &env, NULL));
    grad_setup g;
    nt_rng rng;
    nt_rng_init(&rng, 11);
    for (int i = 0; i < GN; i++) {
        g.x[i] = -1.5 + 3 * nt_rng_uniform(&rng);
        g.u[i] = -1.2 + 2.4 * nt_rng_uniform(&rng);
        g.ux[i] = nt_rng_normal(&rng);
    }
    g.u[3] = 0;  /* abs kink */
    double lam = 0.8, dlam = NAN, du[GN], dux[GN];
    grad_loss(&e, &g, lam, 1, &dlam, du, dux);
    const double h = 1e-6;
    double fd = (grad_loss(&e, &g, lam + h, 0, NULL, NULL, NULL) -
                 grad_loss(&e, &g, lam - h, 0, NULL, NULL, NULL)) / (2 * h);
    CHECK(isfinite(dlam) && dlam != 0);
    check_grad("lam", 0, dlam, fd);
    for (int i = 0; i < GN; i++) {
        CHECK(isfinite(du[i]) && isfinite(dux[i]));
        double keep = g.u[i];
        g.u[i] = keep + h;
        double lp = grad_loss(&e, &g, lam, 0, NULL, NULL, NULL);
        g.u[i] = keep - h;
        double lm = grad_loss(&e, &g, lam, 0, NULL, NULL, NULL);
        g.u[i] = keep;
        check_grad("u", i, du[i], (lp - lm) / (2 * h));
        keep = g.ux[i];
        g.ux[i] = keep + h;
        lp = grad_loss(&e, &g, lam, 0, NULL, NULL, NULL);
        g.ux[i] = keep - h;
        lm = grad_loss(&e, &g, lam, 0, NULL, NULL, NULL);
        g.ux[i] = keep;
        check_grad("u_x", i, dux[i], (lp - lm) / (2 * h));
    }
    nt_expr_free(&e);
}

/* f32: the same loss compiles, and its lam gradient agrees with f64 to f32 accuracy. */
static void test_f32_gradient(void)
{
    nt_expr_env env = env_xt();
    nt_expr e;
    CHECK_OK(nt_expr_parse(&e, "lam*u_x + exp(-lam)*x^3 - sqrt(abs(x)+1)", &env, NULL));
    double g64 = 0, g32 = 0, L64 = 0, L32 = 0;
    for (int pass = 0; pass < 2; pass++) {
        nt_dtype dt = pass ? NT_F32 : NT_F64;
        nt_tape t;
        CHECK_OK(nt_tape_init(&t, 1 << 16));
        double xs[8], ux[8];
        for (int i = 0; i < 8; i++) {
            xs[i] = -1 + i * 0.3;
            ux[i] = cos(i);
        }
        fake_fields ff;
        memset(&ff, 0, sizeof ff);
        ff.tape = &t;
        ff.dt = dt;
        ff.n = 8;
        ff.ux = ux;
        nt_expr_bind b;
        memset(&b, 0, sizeof b);
        b.dtype = dt;
        b.coord[0] = nt_tensor_from_f64(&t, dt, 8, 1, xs);
        b.unknown[0] = nt_tensor_scalar(&t, dt, 0.3);
        nt_tensor_requires_grad(b.unknown[0]);
        b.field = fake_field;
        b.user = &ff;
        b.n = 8;
        nt_tensor *r = nt_expr_compile(&e, &t, &b);
        CHECK(r != NULL && r->dtype == dt);
        if (r) {
            nt_tensor *loss = nt_mean_sq(&t, r);
            CHECK_OK(nt_tape_backward(&t, loss));
            *(pass ? &L32 : &L64) = nt_tensor_get(loss, 0);
            *(pass ? &g32 : &g64) = nt_tensor_grad_get(b.unknown[0], 0);
        }
        nt_tape_free(&t);
    }
    CHECK_CLOSE(L32, L64, 1e-5, 1e-6);
    CHECK_CLOSE(g32, g64, 1e-5, 1e-6);
    CHECK(g64 != 0);
    nt_expr_free(&e);
}

int main(void)
{
    RUN(test_precedence);
    RUN(test_numbers_functions);
    RUN(test_resolution);
    RUN(test_errors);
    RUN(test_queries);
    RUN(test_compile_eval_f64);
    RUN(test_compile_eval_f32);
    RUN(test_compile_cases);
    RUN(test_gradients);
    RUN(test_f32_gradient);
    return nt_test_finish();
}
