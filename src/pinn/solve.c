/* solve.c — `noether solve FILE`: a problem's reference solution on its reference
 * grid, written as CSV (one column per variable, then per field) with a figure. */
#include "pinn/solve.h"
#include "core/internal.h"
#include "io/plot.h"
#include "pinn/pinn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sorted distinct values of column v; returns the count or −1 (no memory). */
static int64_t axis_values(const double *x, int64_t n, int D, int v, double **out)
{
    double *a = malloc((size_t)NT_MAX(n, 1) * sizeof(double));
    if (!a) return -1;
    *out = a;
    return nt_sorted_unique(x, n, D, v, a);
}

/* Heat maps of each field over two variables (time horizontal when there is one). */
static nt_status plot_reference(const nt_pinn *m, const char *path)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields;
    if (D == 1) {
        nt_plot_series s[NT_EXPR_MAX_FIELDS];
        double *y = malloc((size_t)(m->n_ref * F) * sizeof(double)), *xs = malloc((size_t)m->n_ref * sizeof(double));
        if (!y || !xs) {
            free(y);
            free(xs);
            return nt_set_error(NT_ERR_NOMEM, "out of memory for the figure");
        }
        for (int64_t i = 0; i < m->n_ref; i++) xs[i] = m->ref_x[i];
        int ns = 0;
        for (int f = 0; f < F; f++) {
            if (!m->ref_has[f]) continue;
            for (int64_t i = 0; i < m->n_ref; i++) y[f * m->n_ref + i] = m->ref_u[i * F + f];
            s[ns++] = (nt_plot_series){p->env.fields[f], xs, y + f * m->n_ref, m->n_ref};
        }
        nt_status st = nt_plot_lines(path, s, ns, "reference", p->env.vars[0], "value", 0);
        free(y);
        free(xs);
        return st;
    }
    if (D != 2) return NT_OK; /* no figure for 3+ variables */
    int h = p->time_var >= 0 ? p->time_var : 0, v = h == 0 ? 1 : 0;
    double *hv = NULL, *vv = NULL;
    int64_t nh = axis_values(m->ref_x, m->n_ref, D, h, &hv), nv = axis_values(m->ref_x, m->n_ref, D, v, &vv);
    double *z = nh > 0 && nv > 0 ? malloc((size_t)(F * nh * nv) * sizeof(double)) : NULL;
    nt_status st = NT_OK;
    if (!z) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the figure");
        goto done;
    }
    for (int64_t i = 0; i < F * nh * nv; i++) z[i] = NAN;
    for (int64_t i = 0; i < m->n_ref; i++) {
        int64_t a = nt_sorted_find(hv, nh, m->ref_x[i * D + h]), b = nt_sorted_find(vv, nv, m->ref_x[i * D + v]);
        for (int f = 0; f < F; f++) z[f * nh * nv + b * nh + a] = m->ref_u[i * F + f];
    }
    nt_plot_panel pan[NT_EXPR_MAX_FIELDS];
    int np = 0;
    for (int f = 0; f < F; f++) {
        if (!m->ref_has[f]) continue;
        pan[np++] = (nt_plot_panel){.z = z + f * nh * nv, .nx = (int)nh, .ny = (int)nv, .x0 = hv[0], .x1 = hv[nh - 1],
                                    .y0 = vv[0], .y1 = vv[nv - 1], .title = p->env.fields[f], .xlabel = p->env.vars[h],
                                    .ylabel = p->env.vars[v], .diverging = 1, .vmin = NAN, .vmax = NAN};
    }
    if (np) st = nt_plot_heatmaps(path, pan, np);
done:
    free(hv);
    free(vv);
    free(z);
    return st;
}

static int write_csv(const nt_pinn *m, const char *path)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields;
    char tmp[NT_PROB_PATH + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    for (int v = 0; v < D; v++) fprintf(f, "%s%s", v ? "," : "", p->env.vars[v]);
    for (int k = 0; k < F; k++)
        if (m->ref_has[k]) fprintf(f, ",%s", p->env.fields[k]);
    fputc('\n', f);
    for (int64_t i = 0; i < m->n_ref; i++) {
        int any = 0; /* points outside a geometry have no reference: left out */
        for (int k = 0; k < F; k++) any |= m->ref_has[k] && !isnan(m->ref_u[i * F + k]);
        if (!any) continue;
        for (int v = 0; v < D; v++) fprintf(f, "%s%.17g", v ? "," : "", m->ref_x[i * D + v]);
        for (int k = 0; k < F; k++)
            if (m->ref_has[k]) fprintf(f, ",%.17g", m->ref_u[i * F + k]);
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) || bad || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int nt_run_solve(const char *problem, const char *out_csv, int overwrite)
{
    nt_problem *p = malloc(sizeof *p);
    nt_pinn *m = malloc(sizeof *m);
    int rc = 1;
    if (!p || !m) {
        fprintf(stderr, "noether: out of memory\n");
        free(p);
        free(m);
        return 1;
    }
    if (nt_problem_load(p, problem)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        free(p);
        free(m);
        return 1;
    }
    if (p->ref_kind == NT_REF_NONE || p->ref_kind == NT_REF_FILE) {
        fprintf(stderr, "noether: %s has no computed reference (add reference: {solver: ...} or {exact: ...})\n", problem);
        goto out_p;
    }
    char def[NT_PROB_PATH], png[NT_PROB_PATH + 8];
    if (!out_csv) {
        snprintf(def, sizeof def, "%s-reference.csv", p->name);
        out_csv = def;
    }
    struct stat sb;
    if (!overwrite && stat(out_csv, &sb) == 0) {
        fprintf(stderr, "noether: '%s' exists; choose another --out or pass --overwrite\n", out_csv);
        goto out_p;
    }
    double t0 = nt_time_now();
    if (nt_pinn_init(m, p)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out_p;
    }
    double secs = nt_time_now() - t0;
    if (write_csv(m, out_csv)) {
        fprintf(stderr, "noether: cannot write '%s'\n", out_csv);
        goto out_m;
    }
    snprintf(png, sizeof png, "%s", out_csv);
    char *dot = strrchr(png, '.');
    if (dot && !strcmp(dot, ".csv")) *dot = 0;
    strcat(png, ".png");
    if (plot_reference(m, png)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
    printf("reference of %s: %lld points in %.2f s -> %s, %s\n", p->name, (long long)m->n_ref, secs, out_csv, png);
    rc = 0;
out_m:
    nt_pinn_free(m);
out_p:
    nt_problem_free(p);
    free(p);
    free(m);
    return rc;
}
