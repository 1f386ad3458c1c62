/* additive_attention.c - Bahdanau attention over a grid, forward and backward. */
#define _POSIX_C_SOURCE 200809L
#include "nn/additive_attention.h"
#include "core/fastmath.h"

#include <stdlib.h>
#include <string.h>

MC_VECTOR_LOOPS void mc_addattn_forward(float *ctx, float *alpha, float *e, const float *pgrid, int pgrid_shared,
                        const float *ph, const float *grid, int grid_shared, const float *ws,
                        const float *bs, int B, int G, int A, int C)
{
    float *row = e ? NULL : malloc((size_t)A * sizeof *row);
    for (int b = 0; b < B; b++) {
        const float *pg = pgrid + (pgrid_shared ? 0 : (long)b * G * A);
        const float *gr = grid + (grid_shared ? 0 : (long)b * G * C);
        const float *h = ph + (long)b * A;
        float *al = alpha + (long)b * G, *cx = ctx + (long)b * C, mx = -1e30f, sum = 0.0f;
        for (int g = 0; g < G; g++) {
            float *eg = e ? e + ((long)b * G + g) * A : row, s = 0.0f;
            const float *p = pg + (long)g * A;
            float part[8] = {0}; /* 8 partial sums: a vectorisable dot product */
            int a = 0;
            for (int i = 0; i < A; i++)
                eg[i] = mc_tanhf(p[i] + h[i]);
            for (; a + 8 <= A; a += 8)
                for (int k = 0; k < 8; k++)
                    part[k] += eg[a + k] * ws[a + k];
            for (; a < A; a++)
                s += eg[a] * ws[a];
            for (int k = 0; k < 8; k++)
                s += part[k];
            al[g] = s + bs[0];
            if (al[g] > mx)
                mx = al[g];
        }
        for (int g = 0; g < G; g++)
            sum += (al[g] = mc_expf(al[g] - mx));
        for (int g = 0; g < G; g++)
            al[g] /= sum;
        memset(cx, 0, (size_t)C * sizeof *cx);
        for (int g = 0; g < G; g++) {
            const float *x = gr + (long)g * C;
            for (int c = 0; c < C; c++)
                cx[c] += al[g] * x[c];
        }
    }
    free(row);
}

MC_VECTOR_LOOPS void mc_addattn_backward(float *dpgrid, float *dph, float *dgrid, float *dws, float *dbs,
                         const float *dctx, const float *dalpha, const float *alpha,
                         const float *e, const float *grid, const float *ws, int B, int G, int A,
                         int C)
{
    float *ds = malloc((size_t)G * sizeof *ds);
    for (int b = 0; b < B; b++) {
        const float *al = alpha + (long)b * G, *dc = dctx + (long)b * C;
        float dot = 0.0f;
        for (int g = 0; g < G; g++) {
            const float *x = grid + ((long)b * G + g) * C;
            float da = dalpha ? dalpha[(long)b * G + g] : 0.0f;
            for (int c = 0; c < C; c++)
                da += x[c] * dc[c];
            if (dgrid) {
                float *dx = dgrid + ((long)b * G + g) * C;
                for (int c = 0; c < C; c++)
                    dx[c] += al[g] * dc[c];
            }
            ds[g] = da;
            dot += al[g] * da;
        }
        for (int g = 0; g < G; g++) {
            const float *eg = e + ((long)b * G + g) * A;
            float *dp = dpgrid + ((long)b * G + g) * A, *dh = dph + (long)b * A;
            float s = al[g] * (ds[g] - dot); /* softmax backward */
            dbs[0] += s;
            for (int a = 0; a < A; a++) {
                float d = s * ws[a] * (1.0f - eg[a] * eg[a]);
                dws[a] += s * eg[a];
                dp[a] += d;
                dh[a] += d;
            }
        }
    }
    free(ds);
}
