/* text.h - small text and id helpers the score_* modules share. */
#ifndef MEDCAP_SCORE_TEXT_H
#define MEDCAP_SCORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Normalise s[0..n) into out (size >= n + 1): trim, lower-case ASCII,
 * collapse white space runs (space, tab, CR, LF) to one space, drop one
 * final "."; out is NUL-terminated; returns its length. */
size_t sc_normalise_label(const char *s, size_t n, char *out);

/* Sort a[0..n) ascending (quicksort, insertion sort below 16 elements). */
void sc_sort_u32(uint32_t *a, size_t n);

#endif
