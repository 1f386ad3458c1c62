/* records.c - reading, merging, checking and joining the report's records. */
#define _POSIX_C_SOURCE 200809L
#include "records.h"
#include "words.h"
#include "core/util.h"
#include "io/frame.h"
#include "io/ndjson.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_GRID = 64 }; /* largest attention grid side accepted */

void rp_run_init(rp_run *r, int keep_going)
{
    memset(r, 0, sizeof *r);
    mc_strtab_init(&r->ids);
    r->keep_going = keep_going;
}

void rp_run_free(rp_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        cJSON_Delete(r->item[i].rec);
        cJSON_Delete(r->item[i].refs);
        cJSON_Delete(r->item[i].scores);
        free(r->item[i].nb_thumb);
    }
    free(r->item);
    mc_strtab_free(&r->ids);
    memset(r, 0, sizeof *r);
}

const char *rp_str(const cJSON *rec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Add rec (taken over) to r, or merge it into the item of the same id. */
static void add_record(rp_run *r, cJSON *rec)
{
    int added, k = mc_strtab_intern(&r->ids, mc_record_id(rec), &added);
    cJSON *item;
    if (added) {
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 256;
            r->item = mc_realloc(r->item, r->cap * sizeof *r->item);
        }
        r->item[r->n++] = (rp_item){.rec = rec, .thumb = -1};
        return;
    }
    while ((item = rec->child) != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(r->item[k].rec, item->string);
        cJSON_AddItemToObject(r->item[k].rec, item->string, cJSON_DetachItemViaPointer(rec, item));
    }
    cJSON_Delete(rec);
}

/* Call fn(rec, ctx) for each record of path (fn takes rec over).  Bad
 * lines are errors, or skipped and counted in r with keep_going. */
static int each_record(rp_run *r, const char *path, void (*fn)(rp_run *, cJSON *, void *), void *ctx)
{
    FILE *f = mc_open_in(path);
    mc_lines lines;
    char *line;
    int rc = 0;
    if (mc_input_kind(f) == MC_INPUT_FRAMES) {
        mc_err_at(path, 0, "expected NDJSON records, got binary frames");
        rc = MC_EXIT_INPUT;
    }
    mc_lines_init(&lines, f, path);
    while (rc == 0 && mc_lines_next(&lines, &line) >= 0) {
        cJSON *rec;
        if (mc_blank(line))
            continue;
        rec = mc_record_parse(line, path, lines.line);
        if (rec)
            fn(r, rec, ctx);
        else if (r->keep_going)
            r->skipped++;
        else
            rc = MC_EXIT_INPUT;
    }
    if (rc == 0 && ferror(f)) {
        mc_err_at(path, lines.line + 1, "cannot read");
        rc = MC_EXIT_IO;
    }
    mc_lines_free(&lines);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* each_record callback of rp_run_read. */
static void take_record(rp_run *r, cJSON *rec, void *ctx)
{
    (void)ctx;
    add_record(r, rec);
}

int rp_run_read(rp_run *r, const char *path)
{
    return each_record(r, path, take_record, NULL);
}

/* Check the attention of item it (grids of numbers, all gh x gw) and
 * note its shape and whether it has one map per caption token.  Returns
 * NULL, or what is wrong. */
static const char *check_attention(rp_item *it, const cJSON *att)
{
    const char *cap = rp_str(it->rec, "caption");
    int words = 0, gh = 0, gw = 0;
    const cJSON *map, *row, *v;
    rp_tokens t = {0};
    if (!cJSON_IsArray(att))
        return "\"attention\" is not an array";
    cJSON_ArrayForEach(map, att) {
        int rows = 0;
        if (!cJSON_IsArray(map))
            return "\"attention\" holds something other than grids";
        cJSON_ArrayForEach(row, map) {
            int cols = 0;
            if (!cJSON_IsArray(row))
                return "an \"attention\" grid row is not an array";
            cJSON_ArrayForEach(v, row) {
                if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                    return "an \"attention\" weight is not a number";
                cols++;
            }
            if (rows == 0 && words == 0)
                gw = cols;
            if (cols != gw || cols == 0 || cols > MAX_GRID)
                return "\"attention\" grids are not all of one shape (at most 64 x 64)";
            rows++;
        }
        if (words == 0)
            gh = rows;
        if (rows != gh || rows == 0 || rows > MAX_GRID)
            return "\"attention\" grids are not all of one shape (at most 64 x 64)";
        words++;
    }
    if (words == 0)
        return NULL;
    if (!cap)
        return "\"attention\" without a \"caption\"";
    rp_tokens_split(&t, cap);
    it->aligned = t.n == words;
    rp_tokens_free(&t);
    it->natt = words;
    it->gh = gh;
    it->gw = gw;
    return NULL;
}

/* Check the keys of item it that the page draws.  Returns NULL, or what
 * is wrong (in why, size n, or a constant). */
static const char *check_item(rp_item *it, char *why, size_t n)
{
    const cJSON *rec = it->rec, *v, *f;
    static const char *const strings[] = {"caption", "image", "interpretation"};
    for (size_t k = 0; k < sizeof strings / sizeof *strings; k++) {
        v = cJSON_GetObjectItemCaseSensitive(rec, strings[k]);
        if (v && !cJSON_IsString(v) && !cJSON_IsNull(v)) {
            snprintf(why, n, "\"%s\" is not a string", strings[k]);
            return why;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(rec, "reference");
    if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
        return "\"reference\" is not a string";
    v = cJSON_GetObjectItemCaseSensitive(rec, "fields");
    if (v && !cJSON_IsObject(v) && !cJSON_IsNull(v))
        return "\"fields\" is not an object";
    if (!cJSON_IsObject(v))
        v = NULL;
    cJSON_ArrayForEach(f, v) {
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(f, "value"),
                    *p = cJSON_GetObjectItemCaseSensitive(f, "p");
        if (!cJSON_IsObject(f) || !cJSON_IsString(val) ||
            (p && !(cJSON_IsNumber(p) && p->valuedouble >= 0 && p->valuedouble <= 1))) {
            snprintf(why, n, "\"fields\".\"%.40s\" is not {\"value\": string, \"p\": number from 0 to 1}", f->string);
            return why;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(rec, "neighbors");
    if (v && !cJSON_IsArray(v) && !cJSON_IsNull(v))
        return "\"neighbors\" is not an array";
    if (!cJSON_IsArray(v))
        v = NULL;
    cJSON_ArrayForEach(f, v) {
        const cJSON *kn = cJSON_GetObjectItemCaseSensitive(f, "knowledge");
        if (!cJSON_IsObject(f))
            return "a neighbour is not an object";
        if (kn && !cJSON_IsObject(kn))
            return "a neighbour's \"knowledge\" is not an object";
    }
    v = cJSON_GetObjectItemCaseSensitive(rec, "attention");
    return v && !cJSON_IsNull(v) ? check_attention(it, v) : NULL;
}

/* each_record callback of rp_run_check: keep the references of a record
 * whose id is an item's. */
static void take_refs(rp_run *r, cJSON *rec, void *ctx)
{
    int k = mc_strtab_find(&r->ids, mc_record_id(rec));
    cJSON *list = cJSON_GetObjectItemCaseSensitive(rec, "references"), *arr, *v;
    (void)ctx;
    if (k < 0) {
        cJSON_Delete(rec);
        return;
    }
    arr = cJSON_CreateArray();
    if (cJSON_IsArray(list)) {
        cJSON_ArrayForEach(v, list)
            if (cJSON_IsString(v))
                cJSON_AddItemToArray(arr, cJSON_CreateString(v->valuestring));
    } else if (rp_str(rec, "reference")) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(rp_str(rec, "reference")));
    } else if (rp_str(rec, "caption")) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(rp_str(rec, "caption")));
    }
    cJSON_Delete(r->item[k].refs);
    r->item[k].refs = arr;
    cJSON_Delete(rec);
}

int rp_run_check(rp_run *r, const char *refs_path)
{
    char why[160];
    for (size_t i = 0; i < r->n; i++) {
        rp_item *it = &r->item[i];
        const char *bad = check_item(it, why, sizeof why);
        if (!bad)
            continue;
        mc_err("record '%s': %s", mc_record_id(it->rec), bad);
        if (!r->keep_going)
            return MC_EXIT_INPUT;
        it->bad = 1;
        it->natt = 0;
        r->skipped++;
    }
    if (refs_path) {
        int rc = each_record(r, refs_path, take_refs, NULL);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < r->n; i++) {
        rp_item *it = &r->item[i];
        if (!it->refs) {
            it->refs = cJSON_CreateArray();
            if (rp_str(it->rec, "reference"))
                cJSON_AddItemToArray(it->refs, cJSON_CreateString(rp_str(it->rec, "reference")));
        }
    }
    return 0;
}

/* each_record callback of rp_run_join_scores. */
static void take_scores(rp_run *r, cJSON *rec, void *ctx)
{
    int k = mc_strtab_find(&r->ids, mc_record_id(rec));
    cJSON *s, *v;
    (void)ctx;
    if (k >= 0) {
        s = cJSON_CreateObject();
        cJSON_ArrayForEach(v, rec)
            if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
                cJSON_AddNumberToObject(s, v->string, v->valuedouble);
        cJSON_Delete(r->item[k].scores);
        r->item[k].scores = s;
    }
    cJSON_Delete(rec);
}

int rp_run_join_scores(rp_run *r, const char *path)
{
    return each_record(r, path, take_scores, NULL);
}

/* The value after "name:" in text (any case) up to , ; | or the end,
 * trimmed and lower-cased into buf; NULL when text has no such key. */
static const char *field_in_text(const char *text, const char *name, char *buf, size_t n)
{
    size_t nl = strlen(name), k = 0;
    const char *p = text;
    if (!text)
        return NULL;
    for (; *p; p++) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':' &&
            (p == text || !isalnum((unsigned char)p[-1])))
            break;
    }
    if (!*p)
        return NULL;
    p += nl + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p && *p != ',' && *p != ';' && *p != '|' && *p != '\n' && k + 1 < n)
        buf[k++] = (char)tolower((unsigned char)*p++);
    while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t' || buf[k - 1] == '.'))
        k--;
    buf[k] = '\0';
    return k ? buf : NULL;
}

/* s trimmed and lower-cased into buf (size n); NULL when empty. */
static const char *normalise(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    while (*s && k + 1 < n)
        buf[k++] = (char)tolower((unsigned char)*s++);
    while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t'))
        k--;
    buf[k] = '\0';
    return k ? buf : NULL;
}

const char *rp_field_pred(const rp_item *it, const char *name, char *buf, size_t n)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(it->rec, "fields"), name);
    const char *v = rp_str(f, "value");
    return v ? normalise(v, buf, n) : field_in_text(rp_str(it->rec, "caption"), name, buf, n);
}

const char *rp_field_true(const rp_item *it, const char *name, char *buf, size_t n)
{
    const char *v = rp_str(it->rec, name);
    const cJSON *ref = cJSON_GetArrayItem(it->refs, 0);
    if (v)
        return normalise(v, buf, n);
    return field_in_text(cJSON_IsString(ref) ? ref->valuestring : NULL, name, buf, n);
}
