/* text.c - small text and id helpers the score_* modules share. */
#define _POSIX_C_SOURCE 200809L
#include "text.h"

/* Normalise s[0..n) into out (size >= n + 1): trim, lower-case ASCII,
 * collapse white space runs to one space, drop one final "."; returns length. */
size_t sc_normalise_label(const char *s, size_t n, char *out)
{
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = k > 0;
            continue;
        }
        if (space)
            out[k++] = ' ';
        space = 0;
        out[k++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    if (k > 0 && out[k - 1] == '.')
        k--;
    out[k] = '\0';
    return k;
}

/* Sort a[0..n) ascending (quicksort, insertion sort below 16 elements). */
void sc_sort_u32(uint32_t *a, size_t n)
{
    while (n > 16) {
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1], pivot, t;
        size_t i = 0, j = n - 1;
        pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* a[0..j] <= pivot <= a[j+1..n); recurse on the smaller part */
        if (j + 1 < n - j - 1) {
            sc_sort_u32(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sc_sort_u32(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t k = i;
        while (k > 0 && a[k - 1] > v) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}
