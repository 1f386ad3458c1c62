/* clinical.c - CheXpert labels and MedPix fields found in a caption. */
#define _POSIX_C_SOURCE 200809L
#include "clinical.h"
#include "text.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const labels[SC_CHEXPERT_LABELS] = {
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity",
    "Lung Lesion", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
    "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture", "Support Devices",
};
static const char *const fields[SC_FIELDS] = {"modality", "plane", "category"};

const char *sc_chexpert_label(int i) { return labels[i]; }
const char *sc_field_name(int f) { return fields[f]; }

/* Case-insensitive search for key (lower-case ASCII) in s; NULL if absent. */
static const char *find_ci(const char *s, const char *key)
{
    size_t n = strlen(key);
    for (; *s; s++)
        if ((*s | 0x20) == key[0] && strncasecmp(s, key, n) == 0)
            return s;
    return NULL;
}

/* Read the labels listed in list[0..n) (the text after "diagnosis:") into *out. */
static void parse_labels(const char *list, size_t n, sc_clinical *out)
{
    char *buf = mc_malloc(n + 1);
    const char *p = list, *end = list + n;
    while (p < end) {
        size_t m = strcspn(p, ",;.\n");
        if (m > (size_t)(end - p))
            m = (size_t)(end - p);
        size_t k = sc_normalise_label(p, m, buf);
        if (k > 0) {
            int found = 0;
            for (int i = 0; i < SC_CHEXPERT_LABELS; i++)
                if (strcasecmp(buf, labels[i]) == 0) {
                    out->labels |= (uint16_t)(1u << i);
                    found = 1;
                }
            if (!found)
                out->unrecognised++;
        }
        p += m;
        if (p < end)
            p++;
    }
    free(buf);
}

/* Start of the earliest MedPix key (or "diagnosis:") in s, or the end of s. */
static const char *next_key(const char *s)
{
    const char *best = s + strlen(s), *d = find_ci(s, "diagnosis:");
    if (d)
        best = d;
    for (int f = 0; f < SC_FIELDS; f++) {
        char key[32];
        const char *at;
        snprintf(key, sizeof key, "%s:", fields[f]);
        at = find_ci(s, key);
        if (at && at < best)
            best = at;
    }
    return best;
}

/* End of the field value starting at v: the comma before the next
 * comma-separated part that holds a colon (the next "key: value", whatever
 * its key, e.g. "frontal/lateral:" or "diagnosis:"), or the end of v.
 * "neoplasm, benign, diagnosis: ..." gives "neoplasm, benign". */
static const char *value_end(const char *v)
{
    const char *comma = v;
    while ((comma = strchr(comma, ',')) != NULL) {
        size_t part = strcspn(comma + 1, ",");
        if (memchr(comma + 1, ':', part))
            return comma;
        comma++;
    }
    return v + strlen(v);
}

void sc_clinical_parse(const char *text, mc_intern *values, sc_clinical *out)
{
    const char *d = NULL, *at;
    memset(out, 0, sizeof *out);
    for (at = text; (at = find_ci(at, "diagnosis:")) != NULL; at++)
        d = at;
    if (d) {
        out->has_diagnosis = 1;
        const char *list = d + strlen("diagnosis:");
        parse_labels(list, (size_t)(next_key(list) - list), out);
    }
    for (int f = 0; f < SC_FIELDS; f++) {
        char key[32];
        out->field[f] = UINT32_MAX;
        snprintf(key, sizeof key, "%s:", fields[f]);
        at = find_ci(text, key);
        if (at) {
            const char *v = at + strlen(key), *end = value_end(v);
            size_t m = strcspn(v, ";|\n");
            char *buf;
            size_t k;
            if ((size_t)(end - v) < m)
                m = (size_t)(end - v);
            while (m > 0 && (v[m - 1] == ',' || v[m - 1] == ' '))
                m--; /* the separator before the next key */
            buf = mc_malloc(m + 1);
            k = sc_normalise_label(v, m, buf);
            out->field[f] = mc_intern_get(values, buf, k, NULL);
            free(buf);
        }
    }
}
