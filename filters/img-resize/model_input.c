/* model_input.c - --size and --channels from a model's metadata (see
 * model_input.h). */
#define _POSIX_C_SOURCE 200809L
#include "model_input.h"
#include "io/safetensors.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a model's metadata says; a value is -1 when it says nothing. */
typedef struct {
    int h, w;     /* input_size */
    int channels; /* input_channels */
} model_input;

/* Parse the metadata of the open file f into *mi; 0, or -1 with a message
 * in err when a value is there but malformed. */
static int read_input(const mc_st_file *f, model_input *mi, char *err, size_t errlen)
{
    const char *size = mc_st_meta(f, "input_size"), *ch = mc_st_meta(f, "input_channels");
    cJSON *a;
    long v;
    mi->h = mi->w = mi->channels = -1;
    if (size) {
        a = cJSON_Parse(size);
        if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2 ||
            !cJSON_IsNumber(cJSON_GetArrayItem(a, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(a, 1))) {
            cJSON_Delete(a);
            snprintf(err, errlen, "metadata input_size '%s' is not [H,W]", size);
            return -1;
        }
        mi->h = (int)cJSON_GetArrayItem(a, 0)->valuedouble;
        mi->w = (int)cJSON_GetArrayItem(a, 1)->valuedouble;
        cJSON_Delete(a);
        if (mi->h < 1 || mi->h > 8192 || mi->w < 1 || mi->w > 8192) {
            snprintf(err, errlen, "metadata input_size '%s' is outside 1 to 8192", size);
            return -1;
        }
    }
    if (ch) {
        if (mc_parse_long(ch, 1, 3, &v) != 0 || v == 2) {
            snprintf(err, errlen, "metadata input_channels '%s' is not 1 or 3", ch);
            return -1;
        }
        mi->channels = (int)v;
    }
    return 0;
}

/* Read the model at path into *mi; 0, or -1 with a message in err. */
static int load(const char *path, model_input *mi, char *err, size_t errlen)
{
    mc_st_file f;
    int rc;
    if (mc_st_open(&f, path, err, errlen) != 0)
        return -1;
    rc = read_input(&f, mi, err, errlen);
    if (rc != 0) {
        char what[512];
        snprintf(what, sizeof what, "%s", err);
        snprintf(err, errlen, "%s: %s", path, what);
    }
    mc_st_close(&f);
    return rc;
}

void ir_model_defaults(ir_img_spec *spec, const char *path, int size_given, int channels_given)
{
    model_input mi;
    char err[1024];
    char *shipped = NULL;
    if (!path && size_given)
        return;
    if (!path) {
        shipped = mc_share_path("model.safetensors");
        if (access(shipped, R_OK) != 0 || load(shipped, &mi, err, sizeof err) != 0 || mi.h < 0 ||
            mi.h != mi.w) {
            free(shipped);
            return; /* no usable shipped model: 224, grey, as without one */
        }
        free(shipped);
    } else if (load(path, &mi, err, sizeof err) != 0) {
        mc_die(MC_EXIT_MODEL, "%s", err);
    }
    if (!size_given) {
        if (mi.h < 0)
            mc_usage_error("--model %s records no input_size (it was not trained from images): "
                           "give --size", path);
        if (mi.h != mi.w)
            mc_usage_error("--model %s takes %dx%d images and img-resize writes squares: give --size",
                           path, mi.w, mi.h);
        spec->size = mi.h;
    } else if (path && mi.h >= 0 && (spec->size != mi.h || spec->size != mi.w)) {
        mc_err("warning: --size %d, but --model %s takes %dx%d images", spec->size, path, mi.w, mi.h);
    }
    if (!channels_given && mi.channels > 0)
        spec->channels = mi.channels;
    else if (channels_given && path && mi.channels > 0 && spec->channels != mi.channels)
        mc_err("warning: --channels %d, but --model %s takes %d", spec->channels, path, mi.channels);
}
