/* dicom_record.c - record keys from DICOM attributes (see dicom_record.h). */
#include "io/dicom_record.h"

#include <ctype.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *mc_dcm_plane(const double o[6])
{
    double n[3] = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
    double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    static const char *const names[3] = {"sagittal", "coronal", "axial"}; /* normal along x, y, z */
    int best = 0;
    if (!(len > 0))
        return "oblique";
    for (int i = 1; i < 3; i++)
        if (fabs(n[i]) > fabs(n[best]))
            best = i;
    return fabs(n[best]) / len >= 0.8 ? names[best] : "oblique";
}

/* Add key = text unless rec has key or text is empty. */
static void add(cJSON *rec, const char *key, const char *text)
{
    if (text[0] && !cJSON_HasObjectItem(rec, key))
        cJSON_AddStringToObject(rec, key, text);
}

/* Add key = prefix + 16 hex digits of HMAC-SHA256(salt, value) unless rec
 * has key or value is empty. */
static void add_hash(cJSON *rec, const char *key, const char *prefix, const char *salt,
                     const char *value)
{
    char out[48];
    gchar *hex;
    if (!value[0] || cJSON_HasObjectItem(rec, key))
        return;
    hex = g_compute_hmac_for_string(G_CHECKSUM_SHA256, (const guchar *)(salt ? salt : ""),
                                    salt ? strlen(salt) : 0, value, -1);
    snprintf(out, sizeof out, "%s%.16s", prefix, hex);
    g_free(hex);
    cJSON_AddStringToObject(rec, key, out);
}

/* s in lower case into out (n bytes). */
static void lower(char *out, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

void mc_dcm_record(const mc_dcm_info *info, cJSON *rec, const char *salt, int characteristics)
{
    char buf[80];
    add_hash(rec, "id", "dcm-", salt, info->sop_uid);
    add_hash(rec, "case_id", "dcm-", salt, info->study_uid);
    if (salt)
        add_hash(rec, "patient_id", "pt-", salt, info->patient_id);
    if (!strcmp(info->modality, "CR") || !strcmp(info->modality, "DX") || !strcmp(info->modality, "RG"))
        add(rec, "modality", "xr");
    else {
        lower(buf, sizeof buf, info->modality);
        add(rec, "modality", buf);
    }
    if (info->has_orientation)
        add(rec, "plane", mc_dcm_plane(info->orientation));
    if (!strcmp(info->view, "LL") || !strcmp(info->view, "RL") || !strcmp(info->view, "LAT") ||
        !strcmp(info->view, "LATERAL"))
        add(rec, "view", "lateral");
    else {
        lower(buf, sizeof buf, info->view);
        add(rec, "view", buf);
    }
    lower(buf, sizeof buf, info->body_part);
    add(rec, "body_part", buf);
    lower(buf, sizeof buf, info->laterality);
    add(rec, "laterality", buf);
    if (info->height > 0 && !cJSON_HasObjectItem(rec, "rows"))
        cJSON_AddNumberToObject(rec, "rows", info->height);
    if (info->width > 0 && !cJSON_HasObjectItem(rec, "columns"))
        cJSON_AddNumberToObject(rec, "columns", info->width);
    if (info->has_spacing && !cJSON_HasObjectItem(rec, "pixel_spacing")) {
        double sp[2] = {info->spacing[0], info->spacing[1]};
        cJSON_AddItemToObject(rec, "pixel_spacing", cJSON_CreateDoubleArray(sp, 2));
    }
    if (!characteristics)
        return;
    add(rec, "sex", info->sex);
    if (info->age >= 0 && !cJSON_HasObjectItem(rec, "age"))
        cJSON_AddNumberToObject(rec, "age", info->age);
}
