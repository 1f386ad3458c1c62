/* corpus.h - predictions joined with their references, tokenised and
 * counted once for every metric.
 *
 * Each caption is kept as its word ids (for ROUGE-L and diversity) and as a
 * bag: its n-grams of orders 1..4 as (n-gram id, count) pairs sorted by id
 * (for BLEU and CIDEr-D).  An item is one prediction with its references,
 * in the order of the prediction input.  The whole corpus is in memory:
 * corpus BLEU and CIDEr-D's document frequencies need every item.
 *
 * A word's id is the index of its first token in the corpus (words are
 * compared, never ordered); n-gram ids are dense, from 0, in order of first
 * appearance (captions in reading order, each one's unigrams, then its
 * bigrams, ...), so a bag's order, and with it every sum over a bag, is
 * the same for any number of threads.
 *
 * Reading is streaming and in order: blocks of lines are parsed, checked
 * and tokenised on sc_load_opts.threads threads, then each record is added
 * (and any error reported) in input order on the calling thread.  Word and
 * n-gram ids are found on as many threads once every caption is read, at
 * the end of sc_corpus_read_preds.  A corpus is used by one thread at a
 * time; once read, it is read-only and may be shared by threads.
 */
#ifndef MEDCAP_SCORE_CORPUS_H
#define MEDCAP_SCORE_CORPUS_H

#include "clinical.h"
#include "core/intern.h"
#include "labelset.h"
#include "tokenize.h"

#include <stdint.h>
#include <stdio.h>

#define SC_MAX_N 4
/* The longest caption read, in words (runs of characters other than space,
 * tab, CR and LF): ROUGE-L's time grows with the product of two captions'
 * lengths.  A longer caption makes its record bad input. */
#define SC_MAX_WORDS 10000

typedef struct {
    uint32_t id, count;
} sc_gram;

typedef struct {
    size_t tok_off, bag_off; /* into corpus toks / bags */
    uint32_t ntok, nbag;
} sc_caption;

typedef struct {
    uint32_t pred;       /* caption index of the prediction */
    uint32_t ref;        /* reference record index */
    long line;           /* line of the prediction record */
    size_t id_off, text_off; /* id and prediction text in corpus strings */
    sc_clinical pred_clin;
    sc_labelset pred_labels; /* empty unless sc_load_opts.labels */
} sc_item;

typedef struct {
    uint32_t cap0, ncap; /* captions cap0 .. cap0+ncap-1 */
    long line;           /* line of the reference record */
    uint32_t item;       /* item index + 1 of its prediction, 0 = none yet */
    sc_clinical clin;    /* of the first reference */
    sc_labelset labels;  /* empty unless sc_load_opts.labels */
} sc_refrec;

/* What to read and how to treat bad records. */
typedef struct {
    enum sc_tokenizer tokenizer;
    const char *pred_field; /* field of the prediction caption */
    const char *ref_field;  /* field of the references, NULL: "references" or "caption" */
    int keep_going;         /* skip bad records (counted) instead of failing */
    int labels;             /* read label sets (score_labelset.h) */
    int threads;            /* threads for parsing and counting (0 is 1) */
} sc_load_opts;

typedef struct {
    mc_intern ref_ids, values;
    sc_labelstore labels;
    uint8_t *gram_order; /* per n-gram id: its order 1..4 */
    uint32_t ngrams;     /* number of n-gram ids */
    uint32_t *toks;      /* word ids (set when the predictions are read) */
    size_t ntoks, toks_cap;
    char *tok_bytes;     /* while reading: each token's bytes ... */
    size_t ntok_bytes, tok_bytes_cap;
    size_t *tok_at;      /* ... where they start in tok_bytes, */
    uint32_t *tok_len;   /* their length */
    uint64_t *tok_hash;  /* and sc_first_hash, per token */
    size_t tok_meta_cap;
    sc_gram *bags;
    size_t nbags, bags_cap;
    sc_caption *caps;
    size_t ncaps, caps_cap;
    sc_refrec *refs;
    size_t nrefs, refs_cap;
    sc_item *items;
    size_t nitems, items_cap;
    char *strings; /* NUL-terminated ids and prediction texts */
    size_t nstrings, strings_cap;
    long skipped; /* records skipped under keep_going */
} sc_corpus;

/* An empty corpus. */
void sc_corpus_init(sc_corpus *c);
void sc_corpus_free(sc_corpus *c);

/* Read the reference records of f (named name).  Returns 0, or an exit
 * status after printing the error (bad records are skipped and counted
 * instead under keep_going). */
int sc_corpus_read_refs(sc_corpus *c, FILE *f, const char *name, const sc_load_opts *o);
/* Read the prediction records of f and join each to its reference record;
 * then check that every reference record has a prediction (refs_name names
 * the references in that message) and give the words and n-grams their
 * ids.  Returns 0 or an exit status. */
int sc_corpus_read_preds(sc_corpus *c, FILE *f, const char *name, const char *refs_name,
                         const sc_load_opts *o);

/* The union of the bags of reference record r's captions, each n-gram with
 * its largest count, sorted by id, into *buf (grown as needed, capacity *cap
 * elements).  Returns the number of entries. */
size_t sc_ref_union(const sc_corpus *c, const sc_refrec *r, sc_gram **buf, size_t *cap);

/* Order (1..4) of n-gram id g. */
static inline int sc_gram_order(const sc_corpus *c, uint32_t g) { return c->gram_order[g]; }
/* The NUL-terminated string at offset off of the string arena. */
const char *sc_corpus_str(const sc_corpus *c, size_t off);

#endif
