/* vecmath.c - grid mean and L2 length (vecmath.h). */
#include "core/vecmath.h"

#include <math.h>
#include <string.h>

void mc_grid_mean(float *mean, const float *grid, size_t B, size_t G, size_t C)
{
    for (size_t b = 0; b < B; b++) {
        float *m = mean + b * C;
        memset(m, 0, C * sizeof *m);
        for (size_t g = 0; g < G; g++)
            for (size_t c = 0; c < C; c++)
                m[c] += grid[(b * G + g) * C + c];
        for (size_t c = 0; c < C; c++)
            m[c] /= (float)G;
    }
}

void mc_grid_mean_backward(float *dgrid, const float *dmean, size_t B, size_t G, size_t C)
{
    for (size_t b = 0; b < B; b++)
        for (size_t g = 0; g < G; g++)
            for (size_t c = 0; c < C; c++)
                dgrid[(b * G + g) * C + c] += dmean[b * C + c] / (float)G;
}

double mc_l2_norm(const float *v, size_t n)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)v[i] * v[i];
    return sqrt(ss);
}

double mc_l2_normalise(float *v, size_t n)
{
    double len = mc_l2_norm(v, n);
    if (len > 0)
        for (size_t i = 0; i < n; i++)
            v[i] = (float)(v[i] / len);
    return len;
}

size_t mc_first_nonfinite(const float *v, size_t n)
{
    size_t i = 0;
    while (i < n && isfinite(v[i]))
        i++;
    return i;
}
