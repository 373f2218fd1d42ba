/* bench.c — `noether bench`: every catalogue problem trained in its own run folder,
 * with a table of errors beside the published figures (see bench.h). */
#include "pinn/bench.h"
#include "core/internal.h"
#include "io/yaml.h"
#include "pinn/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_ENTRIES 64

typedef struct entry {
    char file[1024];  /* resolved path of the problem file */
    char name[64];    /* problem name (the file's `name`, else its stem) */
    double published; /* NaN: none */
    char source[256];
    char method[128];
    /* results */
    int ran, rc;
    char status[32];
    double err, wall, train_s;
    long long steps;
    char fields[256]; /* "u 1.2e-3, v 3.4e-4" */
} entry;

/* The number after "key": in a summary.json text (NaN if absent or null). */
static double json_number(const char *text, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(text, pat);
    if (!p) return NAN;
    p += strlen(pat);
    if (!strncmp(p, "null", 4)) return NAN;
    return strtod(p, NULL);
}

static void json_string(const char *text, const char *key, char *out, size_t cap)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(text, pat);
    out[0] = 0;
    if (!p) return;
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < cap) out[i++] = *p++;
    out[i] = 0;
}

/* Reads the run's summary.json: largest error over the fields, per-field text. */
static void read_summary(entry *e, const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *s = nt_read_file(path, NULL);
    e->err = e->wall = e->train_s = NAN;
    e->steps = -1;
    snprintf(e->status, sizeof e->status, "no summary");
    e->fields[0] = 0;
    if (!s) return;
    json_string(s, "status", e->status, sizeof e->status);
    e->wall = json_number(s, "wall_seconds");
    e->train_s = json_number(s, "train_seconds");
    double st = json_number(s, "steps");
    e->steps = isfinite(st) ? (long long)st : -1;
    const char *r = strstr(s, "\"rel_l2\": {");
    if (r) {
        r += strlen("\"rel_l2\": {");
        double worst = NAN;
        size_t used = 0;
        while (*r == '"') {
            const char *q = strchr(r + 1, '"');
            if (!q || q[1] != ':') break;
            char fname[32];
            size_t L = (size_t)(q - r - 1) < sizeof fname - 1 ? (size_t)(q - r - 1) : sizeof fname - 1;
            memcpy(fname, r + 1, L);
            fname[L] = 0;
            char *end;
            const char *v = q + 3;
            double x = strncmp(v, "null", 4) ? strtod(v, &end) : NAN;
            if (!strncmp(v, "null", 4)) end = (char *)v + 4;
            if (!(worst >= x) && isfinite(x)) worst = isfinite(worst) ? fmax(worst, x) : x;
            if (!isfinite(x)) worst = NAN, x = NAN;
            used += (size_t)snprintf(e->fields + used, used < sizeof e->fields ? sizeof e->fields - used : 0, "%s%s %.2e",
                                     used ? ", " : "", fname, x);
            r = end;
            if (*r == ',') r += 2;
        }
        e->err = worst;
    }
    /* learned unknowns: "name": {"value": v, ..., "rel_error": e} */
    const char *u = strstr(s, "\"unknowns\": {");
    if (u) {
        u += strlen("\"unknowns\": {");
        size_t used = strlen(e->fields);
        while (*u == '"') {
            const char *q = strchr(u + 1, '"');
            if (!q) break;
            char name[32];
            size_t L = (size_t)(q - u - 1) < sizeof name - 1 ? (size_t)(q - u - 1) : sizeof name - 1;
            memcpy(name, u + 1, L);
            name[L] = 0;
            const char *end = strchr(q, '}');
            if (!end) break;
            char obj[256];
            size_t ol = (size_t)(end - q) < sizeof obj - 1 ? (size_t)(end - q) : sizeof obj - 1;
            memcpy(obj, q, ol);
            obj[ol] = 0;
            double v = json_number(obj, "value"), re = json_number(obj, "rel_error");
            if (used < sizeof e->fields)
                used += (size_t)snprintf(e->fields + used, sizeof e->fields - used, "%s%s = %.4g", used ? "; " : "", name, v);
            if (isfinite(re) && used < sizeof e->fields)
                used += (size_t)snprintf(e->fields + used, sizeof e->fields - used, " (error %.2f%%)", 100 * re);
            u = end + 1;
            if (*u == ',') u += 2;
        }
    }
    free(s);
}

static nt_status load_catalogue(const char *path, entry *es, int *n)
{
    nt_ydoc d;
    nt_status st = nt_yaml_load(&d, path);
    if (st) return st;
    static const char *top[] = {"problems", NULL};
    static const char *keys[] = {"file", "published", "source", "method", NULL};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = 0;
    else dir[0] = 0;
    const nt_ynode *ps;
    *n = 0;
    if ((st = nt_yaml_check_keys(&d, d.root, top, "the catalogue"))) goto out;
    ps = nt_ynode_get(d.root, "problems");
    if (!ps || ps->kind != NT_Y_SEQ || ps->n < 1 || ps->n > MAX_ENTRIES) {
        st = nt_yaml_error(&d, ps ? ps : d.root, "'problems' must be a list of 1 to %d entries", MAX_ENTRIES);
        goto out;
    }
    for (int i = 0; i < ps->n; i++) {
        const nt_ynode *it = ps->items[i], *x;
        entry *e = &es[i];
        memset(e, 0, sizeof *e);
        e->published = NAN;
        if ((st = nt_yaml_check_keys(&d, it, keys, "a catalogue entry"))) goto out;
        const char *s;
        if (!(x = nt_ynode_get(it, "file"))) {
            st = nt_yaml_error(&d, it, "a catalogue entry needs 'file'");
            goto out;
        }
        if ((st = nt_yaml_str(&d, x, "file", &s))) goto out;
        if (s[0] == '/') snprintf(e->file, sizeof e->file, "%s", s);
        else snprintf(e->file, sizeof e->file, "%s%s", dir, s);
        struct stat sb;
        if (stat(e->file, &sb) != 0) {
            st = nt_yaml_error(&d, x, "problem file '%s' not found", e->file);
            goto out;
        }
        const char *base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
        snprintf(e->name, sizeof e->name, "%s", base);
        char *dot = strrchr(e->name, '.');
        if (dot) *dot = 0;
        if ((x = nt_ynode_get(it, "published")) && (st = nt_yaml_double(&d, x, "published", &e->published))) goto out;
        if ((x = nt_ynode_get(it, "source"))) {
            if ((st = nt_yaml_str(&d, x, "source", &s))) goto out;
            snprintf(e->source, sizeof e->source, "%s", s);
        }
        if ((x = nt_ynode_get(it, "method"))) {
            if ((st = nt_yaml_str(&d, x, "method", &s))) goto out;
            snprintf(e->method, sizeof e->method, "%s", s);
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(es[k].name, e->name)) {
                st = nt_yaml_error(&d, x, "problem '%s' is listed twice", e->name);
                goto out;
            }
        (*n)++;
    }
out:
    nt_yaml_free(&d);
    return st;
}

static void fmt_err(char *out, size_t cap, double v)
{
    if (isfinite(v)) snprintf(out, cap, "%.2e", v);
    else snprintf(out, cap, "—");
}

/* Writes s as a Markdown table cell ('|' escaped). */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

static void write_table(FILE *f, const entry *es, int n, const nt_bench_opts *o, const char *cmdline, const char *when)
{
    fprintf(f, "Date: %s. Command: `%s`. Threads: %d.\n\n", when, cmdline, nt_threads_get());
    fprintf(f, "| problem | rel. L2 (ours) | per field | published | method, source | wall s | steps | steps/s | status |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        const entry *e = &es[i];
        if (!e->ran) continue;
        char a[32], b[32];
        fmt_err(a, sizeof a, e->err);
        fmt_err(b, sizeof b, e->published);
        double sps = e->steps > 0 && e->train_s > 0 ? e->steps / e->train_s : NAN;
        fprintf(f, "| %s | %s | ", e->name, a);
        md_cell(f, e->fields[0] ? e->fields : "—");
        fprintf(f, " | %s | ", b);
        md_cell(f, e->method);
        fprintf(f, "%s", e->method[0] && e->source[0] ? "; " : "");
        md_cell(f, e->source[0] || e->method[0] ? e->source : "—");
        fprintf(f, " | %.1f | %lld | %.1f | %s |\n", e->wall, e->steps, sps, e->status);
    }
    (void)o;
}

int nt_run_bench(const nt_bench_opts *o)
{
    entry *es = calloc(MAX_ENTRIES, sizeof *es);
    int n = 0, rc = 0;
    if (!es) return 1;
    if (load_catalogue(o->catalogue, es, &n)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        free(es);
        return 2;
    }
    for (int k = 0; k < o->n_names; k++) {
        int found = 0;
        for (int i = 0; i < n; i++) found |= !strcmp(es[i].name, o->names[k]);
        if (!found) {
            fprintf(stderr, "noether bench: '%s' is not in %s (its problems:", o->names[k], o->catalogue);
            for (int i = 0; i < n; i++) fprintf(stderr, " %s", es[i].name);
            fprintf(stderr, ")\n");
            free(es);
            return 2;
        }
    }
    char dir[1024], when[64], cmdline[512];
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tmv);
    if (o->out_dir) snprintf(dir, sizeof dir, "%s", o->out_dir);
    else {
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
        snprintf(dir, sizeof dir, "runs/bench-%s", stamp);
    }
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        fprintf(stderr, "noether bench: '%s' exists; choose another --out\n", dir);
        free(es);
        return 2;
    }
    size_t used = (size_t)snprintf(cmdline, sizeof cmdline, "noether bench%s", o->quick ? " --quick" : "");
    if (o->time_limit > 0 && !o->quick && used < sizeof cmdline)
        used += (size_t)snprintf(cmdline + used, sizeof cmdline - used, " --time-limit %g", o->time_limit);
    for (int k = 0; k < o->n_names && used < sizeof cmdline; k++)
        used += (size_t)snprintf(cmdline + used, sizeof cmdline - used, " %s", o->names[k]);
    if (o->threads > 0) nt_threads_set(o->threads);
    double t0 = nt_time_now();
    for (int i = 0; i < n; i++) {
        entry *e = &es[i];
        int want = o->n_names == 0;
        for (int k = 0; k < o->n_names; k++) want |= !strcmp(o->names[k], e->name);
        if (!want) continue;
        char rdir[1200];
        snprintf(rdir, sizeof rdir, "%s/%s", dir, e->name);
        fprintf(stderr, "\n== bench %s (%s) ==\n", e->name, e->file);
        nt_run_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.problem = e->file;
        ro.out_dir = rdir;
        ro.threads = o->threads;
        ro.seed = -1;
        ro.dtype = -1;
        ro.time_limit = o->quick ? o->quick_seconds : o->time_limit;
        ro.progress = 0;
        e->rc = nt_run_train(&ro);
        e->ran = 1;
        read_summary(e, rdir);
        if (e->rc != 0 || !isfinite(e->err)) rc = 1;
        char a[32];
        fmt_err(a, sizeof a, e->err);
        fprintf(stderr, "== %s: rel. L2 %s in %.1f s (%s)\n", e->name, a, e->wall, e->status);
    }
    double total = nt_time_now() - t0;
    char table[1200];
    if (o->table) snprintf(table, sizeof table, "%s", o->table);
    else snprintf(table, sizeof table, "%s/ACCURACY.md", dir);
    printf("\n");
    write_table(stdout, es, n, o, cmdline, when);
    printf("\nTotal %.1f s. Run folders: %s/<problem>. Table: %s\n", total, dir, table);
    FILE *f = fopen(table, "w");
    if (!f) {
        fprintf(stderr, "noether bench: cannot write '%s': %s\n", table, strerror(errno));
        free(es);
        return 1;
    }
    fprintf(f, "# Noether accuracy table\n\n");
    write_table(f, es, n, o, cmdline, when);
    fprintf(f, "\nTotal %.1f s.\n", total);
    fclose(f);
    free(es);
    return rc;
}
