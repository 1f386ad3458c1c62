/* words.h - the words of a caption as the caption model counts them, with
 * their place in the text, so that the page can wrap each word the decoder
 * attended for in an element of its own and mark the words that a caption
 * and its reference share.
 *
 * The tokens are the caption model's own (mc_tokenize, model/arch/tokenizer.h:
 * words, and the punctuation it keeps, such as ':' and ','), found in the
 * text in order; decoder attention has one map per token in this order.
 */
#ifndef RP_WORDS_H
#define RP_WORDS_H

#include <stddef.h>
#include <stdio.h>

#include "core/strtab.h"

typedef struct {
    size_t start, len; /* bytes of the text */
    int punct;         /* 1 for a punctuation token (':', ',', ...) */
} rp_token;

typedef struct {
    rp_token *tok;
    int n, cap;
} rp_tokens;

/* Split text into t (reused; previous tokens dropped). */
void rp_tokens_split(rp_tokens *t, const char *text);
/* Free the tokens of t (it can be split into again). */
void rp_tokens_free(rp_tokens *t);

/* Add the lower-cased words (not the punctuation tokens) of text to set. */
void rp_words_add(mc_strtab *set, const char *text);
/* 1 when the lower-cased token tok of text is in set. */
int rp_words_has(const mc_strtab *set, const char *text, const rp_token *tok);

/* Write text escaped, each word found in set inside <mark>...</mark>. */
void rp_write_marked(FILE *f, const char *text, const mc_strtab *set);

#endif
