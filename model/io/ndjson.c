/* ndjson.c - NDJSON line reader and record parse/print. */
#define _POSIX_C_SOURCE 200809L
#include "io/ndjson.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mc_lines_init(mc_lines *r, FILE *f, const char *name)
{
    r->f = f;
    r->name = name;
    r->line = 0;
    r->buf = NULL;
    r->cap = 0;
}

long mc_lines_next(mc_lines *r, char **line)
{
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0)
        return -1;
    r->line++;
    if (n > 0 && r->buf[n - 1] == '\n')
        r->buf[--n] = '\0';
    if (n > 0 && r->buf[n - 1] == '\r')
        r->buf[--n] = '\0';
    *line = r->buf;
    return (long)n;
}

void mc_lines_free(mc_lines *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

int mc_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

int mc_json_too_deep(const char *text, size_t len)
{
    size_t depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > CJSON_NESTING_LIMIT)
                return 1;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

cJSON *mc_record_parse(const char *text, const char *name, long line)
{
    cJSON *rec = cJSON_Parse(text);
    if (!rec) {
        const char *at = cJSON_GetErrorPtr();
        if (mc_json_too_deep(text, strlen(text)))
            mc_err_at(name, line, "JSON nested too deep (over %d levels)", CJSON_NESTING_LIMIT);
        else
            mc_err_at(name, line, "malformed JSON near column %ld", at ? (long)(at - text) + 1 : 1L);
        return NULL;
    }
    if (!cJSON_IsObject(rec)) {
        mc_err_at(name, line, "record is not a JSON object");
        cJSON_Delete(rec);
        return NULL;
    }
    if (!mc_record_norm_id(rec)) {
        mc_err_at(name, line, "record has no string \"id\" (nor a whole number)");
        cJSON_Delete(rec);
        return NULL;
    }
    return rec;
}

int mc_record_write(FILE *f, const cJSON *rec)
{
    char *s = cJSON_PrintUnformatted(rec);
    int rc;
    if (!s)
        mc_die(MC_EXIT_INTERNAL, "out of memory printing a record");
    rc = fputs(s, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
    free(s);
    return rc;
}

const char *mc_record_id(const cJSON *rec)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    return cJSON_IsString(id) ? id->valuestring : NULL;
}

const char *mc_record_norm_id(cJSON *rec)
{
    cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    char num[32];
    double v;
    if (cJSON_IsNumber(id)) {
        v = id->valuedouble;
        if (!(fabs(v) <= 9007199254740992.0) || v != floor(v))
            return NULL;
        snprintf(num, sizeof num, "%.0f", v == 0 ? 0.0 : v); /* -0 prints "-0" */
        if (!cJSON_ReplaceItemInObjectCaseSensitive(rec, "id", cJSON_CreateString(num)))
            mc_die(MC_EXIT_INTERNAL, "out of memory");
        id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    }
    return cJSON_IsString(id) && id->valuestring[0] ? id->valuestring : NULL;
}
