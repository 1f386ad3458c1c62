/* intern.h - the string hash table: each distinct byte string gets a small
 * integer id, dense from 0 in order of first appearance, so that later
 * comparisons are integer comparisons.  Keys are copied into the table.
 *
 * medcap-score interns words (their bytes), record ids, MedPix field values
 * and whole captions (all their word ids); mc_strtab (strtab.h) is this
 * table for NUL-terminated strings.
 */
#ifndef MEDCAP_INTERN_H
#define MEDCAP_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *slots;  /* open addressing: id + 1, 0 = empty; cap is a power of 2 */
    size_t cap;
    uint64_t *hash;   /* per id: the key's hash */
    size_t *off;      /* per id: offset of the key in arena */
    uint32_t *len;    /* per id: key length in bytes */
    size_t ids_cap;
    char *arena;
    size_t used, arena_cap;
    uint32_t n;       /* number of ids given */
} mc_intern;

/* An empty table. */
void mc_intern_init(mc_intern *t);
/* Release everything the table holds. */
void mc_intern_free(mc_intern *t);
/* The id of key[0..len); a new id (t->n - 1 afterwards) if it was absent.
 * *added (if not NULL) is set to 1 for a new key, else 0. */
uint32_t mc_intern_get(mc_intern *t, const void *key, size_t len, int *added);
/* The id of key[0..len), or UINT32_MAX if absent. */
uint32_t mc_intern_find(const mc_intern *t, const void *key, size_t len);
/* The bytes and length of id (valid until the next mc_intern_get). */
const char *mc_intern_key(const mc_intern *t, uint32_t id, size_t *len);

#endif
