/* plot.h — PNG figures (internal): heat maps with axes and colour bars, and line
 * plots for loss curves. Rasterised by hand (own bitmap font in font.h) and written
 * with libpng. Every file is written atomically: "<path>.tmp", then rename. */
#ifndef NT_IO_PLOT_H
#define NT_IO_PLOT_H

#include "noether.h"

#include <stdint.h>

typedef struct nt_plot_panel {
    const double *z;      /* nx*ny values, z[j*nx + i]: i along the horizontal axis (x0→x1),
                             j along the vertical (y0 at the bottom → y1 at the top) */
    int nx, ny;
    double x0, x1, y0, y1;
    const char *title, *xlabel, *ylabel; /* each may be NULL */
    int diverging;        /* 1: colour range symmetric about 0, blue-white-red map;
                             0: sequential (viridis-like) map */
    double vmin, vmax;    /* colour range; NaN for automatic (min/max of the finite values) */
} nt_plot_panel;

/* Panels side by side in one PNG, each with its own axes (nice ticks with numeric
 * labels, axis labels), title and colour bar. Data are resampled to the image area
 * by nearest neighbour (each data value is a cell); non-finite values are grey.
 * Errors: NT_ERR_ARG (no panels, empty grid), NT_ERR_NOMEM,
 * NT_ERR_IO "cannot write 'path': reason". */
nt_status nt_plot_heatmaps(const char *path, const nt_plot_panel *panels, int n_panels);

typedef struct nt_plot_series {
    const char *name;     /* legend entry; NULL -> "series k" */
    const double *x, *y;  /* x NULL -> 0, 1, 2, ... */
    int64_t n;
} nt_plot_series;

/* Line plot with a legend. logy: logarithmic y axis with decade ticks; non-positive
 * or non-finite points are skipped and the line is broken there (likewise for
 * non-finite points in linear mode). Ranges are automatic. */
nt_status nt_plot_lines(const char *path, const nt_plot_series *s, int n_series,
                        const char *title, const char *xlabel, const char *ylabel, int logy);

/* Writes a w×h 8-bit RGB raster (row-major, top row first) as PNG, atomically. */
nt_status nt_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h);

/* ---- Layout and colours, exposed for tests ---------------------------------- */

/* Heat map panel: image area IMG_W×IMG_H at (LEFT, TOP) inside each panel;
 * panel k starts at x = k·NT_PLOT_HM_PANEL_W. */
#define NT_PLOT_HM_IMG_W 360
#define NT_PLOT_HM_IMG_H 300
#define NT_PLOT_HM_LEFT 86
#define NT_PLOT_HM_RIGHT 104
#define NT_PLOT_HM_TOP 40
#define NT_PLOT_HM_BOTTOM 48
#define NT_PLOT_HM_PANEL_W (NT_PLOT_HM_LEFT + NT_PLOT_HM_IMG_W + NT_PLOT_HM_RIGHT)
#define NT_PLOT_HM_PANEL_H (NT_PLOT_HM_TOP + NT_PLOT_HM_IMG_H + NT_PLOT_HM_BOTTOM)
/* Colour bar: BAR_W wide, IMG_H tall, BAR_GAP to the right of the image area. */
#define NT_PLOT_HM_BAR_GAP 14
#define NT_PLOT_HM_BAR_W 16

/* Line plot: whole image, and the plot area at (LEFT, TOP). */
#define NT_PLOT_LN_W 720
#define NT_PLOT_LN_H 480
#define NT_PLOT_LN_LEFT 86
#define NT_PLOT_LN_RIGHT 24
#define NT_PLOT_LN_TOP 40
#define NT_PLOT_LN_BOTTOM 50

/* Colour for non-finite values. */
#define NT_PLOT_NAN_R 128
#define NT_PLOT_NAN_G 128
#define NT_PLOT_NAN_B 128

/* Colour of t in [0, 1] (clamped) on the sequential (diverging = 0) or the
 * blue-white-red (diverging = 1, white at t = 0.5) map. */
void nt_plot_cmap(int diverging, double t, uint8_t rgb[3]);

/* Colour of line series k (cycles through a fixed palette). */
void nt_plot_series_color(int k, uint8_t rgb[3]);

/* Compact %g-style number label ("0.5", "-1", "1e-3", "2000"); step is the tick
 * spacing used to choose the precision (0 -> plain %g). */
void nt_plot_format(double v, double step, char *buf, size_t cap);

#endif
