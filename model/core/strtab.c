/* strtab.c - string interning with FNV-1a and linear probing. */
#define _POSIX_C_SOURCE 200809L
#include "core/strtab.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void mc_strtab_init(mc_strtab *t)
{
    memset(t, 0, sizeof *t);
}

/* The slot where s lives or would be inserted (cap is a power of two). */
static size_t probe(const mc_strtab *t, const char *s)
{
    size_t i = (size_t)fnv1a(s) & (t->cap - 1);
    while (t->slot[i] >= 0 && strcmp(t->str[t->slot[i]], s) != 0)
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* Double the table (or create it) and re-insert every number. */
static void grow(mc_strtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    free(t->slot);
    t->slot = mc_malloc(cap * sizeof *t->slot);
    for (size_t i = 0; i < cap; i++)
        t->slot[i] = -1;
    t->cap = cap;
    t->str = mc_realloc(t->str, cap / 2 * sizeof *t->str);
    for (size_t k = 0; k < t->n; k++)
        t->slot[probe(t, t->str[k])] = (int)k;
}

int mc_strtab_intern(mc_strtab *t, const char *s, int *added)
{
    size_t i;
    if (t->n + 1 > t->cap / 2)
        grow(t);
    i = probe(t, s);
    if (added)
        *added = t->slot[i] < 0;
    if (t->slot[i] < 0) {
        t->str[t->n] = mc_strdup(s);
        t->slot[i] = (int)t->n++;
    }
    return t->slot[i];
}

int mc_strtab_find(const mc_strtab *t, const char *s)
{
    return t->cap ? t->slot[probe(t, s)] : -1;
}

void mc_strtab_free(mc_strtab *t)
{
    for (size_t k = 0; k < t->n; k++)
        free(t->str[k]);
    free(t->str);
    free(t->slot);
    memset(t, 0, sizeof *t);
}
