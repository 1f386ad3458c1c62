/* clean_emit.c - building captions from parts, writing records, counting. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "io/record_roles.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const drop_names[DROP_N] = {
    "malformed", "placeholder", "short", "modality", "no-caption", "no-image", "duplicate",
};

void clean_emit_init(clean_ctx *ctx)
{
    mc_idset_init(&ctx->ids);
}

void clean_emit_free(clean_ctx *ctx)
{
    mc_idset_free(&ctx->ids);
}

void clean_emit_at(clean_ctx *ctx, const char *file, long line)
{
    ctx->at_file = file;
    ctx->at_line = line;
}

/* Check id against the ids written: 0 for a new one; for a repeated one
 * (reported) -1 to drop the row under --keep-going, else MC_EXIT_INPUT. */
static int repeated_id(clean_ctx *ctx, const char *id)
{
    if (mc_idset_add(&ctx->ids, id, ctx->at_file ? ctx->at_file : "-", ctx->at_line,
                     ctx->keep_going ? " (skipped)" : ""))
        return 0;
    clean_emit_drop(ctx, DROP_DUPLICATE);
    return ctx->keep_going ? -1 : MC_EXIT_INPUT;
}

/* The part named name (len bytes) in parts, or NULL. */
static const clean_part *find_part(const clean_part *parts, const char *name, size_t len)
{
    for (; parts->name; parts++)
        if (strlen(parts->name) == len && memcmp(parts->name, name, len) == 0)
            return parts;
    return NULL;
}

void clean_emit_check_template(const clean_ctx *ctx, const clean_part *parts, const char *format)
{
    const char *p = ctx->template_;
    if (!p)
        return;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (!find_part(parts, p, len)) {
            char avail[256] = "";
            for (const clean_part *d = parts; d->name; d++)
                snprintf(avail + strlen(avail), sizeof avail - strlen(avail), "%s%s",
                         d == parts ? "" : ",", d->name);
            mc_usage_error("--template: no part '%.*s' in %s records (parts: %s)",
                           (int)len, p, format, avail);
        }
        p += len + (p[len] == ',');
    }
}

/* Append the text of a field's value to buf (strings, whole numbers and
 * arrays of strings joined by ", "); returns 1 if anything was added. */
static int append_value(char **buf, size_t *len, size_t *cap, const cJSON *v)
{
    char num[32];
    const char *s = NULL;
    size_t n;
    if (cJSON_IsString(v)) {
        s = v->valuestring;
    } else if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof num, "%g", v->valuedouble);
        s = num;
    } else if (cJSON_IsArray(v)) {
        int any = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (any && cJSON_IsString(e) && e->valuestring[0]) {
                *buf = mc_realloc(*buf, *cap = *len + 3 + *cap);
                memcpy(*buf + *len, ", ", 2);
                *len += 2;
            }
            any |= append_value(buf, len, cap, e);
        }
        return any;
    }
    if (!s || !*s)
        return 0;
    n = strlen(s);
    if (*len + n + 1 > *cap)
        *buf = mc_realloc(*buf, *cap = (*len + n + 1) * 2);
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 1;
}

/* The caption "part: value, part: value" of the template's parts that have
 * a value; malloc'd, "" when none has. */
static char *build_caption(const char *tmpl, const clean_part *parts, const cJSON *fields)
{
    size_t len = 0, cap = 64;
    char *buf = mc_malloc(cap);
    buf[0] = '\0';
    while (*tmpl) {
        size_t plen = strcspn(tmpl, ",");
        const clean_part *d = find_part(parts, tmpl, plen);
        const cJSON *v = d ? cJSON_GetObjectItemCaseSensitive(fields, d->key) : NULL;
        tmpl += plen + (tmpl[plen] == ',');
        if (!v)
            continue;
        size_t mark = len, need = len + plen + 5;
        if (need > cap)
            buf = mc_realloc(buf, cap = need * 2);
        len += (size_t)sprintf(buf + len, "%s%s: ", mark ? ", " : "", d->name);
        if (!append_value(&buf, &len, &cap, v))
            len = mark;
        buf[len] = '\0';
    }
    return buf;
}

/* Count one record written to split, and note its keys. */
static void count_split(clean_ctx *ctx, const char *split, const cJSON *rec)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, rec)
        if (k->string)
            mc_strtab_intern(&ctx->keys, k->string, NULL);
    int i;
    for (i = 0; i < ctx->nsplits_seen; i++)
        if (strcmp(ctx->split_seen[i], split) == 0)
            break;
    if (i == ctx->nsplits_seen) {
        if (i == 2 * MAX_SPLITS)
            return; /* more distinct own splits than the table holds: not itemised */
        snprintf(ctx->split_seen[i], sizeof ctx->split_seen[i], "%s", split);
        ctx->nsplits_seen++;
    }
    ctx->per_split[i]++;
}

int clean_emit_record(clean_ctx *ctx, const char *id, const char *image, const char *own_split,
                const char *group, cJSON *fields, const clean_part *parts,
                const char *default_template)
{
    return clean_emit_record_caption(ctx, id, image, own_split, group, fields,
                               build_caption(ctx->template_ ? ctx->template_ : default_template,
                                             parts, fields));
}

int clean_emit_record_caption(clean_ctx *ctx, const char *id, const char *image, const char *own_split,
                        const char *group, cJSON *fields, char *caption)
{
    const char *split = own_split && *own_split && !ctx->resplit
                            ? own_split : clean_split_assign(&ctx->split, group);
    cJSON *rec = cJSON_CreateObject(), *item;
    int rc;
    if (!rec)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    if (!caption[0])
        clean_emit_drop(ctx, DROP_NO_CAPTION);
    rc = caption[0] ? repeated_id(ctx, id) : -1;
    if (rc != 0) {
        free(caption);
        cJSON_Delete(rec);
        cJSON_Delete(fields);
        return rc == MC_EXIT_INPUT ? rc : 0;
    }
    cJSON_AddStringToObject(rec, "id", id);
    cJSON_AddStringToObject(rec, "image", image);
    cJSON_AddStringToObject(rec, "caption", caption);
    cJSON_AddStringToObject(rec, "split", split);
    free(caption);
    while ((item = fields->child) != NULL) {
        cJSON_DetachItemViaPointer(fields, item);
        cJSON_AddItemToObject(rec, item->string, item);
    }
    cJSON_Delete(fields);
    rc = mc_record_write(stdout, rec);
    if (rc == 0)
        count_split(ctx, split, rec);
    cJSON_Delete(rec);
    if (rc < 0)
        return mc_stdout_error();
    ctx->written++;
    return 0;
}

int clean_emit_plain(clean_ctx *ctx, cJSON *rec, const char *split)
{
    int rc = repeated_id(ctx, mc_record_id(rec));
    if (rc != 0) {
        cJSON_Delete(rec);
        return rc == MC_EXIT_INPUT ? rc : 0;
    }
    cJSON_AddStringToObject(rec, "split", split);
    rc = mc_record_write(stdout, rec);
    if (rc == 0)
        count_split(ctx, split, rec);
    cJSON_Delete(rec);
    if (rc < 0)
        return mc_stdout_error();
    ctx->written++;
    return 0;
}

void clean_emit_drop(clean_ctx *ctx, enum drop why)
{
    ctx->dropped[why]++;
}

int clean_emit_malformed(clean_ctx *ctx, const char *file, long line, const char *what)
{
    mc_err_at(file, line, "%s%s", what, ctx->keep_going ? " (skipped)" : "");
    clean_emit_drop(ctx, DROP_MALFORMED);
    return ctx->keep_going ? 0 : MC_EXIT_INPUT;
}

void clean_emit_stats(const clean_ctx *ctx)
{
    long dropped = 0;
    for (int i = 0; i < DROP_N; i++)
        dropped += ctx->dropped[i];
    fprintf(stderr, "%s: rows %ld, records %ld, dropped %ld\n", mc_prog(), ctx->rows,
            ctx->written, dropped);
    for (int i = 0; i < ctx->nsplits_seen; i++)
        fprintf(stderr, "%s: split %s %ld\n", mc_prog(), ctx->split_seen[i], ctx->per_split[i]);
    for (int i = 0; i < DROP_N; i++)
        fprintf(stderr, "%s: dropped %s %ld\n", mc_prog(), drop_names[i], ctx->dropped[i]);
    /* what each written key is for (io/record_roles.h): medcap-train
     * --context takes context fields and refuses targets and identifiers */
    static const int order[] = {MC_ROLE_TARGET, MC_ROLE_CONTEXT, MC_ROLE_IDENTIFYING, MC_ROLE_OTHER};
    for (int i = 0; i < 4; i++) {
        int any = 0;
        for (size_t k = 0; k < ctx->keys.n; k++) {
            if (mc_record_role(ctx->keys.str[k]) != order[i])
                continue;
            if (!any++)
                fprintf(stderr, "%s: fields %s:", mc_prog(), mc_record_role_name(order[i]));
            fprintf(stderr, " %s", ctx->keys.str[k]);
        }
        if (any)
            fputc('\n', stderr);
    }
}

void clean_emit_add_str(cJSON *o, const char *key, const char *value)
{
    if (value && *value && !cJSON_AddStringToObject(o, key, value))
        mc_die(MC_EXIT_INTERNAL, "out of memory");
}

int clean_emit_file_record(clean_ctx *ctx, const char *dir, const char *file, const char *group,
                           cJSON *fields, const clean_part *parts, const char *default_template)
{
    char *id = mc_strdup(file), *dot, *image;
    int status;
    if ((dot = strrchr(id, '.')) != NULL)
        *dot = '\0';
    image = clean_emit_image_path(ctx, dir, file);
    status = clean_emit_record(ctx, id, image, NULL, group, fields, parts, default_template);
    free(image);
    free(id);
    return status;
}

char *clean_emit_image_path(const clean_ctx *ctx, const char *dir, const char *file)
{
    const char *pre = ctx->image_prefix ? ctx->image_prefix : "";
    size_t n = strlen(pre) + strlen(dir) + strlen(file) + 2;
    char *out = mc_malloc(n);
    snprintf(out, n, "%s%s%s%s", pre, dir, *dir ? "/" : "", file);
    return out;
}
