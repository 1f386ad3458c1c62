/* test_casekb.c - the text cleaning of the case knowledge base
 * (rt_kb_clean_text in filters/retrieve/casekb.c): white space, excerpts cut at a word
 * or, for one long word, at a UTF-8 character boundary.
 * Exits non-zero when a check fails. */
#define _POSIX_C_SOURCE 200809L
#include "retrieve/casekb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* Check that cleaning text with max gives want. */
static void expect(const char *text, size_t max, const char *want)
{
    char *got = rt_kb_clean_text(text, max);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "clean(\"%s\", %zu) = \"%s\", want \"%s\"\n", text, max, got, want);
        failures++;
    }
    free(got);
}

int main(void)
{
    expect("  a\n\nb\t c  ", 0, "a b c");
    expect("", 0, "");
    expect("short text", 40, "short text");
    expect("one two three four", 10, "one two...");
    expect("one two, three four", 9, "one two...");
    expect("abcdefghij", 4, "abcd...");
    /* "é" is two bytes: a cut inside it moves back to its start */
    expect("\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9...");
    if (failures)
        fprintf(stderr, "test_casekb: %d checks failed\n", failures);
    return failures != 0;
}
