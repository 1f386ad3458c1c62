/* casekb.c - load a case knowledge base from NDJSON. */
#define _POSIX_C_SOURCE 200809L
#include "casekb.h"
#include "io/ndjson.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const rt_kb_field_name[MC_KB_NFIELDS] = {
    "title", "diagnosis", "category", "findings", "differential_diagnosis", "discussion",
};

/* Paths of each field, "A.B" for a nested key, NULL-terminated. */
static const char *const paths[MC_KB_NFIELDS][4] = {
    {"Case.Title", "Topic.Title", "title", NULL},
    {"Case.Case Diagnosis", "diagnosis", NULL},
    {"Topic.Category", "category", NULL},
    {"Case.Findings", "findings", NULL},
    {"Case.Differential Diagnosis", "differential_diagnosis", NULL},
    {"Topic.Disease Discussion", "Case.Discussion", "discussion", NULL},
};

/* The non-empty string at path ("A.B" or "A") in obj, or NULL. */
static const char *at_path(const cJSON *obj, const char *path)
{
    const char *dot = strchr(path, '.');
    const cJSON *x;
    if (dot) {
        char outer[32];
        size_t n = (size_t)(dot - path);
        memcpy(outer, path, n);
        outer[n] = '\0';
        obj = cJSON_GetObjectItemCaseSensitive(obj, outer);
        path = dot + 1;
    }
    x = cJSON_GetObjectItemCaseSensitive(obj, path);
    return cJSON_IsString(x) && x->valuestring[0] ? x->valuestring : NULL;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

char *rt_kb_clean_text(const char *text, size_t max)
{
    size_t n = strlen(text), o = 0;
    char *out = mc_malloc(n + 4);
    for (const char *p = text; *p; p++) {
        if (is_space(*p)) {
            if (o > 0 && out[o - 1] != ' ')
                out[o++] = ' ';
        } else {
            out[o++] = *p;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    if (max > 0 && o > max) {
        size_t cut = max;
        while (cut > 0 && out[cut] != ' ')
            cut--;
        if (cut == 0) { /* one long word: cut at a character boundary */
            cut = max;
            while (cut > 0 && ((unsigned char)out[cut] & 0xC0) == 0x80)
                cut--;
        }
        while (cut > 0 && (out[cut - 1] == ' ' || out[cut - 1] == ',' || out[cut - 1] == ';'))
            cut--;
        memcpy(out + cut, "...", 3);
        o = cut + 3;
    }
    out[o] = '\0';
    return out;
}

/* Fill kn from one case object. */
static void extract(rt_case_knowledge *kn, const cJSON *obj, size_t excerpt)
{
    for (int f = 0; f < MC_KB_NFIELDS; f++) {
        const char *s = NULL;
        for (int i = 0; paths[f][i] && !s; i++)
            s = at_path(obj, paths[f][i]);
        kn->field[f] = s ? rt_kb_clean_text(s, f >= MC_KB_FINDINGS ? excerpt : 0) : NULL;
    }
}

int rt_casekb_load(rt_casekb *kb, const char *path, const char *key, size_t excerpt)
{
    FILE *f = fopen(path, "rb");
    mc_lines lr;
    char *line;
    size_t cap = 0;
    int rc = 0;
    memset(kb, 0, sizeof *kb);
    mc_strtab_init(&kb->keys);
    if (!f) {
        mc_err("%s: cannot open: %s", path, strerror(errno));
        return MC_EXIT_IO;
    }
    mc_lines_init(&lr, f, path);
    while (rc == 0 && mc_lines_next(&lr, &line) >= 0) {
        cJSON *obj, *k;
        int added, no;
        if (mc_blank(line))
            continue;
        obj = cJSON_Parse(line);
        k = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsObject(obj)) {
            mc_err_at(path, lr.line, "not a JSON object");
            rc = MC_EXIT_INPUT;
        } else if (!cJSON_IsString(k) || !k->valuestring[0]) {
            mc_err_at(path, lr.line, "no string case key \"%s\"", key);
            rc = MC_EXIT_INPUT;
        } else {
            no = mc_strtab_intern(&kb->keys, k->valuestring, &added);
            if (added) {
                if ((size_t)no >= cap) {
                    cap = cap ? cap * 2 : 256;
                    kb->kn = mc_realloc(kb->kn, cap * sizeof *kb->kn);
                }
                extract(&kb->kn[no], obj, excerpt);
            }
        }
        cJSON_Delete(obj);
    }
    if (rc == 0 && ferror(f)) {
        mc_err("%s: read error: %s", path, strerror(errno));
        rc = MC_EXIT_IO;
    }
    mc_lines_free(&lr);
    fclose(f);
    if (rc != 0)
        rt_casekb_free(kb);
    return rc;
}

const rt_case_knowledge *rt_casekb_find(const rt_casekb *kb, const char *case_id)
{
    int no = case_id ? mc_strtab_find(&kb->keys, case_id) : -1;
    return no >= 0 ? &kb->kn[no] : NULL;
}

void rt_casekb_free(rt_casekb *kb)
{
    for (size_t i = 0; i < kb->keys.n; i++)
        for (int f = 0; f < MC_KB_NFIELDS; f++)
            free(kb->kn[i].field[f]);
    free(kb->kn);
    mc_strtab_free(&kb->keys);
    memset(kb, 0, sizeof *kb);
}
