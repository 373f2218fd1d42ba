/* csv.c — numeric CSV with a header line; errors name file:line:column. */
#include "core/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nt_csv_free(nt_csv *c)
{
    if (c->names)
        for (int i = 0; i < c->ncols; i++) free(c->names[i]);
    free(c->names);
    free(c->data);
    memset(c, 0, sizeof *c);
}

int nt_csv_col(const nt_csv *c, const char *name)
{
    for (int i = 0; i < c->ncols; i++)
        if (!strcmp(c->names[i], name)) return i;
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = 0;
    return s;
}

nt_status nt_csv_read(nt_csv *c, const char *path)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) return nt_set_error(NT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0, capr = 0;
    nt_status st = NT_OK;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *s = trim(line);
        if (!*s) continue;
        if (!c->names) {
            /* header */
            int n = 1;
            for (char *p = s; *p; p++) n += *p == ',';
            c->names = calloc((size_t)n, sizeof *c->names);
            if (!c->names) { st = nt_set_error(NT_ERR_NOMEM, "%s: out of memory", path); break; }
            c->ncols = n;
            char *tok = s;
            for (int i = 0; i < n; i++) {
                char *comma = strchr(tok, ',');
                if (comma) *comma = 0;
                char *nm = trim(tok);
                if (!*nm) {
                    st = nt_set_error(NT_ERR_FORMAT, "%s:%lld:%d: empty column name", path,
                                      (long long)lineno, (int)(tok - s) + 1);
                    break;
                }
                c->names[i] = strdup(nm);
                tok = comma ? comma + 1 : tok + strlen(tok);
            }
            if (st) break;
            continue;
        }
        if (c->rows == capr) {
            capr = capr ? capr * 2 : 1024;
            double *nd = realloc(c->data, (size_t)capr * (size_t)c->ncols * sizeof(double));
            if (!nd) { st = nt_set_error(NT_ERR_NOMEM, "%s: out of memory", path); break; }
            c->data = nd;
        }
        char *p = s;
        for (int i = 0; i < c->ncols; i++) {
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            int col = (int)(p - s) + 1;
            if (end == p) {
                st = nt_set_error(NT_ERR_FORMAT, "%s:%lld:%d: expected a number in column '%s'",
                                  path, (long long)lineno, col, c->names[i]);
                break;
            }
            while (*end == ' ' || *end == '\t') end++;
            if (i < c->ncols - 1) {
                if (*end != ',') {
                    st = nt_set_error(NT_ERR_FORMAT, "%s:%lld:%d: expected %d columns, found %d",
                                      path, (long long)lineno, (int)(end - s) + 1, c->ncols, i + 1);
                    break;
                }
                p = end + 1;
            } else if (*end) {
                st = nt_set_error(NT_ERR_FORMAT, "%s:%lld:%d: unexpected text after column %d",
                                  path, (long long)lineno, (int)(end - s) + 1, c->ncols);
                break;
            }
            c->data[c->rows * c->ncols + i] = v;
        }
        if (st) break;
        c->rows++;
    }
    free(line);
    fclose(f);
    if (!st && !c->names) st = nt_set_error(NT_ERR_FORMAT, "%s:1:1: empty file (no header)", path);
    if (st) nt_csv_free(c);
    return st;
}
