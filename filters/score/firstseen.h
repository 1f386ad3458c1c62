/* firstseen.h - for each element of a sequence, the index of the first
 * element equal to it: the identity that medcap-score gives words and
 * n-grams (dense ids in order of first appearance follow from it).
 *
 * The work is split over threads by the keys' hashes: thread t of n keeps a
 * table of the keys of its shard and walks the whole sequence in order, so
 * each key's first index is found by one thread, and the result does not
 * depend on the number of threads.  The tables are kept from one walk to
 * the next (fresh memory is costly: each new page is a fault).  Indices are
 * below SC_FIRST_MAX.  A sc_first is used by one thread at a time.
 */
#ifndef MEDCAP_SCORE_FIRSTSEEN_H
#define MEDCAP_SCORE_FIRSTSEEN_H

#include <stddef.h>
#include <stdint.h>

#define SC_FIRST_MAX UINT32_MAX

typedef struct sc_first sc_first;

/* Tables for walks on threads threads (clamped as sc_par_run does). */
sc_first *sc_first_new(int threads);
void sc_first_free(sc_first *f);

/* out[i] = the smallest j with keys[j] == keys[i], for i in 0..n. */
void sc_first_u64(sc_first *f, const uint64_t *keys, size_t n, uint32_t *out);

/* The same for byte strings: string i is bytes[off[i] .. off[i] + len[i]),
 * hash[i] its sc_first_hash. */
void sc_first_bytes(sc_first *f, const char *bytes, const size_t *off, const uint32_t *len,
                    const uint64_t *hash, size_t n, uint32_t *out);

/* The hash sc_first_bytes expects of s[0..len). */
uint64_t sc_first_hash(const char *s, size_t len);

#endif
