/* linear.c - fully connected layer over cblas. */
#define _POSIX_C_SOURCE 200809L
#include "nn/linear.h"

#include <cblas.h>

/* Rows up to which mc_matmul_wt_acc calls sgemv row by row. */
#define MC_LINEAR_GEMV_ROWS 4

void mc_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IN,
                       int OUT, int accumulate)
{
    if (!accumulate) {
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++)
                out[(long)n * OUT + o] = b ? b[o] : 0.0f;
    } else if (b) {
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++)
                out[(long)n * OUT + o] += b[o];
    }
    mc_matmul_wt_acc(out, inp, w, IN, N, IN, OUT);
}

void mc_matmul_wt_acc(float *out, const float *inp, const float *w, int ldw, int N, int IN,
                      int OUT)
{
    if (N <= MC_LINEAR_GEMV_ROWS) /* sgemm would repack all of w on every call */
        for (int n = 0; n < N; n++)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, OUT, IN, 1.0f, w, ldw, inp + (long)n * IN, 1,
                        1.0f, out + (long)n * OUT, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, inp, IN, w, ldw, 1.0f,
                    out, OUT);
}

void mc_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int N, int IN, int OUT)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IN, OUT, 1.0f, dout, OUT, w, IN, 1.0f,
                    dinp, IN);
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, N, 1.0f, dout, OUT, inp, IN,
                    1.0f, dw, IN);
    if (db)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++)
                db[o] += dout[(long)n * OUT + o];
}
