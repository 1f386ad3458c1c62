/* test_score_tokenize.c - the caption tokeniser (score_tokenize.h) and the
 * intern table (core/intern.h): tokens of hand-checked captions, and ids
 * that stay distinct and stable while the table grows. */
#define _POSIX_C_SOURCE 200809L
#include "core/intern.h"
#include "score/tokenize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* Token callback: append the token and a "|" to the buffer ctx (1 KiB). */
static void collect(const char *tok, size_t len, void *ctx)
{
    char *out = ctx;
    size_t n = strlen(out);
    if (n + len + 2 < 1024) {
        memcpy(out + n, tok, len);
        out[n + len] = '|';
        out[n + len + 1] = '\0';
    }
}

/* Check that text tokenises to want (tokens each followed by "|"). */
static void check(enum sc_tokenizer kind, const char *text, const char *want)
{
    char out[1024] = "", *scratch = malloc(strlen(text) + 1);
    sc_tokenize(kind, text, strlen(text), scratch, collect, out);
    free(scratch);
    if (strcmp(out, want) != 0) {
        fprintf(stderr, "FAIL: tokens of \"%s\": got \"%s\", want \"%s\"\n", text, out, want);
        failures++;
    }
}

static void test_tokenize(void)
{
    check(SC_TOK_COCO, "A chest X-ray.", "a|chest|x-ray|");
    check(SC_TOK_COCO, "", "");
    check(SC_TOK_COCO, "... ?! -- ;", "");
    check(SC_TOK_COCO, "(50%) & $5 #1", "50|%|&|$|5|#|1|");
    check(SC_TOK_COCO, "The patient's heart isn't big.", "the|patient|'s|heart|is|n't|big|");
    check(SC_TOK_COCO, "Mass 3.5 cm, e.g. T2-weighted; and/or", "mass|3.5|cm|e.g|t2-weighted|and/or|");
    check(SC_TOK_COCO, "Größe ÖDEM ΑΒΓ ΣΩ ×", "größe|ödem|αβγ|σω|×|");
    check(SC_TOK_COCO, "\"quoted\"\t[bracket]\n{brace}", "quoted|bracket|brace|");
    check(SC_TOK_NONE, "  Keep, THIS.\tas is ", "Keep,|THIS.|as|is|");
}

static void test_intern(void)
{
    mc_intern t;
    char key[32];
    size_t len;
    const char *k;
    mc_intern_init(&t);
    for (int i = 0; i < 5000; i++) {
        int added;
        snprintf(key, sizeof key, "w%d", i);
        if (mc_intern_get(&t, key, strlen(key), &added) != (uint32_t)i || !added) {
            fprintf(stderr, "FAIL: new key %s did not get id %d\n", key, i);
            failures++;
            break;
        }
    }
    if (mc_intern_get(&t, "w1234", 5, NULL) != 1234 || mc_intern_find(&t, "w4999", 5) != 4999 ||
        mc_intern_find(&t, "w5000", 5) != UINT32_MAX || mc_intern_get(&t, "", 0, NULL) != 5000) {
        fprintf(stderr, "FAIL: intern lookups after growth\n");
        failures++;
    }
    k = mc_intern_key(&t, 77, &len);
    if (len != 3 || memcmp(k, "w77", 3) != 0) {
        fprintf(stderr, "FAIL: key of id 77\n");
        failures++;
    }
    mc_intern_free(&t);
}

int main(void)
{
    test_tokenize();
    test_intern();
    if (failures) {
        fprintf(stderr, "test_score_tokenize: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_score_tokenize: ok\n");
    return 0;
}
