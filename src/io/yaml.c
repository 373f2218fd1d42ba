/* yaml.c — YAML tree with source positions, built from libyaml's event parser. */
#include "io/yaml.h"

#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ------------------------------------------------------------------------------ */
/* Messages                                                                         */

static const char *doc_name(const nt_ydoc *d) { return d && d->path ? d->path : "<yaml>"; }

static nt_status verror_at(const nt_ydoc *d, int line, int col, const char *fmt, va_list ap)
{
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0)
        return nt_set_error(NT_ERR_FORMAT, "%s:%d:%d: %s", doc_name(d), line, col, msg);
    return nt_set_error(NT_ERR_FORMAT, "%s: %s", doc_name(d), msg);
}

nt_status nt_yaml_error_at(const nt_ydoc *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nt_status s = verror_at(d, line, col, fmt, ap);
    va_end(ap);
    return s;
}

nt_status nt_yaml_error(const nt_ydoc *d, const nt_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nt_status s = verror_at(d, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    return s;
}

const char *nt_ynode_kind_str(const nt_ynode *n)
{
    if (!n) return "nothing";
    switch (n->kind) {
    case NT_Y_SCALAR: return "a scalar";
    case NT_Y_SEQ: return "a sequence";
    case NT_Y_MAP: return "a mapping";
    }
    return "?";
}

/* ------------------------------------------------------------------------------ */
/* Building the tree                                                                */

typedef struct anchor {
    char *name;
    nt_ynode *node;
} anchor;

typedef struct builder {
    nt_ydoc *d;
    yaml_parser_t parser;
    const char *text;   /* for turning a reader error's byte offset into line:col */
    size_t len;
    anchor *anchors;
    int n_anchors, cap_anchors;
} builder;

static void *grow(void *p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return p;
    int nc = *cap ? *cap * 2 : 8;
    while (nc < need) nc *= 2;
    void *q = realloc(p, (size_t)nc * elem);
    if (q) *cap = nc;
    return q;
}

static nt_status nomem(void) { return nt_set_error(NT_ERR_NOMEM, "out of memory reading YAML"); }

static int mark_line(yaml_mark_t m) { return (int)m.line + 1; }
static int mark_col(yaml_mark_t m) { return (int)m.column + 1; }

static nt_ynode *new_node(builder *b, nt_ykind kind, yaml_mark_t m)
{
    nt_ydoc *d = b->d;
    if (d->n_pool == d->cap_pool) {
        void *p = grow(d->pool, &d->cap_pool, d->n_pool + 1, sizeof *d->pool);
        if (!p) return NULL;
        d->pool = p;
    }
    nt_ynode *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->line = mark_line(m);
    n->col = mark_col(m);
    d->pool[d->n_pool++] = n;
    return n;
}

static void free_node(nt_ynode *n)
{
    free(n->str);
    for (int i = 0; n->keys && i < n->n; i++) free(n->keys[i]);
    free(n->keys);
    free(n->items);
    free(n->key_line);
    free(n->key_col);
    free(n);
}

void nt_yaml_free(nt_ydoc *d)
{
    if (!d) return;
    for (int i = 0; i < d->n_pool; i++) free_node(d->pool[i]);
    free(d->pool);
    free(d->path);
    memset(d, 0, sizeof *d);
}

/* Line and column of a byte offset in the text (columns in characters). */
static void offset_pos(const builder *b, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    if (off > b->len) off = b->len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)b->text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static nt_status parser_error(builder *b)
{
    yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "syntax error";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return nomem();
    case YAML_READER_ERROR: {
        int l, c;
        offset_pos(b, p->problem_offset, &l, &c);
        if (p->problem_value >= 0)
            return nt_yaml_error_at(b->d, l, c, "%s (byte 0x%02X)", problem, p->problem_value);
        return nt_yaml_error_at(b->d, l, c, "%s", problem);
    }
    default:
        if (p->context)
            return nt_yaml_error_at(b->d, mark_line(p->problem_mark), mark_col(p->problem_mark),
                                    "%s (%s at line %d, column %d)", problem, p->context,
                                    mark_line(p->context_mark), mark_col(p->context_mark));
        return nt_yaml_error_at(b->d, mark_line(p->problem_mark), mark_col(p->problem_mark), "%s",
                                problem);
    }
}

static nt_status next_event(builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) return parser_error(b);
    return NT_OK;
}

static nt_status add_anchor(builder *b, const yaml_char_t *name, nt_ynode *node)
{
    if (!name) return NT_OK;
    for (int i = 0; i < b->n_anchors; i++)
        if (!strcmp(b->anchors[i].name, (const char *)name)) {
            b->anchors[i].node = node; /* a redefined anchor replaces the old one */
            return NT_OK;
        }
    void *p = grow(b->anchors, &b->cap_anchors, b->n_anchors + 1, sizeof *b->anchors);
    if (!p) return nomem();
    b->anchors = p;
    char *s = strdup((const char *)name);
    if (!s) return nomem();
    b->anchors[b->n_anchors].name = s;
    b->anchors[b->n_anchors].node = node;
    b->n_anchors++;
    return NT_OK;
}

/* Makes room for item n->n (and, for a map, its key and position). */
static nt_status push_item(nt_ynode *n, int *cap, nt_ynode *item)
{
    if (n->n == *cap) {
        int nc = *cap ? *cap * 2 : 4;
        size_t c = (size_t)nc;
        void *p = realloc(n->items, c * sizeof *n->items);
        if (!p) return nomem();
        n->items = p;
        if (n->kind == NT_Y_MAP) {
            if (!(p = realloc(n->keys, c * sizeof *n->keys))) return nomem();
            n->keys = p;
            if (!(p = realloc(n->key_line, c * sizeof *n->key_line))) return nomem();
            n->key_line = p;
            if (!(p = realloc(n->key_col, c * sizeof *n->key_col))) return nomem();
            n->key_col = p;
        }
        *cap = nc;
    }
    n->items[n->n] = item;
    return NT_OK;
}

static nt_status parse_node(builder *b, yaml_event_t *ev, int depth, nt_ynode **out);

static nt_status parse_seq(builder *b, nt_ynode *n, int depth)
{
    int cap = 0;
    for (;;) {
        yaml_event_t ev;
        nt_status st = next_event(b, &ev);
        if (st) return st;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return NT_OK;
        }
        nt_ynode *item = NULL;
        st = parse_node(b, &ev, depth + 1, &item);
        yaml_event_delete(&ev);
        if (st) return st;
        if ((st = push_item(n, &cap, item))) return st;
        n->n++;
    }
}

static nt_status parse_map(builder *b, nt_ynode *n, int depth)
{
    int cap = 0;
    for (;;) {
        yaml_event_t ev;
        nt_status st = next_event(b, &ev);
        if (st) return st;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return NT_OK;
        }
        int kl = mark_line(ev.start_mark), kc = mark_col(ev.start_mark);
        if (ev.type != YAML_SCALAR_EVENT) {
            yaml_event_type_t t = ev.type;
            yaml_event_delete(&ev);
            if (t == YAML_ALIAS_EVENT)
                return nt_yaml_error_at(b->d, kl, kc, "an alias cannot be a mapping key");
            return nt_yaml_error_at(b->d, kl, kc, "mapping keys must be scalars (found a %s)",
                                    t == YAML_SEQUENCE_START_EVENT ? "sequence" : "mapping");
        }
        size_t klen = ev.data.scalar.length;
        const char *kv = (const char *)ev.data.scalar.value;
        if (memchr(kv, 0, klen)) {
            yaml_event_delete(&ev);
            return nt_yaml_error_at(b->d, kl, kc, "mapping key contains a NUL character");
        }
        for (int i = 0; i < n->n; i++)
            if (!strcmp(n->keys[i], kv)) {
                nt_status e = nt_yaml_error_at(b->d, kl, kc, "duplicate key '%s' (first at line %d)",
                                               kv, n->key_line[i]);
                yaml_event_delete(&ev);
                return e;
            }
        char *key = strdup(kv);
        yaml_event_delete(&ev);
        if (!key) return nomem();
        if ((st = push_item(n, &cap, NULL))) {
            free(key);
            return st;
        }
        n->keys[n->n] = key;
        n->key_line[n->n] = kl;
        n->key_col[n->n] = kc;
        n->n++; /* counted now so that nt_yaml_free releases the key on error */

        if ((st = next_event(b, &ev))) return st;
        nt_ynode *val = NULL;
        st = parse_node(b, &ev, depth + 1, &val);
        yaml_event_delete(&ev);
        if (st) return st;
        n->items[n->n - 1] = val;
    }
}

static nt_status parse_node(builder *b, yaml_event_t *ev, int depth, nt_ynode **out)
{
    int line = mark_line(ev->start_mark), col = mark_col(ev->start_mark);
    if (depth > NT_YAML_MAX_DEPTH)
        return nt_yaml_error_at(b->d, line, col, "nesting deeper than %d levels", NT_YAML_MAX_DEPTH);
    nt_ynode *n;
    nt_status st;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (int i = b->n_anchors - 1; i >= 0; i--)
            if (!strcmp(b->anchors[i].name, name)) {
                *out = b->anchors[i].node;
                return NT_OK;
            }
        return nt_yaml_error_at(b->d, line, col,
                                "undefined alias '*%s' (an alias must follow its complete anchored node)",
                                name);
    }
    case YAML_SCALAR_EVENT: {
        size_t len = ev->data.scalar.length;
        if (memchr(ev->data.scalar.value, 0, len))
            return nt_yaml_error_at(b->d, line, col, "scalar contains a NUL character");
        if (!(n = new_node(b, NT_Y_SCALAR, ev->start_mark))) return nomem();
        if (!(n->str = malloc(len + 1))) return nomem();
        memcpy(n->str, ev->data.scalar.value, len);
        n->str[len] = 0;
        switch (ev->data.scalar.style) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = NT_Y_SINGLE; break;
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = NT_Y_DOUBLE; break;
        case YAML_LITERAL_SCALAR_STYLE:
        case YAML_FOLDED_SCALAR_STYLE: n->style = NT_Y_BLOCK; break;
        default: n->style = NT_Y_PLAIN; break;
        }
        *out = n;
        return add_anchor(b, ev->data.scalar.anchor, n);
    }
    case YAML_SEQUENCE_START_EVENT:
        if (!(n = new_node(b, NT_Y_SEQ, ev->start_mark))) return nomem();
        if ((st = parse_seq(b, n, depth))) return st;
        *out = n;
        return add_anchor(b, ev->data.sequence_start.anchor, n);
    case YAML_MAPPING_START_EVENT:
        if (!(n = new_node(b, NT_Y_MAP, ev->start_mark))) return nomem();
        if ((st = parse_map(b, n, depth))) return st;
        *out = n;
        return add_anchor(b, ev->data.mapping_start.anchor, n);
    default:
        return nt_yaml_error_at(b->d, line, col, "unexpected YAML event %d", (int)ev->type);
    }
}

static nt_status build(builder *b)
{
    yaml_event_t ev;
    nt_status st;
    if ((st = next_event(b, &ev))) return st; /* stream start */
    yaml_event_delete(&ev);
    if ((st = next_event(b, &ev))) return st;
    if (ev.type != YAML_DOCUMENT_START_EVENT) {
        yaml_event_delete(&ev);
        return nt_yaml_error_at(b->d, 1, 1, "empty document");
    }
    yaml_event_delete(&ev);
    if ((st = next_event(b, &ev))) return st;
    int is_empty = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
                   ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.anchor &&
                   !ev.data.scalar.tag;
    int el = mark_line(ev.start_mark), ec = mark_col(ev.start_mark);
    if (is_empty) {
        yaml_event_delete(&ev);
        return nt_yaml_error_at(b->d, el, ec, "empty document");
    }
    st = parse_node(b, &ev, 0, &b->d->root);
    yaml_event_delete(&ev);
    if (st) return st;
    if ((st = next_event(b, &ev))) return st; /* document end */
    yaml_event_delete(&ev);
    if ((st = next_event(b, &ev))) return st;
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
        st = nt_yaml_error_at(b->d, mark_line(ev.start_mark), mark_col(ev.start_mark),
                              "more than one document (a file holds exactly one; the first "
                              "ends before this point)");
        yaml_event_delete(&ev);
        return st;
    }
    yaml_event_delete(&ev);
    return NT_OK;
}

nt_status nt_yaml_load_string(nt_ydoc *d, const char *text, const char *name)
{
    NT_ASSERT(d && text, "nt_yaml_load_string: NULL argument");
    memset(d, 0, sizeof *d);
    d->path = strdup(name ? name : "<yaml>");
    if (!d->path) return nomem();
    builder b;
    memset(&b, 0, sizeof b);
    b.d = d;
    b.text = text;
    b.len = strlen(text);
    if (!yaml_parser_initialize(&b.parser)) return nomem();
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, b.len);
    nt_status st = build(&b);
    yaml_parser_delete(&b.parser);
    for (int i = 0; i < b.n_anchors; i++) free(b.anchors[i].name);
    free(b.anchors);
    if (st) {
        /* keep the message (it names the path), drop the tree */
        nt_yaml_free(d);
    }
    return st;
}

nt_status nt_yaml_load(nt_ydoc *d, const char *path)
{
    NT_ASSERT(d && path, "nt_yaml_load: NULL argument");
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f) return nt_set_error(NT_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return nomem();
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return nomem();
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err) {
        free(buf);
        return nt_set_error(NT_ERR_IO, "cannot read '%s': %s", path, strerror(err));
    }
    buf[len] = 0;
    if (memchr(buf, 0, len)) {
        /* libyaml would stop at the NUL of a string input; report it instead */
        builder b;
        memset(&b, 0, sizeof b);
        b.text = buf;
        b.len = len;
        int l, c;
        offset_pos(&b, (size_t)((char *)memchr(buf, 0, len) - buf), &l, &c);
        free(buf);
        return nt_set_error(NT_ERR_FORMAT, "%s:%d:%d: file contains a NUL byte (not a text file?)",
                            path, l, c);
    }
    nt_status st = nt_yaml_load_string(d, buf, path);
    free(buf);
    return st;
}

/* ------------------------------------------------------------------------------ */
/* Lookup and key checking                                                          */

int nt_ynode_key_index(const nt_ynode *map, const char *key)
{
    if (!map || map->kind != NT_Y_MAP) return -1;
    for (int i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i], key)) return i;
    return -1;
}

const nt_ynode *nt_ynode_get(const nt_ynode *map, const char *key)
{
    int i = nt_ynode_key_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

/* Optimal string alignment distance (Levenshtein plus adjacent swaps), capped: any
 * distance above `cap` is reported as cap + 1. */
static int osa_distance(const char *a, const char *b, int cap)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la - lb > cap || lb - la > cap) return cap + 1;
    if (la > 64 || lb > 64) return cap + 1;
    int dd[65][65];
    for (int i = 0; i <= la; i++) dd[i][0] = i;
    for (int j = 0; j <= lb; j++) dd[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = dd[i - 1][j] + 1;
            if (dd[i][j - 1] + 1 < v) v = dd[i][j - 1] + 1;
            if (dd[i - 1][j - 1] + cost < v) v = dd[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                dd[i - 2][j - 2] + 1 < v)
                v = dd[i - 2][j - 2] + 1;
            dd[i][j] = v;
        }
    return dd[la][lb] > cap ? cap + 1 : dd[la][lb];
}

nt_status nt_yaml_check_keys(const nt_ydoc *d, const nt_ynode *map, const char *const *allowed,
                             const char *what)
{
    NT_ASSERT(map && allowed, "nt_yaml_check_keys: NULL argument");
    if (map->kind != NT_Y_MAP)
        return nt_yaml_error(d, map, "%s must be a mapping, got %s", what, nt_ynode_kind_str(map));
    for (int i = 0; i < map->n; i++) {
        const char *k = map->keys[i];
        int found = 0;
        for (int j = 0; allowed[j]; j++)
            if (!strcmp(allowed[j], k)) {
                found = 1;
                break;
            }
        if (found) continue;
        const char *best = NULL;
        int best_d = 3, klen = (int)strlen(k);
        for (int j = 0; allowed[j]; j++) {
            int dist = osa_distance(k, allowed[j], 2);
            if (dist <= 2 && dist < klen && dist < best_d) {
                best_d = dist;
                best = allowed[j];
            }
        }
        char list[600];
        size_t pos = 0;
        list[0] = 0;
        for (int j = 0; allowed[j] && pos < sizeof list - 1; j++) {
            int w = snprintf(list + pos, sizeof list - pos, "%s%s", j ? ", " : "", allowed[j]);
            if (w < 0) break;
            pos += (size_t)w;
        }
        if (best)
            return nt_yaml_error_at(d, map->key_line[i], map->key_col[i],
                                    "unknown key '%s' in %s (did you mean '%s'?; allowed: %s)", k,
                                    what, best, list);
        return nt_yaml_error_at(d, map->key_line[i], map->key_col[i],
                                "unknown key '%s' in %s (allowed: %s)", k, what, list);
    }
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Typed readers                                                                    */

/* Scans [+-]?(D+(.D*)?|.D+)([eE][+-]?D+)? over the whole string; sets *is_int when
 * there is neither a point nor an exponent. */
static int number_syntax(const char *s, int *is_int)
{
    const char *p = s;
    int digits = 0, integral = 1;
    if (*p == '+' || *p == '-') p++;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.') {
        integral = 0;
        p++;
        while (*p >= '0' && *p <= '9') p++, digits++;
    }
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        integral = 0;
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p) return 0;
    if (is_int) *is_int = integral;
    return 1;
}

/* Common checks: n is a plain scalar. */
static nt_status need_plain(const nt_ydoc *d, const nt_ynode *n, const char *kind, const char *what)
{
    NT_ASSERT(n, "nt_yaml reader: NULL node");
    if (n->kind != NT_Y_SCALAR)
        return nt_yaml_error(d, n, "expected %s for %s, got %s", kind, what, nt_ynode_kind_str(n));
    if (n->style != NT_Y_PLAIN)
        return nt_yaml_error(d, n, "expected %s for %s, got the quoted string '%s' (remove the quotes)",
                             kind, what, n->str);
    if (!n->str[0]) return nt_yaml_error(d, n, "expected %s for %s, got an empty value", kind, what);
    return NT_OK;
}

nt_status nt_yaml_double(const nt_ydoc *d, const nt_ynode *n, const char *what, double *out)
{
    nt_status st = need_plain(d, n, "a number", what);
    if (st) return st;
    if (!number_syntax(n->str, NULL))
        return nt_yaml_error(d, n, "expected a number for %s, got '%s'", what, n->str);
    double v = strtod(n->str, NULL);
    if (!isfinite(v))
        return nt_yaml_error(d, n, "number out of range for %s: '%s'", what, n->str);
    *out = v;
    return NT_OK;
}

nt_status nt_yaml_int(const nt_ydoc *d, const nt_ynode *n, const char *what, int64_t lo, int64_t hi,
                      int64_t *out)
{
    nt_status st = need_plain(d, n, "an integer", what);
    if (st) return st;
    int is_int = 0;
    if (!number_syntax(n->str, &is_int))
        return nt_yaml_error(d, n, "expected an integer for %s, got '%s'", what, n->str);
    int64_t v;
    if (is_int) {
        errno = 0;
        long long x = strtoll(n->str, NULL, 10);
        if (errno == ERANGE)
            return nt_yaml_error(d, n, "%s must be between %lld and %lld, got %s", what,
                                 (long long)lo, (long long)hi, n->str);
        v = (int64_t)x;
    } else {
        double x = strtod(n->str, NULL);
        if (!isfinite(x) || x != floor(x))
            return nt_yaml_error(d, n, "expected an integer for %s, got '%s'", what, n->str);
        if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
            return nt_yaml_error(d, n, "%s must be between %lld and %lld, got %s", what,
                                 (long long)lo, (long long)hi, n->str);
        v = (int64_t)x;
    }
    if (v < lo || v > hi)
        return nt_yaml_error(d, n, "%s must be between %lld and %lld, got %s", what, (long long)lo,
                             (long long)hi, n->str);
    *out = v;
    return NT_OK;
}

nt_status nt_yaml_bool(const nt_ydoc *d, const nt_ynode *n, const char *what, int *out)
{
    nt_status st = need_plain(d, n, "true or false", what);
    if (st) return st;
    if (!strcasecmp(n->str, "true") || !strcasecmp(n->str, "yes")) {
        *out = 1;
        return NT_OK;
    }
    if (!strcasecmp(n->str, "false") || !strcasecmp(n->str, "no")) {
        *out = 0;
        return NT_OK;
    }
    return nt_yaml_error(d, n, "expected true or false for %s, got '%s'", what, n->str);
}

nt_status nt_yaml_str(const nt_ydoc *d, const nt_ynode *n, const char *what, const char **out)
{
    NT_ASSERT(n, "nt_yaml_str: NULL node");
    if (n->kind != NT_Y_SCALAR)
        return nt_yaml_error(d, n, "expected a string for %s, got %s", what, nt_ynode_kind_str(n));
    *out = n->str;
    return NT_OK;
}
