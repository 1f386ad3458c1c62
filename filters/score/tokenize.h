/* tokenize.h - the caption tokeniser shared by every metric.
 *
 * "coco" (the default) follows the COCO caption evaluation's tokeniser
 * (Stanford PTBTokenizer with -lowerCase, then removal of its punctuation
 * tokens), as far as it can be done without Java:
 *   1. lower-case A-Z, Latin-1 capitals U+00C0-U+00DE (not U+00D7) and
 *      Greek capitals U+0391-U+03A9; other bytes are kept as they are;
 *   2. split at ASCII white space;
 *   3. peel punctuation off both ends of each piece: . , ; : ! ? ' " ` - ( )
 *      [ ] { } are dropped (as COCO drops PTB's punctuation tokens),
 *      % $ # & become tokens of their own;
 *   4. split a clitic off the end of what is left, as PTB does:
 *      n't 's 're 've 'll 'd 'm (the clitic is a token of its own).
 * Punctuation inside a piece (x-ray, 3.5, t2-weighted, and/or) stays.
 * "none" splits at ASCII white space only, for pre-tokenised text.
 */
#ifndef MEDCAP_SCORE_TOKENIZE_H
#define MEDCAP_SCORE_TOKENIZE_H

#include <stddef.h>

enum sc_tokenizer { SC_TOK_COCO, SC_TOK_NONE };

/* Token callback: tok[0..len) is one token (not NUL-terminated). */
typedef void (*sc_token_fn)(const char *tok, size_t len, void *ctx);

/* Tokenise text[0..len) with the given tokeniser, calling emit for each
 * token in order.  scratch must hold at least len bytes (lower-cased copy). */
void sc_tokenize(enum sc_tokenizer kind, const char *text, size_t len, char *scratch,
                 sc_token_fn emit, void *ctx);

#endif
