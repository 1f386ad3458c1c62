/* labelset.c - the clinical labels of captions and reference records. */
#define _POSIX_C_SOURCE 200809L
#include "labelset.h"
#include "text.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sc_labelstore_init(sc_labelstore *s)
{
    memset(s, 0, sizeof *s);
    mc_intern_init(&s->names);
    /* never NULL: empty label sets are offsets into it too */
    s->cap = 64;
    s->ids = mc_malloc(s->cap * sizeof *s->ids);
}

void sc_labelstore_free(sc_labelstore *s)
{
    mc_intern_free(&s->names);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

const char *sc_label_name(const sc_labelstore *s, uint32_t id)
{
    size_t len;
    return mc_intern_key(&s->names, id, &len);
}

/* Intern the label s[0..n) (trimmed, lower-cased, white space collapsed,
 * one final "." dropped) and append its id to the store; empty: nothing. */
static void add_label(sc_labelstore *st, const char *s, size_t n)
{
    char *buf = mc_malloc(n + 1);
    size_t k = sc_normalise_label(s, n, buf);
    if (k > 0) {
        if (st->nids == st->cap) {
            size_t cap = st->cap ? 2 * st->cap : 64, bytes;
            if (mc_mul_overflow(cap, sizeof *st->ids, &bytes))
                mc_die(MC_EXIT_INTERNAL, "too many labels");
            st->ids = mc_realloc(st->ids, bytes);
            st->cap = cap;
        }
        st->ids[st->nids++] = mc_intern_get(&st->names, buf, k + 1, NULL);
    }
    free(buf);
}

/* Make ids[off .. nids) of the store one set: sort, drop repeats, fill *out. */
static void finish_set(sc_labelstore *st, size_t off, sc_labelset *out)
{
    uint32_t *a = st->ids + off;
    size_t n = st->nids - off, m = 0;
    sc_sort_u32(a, n);
    for (size_t i = 0; i < n; i++)
        if (m == 0 || a[i] != a[m - 1])
            a[m++] = a[i];
    st->nids = off + m;
    out->off = off;
    out->n = (uint32_t)m;
    out->present = 1;
}

void sc_labels_from_text(sc_labelstore *s, const char *text, sc_labelset *out)
{
    static const char key[] = "diagnosis:";
    const char *d = NULL, *p, *end;
    size_t off = s->nids;
    memset(out, 0, sizeof *out);
    for (p = text; *p; p++)
        if ((*p | 0x20) == 'd' && strncasecmp(p, key, sizeof key - 1) == 0)
            d = p;
    if (!d)
        return;
    p = d + sizeof key - 1;
    end = p + strcspn(p, ";|\n");
    while (p < end) {
        size_t m = strcspn(p, ",");
        if (m > (size_t)(end - p))
            m = (size_t)(end - p);
        add_label(s, p, m);
        p += m + (p + m < end);
    }
    finish_set(s, off, out);
}

int sc_labels_of_ref(sc_labelstore *s, const cJSON *rec, const char *text, const char *name,
                     long line, sc_labelset *out)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(rec, "labels"), *e;
    size_t off = s->nids;
    if (!arr) {
        sc_labels_from_text(s, text, out);
        return 0;
    }
    memset(out, 0, sizeof *out);
    if (!cJSON_IsArray(arr)) {
        mc_err_at(name, line, "\"labels\" is not a list of strings");
        return -1;
    }
    cJSON_ArrayForEach(e, arr) if (!cJSON_IsString(e))
    {
        mc_err_at(name, line, "\"labels\" holds something that is not a string");
        return -1;
    }
    cJSON_ArrayForEach(e, arr) add_label(s, e->valuestring, strlen(e->valuestring));
    finish_set(s, off, out);
    s->arrays++;
    return 0;
}
