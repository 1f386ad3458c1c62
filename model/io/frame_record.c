/* frame_record.c - the NDJSON record carried in a feature frame's metadata. */
#define _POSIX_C_SOURCE 200809L
#include "io/frame_record.h"
#include "io/ndjson.h"
#include "core/util.h"

#include <string.h>

cJSON *mc_frame_record(const mc_frame *fr, const char *path, long k)
{
    cJSON *rec;
    if (strlen(fr->meta) != fr->meta_len) {
        mc_err_at(path, k, "frame metadata holds a NUL byte (at byte %zu of %zu)", strlen(fr->meta),
                  fr->meta_len);
        return NULL;
    }
    rec = cJSON_Parse(fr->meta);
    if (!cJSON_IsObject(rec) || !mc_record_norm_id(rec)) {
        mc_err_at(path, k, "frame metadata is not a record with a string 'id'");
        cJSON_Delete(rec);
        return NULL;
    }
    return rec;
}

int mc_record_is_pooled(const cJSON *rec)
{
    const cJSON *feat = cJSON_GetObjectItemCaseSensitive(rec, "feature");
    return cJSON_IsString(feat) && strncmp(feat->valuestring, "pooled", 6) == 0;
}
