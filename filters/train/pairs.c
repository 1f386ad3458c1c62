/* pairs.c - loading the image-caption pairs of medcap-train --objective
 * contrastive. */
#define _POSIX_C_SOURCE 200809L
#include "pairs.h"
#include "index/featvec.h"
#include "io/frame.h"
#include "io/ndjson.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Append frame fr (number k of path) to p; 0, or MC_EXIT_INPUT after a
 * message. */
static int add(tr_pairs *p, const mc_frame *fr, const char *path, long k, const char *field,
               int *cap)
{
    cJSON *rec = cJSON_Parse(fr->meta);
    const char *id = mc_record_norm_id(rec);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, field);
    const char *name = id ? id : "?";
    size_t dim = mc_featvec_dim(fr);
    char why[256];
    int rc = MC_EXIT_INPUT;
    if (!cJSON_IsObject(rec))
        mc_err_at(path, k, "frame record is not a JSON object");
    else if (!cJSON_IsString(c))
        mc_err_at(path, k, "record '%s' has no string \"%s\"", name, field);
    else if (dim == 0 || dim > (1u << 20) || (p->n > 0 && dim != (size_t)p->dim))
        mc_err_at(path, k, "record '%s': expected an F32 feature frame%s, got %s with %d dimensions",
                  name, p->n > 0 ? " of the first frame's size" : "", mc_dtype_name(fr->dtype),
                  fr->ndim);
    else {
        if (p->n == *cap) {
            *cap = *cap ? 2 * *cap : 256;
            p->feat = mc_realloc(p->feat, (size_t)*cap * dim * sizeof(float));
            p->caption = mc_realloc(p->caption, (size_t)*cap * sizeof(char *));
        }
        p->dim = (int)dim;
        if (mc_featvec_pool(p->feat + (size_t)p->n * dim, fr, why, sizeof why) != 0)
            mc_err_at(path, k, "record '%s': %s", name, why);
        else {
            p->caption[p->n++] = mc_strdup(c->valuestring);
            rc = 0;
        }
    }
    cJSON_Delete(rec);
    return rc;
}

int tr_pairs_load(tr_pairs *p, const char *path, const char *field)
{
    FILE *f = mc_open_in(path);
    mc_frame fr;
    char err[256];
    long k = 0;
    int cap = 0, r, rc = 0;
    memset(p, 0, sizeof *p);
    memset(&fr, 0, sizeof fr);
    while (rc == 0 && (r = mc_frame_read(f, &fr, err, sizeof err)) == MC_FRAME_OK)
        rc = add(p, &fr, path, ++k, field, &cap);
    if (rc == 0 && r == MC_FRAME_ERR) {
        mc_err_at(path, k + 1, "%s", err);
        rc = ferror(f) ? MC_EXIT_IO : MC_EXIT_INPUT;
    }
    if (rc == 0 && p->n < 2) {
        mc_err_at(path, 0, "needs at least 2 frames with captions, found %d", p->n);
        rc = MC_EXIT_INPUT;
    }
    mc_frame_free(&fr);
    if (f != stdin)
        fclose(f);
    return rc;
}

void tr_pairs_free(tr_pairs *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->caption[i]);
    free(p->caption);
    free(p->feat);
    memset(p, 0, sizeof *p);
}
