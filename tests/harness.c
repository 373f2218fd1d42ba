/* harness.c — see harness.h. */
#include "harness.h"
#include "pinn/pinn.h"
#include "pinn/problem.h"
#include "pinn/run.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int nt_test_passed, nt_test_failed;
const char *nt_test_current = "";
static int g_cur_failed;

void nt_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: [%s] ", file, line, nt_test_current);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    g_cur_failed++;
}

void nt_test_run(const char *name, void (*fn)(void))
{
    nt_test_current = name;
    g_cur_failed = 0;
    double t0 = nt_time_now();
    fn();
    double dt = nt_time_now() - t0;
    if (g_cur_failed) {
        nt_test_failed++;
        printf("FAIL %s (%.2fs)\n", name, dt);
    } else {
        nt_test_passed++;
        printf("ok   %s (%.2fs)\n", name, dt);
    }
    fflush(stdout);
}

int nt_test_finish(void)
{
    printf("%d passed, %d failed\n", nt_test_passed, nt_test_failed);
    return nt_test_failed ? 1 : 0;
}

int nt_test_quick(void)
{
    const char *q = getenv("NT_TEST_QUICK");
    return q && *q && *q != '0';
}

const char *nt_test_data_dir(void)
{
    static const char *cands[] = {NULL, "../shared/data", "../../shared/data"};
    struct stat st;
    cands[0] = getenv("NT_DATA_DIR");
    for (int i = 0; i < 3; i++) {
        if (cands[i] && stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) return cands[i];
    }
    return NULL;
}

unsigned char *nt_test_read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (n) *n = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)(sz > 0 ? sz : 0) + 1);
    size_t got = b ? fread(b, 1, (size_t)(sz > 0 ? sz : 0), f) : 0;
    if (b) b[got] = 0;
    if (n) *n = got;
    fclose(f);
    return b;
}

char *nt_test_read_text(const char *path) { return (char *)nt_test_read_bytes(path, NULL); }

void nt_test_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0) nt_test_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (f) fclose(f);
}

void nt_test_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n)) nt_test_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (f) fclose(f);
}

int nt_test_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

void nt_test_expect_problem_error(const char *file, int line, const char *name, const char *head, const char *body,
                                  const char *pos, const char *msg)
{
    char text[8192], want[128];
    snprintf(text, sizeof text, "%s%s", head, body);
    snprintf(want, sizeof want, "%s:%s:", name, pos);
    nt_problem p;
    nt_status st = nt_problem_load_string(&p, text, name, ".");
    if (st == NT_OK) {
        nt_test_fail(file, line, "accepted: %s", body);
        nt_problem_free(&p);
        return;
    }
    if (!strstr(nt_error_msg(), want) || !strstr(nt_error_msg(), msg))
        nt_test_fail(file, line, "message lacks \"%s\" / \"%s\": %s", want, msg, nt_error_msg());
}

int nt_test_load_problem(const char *file, int line, nt_problem *p, const char *head, const char *body,
                         const char *name)
{
    size_t nh = strlen(head), nb = body ? strlen(body) : 0;
    char *text = malloc(nh + nb + 1);
    if (!text) {
        nt_test_fail(file, line, "out of memory");
        return -1;
    }
    memcpy(text, head, nh);
    memcpy(text + nh, body ? body : "", nb + 1);
    nt_status st = nt_problem_load_string(p, text, name, ".");
    free(text);
    if (st != NT_OK) {
        nt_test_fail(file, line, "problem %s: %s", name, nt_error_msg());
        return -1;
    }
    return 0;
}

int nt_test_count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

/* ---- temporary folder ------------------------------------------------------------ */

static char g_tmp_dir[256];

const char *nt_test_tmp_init(const char *prefix)
{
    snprintf(g_tmp_dir, sizeof g_tmp_dir, "/tmp/%s_XXXXXX", prefix);
    if (!mkdtemp(g_tmp_dir)) {
        fprintf(stderr, "cannot create a temporary folder %s\n", g_tmp_dir);
        g_tmp_dir[0] = 0;
        return NULL;
    }
    return g_tmp_dir;
}

const char *nt_test_path(const char *rel)
{
    static char buf[8][1024];
    static int k;
    char *s = buf[k++ & 7];
    snprintf(s, sizeof buf[0], "%s/%s", g_tmp_dir, rel);
    return s;
}

void nt_test_tmp_cleanup(void)
{
    if (!g_tmp_dir[0]) return;
    if (nt_test_failed == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp_dir);
        if (system(cmd) != 0) printf("could not remove %s\n", g_tmp_dir);
    } else {
        printf("files kept in %s\n", g_tmp_dir);
    }
}

/* ---- the noether command ------------------------------------------------------------ */

char nt_test_out[1 << 16];

const char *nt_test_noether_bin(void)
{
    const char *b = getenv("NT_NOETHER");
    return b && *b ? b : "build/noether";
}

int nt_test_noether(const char *fmt, ...)
{
    char args[4096], cmd[4608];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", nt_test_noether_bin(), args);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = 0, got;
    char buf[4096];
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) { /* keep the start, drain the rest */
        size_t k = got < sizeof nt_test_out - 1 - n ? got : sizeof nt_test_out - 1 - n;
        memcpy(nt_test_out + n, buf, k);
        n += k;
    }
    nt_test_out[n] = 0;
    int st = pclose(p);
    /* under the sanitizers: any report (leaks on error paths included) is a failure */
    if (strstr(nt_test_out, "Sanitizer") || strstr(nt_test_out, "runtime error:"))
        nt_test_fail(__FILE__, __LINE__, "sanitizer report from noether %s:\n%s", args, nt_test_out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t nt_test_spawn(char *const argv[], const char *log)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* ---- training runs ------------------------------------------------------------------ */

void nt_test_run_opts(nt_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->seed = -1;
    o->dtype = -1;
    o->progress = 0;
}

double nt_test_train(const char *file, int line, const char *yaml, const char *dir)
{
    nt_run_opts o;
    nt_test_run_opts(&o);
    o.problem = yaml;
    o.out_dir = dir;
    fflush(stdout);
    int rc = nt_run_train(&o);
    if (rc != 0) nt_test_fail(file, line, "%s: the run into %s exited with %d", yaml, dir, rc);
    return nt_test_summary_err(dir);
}

int nt_test_train_resumed(const char *file, int line, const char *yaml, const char *dir_a, const char *dir_b,
                          int64_t stop_after)
{
    nt_run_opts o;
    int ok = 1, rc;
    nt_test_run_opts(&o);
    o.problem = yaml;
    o.out_dir = dir_a;
    fflush(stdout);
    if ((rc = nt_run_train(&o)) != 0) {
        nt_test_fail(file, line, "%s: the whole run into %s exited with %d", yaml, dir_a, rc);
        ok = 0;
    }
    o.out_dir = dir_b;
    o.stop_after = stop_after;
    if ((rc = nt_run_train(&o)) != 130) {
        nt_test_fail(file, line, "%s: the run into %s stopped after %lld steps exited with %d (not 130)", yaml,
                     dir_b, (long long)stop_after, rc);
        ok = 0;
    }
    nt_test_run_opts(&o);
    o.resume_dir = dir_b;
    if ((rc = nt_run_train(&o)) != 0) {
        nt_test_fail(file, line, "resuming %s exited with %d", dir_b, rc);
        ok = 0;
    }
    return ok;
}

int nt_test_same_predictions(const char *file, int line, const char *dir_a, const char *dir_b)
{
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/predictions.csv", dir_a);
    snprintf(pb, sizeof pb, "%s/predictions.csv", dir_b);
    char *sa = nt_test_read_text(pa), *sb = nt_test_read_text(pb);
    int same = sa && sb && strlen(sa) > 100 && !strcmp(sa, sb);
    if (!same) {
        if (!sa || !sb) nt_test_fail(file, line, "cannot read %s", sa ? pb : pa);
        else if (strlen(sa) <= 100) nt_test_fail(file, line, "%s is too short (%zu bytes)", pa, strlen(sa));
        else nt_test_fail(file, line, "%s and %s differ", pa, pb);
    }
    free(sa);
    free(sb);
    return same;
}

void nt_test_resume_case(const char *file, int line, const char *name, const char *text, int64_t stop_after)
{
    char yaml[1024], da[1024], db[1024];
    snprintf(yaml, sizeof yaml, "%s/%s.yaml", g_tmp_dir, name);
    snprintf(da, sizeof da, "%s/%s_A", g_tmp_dir, name);
    snprintf(db, sizeof db, "%s/%s_B", g_tmp_dir, name);
    nt_test_write_text(yaml, text);
    nt_test_train_resumed(file, line, yaml, da, db, stop_after);
    nt_test_same_predictions(file, line, da, db);
}

double nt_test_summary_err(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *s = nt_test_read_text(path);
    const char *e = s ? strstr(s, "\"rel_l2\":") : NULL;
    double err = NAN;
    if (e) {
        e += strlen("\"rel_l2\":");
        while (*e == ' ') e++;
        if (*e == '{') e = strchr(e, ':'); /* the first field's value */
        if (e && *e == ':') e++;
        if (e) {
            char *end;
            double v = strtod(e, &end);
            if (end != e) err = v;
        }
    }
    free(s);
    return err;
}

double *nt_test_pinn_grad(const nt_pinn *m)
{
    double *g = malloc((size_t)m->params.n * sizeof(double));
    if (g) memcpy(g, m->params.grad, (size_t)m->params.n * sizeof(double));
    return g;
}

static double pinn_obj(void *user, nt_params *p)
{
    (void)p;
    return nt_pinn_loss(user, 1);
}

void nt_test_pinn_adam_lbfgs(nt_pinn *m, const nt_adam_config *ac, int adam, int lbfgs)
{
    nt_adam o;
    CHECK_OK(nt_adam_init(&o, &m->params, ac));
    for (int s = 0; s < adam; s++) {
        nt_pinn_loss(m, 1);
        nt_adam_step(&o);
    }
    nt_adam_free(&o);
    nt_lbfgs l;
    CHECK_OK(nt_lbfgs_init(&l, &m->params, NULL));
    for (int s = 0; s < lbfgs; s++)
        if (nt_lbfgs_step(&l, pinn_obj, m) != NT_LBFGS_RUNNING) break;
    nt_lbfgs_free(&l);
}

double nt_test_pinn_fd(nt_pinn *m, int64_t i, double h)
{
    double *x = m->params.data, xi = x[i];
    x[i] = xi + h;
    double lp = nt_pinn_loss(m, 0);
    x[i] = xi - h;
    double lm = nt_pinn_loss(m, 0);
    x[i] = xi;
    return (lp - lm) / (2 * h);
}
