/* interpretation.c - compose the interpretation paragraph. */
#define _POSIX_C_SOURCE 200809L
#include "interpretation.h"
#include "core/util.h"
#include "io/record_roles.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *s;
    size_t len, cap;
} text;

/* Append printf-style output to t. */
static void __attribute__((format(printf, 2, 3))) add(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        mc_die(MC_EXIT_INTERNAL, "cannot format the interpretation");
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = mc_realloc(t->s, t->cap);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* The string obj[key], or NULL. */
static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(x) && x->valuestring[0] ? x->valuestring : NULL;
}

/* 1 when s ends in sentence punctuation. */
static int ends_sentence(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && strchr(".!?", s[n - 1]) != NULL;
}

/* Append neighbour nb, number i (1-based). */
static void add_neighbor(text *t, size_t i, const cJSON *nb, const char *kb_name)
{
    const cJSON *kn = cJSON_GetObjectItemCaseSensitive(nb, "knowledge");
    const cJSON *sim = cJSON_GetObjectItemCaseSensitive(nb, "similarity");
    const char *id = str(nb, "id"), *cs = str(nb, "case_id");
    const char *diag = str(kn, "diagnosis"), *finding = str(kn, "findings");
    double s = cJSON_IsNumber(sim) ? sim->valuedouble : 0;
    if (!diag)
        diag = str(kn, "title");
    if (kn && cs && (diag || finding)) {
        add(t, " (%zu) case %s, similarity %.2f", i, cs, s);
        if (diag)
            add(t, ", diagnosis %s", diag);
        if (finding)
            add(t, ": findings \"%s\"", finding);
        add(t, " (quoted from %s case %s).", kb_name, cs);
        return;
    }
    add(t, " (%zu) image %s", i, id ? id : "?");
    if (cs)
        add(t, " of case %s", cs);
    add(t, ", similarity %.2f", s);
    if (str(nb, "caption"))
        add(t, ": caption \"%s\" (quoted from indexed image %s).", str(nb, "caption"), id ? id : "?");
    else
        add(t, " (no text to quote).");
}

/* Append "Given: ..." from the object given (decode-caption's "given": the
 * patient context the record supplied): age and sex as "74-year-old
 * female", other fields as "name: value"; identifying fields are never
 * written.  Nothing when given has no usable field. */
static void add_given(text *t, const cJSON *given)
{
    const cJSON *age = cJSON_GetObjectItemCaseSensitive(given, "age"), *x;
    const char *sex = str(given, "sex");
    int parts = 0;
    if (cJSON_IsNumber(age) || cJSON_IsString(age) || sex) {
        add(t, "Given: ");
        if (cJSON_IsNumber(age))
            add(t, "%g-year-old", age->valuedouble);
        else if (cJSON_IsString(age))
            add(t, "age %s", age->valuestring);
        if (sex)
            add(t, "%s%s", cJSON_IsNumber(age) || cJSON_IsString(age) ? " " : "", sex);
        parts = 1;
    }
    cJSON_ArrayForEach(x, given) {
        if (!x->string || strcmp(x->string, "age") == 0 || strcmp(x->string, "sex") == 0 ||
            mc_record_role(x->string) == MC_ROLE_IDENTIFYING || !(cJSON_IsString(x) || cJSON_IsNumber(x)))
            continue;
        add(t, "%s", parts ? "; " : "Given: ");
        for (const char *c = x->string; *c; c++)
            add(t, "%c", *c == '_' ? ' ' : *c);
        if (cJSON_IsString(x))
            add(t, ": %s", x->valuestring);
        else
            add(t, ": %g", x->valuedouble);
        parts = 1;
    }
    if (parts)
        add(t, ". ");
}

char *rt_interpretation_compose(const char *generated, const cJSON *given, const cJSON *neighbors,
                                size_t n, const char *kb_name)
{
    text t = {0};
    size_t count = (size_t)cJSON_GetArraySize(neighbors);
    add_given(&t, given);
    add(&t, "Generated caption: %s%s", generated, ends_sentence(generated) ? "" : ".");
    if (n > count)
        n = count;
    if (count == 0)
        add(&t, " Similar cases: none found.");
    else if (n > 0)
        add(&t, " Similar cases:");
    for (size_t i = 0; i < n; i++)
        add_neighbor(&t, i + 1, cJSON_GetArrayItem(neighbors, (int)i), kb_name);
    return t.s;
}
