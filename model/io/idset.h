/* idset.h - the record ids seen in one stream, so that a program can refuse
 * a repeated id and name both places: "FILE:LINE: duplicate id 'X' (first
 * on line N)".  Each id is kept once, in the intern table's arena, with the
 * file and line where it first came; not thread-safe (one reader thread).
 */
#ifndef MEDCAP_IDSET_H
#define MEDCAP_IDSET_H

#include "core/intern.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    mc_intern ids;   /* id -> number */
    mc_intern files; /* file names, each with its NUL */
    uint32_t *file;  /* per id number: the number of its first file */
    long *line;      /* per id number: its first line (0: none) */
    size_t cap;      /* room in file and line */
} mc_idset;

/* An empty set. */
void mc_idset_init(mc_idset *s);
/* Release everything the set holds. */
void mc_idset_free(mc_idset *s);
/* Add id, seen at file:line (line <= 0: the file has no lines, e.g. an
 * image of a walked folder).  Returns 1 for a new id; for one seen before
 * prints "prog: FILE[:LINE]: duplicate id 'ID' (first on line N)" ("...
 * on line N of FIRST", "... in FIRST" when the first was in another file
 * or had no line) followed by note (may be NULL or "", e.g. " (skipped)") and returns 0. */
int mc_idset_add(mc_idset *s, const char *id, const char *file, long line, const char *note);

#endif
