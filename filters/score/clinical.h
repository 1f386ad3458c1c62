/* clinical.h - the structured content of a caption: CheXpert labels and
 * MedPix fields.
 *
 * CheXpert style: the labels follow "diagnosis:" (any case; the last one
 * counts), separated by "," ";" "." or new lines; each piece, trimmed and
 * lower-cased with inner white space collapsed, must equal one of the 14
 * CheXpert observation names (sc_chexpert_label).  Other pieces are counted
 * as unrecognised.
 * MedPix style: "modality:", "plane:" and "category:" (any case) each take
 * the text up to the next ";" "|" new line or the next such key; the value
 * is compared trimmed, lower-cased, white space collapsed, without a final ".".
 */
#ifndef MEDCAP_SCORE_CLINICAL_H
#define MEDCAP_SCORE_CLINICAL_H

#include "core/intern.h"

#include <stdint.h>

#define SC_CHEXPERT_LABELS 14
enum { SC_FIELD_MODALITY, SC_FIELD_PLANE, SC_FIELD_CATEGORY, SC_FIELDS };

typedef struct {
    uint16_t labels;           /* bit i: CheXpert label i is present */
    uint8_t has_diagnosis;     /* 1 if "diagnosis:" occurs */
    uint32_t unrecognised;     /* pieces after "diagnosis:" that are no label */
    uint32_t field[SC_FIELDS]; /* value ids in the values table, UINT32_MAX = absent */
} sc_clinical;

/* Name of CheXpert label i (0 <= i < SC_CHEXPERT_LABELS), as in the CheXpert table. */
const char *sc_chexpert_label(int i);
/* Name of MedPix field f ("modality", "plane", "category"). */
const char *sc_field_name(int f);

/* Parse text (NUL-terminated) into *out; field values are interned in values. */
void sc_clinical_parse(const char *text, mc_intern *values, sc_clinical *out);

#endif
