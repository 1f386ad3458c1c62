/* records.h - the items of a report: the run's records, merged by id from
 * every input file, checked, and joined with the references (--refs) and
 * the per-item scores (--per-item) of the same ids.
 *
 * All records are held in memory (the summary and the sorting need every
 * item).  An rp_run owns its items and their JSON; functions print their
 * own messages ("prog: file:line: what").
 */
#ifndef RP_RECORDS_H
#define RP_RECORDS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "core/strtab.h"

typedef struct {
    cJSON *rec;     /* the merged record */
    cJSON *refs;    /* the reference captions: an array of strings, maybe empty */
    cJSON *scores;  /* numbers of its --per-item record, or NULL */
    int bad;        /* 1: left out (a bad record under --keep-going) */
    int thumb;      /* its image's thumbnail job, -1 for none */
    int *nb_thumb;  /* per neighbour, its thumbnail job or -1 (NULL: no neighbours) */
    int natt, gh, gw; /* attention maps, grid rows and columns; 0 none */
    int aligned;      /* 1: one map per caption token, in order (else the caption lost some, e.g. <unk>) */
} rp_item;

typedef struct {
    rp_item *item;
    size_t n, cap;
    mc_strtab ids;   /* id -> item number */
    long skipped;    /* bad records left out (--keep-going) */
    int keep_going;
} rp_run;

/* An empty run; keep_going: bad records are reported and left out. */
void rp_run_init(rp_run *r, int keep_going);
/* Free the items and their JSON. */
void rp_run_free(rp_run *r);

/* Read the NDJSON records of path ("-": stdin) into r; a record whose id
 * is already there is merged into it (its keys replace those of the same
 * name).  A line that is no record is an error (MC_EXIT_INPUT), or with
 * keep_going reported, counted and skipped.  Frames instead of text are
 * refused.  Returns 0 or an exit status. */
int rp_run_read(rp_run *r, const char *path);

/* Check every item's keys the page draws ("caption", "reference", "image",
 * "attention" as grids of one shape, "fields", "neighbors"); a bad
 * one is an error, or with keep_going reported and left out.  Then set each
 * item's references: those of --refs (refs_path, may be NULL; its
 * "references" list, else "reference", else "caption") when it has the id,
 * else the record's own "reference".  Returns 0 or an exit status. */
int rp_run_check(rp_run *r, const char *refs_path);

/* Join the records of medcap-score --per-item (path) by id: each item of
 * the run with that id gets its numbers as scores.  Returns 0 or an exit
 * status. */
int rp_run_join_scores(rp_run *r, const char *path);

/* The string value of key in rec, or NULL. */
const char *rp_str(const cJSON *rec, const char *key);

/* The value of caption field name ("modality", "plane", ...) that item's
 * caption predicts: its "fields" entry's value, else the text after
 * "NAME:" in the caption up to , ; | or the end.  The true value: the
 * record's own key NAME, else the same text of the first reference.
 * Both lower-cased and trimmed into buf (size n); NULL when absent. */
const char *rp_field_pred(const rp_item *it, const char *name, char *buf, size_t n);
const char *rp_field_true(const rp_item *it, const char *name, char *buf, size_t n);

#endif
