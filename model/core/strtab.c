/* strtab.c - NUL-terminated strings over the intern table (strtab.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/strtab.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void mc_strtab_init(mc_strtab *t)
{
    memset(t, 0, sizeof *t);
    mc_intern_init(&t->ids);
}

int mc_strtab_intern(mc_strtab *t, const char *s, int *added)
{
    int fresh;
    uint32_t id = mc_intern_get(&t->ids, s, strlen(s), &fresh);
    if (fresh) {
        if (id > INT32_MAX - 1)
            mc_die(MC_EXIT_INTERNAL, "too many distinct strings");
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 32;
            t->str = mc_realloc(t->str, t->cap * sizeof *t->str);
        }
        t->str[t->n++] = mc_strdup(s);
    }
    if (added)
        *added = fresh;
    return (int)id;
}

int mc_strtab_find(const mc_strtab *t, const char *s)
{
    uint32_t id = mc_intern_find(&t->ids, s, strlen(s));
    return id == UINT32_MAX ? -1 : (int)id;
}

void mc_strtab_free(mc_strtab *t)
{
    for (size_t k = 0; k < t->n; k++)
        free(t->str[k]);
    free(t->str);
    mc_intern_free(&t->ids);
    memset(t, 0, sizeof *t);
}
