/* frame_record.h - the NDJSON record carried in a feature frame's metadata,
 * as the programs that read feature frames (decode-caption, train) need it. */
#ifndef MEDCAP_FRAME_RECORD_H
#define MEDCAP_FRAME_RECORD_H

#include "io/frame.h"

#include <cjson/cJSON.h>

/* The record in fr's metadata, a JSON object with a string "id" (a whole
 * number becomes its string, ndjson.h mc_record_norm_id) and no NUL
 * byte in its text (the caller frees it with cJSON_Delete); otherwise
 * reports "frame metadata is not a record with a string 'id'" (or "holds a
 * NUL byte") for frame k of path and returns NULL. */
cJSON *mc_frame_record(const mc_frame *fr, const char *path, long k);

/* 1 when rec is a pooled feature vector ("feature": "pooled" or
 * "pooled+layout"), which the readers of grid features skip; else 0. */
int mc_record_is_pooled(const cJSON *rec);

#endif
