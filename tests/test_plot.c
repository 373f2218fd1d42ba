/* test_plot.c — PNG figures: heat map colours, NaN cells, the diverging map's white
 * at 0, title text, line plots with log axes and bad points, atomic writes. */
#include "harness.h"

#include "io/plot.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static const char *tpath(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static int tmp_exists(const char *path)
{
    char t[300];
    snprintf(t, sizeof t, "%s.tmp", path);
    return exists(t);
}

/* Reads a PNG as 8-bit RGB; returns NULL on failure. */
static uint8_t *read_png(const char *path, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return NULL;
    img.format = PNG_FORMAT_RGB;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        free(buf);
        png_image_free(&img);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return buf;
}

static const uint8_t *pix(const uint8_t *img, int w, int x, int y)
{
    return img + ((size_t)y * (size_t)w + (size_t)x) * 3;
}

static int same_rgb(const uint8_t *p, const uint8_t *q, int tol)
{
    for (int c = 0; c < 3; c++)
        if (abs((int)p[c] - (int)q[c]) > tol) return 0;
    return 1;
}

/* Dark ("ink") pixels in [x0, x1) × [y0, y1). */
static int count_ink(const uint8_t *img, int w, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = pix(img, w, x, y);
            n += p[0] < 100 && p[1] < 100 && p[2] < 100;
        }
    return n;
}

static int count_rgb(const uint8_t *img, int w, int h, const uint8_t rgb[3])
{
    int n = 0;
    for (int k = 0; k < w * h; k++) n += same_rgb(img + 3 * k, rgb, 0);
    return n;
}

/* Centre pixel (image coordinates) of data cell (i, j) of panel k. */
static void cell_px(int k, int nx, int ny, int i, int j, int *x, int *y)
{
    *x = k * NT_PLOT_HM_PANEL_W + NT_PLOT_HM_LEFT + (int)((i + 0.5) * NT_PLOT_HM_IMG_W / nx);
    *y = NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H - 1 - (int)((j + 0.5) * NT_PLOT_HM_IMG_H / ny);
}

static void test_format(void)
{
    char b[48];
    nt_plot_format(0.5, 0.1, b, sizeof b);
    CHECK(!strcmp(b, "0.5"));
    nt_plot_format(-1, 0.5, b, sizeof b);
    CHECK(!strcmp(b, "-1"));
    nt_plot_format(1e-3, 1e-3, b, sizeof b);
    CHECK(!strcmp(b, "1e-3"));
    nt_plot_format(4000, 2000, b, sizeof b);
    CHECK(!strcmp(b, "4000"));
    nt_plot_format(1.4, 0.2, b, sizeof b);
    CHECK(!strcmp(b, "1.4"));
    nt_plot_format(3e6, 1e6, b, sizeof b);
    CHECK(!strcmp(b, "3e6"));
    nt_plot_format(1e-17, 0.25, b, sizeof b); /* round-off next to a zero tick */
    CHECK(!strcmp(b, "0"));
    uint8_t lo[3], mid[3], hi[3];
    nt_plot_cmap(1, 0.5, mid);
    CHECK(mid[0] == 255 && mid[1] == 255 && mid[2] == 255);
    nt_plot_cmap(1, 0.0, lo);
    nt_plot_cmap(1, 1.0, hi);
    CHECK(lo[2] > lo[0] && hi[0] > hi[2]); /* blue ... red */
    nt_plot_cmap(0, 0.0, lo);
    nt_plot_cmap(0, 1.0, hi);
    CHECK(lo[0] + lo[1] + lo[2] < hi[0] + hi[1] + hi[2]); /* dark ... light */
}

/* Three panels of z = cos(πx) on an nx×ny grid (constant along y): sequential with
 * automatic range and NaN cells in the top row; diverging (automatic, ±1); sequential
 * with an explicit range [-0.5, 0.5] (values outside clamp to the ends). */
static void test_heatmap(void)
{
    enum { NX = 11, NY = 8 };
    double z[NX * NY], zn[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) z[j * NX + i] = zn[j * NX + i] = cos(NT_TEST_PI * i / (NX - 1));
    zn[(NY - 1) * NX + 3] = zn[(NY - 1) * NX + 4] = NAN; /* top row */
    zn[(NY - 1) * NX + 6] = INFINITY;
    nt_plot_panel p[3] = {
        {.z = zn, .nx = NX, .ny = NY, .x0 = 0, .x1 = 1, .y0 = 0, .y1 = 2, .title = "u(x, y)",
         .xlabel = "x", .ylabel = "y", .diverging = 0, .vmin = NAN, .vmax = NAN},
        {.z = z, .nx = NX, .ny = NY, .x0 = -1, .x1 = 1, .y0 = 0, .y1 = 1, .title = NULL,
         .xlabel = "x", .ylabel = "t", .diverging = 1, .vmin = NAN, .vmax = NAN},
        {.z = z, .nx = NX, .ny = NY, .x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1, .title = "clamped",
         .diverging = 0, .vmin = -0.5, .vmax = 0.5},
    };
    const char *path = tpath("heat.png");
    CHECK_OK(nt_plot_heatmaps(path, p, 3));
    CHECK(!tmp_exists(path));
    int w = 0, h = 0;
    uint8_t *img = read_png(path, &w, &h);
    CHECK(img != NULL);
    if (!img) return;
    CHECK(w == 3 * NT_PLOT_HM_PANEL_W);
    CHECK(h == NT_PLOT_HM_PANEL_H);
    CHECK(w >= 3 * (NT_PLOT_HM_IMG_W + 100) && h >= NT_PLOT_HM_IMG_H + 60);

    uint8_t top[3], bot[3], dtop[3], dbot[3], white[3] = {255, 255, 255};
    const uint8_t grey[3] = {NT_PLOT_NAN_R, NT_PLOT_NAN_G, NT_PLOT_NAN_B};
    nt_plot_cmap(0, 1, top);
    nt_plot_cmap(0, 0, bot);
    nt_plot_cmap(1, 1, dtop);
    nt_plot_cmap(1, 0, dbot);
    int x, y;
    /* panel 0: left column z = 1 = vmax, right column z = -1 = vmin */
    cell_px(0, NX, NY, 0, 3, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), top, 0));
    cell_px(0, NX, NY, NX - 1, 3, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), bot, 0));
    /* NaN and Inf cells are grey, and at the top (j = NY-1 is drawn at the top) */
    for (int i = 3; i <= 6; i += 3) {
        cell_px(0, NX, NY, i, NY - 1, &x, &y);
        CHECK(same_rgb(pix(img, w, x, y), grey, 0));
        CHECK(y < NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H / 4);
        cell_px(0, NX, NY, i, 0, &x, &y);
        CHECK(!same_rgb(pix(img, w, x, y), grey, 8));
    }
    /* panel 1, diverging: ends at ±1 and white where z = 0 (middle column) */
    cell_px(1, NX, NY, 0, 2, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), dtop, 0));
    cell_px(1, NX, NY, NX - 1, 2, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), dbot, 0));
    cell_px(1, NX, NY, NX / 2, 2, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), white, 1));
    /* panel 2, explicit range: z = cos(πx) ≥ 0.5 for x ≤ 1/3 clamps to the top colour */
    cell_px(2, NX, NY, 1, 5, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), top, 0));
    cell_px(2, NX, NY, NX - 2, 5, &x, &y);
    CHECK(same_rgb(pix(img, w, x, y), bot, 0));
    /* colour bars: top colour at the top end, bottom colour at the bottom end */
    int bx = NT_PLOT_HM_LEFT + NT_PLOT_HM_IMG_W + NT_PLOT_HM_BAR_GAP + NT_PLOT_HM_BAR_W / 2;
    CHECK(same_rgb(pix(img, w, bx, NT_PLOT_HM_TOP), top, 0));
    CHECK(same_rgb(pix(img, w, bx, NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H - 1), bot, 0));
    CHECK(same_rgb(pix(img, w, NT_PLOT_HM_PANEL_W + bx, NT_PLOT_HM_TOP), dtop, 0));
    /* text: a title in panels 0 and 2, none in panel 1; tick labels under each image */
    int ty1 = NT_PLOT_HM_TOP - 3;
    int t0 = count_ink(img, w, 0, 0, NT_PLOT_HM_PANEL_W, ty1);
    int t1 = count_ink(img, w, NT_PLOT_HM_PANEL_W, 0, 2 * NT_PLOT_HM_PANEL_W, ty1);
    int t2 = count_ink(img, w, 2 * NT_PLOT_HM_PANEL_W, 0, 3 * NT_PLOT_HM_PANEL_W, ty1);
    CHECK(t0 > 40);
    CHECK(t1 == 0);
    CHECK(t2 > t0); /* "clamped" has more ink than "u(x, y)" */
    int yb = NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H + 2;
    for (int k = 0; k < 3; k++)
        CHECK(count_ink(img, w, k * NT_PLOT_HM_PANEL_W + NT_PLOT_HM_LEFT, yb,
                        k * NT_PLOT_HM_PANEL_W + NT_PLOT_HM_LEFT + NT_PLOT_HM_IMG_W, h) > 40);
    /* y labels and tick labels left of the image */
    CHECK(count_ink(img, w, 0, NT_PLOT_HM_TOP, NT_PLOT_HM_LEFT - 2,
                    NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H) > 40);
    free(img);
}

/* A big grid (downsampled) and a 1×1 grid of a constant. */
static void test_heatmap_sizes(void)
{
    int n = nt_test_quick() ? 256 : 1024;
    double *z = malloc(sizeof(double) * (size_t)n * (size_t)n);
    CHECK(z != NULL);
    if (!z) return;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) z[(size_t)j * n + i] = sin(0.01 * i) * cos(0.02 * j);
    double one = 3.0;
    nt_plot_panel p[2] = {
        {.z = z, .nx = n, .ny = n, .x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1, .title = "big",
         .diverging = 1, .vmin = NAN, .vmax = NAN},
        {.z = &one, .nx = 1, .ny = 1, .x0 = 0, .x1 = 0, .y0 = 5, .y1 = 5, .title = "const",
         .diverging = 0, .vmin = NAN, .vmax = NAN},
    };
    const char *path = tpath("big.png");
    CHECK_OK(nt_plot_heatmaps(path, p, 2));
    int w = 0, h = 0;
    uint8_t *img = read_png(path, &w, &h);
    CHECK(img && w == 2 * NT_PLOT_HM_PANEL_W && h == NT_PLOT_HM_PANEL_H);
    if (img) {
        /* z(0, 0) = 0 -> white on the diverging map (bottom-left corner) */
        const uint8_t white[3] = {255, 255, 255};
        CHECK(same_rgb(pix(img, w, NT_PLOT_HM_LEFT, NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H - 1),
                       white, 3));
    }
    free(img);
    free(z);
    nt_plot_panel bad = p[0];
    bad.nx = 0;
    CHECK(nt_plot_heatmaps(path, &bad, 1) == NT_ERR_ARG);
}

static void test_lines(void)
{
    enum { N = 200 };
    double x[N], y1[N], y2[N], y3[N];
    for (int i = 0; i < N; i++) {
        x[i] = 50.0 * i;
        y1[i] = exp(-0.05 * i);
        y2[i] = 0.5 * exp(-0.02 * i);
    }
    y1[10] = 0;         /* non-positive and non-finite points break the line */
    y1[11] = -1;
    y1[50] = NAN;
    y2[70] = INFINITY;
    for (int i = 0; i < N; i++) y3[i] = NAN; /* nothing drawable at all */
    nt_plot_series s[3] = {
        {.name = "pde residual", .x = x, .y = y1, .n = N},
        {.name = "boundary", .x = x, .y = y2, .n = N},
        {.name = NULL, .x = NULL, .y = y3, .n = N},
    };
    const char *path = tpath("loss.png");
    CHECK_OK(nt_plot_lines(path, s, 3, "loss", "epoch", "loss", 1));
    CHECK(!tmp_exists(path));
    int w = 0, h = 0;
    uint8_t *img = read_png(path, &w, &h);
    CHECK(img && w == NT_PLOT_LN_W && h == NT_PLOT_LN_H);
    if (img) {
        uint8_t c0[3], c1[3];
        nt_plot_series_color(0, c0);
        nt_plot_series_color(1, c1);
        CHECK(count_rgb(img, w, h, c0) > 200); /* the curves were drawn */
        CHECK(count_rgb(img, w, h, c1) > 200);
        CHECK(count_ink(img, w, 0, 0, w, NT_PLOT_LN_TOP - 3) > 40); /* title */
        /* y(0) = 1 is the top decade: series 0 starts at the top-left of the plot area */
        const uint8_t *p = pix(img, w, NT_PLOT_LN_LEFT + 1, NT_PLOT_LN_TOP + 1);
        CHECK(same_rgb(p, c0, 0));
    }
    free(img);

    /* linear axes, including a single-point series and an empty one */
    double one_x = 3, one_y = 2;
    nt_plot_series t[3] = {
        {.name = "a", .x = x, .y = y2, .n = N},
        {.name = "single", .x = &one_x, .y = &one_y, .n = 1},
        {.name = "empty", .x = NULL, .y = NULL, .n = 0},
    };
    CHECK_OK(nt_plot_lines(path, t, 3, NULL, NULL, NULL, 0));
    img = read_png(path, &w, &h);
    CHECK(img && w == NT_PLOT_LN_W && h == NT_PLOT_LN_H);
    free(img);
    CHECK_OK(nt_plot_lines(path, NULL, 0, "nothing", "x", "y", 1));
    CHECK(!tmp_exists(path));
}

static void test_write_errors(void)
{
    /* a directory that does not exist: fails before anything is written */
    const char *path = tpath("no/such/dir/fig.png");
    double z[4] = {0, 1, 2, 3};
    nt_plot_panel p = {.z = z, .nx = 2, .ny = 2, .x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1,
                       .vmin = NAN, .vmax = NAN};
    CHECK(nt_plot_heatmaps(path, &p, 1) == NT_ERR_IO);
    CHECK(strstr(nt_error_msg(), path) != NULL);
    CHECK(strstr(nt_error_msg(), "cannot write") != NULL);
    CHECK(!tmp_exists(path));
    double y[3] = {1, 2, 3};
    nt_plot_series s = {.name = "y", .y = y, .n = 3};
    CHECK(nt_plot_lines(path, &s, 1, "t", "x", "y", 0) == NT_ERR_IO);
    CHECK(strstr(nt_error_msg(), path) != NULL);

    /* the target is a directory: the temporary file is written, the rename fails,
     * and the temporary file is removed again */
    const char *dir = tpath("adir");
    CHECK(mkdir(dir, 0700) == 0);
    CHECK(nt_plot_heatmaps(dir, &p, 1) == NT_ERR_IO);
    CHECK(strstr(nt_error_msg(), dir) != NULL);
    CHECK(!tmp_exists(dir));
    rmdir(dir);

    /* a raw raster round trip */
    uint8_t rgb[2 * 3 * 3];
    for (int k = 0; k < 18; k++) rgb[k] = (uint8_t)(k * 14);
    const char *rp = tpath("raw.png");
    CHECK_OK(nt_png_write_rgb(rp, rgb, 3, 2));
    int w = 0, h = 0;
    uint8_t *img = read_png(rp, &w, &h);
    CHECK(img && w == 3 && h == 2 && !memcmp(img, rgb, sizeof rgb));
    free(img);
    CHECK(nt_png_write_rgb(rp, rgb, 0, 2) == NT_ERR_ARG);
}

static void cleanup(void)
{
    const char *names[] = {"heat.png", "big.png", "loss.png", "raw.png"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) remove(tpath(names[k]));
    rmdir(tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/nt_plot_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_format);
    RUN(test_heatmap);
    RUN(test_heatmap_sizes);
    RUN(test_lines);
    RUN(test_write_errors);
    if (getenv("NT_PLOT_KEEP"))
        printf("figures kept in %s\n", tmpdir);
    else
        cleanup();
    return nt_test_finish();
}
