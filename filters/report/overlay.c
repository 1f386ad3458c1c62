/* overlay.c - attention heat maps over images, as PNG. */
#define _POSIX_C_SOURCE 200809L
#include "overlay.h"
#include "thumbs.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

const unsigned char rp_heat_stops[RP_HEAT_STOPS][3] = {
    {0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164},
};

void rp_heat_colour(double v, unsigned char rgb[3])
{
    double x = (v < 0 ? 0 : v > 1 ? 1 : v) * (RP_HEAT_STOPS - 1);
    int i = x >= RP_HEAT_STOPS - 1 ? RP_HEAT_STOPS - 2 : (int)x;
    double f = x - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (unsigned char)lround(rp_heat_stops[i][c] * (1 - f) + rp_heat_stops[i + 1][c] * f);
}

void rp_att_map(const rp_item *it, int word, double *out)
{
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(it->rec, "attention"), *map, *row, *v;
    int n = it->gh * it->gw, w = 0;
    double lo = INFINITY, hi = -INFINITY;
    memset(out, 0, (size_t)n * sizeof *out);
    cJSON_ArrayForEach(map, att) {
        int k = 0;
        if (word >= 0 && w != word) {
            w++;
            continue;
        }
        cJSON_ArrayForEach(row, map)
            cJSON_ArrayForEach(v, row)
                out[k++] += v->valuedouble;
        w++;
    }
    for (int k = 0; k < n; k++) {
        lo = fmin(lo, out[k]);
        hi = fmax(hi, out[k]);
    }
    for (int k = 0; k < n; k++)
        out[k] = hi > lo ? (out[k] - lo) / (hi - lo) : 0;
}

/* The grid coordinate (in cells, centre of cell i at i) of pixel x of an
 * image side of a pixels whose other side is b, for fit. */
static double grid_coord(int x, int a, int b, enum rp_fit fit, int cells)
{
    double L = fit == RP_FIT_LETTERBOX ? (a > b ? a : b) : fit == RP_FIT_CROP ? (a < b ? a : b) : a;
    double u = (x + 0.5 + (L - a) / 2) / L;
    double g = u * cells - 0.5;
    return g < 0 ? 0 : g > cells - 1 ? cells - 1 : g;
}

/* Blend map (gh x gw, values in [0,1]) over the w x h RGB pixels px. */
static void blend(unsigned char *px, int w, int h, const double *map, int gh, int gw, enum rp_fit fit)
{
    for (int y = 0; y < h; y++) {
        double gy = grid_coord(y, h, w, fit, gh);
        int y0 = (int)gy, y1 = y0 + 1 < gh ? y0 + 1 : y0;
        double fy = gy - y0;
        for (int x = 0; x < w; x++) {
            double gx = grid_coord(x, w, h, fit, gw);
            int x0 = (int)gx, x1 = x0 + 1 < gw ? x0 + 1 : x0;
            double fx = gx - x0;
            double v = (map[y0 * gw + x0] * (1 - fx) + map[y0 * gw + x1] * fx) * (1 - fy) +
                       (map[y1 * gw + x0] * (1 - fx) + map[y1 * gw + x1] * fx) * fy;
            double a = RP_HEAT_ALPHA * v;
            unsigned char rgb[3], *p = px + ((size_t)y * w + x) * 3;
            rp_heat_colour(v, rgb);
            for (int c = 0; c < 3; c++)
                p[c] = (unsigned char)lround(p[c] * (1 - a) + rgb[c] * a);
        }
    }
}

/* Write the n bytes at buf to path atomically: 0 or MC_EXIT_IO (message printed). */
static int write_atomic(const char *path, const void *buf, size_t n)
{
    mc_atomic a;
    if (mc_atomic_open(&a, path) != 0)
        return MC_EXIT_IO;
    if (fwrite(buf, 1, n, a.f) != n) {
        mc_err("%s: cannot write", path);
        mc_atomic_abort(&a);
        return MC_EXIT_IO;
    }
    return mc_atomic_commit(&a) == 0 ? 0 : MC_EXIT_IO;
}

int rp_overlay_write(const char *png, const char *image_path, const rp_item *it, int word,
                     enum rp_fit fit, int size, uint64_t max_pixels)
{
    char err[320];
    VipsImage *im = rp_load_srgb(image_path, max_pixels, err, sizeof err), *scaled, *out;
    unsigned char *px = NULL;
    void *buf = NULL;
    size_t len = 0;
    double *map;
    int rc;
    if (!im) {
        mc_err("%s: %s", image_path, err);
        return MC_EXIT_INPUT;
    }
    if (size > 0) {
        double scale = (double)size / (im->Xsize > im->Ysize ? im->Xsize : im->Ysize);
        if (vips_resize(im, &scaled, scale, NULL) != 0)
            scaled = NULL;
        g_object_unref(im);
        im = scaled;
    }
    if (!im || !(px = vips_image_write_to_memory(im, &len))) { /* the decode happens here */
        char *msg = vips_error_buffer_copy();
        mc_err("%s: cannot read image: %.*s", image_path, (int)strcspn(msg, "\n"), msg);
        g_free(msg);
        if (im)
            g_object_unref(im);
        return MC_EXIT_INPUT;
    }
    map = mc_malloc((size_t)it->gh * it->gw * sizeof *map);
    rp_att_map(it, word, map);
    blend(px, im->Xsize, im->Ysize, map, it->gh, it->gw, fit);
    free(map);
    out = vips_image_new_from_memory(px, len, im->Xsize, im->Ysize, 3, VIPS_FORMAT_UCHAR);
    if (!out || vips_pngsave_buffer(out, &buf, &len, NULL) != 0) {
        mc_err("%s: cannot encode the PNG", png);
        rc = MC_EXIT_INTERNAL;
    } else {
        rc = write_atomic(png, buf, len);
    }
    if (out)
        g_object_unref(out);
    g_free(buf);
    g_free(px);
    g_object_unref(im);
    return rc;
}
