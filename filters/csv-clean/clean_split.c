/* clean_split.c - stable train/dev/test assignment by hashing a group key. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/mix64.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

int clean_split_parse(clean_split_spec *sp, const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    memset(sp, 0, sizeof *sp);
    while (*p) {
        const char *eq = strchr(p, '='), *end = strchr(p, ',');
        char num[32];
        long w;
        size_t nlen;
        if (!end)
            end = p + strlen(p);
        if (!eq || eq > end) {
            snprintf(err, errlen, "'%.*s' is not NAME=WEIGHT", (int)(end - p), p);
            return -1;
        }
        nlen = (size_t)(eq - p);
        if (nlen == 0 || nlen >= sizeof sp->name[0] || strspn(p, "abcdefghijklmnopqrstuvwxyz"
                                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") < nlen) {
            snprintf(err, errlen, "split name '%.*s' must be 1-31 letters, digits, '_' or '-'",
                     (int)nlen, p);
            return -1;
        }
        if ((size_t)(end - eq - 1) >= sizeof num) {
            snprintf(err, errlen, "weight of '%.*s' is too long", (int)nlen, p);
            return -1;
        }
        memcpy(num, eq + 1, (size_t)(end - eq - 1));
        num[end - eq - 1] = '\0';
        if (mc_parse_long(num, 0, 1000000, &w) < 0) {
            snprintf(err, errlen, "weight '%s' of '%.*s' is not a whole number in 0..1000000",
                     num, (int)nlen, p);
            return -1;
        }
        for (int i = 0; i < sp->n; i++)
            if (strlen(sp->name[i]) == nlen && memcmp(sp->name[i], p, nlen) == 0) {
                snprintf(err, errlen, "split '%.*s' given twice", (int)nlen, p);
                return -1;
            }
        if (sp->n == MAX_SPLITS) {
            snprintf(err, errlen, "more than %d splits", MAX_SPLITS);
            return -1;
        }
        memcpy(sp->name[sp->n], p, nlen);
        sp->name[sp->n][nlen] = '\0';
        sp->weight[sp->n++] = (uint32_t)w;
        sp->total += (uint64_t)w;
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            snprintf(err, errlen, "trailing ','");
            return -1;
        }
    }
    if (sp->total == 0) {
        snprintf(err, errlen, "no split has a positive weight");
        return -1;
    }
    return 0;
}

/* 64-bit FNV-1a of s, then the splitmix64 finaliser to spread the bits. */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return mc_mix64(h);
}

const char *clean_split_assign(const clean_split_spec *sp, const char *key)
{
    uint64_t b = hash_key(key) % sp->total, acc = 0;
    for (int i = 0; i < sp->n; i++) {
        acc += sp->weight[i];
        if (b < acc)
            return sp->name[i];
    }
    return sp->name[sp->n - 1];
}
