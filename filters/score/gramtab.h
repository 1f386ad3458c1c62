/* gramtab.h - ids for the n-grams of medcap-score's captions.
 *
 * An n-gram of order k > 1 is the pair (id of its first k-1 words, id of
 * its last word), a unigram the pair (none, word id); the pair packs into
 * one 64-bit key, so the table compares integers only and one lookup
 * touches one slot (open addressing, linear probing).  Ids are dense, from
 * 0, in order of first appearance; the order of each id is kept.
 */
#ifndef MEDCAP_SCORE_GRAMTAB_H
#define MEDCAP_SCORE_GRAMTAB_H

#include <stddef.h>
#include <stdint.h>

#define SC_NO_GRAM UINT32_MAX

typedef struct {
    uint64_t key;
    uint32_t id1; /* id + 1; 0: empty slot */
} sc_gramslot;

typedef struct {
    sc_gramslot *slots;
    size_t cap;      /* power of 2 */
    uint8_t *order;  /* per id: 1..4 */
    size_t order_cap;
    uint32_t n;      /* number of ids given */
} sc_gramtab;

/* An empty table. */
void sc_gramtab_init(sc_gramtab *t);
void sc_gramtab_free(sc_gramtab *t);
/* Hint that sc_gramtab_get(t, prefix, word) follows soon: start loading
 * its slot, so that the lookups of one caption overlap their cache misses. */
void sc_gramtab_prefetch(const sc_gramtab *t, uint32_t prefix, uint32_t word);
/* The id of the n-gram made of prefix (SC_NO_GRAM for a unigram) followed
 * by word; a new id if it is new.  The order is that of prefix plus one. */
uint32_t sc_gramtab_get(sc_gramtab *t, uint32_t prefix, uint32_t word);

#endif
