/* tokenizer.h - the caption vocabulary: word-level tokens and their ids.
 *
 * Tokenising: the text is lower-cased (ASCII) and split into runs of
 * letters and digits, a hyphen or slash between two of them and a decimal
 * point between two digits staying inside the word (as the PTB tokenizer
 * of the COCO scorer does); a colon, a comma or a full stop is a token of
 * its own (they give a caption its structure: "modality: ct, plane: axial",
 * and its sentences); everything else (spaces, other punctuation, symbols)
 * only separates tokens and is dropped.  "T2-weighted MRI, 3.5 cm." gives
 * t2-weighted mri , 3.5 cm .  Bytes >= 0x80 (UTF-8) count as letters.
 * Decoding joins words with single spaces and puts no space before a
 * colon, a comma or a full stop.
 *
 * Ids 0..3 are the special tokens <pad> <bos> <eos> <unk>; the words follow
 * in order of decreasing frequency (ties in byte order), those seen at least
 * min_freq times, at most max_size tokens in all.  Stored in a model file's
 * metadata as a JSON array string "vocab", index = id.
 */
#ifndef MEDCAP_TOKENIZER_H
#define MEDCAP_TOKENIZER_H

#include <stddef.h>
#include "nn/xent.h"

enum { MC_TOK_PAD = 0, MC_TOK_BOS = 1, MC_TOK_EOS = 2, MC_TOK_UNK = 3, MC_TOK_SPECIAL = 4 };
_Static_assert(MC_TOK_PAD == MC_XENT_PAD, "the loss ignores <pad>");

#define MC_TOK_MAX_WORD 64 /* longer runs are cut into pieces of this size */

typedef struct {
    char **word;  /* word[id], NUL-terminated */
    int n;        /* tokens, including the 4 special ones */
    int *table;   /* open-addressing hash of ids, size cap (power of 2) */
    int cap;
} mc_vocab;

/* Split text into tokens: calls fn(word, len, ctx) for each in order. */
void mc_tokenize(const char *text, void (*fn)(const char *w, size_t len, void *ctx), void *ctx);

/* Word counting for building a vocabulary. */
typedef struct mc_wordcount mc_wordcount;
mc_wordcount *mc_wordcount_new(void);
/* Count every token of text. */
void mc_wordcount_add(mc_wordcount *wc, const char *text);
/* Count the tokens of text as the tokenizer did before full stops were
 * tokens (no full stops; a decimal point splits a number): the joint
 * embedding's text side, whose shipped vocabulary predates them. */
void mc_wordcount_add_nostop(mc_wordcount *wc, const char *text);
void mc_wordcount_free(mc_wordcount *wc);

/* Build v from the counts: words seen >= min_freq times, most frequent
 * first, at most max_size tokens including the special ones. */
void mc_vocab_build(mc_vocab *v, const mc_wordcount *wc, int min_freq, int max_size);
/* Load v from a JSON array of strings (the "vocab" metadata); returns 0, or
 * -1 with the reason in err (not an array, too short, the special tokens
 * not first, a duplicate or empty word). */
int mc_vocab_from_json(mc_vocab *v, const char *json, char *err, size_t errlen);
/* The vocabulary as a JSON array text (malloc'd). */
char *mc_vocab_to_json(const mc_vocab *v);
/* Id of word (len bytes), or MC_TOK_UNK. */
int mc_vocab_id(const mc_vocab *v, const char *w, size_t len);
/* Encode text: ids of its tokens into ids[0..max), returns how many tokens
 * the text has (may exceed max; only max are written). */
int mc_vocab_encode(const mc_vocab *v, const char *text, int *ids, int max);
/* mc_vocab_encode without full-stop tokens (see mc_wordcount_add_nostop). */
int mc_vocab_encode_nostop(const mc_vocab *v, const char *text, int *ids, int max);
/* Words of ids[0..n) joined by single spaces, without a space before ':'
 * or ',' (special tokens skipped), malloc'd. */
char *mc_vocab_decode(const mc_vocab *v, const int *ids, int n);
void mc_vocab_free(mc_vocab *v);

#endif
