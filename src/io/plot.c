/* plot.c — PNG figures: heat maps with axes and colour bars, line plots.
 *
 * Everything is rasterised here into an 8-bit RGB canvas (own bitmap font, see
 * font.h) and written by libpng's simplified API into "<path>.tmp", then renamed. */
#include "io/plot.h"

#include "core/internal.h"
#include "io/font.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Colours ----------------------------------------------------------------- */

static const uint8_t C_WHITE[3] = {255, 255, 255};
static const uint8_t C_INK[3] = {30, 30, 30};      /* text, axes */
static const uint8_t C_GRID[3] = {228, 228, 228};  /* grid lines in line plots */
static const uint8_t C_BORDER[3] = {150, 150, 150}; /* legend box */
static const uint8_t C_NAN[3] = {NT_PLOT_NAN_R, NT_PLOT_NAN_G, NT_PLOT_NAN_B};

/* Control points (t, r, g, b). The sequential map runs dark violet -> blue -> teal ->
 * green -> yellow with rising lightness; the diverging one is blue -> white -> red. */
static const double SEQ_MAP[][4] = {
    {0.00, 50, 16, 90},   {0.20, 62, 60, 136}, {0.40, 44, 108, 142}, {0.60, 36, 152, 132},
    {0.80, 110, 196, 86}, {1.00, 248, 230, 38},
};
static const double DIV_MAP[][4] = {
    {0.00, 24, 56, 140},  {0.25, 110, 152, 210}, {0.50, 255, 255, 255},
    {0.75, 226, 128, 104}, {1.00, 160, 20, 32},
};

static void map_lookup(const double (*m)[4], int n, double t, uint8_t rgb[3])
{
    if (!(t > 0)) t = 0; /* also catches NaN */
    if (t > 1) t = 1;
    int k = 0;
    while (k < n - 2 && t > m[k + 1][0]) k++;
    double f = (t - m[k][0]) / (m[k + 1][0] - m[k][0]);
    for (int c = 0; c < 3; c++) {
        double v = m[k][c + 1] + f * (m[k + 1][c + 1] - m[k][c + 1]);
        rgb[c] = (uint8_t)(v + 0.5);
    }
}

void nt_plot_cmap(int diverging, double t, uint8_t rgb[3])
{
    if (diverging)
        map_lookup(DIV_MAP, (int)(sizeof DIV_MAP / sizeof DIV_MAP[0]), t, rgb);
    else
        map_lookup(SEQ_MAP, (int)(sizeof SEQ_MAP / sizeof SEQ_MAP[0]), t, rgb);
}

static const uint8_t PALETTE[][3] = {
    {0, 92, 184},  {222, 84, 18}, {28, 150, 64}, {150, 48, 166},
    {196, 156, 0}, {0, 158, 170}, {122, 72, 30}, {228, 58, 140},
};

void nt_plot_series_color(int k, uint8_t rgb[3])
{
    int n = (int)(sizeof PALETTE / sizeof PALETTE[0]);
    k %= n;
    if (k < 0) k += n;
    memcpy(rgb, PALETTE[k], 3);
}

/* ---- Canvas ------------------------------------------------------------------ */

typedef struct canvas {
    uint8_t *p;
    int w, h;
    int cx0, cy0, cx1, cy1; /* clip rectangle [cx0, cx1) × [cy0, cy1) */
} canvas;

static nt_status canvas_init(canvas *c, int w, int h)
{
    c->w = w;
    c->h = h;
    c->p = malloc((size_t)w * (size_t)h * 3);
    if (!c->p) return nt_set_error(NT_ERR_NOMEM, "out of memory for a %dx%d figure", w, h);
    memset(c->p, 255, (size_t)w * (size_t)h * 3);
    c->cx0 = c->cy0 = 0;
    c->cx1 = w;
    c->cy1 = h;
    return NT_OK;
}

static void clip_set(canvas *c, int x0, int y0, int x1, int y1)
{
    c->cx0 = NT_MAX(x0, 0);
    c->cy0 = NT_MAX(y0, 0);
    c->cx1 = NT_MIN(x1, c->w);
    c->cy1 = NT_MIN(y1, c->h);
}

static void clip_reset(canvas *c) { clip_set(c, 0, 0, c->w, c->h); }

static void put(canvas *c, int x, int y, const uint8_t col[3])
{
    if (x < c->cx0 || x >= c->cx1 || y < c->cy0 || y >= c->cy1) return;
    uint8_t *q = c->p + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    q[0] = col[0];
    q[1] = col[1];
    q[2] = col[2];
}

static void fill(canvas *c, int x, int y, int w, int h, const uint8_t col[3])
{
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) put(c, i, j, col);
}

/* One-pixel rectangle outline around [x, x+w) × [y, y+h) (drawn outside it). */
static void frame(canvas *c, int x, int y, int w, int h, const uint8_t col[3])
{
    fill(c, x - 1, y - 1, w + 2, 1, col);
    fill(c, x - 1, y + h, w + 2, 1, col);
    fill(c, x - 1, y, 1, h, col);
    fill(c, x + w, y, 1, h, col);
}

/* Bresenham line, two pixels thick. */
static void line(canvas *c, int x0, int y0, int x1, int y1, const uint8_t col[3])
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    int steep = -dy > dx;
    for (;;) {
        put(c, x0, y0, col);
        if (steep)
            put(c, x0 + 1, y0, col);
        else
            put(c, x0, y0 + 1, col);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* ---- Text -------------------------------------------------------------------- */

static const char *const *glyph(unsigned char ch)
{
    if (ch < NT_FONT_FIRST || ch > NT_FONT_LAST) ch = '?';
    return nt_font_glyphs[ch - NT_FONT_FIRST];
}

static int text_w(const char *s, int scale)
{
    size_t n = strlen(s);
    return n ? (int)n * NT_FONT_ADVANCE * scale - scale : 0;
}

/* Horizontal text with its top-left corner at (x, y). */
static void text(canvas *c, int x, int y, const char *s, int scale, const uint8_t col[3])
{
    for (; *s; s++, x += NT_FONT_ADVANCE * scale) {
        const char *const *g = glyph((unsigned char)*s);
        for (int r = 0; r < NT_FONT_H && g[r]; r++)
            for (int k = 0; k < NT_FONT_W; k++)
                if (g[r][k] == '#') fill(c, x + k * scale, y + r * scale, scale, scale, col);
    }
}

/* Horizontal text: align 0 = left at x, 1 = centred on x, 2 = right edge at x. */
static void text_al(canvas *c, int x, int y, const char *s, int scale, int align,
                    const uint8_t col[3])
{
    int w = text_w(s, scale);
    text(c, x - (align == 1 ? w / 2 : align == 2 ? w : 0), y, s, scale, col);
}

/* Text rotated 90° counter-clockwise (reads bottom to top), centred vertically on yc;
 * the glyph tops face left and the box spans x .. x + NT_FONT_H·scale. */
static void text_up(canvas *c, int x, int yc, const char *s, int scale, const uint8_t col[3])
{
    int ybase = yc + text_w(s, scale) / 2; /* where the string starts */
    for (int u0 = 0; *s; s++, u0 += NT_FONT_ADVANCE * scale) {
        const char *const *g = glyph((unsigned char)*s);
        for (int r = 0; r < NT_FONT_H && g[r]; r++)
            for (int k = 0; k < NT_FONT_W; k++)
                if (g[r][k] == '#')
                    fill(c, x + r * scale, ybase - u0 - (k + 1) * scale + 1, scale, scale, col);
    }
}

/* ---- Numbers and ticks ---------------------------------------------------------- */

/* "1e-06" -> "1e-6", "2e+03" -> "2e3". */
static void compact_exponent(char *buf)
{
    char *e = strchr(buf, 'e');
    if (!e) return;
    char *d = e + 1;
    char *src = d;
    if (*src == '+') src++;
    else if (*src == '-') *d++ = *src++;
    while (*src == '0' && src[1]) src++;
    memmove(d, src, strlen(src) + 1);
}

void nt_plot_format(double v, double step, char *buf, size_t cap)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    step = fabs(step);
    if (!(step > 0) || !isfinite(step)) {
        snprintf(buf, cap, "%g", v);
        compact_exponent(buf);
        return;
    }
    if (fabs(v) < step * 1e-6) {
        snprintf(buf, cap, "0");
        return;
    }
    int ev = (int)floor(log10(fabs(v)) + 1e-9);
    int es = (int)floor(log10(step) + 1e-9);
    int prec = ev - es + 1; /* significant digits down to the step's */
    if (prec < 1) prec = 1;
    if (ev >= 0 && ev < 6 && prec < ev + 1) prec = ev + 1; /* 2000, not 2e3 */
    if (prec > 12) prec = 12;
    snprintf(buf, cap, "%.*g", prec, v);
    compact_exponent(buf);
    if (fabs(v) < 1 && !strchr(buf, 'e')) { /* 0.001 -> 1e-3 when that is shorter */
        char alt[48];
        snprintf(alt, sizeof alt, "%.*e", prec - 1, v);
        char *e = strchr(alt, 'e'), *m = e;
        while (m > alt && m[-1] == '0') m--;
        if (m > alt && m[-1] == '.') m--;
        memmove(m, e, strlen(e) + 1);
        compact_exponent(alt);
        if (strlen(alt) < strlen(buf)) snprintf(buf, cap, "%s", alt);
    }
}

#define MAX_TICKS 64

typedef struct ticks {
    double v[MAX_TICKS];
    int n;
    double step;
} ticks;

/* Ticks at multiples of a 1-2-5 step inside [lo, hi], about `target` of them. */
static void nice_ticks(double lo, double hi, int target, ticks *t)
{
    t->n = 0;
    t->step = 0;
    double span = hi - lo;
    if (!(span > 0) || !isfinite(span) || target < 1) return;
    double raw = span / target;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double step = (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * mag;
    t->step = step;
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    for (double k = k0; k <= k1 && t->n < MAX_TICKS; k++) {
        double v = k * step;
        if (fabs(v) < step * 1e-9) v = 0;
        t->v[t->n++] = v;
    }
}

/* Widest label of a tick set. */
static int ticks_label_w(const ticks *t)
{
    int w = 0;
    char buf[48];
    for (int i = 0; i < t->n; i++) {
        nt_plot_format(t->v[i], t->step, buf, sizeof buf);
        w = NT_MAX(w, text_w(buf, 1));
    }
    return w;
}

/* Ticks for a horizontal axis `pixels` long: as many as fit without labels touching. */
static void nice_ticks_h(double lo, double hi, int pixels, int target, ticks *t)
{
    for (; target >= 1; target--) {
        nice_ticks(lo, hi, target, t);
        if (t->n < 2) return;
        double spacing = pixels * t->step / (hi - lo);
        if (spacing >= ticks_label_w(t) + 12) return;
    }
}

/* Pixel of fraction f in [0, 1] along an axis of n pixels starting at p0. */
static int axis_px(int p0, int n, double f)
{
    if (!(f > -1)) f = -1; /* far outside (or NaN): keep the int conversion defined */
    if (f > 2) f = 2;
    return p0 + (int)floor(f * (n - 1) + 0.5);
}

/* ---- PNG output ---------------------------------------------------------------- */

nt_status nt_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h)
{
    if (!path || !rgb || w <= 0 || h <= 0)
        return nt_set_error(NT_ERR_ARG, "nt_png_write_rgb: bad arguments (%dx%d image)", w, h);
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);

    FILE *f = fopen(tmp, "wb");
    if (!f) {
        nt_status s = nt_set_error(NT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB;
    errno = 0;
    int ok = png_image_write_to_stdio(&img, f, 0, rgb, (png_int_32)w * 3, NULL);
    char reason[128];
    if (!ok) {
        if (errno)
            snprintf(reason, sizeof reason, "%s", strerror(errno));
        else
            snprintf(reason, sizeof reason, "libpng: %s", img.message);
    }
    png_image_free(&img);
    if (ok && (fflush(f) != 0 || ferror(f))) {
        ok = 0;
        snprintf(reason, sizeof reason, "%s", strerror(errno));
    }
    if (fclose(f) != 0 && ok) {
        ok = 0;
        snprintf(reason, sizeof reason, "%s", strerror(errno));
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        snprintf(reason, sizeof reason, "%s", strerror(errno));
    }
    if (!ok) {
        remove(tmp);
        free(tmp);
        return nt_set_error(NT_ERR_IO, "cannot write '%s': %s", path, reason);
    }
    free(tmp);
    return NT_OK;
}

/* ---- Heat maps ------------------------------------------------------------------ */

static void heat_range(const nt_plot_panel *p, double *vmin, double *vmax)
{
    double lo = INFINITY, hi = -INFINITY;
    if (!isfinite(p->vmin) || !isfinite(p->vmax)) {
        size_t n = (size_t)p->nx * (size_t)p->ny;
        for (size_t k = 0; k < n; k++) {
            double v = p->z[k];
            if (!isfinite(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo > hi) lo = 0, hi = 1; /* no finite values */
    }
    double a = isfinite(p->vmin) ? p->vmin : lo;
    double b = isfinite(p->vmax) ? p->vmax : hi;
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (p->diverging) {
        double m = NT_MAX(fabs(a), fabs(b));
        if (!(m > 0)) m = 1;
        a = -m;
        b = m;
    } else if (!(b > a)) {
        double d = a != 0 ? 0.1 * fabs(a) : 0.5;
        a -= d;
        b += d;
    }
    *vmin = a;
    *vmax = b;
}

static void draw_panel(canvas *c, const nt_plot_panel *p, int ox)
{
    const int L = ox + NT_PLOT_HM_LEFT, T = NT_PLOT_HM_TOP;
    const int W = NT_PLOT_HM_IMG_W, H = NT_PLOT_HM_IMG_H;
    clip_set(c, ox, 0, ox + NT_PLOT_HM_PANEL_W, c->h);
    double vmin, vmax;
    heat_range(p, &vmin, &vmax);
    char buf[48];

    /* data, nearest neighbour: each value is a cell */
    int col_i[NT_PLOT_HM_IMG_W];
    for (int px = 0; px < W; px++) col_i[px] = NT_MIN((int)((px + 0.5) * p->nx / W), p->nx - 1);
    for (int py = 0; py < H; py++) {
        int j = p->ny - 1 - NT_MIN((int)((py + 0.5) * p->ny / H), p->ny - 1);
        const double *row = p->z + (size_t)j * (size_t)p->nx;
        for (int px = 0; px < W; px++) {
            double v = row[col_i[px]];
            uint8_t rgb[3];
            if (isfinite(v))
                nt_plot_cmap(p->diverging, (v - vmin) / (vmax - vmin), rgb);
            else
                memcpy(rgb, C_NAN, 3);
            put(c, L + px, T + py, rgb);
        }
    }
    frame(c, L, T, W, H, C_INK);

    /* x axis */
    double x0 = p->x0, x1 = p->x1;
    if (isfinite(x0) && isfinite(x1) && x0 != x1) {
        ticks t;
        nice_ticks_h(NT_MIN(x0, x1), NT_MAX(x0, x1), W, 6, &t);
        for (int k = 0; k < t.n; k++) {
            int x = axis_px(L, W, (t.v[k] - x0) / (x1 - x0));
            fill(c, x, T + H + 1, 1, 4, C_INK);
            nt_plot_format(t.v[k], t.step, buf, sizeof buf);
            text_al(c, x, T + H + 8, buf, 1, 1, C_INK);
        }
    }
    if (p->xlabel) text_al(c, L + W / 2, T + H + 26, p->xlabel, 1, 1, C_INK);

    /* y axis */
    double y0 = p->y0, y1 = p->y1;
    int ylab_w = 0;
    if (isfinite(y0) && isfinite(y1) && y0 != y1) {
        ticks t;
        nice_ticks(NT_MIN(y0, y1), NT_MAX(y0, y1), 6, &t);
        ylab_w = ticks_label_w(&t);
        for (int k = 0; k < t.n; k++) {
            int y = axis_px(T, H, 1 - (t.v[k] - y0) / (y1 - y0));
            fill(c, L - 5, y, 4, 1, C_INK);
            nt_plot_format(t.v[k], t.step, buf, sizeof buf);
            text_al(c, L - 8, y - NT_FONT_ASCENT / 2, buf, 1, 2, C_INK);
        }
    }
    if (p->ylabel) {
        int x = L - 8 - ylab_w - 6 - NT_FONT_H;
        text_up(c, NT_MAX(x, ox + 2), T + H / 2, p->ylabel, 1, C_INK);
    }

    /* title: double size when it fits */
    if (p->title && *p->title) {
        int scale = text_w(p->title, 2) <= NT_PLOT_HM_PANEL_W - 8 ? 2 : 1;
        int w = text_w(p->title, scale);
        int x = L + W / 2 - w / 2;
        x = NT_MIN(x, ox + NT_PLOT_HM_PANEL_W - 4 - w);
        x = NT_MAX(x, ox + 4);
        text(c, x, T - 8 - NT_FONT_H * scale, p->title, scale, C_INK);
    }

    /* colour bar */
    int bx = L + W + NT_PLOT_HM_BAR_GAP;
    for (int py = 0; py < H; py++) {
        uint8_t rgb[3];
        nt_plot_cmap(p->diverging, 1.0 - (double)py / (H - 1), rgb);
        fill(c, bx, T + py, NT_PLOT_HM_BAR_W, 1, rgb);
    }
    frame(c, bx, T, NT_PLOT_HM_BAR_W, H, C_INK);
    ticks t;
    nice_ticks(vmin, vmax, 6, &t);
    for (int k = 0; k < t.n; k++) {
        int y = axis_px(T, H, 1 - (t.v[k] - vmin) / (vmax - vmin));
        fill(c, bx + NT_PLOT_HM_BAR_W + 1, y, 4, 1, C_INK);
        nt_plot_format(t.v[k], t.step, buf, sizeof buf);
        text(c, bx + NT_PLOT_HM_BAR_W + 8, y - NT_FONT_ASCENT / 2, buf, 1, C_INK);
    }
    clip_reset(c);
}

nt_status nt_plot_heatmaps(const char *path, const nt_plot_panel *panels, int n_panels)
{
    if (!path || !panels || n_panels < 1 || n_panels > 64)
        return nt_set_error(NT_ERR_ARG, "nt_plot_heatmaps: need 1 to 64 panels (got %d)",
                            n_panels);
    for (int k = 0; k < n_panels; k++)
        if (!panels[k].z || panels[k].nx < 1 || panels[k].ny < 1)
            return nt_set_error(NT_ERR_ARG, "nt_plot_heatmaps: panel %d has an empty grid (%dx%d)",
                                k, panels[k].nx, panels[k].ny);
    canvas c;
    nt_status s = canvas_init(&c, n_panels * NT_PLOT_HM_PANEL_W, NT_PLOT_HM_PANEL_H);
    if (s) return s;
    for (int k = 0; k < n_panels; k++) draw_panel(&c, &panels[k], k * NT_PLOT_HM_PANEL_W);
    s = nt_png_write_rgb(path, c.p, c.w, c.h);
    free(c.p);
    return s;
}

/* ---- Line plots ------------------------------------------------------------------ */

static double series_x(const nt_plot_series *s, int64_t i) { return s->x ? s->x[i] : (double)i; }

static int point_ok(double x, double y, int logy)
{
    return isfinite(x) && isfinite(y) && (!logy || y > 0);
}

nt_status nt_plot_lines(const char *path, const nt_plot_series *s, int n_series,
                        const char *title, const char *xlabel, const char *ylabel, int logy)
{
    if (!path || n_series < 0 || (n_series > 0 && !s))
        return nt_set_error(NT_ERR_ARG, "nt_plot_lines: bad arguments (%d series)", n_series);
    for (int k = 0; k < n_series; k++)
        if (s[k].n < 0 || (s[k].n > 0 && !s[k].y))
            return nt_set_error(NT_ERR_ARG, "nt_plot_lines: series %d has no data", k);

    /* ranges */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int k = 0; k < n_series; k++)
        for (int64_t i = 0; i < s[k].n; i++) {
            double x = series_x(&s[k], i), y = s[k].y[i];
            if (!point_ok(x, y, logy)) continue;
            xmin = fmin(xmin, x);
            xmax = fmax(xmax, x);
            ymin = fmin(ymin, y);
            ymax = fmax(ymax, y);
        }
    if (xmin > xmax) xmin = 0, xmax = 1;
    if (xmin == xmax) {
        double d = xmin != 0 ? 0.1 * fabs(xmin) : 0.5;
        xmin -= d;
        xmax += d;
    }
    int dlo = 0, dhi = 1; /* log y: decades */
    if (logy) {
        if (ymin <= ymax) {
            /* a point within 0.005 decades (~1%) of a decade does not open a new one */
            dlo = (int)floor(log10(ymin) + 0.005);
            dhi = (int)ceil(log10(ymax) - 0.005);
            if (dhi <= dlo) dhi = dlo + 1;
        }
        ymin = pow(10, dlo);
        ymax = pow(10, dhi);
    } else {
        if (ymin > ymax) ymin = 0, ymax = 1;
        if (ymin == ymax) {
            double d = ymin != 0 ? 0.1 * fabs(ymin) : 0.5;
            ymin -= d;
            ymax += d;
        }
        double pad = 0.05 * (ymax - ymin);
        ymin -= pad;
        ymax += pad;
    }

    canvas c;
    nt_status st = canvas_init(&c, NT_PLOT_LN_W, NT_PLOT_LN_H);
    if (st) return st;
    const int L = NT_PLOT_LN_LEFT, T = NT_PLOT_LN_TOP;
    const int W = NT_PLOT_LN_W - NT_PLOT_LN_LEFT - NT_PLOT_LN_RIGHT;
    const int H = NT_PLOT_LN_H - NT_PLOT_LN_TOP - NT_PLOT_LN_BOTTOM;
    char buf[48];
#define FX(x) ((x) - xmin) / (xmax - xmin)
#define FY(y) (logy ? (log10(y) - dlo) / (double)(dhi - dlo) : ((y) - ymin) / (ymax - ymin))

    /* grid, ticks and labels */
    ticks tx;
    nice_ticks_h(xmin, xmax, W, 8, &tx);
    for (int k = 0; k < tx.n; k++) {
        int x = axis_px(L, W, FX(tx.v[k]));
        fill(&c, x, T, 1, H, C_GRID);
        fill(&c, x, T + H + 1, 1, 4, C_INK);
        nt_plot_format(tx.v[k], tx.step, buf, sizeof buf);
        text_al(&c, x, T + H + 8, buf, 1, 1, C_INK);
    }
    int ylab_w = 0;
    if (logy) {
        int every = (dhi - dlo + 9) / 10; /* at most ~10 labelled decades */
        for (int d = dlo; d <= dhi; d++) {
            int y = axis_px(T, H, 1 - (double)(d - dlo) / (dhi - dlo));
            if (d < dhi && dhi - dlo <= 8)
                for (int m = 2; m <= 9; m++) { /* minor ticks */
                    int ym = axis_px(T, H, 1 - (d - dlo + log10((double)m)) / (dhi - dlo));
                    fill(&c, L - 3, ym, 2, 1, C_INK);
                }
            if ((d - dlo) % every) continue;
            fill(&c, L, y, W, 1, C_GRID);
            fill(&c, L - 5, y, 4, 1, C_INK);
            snprintf(buf, sizeof buf, "1e%d", d);
            ylab_w = NT_MAX(ylab_w, text_w(buf, 1));
            text_al(&c, L - 8, y - NT_FONT_ASCENT / 2, buf, 1, 2, C_INK);
        }
    } else {
        ticks ty;
        nice_ticks(ymin, ymax, 7, &ty);
        ylab_w = ticks_label_w(&ty);
        for (int k = 0; k < ty.n; k++) {
            int y = axis_px(T, H, 1 - FY(ty.v[k]));
            fill(&c, L, y, W, 1, C_GRID);
            fill(&c, L - 5, y, 4, 1, C_INK);
            nt_plot_format(ty.v[k], ty.step, buf, sizeof buf);
            text_al(&c, L - 8, y - NT_FONT_ASCENT / 2, buf, 1, 2, C_INK);
        }
    }
    frame(&c, L, T, W, H, C_INK);
    if (xlabel) text_al(&c, L + W / 2, T + H + 28, xlabel, 1, 1, C_INK);
    if (ylabel) text_up(&c, NT_MAX(L - 8 - ylab_w - 6 - NT_FONT_H, 2), T + H / 2, ylabel, 1, C_INK);
    if (title && *title) {
        int scale = text_w(title, 2) <= NT_PLOT_LN_W - 8 ? 2 : 1;
        int w = text_w(title, scale);
        int x = NT_MAX(NT_MIN(L + W / 2 - w / 2, NT_PLOT_LN_W - 4 - w), 4);
        text(&c, x, T - 8 - NT_FONT_H * scale, title, scale, C_INK);
    }

    /* data, clipped to the plot area; lines break at skipped points */
    clip_set(&c, L, T, L + W, T + H);
    for (int k = 0; k < n_series; k++) {
        uint8_t col[3];
        nt_plot_series_color(k, col);
        int have_prev = 0, px = 0, py = 0;
        for (int64_t i = 0; i < s[k].n; i++) {
            double x = series_x(&s[k], i), y = s[k].y[i];
            if (!point_ok(x, y, logy)) {
                have_prev = 0;
                continue;
            }
            int qx = axis_px(L, W, FX(x)), qy = axis_px(T, H, 1 - FY(y));
            if (have_prev) {
                line(&c, px, py, qx, qy, col);
            } else {
                int next_ok = i + 1 < s[k].n &&
                              point_ok(series_x(&s[k], i + 1), s[k].y[i + 1], logy);
                if (!next_ok) fill(&c, qx - 1, qy - 1, 3, 3, col); /* isolated point */
            }
            px = qx;
            py = qy;
            have_prev = 1;
        }
    }
#undef FX
#undef FY

    /* legend, top right inside the plot area */
    if (n_series > 0) {
        int namew = 0;
        for (int k = 0; k < n_series; k++) {
            snprintf(buf, sizeof buf, "series %d", k);
            namew = NT_MAX(namew, text_w(s[k].name ? s[k].name : buf, 1));
        }
        int bw = 8 + 22 + 6 + namew + 8, bh = 8 + 14 * n_series;
        int bx = L + W - bw - 10, by = T + 10;
        fill(&c, bx, by, bw, bh, C_WHITE);
        frame(&c, bx, by, bw, bh, C_BORDER);
        for (int k = 0; k < n_series; k++) {
            uint8_t col[3];
            nt_plot_series_color(k, col);
            int y = by + 5 + 14 * k;
            line(&c, bx + 8, y + 3, bx + 30, y + 3, col);
            snprintf(buf, sizeof buf, "series %d", k);
            text(&c, bx + 36, y, s[k].name ? s[k].name : buf, 1, C_INK);
        }
    }
    clip_reset(&c);
    st = nt_png_write_rgb(path, c.p, c.w, c.h);
    free(c.p);
    return st;
}
