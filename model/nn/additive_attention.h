/* additive_attention.h - Bahdanau (additive) attention over an image grid,
 * as in Show, Attend and Tell:
 *   e[b,g,:]   = tanh(pgrid[b,g,:] + ph[b,:])           (B,G,A)
 *   score[b,g] = e[b,g,:] . ws + bs
 *   alpha[b,:] = softmax_g(score[b,:])                   (B,G)
 *   ctx[b,:]   = sum_g alpha[b,g] grid[b,g,:]            (B,C)
 * pgrid = grid Wf^T + bf and ph = h Wh^T + bh are ordinary linear layers
 * computed by the caller (pgrid once per image, ph once per step).
 */
#ifndef MEDCAP_ADDITIVE_ATTENTION_H
#define MEDCAP_ADDITIVE_ATTENTION_H

/* ctx (B,C); alpha (B,G); e (B,G,A) saved for the backward, or NULL at
 * inference; pgrid (B,G,A) or, with pgrid_shared set, one (G,A) used for
 * every b (beam hypotheses of one image); likewise grid (B,G,C) or (G,C)
 * with grid_shared; ph (B,A); ws (A); bs (1). */
void mc_addattn_forward(float *ctx, float *alpha, float *e, const float *pgrid, int pgrid_shared,
                        const float *ph, const float *grid, int grid_shared, const float *ws,
                        const float *bs, int B, int G, int A, int C);

/* Accumulates (+=) into dpgrid (B,G,A), dph (B,A), dgrid (B,G,C) (may be
 * NULL), dws (A), dbs (1), from dctx (B,C) and dalpha (B,G) (the gradient
 * reaching alpha by other paths, may be NULL), using the forward's alpha,
 * e, grid and ws. */
void mc_addattn_backward(float *dpgrid, float *dph, float *dgrid, float *dws, float *dbs,
                         const float *dctx, const float *dalpha, const float *alpha,
                         const float *e, const float *grid, const float *ws, int B, int G, int A,
                         int C);

#endif
