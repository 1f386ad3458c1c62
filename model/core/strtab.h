/* strtab.h - the string table of intern.h for NUL-terminated strings: each
 * distinct string gets a dense number 0, 1, 2, ... in order of first
 * insertion, and its copy stays at str[number].  Used to compare case ids
 * as integers and to key the case knowledge base.
 */
#ifndef MEDCAP_STRTAB_H
#define MEDCAP_STRTAB_H

#include "core/intern.h"

#include <stddef.h>

typedef struct {
    char **str;     /* (n) owned copies, by number */
    size_t n, cap;  /* cap: room in str */
    mc_intern ids;  /* string bytes -> number */
} mc_strtab;

/* An empty table. */
void mc_strtab_init(mc_strtab *t);
/* The number of s, adding a copy of s when it is new; *added (may be NULL)
 * is set to 1 for a new string, 0 for one already present. */
int mc_strtab_intern(mc_strtab *t, const char *s, int *added);
/* The number of s, or -1 if s is not in the table. */
int mc_strtab_find(const mc_strtab *t, const char *s);
/* Free every copy and the table. */
void mc_strtab_free(mc_strtab *t);

#endif
