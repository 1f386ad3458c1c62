/* jsonitems.h - objects of a JSONL or JSON array file, one at a time. */
#ifndef MEDCAP_JSONITEMS_H
#define MEDCAP_JSONITEMS_H

#include "io/gzin.h"

#include <cjson/cJSON.h>

enum { MC_ITEMS_END = 0, MC_ITEMS_OK = 1, MC_ITEMS_BAD = -1, MC_ITEMS_CORRUPT = -2, MC_ITEMS_IOERR = -3 };

typedef struct {
    mc_gzin in;
    const char *path;
    cJSON *array, *next; /* a JSON array file: the parsed array, its next item */
    long where;          /* line (JSONL) or item (array) number of the last item */
    char *line;
    size_t cap;
} mc_json_items;

/* Open path: a JSON array when its first non-blank byte is '[', else JSONL.
 * Returns 0, or an exit status after printing a message, with nothing left
 * open (mc_items_close is then not needed, and harmless). */
int mc_items_open(mc_json_items *it, const char *path);
/* The next object into *item (the caller deletes it).  Returns MC_ITEMS_OK,
 * MC_ITEMS_END, MC_ITEMS_BAD (not an object or malformed; err says what, it->where
 * where; reading can go on), or MC_ITEMS_CORRUPT/MC_ITEMS_IOERR (the stream ends). */
int mc_items_next(mc_json_items *it, cJSON **item, char *err, size_t errlen);
/* 1 when the file is a JSON array (it->where counts items, not lines). */
#define mc_items_is_array(it) ((it)->array != NULL)
void mc_items_close(mc_json_items *it);

#endif
