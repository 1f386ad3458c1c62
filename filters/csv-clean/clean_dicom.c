/* clean_dicom.c - csv-clean --format dicom: a tree of DICOM files to one
 * record per image, from the headers alone (GDCM stops reading at the
 * pixel data).  A record holds id, image (the path under the folder, after
 * --image-prefix), split and the keys of io/dicom_record.h; nothing
 * identifying (see io/dicom.h).  The split is hashed from the keyed
 * patient ID with --salt, else from the study (case_id). */
#define _XOPEN_SOURCE 700
#include "clean.h"
#include "io/dicom.h"
#include "io/dicom_record.h"
#include "core/util.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The files found by the walk (nftw has no context argument). */
static struct {
    char **paths;
    size_t n, cap;
} found;

/* A candidate: a regular file named *.dcm, or without an extension (DICOM
 * files often have none); anything else in the tree is not looked at, nor
 * a DICOMDIR (an index of the tree, never an image). */
static int candidate(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const char *name = path + ftw->base, *dot = strrchr(name, '.');
    (void)st;
    if (type != FTW_F || name[0] == '.' || (dot && strcasecmp(dot, ".dcm") != 0) ||
        strncmp(name, "DICOMDIR", 8) == 0)
        return 0;
    if (found.n == found.cap) {
        found.cap = found.cap ? 2 * found.cap : 256;
        found.paths = mc_realloc(found.paths, found.cap * sizeof *found.paths);
    }
    found.paths[found.n++] = mc_strdup(path);
    return 0;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the file at path starts with the DICOM preamble, or is named
 * *.dcm (then it is read even without one). */
static int looks_dicom(const char *path)
{
    unsigned char head[132];
    size_t n = strlen(path), got;
    FILE *f;
    if (n > 4 && strcasecmp(path + n - 4, ".dcm") == 0)
        return 1;
    if (!(f = fopen(path, "rb")))
        return 0;
    got = fread(head, 1, sizeof head, f);
    fclose(f);
    return mc_dcm_sniff(head, got);
}

/* One file's record: path is under root (rel: the part after root).
 * Returns 0 or an exit status. */
static int one_file(clean_ctx *ctx, const char *path, const char *rel)
{
    mc_dcm *d;
    mc_dcm_info info;
    char err[256], *image;
    const cJSON *group;
    int status;
    cJSON *rec;
    ctx->rows++;
    clean_emit_at(ctx, path, 0);
    status = mc_dcm_open(path, 1, &d, &info, err, sizeof err);
    if (status == MC_EXIT_IO) {
        mc_err_at(path, 0, "%s", err);
        return status;
    }
    if (status != 0)
        return clean_emit_malformed(ctx, path, 0, err);
    mc_dcm_close(d);
    if (info.width < 1 || info.height < 1) { /* a report, a DICOMDIR, ...: no image */
        clean_emit_drop(ctx, DROP_NO_IMAGE);
        return 0;
    }
    if (!info.sop_uid[0])
        return clean_emit_malformed(ctx, path, 0, "DICOM image without a SOP Instance UID");
    rec = cJSON_CreateObject();
    if (!rec)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    mc_dcm_record(&info, rec, ctx->salt, ctx->characteristics);
    image = clean_emit_image_path(ctx, "", rel);
    cJSON_AddStringToObject(rec, "image", image);
    free(image);
    group = cJSON_GetObjectItemCaseSensitive(rec, ctx->salt ? "patient_id" : "case_id");
    if (!cJSON_IsString(group))
        group = cJSON_GetObjectItemCaseSensitive(rec, "id");
    return clean_emit_plain(ctx, rec, clean_split_assign(&ctx->split, group->valuestring));
}

int clean_dicom_run(clean_ctx *ctx, const char *path)
{
    size_t root = strlen(path);
    int status = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        mc_err_at(path, 0, "cannot open: no such file or folder");
        return MC_EXIT_IO;
    }
    if (!S_ISDIR(st.st_mode))
        return one_file(ctx, path, path);
    found.n = 0;
    if (nftw(path, candidate, 32, FTW_PHYS) != 0) {
        mc_err_at(path, 0, "cannot read the folder");
        status = MC_EXIT_IO;
    }
    qsort(found.paths, found.n, sizeof *found.paths, cmp_path);
    while (root > 1 && path[root - 1] == '/')
        root--;
    for (size_t i = 0; i < found.n && status == 0; i++)
        if (looks_dicom(found.paths[i]))
            status = one_file(ctx, found.paths[i], found.paths[i] + root + 1);
    for (size_t i = 0; i < found.n; i++)
        free(found.paths[i]);
    free(found.paths);
    found.paths = NULL;
    found.n = found.cap = 0;
    return status;
}
