/* sgemm_peak.c - the machine's measured OpenBLAS sgemm rate: best of 5
 * runs of a 2048^3 single-precision GEMM, printed as GFLOP/s.  Used by
 * bench/encode-features.sh (threads and kernels from the environment). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
    const int n = 2048;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    double best = 0.0;
    for (long i = 0; i < (long)n * n; i++)
        a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f;
    for (int r = 0; r < 5; r++) {
        struct timespec t0, t1;
        double s, g;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        g = 2.0 * n * (double)n * n / s * 1e-9;
        best = g > best ? g : best;
    }
    printf("%.1f\n", best);
    free(a), free(b), free(c);
    return 0;
}
