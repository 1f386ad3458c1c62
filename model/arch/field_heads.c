/* field_heads.c - classifier heads for a caption's structured fields. */
#define _POSIX_C_SOURCE 200809L
#include "arch/field_heads.h"
#include "core/prng.h"
#include "core/util.h"
#include "core/vecmath.h"
#include "nn/linear.h"
#include "nn/xent.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mc_heads *mc_heads_new(int C)
{
    mc_heads *h = mc_calloc(1, sizeof *h);
    h->C = C;
    mc_params_init(&h->p);
    return h;
}

int mc_heads_add(mc_heads *h, const char *name, int K, char *const *classes, const float *w,
                 char *err, size_t errlen)
{
    mc_field *f;
    char tname[MC_PARAM_NAME];
    if (h->nf == MC_HEADS_MAX || K < 1 || strlen(name) >= MC_HEADS_NAME || !*name ||
        mc_heads_find(h, name) >= 0) {
        snprintf(err, errlen, "field '%s': %s", name,
                 h->nf == MC_HEADS_MAX ? "too many fields (at most 8)"
                 : K < 1              ? "no classes"
                 : mc_heads_find(h, name) >= 0 ? "named twice"
                                               : "name empty or too long");
        return -1;
    }
    f = &h->f[h->nf++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->K = K;
    f->classes = mc_malloc((size_t)K * sizeof *f->classes);
    f->weight = mc_malloc((size_t)K * sizeof *f->weight);
    for (int k = 0; k < K; k++) {
        f->classes[k] = mc_strdup(classes[k]);
        f->weight[k] = w ? w[k] : 1.0f;
    }
    snprintf(tname, sizeof tname, "%s.weight", name);
    f->wi = mc_params_addv(&h->p, tname, 2, K, h->C, 0, 0);
    snprintf(tname, sizeof tname, "%s.bias", name);
    f->bi = mc_params_addv(&h->p, tname, 1, K, 0, 0, 0);
    return 0;
}

void mc_heads_alloc(mc_heads *h)
{
    mc_params_alloc(&h->p);
}

void mc_heads_init(mc_heads *h, uint64_t seed)
{
    mc_prng r;
    float bound = 1.0f / sqrtf((float)h->C);
    mc_prng_seed(&r, seed);
    for (int i = 0; i < h->nf; i++) {
        float *w = mc_params_at(&h->p, h->f[i].wi), *b = mc_params_at(&h->p, h->f[i].bi);
        for (long j = 0; j < (long)h->f[i].K * h->C; j++)
            w[j] = (2.0f * mc_prng_uniform(&r) - 1.0f) * bound;
        for (int k = 0; k < h->f[i].K; k++)
            b[k] = (2.0f * mc_prng_uniform(&r) - 1.0f) * bound;
    }
}

char *mc_heads_to_json(const mc_heads *h)
{
    cJSON *a = cJSON_CreateArray();
    char *s;
    for (int i = 0; i < h->nf; i++) {
        const mc_field *f = &h->f[i];
        cJSON *o = cJSON_CreateObject(), *c = cJSON_AddArrayToObject(o, "classes");
        cJSON *w;
        cJSON_AddStringToObject(o, "name", f->name);
        for (int k = 0; k < f->K; k++)
            cJSON_AddItemToArray(c, cJSON_CreateString(f->classes[k]));
        w = cJSON_AddArrayToObject(o, "weights");
        for (int k = 0; k < f->K; k++)
            cJSON_AddItemToArray(w, cJSON_CreateNumber(f->weight[k]));
        cJSON_AddBoolToObject(o, "opens", f->opens);
        if (f->min_len) {
            cJSON *m = cJSON_AddArrayToObject(o, "min_len");
            for (int k = 0; k < f->K; k++)
                cJSON_AddItemToArray(m, cJSON_CreateNumber(f->min_len[k]));
        }
        cJSON_AddItemToArray(a, o);
    }
    s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

mc_heads *mc_heads_from_json(const char *json, int C, char *err, size_t errlen)
{
    cJSON *a = cJSON_Parse(json), *o;
    mc_heads *h = mc_heads_new(C);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > MC_HEADS_MAX) {
        snprintf(err, errlen, "metadata 'fields' is not an array of at most %d fields", MC_HEADS_MAX);
        goto fail;
    }
    cJSON_ArrayForEach(o, a) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name"),
                    *cl = cJSON_GetObjectItemCaseSensitive(o, "classes"),
                    *wt = cJSON_GetObjectItemCaseSensitive(o, "weights");
        int K = cJSON_GetArraySize(cl), k = 0;
        char **classes;
        float *w;
        const cJSON *x;
        if (!cJSON_IsString(name) || !cJSON_IsArray(cl) || K < 1 || K > 100000 ||
            !cJSON_IsArray(wt) || cJSON_GetArraySize(wt) != K) {
            snprintf(err, errlen, "metadata 'fields': a field needs a name, classes and as many weights");
            goto fail;
        }
        classes = mc_calloc((size_t)K, sizeof *classes);
        w = mc_malloc((size_t)K * sizeof *w);
        cJSON_ArrayForEach(x, cl) classes[k++] = cJSON_IsString(x) ? x->valuestring : NULL;
        k = 0;
        cJSON_ArrayForEach(x, wt) w[k++] = cJSON_IsNumber(x) ? (float)x->valuedouble : NAN;
        for (k = 0; k < K; k++)
            if (!classes[k] || !(w[k] >= 0 && w[k] < 1e6))
                break;
        if (k < K) {
            snprintf(err, errlen, "metadata 'fields': field '%s' has a class that is not a string or a bad weight",
                     name->valuestring);
            free(classes);
            free(w);
            goto fail;
        }
        k = mc_heads_add(h, name->valuestring, K, classes, w, err, errlen);
        free(classes);
        free(w);
        if (k != 0)
            goto fail;
        h->f[h->nf - 1].opens = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "opens"));
        if ((x = cJSON_GetObjectItemCaseSensitive(o, "min_len")) != NULL) {
            int *ml = h->f[h->nf - 1].min_len = mc_calloc((size_t)K, sizeof *ml);
            const cJSON *v;
            k = 0;
            if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) != K) {
                snprintf(err, errlen, "metadata 'fields': field '%s' has a min_len that is not %d lengths",
                         name->valuestring, K);
                goto fail;
            }
            cJSON_ArrayForEach(v, x) {
                if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1000)) {
                    snprintf(err, errlen, "metadata 'fields': field '%s' has a bad min_len", name->valuestring);
                    goto fail;
                }
                ml[k++] = (int)v->valuedouble;
            }
        }
    }
    cJSON_Delete(a);
    return h;
fail:
    cJSON_Delete(a);
    mc_heads_free(h);
    return NULL;
}

int mc_heads_min_len(const mc_heads *h, const int *cls, int fallback)
{
    for (int i = 0; h && i < h->nf; i++)
        if (h->f[i].opens && h->f[i].min_len && cls[i] >= 0 && cls[i] < h->f[i].K &&
            h->f[i].min_len[cls[i]] > 0)
            return h->f[i].min_len[cls[i]];
    return fallback;
}

int mc_heads_find(const mc_heads *h, const char *name)
{
    for (int i = 0; i < h->nf; i++)
        if (strcmp(h->f[i].name, name) == 0)
            return i;
    return -1;
}

int mc_heads_class(const mc_field *f, const char *value)
{
    for (int k = 0; k < f->K; k++)
        if (strcmp(f->classes[k], value) == 0)
            return k;
    return -1;
}

/* Make the scratch hold B rows. */
static void reserve(mc_heads *h, int B)
{
    int kmax = 1;
    if (B <= h->cap)
        return;
    for (int i = 0; i < h->nf; i++)
        kmax = h->f[i].K > kmax ? h->f[i].K : kmax;
    h->cap = B;
    free(h->pooled);
    free(h->dpooled);
    free(h->dlogits);
    h->pooled = mc_malloc((size_t)B * h->C * sizeof(float));
    h->dpooled = mc_malloc((size_t)B * h->C * sizeof(float));
    h->dlogits = mc_malloc((size_t)B * kmax * sizeof(float));
    for (int i = 0; i < h->nf; i++) {
        free(h->probs[i]);
        free(h->logits[i]);
        h->probs[i] = mc_malloc((size_t)B * h->f[i].K * sizeof(float));
        h->logits[i] = mc_malloc((size_t)B * h->f[i].K * sizeof(float));
    }
}

void mc_heads_forward(mc_heads *h, const float *grid, int B, int G)
{
    int C = h->C;
    double wsum;
    reserve(h, B);
    mc_grid_mean(h->pooled, grid, (size_t)B, (size_t)G, (size_t)C);
    for (int i = 0; i < h->nf; i++) {
        const mc_field *f = &h->f[i];
        mc_linear_forward(h->logits[i], h->pooled, mc_params_at(&h->p, f->wi),
                          mc_params_at(&h->p, f->bi), B, C, f->K, 0);
        mc_wxent_forward(h->probs[i], h->logits[i], NULL, NULL, B, f->K, &wsum);
    }
}

/* Weighted loss of field i over B rows from its probabilities; the summed
 * weight in *wsum. */
static double field_loss(const mc_heads *h, int i, const int *t, int B, double *wsum)
{
    const mc_field *f = &h->f[i];
    return mc_wxent_forward(h->dlogits, h->logits[i], t, f->weight, B, f->K, wsum);
}

double mc_heads_loss(const mc_heads *h, const int *targets, int B, double *loss_f)
{
    double total = 0.0;
    for (int i = 0; i < h->nf; i++) {
        double wsum, l = field_loss(h, i, targets + (size_t)i * B, B, &wsum);
        l = wsum > 0 ? l / wsum : 0.0;
        if (loss_f)
            loss_f[i] = l;
        total += l;
    }
    return total;
}

void mc_heads_sums(const mc_heads *h, const int *targets, int B, double *loss, double *wsum)
{
    for (int i = 0; i < h->nf; i++)
        loss[i] = field_loss(h, i, targets + (size_t)i * B, B, &wsum[i]);
}

void mc_heads_backward(mc_heads *h, const int *targets, int B, int G, float scale, float *dgrid)
{
    mc_heads_backward_norm(h, targets, B, G, scale, NULL, dgrid);
}

void mc_heads_backward_norm(mc_heads *h, const int *targets, int B, int G, float scale,
                            const double *wnorm, float *dgrid)
{
    int C = h->C;
    float *gw = mc_params_grad(&h->p);
    memset(h->dpooled, 0, (size_t)B * C * sizeof(float));
    for (int i = 0; i < h->nf; i++) {
        const mc_field *f = &h->f[i];
        const int *t = targets + (size_t)i * B;
        double wsum;
        field_loss(h, i, t, B, &wsum);
        if (wnorm)
            wsum = wsum > 0 ? wnorm[i] : 0;
        if (wsum <= 0)
            continue;
        memset(h->dlogits, 0, (size_t)B * f->K * sizeof(float));
        mc_wxent_backward(h->dlogits, h->probs[i], t, f->weight, B, f->K, scale / (float)wsum);
        mc_linear_backward(h->dpooled, gw + h->p.t[f->wi].offset, gw + h->p.t[f->bi].offset, h->dlogits,
                           h->pooled, mc_params_at(&h->p, f->wi), B, C, f->K);
    }
    if (dgrid)
        mc_grid_mean_backward(dgrid, h->dpooled, (size_t)B, (size_t)G, (size_t)C);
}

int mc_heads_argmax(const mc_heads *h, int i, int b, float *p)
{
    const float *row = h->probs[i] + (size_t)b * h->f[i].K;
    int best = 0;
    for (int k = 1; k < h->f[i].K; k++)
        if (row[k] > row[best])
            best = k;
    if (p)
        *p = row[best];
    return best;
}

void mc_heads_free(mc_heads *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->nf; i++) {
        for (int k = 0; k < h->f[i].K; k++)
            free(h->f[i].classes[k]);
        free(h->f[i].classes);
        free(h->f[i].weight);
        free(h->f[i].min_len);
        free(h->probs[i]);
        free(h->logits[i]);
    }
    mc_params_free(&h->p);
    free(h->pooled);
    free(h->dpooled);
    free(h->dlogits);
    free(h);
}
