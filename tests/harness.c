/* harness.c — see harness.h. */
#include "harness.h"
#include "pinn/problem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
