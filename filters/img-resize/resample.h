/* resample.h - a separable resampler fed with source rows in order, so an
 * image never has to be held whole: each row is filtered horizontally and
 * added at once into the output rows it contributes to.
 *
 * The filter is PIL's BILINEAR: a triangle whose support widens with the
 * shrink factor (area-weighted when shrinking, bilinear when enlarging),
 * sampling at pixel centres.  An axis maps `in` source pixels onto `full`
 * output pixels and keeps the window [off, off + n) of them, so the same
 * code serves letterbox (window = all), crop (a centred window) and
 * stretch. */
#ifndef MEDCAP_IMG_RESAMPLE_H
#define MEDCAP_IMG_RESAMPLE_H

/* Filter taps of one axis: output i reads source pixels
 * start[i] .. start[i] + count[i] - 1 with weights w[i * maxtaps + k]. */
typedef struct {
    int n, maxtaps;
    int *start, *count;
    float *w;
} ir_rs_taps;

typedef struct {
    int bands;
    ir_rs_taps x, y;
    float *hrow; /* one source row after the horizontal pass: x.n * bands */
    float *out;  /* y.n * x.n * bands accumulated output, interleaved */
    int next_y;  /* the first output row still receiving source rows */
} ir_resampler;

/* Set up r for an in_w x in_h image of bands interleaved samples, mapped
 * onto full_w x full_h and cut to the window (off_x, off_y, n_x, n_y).
 * The window must lie inside the full size. */
void ir_rs_init(ir_resampler *r, int in_w, int in_h, int bands,
             int full_w, int off_x, int n_x, int full_h, int off_y, int n_y);

/* Add source row y (0 .. in_h-1, in increasing order): in_w pixels of
 * bands (1 or 3) interleaved samples. */
void ir_rs_row(ir_resampler *r, int y, const float *row);

/* After every source row: r->out holds n_y x n_x x bands floats in source units. */

void ir_rs_free(ir_resampler *r);

#endif
