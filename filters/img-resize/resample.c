/* resample.c - streaming separable triangle-filter resampler (see resample.h). */
#define _POSIX_C_SOURCE 200809L
#include "resample.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Taps of the n outputs off .. off+n-1 of an axis mapping in onto full. */
static void taps_make(ir_rs_taps *t, int in, int full, int off, int n)
{
    double scale = (double)in / full;           /* source pixels per output pixel */
    double fscale = scale > 1.0 ? scale : 1.0;  /* the filter widens when shrinking */
    double support = fscale;                    /* triangle of radius 1, scaled */
    t->n = n;
    t->maxtaps = (int)ceil(support) * 2 + 1;
    t->start = mc_calloc((size_t)n, sizeof *t->start);
    t->count = mc_calloc((size_t)n, sizeof *t->count);
    t->w = mc_calloc((size_t)n * t->maxtaps, sizeof *t->w);
    for (int i = 0; i < n; i++) {
        double centre = (off + i + 0.5) * scale;
        int lo = (int)floor(centre - support), hi = (int)ceil(centre + support);
        double sum = 0;
        float *w = t->w + (size_t)i * t->maxtaps;
        if (lo < 0)
            lo = 0;
        if (hi > in)
            hi = in;
        if (hi - lo > t->maxtaps)
            hi = lo + t->maxtaps;
        for (int k = lo; k < hi; k++) {
            double d = fabs((k + 0.5 - centre) / fscale);
            double v = d < 1.0 ? 1.0 - d : 0.0;
            w[k - lo] = (float)v;
            sum += v;
        }
        if (sum <= 0) { /* cannot happen for a centre inside the image; be safe */
            int k = (int)centre < in ? (int)centre : in - 1;
            lo = k;
            hi = k + 1;
            w[0] = 1.0f;
            sum = 1.0;
        }
        for (int k = 0; k < hi - lo; k++)
            w[k] = (float)(w[k] / sum);
        t->start[i] = lo;
        t->count[i] = hi - lo;
    }
}

static void taps_free(ir_rs_taps *t)
{
    free(t->start);
    free(t->count);
    free(t->w);
}

void ir_rs_init(ir_resampler *r, int in_w, int in_h, int bands,
             int full_w, int off_x, int n_x, int full_h, int off_y, int n_y)
{
    r->bands = bands;
    taps_make(&r->x, in_w, full_w, off_x, n_x);
    taps_make(&r->y, in_h, full_h, off_y, n_y);
    r->hrow = mc_calloc((size_t)n_x * bands, sizeof *r->hrow);
    r->out = mc_calloc((size_t)n_y * n_x * bands, sizeof *r->out);
    r->next_y = 0;
}

/* Add the horizontally filtered row y into the output rows it feeds. */
static void add_row(ir_resampler *r, int y)
{
    size_t len = (size_t)r->x.n * r->bands;
    while (r->next_y < r->y.n && r->y.start[r->next_y] + r->y.count[r->next_y] <= y)
        r->next_y++;
    for (int oy = r->next_y; oy < r->y.n && r->y.start[oy] <= y; oy++) {
        int k = y - r->y.start[oy];
        float wy, *o;
        if (k >= r->y.count[oy])
            continue;
        wy = r->y.w[(size_t)oy * r->y.maxtaps + k];
        o = r->out + (size_t)oy * len;
        for (size_t i = 0; i < len; i++)
            o[i] += wy * r->hrow[i];
    }
}

/* The horizontal pass over one row of B interleaved samples. */
#define HPASS(B)                                                          \
    for (int ox = 0; ox < r->x.n; ox++) {                                 \
        const float *w = r->x.w + (size_t)ox * r->x.maxtaps;             \
        const float *p = row + (size_t)r->x.start[ox] * (B);              \
        float acc[B] = {0};                                               \
        for (int k = 0; k < r->x.count[ox]; k++)                          \
            for (int b = 0; b < (B); b++)                                 \
                acc[b] += w[k] * p[k * (B) + b];                          \
        for (int b = 0; b < (B); b++)                                     \
            r->hrow[ox * (B) + b] = acc[b];                               \
    }

void ir_rs_row(ir_resampler *r, int y, const float *row)
{
    if (r->bands == 1) {
        HPASS(1)
    } else {
        HPASS(3)
    }
    add_row(r, y);
}

void ir_rs_free(ir_resampler *r)
{
    taps_free(&r->x);
    taps_free(&r->y);
    free(r->hrow);
    free(r->out);
    memset(r, 0, sizeof *r);
}
