/* caption_model.h - a full caption model in one safetensors file: the
 * decoder's tensors under "decoder.", the encoder's (when the model carries
 * one, as after medcap-train --train-encoder) under "encoder.", and
 * __metadata__ {"format": "medcap-caption-model", "arch", "config",
 * "vocab", "grid" ("[gh,gw]"), "encoder_arch", "encoder_hash",
 * "encoder_config"}.  A model with classifier heads for the structured
 * fields (arch/field_heads.h) adds their tensors under "heads." and the
 * metadata "fields"; one conditioned on patient context (arch/context.h)
 * adds "context.embedding" and the metadata "context".  "decode_min_len" is the default fewest tokens of a
 * decoded caption (the median length of the training captions).  The vocabulary in the metadata makes the file alone
 * enough to decode.  Training checkpoints are the same file plus the
 * optimizer moments ("optim.m." / "optim.v." + tensor name) and a
 * "train_state" metadata string.
 */
#ifndef MEDCAP_CAPTION_MODEL_H
#define MEDCAP_CAPTION_MODEL_H

#include <cjson/cJSON.h>

#include "arch/decoder.h"
#include "arch/encoder.h"
#include "arch/context.h"
#include "arch/field_heads.h"
#include "core/params.h"
#include "io/safetensors.h"
#include "arch/tokenizer.h"

#define MC_CAPTION_FORMAT "medcap-caption-model"

typedef struct {
    mc_decoder dec;
    mc_params dparams; /* decoder tensors, table names without "decoder." */
    mc_vocab vocab;
    mc_encoder *enc;   /* NULL when the model carries no encoder */
    char encoder_arch[64];
    char encoder_hash[32]; /* of the encoder the features came from */
    char *encoder_config;  /* JSON text or NULL */
    int gh, gw;
    mc_heads *heads;       /* NULL when the model has no field heads */
    mc_context *ctx;       /* NULL when the model takes no patient context */
    int min_len;           /* decoding's default fewest tokens ("decode_min_len"; 0: none) */
} mc_capmodel;

/* Build the decoder of architecture arch for cfg (vocab, grid, channels
 * set) and allocate its tensors; the vocabulary is moved into m.  0, or -1
 * with the reason in err. */
int mc_capmodel_new(mc_capmodel *m, const char *arch, const mc_decoder_config *cfg, mc_vocab *vocab,
                    char *err, size_t errlen);
/* Load a model (or checkpoint) file: the metadata checked, decoder (and
 * encoder, when present) tensors loaded.  The open file is returned in f
 * when f is not NULL (the caller closes it), for reading a checkpoint's
 * optimizer state.  Returns 0, or MC_EXIT_IO / MC_EXIT_MODEL with a message
 * in err naming the file. */
int mc_capmodel_load(mc_capmodel *m, const char *path, mc_st_file *f, char *err, size_t errlen);
/* Copy the optimizer moments of a checkpoint into m's tables (allocating
 * them); 0, or MC_EXIT_MODEL with the reason in err. */
int mc_capmodel_load_moments(mc_capmodel *m, const mc_st_file *f, char *err, size_t errlen);
/* Write m to path atomically; with moments set, also the Adam moments;
 * extra (a cJSON object of strings, may be NULL) is added to the metadata.
 * Returns 0, or -1 after printing a message. */
int mc_capmodel_save(const mc_capmodel *m, const char *path, int moments, const cJSON *extra);
void mc_capmodel_free(mc_capmodel *m);

/* A second decoder over a model's decoder weights, for decoding on
 * another thread: the same architecture and configuration with scratch of
 * its own, its table borrowing m's values (read only; valid while m is). */
typedef struct {
    mc_decoder dec;
    mc_params p;
} mc_decoder_copy;

/* Make c from m's decoder; 0, or -1 with the reason in err. */
int mc_capmodel_decoder_copy(const mc_capmodel *m, mc_decoder_copy *c, char *err, size_t errlen);
/* Free c's own parts (not the borrowed values). */
void mc_capmodel_decoder_copy_free(mc_decoder_copy *c);

#endif
