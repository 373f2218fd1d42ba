/* data.c — FNO Burgers / Darcy training sets and the `noether data` command. */
#include "operator/data.h"

#include "core/internal.h"
#include "io/npy.h"
#include "solvers/grf.h"
#include "solvers/solvers.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- Configs ----------------------------------------------------------------- */

void nt_data_burgers_config_default(nt_data_burgers_config *c)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->fine = 8192;
    c->res = 1024;
    c->nu = 0.1;
    c->t_end = 1.0;
    c->dt = NT_DATA_BURGERS_DT;
    c->sigma = 25.0;
    c->tau = 5.0;
    c->alpha = 2.0;
    c->threads = 1;
}

void nt_data_darcy_config_default(nt_data_darcy_config *c)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->fine = 421;
    c->res = 85;
    c->tau = 3.0;
    c->alpha = 2.0;
    c->sigma = pow(c->tau, c->alpha - 1.0);
    c->a_pos = 12.0;
    c->a_neg = 3.0;
    c->f = 1.0;
    c->tol = 1e-9;
    c->threads = 1;
}

uint64_t nt_data_sample_seed(uint64_t seed, int64_t index)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * ((uint64_t)index + 1u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int finite_pos(double v) { return isfinite(v) && v > 0.0; }

static nt_status check_burgers(const nt_data_burgers_config *c, int need_n)
{
    if (need_n && c->n < 1) return nt_set_error(NT_ERR_ARG, "burgers data: n must be >= 1 (got %" PRId64 ")", c->n);
    if (c->fine < 4 || c->fine % 2)
        return nt_set_error(NT_ERR_ARG, "burgers data: fine must be even and >= 4 (got %d)", c->fine);
    if (c->res < 2 || c->res > c->fine || c->fine % c->res)
        return nt_set_error(NT_ERR_ARG, "burgers data: res (%d) must be >= 2 and divide fine (%d)",
                            c->res, c->fine);
    if (!finite_pos(c->nu)) return nt_set_error(NT_ERR_ARG, "burgers data: nu must be finite and > 0");
    if (!finite_pos(c->t_end)) return nt_set_error(NT_ERR_ARG, "burgers data: t_end must be finite and > 0");
    if (!finite_pos(c->dt)) return nt_set_error(NT_ERR_ARG, "burgers data: dt must be finite and > 0");
    if (!finite_pos(c->sigma) || !finite_pos(c->tau) || !finite_pos(c->alpha))
        return nt_set_error(NT_ERR_ARG, "burgers data: the GRF's sigma, tau and alpha must be finite and > 0");
    if (c->times == 1 || c->times < 0 || c->times > 100000)
        return nt_set_error(NT_ERR_ARG, "burgers data: times must be 0 (u at t_end only) or in [2, 100000] (got %d)",
                            c->times);
    if (c->threads < 1) return nt_set_error(NT_ERR_ARG, "burgers data: threads must be >= 1");
    return NT_OK;
}

/* Number of u snapshots per sample: 1 (t_end) or times. */
static int burgers_snaps(const nt_data_burgers_config *c) { return c->times >= 2 ? c->times : 1; }

static nt_status check_darcy(const nt_data_darcy_config *c, int need_n)
{
    if (need_n && c->n < 1) return nt_set_error(NT_ERR_ARG, "darcy data: n must be >= 1 (got %" PRId64 ")", c->n);
    if (c->fine < 3) return nt_set_error(NT_ERR_ARG, "darcy data: fine must be >= 3 (got %d)", c->fine);
    if (c->res < 2 || c->res > c->fine || (c->fine - 1) % (c->res - 1))
        return nt_set_error(NT_ERR_ARG,
                            "darcy data: res - 1 (%d) must divide fine - 1 (%d), res >= 2 "
                            "(e.g. fine 421, res 85)", c->res - 1, c->fine - 1);
    if (!finite_pos(c->a_pos) || !finite_pos(c->a_neg))
        return nt_set_error(NT_ERR_ARG, "darcy data: a_pos and a_neg must be finite and > 0");
    if (!isfinite(c->f)) return nt_set_error(NT_ERR_ARG, "darcy data: f must be finite");
    if (!(c->tol > 0.0 && c->tol < 1.0)) return nt_set_error(NT_ERR_ARG, "darcy data: tol must be in (0, 1)");
    if (c->threads < 1) return nt_set_error(NT_ERR_ARG, "darcy data: threads must be >= 1");
    return NT_OK;
}

static void burgers_grf_config(const nt_data_burgers_config *c, nt_grf_config *g)
{
    nt_grf_config_burgers(g);
    g->n = c->fine;
    g->sigma = c->sigma;
    g->tau = c->tau;
    g->alpha = c->alpha;
}

static void darcy_grf_config(const nt_data_darcy_config *c, nt_grf_config *g)
{
    nt_grf_config_darcy(g);
    g->n = c->fine;
    g->sigma = c->sigma;
    g->tau = c->tau;
    g->alpha = c->alpha;
}

/* ---- One sample -------------------------------------------------------------- */

static nt_status burgers_sample_with(const nt_data_burgers_config *c, const nt_grf *g,
                                     int64_t index, double *u0, double *u1)
{
    nt_rng r;
    nt_rng_init(&r, nt_data_sample_seed(c->seed, index));
    nt_status st = nt_grf_sample(g, &r, u0, NULL);
    if (st) return st;
    nt_spectral_config sc;
    nt_spectral_config_default(&sc, NT_SPEC_BURGERS);
    sc.x0 = 0.0;
    sc.x1 = 1.0;
    sc.n = c->fine;
    sc.dt = c->dt;
    sc.nu = c->nu;
    sc.c[0] = 1.0;
    sc.scheme = NT_SPEC_ETDRK4;
    sc.dealias = 0;
    if (c->times < 2) {
        double t = c->t_end;
        return nt_spectral_solve(&sc, u0, &t, 1, u1);
    }
    double *ts = malloc((size_t)c->times * sizeof(double));
    if (!ts) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    for (int k = 0; k < c->times; k++) ts[k] = c->t_end * (double)k / (double)(c->times - 1);
    ts[c->times - 1] = c->t_end;
    st = nt_spectral_solve(&sc, u0, ts, c->times, u1);
    free(ts);
    return st;
}

static double const_f(const double *x, double t, void *ctx)
{
    (void)x;
    (void)t;
    return *(const double *)ctx;
}

static nt_status darcy_sample_with(const nt_data_darcy_config *c, const nt_grf *g, int64_t index,
                                   double *a, double *u, nt_fd_info *info)
{
    nt_rng r;
    nt_rng_init(&r, nt_data_sample_seed(c->seed, index));
    nt_status st = nt_grf_sample(g, &r, a, NULL);
    if (st) return st;
    int64_t nn = (int64_t)c->fine * c->fine;
    for (int64_t i = 0; i < nn; i++) a[i] = a[i] >= 0.0 ? c->a_pos : c->a_neg;
    nt_fd_elliptic_config ec;
    nt_fd_elliptic_config_default(&ec);
    ec.grid.n[0] = ec.grid.n[1] = c->fine;
    ec.a = a;
    ec.mean = NT_FD_MEAN_ARITH;
    double f = c->f;
    ec.f = const_f;
    ec.ctx = &f;
    ec.tol = c->tol;
    return nt_fd_darcy_solve(&ec, u, info);
}

nt_status nt_data_burgers_sample(const nt_data_burgers_config *c, int64_t index, double *u0,
                                 double *u1)
{
    NT_ASSERT(c && u0 && u1, "NULL argument");
    nt_status st = check_burgers(c, 0);
    if (st) return st;
    nt_grf_config gc;
    burgers_grf_config(c, &gc);
    nt_grf g;
    st = nt_grf_init(&g, &gc);
    if (st) return st;
    st = burgers_sample_with(c, &g, index, u0, u1);
    nt_grf_free(&g);
    return st;
}

nt_status nt_data_darcy_sample(const nt_data_darcy_config *c, int64_t index, double *a, double *u,
                               nt_fd_info *info)
{
    NT_ASSERT(c && a && u, "NULL argument");
    nt_status st = check_darcy(c, 0);
    if (st) return st;
    nt_grf_config gc;
    darcy_grf_config(c, &gc);
    nt_grf g;
    st = nt_grf_init(&g, &gc);
    if (st) return st;
    st = darcy_sample_with(c, &g, index, a, u, info);
    nt_grf_free(&g);
    return st;
}

/* ---- Files ------------------------------------------------------------------- */

/* mkdir -p */
static nt_status make_dirs(const char *dir)
{
    size_t len = strlen(dir);
    if (len == 0) return nt_set_error(NT_ERR_ARG, "empty output directory");
    char *p = strdup(dir);
    if (!p) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    nt_status st = NT_OK;
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char save = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            st = nt_set_error(NT_ERR_IO, "cannot create directory '%s': %s", p, strerror(errno));
            break;
        }
        p[i] = save;
    }
    struct stat sb;
    if (st == NT_OK && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = nt_set_error(NT_ERR_IO, "'%s' is not a directory", dir);
    free(p);
    return st;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/') s[k++] = '/';
    memcpy(s + k, name, b + 1);
    return s;
}

static const char *const OUT_FILES[3] = {"a.npy", "u.npy", "meta.json"};

static nt_status prepare_dir(const char *dir, int overwrite)
{
    nt_status st = make_dirs(dir);
    if (st) return st;
    for (int i = 0; i < 3 && !overwrite; i++) {
        char *p = join(dir, OUT_FILES[i]);
        if (!p) return nt_set_error(NT_ERR_NOMEM, "out of memory");
        struct stat sb;
        int exists = stat(p, &sb) == 0;
        if (exists) st = nt_set_error(NT_ERR_IO, "'%s' exists (pass --overwrite to replace it)", p);
        free(p);
        if (st) return st;
    }
    /* fail now rather than after the samples if the folder is not writable */
    if (access(dir, W_OK) != 0)
        return nt_set_error(NT_ERR_IO, "cannot write to '%s': %s", dir, strerror(errno));
    return NT_OK;
}

static nt_status write_npy_in(const char *dir, const char *name, int ndim, const int64_t *shape,
                              const double *data)
{
    char *p = join(dir, name);
    if (!p) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    nt_status st = nt_npy_write(p, NT_F64, ndim, shape, data);
    free(p);
    return st;
}

/* Writes text to dir/name through "<path>.tmp", fsync and rename. */
static nt_status write_text_in(const char *dir, const char *name, const char *text)
{
    char *p = join(dir, name);
    char *tmp = p ? malloc(strlen(p) + 5) : NULL;
    if (tmp) sprintf(tmp, "%s.tmp", p);
    nt_status st = NT_OK;
    if (!p || !tmp) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory");
        goto done;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        st = nt_set_error(NT_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        goto done;
    }
    size_t n = strlen(text);
    int err = 0;
    if (fwrite(text, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0) err = errno ? errno : EIO;
    if (fclose(f) != 0 && !err) err = errno ? errno : EIO;
    if (err) {
        st = nt_set_error(NT_ERR_IO, "cannot write '%s': %s", tmp, strerror(err));
        remove(tmp);
        goto done;
    }
    if (rename(tmp, p) != 0) {
        st = nt_set_error(NT_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, p, strerror(errno));
        remove(tmp);
    }
done:
    free(p);
    free(tmp);
    return st;
}

/* ---- Generation loop --------------------------------------------------------- */

typedef struct job {
    int is_darcy;
    const nt_data_burgers_config *bc;
    const nt_data_darcy_config *dc;
    const nt_grf *g;
    int64_t n, fine_pts, res_pts;
    int snaps;       /* burgers: u snapshots per sample (1 or times) */
    double *A, *U;   /* n * res_pts and n * snaps * res_pts */
    double *times;   /* n */
    int *iters;      /* n (darcy) */
} job;

typedef struct job_err {
    nt_status st;
    int64_t index;
    char msg[512];
} job_err;

static void subsample_burgers(const nt_data_burgers_config *c, const double *fine, double *out)
{
    int stride = c->fine / c->res;
    for (int j = 0; j < c->res; j++) out[j] = fine[(int64_t)j * stride];
}

static void subsample_darcy(const nt_data_darcy_config *c, const double *fine, double *out)
{
    int stride = (c->fine - 1) / (c->res - 1);
    for (int iy = 0; iy < c->res; iy++)
        for (int ix = 0; ix < c->res; ix++)
            out[(int64_t)iy * c->res + ix] = fine[(int64_t)iy * stride * c->fine + (int64_t)ix * stride];
}

static nt_status run_job(job *jb, int threads, int parallel, int verbose, const char *name)
{
    job_err err = {NT_OK, -1, ""};
    int64_t done = 0;
    int failed = 0;
    double t_start = nt_time_now();
#pragma omp parallel num_threads(threads) if (parallel && threads > 1)
    {
        double *w0 = malloc((size_t)jb->fine_pts * sizeof(double));
        double *w1 = malloc((size_t)(jb->fine_pts * NT_MAX(jb->snaps, 1)) * sizeof(double));
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < jb->n; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop) continue;
            nt_status st;
            double t0 = nt_time_now();
            nt_fd_info info;
            memset(&info, 0, sizeof info);
            if (!w0 || !w1)
                st = nt_set_error(NT_ERR_NOMEM, "out of memory (sample scratch)");
            else if (jb->is_darcy)
                st = darcy_sample_with(jb->dc, jb->g, i, w0, w1, &info);
            else
                st = burgers_sample_with(jb->bc, jb->g, i, w0, w1);
            double dt = nt_time_now() - t0;
            if (st == NT_OK) {
                if (jb->is_darcy) {
                    subsample_darcy(jb->dc, w0, jb->A + i * jb->res_pts);
                    subsample_darcy(jb->dc, w1, jb->U + i * jb->res_pts);
                    jb->iters[i] = info.iters;
                } else {
                    subsample_burgers(jb->bc, w0, jb->A + i * jb->res_pts);
                    for (int k = 0; k < jb->snaps; k++)
                        subsample_burgers(jb->bc, w1 + (int64_t)k * jb->fine_pts,
                                          jb->U + (i * jb->snaps + k) * jb->res_pts);
                }
                jb->times[i] = dt;
            }
#pragma omp critical(nt_data_progress)
            {
                if (st != NT_OK) {
                    if (!failed) {
                        err.st = st;
                        err.index = i;
                        snprintf(err.msg, sizeof err.msg, "%s", nt_error_msg());
                    }
#pragma omp atomic write
                    failed = 1;
                } else {
                    done++;
                    if (verbose) {
                        double el = nt_time_now() - t_start;
                        if (jb->is_darcy)
                            printf("%s: %" PRId64 "/%" PRId64 " sample %" PRId64
                                   " in %.3f s (%d CG iterations, thread %d), elapsed %.1f s\n",
                                   name, done, jb->n, i, dt, info.iters, tid, el);
                        else
                            printf("%s: %" PRId64 "/%" PRId64 " sample %" PRId64
                                   " in %.3f s (thread %d), elapsed %.1f s\n",
                                   name, done, jb->n, i, dt, tid, el);
                        fflush(stdout);
                    }
                }
            }
        }
        free(w0);
        free(w1);
    }
    if (err.st != NT_OK)
        return nt_set_error(err.st, "%s sample %" PRId64 ": %s", name, err.index, err.msg);
    return NT_OK;
}

static void fill_stats(const job *jb, int threads, double total, nt_data_stats *s)
{
    memset(s, 0, sizeof *s);
    s->n = jb->n;
    s->threads = threads;
    s->total_s = total;
    double sum = 0, it = 0;
    for (int64_t i = 0; i < jb->n; i++) {
        sum += jb->times[i];
        if (jb->times[i] > s->sample_max_s) s->sample_max_s = jb->times[i];
        if (jb->iters) {
            it += jb->iters[i];
            if (jb->iters[i] > s->iters_max) s->iters_max = jb->iters[i];
        }
    }
    s->sample_mean_s = sum / (double)jb->n;
    s->iters_mean = jb->iters ? it / (double)jb->n : 0.0;
}

/* %.17g, but JSON has no inf/nan (never produced here: configs are checked). */
#define JG "%.17g"

static nt_status write_meta_burgers(const char *dir, const nt_data_burgers_config *c,
                                    const nt_data_stats *s, int parallel)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return nt_set_error(NT_ERR_NOMEM, "out of memory (meta.json)");
    int64_t steps = (int64_t)ceil(c->t_end / c->dt * (1.0 - 1e-12));
    char tshape[32] = "";
    if (c->times >= 2) {
        /* each output interval is split into ceil(interval / dt) steps */
        double iv = c->t_end / (double)(c->times - 1);
        steps = (int64_t)(c->times - 1) * (int64_t)ceil(iv / c->dt * (1.0 - 1e-12));
        snprintf(tshape, sizeof tshape, ", %d", c->times);
    }
    fprintf(m,
            "{\n"
            "  \"format\": \"noether-operator-dataset\",\n"
            "  \"format_version\": 1,\n"
            "  \"dataset\": \"burgers\",\n"
            "  \"created_by\": \"noether %s\",\n"
            "  \"equation\": \"u_t + u u_x = nu u_xx, x in [0, 1) periodic, t in [0, t_end]\",\n"
            "  \"parameters\": {\"nu\": " JG ", \"t_end\": " JG "},\n"
            "  \"times\": %d,\n"
            "  \"t\": \"%s\",\n"
            "  \"files\": {\n"
            "    \"a\": {\"file\": \"a.npy\", \"dtype\": \"<f8\", \"shape\": [%" PRId64 ", %d], "
            "\"meaning\": \"a[i, j] = u_i(x_j, 0)\"},\n"
            "    \"u\": {\"file\": \"u.npy\", \"dtype\": \"<f8\", \"shape\": [%" PRId64 "%s, %d], "
            "\"meaning\": \"%s\"}\n"
            "  },\n"
            "  \"n\": %" PRId64 ",\n"
            "  \"seed\": %" PRIu64 ",\n"
            "  \"sample_seed\": \"sample i: nt_rng_init(splitmix64_finalizer(seed + (i + 1) * "
            "0x9E3779B97F4A7C15)), xoshiro256**\",\n"
            "  \"grid\": {\"domain\": [0, 1], \"periodic\": true, \"points\": %d, "
            "\"x\": \"x_j = j / %d\", \"fine_points\": %d, \"stride\": %d},\n"
            "  \"input_measure\": {\"type\": \"gaussian_random_field\", \"bc\": \"periodic\", "
            "\"covariance\": \"sigma^2 (-Laplacian + tau^2 I)^(-alpha)\", \"sigma\": " JG
            ", \"tau\": " JG ", \"alpha\": " JG ", \"mean_mode\": 0, "
            "\"modes\": \"0 < |k| < fine_points / 2, Fourier coefficients complex normal with "
            "E|c_k|^2 = sigma^2 (4 pi^2 k^2 + tau^2)^(-alpha)\"},\n"
            "  \"solver\": {\"name\": \"nt_spectral_solve\", \"method\": \"Fourier pseudo-spectral, "
            "ETDRK4 (Cox-Matthews, Kassam-Trefethen coefficients)\", \"points\": %d, \"dt\": " JG
            ", \"steps\": %" PRId64 ", \"dealias\": false},\n"
            "  \"threads\": %d,\n"
            "  \"parallel_samples\": %s,\n"
            "  \"time_total_s\": %.3f,\n"
            "  \"time_per_sample_s\": %.4f,\n"
            "  \"time_per_sample_max_s\": %.4f\n"
            "}\n",
            NT_VERSION_STRING, c->nu, c->t_end, c->times >= 2 ? c->times : 0,
            c->times >= 2 ? "t_k = k * t_end / (times - 1), k = 0..times-1" : "t_end only", c->n, c->res, c->n,
            tshape, c->res,
            c->times >= 2 ? "u[i, k, j] = u_i(x_j, t_k)" : "u[i, j] = u_i(x_j, t_end)", c->n, c->seed, c->res,
            c->res, c->fine, c->fine / c->res, c->sigma, c->tau, c->alpha, c->fine, c->dt, steps,
            s->threads, parallel ? "true" : "false", s->total_s, s->sample_mean_s, s->sample_max_s);
    fclose(m);
    nt_status st = buf ? write_text_in(dir, "meta.json", buf)
                       : nt_set_error(NT_ERR_NOMEM, "out of memory (meta.json)");
    free(buf);
    return st;
}

static nt_status write_meta_darcy(const char *dir, const nt_data_darcy_config *c,
                                  const nt_data_stats *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return nt_set_error(NT_ERR_NOMEM, "out of memory (meta.json)");
    fprintf(m,
            "{\n"
            "  \"format\": \"noether-operator-dataset\",\n"
            "  \"format_version\": 1,\n"
            "  \"dataset\": \"darcy\",\n"
            "  \"created_by\": \"noether %s\",\n"
            "  \"equation\": \"-div(a grad u) = f on [0, 1]^2, u = 0 on the boundary\",\n"
            "  \"parameters\": {\"f\": " JG ", \"a_pos\": " JG ", \"a_neg\": " JG
            ", \"a\": \"a_pos where psi >= 0, a_neg where psi < 0\"},\n"
            "  \"files\": {\n"
            "    \"a\": {\"file\": \"a.npy\", \"dtype\": \"<f8\", \"shape\": [%" PRId64 ", %d, %d], "
            "\"meaning\": \"a[i, iy, ix] = a_i(x_ix, y_iy)\"},\n"
            "    \"u\": {\"file\": \"u.npy\", \"dtype\": \"<f8\", \"shape\": [%" PRId64 ", %d, %d], "
            "\"meaning\": \"u[i, iy, ix] = u_i(x_ix, y_iy)\"}\n"
            "  },\n"
            "  \"n\": %" PRId64 ",\n"
            "  \"seed\": %" PRIu64 ",\n"
            "  \"sample_seed\": \"sample i: nt_rng_init(splitmix64_finalizer(seed + (i + 1) * "
            "0x9E3779B97F4A7C15)), xoshiro256**\",\n"
            "  \"grid\": {\"domain\": [[0, 1], [0, 1]], \"nodes\": %d, "
            "\"x\": \"x_i = i / %d, boundary nodes included\", \"fine_nodes\": %d, \"stride\": %d},\n"
            "  \"input_measure\": {\"type\": \"gaussian_random_field\", \"bc\": \"neumann\", "
            "\"covariance\": \"sigma^2 (-Laplacian + tau^2 I)^(-alpha)\", \"sigma\": " JG
            ", \"tau\": " JG ", \"alpha\": " JG ", \"mean_mode\": 0, "
            "\"modes\": \"cosine series, k in [0, fine_nodes - 1]^2 except (0, 0), evaluated at "
            "the fine nodes (type-I DCT); sigma = tau^(alpha-1) as in the FNO GRF.m\"},\n"
            "  \"solver\": {\"name\": \"nt_fd_darcy_solve\", \"method\": \"5-point flux form, "
            "arithmetic face means, multigrid-preconditioned CG\", \"nodes\": %d, \"tol\": " JG
            ", \"cg_iterations_mean\": %.2f, \"cg_iterations_max\": %d},\n"
            "  \"threads\": %d,\n"
            "  \"parallel_samples\": true,\n"
            "  \"time_total_s\": %.3f,\n"
            "  \"time_per_sample_s\": %.4f,\n"
            "  \"time_per_sample_max_s\": %.4f\n"
            "}\n",
            NT_VERSION_STRING, c->f, c->a_pos, c->a_neg, c->n, c->res, c->res, c->n, c->res,
            c->res, c->n, c->seed, c->res, c->res - 1, c->fine, (c->fine - 1) / (c->res - 1),
            c->sigma, c->tau, c->alpha, c->fine, c->tol, s->iters_mean, s->iters_max, s->threads,
            s->total_s, s->sample_mean_s, s->sample_max_s);
    fclose(m);
    nt_status st = buf ? write_text_in(dir, "meta.json", buf)
                       : nt_set_error(NT_ERR_NOMEM, "out of memory (meta.json)");
    free(buf);
    return st;
}

static void print_summary(const char *name, const nt_data_stats *s, const char *dir)
{
    printf("%s: %" PRId64 " samples in %.2f s on %d thread%s: %.4f s per sample (mean on its "
           "thread, max %.4f), %.4f s wall per sample; wrote %s/{a.npy,u.npy,meta.json}\n",
           name, s->n, s->total_s, s->threads, s->threads == 1 ? "" : "s", s->sample_mean_s,
           s->sample_max_s, s->total_s / (double)s->n, dir);
    fflush(stdout);
}

nt_status nt_data_burgers_generate(const nt_data_burgers_config *c, const char *dir, int overwrite,
                                   nt_data_stats *stats)
{
    NT_ASSERT(c && dir, "NULL argument");
    double t0 = nt_time_now();
    nt_status st = check_burgers(c, 1);
    if (st) return st;
    st = prepare_dir(dir, overwrite);
    if (st) return st;
    /* Planner lock first: nt_spectral_solve plans inside every call. */
    int parallel = nt_fftw_thread_safe();
    nt_grf_config gc;
    burgers_grf_config(c, &gc);
    nt_grf g;
    st = nt_grf_init(&g, &gc);
    if (st) return st;
    job jb;
    memset(&jb, 0, sizeof jb);
    jb.bc = c;
    jb.g = &g;
    jb.n = c->n;
    jb.fine_pts = c->fine;
    jb.res_pts = c->res;
    jb.snaps = burgers_snaps(c);
    size_t tot = (size_t)c->n * (size_t)c->res;
    jb.A = malloc(tot * sizeof(double));
    jb.U = malloc(tot * (size_t)jb.snaps * sizeof(double));
    jb.times = calloc((size_t)c->n, sizeof(double));
    if (!jb.A || !jb.U || !jb.times) {
        st = nt_set_error(NT_ERR_NOMEM, "burgers data: out of memory for %" PRId64 " x %d samples",
                          c->n, c->res);
        goto done;
    }
    if (c->verbose) {
        printf("burgers: %" PRId64 " samples, fine %d -> res %d, nu %g, t_end %g, dt %g, GRF sigma %g tau %g alpha %g, "
               "%d output time%s, seed %" PRIu64 ", %d thread%s%s\n",
               c->n, c->fine, c->res, c->nu, c->t_end, c->dt, c->sigma, c->tau, c->alpha, jb.snaps,
               jb.snaps == 1 ? "" : "s", c->seed, c->threads,
               c->threads == 1 ? "" : "s",
               parallel || c->threads == 1 ? "" : " (FFTW planner hook missing: samples run one at a time)");
        fflush(stdout);
    }
    st = run_job(&jb, c->threads, parallel, c->verbose, "burgers");
    if (st) goto done;
    int64_t shape[2] = {c->n, c->res}, ushape[3] = {c->n, jb.snaps, c->res};
    st = write_npy_in(dir, "a.npy", 2, shape, jb.A);
    if (!st) st = c->times >= 2 ? write_npy_in(dir, "u.npy", 3, ushape, jb.U) : write_npy_in(dir, "u.npy", 2, shape, jb.U);
    if (st) goto done;
    nt_data_stats s;
    fill_stats(&jb, c->threads, nt_time_now() - t0, &s);
    st = write_meta_burgers(dir, c, &s, parallel || c->threads == 1);
    if (st) goto done;
    if (c->verbose) print_summary("burgers", &s, dir);
    if (stats) *stats = s;
done:
    free(jb.A);
    free(jb.U);
    free(jb.times);
    nt_grf_free(&g);
    return st;
}

nt_status nt_data_darcy_generate(const nt_data_darcy_config *c, const char *dir, int overwrite,
                                 nt_data_stats *stats)
{
    NT_ASSERT(c && dir, "NULL argument");
    double t0 = nt_time_now();
    nt_status st = check_darcy(c, 1);
    if (st) return st;
    st = prepare_dir(dir, overwrite);
    if (st) return st;
    nt_grf_config gc;
    darcy_grf_config(c, &gc);
    nt_grf g;
    st = nt_grf_init(&g, &gc);
    if (st) return st;
    job jb;
    memset(&jb, 0, sizeof jb);
    jb.is_darcy = 1;
    jb.dc = c;
    jb.g = &g;
    jb.n = c->n;
    jb.fine_pts = (int64_t)c->fine * c->fine;
    jb.res_pts = (int64_t)c->res * c->res;
    size_t tot = (size_t)c->n * (size_t)jb.res_pts;
    jb.A = malloc(tot * sizeof(double));
    jb.U = malloc(tot * sizeof(double));
    jb.times = calloc((size_t)c->n, sizeof(double));
    jb.iters = calloc((size_t)c->n, sizeof(int));
    if (!jb.A || !jb.U || !jb.times || !jb.iters) {
        st = nt_set_error(NT_ERR_NOMEM, "darcy data: out of memory for %" PRId64 " x %d x %d samples",
                          c->n, c->res, c->res);
        goto done;
    }
    if (c->verbose) {
        printf("darcy: %" PRId64 " samples, fine %d -> res %d, a in {%g, %g}, f %g, seed %" PRIu64
               ", %d thread%s\n",
               c->n, c->fine, c->res, c->a_neg, c->a_pos, c->f, c->seed, c->threads,
               c->threads == 1 ? "" : "s");
        fflush(stdout);
    }
    st = run_job(&jb, c->threads, 1, c->verbose, "darcy");
    if (st) goto done;
    int64_t shape[3] = {c->n, c->res, c->res};
    st = write_npy_in(dir, "a.npy", 3, shape, jb.A);
    if (!st) st = write_npy_in(dir, "u.npy", 3, shape, jb.U);
    if (st) goto done;
    nt_data_stats s;
    fill_stats(&jb, c->threads, nt_time_now() - t0, &s);
    st = write_meta_darcy(dir, c, &s);
    if (st) goto done;
    if (c->verbose) print_summary("darcy", &s, dir);
    if (stats) *stats = s;
done:
    free(jb.A);
    free(jb.U);
    free(jb.times);
    free(jb.iters);
    nt_grf_free(&g);
    return st;
}

/* ---- `noether data` ---------------------------------------------------------- */

static void usage_data(FILE *f)
{
    fprintf(f,
            "usage: noether data burgers --n N --out DIR [--seed S] [--res 1024] [--fine 8192]\n"
            "                            [--dt 5e-4] [--nu 0.1] [--t-end 1] [--grf-sigma 25]\n"
            "                            [--grf-tau 5] [--grf-alpha 2] [--times K]\n"
            "                            [--threads T] [--overwrite] [--quiet]\n"
            "       noether data darcy   --n N --out DIR [--seed S] [--res 85] [--fine 421]\n"
            "                            [--threads T] [--overwrite] [--quiet]\n\n"
            "Generates a neural-operator training set (the FNO benchmark sets, Li et al. 2021)\n"
            "and writes DIR/a.npy (inputs), DIR/u.npy (solutions), both float64 NumPy arrays,\n"
            "and DIR/meta.json (equation, parameters, seed, grids, solver, timings).\n\n"
            "  burgers  u_t + u u_x = nu u_xx on [0,1) periodic; a = u0 ~ N(0, sigma^2 (-Lap + tau^2 I)^-alpha)\n"
            "           (default N(0, 625 (-Lap + 25 I)^-2), nu = 0.1, t_end = 1: the FNO paper's text)\n"
            "           on --fine points, u = u(., t_end) by the Fourier pseudo-spectral solver (ETDRK4,\n"
            "           step --dt); both sampled at --res points x_j = j/res. Shapes [N, res];\n"
            "           with --times K, u at t_k = k t_end/(K-1), k = 0..K-1: u.npy [N, K, res].\n"
            "  darcy    -div(a grad u) = 1 on [0,1]^2, u = 0 on the boundary; a = 12 where\n"
            "           psi >= 0, 3 where psi < 0, psi ~ N(0, 9 (-Lap + 9 I)^-2) (Neumann) on the\n"
            "           --fine x --fine node grid; finite differences + multigrid PCG; both\n"
            "           sampled at --res x --res nodes (res - 1 must divide fine - 1). Shapes\n"
            "           [N, res, res], a[i, iy, ix].\n\n"
            "options:\n"
            "  --n N          number of samples (required)\n"
            "  --out DIR      output folder, created if missing (required)\n"
            "  --seed S       random seed (default 0); the same seed gives the same files on\n"
            "                 any thread count\n"
            "  --res R        output resolution (burgers 1024, darcy 85)\n"
            "  --fine F       solver resolution (burgers 8192, darcy 421)\n"
            "  --dt X         burgers time step (default 5e-4)\n"
            "  --nu X         burgers viscosity (default 0.1; the FNO repository's generator\n"
            "                 script uses 1e-3, the PINO paper 0.01)\n"
            "  --t-end X      burgers final time (default 1)\n"
            "  --grf-sigma X  burgers input GRF amplitude sigma: covariance sigma^2 (-Lap + tau^2 I)^-alpha\n"
            "                 (default 25, i.e. the paper's 625 = 25^2)\n"
            "  --grf-tau X    (default 5)      --grf-alpha X  (default 2)\n"
            "  --times K      burgers space-time set: u at K >= 2 equally spaced times in [0, t_end]\n"
            "                 (K = 0, the default: u(., t_end) only)\n"
            "  --threads T    samples computed in parallel (default 1)\n"
            "  --overwrite    replace existing a.npy / u.npy / meta.json in DIR\n"
            "  --quiet        no progress lines\n\n"
            "Load in Python: a = numpy.load('DIR/a.npy'); u = numpy.load('DIR/u.npy').\n");
}

static int parse_int(const char *opt, const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "noether data: %s expects an integer in [%lld, %lld], got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == 0) {
        fprintf(stderr, "noether data: %s expects a non-negative integer, got '%s'\n", opt, s);
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s) {
        fprintf(stderr, "noether data: %s expects a non-negative integer, got '%s'\n", opt, s);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int parse_pos(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v > 0.0) || !isfinite(v)) {
        fprintf(stderr, "noether data: %s expects a positive number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int nt_data_main(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "data")) {
        argc--;
        argv++;
    }
    if (argc < 1) {
        usage_data(stderr);
        return 2;
    }
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
        usage_data(stdout);
        return 0;
    }
    int darcy;
    if (!strcmp(argv[0], "burgers"))
        darcy = 0;
    else if (!strcmp(argv[0], "darcy"))
        darcy = 1;
    else {
        fprintf(stderr, "noether data: unknown dataset '%s' (expected burgers or darcy; see noether data --help)\n",
                argv[0]);
        return 2;
    }
    const char *set = argv[0];
    nt_data_burgers_config bc;
    nt_data_darcy_config dc;
    nt_data_burgers_config_default(&bc);
    nt_data_darcy_config_default(&dc);
    const char *out = NULL;
    long long n = 0, res = 0, fine = 0, threads = 1;
    uint64_t seed = 0;
    double dt = 0.0;
    int overwrite = 0, quiet = 0, have_n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_data(stdout);
            return 0;
        }
        if (!strcmp(a, "--overwrite")) { overwrite = 1; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (a[0] != '-' || a[1] != '-') {
            fprintf(stderr, "noether data %s: unexpected argument '%s' (see noether data --help)\n", set, a);
            return 2;
        }
        int known = !strcmp(a, "--n") || !strcmp(a, "--out") || !strcmp(a, "--seed") ||
                    !strcmp(a, "--res") || !strcmp(a, "--fine") || !strcmp(a, "--threads") ||
                    (!darcy && (!strcmp(a, "--dt") || !strcmp(a, "--nu") || !strcmp(a, "--t-end") ||
                                !strcmp(a, "--grf-sigma") || !strcmp(a, "--grf-tau") ||
                                !strcmp(a, "--grf-alpha") || !strcmp(a, "--times")));
        if (!known) {
            fprintf(stderr, "noether data %s: unknown option '%s' (see noether data --help)\n", set, a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "noether data %s: missing value for '%s'\n", set, a);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--n")) { bad = parse_int(a, v, 1, (long long)1 << 40, &n); have_n = 1; }
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--seed")) bad = parse_u64(a, v, &seed);
        else if (!strcmp(a, "--res")) bad = parse_int(a, v, 2, 1 << 24, &res);
        else if (!strcmp(a, "--fine")) bad = parse_int(a, v, 3, 1 << 24, &fine);
        else if (!strcmp(a, "--threads")) bad = parse_int(a, v, 1, 1024, &threads);
        else if (!strcmp(a, "--dt")) bad = parse_pos(a, v, &dt);
        else if (!strcmp(a, "--nu")) bad = parse_pos(a, v, &bc.nu);
        else if (!strcmp(a, "--t-end")) bad = parse_pos(a, v, &bc.t_end);
        else if (!strcmp(a, "--grf-sigma")) bad = parse_pos(a, v, &bc.sigma);
        else if (!strcmp(a, "--grf-tau")) bad = parse_pos(a, v, &bc.tau);
        else if (!strcmp(a, "--grf-alpha")) bad = parse_pos(a, v, &bc.alpha);
        else if (!strcmp(a, "--times")) {
            long long k = 0;
            bad = parse_int(a, v, 0, 100000, &k);
            if (!bad && k == 1) {
                fprintf(stderr, "noether data: --times expects 0 or at least 2, got '%s'\n", v);
                bad = 1;
            }
            bc.times = (int)k;
        }
        if (bad) return 2;
    }
    if (!have_n || !out) {
        fprintf(stderr, "noether data %s: --n and --out are required (see noether data --help)\n", set);
        return 2;
    }
    nt_status st;
    if (!darcy) {
        bc.n = n;
        bc.seed = seed;
        if (res) bc.res = (int)res;
        if (fine) bc.fine = (int)fine;
        if (dt > 0.0) bc.dt = dt;
        bc.threads = (int)threads;
        bc.verbose = !quiet;
        st = check_burgers(&bc, 1);
        if (st) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            return 2;
        }
        st = nt_data_burgers_generate(&bc, out, overwrite, NULL);
    } else {
        dc.n = n;
        dc.seed = seed;
        if (res) dc.res = (int)res;
        if (fine) dc.fine = (int)fine;
        dc.threads = (int)threads;
        dc.verbose = !quiet;
        st = check_darcy(&dc, 1);
        if (st) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            return 2;
        }
        st = nt_data_darcy_generate(&dc, out, overwrite, NULL);
    }
    if (st) {
        fprintf(stderr, "noether data %s: %s\n", set, nt_error_msg());
        return 1;
    }
    return 0;
}
