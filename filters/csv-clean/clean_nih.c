/* clean_nih.c - NIH ChestX-ray14 Data_Entry_2017*.csv: a caption from the view
 * position and the '|'-joined finding labels; split by patient. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const clean_part parts[] = {
    {"modality", "modality"}, {"frontal/lateral", "view"}, {"ap/pa", "projection"}, {"sex", "sex"},
    {"age", "age"}, {"diagnosis", "diagnosis"}, {NULL, NULL},
};
static const char default_template[] = "modality,frontal/lateral,ap/pa,diagnosis";

typedef struct {
    long image, labels, patient, age, sex, view, followup;
} columns;

/* Turn the current row into a record (or a drop); 0 or an exit status. */
static int nih_row(clean_ctx *ctx, const mc_csv *c, const char *path, const columns *col)
{
    const char *img = mc_csv_field(c, (size_t)col->image);
    const char *patient = mc_csv_field(c, (size_t)col->patient);
    char *found = clean_text_normalise(mc_csv_field(c, (size_t)col->labels)), *p;
    char *diag = mc_malloc(strlen(found) * 2 + 1);
    size_t dlen = 0;
    cJSON *f = cJSON_CreateObject(), *labels = cJSON_CreateArray();
    long n;
    if (!f || !labels)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    diag[0] = '\0';
    for (p = found; *p;) {
        size_t len = strcspn(p, "|");
        char *label = mc_malloc(len + 1);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        memcpy(label, p, len);
        label[len] = '\0';
        if (len) {
            cJSON_AddItemToArray(labels, cJSON_CreateString(label));
            dlen += (size_t)sprintf(diag + dlen, "%s%s", dlen ? ", " : "", label);
        }
        free(label);
        p += strcspn(p, "|");
        p += *p == '|';
        p += *p == ' ';
    }
    free(found);
    if (!*img || !*patient || dlen == 0) {
        free(diag);
        cJSON_Delete(f);
        cJSON_Delete(labels);
        if (!*patient)
            return clean_emit_malformed(ctx, path, c->rec_line, "empty Patient ID");
        clean_emit_drop(ctx, *img ? DROP_NO_CAPTION : DROP_NO_IMAGE);
        return 0;
    }
    clean_emit_add_str(f, "modality", "xr");
    clean_emit_add_str(f, "view", "frontal");
    if (col->view >= 0) {
        char *v = clean_text_normalise(mc_csv_field(c, (size_t)col->view));
        clean_emit_add_str(f, "projection", v);
        free(v);
    }
    clean_emit_add_str(f, "diagnosis", diag);
    free(diag);
    cJSON_AddItemToObject(f, "labels", labels);
    clean_emit_add_str(f, "patient_id", patient);
    if (col->sex >= 0)
        clean_emit_add_str(f, "sex", clean_text_sex(mc_csv_field(c, (size_t)col->sex)));
    if (col->age >= 0 && clean_text_age(mc_csv_field(c, (size_t)col->age), &n) == 0)
        cJSON_AddNumberToObject(f, "age", (double)n);
    if (col->followup >= 0 && mc_parse_long(mc_csv_field(c, (size_t)col->followup), 0, 1000000, &n) == 0)
        cJSON_AddNumberToObject(f, "follow_up", (double)n);
    return clean_emit_file_record(ctx, "", img, patient, f, parts, default_template);
}

int clean_nih_run(clean_ctx *ctx, mc_csv *c, const char *path)
{
    columns col;
    size_t ncols = c->nfields;
    int status = 0;
    col.image = clean_csv_col(c, path, "Image Index", 1);
    col.labels = clean_csv_col(c, path, "Finding Labels", 1);
    col.patient = clean_csv_col(c, path, "Patient ID", 1);
    col.age = clean_csv_col(c, path, "Patient Age", 0);
    col.sex = clean_csv_col(c, path, "Patient Gender", 0);
    col.view = clean_csv_col(c, path, "View Position", 0);
    col.followup = clean_csv_col(c, path, "Follow-up #", 0);
    if (col.image < 0 || col.labels < 0 || col.patient < 0)
        return MC_EXIT_INPUT;
    clean_emit_check_template(ctx, parts, "nih");
    while (status == 0 && clean_csv_next_row(ctx, c, path, ncols, &status) == 1)
        status = nih_row(ctx, c, path, &col);
    return status;
}
