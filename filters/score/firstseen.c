/* firstseen.c - first occurrences by sharded open-addressing tables. */
#define _POSIX_C_SOURCE 200809L
#include "firstseen.h"
#include "par.h"
#include "core/mix64.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* Keys a walk hashes ahead of the one it looks up, so that the table's
 * cache misses overlap. */
#define AHEAD 16

typedef struct {
    uint64_t key;   /* the hash of the element's key */
    uint32_t first; /* the element's first index */
    uint32_t walk;  /* the walk that filled the slot: an older one's is empty */
} slot;

/* One thread's table: open addressing, linear probing, capacity a power of 2. */
typedef struct {
    slot *s;
    size_t cap, used;
    uint32_t walk; /* the current walk, from 1 */
} table;

struct sc_first {
    int threads;
    table t[SC_MAX_THREADS];
};

/* A walk over keys (u64 != NULL) or strings. */
typedef struct {
    sc_first *f;
    const uint64_t *u64;
    const char *bytes;
    const size_t *off;
    const uint32_t *len;
    const uint64_t *hash;
    size_t n;
    uint32_t *out;
} walk;

sc_first *sc_first_new(int threads)
{
    sc_first *f = mc_calloc(1, sizeof *f);
    f->threads = threads < 1 ? 1 : threads > SC_MAX_THREADS ? SC_MAX_THREADS : threads;
    return f;
}

void sc_first_free(sc_first *f)
{
    if (!f)
        return;
    for (int t = 0; t < SC_MAX_THREADS; t++)
        free(f->t[t].s);
    free(f);
}

/* Double t's capacity (or create it), keeping the current walk's slots.
 * The new slots are zeroed by writing (not calloc): pages that a lookup
 * reads before any write would be copied from the zero page later, each
 * copy a TLB flush on every core. */
static void grow(table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 4096;
    slot *s = sc_big_alloc(cap * sizeof *s);
    memset(s, 0, cap * sizeof *s);
    for (size_t i = 0; i < t->cap; i++) {
        size_t j;
        if (t->s[i].walk != t->walk)
            continue;
        j = (size_t)t->s[i].key & (cap - 1);
        while (s[j].walk == t->walk)
            j = (j + 1) & (cap - 1);
        s[j] = t->s[i];
    }
    free(t->s);
    t->s = s;
    t->cap = cap;
}

/* The shard (0..n) of hash h; the slot index uses its low bits. */
static int shard_of(uint64_t h, int n) { return (int)((h >> 40) % (uint64_t)n); }

/* The hash of element i. */
static uint64_t hash_at(const walk *w, size_t i) { return w->u64 ? mc_mix64(w->u64[i]) : w->hash[i]; }

/* 1 when element i equals element j (their hashes are equal). */
static int same(const walk *w, size_t i, size_t j)
{
    if (w->u64)
        return w->u64[j] == w->u64[i];
    return w->len[j] == w->len[i] && memcmp(w->bytes + w->off[j], w->bytes + w->off[i], w->len[i]) == 0;
}

/* The first index of element i (hash h), inserting i when it is new. */
static uint32_t find_or_add(table *t, const walk *w, size_t i, uint64_t h)
{
    size_t j;
    if (t->used + 1 > t->cap / 4 * 3)
        grow(t);
    for (j = (size_t)h & (t->cap - 1); t->s[j].walk == t->walk; j = (j + 1) & (t->cap - 1))
        if (t->s[j].key == h && same(w, i, t->s[j].first))
            return t->s[j].first;
    t->s[j] = (slot){h, (uint32_t)i, t->walk};
    t->used++;
    return (uint32_t)i;
}

/* Step: thread t of n fills w->out[i] for the elements of its shard. */
static void walk_shard(void *ctx, int t, int n)
{
    const walk *w = ctx;
    table *tab = &w->f->t[t];
    uint64_t ring[AHEAD];
    tab->walk++;
    tab->used = 0;
    if (!tab->cap)
        grow(tab);
    for (size_t i = 0; i < w->n + AHEAD; i++) {
        if (i >= AHEAD) { /* look up element i - AHEAD, hashed AHEAD steps ago */
            size_t k = i - AHEAD;
            uint64_t h = ring[k % AHEAD];
            if (shard_of(h, n) == t)
                w->out[k] = find_or_add(tab, w, k, h);
        }
        if (i < w->n) {
            uint64_t h = hash_at(w, i);
            ring[i % AHEAD] = h;
            if (shard_of(h, n) == t)
                __builtin_prefetch(&tab->s[(size_t)h & (tab->cap - 1)]);
        }
    }
}

/* Run walk w after checking that its indices fit. */
static void run_walk(walk *w)
{
    if (w->n >= SC_FIRST_MAX)
        mc_die(MC_EXIT_INTERNAL, "too many words or n-grams (%zu)", w->n);
    sc_par_run(w->f->threads, walk_shard, w);
}

void sc_first_u64(sc_first *f, const uint64_t *keys, size_t n, uint32_t *out)
{
    walk w = {.f = f, .u64 = keys, .n = n, .out = out};
    run_walk(&w);
}

void sc_first_bytes(sc_first *f, const char *bytes, const size_t *off, const uint32_t *len,
                    const uint64_t *hash, size_t n, uint32_t *out)
{
    walk w = {.f = f, .bytes = bytes, .off = off, .len = len, .hash = hash, .n = n, .out = out};
    run_walk(&w);
}

uint64_t sc_first_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mc_mix64(h ^ len);
}
