/* test_cli.c — the noether command: help, bad options and bad input give a clear
 * message and a non-zero exit; a tiny demo run succeeds. Runs build/noether
 * (NT_NOETHER overrides the path). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void test_help(void)
{
    CHECK(nt_test_noether("--help") == 0);
    CHECK(strstr(nt_test_out, "demo") != NULL);
    CHECK(nt_test_noether("%s", "") == 2); /* no command */
    CHECK(nt_test_noether("demo --help") == 0);
    CHECK(strstr(nt_test_out, "--threads") != NULL);
    CHECK(nt_test_noether("version") == 0);
    CHECK(strstr(nt_test_out, NT_VERSION_STRING) != NULL);
}

static void test_bad_input(void)
{
    CHECK(nt_test_noether("frobnicate") == 2);
    CHECK(strstr(nt_test_out, "unknown command 'frobnicate'") != NULL);
    CHECK(nt_test_noether("demo heat") == 2);
    CHECK(strstr(nt_test_out, "unknown problem 'heat'") != NULL);
    CHECK(nt_test_noether("demo burgers --points abc") == 2);
    CHECK(strstr(nt_test_out, "--points expects an integer") != NULL);
    CHECK(nt_test_noether("demo burgers --threads 0") == 2);
    CHECK(nt_test_noether("demo burgers --lr -1") == 2);
    CHECK(strstr(nt_test_out, "--lr expects a number") != NULL);
    CHECK(nt_test_noether("demo burgers --dtype float16") == 2);
    CHECK(strstr(nt_test_out, "unknown dtype 'float16'") != NULL);
    CHECK(nt_test_noether("demo burgers --act relu") == 2);
    CHECK(strstr(nt_test_out, "unknown activation 'relu'") != NULL);
    CHECK(nt_test_noether("demo burgers --bogus 1") == 2);
    CHECK(strstr(nt_test_out, "unknown option '--bogus'") != NULL);
    CHECK(nt_test_noether("demo burgers --width") == 2);
    CHECK(strstr(nt_test_out, "missing value") != NULL);
    CHECK(nt_test_noether("demo burgers --data /nonexistent/ref.csv --adam 1 --lbfgs 0") == 1);
    CHECK(strstr(nt_test_out, "/nonexistent/ref.csv") != NULL);
    /* a malformed reference names file:line:column */
    FILE *f = fopen("/tmp/nt_cli_bad.csv", "w");
    fputs("t,x,u\n0,0.5,1\n0,zz,1\n", f);
    fclose(f);
    CHECK(nt_test_noether("demo burgers --data /tmp/nt_cli_bad.csv --adam 1 --lbfgs 0") == 1);
    CHECK(strstr(nt_test_out, "/tmp/nt_cli_bad.csv:3:3:") != NULL);
    remove("/tmp/nt_cli_bad.csv");
}

static void test_tiny_run(void)
{
    CHECK(nt_test_noether("demo ks --points 64 --width 8 --depth 2 --adam 5 --lbfgs 3 --log 0 --threads 1") == 0);
    CHECK(strstr(nt_test_out, "trained: 5 Adam steps") != NULL);
    const char *dir = nt_test_data_dir();
    if (!dir) {
        printf("skip part of test_tiny_run: ../shared/data not found\n");
        return;
    }
    CHECK(nt_test_noether("demo burgers --points 64 --width 8 --depth 2 --adam 5 --lbfgs 3 --log 0 --data %s/burgers_shock.csv",
                          dir) == 0);
    CHECK(strstr(nt_test_out, "relative L2 error") != NULL);
}

int main(void)
{
    RUN(test_help);
    RUN(test_bad_input);
    RUN(test_tiny_run);
    return nt_test_finish();
}
