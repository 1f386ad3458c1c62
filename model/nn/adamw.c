/* adamw.c - AdamW and global-norm gradient clipping. */
#define _POSIX_C_SOURCE 200809L
#include "nn/adamw.h"

#include <math.h>

float mc_clip_grad_norm(mc_params *p, float max_norm)
{
    double ss = 0.0;
    float *g = mc_params_grad(p), norm;
    for (int i = 0; i < p->n; i++) {
        const float *x = g + p->t[i].offset;
        if (p->t[i].buffer)
            continue;
        for (size_t k = 0; k < p->t[i].count; k++)
            ss += (double)x[k] * x[k];
    }
    norm = (float)sqrt(ss);
    if (max_norm > 0 && norm > max_norm) {
        float s = max_norm / (norm + 1e-6f);
        for (int i = 0; i < p->n; i++) {
            float *x = g + p->t[i].offset;
            if (p->t[i].buffer)
                continue;
            for (size_t k = 0; k < p->t[i].count; k++)
                x[k] *= s;
        }
    }
    return norm;
}

/* The AdamW update of n weights w with gradients d and moments m, v; the
 * pointers do not alias, so that the compiler vectorises the loop. */
static void update(float *restrict w, float *restrict m, float *restrict v,
                   const float *restrict d, size_t n, float decay, float beta1, float beta2,
                   float step, float rbc2, float eps)
{
    for (size_t k = 0; k < n; k++) {
        w[k] -= decay * w[k];
        m[k] = beta1 * m[k] + (1.0f - beta1) * d[k];
        v[k] = beta2 * v[k] + (1.0f - beta2) * d[k] * d[k];
        w[k] -= step * m[k] / (sqrtf(v[k]) * rbc2 + eps);
    }
}

void mc_adamw_step(mc_params *p, float lr, float beta1, float beta2, float eps, float wd, long t)
{
    mc_adamw_step_nd(p, lr, beta1, beta2, eps, wd, t, 0);
}

void mc_adamw_step_nd(mc_params *p, float lr, float beta1, float beta2, float eps, float wd, long t,
                      int decay_ndim)
{
    float bc1 = 1.0f - powf(beta1, (float)t), bc2 = 1.0f - powf(beta2, (float)t);
    float step = lr / bc1, rbc2 = 1.0f / sqrtf(bc2);
    const float *g = mc_params_grad(p);
    mc_params_moments(p);
    for (int i = 0; i < p->n; i++) {
        size_t o = p->t[i].offset;
        if (!p->t[i].buffer)
            update(p->data + o, p->m + o, p->v + o, g + o, p->t[i].count,
                   p->t[i].ndim >= decay_ndim ? lr * wd : 0.0f, beta1, beta2, step, rbc2, eps);
    }
}
