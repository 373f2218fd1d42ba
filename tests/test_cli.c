/* test_cli.c — the noether command: help, bad options and bad input give a clear
 * message and a non-zero exit; a tiny demo run succeeds. Runs build/noether
 * (NT_NOETHER overrides the path). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char g_out[16384];

/* Runs the command with stderr merged; returns the exit status. */
static int run(const char *args)
{
    const char *bin = getenv("NT_NOETHER");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin ? bin : "build/noether", args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(g_out, 1, sizeof g_out - 1, p);
    g_out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_help(void)
{
    CHECK(run("--help") == 0);
    CHECK(strstr(g_out, "demo") != NULL);
    CHECK(run("") == 2);
    CHECK(run("demo --help") == 0);
    CHECK(strstr(g_out, "--threads") != NULL);
    CHECK(run("version") == 0);
    CHECK(strstr(g_out, NT_VERSION_STRING) != NULL);
}

static void test_bad_input(void)
{
    CHECK(run("frobnicate") == 2);
    CHECK(strstr(g_out, "unknown command 'frobnicate'") != NULL);
    CHECK(run("demo heat") == 2);
    CHECK(strstr(g_out, "unknown problem 'heat'") != NULL);
    CHECK(run("demo burgers --points abc") == 2);
    CHECK(strstr(g_out, "--points expects an integer") != NULL);
    CHECK(run("demo burgers --threads 0") == 2);
    CHECK(run("demo burgers --lr -1") == 2);
    CHECK(strstr(g_out, "--lr expects a number") != NULL);
    CHECK(run("demo burgers --dtype float16") == 2);
    CHECK(strstr(g_out, "unknown dtype 'float16'") != NULL);
    CHECK(run("demo burgers --act relu") == 2);
    CHECK(strstr(g_out, "unknown activation 'relu'") != NULL);
    CHECK(run("demo burgers --bogus 1") == 2);
    CHECK(strstr(g_out, "unknown option '--bogus'") != NULL);
    CHECK(run("demo burgers --width") == 2);
    CHECK(strstr(g_out, "missing value") != NULL);
    CHECK(run("demo burgers --data /nonexistent/ref.csv --adam 1 --lbfgs 0") == 1);
    CHECK(strstr(g_out, "/nonexistent/ref.csv") != NULL);
    /* a malformed reference names file:line:column */
    FILE *f = fopen("/tmp/nt_cli_bad.csv", "w");
    fputs("t,x,u\n0,0.5,1\n0,zz,1\n", f);
    fclose(f);
    CHECK(run("demo burgers --data /tmp/nt_cli_bad.csv --adam 1 --lbfgs 0") == 1);
    CHECK(strstr(g_out, "/tmp/nt_cli_bad.csv:3:3:") != NULL);
    remove("/tmp/nt_cli_bad.csv");
}

static void test_tiny_run(void)
{
    CHECK(run("demo ks --points 64 --width 8 --depth 2 --adam 5 --lbfgs 3 --log 0 --threads 1") == 0);
    CHECK(strstr(g_out, "trained: 5 Adam steps") != NULL);
    const char *dir = nt_test_data_dir();
    if (!dir) {
        printf("skip part of test_tiny_run: ../shared/data not found\n");
        return;
    }
    char args[1024];
    snprintf(args, sizeof args,
             "demo burgers --points 64 --width 8 --depth 2 --adam 5 --lbfgs 3 --log 0 --data %s/burgers_shock.csv",
             dir);
    CHECK(run(args) == 0);
    CHECK(strstr(g_out, "relative L2 error") != NULL);
}

int main(void)
{
    RUN(test_help);
    RUN(test_bad_input);
    RUN(test_tiny_run);
    return nt_test_finish();
}
