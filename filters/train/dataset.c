/* dataset.c - loading medcap-train's frames and captions into memory. */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"
#include "arch/context.h"
#include "arch/encoder.h"
#include "io/frame.h"
#include "io/frame_record.h"
#include "io/ndjson.h"
#include "arch/tokenizer.h"
#include "core/util.h"
#include "core/vecmath.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Count the tokens of a caption that are words (not punctuation). */
static void count_words(const char *w, size_t len, void *ctx)
{
    if (len > 1 || (*w != ':' && *w != ',' && *w != '.'))
        (*(int *)ctx)++;
}

/* Check frame fr (number k of path) against the set so far and append it. */
static int add_frame(tr_dataset *d, const mc_frame *fr, cJSON *rec, const char *path, long k,
                     const char *field, const char *const *fkeys, int *cap)
{
    const cJSON *cap_s = cJSON_GetObjectItemCaseSensitive(rec, field);
    const char *id = mc_record_id(rec);
    int words = 0, dims[3] = {0, 0, 0}, nd = d->images ? 3 : 2;
    float bad;
    if (fr->ndim != nd || (!d->images && fr->dtype != MC_F32)) {
        mc_err_at(path, k, "record '%s': expected %s frame, got %s with %d dimensions", id,
                  d->images ? "an image [C,H,W]" : "an F32 feature grid [G,C]",
                  mc_dtype_name(fr->dtype), fr->ndim);
        return MC_EXIT_INPUT;
    }
    if (!cJSON_IsString(cap_s)) {
        mc_err_at(path, k, "record '%s' has no '%s' string to train on", id, field);
        return MC_EXIT_INPUT;
    }
    mc_tokenize(cap_s->valuestring, count_words, &words);
    if (words == 0) {
        mc_err_at(path, k, "record '%s': caption '%s' is empty (no words)", id, field);
        return MC_EXIT_INPUT;
    }
    for (int i = 0; i < nd; i++)
        dims[i] = (int)fr->dims[i];
    if (d->n == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "encoder"),
                    *h = cJSON_GetObjectItemCaseSensitive(rec, "encoder_hash"),
                    *g = cJSON_GetObjectItemCaseSensitive(rec, "grid"),
                    *c = cJSON_GetObjectItemCaseSensitive(rec, "encoder_config");
        memcpy(d->dims, dims, sizeof dims);
        d->dtype = fr->dtype;
        d->item_bytes = fr->nbytes;
        if (!d->images) {
            if (!cJSON_IsString(e) || !cJSON_IsString(h) || cJSON_GetArraySize(g) != 2 ||
                !cJSON_IsNumber(cJSON_GetArrayItem(g, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(g, 1))) {
                mc_err_at(path, k, "record '%s': feature frame without 'encoder', 'encoder_hash' and 'grid'", id);
                return MC_EXIT_INPUT;
            }
            snprintf(d->encoder, sizeof d->encoder, "%s", e->valuestring);
            snprintf(d->encoder_hash, sizeof d->encoder_hash, "%s", h->valuestring);
            d->gh = cJSON_GetArrayItem(g, 0)->valueint;
            d->gw = cJSON_GetArrayItem(g, 1)->valueint;
            if (cJSON_IsString(c))
                snprintf(d->encoder_config, sizeof d->encoder_config, "%s", c->valuestring);
            if (d->gh <= 0 || d->gw <= 0 || d->gh * d->gw != dims[0]) {
                mc_err_at(path, k, "record '%s': grid %dx%d does not match %d positions", id, d->gh,
                          d->gw, dims[0]);
                return MC_EXIT_INPUT;
            }
        }
    } else {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(rec, "encoder_hash");
        if (memcmp(dims, d->dims, sizeof dims) != 0 || (int)fr->dtype != d->dtype) {
            mc_err_at(path, k, "record '%s': frame shape or type differs from the first frame's", id);
            return MC_EXIT_INPUT;
        }
        if (!d->images && (!cJSON_IsString(h) || strcmp(h->valuestring, d->encoder_hash) != 0)) {
            mc_err_at(path, k, "record '%s': features of another encoder (encoder_hash differs from '%s')",
                      id, d->encoder_hash);
            return MC_EXIT_INPUT;
        }
    }
    if (!d->images) {
        size_t n = d->item_bytes / sizeof(float), i = mc_first_nonfinite(fr->data, n);
        if (i < n) {
            mc_err_at(path, k, "record '%s': feature value %g at element %zu is not finite", id,
                      (double)((const float *)fr->data)[i], i);
            return MC_EXIT_INPUT;
        }
    }
    if (d->images && mc_encoder_pixels_ok(fr->data, fr->dtype, d->item_bytes / mc_dtype_size(fr->dtype),
                                          &bad) != 0) {
        mc_err_at(path, k, "record '%s': F32 pixel value %g is outside [0,1] (write images with "
                  "img-resize, U8 or --float without --mean/--std)", id, bad);
        return MC_EXIT_INPUT;
    }
    if (d->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        d->data = mc_realloc(d->data, (size_t)*cap * d->item_bytes);
        d->caption = mc_realloc(d->caption, (size_t)*cap * sizeof *d->caption);
        d->id = mc_realloc(d->id, (size_t)*cap * sizeof *d->id);
        d->fval = mc_realloc(d->fval, (size_t)*cap * (d->nf ? d->nf : 1) * sizeof *d->fval);
    }
    for (int i = 0; i < d->nf; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, fkeys[i]);
        char num[40];
        const char *text = mc_context_value(v, num, sizeof num);
        d->fval[(size_t)d->n * d->nf + i] = text && *text ? mc_strdup(text) : NULL;
    }
    memcpy(d->data + (size_t)d->n * d->item_bytes, fr->data, d->item_bytes);
    d->caption[d->n] = mc_strdup(cap_s->valuestring);
    d->id[d->n] = mc_strdup(id);
    d->n++;
    return 0;
}

int tr_dataset_load(tr_dataset *d, const char *path, const char *field, int images,
                    const char *const *fkeys, int nf)
{
    FILE *f = mc_open_in(path);
    mc_frame fr = {0};
    char err[256];
    int rc = 0, cap = 0, r;
    long k = 0;
    memset(d, 0, sizeof *d);
    d->images = images;
    d->nf = nf;
    if (mc_input_kind(f) == MC_INPUT_JSON) {
        mc_err_at(path, 0, "expected %s frames, got JSON text", images ? "image" : "feature");
        rc = MC_EXIT_INPUT;
    }
    while (rc == 0 && (r = mc_frame_read(f, &fr, err, sizeof err)) == MC_FRAME_OK) {
        cJSON *rec = mc_frame_record(&fr, path, ++k);
        if (!rec) {
            rc = MC_EXIT_INPUT;
            break;
        }
        if (!images && mc_record_is_pooled(rec)) {
            cJSON_Delete(rec);
            continue;
        }
        rc = add_frame(d, &fr, rec, path, k, field, fkeys, &cap);
        cJSON_Delete(rec);
    }
    if (rc == 0 && r == MC_FRAME_ERR) {
        mc_err_at(path, k + 1, "%s", err);
        rc = MC_EXIT_INPUT;
    }
    if (rc == 0 && d->n == 0) {
        mc_err_at(path, 0, "no %s frames with captions", images ? "image" : "grid feature");
        rc = MC_EXIT_INPUT;
    }
    if (f != stdin)
        fclose(f);
    mc_frame_free(&fr);
    if (rc)
        tr_dataset_free(d);
    return rc;
}

void tr_dataset_free(tr_dataset *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->caption[i]);
        free(d->id[i]);
        for (int j = 0; j < d->nf; j++)
            free(d->fval[(size_t)i * d->nf + j]);
    }
    free(d->fval);
    free(d->caption);
    free(d->id);
    free(d->data);
    memset(d, 0, sizeof *d);
}
