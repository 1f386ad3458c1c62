/* tokenize.c - the COCO-style caption tokeniser (see tokenize.h). */
#define _POSIX_C_SOURCE 200809L
#include "tokenize.h"

#include <string.h>

/* Lower-case src[0..len) into dst (same length): ASCII, Latin-1 and Greek
 * capitals, as documented in tokenize.h. */
static void lower_copy(char *dst, const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    unsigned char *d = (unsigned char *)dst;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            d[i] = (unsigned char)(c + 32);
        } else if (c == 0xC3 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9E &&
                   s[i + 1] != 0x97) {
            d[i] = c; /* U+00C0-U+00DE -> U+00E0-U+00FE */
            d[i + 1] = (unsigned char)(s[i + 1] + 0x20);
            i++;
        } else if (c == 0xCE && i + 1 < len && s[i + 1] >= 0x91 && s[i + 1] <= 0xA9 &&
                   s[i + 1] != 0xA2) {
            if (s[i + 1] <= 0x9F) { /* U+0391-U+039F -> U+03B1-U+03BF */
                d[i] = 0xCE;
                d[i + 1] = (unsigned char)(s[i + 1] + 0x20);
            } else { /* U+03A0-U+03A9 -> U+03C0-U+03C9 */
                d[i] = 0xCF;
                d[i + 1] = (unsigned char)(s[i + 1] - 0x20);
            }
            i++;
        } else {
            d[i] = c;
        }
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* 1 if c is punctuation COCO drops when it stands at the edge of a piece. */
static int is_dropped(char c)
{
    return c && strchr(".,;:!?'\"`-(){}[]", c) != NULL;
}

/* 1 if c becomes a token of its own when it stands at the edge of a piece. */
static int is_symbol(char c)
{
    return c == '%' || c == '$' || c == '#' || c == '&';
}

/* Length of the clitic ending w[0..n), or 0: n't 's 're 've 'll 'd 'm,
 * only when something is left before it. */
static size_t clitic_len(const char *w, size_t n)
{
    static const char *const clitics[] = {"n't", "'ll", "'re", "'ve", "'s", "'d", "'m"};
    for (size_t k = 0; k < sizeof clitics / sizeof clitics[0]; k++) {
        size_t m = strlen(clitics[k]);
        if (n > m && memcmp(w + n - m, clitics[k], m) == 0)
            return m;
    }
    return 0;
}

/* Tokenise one white-space-free piece p[0..n) of lower-cased text. */
static void piece(const char *p, size_t n, sc_token_fn emit, void *ctx)
{
    size_t b = 0, e = n, c, tail_start;
    while (b < e && (is_dropped(p[b]) || is_symbol(p[b]))) {
        if (is_symbol(p[b]))
            emit(p + b, 1, ctx);
        b++;
    }
    while (e > b && (is_dropped(p[e - 1]) || is_symbol(p[e - 1])))
        e--;
    tail_start = e;
    if (e > b) {
        c = clitic_len(p + b, e - b);
        emit(p + b, e - b - c, ctx);
        if (c)
            emit(p + e - c, c, ctx);
    }
    for (size_t i = tail_start; i < n; i++)
        if (is_symbol(p[i]))
            emit(p + i, 1, ctx);
}

void sc_tokenize(enum sc_tokenizer kind, const char *text, size_t len, char *scratch,
                 sc_token_fn emit, void *ctx)
{
    const char *s = text;
    size_t i = 0;
    if (kind == SC_TOK_COCO) {
        lower_copy(scratch, text, len);
        s = scratch;
    }
    while (i < len) {
        size_t j;
        while (i < len && is_space(s[i]))
            i++;
        j = i;
        while (j < len && !is_space(s[j]))
            j++;
        if (j > i) {
            if (kind == SC_TOK_COCO)
                piece(s + i, j - i, emit, ctx);
            else
                emit(s + i, j - i, ctx);
        }
        i = j;
    }
}
