/* ndjson.h - reading and writing newline-delimited JSON records.
 *
 * A record is one JSON object per line with a string "id".  Readers keep
 * the line number for messages; writers print compact JSON and a newline,
 * preserving every key of the input record (unknown keys pass through).
 */
#ifndef MEDCAP_NDJSON_H
#define MEDCAP_NDJSON_H

#include <stdio.h>
#include <cjson/cJSON.h>

typedef struct {
    FILE *f;
    const char *name; /* file name for messages ("-" for stdin) */
    long line;        /* number of the line last read (1-based) */
    char *buf;
    size_t cap;
} mc_lines;

/* Start reading lines from f (named name in messages). */
void mc_lines_init(mc_lines *r, FILE *f, const char *name);
/* Read the next line without its newline (and a trailing CR).  Returns its
 * length, or -1 at end of input.  The buffer is reused by the next call. */
long mc_lines_next(mc_lines *r, char **line);
void mc_lines_free(mc_lines *r);

/* Parse one NDJSON line into a JSON object with a string "id" (an id that
 * is a whole number, as COCO's "id": 1, becomes its decimal string: see
 * mc_record_norm_id).  On error prints "prog: name:line: what" and returns
 * NULL.  Blank lines are not records: callers skip them before calling. */
cJSON *mc_record_parse(const char *text, const char *name, long line);

/* 1 when text[0..len) nests arrays and objects deeper than cJSON parses
 * (CJSON_NESTING_LIMIT levels), counting brackets outside strings; else 0.
 * For messages: such text is "nested too deep", not malformed. */
int mc_json_too_deep(const char *text, size_t len);

/* Print a record as one compact line to f; returns 0 or -1 on error. */
int mc_record_write(FILE *f, const cJSON *rec);

/* The record's "id" string, or NULL. */
const char *mc_record_id(const cJSON *rec);

/* Make rec's "id" a string: a JSON number that is a whole number (at most
 * 2^53 in size) is replaced by its decimal string ("id": 7 -> "7"), so that
 * integer ids read, join and print as the string ids do.  Returns the id
 * string when it is a non-empty string now, else NULL (no id, an empty
 * one, a fraction, another type; rec is then left as it was).  Every
 * reader of records calls this, through mc_record_parse or
 * mc_frame_record. */
const char *mc_record_norm_id(cJSON *rec);

/* 1 if line holds only whitespace. */
int mc_blank(const char *line);

#endif
