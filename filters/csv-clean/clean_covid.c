/* clean_covid.c - the COVID-19 image data collection's metadata.csv: a caption
 * from the modality, the view and the finding; split by patient. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const clean_part parts[] = {
    {"modality", "modality"}, {"frontal/lateral", "view"}, {"ap/pa", "projection"},
    {"plane", "plane"}, {"sex", "sex"}, {"age", "age"}, {"diagnosis", "diagnosis"},
    {"notes", "clinical_notes"}, {NULL, NULL},
};
static const char default_template[] = "modality,frontal/lateral,ap/pa,plane,diagnosis";

typedef struct {
    long patient, finding, view, modality, folder, filename, sex, age, notes, license, url;
} columns;

/* "ct", "xr" or NULL for the collection's modality column. */
static const char *modality_of(const char *m)
{
    if (strcmp(m, "x-ray") == 0 || strcmp(m, "xr") == 0)
        return "xr";
    if (strcmp(m, "ct") == 0)
        return "ct";
    if (strcmp(m, "mri") == 0 || strcmp(m, "mr") == 0)
        return "mr";
    return NULL;
}

/* Add the view keys: X-ray "L" is lateral, any other view is frontal with
 * that projection ("pa", "ap supine"); CT views are planes. */
static void add_view(cJSON *f, const char *modality, const char *view)
{
    if (!*view)
        return;
    if (strcmp(modality, "xr") != 0) {
        clean_emit_add_str(f, "plane", view);
    } else if (strcmp(view, "l") == 0 || strcmp(view, "lateral") == 0) {
        clean_emit_add_str(f, "view", "lateral");
    } else {
        clean_emit_add_str(f, "view", "frontal");
        clean_emit_add_str(f, "projection", view);
    }
}

/* The findings of "COVID-19, ARDS" or "Pneumonia/Viral" as a labels array
 * (normalised text) and their ", "-joined string (malloc'd). */
static char *split_findings(const char *finding, cJSON *labels)
{
    char *diag = mc_malloc(strlen(finding) * 2 + 1);
    size_t dlen = 0;
    const char *p = finding;
    diag[0] = '\0';
    while (*p) {
        size_t len = strcspn(p, ",/");
        while (*p == ' ' && len > 0)
            p++, len--;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len) {
            char *label = mc_malloc(len + 1);
            memcpy(label, p, len);
            label[len] = '\0';
            cJSON_AddItemToArray(labels, cJSON_CreateString(label));
            dlen += (size_t)sprintf(diag + dlen, "%s%s", dlen ? ", " : "", label);
            free(label);
        }
        p += strcspn(p, ",/");
        p += *p != '\0';
    }
    return diag;
}

/* Normalised copy of field i (or "" when the column is absent). */
static char *norm(const mc_csv *c, long i)
{
    return clean_text_normalise(i >= 0 ? mc_csv_field(c, (size_t)i) : "");
}

/* Turn the current row into a record (or a drop); 0 or an exit status. */
static int covid_row(clean_ctx *ctx, const mc_csv *c, const char *path, const columns *col)
{
    const char *file = mc_csv_field(c, (size_t)col->filename);
    const char *patient = mc_csv_field(c, (size_t)col->patient);
    char *finding = norm(c, col->finding), *mod_raw = norm(c, col->modality), *view, *s;
    char *diag;
    const char *modality = modality_of(mod_raw);
    cJSON *f, *labels;
    long age;
    int status;
    if (!*file || !modality || !*finding) {
        clean_emit_drop(ctx, !*file ? DROP_NO_IMAGE : !modality ? DROP_MODALITY : DROP_NO_CAPTION);
        free(finding);
        free(mod_raw);
        return 0;
    }
    if (!*patient) {
        free(finding);
        free(mod_raw);
        return clean_emit_malformed(ctx, path, c->rec_line, "empty patientid");
    }
    f = cJSON_CreateObject();
    labels = cJSON_CreateArray();
    if (!f || !labels)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    diag = split_findings(finding, labels);
    clean_emit_add_str(f, "modality", modality);
    clean_emit_add_str(f, "modality_detail", mc_csv_field(c, (size_t)col->modality));
    view = norm(c, col->view);
    add_view(f, modality, view);
    free(view);
    clean_emit_add_str(f, "diagnosis", diag);
    cJSON_AddItemToObject(f, "labels", labels);
    clean_emit_add_str(f, "finding", mc_csv_field(c, (size_t)col->finding));
    clean_emit_add_str(f, "patient_id", patient);
    if (col->sex >= 0)
        clean_emit_add_str(f, "sex", clean_text_sex(mc_csv_field(c, (size_t)col->sex)));
    if (col->age >= 0 && clean_text_age(mc_csv_field(c, (size_t)col->age), &age) == 0)
        cJSON_AddNumberToObject(f, "age", (double)age);
    s = norm(c, col->notes);
    clean_emit_add_str(f, "clinical_notes", s);
    free(s);
    if (col->license >= 0)
        clean_emit_add_str(f, "license", mc_csv_field(c, (size_t)col->license));
    if (col->url >= 0)
        clean_emit_add_str(f, "url", mc_csv_field(c, (size_t)col->url));
    status = clean_emit_file_record(ctx, col->folder >= 0 ? mc_csv_field(c, (size_t)col->folder) : "",
                                    file, patient, f, parts, default_template);
    free(diag);
    free(finding);
    free(mod_raw);
    return status;
}

int clean_covid_run(clean_ctx *ctx, mc_csv *c, const char *path)
{
    columns col;
    size_t ncols = c->nfields;
    int status = 0;
    col.patient = clean_csv_col(c, path, "patientid", 1);
    col.finding = clean_csv_col(c, path, "finding", 1);
    col.filename = clean_csv_col(c, path, "filename", 1);
    col.modality = clean_csv_col(c, path, "modality", 1);
    col.view = clean_csv_col(c, path, "view", 0);
    col.folder = clean_csv_col(c, path, "folder", 0);
    col.sex = clean_csv_col(c, path, "sex", 0);
    col.age = clean_csv_col(c, path, "age", 0);
    col.notes = clean_csv_col(c, path, "clinical_notes", 0);
    col.license = clean_csv_col(c, path, "license", 0);
    col.url = clean_csv_col(c, path, "url", 0);
    if (col.patient < 0 || col.finding < 0 || col.filename < 0 || col.modality < 0)
        return MC_EXIT_INPUT;
    clean_emit_check_template(ctx, parts, "covid");
    while (status == 0 && clean_csv_next_row(ctx, c, path, ncols, &status) == 1)
        status = covid_row(ctx, c, path, &col);
    return status;
}
