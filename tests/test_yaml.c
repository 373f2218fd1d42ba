/* test_yaml.c — YAML tree: positions, errors with file:line:col, typed readers. */
#include "harness.h"
#include "io/yaml.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Loads text that must fail; checks the status, that the document is left empty and
 * that the message starts with want_prefix and contains want_sub (either may be NULL). */
static void load_fails(int line, const char *text, const char *want_prefix, const char *want_sub)
{
    nt_ydoc d;
    nt_status s = nt_yaml_load_string(&d, text, "cfg.yaml");
    const char *m = nt_error_msg();
    if (s != NT_ERR_FORMAT)
        nt_test_fail(__FILE__, line, "status %s, expected a format error (%s)", nt_status_str(s), m);
    if (d.root || d.pool || d.path) nt_test_fail(__FILE__, line, "document not left empty");
    if (want_prefix && strncmp(m, want_prefix, strlen(want_prefix)))
        nt_test_fail(__FILE__, line, "message '%s' does not start with '%s'", m, want_prefix);
    if (want_sub && !strstr(m, want_sub))
        nt_test_fail(__FILE__, line, "message '%s' lacks '%s'", m, want_sub);
    nt_yaml_free(&d);
}
#define CHECK_LOAD_FAILS(text, prefix, sub) load_fails(__LINE__, (text), (prefix), (sub))

#define CHECK_MSG(want)                                                                   \
    do {                                                                                  \
        if (strcmp(nt_error_msg(), (want)))                                               \
            nt_test_fail(__FILE__, __LINE__, "message\n  '%s'\nexpected\n  '%s'", nt_error_msg(), \
                         (const char *)(want));                                           \
    } while (0)

static const char *DOC =
    "# a problem file\n"                         /* 1 */
    "domain: {x: [-1, 1], t: [0, 1]}\n"          /* 2 */
    "model:\n"                                   /* 3 */
    "  type: mlp\n"                              /* 4 */
    "  width: 20\n"                              /* 5 */
    "  layers:\n"                                /* 6 */
    "    - 20\n"                                 /* 7 */
    "    - \"tanh\"\n"                           /* 8 */
    "    - {w: 3}\n"                             /* 9 */
    "  name: 'q''s'\n"                           /* 10 */
    "  note: |\n"                                /* 11 */
    "    line one\n"                             /* 12 */
    "    line two\n"                             /* 13 */
    "empty:\n"                                   /* 14 */
    "unicode: \"\xc3\xa9t\xc3\xa9\"\n";          /* 15 */

static void test_tree_positions(void)
{
    nt_ydoc d;
    CHECK_OK(nt_yaml_load_string(&d, DOC, "cfg.yaml"));
    const nt_ynode *r = d.root;
    CHECK(r && r->kind == NT_Y_MAP && r->n == 4);
    if (!r || r->kind != NT_Y_MAP || r->n != 4) { nt_yaml_free(&d); return; }
    CHECK(r->line == 2 && r->col == 1);
    CHECK(!strcmp(r->keys[0], "domain") && r->key_line[0] == 2 && r->key_col[0] == 1);
    CHECK(!strcmp(r->keys[1], "model") && r->key_line[1] == 3 && r->key_col[1] == 1);
    CHECK(!strcmp(r->keys[2], "empty") && r->key_line[2] == 14);
    CHECK(!strcmp(r->keys[3], "unicode") && r->key_line[3] == 15);

    /* flow map {x: [-1, 1], t: [0, 1]} */
    const nt_ynode *dom = nt_ynode_get(r, "domain");
    CHECK(dom && dom->kind == NT_Y_MAP && dom->n == 2 && dom->line == 2 && dom->col == 9);
    CHECK(nt_ynode_key_index(dom, "x") == 0 && nt_ynode_key_index(dom, "t") == 1);
    CHECK(dom->key_line[0] == 2 && dom->key_col[0] == 10);
    CHECK(dom->key_line[1] == 2 && dom->key_col[1] == 22);
    const nt_ynode *x = nt_ynode_get(dom, "x"), *t = nt_ynode_get(dom, "t");
    CHECK(x && x->kind == NT_Y_SEQ && x->n == 2 && x->line == 2 && x->col == 13);
    CHECK(t && t->kind == NT_Y_SEQ && t->n == 2 && t->line == 2 && t->col == 25);
    CHECK(!strcmp(x->items[0]->str, "-1") && x->items[0]->line == 2 && x->items[0]->col == 14);
    CHECK(!strcmp(x->items[1]->str, "1") && x->items[1]->col == 18);
    CHECK(!strcmp(t->items[1]->str, "1") && t->items[1]->col == 29);
    double v;
    CHECK_OK(nt_yaml_double(&d, x->items[0], "domain.x[0]", &v));
    CHECK(v == -1.0);

    /* block map with a block sequence */
    const nt_ynode *m = nt_ynode_get(r, "model");
    CHECK(m && m->kind == NT_Y_MAP && m->n == 5 && m->line == 4 && m->col == 3);
    CHECK(m->key_line[0] == 4 && m->key_col[0] == 3);
    const nt_ynode *ty = nt_ynode_get(m, "type");
    CHECK(ty && ty->kind == NT_Y_SCALAR && !strcmp(ty->str, "mlp") && ty->line == 4 &&
          ty->col == 9 && ty->style == NT_Y_PLAIN);
    const nt_ynode *layers = nt_ynode_get(m, "layers");
    CHECK(layers && layers->kind == NT_Y_SEQ && layers->n == 3);
    CHECK(layers->line == 7 && layers->col == 5); /* the first "-" */
    CHECK(layers->items[0]->line == 7 && layers->items[0]->col == 7);
    const nt_ynode *q = layers->items[1];
    CHECK(q->style == NT_Y_DOUBLE && !strcmp(q->str, "tanh") && q->line == 8 && q->col == 7);
    const nt_ynode *w = layers->items[2];
    CHECK(w->kind == NT_Y_MAP && w->line == 9 && w->col == 7 && w->key_col[0] == 8);
    const nt_ynode *nm = nt_ynode_get(m, "name");
    CHECK(nm->style == NT_Y_SINGLE && !strcmp(nm->str, "q's") && nm->line == 10 && nm->col == 9);
    const nt_ynode *note = nt_ynode_get(m, "note");
    CHECK(note->style == NT_Y_BLOCK && !strcmp(note->str, "line one\nline two\n"));
    CHECK(note->line == 11);

    /* empty value and UTF-8 */
    const nt_ynode *e = nt_ynode_get(r, "empty");
    CHECK(e && e->kind == NT_Y_SCALAR && !strcmp(e->str, "") && e->style == NT_Y_PLAIN);
    const char *s = NULL;
    CHECK_OK(nt_yaml_str(&d, nt_ynode_get(r, "unicode"), "unicode", &s));
    CHECK(s && !strcmp(s, "\xc3\xa9t\xc3\xa9"));

    /* lookups */
    CHECK(nt_ynode_get(r, "nope") == NULL && nt_ynode_key_index(r, "nope") == -1);
    CHECK(nt_ynode_get(x, "x") == NULL && nt_ynode_key_index(x, "x") == -1); /* not a map */
    CHECK(nt_ynode_get(NULL, "x") == NULL);
    nt_yaml_free(&d);
    nt_yaml_free(&d); /* second free on the zeroed doc is a no-op */
    CHECK(d.root == NULL && d.path == NULL);
}

static void test_aliases_shared(void)
{
    nt_ydoc d;
    CHECK_OK(nt_yaml_load_string(&d, "base: &b {width: 20, depth: 4}\nnet: *b\nw: &n 3\nv: *n\n",
                                 "a.yaml"));
    const nt_ynode *b = nt_ynode_get(d.root, "base"), *n = nt_ynode_get(d.root, "net");
    CHECK(b && b == n && b->kind == NT_Y_MAP && b->n == 2);
    CHECK(nt_ynode_get(d.root, "w") == nt_ynode_get(d.root, "v"));
    nt_yaml_free(&d);
    CHECK_LOAD_FAILS("a: *nope\n", "cfg.yaml:1:4: undefined alias '*nope'", NULL);
    CHECK_LOAD_FAILS("a: &s [1, *s]\n", "cfg.yaml:1:11: undefined alias '*s'", NULL); /* no cycles */
    CHECK_LOAD_FAILS("a: &k x\n*k : 2\n", "cfg.yaml:2:1: an alias cannot be a mapping key", NULL);
}

static void test_syntax_errors(void)
{
    /* unclosed flow sequence: found at the next line, context names where it began */
    CHECK_LOAD_FAILS("a: [1, 2\nb: 3\n", "cfg.yaml:2:",
                     "while parsing a flow sequence at line 1, column 4");
    CHECK_LOAD_FAILS("a: {x: 1, y: [0, 1]\n", "cfg.yaml:2:", "flow mapping");
    /* bad indentation */
    CHECK_LOAD_FAILS("model:\n  width: 2\n depth: 3\n", "cfg.yaml:3:2: ", "did not find expected key");
    CHECK_LOAD_FAILS("a: 1\n  b: 2\n", "cfg.yaml:2:4: ", "mapping values are not allowed");
    /* tab indentation */
    CHECK_LOAD_FAILS("a:\n\tb: 1\n", "cfg.yaml:2:1: ", "cannot start any token");
    /* unterminated quote */
    CHECK_LOAD_FAILS("a: \"x\nb: 2\n", "cfg.yaml:", "quoted scalar at line 1, column 4");
    /* invalid UTF-8: line/col from the byte offset */
    CHECK_LOAD_FAILS("a: 1\nb: \xff\n", "cfg.yaml:2:4: ", "UTF-8");
}

static void test_structure_errors(void)
{
    CHECK_LOAD_FAILS("lr: 1\nsteps: 2\nlr: 3\n", "cfg.yaml:3:1: duplicate key 'lr' (first at line 1)",
                     NULL);
    CHECK_MSG("cfg.yaml:3:1: duplicate key 'lr' (first at line 1)");
    CHECK_LOAD_FAILS("d: {x: 1,\n    x: 2}\n", "cfg.yaml:2:5: duplicate key 'x' (first at line 1)",
                     NULL);
    /* same key in different maps is fine */
    nt_ydoc d;
    CHECK_OK(nt_yaml_load_string(&d, "a: {x: 1}\nb: {x: 2}\n", "cfg.yaml"));
    nt_yaml_free(&d);

    CHECK_LOAD_FAILS("? [a, b]\n: 1\n", "cfg.yaml:1:3: mapping keys must be scalars", NULL);
    CHECK_LOAD_FAILS("{a: 1}: 2\n", "cfg.yaml:1:1: mapping keys must be scalars", NULL);
    CHECK_LOAD_FAILS("", "cfg.yaml:1:1: empty document", NULL);
    CHECK_LOAD_FAILS("# nothing here\n\n", "cfg.yaml:", "empty document");
    CHECK_LOAD_FAILS("---\n", "cfg.yaml:", "empty document");
    CHECK_LOAD_FAILS("a: 1\n---\nb: 2\n", "cfg.yaml:2:1: more than one document", NULL);

    /* deep nesting is refused, not a stack overflow */
    int depth = NT_YAML_MAX_DEPTH + 10;
    char *deep = malloc((size_t)depth * 2 + 2);
    for (int i = 0; i < depth; i++) deep[i] = '[';
    for (int i = 0; i < depth; i++) deep[depth + i] = ']';
    deep[2 * depth] = '\n';
    deep[2 * depth + 1] = 0;
    CHECK_LOAD_FAILS(deep, "cfg.yaml:1:", "nesting deeper than");
    free(deep);
}

static void test_check_keys(void)
{
    nt_ydoc d;
    CHECK_OK(nt_yaml_load_string(&d,
                                 "model:\n  type: mlp\n  widht: 20\n  depth: 3\n"
                                 "opt:\n  type: adam\n  momentum: 1\n"
                                 "list: [1]\n",
                                 "p.yaml"));
    static const char *const model_keys[] = {"type", "width", "depth", "activation", NULL};
    static const char *const opt_keys[] = {"type", "lr", "steps", NULL};
    const nt_ynode *m = nt_ynode_get(d.root, "model");
    CHECK(nt_yaml_check_keys(&d, m, model_keys, "model") == NT_ERR_FORMAT);
    CHECK_MSG("p.yaml:3:3: unknown key 'widht' in model (did you mean 'width'?; allowed: type, "
              "width, depth, activation)");
    CHECK(nt_yaml_check_keys(&d, nt_ynode_get(d.root, "opt"), opt_keys, "optimizer") ==
          NT_ERR_FORMAT);
    CHECK_MSG("p.yaml:7:3: unknown key 'momentum' in optimizer (allowed: type, lr, steps)");
    CHECK(nt_yaml_check_keys(&d, nt_ynode_get(d.root, "list"), opt_keys, "optimizer") ==
          NT_ERR_FORMAT);
    CHECK_MSG("p.yaml:8:7: optimizer must be a mapping, got a sequence");
    static const char *const top_keys[] = {"model", "opt", "list", NULL};
    CHECK_OK(nt_yaml_check_keys(&d, d.root, top_keys, "the problem file"));
    nt_yaml_free(&d);

    /* suggestions: one edit, two edits, none beyond two; short keys get none */
    static const char *const keys2[] = {"activation", "lr", "steps", NULL};
    CHECK_OK(nt_yaml_load_string(&d, "activaton: 1\n", "p.yaml"));
    CHECK(nt_yaml_check_keys(&d, d.root, keys2, "model") == NT_ERR_FORMAT);
    CHECK(strstr(nt_error_msg(), "did you mean 'activation'?") != NULL);
    nt_yaml_free(&d);
    CHECK_OK(nt_yaml_load_string(&d, "setps: 1\n", "p.yaml"));
    CHECK(nt_yaml_check_keys(&d, d.root, keys2, "model") == NT_ERR_FORMAT);
    CHECK(strstr(nt_error_msg(), "did you mean 'steps'?") != NULL);
    nt_yaml_free(&d);
    CHECK_OK(nt_yaml_load_string(&d, "sxqqz: 1\n", "p.yaml")); /* distance 4 */
    CHECK(nt_yaml_check_keys(&d, d.root, keys2, "model") == NT_ERR_FORMAT);
    CHECK(strstr(nt_error_msg(), "did you mean") == NULL);
    nt_yaml_free(&d);
    CHECK_OK(nt_yaml_load_string(&d, "x: 1\n", "p.yaml"));
    CHECK(nt_yaml_check_keys(&d, d.root, keys2, "model") == NT_ERR_FORMAT);
    CHECK_MSG("p.yaml:1:1: unknown key 'x' in model (allowed: activation, lr, steps)");
    nt_yaml_free(&d);
}

static void test_typed_readers(void)
{
    nt_ydoc d;
    CHECK_OK(nt_yaml_load_string(&d,
                                 "ok: [1e-3, -2, .5, 0.01, +3, 1E+2, 5., 0]\n"
                                 "bad: [1e-3x, nan, inf, .inf, 0x10, '1', 1e999, ., e3, 1e, '', [1]]\n"
                                 "empty:\n"
                                 "ints: [20000, 1e4, 20000.0, -7, 0]\n"
                                 "badints: [2.5, 1e-3, 9223372036854775808, 1e30, abc]\n"
                                 "range: [0, 101]\n"
                                 "bools: [true, false, yes, no, True, NO]\n"
                                 "badbools: [1, maybe, 'true']\n"
                                 "strs: [plain, 'quoted', 12]\n",
                                 "t.yaml"));
    const nt_ynode *r = d.root;
    const nt_ynode *ok = nt_ynode_get(r, "ok");
    const double want[] = {1e-3, -2, .5, 0.01, 3, 100, 5, 0};
    for (int i = 0; i < ok->n; i++) {
        double v = -999;
        CHECK_OK(nt_yaml_double(&d, ok->items[i], "value", &v));
        CHECK(v == want[i]);
    }
    const nt_ynode *bad = nt_ynode_get(r, "bad");
    CHECK(bad->n == 12);
    for (int i = 0; i < bad->n; i++) {
        double v = 42;
        nt_status s = nt_yaml_double(&d, bad->items[i], "lr", &v);
        CHECK(s == NT_ERR_FORMAT && v == 42);
        char pre[64];
        snprintf(pre, sizeof pre, "t.yaml:2:%d: ", bad->items[i]->col);
        if (strncmp(nt_error_msg(), pre, strlen(pre)) || !strstr(nt_error_msg(), "lr"))
            nt_test_fail(__FILE__, __LINE__, "item %d: '%s'", i, nt_error_msg());
    }
    double v;
    CHECK(nt_yaml_double(&d, bad->items[0], "lr", &v) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:2:7: expected a number for lr, got '1e-3x'");
    CHECK(nt_yaml_double(&d, bad->items[5], "lr", &v) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:2:36: expected a number for lr, got the quoted string '1' (remove the quotes)");
    CHECK(nt_yaml_double(&d, bad->items[6], "lr", &v) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:2:41: number out of range for lr: '1e999'");
    CHECK(nt_yaml_double(&d, bad->items[11], "lr", &v) == NT_ERR_FORMAT);
    CHECK(strstr(nt_error_msg(), "expected a number for lr, got a sequence") != NULL);
    CHECK(nt_yaml_double(&d, nt_ynode_get(r, "empty"), "lr", &v) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:3:7: expected a number for lr, got an empty value");
    CHECK(nt_yaml_double(&d, r, "lr", &v) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:1:1: expected a number for lr, got a mapping");

    const nt_ynode *ints = nt_ynode_get(r, "ints");
    const int64_t iwant[] = {20000, 10000, 20000, -7, 0};
    for (int i = 0; i < ints->n; i++) {
        int64_t k = -1;
        CHECK_OK(nt_yaml_int(&d, ints->items[i], "steps", -100, 1000000, &k));
        CHECK(k == iwant[i]);
    }
    int64_t k = 77;
    CHECK(nt_yaml_int(&d, ints->items[0], "steps", 0, 100, &k) == NT_ERR_FORMAT && k == 77);
    CHECK_MSG("t.yaml:4:8: steps must be between 0 and 100, got 20000");
    const nt_ynode *bi = nt_ynode_get(r, "badints");
    for (int i = 0; i < bi->n; i++) {
        CHECK(nt_yaml_int(&d, bi->items[i], "steps", INT64_MIN, INT64_MAX, &k) == NT_ERR_FORMAT);
        char pre[64];
        snprintf(pre, sizeof pre, "t.yaml:5:%d: ", bi->items[i]->col);
        if (strncmp(nt_error_msg(), pre, strlen(pre)))
            nt_test_fail(__FILE__, __LINE__, "item %d: '%s'", i, nt_error_msg());
    }
    CHECK(nt_yaml_int(&d, bi->items[0], "steps", 0, 10, &k) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:5:11: expected an integer for steps, got '2.5'");
    CHECK(k == 77);
    const nt_ynode *rg = nt_ynode_get(r, "range");
    CHECK_OK(nt_yaml_int(&d, rg->items[0], "width", 0, 100, &k));
    CHECK(k == 0);
    CHECK(nt_yaml_int(&d, rg->items[1], "width", 0, 100, &k) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:6:12: width must be between 0 and 100, got 101");

    const nt_ynode *bools = nt_ynode_get(r, "bools");
    const int bwant[] = {1, 0, 1, 0, 1, 0};
    for (int i = 0; i < bools->n; i++) {
        int b = -1;
        CHECK_OK(nt_yaml_bool(&d, bools->items[i], "flag", &b));
        CHECK(b == bwant[i]);
    }
    const nt_ynode *bb = nt_ynode_get(r, "badbools");
    int b = -1;
    CHECK(nt_yaml_bool(&d, bb->items[0], "plot", &b) == NT_ERR_FORMAT && b == -1);
    CHECK_MSG("t.yaml:8:12: expected true or false for plot, got '1'");
    CHECK(nt_yaml_bool(&d, bb->items[1], "plot", &b) == NT_ERR_FORMAT);
    CHECK(nt_yaml_bool(&d, bb->items[2], "plot", &b) == NT_ERR_FORMAT);
    CHECK(strstr(nt_error_msg(), "t.yaml:8:22: ") == nt_error_msg());

    const nt_ynode *strs = nt_ynode_get(r, "strs");
    const char *s = NULL;
    CHECK_OK(nt_yaml_str(&d, strs->items[0], "name", &s));
    CHECK(!strcmp(s, "plain"));
    CHECK_OK(nt_yaml_str(&d, strs->items[1], "name", &s));
    CHECK(!strcmp(s, "quoted"));
    CHECK_OK(nt_yaml_str(&d, strs->items[2], "name", &s));
    CHECK(!strcmp(s, "12"));
    CHECK(nt_yaml_str(&d, strs, "name", &s) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:9:7: expected a string for name, got a sequence");

    /* free-form errors at a node or a position */
    CHECK(nt_yaml_error(&d, strs->items[1], "bad %s %d", "thing", 3) == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:9:15: bad thing 3");
    CHECK(nt_yaml_error_at(&d, 4, 2, "here") == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml:4:2: here");
    CHECK(nt_yaml_error(&d, NULL, "whole file") == NT_ERR_FORMAT);
    CHECK_MSG("t.yaml: whole file");
    nt_yaml_free(&d);
}

static void test_files(void)
{
    char dir[] = "/tmp/nt_test_yaml_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], bad[128], missing[128];
    snprintf(path, sizeof path, "%s/problem.yaml", dir);
    snprintf(bad, sizeof bad, "%s/bad.yaml", dir);
    snprintf(missing, sizeof missing, "%s/missing.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("pde: burgers\nnu: 0.01\n", f);
    fclose(f);
    f = fopen(bad, "w");
    fputs("pde: burgers\nnu: [0.01\n", f);
    fclose(f);

    nt_ydoc d;
    CHECK_OK(nt_yaml_load(&d, path));
    CHECK(!strcmp(d.path, path));
    double nu = 0;
    CHECK_OK(nt_yaml_double(&d, nt_ynode_get(d.root, "nu"), "nu", &nu));
    CHECK(nu == 0.01);
    CHECK(nt_yaml_int(&d, nt_ynode_get(d.root, "nu"), "nu", 0, 1, &(int64_t){0}) == NT_ERR_FORMAT);
    char want[256];
    snprintf(want, sizeof want, "%s:2:5: expected an integer for nu, got '0.01'", path);
    CHECK_MSG(want);
    nt_yaml_free(&d);

    CHECK(nt_yaml_load(&d, bad) == NT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:3:", bad);
    CHECK(!strncmp(nt_error_msg(), want, strlen(want)));

    CHECK(nt_yaml_load(&d, missing) == NT_ERR_IO);
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", missing);
    CHECK_MSG(want);
    CHECK(d.root == NULL);
    nt_yaml_free(&d);

    remove(path);
    remove(bad);
    rmdir(dir);
}

int main(void)
{
    RUN(test_tree_positions);
    RUN(test_aliases_shared);
    RUN(test_syntax_errors);
    RUN(test_structure_errors);
    RUN(test_check_keys);
    RUN(test_typed_readers);
    RUN(test_files);
    return nt_test_finish();
}
