/* clean_medpix.c - MedPix 2.0: image descriptions (descriptions_SPLIT.jsonl or
 * Descriptions.json) joined with their clinical cases (data_SPLIT.jsonl or
 * Case_topic.json) for the category.  Caption "modality: mr, plane:
 * sagittal, category: neoplasm, glial, diagnosis: <caption text>". */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "io/jsonitems.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const clean_part parts[] = {
    {"modality", "modality"}, {"plane", "plane"}, {"category", "category"},
    {"diagnosis", "caption_text"}, {"sex", "sex"}, {"age", "age"},
    {"location", "location"}, {NULL, NULL},
};
static const char default_template[] = "modality,plane,category,diagnosis";

/* Case id -> normalised Topic.Category, open addressing. */
static struct {
    char **key, **val;
    size_t cap, n;
} cases;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t case_slot(const char *key)
{
    size_t i = (size_t)hash_str(key) & (cases.cap - 1);
    while (cases.key[i] && strcmp(cases.key[i], key) != 0)
        i = (i + 1) & (cases.cap - 1);
    return i;
}

/* Remember the category of a case (the first one given wins). */
static void case_put(const char *key, const char *val)
{
    size_t i;
    if (2 * (cases.n + 1) > cases.cap) {
        char **ok = cases.key, **ov = cases.val;
        size_t ocap = cases.cap;
        cases.cap = ocap ? ocap * 2 : 256;
        cases.key = mc_calloc(cases.cap, sizeof *cases.key);
        cases.val = mc_calloc(cases.cap, sizeof *cases.val);
        for (size_t j = 0; j < ocap; j++)
            if (ok[j]) {
                i = case_slot(ok[j]);
                cases.key[i] = ok[j];
                cases.val[i] = ov[j];
            }
        free(ok);
        free(ov);
    }
    i = case_slot(key);
    if (cases.key[i])
        return;
    cases.key[i] = mc_strdup(key);
    cases.val[i] = mc_strdup(val);
    cases.n++;
}

/* The category of a case, or NULL. */
static const char *case_get(const char *key)
{
    if (!cases.cap)
        return NULL;
    size_t i = case_slot(key);
    return cases.key[i] ? cases.val[i] : NULL;
}

void clean_medpix_free_cases(void)
{
    for (size_t i = 0; i < cases.cap; i++) {
        free(cases.key[i]);
        free(cases.val[i]);
    }
    free(cases.key);
    free(cases.val);
    memset(&cases, 0, sizeof cases);
}

/* A string member of o, or NULL. */
static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Report a bad item of it; 0 to go on or an exit status. */
static int bad_item(clean_ctx *ctx, const mc_json_items *it, const char *what)
{
    char msg[300];
    if (mc_items_is_array(it)) {
        snprintf(msg, sizeof msg, "item %ld: %s", it->where, what);
        return clean_emit_malformed(ctx, it->path, 0, msg);
    }
    return clean_emit_malformed(ctx, it->path, it->where, what);
}

/* Run fn on every object of path, counting them as input rows when
 * rows; 0 or an exit status. */
static int each_item(clean_ctx *ctx, const char *path, int rows,
                     int (*fn)(clean_ctx *, const mc_json_items *, const cJSON *, void *), void *arg)
{
    mc_json_items it;
    cJSON *item;
    char err[200];
    int rc, status = mc_items_open(&it, path);
    while (status == 0 && (rc = mc_items_next(&it, &item, err, sizeof err)) != MC_ITEMS_END) {
        if (rc == MC_ITEMS_BAD) {
            ctx->rows += rows;
            status = bad_item(ctx, &it, err);
        } else if (rc == MC_ITEMS_OK) {
            ctx->rows += rows;
            clean_emit_at(ctx, path, mc_items_is_array(&it) ? 0 : it.where);
            status = fn(ctx, &it, item, arg);
            cJSON_Delete(item);
        } else {
            mc_err_at(path, it.where + 1, "%s", err);
            status = rc == MC_ITEMS_IOERR ? MC_EXIT_IO : MC_EXIT_INPUT;
        }
    }
    mc_items_close(&it);
    return status;
}

/* Store one case's category. */
static int case_item(clean_ctx *ctx, const mc_json_items *it, const cJSON *o, void *arg)
{
    const char *id = str(o, "U_id");
    const char *cat = str(cJSON_GetObjectItemCaseSensitive(o, "Topic"), "Category");
    char *norm;
    (void)arg;
    if (!id || !*id)
        return bad_item(ctx, it, "case has no string \"U_id\"");
    norm = clean_text_normalise(cat ? cat : "");
    if (!norm)
        return bad_item(ctx, it, "Topic.Category is not valid UTF-8");
    case_put(id, norm);
    free(norm);
    return 0;
}

int clean_medpix_load_cases(clean_ctx *ctx, const char *path)
{
    return each_item(ctx, path, 0, case_item, NULL);
}

/* "ct", "mr", "xr" from a MedPix modality ("MR - T2 weighted", "CTA - CT
 * Angiography", "XR - Plain Film"), or NULL for any other. */
static const char *modality_of(const char *m)
{
    while (*m == ' ')
        m++;
    if (strncasecmp(m, "CT", 2) == 0)
        return "ct";
    if (strncasecmp(m, "MR", 2) == 0)
        return "mr";
    if (strncasecmp(m, "XR", 2) == 0 || strncasecmp(m, "Plain film", 10) == 0)
        return "xr";
    return NULL;
}

/* Where a descriptions file's images are: its split folder. */
typedef struct {
    char split[32]; /* from descriptions_SPLIT.jsonl; "" when none */
    char dir[32];   /* folder of the images: the split, or "images" */
} desc_file;

/* Add the normalised value of a string member of d under key. */
static void add_norm(cJSON *f, const char *key, const char *value)
{
    char *n = value ? clean_text_normalise(value) : NULL;
    clean_emit_add_str(f, key, n);
    free(n);
}

/* Turn one description into a record (or a drop). */
static int desc_item(clean_ctx *ctx, const mc_json_items *it, const cJSON *o, void *arg)
{
    const desc_file *df = arg;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "Description");
    const char *name = str(o, "image"), *case_id = str(o, "U_id"), *detail, *modality, *cat;
    char *caption, *file, *image;
    cJSON *f;
    long age;
    int status;
    if (!name || !*name || strchr(name, '/'))
        return bad_item(ctx, it, "no \"image\" file name");
    if (!case_id || !*case_id)
        return bad_item(ctx, it, "no string \"U_id\"");
    if (!cJSON_IsObject(d))
        return bad_item(ctx, it, "no \"Description\" object");
    detail = str(d, "Modality");
    modality = modality_of(detail && *detail ? detail : str(o, "Type") ? str(o, "Type") : "");
    if (!modality) {
        clean_emit_drop(ctx, DROP_MODALITY);
        return 0;
    }
    caption = clean_text_normalise(str(d, "Caption") ? str(d, "Caption") : "");
    if (!caption)
        return bad_item(ctx, it, "Caption is not valid UTF-8");
    if (!*caption || clean_text_placeholder(caption) || clean_text_words(caption) < ctx->min_words) {
        clean_emit_drop(ctx, !*caption ? DROP_NO_CAPTION : clean_text_placeholder(caption) ? DROP_PLACEHOLDER : DROP_SHORT);
        free(caption);
        return 0;
    }
    f = cJSON_CreateObject();
    if (!f)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    clean_emit_add_str(f, "modality", modality);
    if (detail && *detail && clean_text_utf8(detail))
        clean_emit_add_str(f, "modality_detail", detail);
    add_norm(f, "plane", str(d, "Plane"));
    if ((cat = case_get(case_id)) != NULL)
        clean_emit_add_str(f, "category", cat);
    clean_emit_add_str(f, "caption_text", caption);
    clean_emit_add_str(f, "case_id", case_id);
    clean_emit_add_str(f, "sex", clean_text_sex(str(d, "Sex")));
    if (str(d, "Age") && clean_text_age(str(d, "Age"), &age) == 0)
        cJSON_AddNumberToObject(f, "age", (double)age);
    add_norm(f, "location", str(o, "Location"));
    add_norm(f, "location_category", str(o, "Location Category"));
    free(caption);
    file = mc_malloc(strlen(name) + 5);
    sprintf(file, "%s.png", name);
    image = clean_emit_image_path(ctx, df->dir, file);
    status = clean_emit_record(ctx, name, image, df->split, case_id, f, parts, default_template);
    free(image);
    free(file);
    return status;
}

int clean_medpix_descriptions(clean_ctx *ctx, const char *path)
{
    desc_file df;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    memset(&df, 0, sizeof df);
    if (strncasecmp(base, "descriptions_", 13) == 0) {
        size_t n = strcspn(base + 13, ".");
        snprintf(df.split, sizeof df.split, "%.*s", (int)(n < sizeof df.split ? n : sizeof df.split - 1), base + 13);
        snprintf(df.dir, sizeof df.dir, "%s", df.split);
    } else {
        snprintf(df.dir, sizeof df.dir, "images");
    }
    clean_emit_check_template(ctx, parts, "medpix");
    return each_item(ctx, path, 1, desc_item, &df);
}

int clean_medpix_kind(const char *path, int *kind)
{
    mc_json_items it;
    cJSON *item;
    char err[200];
    int rc, status = mc_items_open(&it, path);
    if (status)
        return status;
    *kind = MEDPIX_UNKNOWN;
    rc = mc_items_next(&it, &item, err, sizeof err);
    if (rc == MC_ITEMS_OK) {
        if (cJSON_HasObjectItem(item, "Description"))
            *kind = MEDPIX_DESCRIPTIONS;
        else if (cJSON_HasObjectItem(item, "Topic") || cJSON_HasObjectItem(item, "Case"))
            *kind = MEDPIX_CASES;
        cJSON_Delete(item);
    } else if (rc != MC_ITEMS_END) {
        if (mc_items_is_array(&it))
            mc_err_at(path, 0, "%s", err);
        else
            mc_err_at(path, it.where + (rc != MC_ITEMS_BAD), "%s", err);
        status = rc == MC_ITEMS_IOERR ? MC_EXIT_IO : MC_EXIT_INPUT;
    }
    mc_items_close(&it);
    return status;
}
