/* intern.c - byte-string interning with open addressing (intern.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/intern.h"
#include "core/mix64.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* 64-bit hash of len bytes: 8-byte words mixed multiplicatively, then a
 * final avalanche (constants from splitmix64). */
static uint64_t hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = (h ^ w) * 0x94d049bb133111ebULL;
    }
    return mc_mix64(h);
}

void mc_intern_init(mc_intern *t)
{
    memset(t, 0, sizeof *t);
}

void mc_intern_free(mc_intern *t)
{
    free(t->slots);
    free(t->hash);
    free(t->off);
    free(t->len);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

/* The slot where key (with hash h) is, or the empty slot where it belongs. */
static size_t probe(const mc_intern *t, const void *key, size_t len, uint64_t h)
{
    size_t mask = t->cap - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t s = t->slots[i];
        if (s == 0)
            return i;
        s--;
        if (t->hash[s] == h && t->len[s] == len &&
            (len == 0 || memcmp(t->arena + t->off[s], key, len) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

/* Double the slot array (or create it) and re-insert every id. */
static void grow_slots(mc_intern *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    free(t->slots);
    t->slots = mc_calloc(cap, sizeof *t->slots);
    t->cap = cap;
    for (uint32_t id = 0; id < t->n; id++) {
        size_t i = (size_t)t->hash[id] & (cap - 1);
        while (t->slots[i])
            i = (i + 1) & (cap - 1);
        t->slots[i] = id + 1;
    }
}

uint32_t mc_intern_find(const mc_intern *t, const void *key, size_t len)
{
    size_t i;
    if (!t->cap)
        return UINT32_MAX;
    i = probe(t, key, len, hash_bytes(key, len));
    return t->slots[i] ? t->slots[i] - 1 : UINT32_MAX;
}

uint32_t mc_intern_get(mc_intern *t, const void *key, size_t len, int *added)
{
    uint64_t h = hash_bytes(key, len);
    size_t i;
    uint32_t id;
    if ((size_t)t->n * 2 >= t->cap)
        grow_slots(t);
    i = probe(t, key, len, h);
    if (t->slots[i]) {
        if (added)
            *added = 0;
        return t->slots[i] - 1;
    }
    if (t->n == UINT32_MAX - 1)
        mc_die(MC_EXIT_INTERNAL, "too many distinct strings to intern");
    if (t->n == t->ids_cap) {
        t->ids_cap = t->ids_cap ? t->ids_cap * 2 : 1024;
        t->hash = mc_realloc(t->hash, t->ids_cap * sizeof *t->hash);
        t->off = mc_realloc(t->off, t->ids_cap * sizeof *t->off);
        t->len = mc_realloc(t->len, t->ids_cap * sizeof *t->len);
    }
    if (len > UINT32_MAX)
        mc_die(MC_EXIT_INTERNAL, "string too long to intern");
    if (!t->arena || t->used + len > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->used + len)
            cap *= 2;
        t->arena = mc_realloc(t->arena, cap);
        t->arena_cap = cap;
    }
    id = t->n++;
    if (len)
        memcpy(t->arena + t->used, key, len);
    t->hash[id] = h;
    t->off[id] = t->used;
    t->len[id] = (uint32_t)len;
    t->used += len;
    t->slots[i] = id + 1;
    if (added)
        *added = 1;
    return id;
}

const char *mc_intern_key(const mc_intern *t, uint32_t id, size_t *len)
{
    *len = t->len[id];
    return t->arena + t->off[id];
}
