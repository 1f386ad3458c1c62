/* clean_generic.c - any CSV with an image column and a caption column
 * (--image-col, --caption-col; optional --id-col, --patient-col and a
 * "split" column).  Every other non-empty column is kept as a key. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    long image, caption, id, patient, split;
} columns;

/* 1 if column i (named name) is one the record already has a key for. */
static int reserved(const char *name, const columns *col, long i)
{
    static const char *const keys[] = {"id", "image", "caption", "split"};
    if (i == col->image || i == col->caption || i == col->id || i == col->split)
        return 1;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (strcasecmp(name, keys[k]) == 0)
            return 1;
    return 0;
}

/* Turn the current row into a record (or a drop); 0 or an exit status.
 * header holds the column names. */
static int generic_row(clean_ctx *ctx, const mc_csv *c, const char *path, const columns *col,
                       char *const *header)
{
    const char *img = mc_csv_field(c, (size_t)col->image);
    char *caption = clean_text_normalise(mc_csv_field(c, (size_t)col->caption)), *id, *image, *dot;
    const char *group;
    cJSON *f;
    int status;
    if (!*img || !*caption || clean_text_placeholder(caption) || clean_text_words(caption) < ctx->min_words) {
        clean_emit_drop(ctx, !*img ? DROP_NO_IMAGE : !*caption ? DROP_NO_CAPTION
                       : clean_text_placeholder(caption) ? DROP_PLACEHOLDER : DROP_SHORT);
        free(caption);
        return 0;
    }
    if (col->id >= 0) {
        id = mc_strdup(mc_csv_field(c, (size_t)col->id));
        if (!*id) {
            free(id);
            free(caption);
            return clean_emit_malformed(ctx, path, c->rec_line, "empty id");
        }
    } else {
        id = mc_strdup(img);
        if ((dot = strrchr(id, '.')) != NULL && !strchr(dot, '/'))
            *dot = '\0';
    }
    group = col->patient >= 0 && *mc_csv_field(c, (size_t)col->patient)
                ? mc_csv_field(c, (size_t)col->patient) : id;
    f = cJSON_CreateObject();
    if (!f)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < c->nfields; i++) {
        int sex = strcasecmp(header[i], "sex") == 0; /* male|female as in every format */
        if (!reserved(header[i], col, (long)i) && !cJSON_HasObjectItem(f, sex ? "sex" : header[i]))
            clean_emit_add_str(f, sex ? "sex" : header[i],
                               sex ? clean_text_sex(mc_csv_field(c, i)) : mc_csv_field(c, i));
    }
    image = clean_emit_image_path(ctx, "", img);
    status = clean_emit_record_caption(ctx, id, image, col->split >= 0 ? mc_csv_field(c, (size_t)col->split) : NULL,
                                 group, f, caption);
    free(image);
    free(id);
    return status;
}

int clean_generic_run(clean_ctx *ctx, mc_csv *c, const char *path)
{
    columns col;
    size_t ncols = c->nfields;
    char **header;
    int status = 0;
    col.image = clean_csv_col(c, path, ctx->image_col, 1);
    col.caption = clean_csv_col(c, path, ctx->caption_col, 1);
    col.id = ctx->id_col ? clean_csv_col(c, path, ctx->id_col, 1) : -1;
    col.patient = ctx->patient_col ? clean_csv_col(c, path, ctx->patient_col, 1) : -1;
    col.split = clean_csv_col(c, path, "split", 0);
    if (col.image < 0 || col.caption < 0 || (ctx->id_col && col.id < 0) ||
        (ctx->patient_col && col.patient < 0))
        return MC_EXIT_INPUT;
    header = mc_calloc(ncols, sizeof *header);
    for (size_t i = 0; i < ncols; i++)
        header[i] = mc_strdup(mc_csv_field(c, i));
    while (status == 0 && clean_csv_next_row(ctx, c, path, ncols, &status) == 1)
        status = generic_row(ctx, c, path, &col, header);
    for (size_t i = 0; i < ncols; i++)
        free(header[i]);
    free(header);
    return status;
}
