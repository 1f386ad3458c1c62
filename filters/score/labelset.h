/* labelset.h - the clinical labels of a caption or a reference
 * record, for scoring any set of findings (not only the 14 CheXpert
 * observations), e.g. the COVID-19 chest X-ray collection's
 * "diagnosis: covid-19, ards".
 *
 * A caption's labels are the items of the comma-separated list after its
 * last "diagnosis:" (any case), up to ";" "|" or a new line.  A reference
 * record's "labels" array of strings, when present, wins over its text
 * (the first reference).  Each label is trimmed, lower-cased (ASCII), its
 * inner white space collapsed and one final "." dropped; empty labels are
 * dropped and repeats count once.
 */
#ifndef MEDCAP_SCORE_LABELSET_H
#define MEDCAP_SCORE_LABELSET_H

#include "core/intern.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* One caption's labels: ids[off .. off+n) of the store, sorted, distinct. */
typedef struct {
    size_t off;
    uint32_t n;
    uint8_t present; /* 1: a "labels" array or "diagnosis:" was found */
} sc_labelset;

/* Every label set of a corpus, with the label names. */
typedef struct {
    mc_intern names; /* keys include their final NUL */
    uint32_t *ids;
    size_t nids, cap;
    long arrays; /* reference records that carried a "labels" array */
} sc_labelstore;

/* An empty store. */
void sc_labelstore_init(sc_labelstore *s);
void sc_labelstore_free(sc_labelstore *s);

/* The labels of caption text (NUL-terminated) into *out. */
void sc_labels_from_text(sc_labelstore *s, const char *text, sc_labelset *out);
/* The labels of a reference record rec whose first reference is text: its
 * "labels" array when it has one, else those of text.  Returns 0, or -1
 * after printing "name:line: ..." when "labels" is not a list of strings
 * (nothing is stored then). */
int sc_labels_of_ref(sc_labelstore *s, const cJSON *rec, const char *text, const char *name,
                     long line, sc_labelset *out);
/* The name of label id (NUL-terminated; valid until the store grows). */
const char *sc_label_name(const sc_labelstore *s, uint32_t id);

#endif
