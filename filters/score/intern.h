/* intern.h - a table that gives each distinct byte string a small integer id.
 *
 * medcap-score interns words (their bytes), record ids, MedPix field values
 * and whole captions (all their word ids), so that every later comparison
 * is an integer comparison.  Ids are dense, from 0,
 * in order of first appearance.  Keys are copied into the table.
 */
#ifndef MEDCAP_SCORE_INTERN_H
#define MEDCAP_SCORE_INTERN_H

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
} sc_intern;

/* An empty table. */
void sc_intern_init(sc_intern *t);
/* Release everything the table holds. */
void sc_intern_free(sc_intern *t);
/* The id of key[0..len); a new id (t->n - 1 afterwards) if it was absent.
 * *added (if not NULL) is set to 1 for a new key, else 0. */
uint32_t sc_intern_get(sc_intern *t, const void *key, size_t len, int *added);
/* The id of key[0..len), or UINT32_MAX if absent. */
uint32_t sc_intern_find(const sc_intern *t, const void *key, size_t len);
/* The bytes and length of id (valid until the next sc_intern_get). */
const char *sc_intern_key(const sc_intern *t, uint32_t id, size_t *len);

#endif
