/* jsonitems.c - the objects of a JSONL file or of a JSON array file
 * (plain or gzip), one at a time, with their line or item number. */
#define _POSIX_C_SOURCE 200809L
#include "io/jsonitems.h"
#include "io/ndjson.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE (64u << 20)          /* one JSONL record */
#define MAX_ARRAY_FILE (1024u << 20)  /* a whole JSON array file */

int mc_items_open(mc_json_items *it, const char *path)
{
    int ch;
    memset(it, 0, sizeof *it);
    it->path = path;
    if (mc_gzin_open(&it->in, path) < 0) {
        mc_err_at(path, 0, "%s", it->in.msg);
        return MC_EXIT_IO;
    }
    while ((ch = mc_gzin_peek(&it->in)) == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
        it->in.pos++;
    if (ch != '[')
        return 0;
    /* A JSON array: read the whole text, then walk its items. */
    size_t len = 0, cap = 1 << 16;
    char *text = mc_malloc(cap);
    long n;
    while ((n = mc_gzin_fill(&it->in)) > 0) {
        if (len + (size_t)n + 1 > MAX_ARRAY_FILE) {
            free(text);
            mc_err_at(path, 0, "JSON array file larger than %u MiB", MAX_ARRAY_FILE >> 20);
            mc_items_close(it);
            return MC_EXIT_INPUT;
        }
        if (len + (size_t)n + 1 > cap)
            text = mc_realloc(text, cap = (len + (size_t)n + 1) * 2);
        memcpy(text + len, it->in.buf + it->in.pos, (size_t)n);
        len += (size_t)n;
        it->in.pos += (size_t)n;
    }
    if (n < 0) {
        int rc = it->in.error == MC_GZIN_IOERR ? MC_EXIT_IO : MC_EXIT_INPUT;
        free(text);
        mc_err_at(path, 0, "%s", it->in.msg);
        mc_items_close(it);
        return rc;
    }
    text[len] = '\0';
    it->array = cJSON_ParseWithLength(text, len);
    if (!it->array || !cJSON_IsArray(it->array)) {
        const char *at = cJSON_GetErrorPtr();
        if (mc_json_too_deep(text, len))
            mc_err_at(path, 0, "JSON array nested too deep (over %d levels)", CJSON_NESTING_LIMIT);
        else
            mc_err_at(path, 0, "malformed JSON array near byte %ld",
                      at && at >= text && at <= text + len ? (long)(at - text) + 1 : 1L);
        free(text);
        mc_items_close(it);
        return MC_EXIT_INPUT;
    }
    free(text);
    it->next = it->array->child;
    return 0;
}

int mc_items_next(mc_json_items *it, cJSON **item, char *err, size_t errlen)
{
    *item = NULL;
    if (it->array) {
        if (!it->next)
            return MC_ITEMS_END;
        it->where++;
        *item = cJSON_DetachItemViaPointer(it->array, it->next);
        it->next = it->array->child;
        if (!cJSON_IsObject(*item)) {
            cJSON_Delete(*item);
            *item = NULL;
            snprintf(err, errlen, "item %ld is not a JSON object", it->where);
            return MC_ITEMS_BAD;
        }
        return MC_ITEMS_OK;
    }
    for (;;) {
        long n = mc_gzin_line(&it->in, &it->line, &it->cap, MAX_LINE);
        if (n == -1)
            return MC_ITEMS_END;
        if (n == -2) {
            snprintf(err, errlen, "%s", it->in.msg);
            return it->in.error == MC_GZIN_IOERR ? MC_ITEMS_IOERR : MC_ITEMS_CORRUPT;
        }
        it->where++;
        if (mc_blank(it->line))
            continue;
        *item = cJSON_ParseWithLength(it->line, (size_t)n);
        if (!*item && mc_json_too_deep(it->line, (size_t)n)) {
            snprintf(err, errlen, "JSON nested too deep (over %d levels)", CJSON_NESTING_LIMIT);
            return MC_ITEMS_BAD;
        }
        if (!*item || !cJSON_IsObject(*item)) {
            const char *at = cJSON_GetErrorPtr();
            snprintf(err, errlen, *item ? "not a JSON object" : "malformed JSON near column %ld",
                     at && at >= it->line && at <= it->line + n ? (long)(at - it->line) + 1 : 1L);
            cJSON_Delete(*item);
            *item = NULL;
            return MC_ITEMS_BAD;
        }
        return MC_ITEMS_OK;
    }
}

void mc_items_close(mc_json_items *it)
{
    mc_gzin_close(&it->in);
    cJSON_Delete(it->array);
    free(it->line);
    memset(it, 0, sizeof *it);
}
