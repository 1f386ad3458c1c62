/* clean_chexpert.c - CheXpert train.csv/valid.csv: a caption from the view, the
 * projection and the 14 observations (1.0 positive, 0.0 negative, blank
 * not mentioned, -1.0 uncertain under --uncertain). */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOBS 14
static const char *const observations[NOBS] = {
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity",
    "Lung Lesion", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
    "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture", "Support Devices",
};

/* The same names as they appear in captions and labels. */
static const char *const observation_labels[NOBS] = {
    "no finding", "enlarged cardiomediastinum", "cardiomegaly", "lung opacity",
    "lung lesion", "edema", "consolidation", "pneumonia", "atelectasis",
    "pneumothorax", "pleural effusion", "pleural other", "fracture", "support devices",
};

static const clean_part parts[] = {
    {"modality", "modality"}, {"frontal/lateral", "view"}, {"ap/pa", "projection"}, {"sex", "sex"},
    {"age", "age"}, {"diagnosis", "diagnosis"}, {NULL, NULL},
};
static const char default_template[] = "modality,frontal/lateral,ap/pa,diagnosis";

/* Decode one observation cell: 1, 0, -1, or 2 for blank; -2 if invalid. */
static int label_value(const char *s)
{
    if (!*s)
        return 2;
    if (strcmp(s, "1.0") == 0 || strcmp(s, "1") == 0)
        return 1;
    if (strcmp(s, "0.0") == 0 || strcmp(s, "0") == 0)
        return 0;
    if (strcmp(s, "-1.0") == 0 || strcmp(s, "-1") == 0)
        return -1;
    return -2;
}

/* Find the patient folder in a CheXpert path (".../train/patient00001/
 * study1/view1_frontal.jpg"): sets *split (the folder before it, "" if
 * none) and returns a pointer to "patient...", or NULL. */
static const char *patient_part(const char *path, char *split, size_t splitlen)
{
    const char *p = path, *prev = NULL;
    while (p) {
        if (strncmp(p, "patient", 7) == 0) {
            size_t n = prev ? (size_t)(p - 1 - prev) : 0;
            snprintf(split, splitlen, "%.*s", (int)(n < splitlen ? n : splitlen - 1), prev ? prev : "");
            return strchr(p, '/') ? p : NULL;
        }
        prev = p;
        p = strchr(p, '/');
        if (p)
            p++;
    }
    return NULL;
}

/* The data set's split name for a CheXpert folder ("valid" is dev). */
static const char *own_split(const char *folder)
{
    if (strcmp(folder, "train") == 0)
        return "train";
    if (strcmp(folder, "valid") == 0)
        return "dev";
    if (strcmp(folder, "test") == 0)
        return "test";
    return NULL;
}

/* Lower-cased copy of s into a cJSON string item of o under key. */
static void add_lower(cJSON *o, const char *key, const char *s)
{
    char *t = clean_text_normalise(s);
    clean_emit_add_str(o, key, t);
    free(t);
}

/* Column positions of a CheXpert header (-1: absent). */
typedef struct {
    long path, sex, age, view, proj, obs[NOBS];
} columns;

/* Turn the current row into a record (or a drop).  Returns 0 or an exit
 * status. */
static int chexpert_row(clean_ctx *ctx, const mc_csv *c, const char *path, const columns *col)
{
    const char *img = mc_csv_field(c, (size_t)col->path), *patient, *dot;
    char folder[32], id[512], patient_id[64], what[160], *image, *diag;
    size_t dlen = 0;
    int val[NOBS], status;
    cJSON *f, *labels, *uncertain;
    long age;
    if (!*img) {
        clean_emit_drop(ctx, DROP_NO_IMAGE);
        return 0;
    }
    patient = patient_part(img, folder, sizeof folder);
    if (!patient || strcspn(patient, "/") >= sizeof patient_id || strlen(patient) >= sizeof id)
        return clean_emit_malformed(ctx, path, c->rec_line, "Path has no patientNNNNN/ folder");
    for (int i = 0; i < NOBS; i++) {
        const char *cell = mc_csv_field(c, (size_t)col->obs[i]);
        val[i] = label_value(cell);
        if (val[i] == -2) {
            snprintf(what, sizeof what, "%s is '%.40s', not 1.0, 0.0, -1.0 or blank",
                     observations[i], cell);
            return clean_emit_malformed(ctx, path, c->rec_line, what);
        }
    }
    snprintf(patient_id, sizeof patient_id, "%.*s", (int)strcspn(patient, "/"), patient);
    dot = strrchr(patient, '.');
    snprintf(id, sizeof id, "%.*s", (int)(dot && !strchr(dot, '/') ? dot - patient : (long)strlen(patient)), patient);
    f = cJSON_CreateObject();
    labels = cJSON_CreateArray();
    uncertain = cJSON_CreateArray();
    if (!f || !labels || !uncertain)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    diag = mc_malloc(512);
    diag[0] = '\0';
    for (int i = 1; i < NOBS; i++) {
        int v = val[i] != -1 ? val[i] : ctx->uncertain == UNC_POSITIVE ? 1
                                      : ctx->uncertain == UNC_NEGATIVE ? 0 : 2;
        const char *name = observation_labels[i];
        if (v == 1) {
            cJSON_AddItemToArray(labels, cJSON_CreateString(name));
            dlen += (size_t)sprintf(diag + dlen, "%s%s", dlen ? ", " : "", name);
        }
        if (val[i] == -1)
            cJSON_AddItemToArray(uncertain, cJSON_CreateString(name));
    }
    if (dlen == 0) {
        cJSON_AddItemToArray(labels, cJSON_CreateString("no finding"));
        strcpy(diag, "no finding");
    }
    clean_emit_add_str(f, "modality", "xr");
    if (col->view >= 0)
        add_lower(f, "view", mc_csv_field(c, (size_t)col->view));
    if (col->proj >= 0)
        add_lower(f, "projection", mc_csv_field(c, (size_t)col->proj));
    clean_emit_add_str(f, "diagnosis", diag);
    cJSON_AddItemToObject(f, "labels", labels);
    cJSON_AddItemToObject(f, "uncertain", uncertain);
    clean_emit_add_str(f, "patient_id", patient_id);
    if (col->sex >= 0)
        clean_emit_add_str(f, "sex", clean_text_sex(mc_csv_field(c, (size_t)col->sex)));
    if (col->age >= 0 && clean_text_age(mc_csv_field(c, (size_t)col->age), &age) == 0)
        cJSON_AddNumberToObject(f, "age", (double)age);
    image = clean_emit_image_path(ctx, "", img);
    status = clean_emit_record(ctx, id, image, own_split(folder), patient_id, f, parts, default_template);
    free(image);
    free(diag);
    return status;
}

int clean_chexpert_run(clean_ctx *ctx, mc_csv *c, const char *path)
{
    columns col;
    size_t ncols = c->nfields;
    int status = 0;
    col.path = clean_csv_col(c, path, "Path", 1);
    col.sex = clean_csv_col(c, path, "Sex", 0);
    col.age = clean_csv_col(c, path, "Age", 0);
    col.view = clean_csv_col(c, path, "Frontal/Lateral", 0);
    col.proj = clean_csv_col(c, path, "AP/PA", 0);
    if (col.path < 0)
        return MC_EXIT_INPUT;
    for (int i = 0; i < NOBS; i++)
        if ((col.obs[i] = clean_csv_col(c, path, observations[i], 1)) < 0)
            return MC_EXIT_INPUT;
    clean_emit_check_template(ctx, parts, "chexpert");
    while (status == 0 && clean_csv_next_row(ctx, c, path, ncols, &status) == 1)
        status = chexpert_row(ctx, c, path, &col);
    return status;
}
