/* encoder_train_step.c - time one training step (forward and backward,
 * batch statistics) of a medcap encoder: prints the median seconds per
 * step over STEPS steps after one warm-up step, then the convolutions'
 * GFLOP/s (forward multiply-adds x 3 for forward, input and weight
 * gradients, x 2 FLOPs each).  Used by bench/encoder-train.sh.
 *
 *   encoder_train_step ARCH IN_CH SIZE BATCH THREADS STEPS
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/encoder.h"
#include "core/blas.h"
#include "core/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    mc_encoder *e;
    int in_ch, size, B, threads, steps, gh, gw;
    size_t nx, ng;
    float *x, *grid, *dgrid;
    double *t, macs;
    if (argc != 7) {
        fprintf(stderr, "usage: encoder_train_step ARCH IN_CH SIZE BATCH THREADS STEPS\n");
        return 2;
    }
    in_ch = atoi(argv[2]), size = atoi(argv[3]), B = atoi(argv[4]);
    threads = atoi(argv[5]), steps = atoi(argv[6]);
    mc_blas_setup(argv, threads);
    mc_rows_set_threads(mc_blas_threads()); /* as medcap-train: batch norm, im2col, col2im */
    e = mc_encoder_new(argv[1], in_ch);
    if (!e || size < 32 || B < 1 || steps < 1) {
        fprintf(stderr, "encoder_train_step: bad arguments\n");
        return 2;
    }
    mc_encoder_init_random(e, 1);
    mc_encoder_grid(e, size, size, &gh, &gw);
    nx = (size_t)B * in_ch * size * size;
    ng = (size_t)B * gh * gw * mc_encoder_channels(e);
    x = malloc(nx * sizeof *x), grid = malloc(ng * sizeof *grid), dgrid = malloc(ng * sizeof *dgrid);
    t = malloc((size_t)steps * sizeof *t);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    for (size_t i = 0; i < ng; i++)
        dgrid[i] = (float)((i * 40503u) % 1000) / 500000.0f - 0.001f;
    macs = mc_encoder_macs(e, size, size) * B;
    for (int s = -1; s < steps; s++) {
        double t0 = now();
        mc_params_zero_grad(mc_encoder_params(e));
        mc_encoder_forward(e, grid, x, B, size, size, 1);
        mc_encoder_backward(e, dgrid);
        if (s >= 0)
            t[s] = now() - t0;
    }
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    printf("%.4f %.1f\n", t[steps / 2], 6.0 * macs / t[steps / 2] * 1e-9);
    free(x), free(grid), free(dgrid), free(t);
    mc_encoder_free(e);
    return 0;
}
