/* additive_attention.c - Bahdanau attention over a grid, forward and backward. */
#define _POSIX_C_SOURCE 200809L
#include "nn/additive_attention.h"
#include "core/fastmath.h"
#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

/* The arguments of a forward or backward, for its parts on threads. */
typedef struct {
    float *ctx, *alpha, *e, *dpgrid, *dph, *dgrid, *dws, *dbs, *part_dws; /* (threads-1, A+1) */
    const float *pgrid, *ph, *grid, *ws, *bs, *dctx, *dalpha;
    const float *alpha_in, *e_in;
    int pgrid_shared, grid_shared, G, A, C;
} attn_args;

/* Rows b0..b1-1 of mc_addattn_forward. */
MC_VECTOR_LOOPS static void forward_rows(void *ctx_, long b0, long b1, int unused)
{
    const attn_args *x = ctx_;
    float *ctx = x->ctx, *alpha = x->alpha, *e = x->e;
    const float *pgrid = x->pgrid, *ph = x->ph, *grid = x->grid, *ws = x->ws, *bs = x->bs;
    int pgrid_shared = x->pgrid_shared, grid_shared = x->grid_shared, G = x->G, A = x->A, C = x->C;
    float *row = e ? NULL : malloc((size_t)A * sizeof *row);
    (void)unused;
    for (long b = b0; b < b1; b++) {
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

void mc_addattn_forward(float *ctx, float *alpha, float *e, const float *pgrid, int pgrid_shared,
                        const float *ph, const float *grid, int grid_shared, const float *ws,
                        const float *bs, int B, int G, int A, int C)
{
    attn_args x = {.ctx = ctx, .alpha = alpha, .e = e, .pgrid = pgrid, .ph = ph, .grid = grid,
                   .ws = ws, .bs = bs, .pgrid_shared = pgrid_shared, .grid_shared = grid_shared,
                   .G = G, .A = A, .C = C};
    mc_rows_run(B, 4, forward_rows, &x);
}

/* Rows b0..b1-1 of mc_addattn_backward; part 0 accumulates ws's and bs's
 * gradients in place, part p > 0 into its row of part_dws (A, then bs). */
MC_VECTOR_LOOPS static void backward_rows(void *ctx_, long b0, long b1, int part)
{
    const attn_args *x = ctx_;
    float *dpgrid = x->dpgrid, *dph = x->dph, *dgrid = x->dgrid;
    float *dws = part ? x->part_dws + (size_t)(part - 1) * (x->A + 1) : x->dws;
    float *dbs = part ? dws + x->A : x->dbs;
    const float *dctx = x->dctx, *dalpha = x->dalpha, *alpha = x->alpha_in, *e = x->e_in,
                *grid = x->grid, *ws = x->ws;
    int G = x->G, A = x->A, C = x->C;
    float *ds = malloc((size_t)G * sizeof *ds);
    for (long b = b0; b < b1; b++) {
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

void mc_addattn_backward(float *dpgrid, float *dph, float *dgrid, float *dws, float *dbs,
                         const float *dctx, const float *dalpha, const float *alpha,
                         const float *e, const float *grid, const float *ws, int B, int G, int A,
                         int C)
{
    int parts = mc_rows_threads();
    attn_args x = {.dpgrid = dpgrid, .dph = dph, .dgrid = dgrid, .dws = dws, .dbs = dbs,
                   .dctx = dctx, .dalpha = dalpha, .alpha_in = alpha, .e_in = e, .grid = grid,
                   .ws = ws, .G = G, .A = A, .C = C};
    if (parts > 1)
        x.part_dws = calloc((size_t)(parts - 1) * (A + 1), sizeof *x.part_dws);
    mc_rows_run(B, 4, backward_rows, &x);
    /* the other parts' sums of ws's and bs's gradients, in part order */
    for (int p = 1; p < parts && x.part_dws; p++) {
        const float *pd = x.part_dws + (size_t)(p - 1) * (A + 1);
        for (int a = 0; a < A; a++)
            dws[a] += pd[a];
        dbs[0] += pd[A];
    }
    free(x.part_dws);
}
