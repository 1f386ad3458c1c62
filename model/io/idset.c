/* idset.c - the ids seen in one stream (see idset.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/idset.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void mc_idset_init(mc_idset *s)
{
    memset(s, 0, sizeof *s);
    mc_intern_init(&s->ids);
    mc_intern_init(&s->files);
}

void mc_idset_free(mc_idset *s)
{
    mc_intern_free(&s->ids);
    mc_intern_free(&s->files);
    free(s->file);
    free(s->line);
    memset(s, 0, sizeof *s);
}

int mc_idset_add(mc_idset *s, const char *id, const char *file, long line, const char *note)
{
    int added;
    uint32_t k = mc_intern_get(&s->ids, id, strlen(id), &added), f;
    const char *first, *n = note ? note : "";
    size_t len;
    if (added) {
        if (k >= s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->file = mc_realloc(s->file, s->cap * sizeof *s->file);
            s->line = mc_realloc(s->line, s->cap * sizeof *s->line);
        }
        s->file[k] = mc_intern_get(&s->files, file, strlen(file) + 1, NULL);
        s->line[k] = line;
        return 1;
    }
    f = mc_intern_find(&s->files, file, strlen(file) + 1);
    first = mc_intern_key(&s->files, s->file[k], &len);
    if (f == s->file[k] && s->line[k] > 0)
        mc_err_at(file, line, "duplicate id '%s' (first on line %ld)%s", id, s->line[k], n);
    else if (s->line[k] > 0)
        mc_err_at(file, line, "duplicate id '%s' (first on line %ld of %s)%s", id, s->line[k], first, n);
    else
        mc_err_at(file, line, "duplicate id '%s' (first in %s)%s", id, first, n);
    return 0;
}
