/* gramtab.c - n-gram ids from (prefix id, word id) pairs. */
#define _POSIX_C_SOURCE 200809L
#include "gramtab.h"
#include "core/mix64.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void sc_gramtab_init(sc_gramtab *t) { memset(t, 0, sizeof *t); }

void sc_gramtab_free(sc_gramtab *t)
{
    free(t->slots);
    free(t->order);
    memset(t, 0, sizeof *t);
}

/* The 64-bit key of (prefix, word). */
static uint64_t pack(uint32_t prefix, uint32_t word)
{
    return ((uint64_t)(prefix == SC_NO_GRAM ? 0 : prefix + 1) << 32) | word;
}

void sc_gramtab_prefetch(const sc_gramtab *t, uint32_t prefix, uint32_t word)
{
    if (t->cap)
        __builtin_prefetch(&t->slots[(size_t)mc_mix64(pack(prefix, word)) & (t->cap - 1)]);
}

/* Double the slot array (or create it) and re-insert every key. */
static void grow(sc_gramtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 4096;
    sc_gramslot *s = mc_calloc(cap, sizeof *s); /* zero: every slot empty */
    for (size_t i = 0; i < t->cap; i++) {
        size_t j;
        if (t->slots[i].id1 == 0)
            continue;
        j = (size_t)mc_mix64(t->slots[i].key) & (cap - 1);
        while (s[j].id1 != 0)
            j = (j + 1) & (cap - 1);
        s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
}

uint32_t sc_gramtab_get(sc_gramtab *t, uint32_t prefix, uint32_t word)
{
    uint64_t key = pack(prefix, word);
    size_t i;
    if ((size_t)t->n + 1 > t->cap / 4 * 3)
        grow(t);
    i = (size_t)mc_mix64(key) & (t->cap - 1);
    while (t->slots[i].id1 != 0) {
        if (t->slots[i].key == key)
            return t->slots[i].id1 - 1;
        i = (i + 1) & (t->cap - 1);
    }
    if (t->n >= SC_NO_GRAM - 1)
        mc_die(MC_EXIT_INTERNAL, "too many n-grams");
    if (t->n == t->order_cap) {
        t->order_cap = t->order_cap ? t->order_cap * 2 : 4096;
        t->order = mc_realloc(t->order, t->order_cap);
    }
    t->order[t->n] = (uint8_t)(prefix == SC_NO_GRAM ? 1 : t->order[prefix] + 1);
    t->slots[i].key = key;
    t->slots[i].id1 = t->n + 1;
    return t->n++;
}
