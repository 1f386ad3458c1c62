/* casekb.h - a case knowledge base: what a medical case database knows
 * about each case (title, diagnosis, category, findings, differential
 * diagnosis, disease discussion), read from NDJSON keyed by case id.
 *
 * Each field is the first non-empty string among these paths:
 *   title         Case.Title, Topic.Title, title
 *   diagnosis     Case."Case Diagnosis", diagnosis
 *   category      Topic.Category, category
 *   findings      Case.Findings, findings
 *   differential  Case."Differential Diagnosis", differential_diagnosis
 *   discussion    Topic."Disease Discussion", Case.Discussion, discussion
 * so a MedPix 2.0 data_*.jsonl file (key U_id) and a flat file both work.
 * White space runs become one space; findings, differential and discussion
 * are cut to an excerpt at a word boundary, ending in "...".
 */
#ifndef MEDCAP_CASEKB_H
#define MEDCAP_CASEKB_H

#include <stddef.h>
#include "core/strtab.h"

enum { MC_KB_TITLE, MC_KB_DIAGNOSIS, MC_KB_CATEGORY, MC_KB_FINDINGS,
       MC_KB_DIFFERENTIAL, MC_KB_DISCUSSION, MC_KB_NFIELDS };

/* The output key of each field: "title", ..., "differential_diagnosis", "discussion". */
extern const char *const rt_kb_field_name[MC_KB_NFIELDS];

typedef struct {
    char *field[MC_KB_NFIELDS]; /* NULL where the case has none */
} rt_case_knowledge;

typedef struct {
    mc_strtab keys;         /* case ids, numbered in file order */
    rt_case_knowledge *kn;  /* (keys.n) */
} rt_casekb;

/* Read path, keyed by the string field key of each line.  Long fields are
 * cut to excerpt bytes.  Blank lines are skipped; a later line with a key
 * already read is ignored.  Returns 0, or MC_EXIT_IO / MC_EXIT_INPUT after
 * printing "prog: path:line: what". */
int rt_casekb_load(rt_casekb *kb, const char *path, const char *key, size_t excerpt);
/* The knowledge of case_id, or NULL when the file has no such case. */
const rt_case_knowledge *rt_casekb_find(const rt_casekb *kb, const char *case_id);
void rt_casekb_free(rt_casekb *kb);

/* Copy of text with white space runs made one space and trimmed, cut to at
 * most max bytes at a word (and UTF-8 character) boundary with "..."
 * appended when cut; max 0 means no limit. */
char *rt_kb_clean_text(const char *text, size_t max);

#endif
