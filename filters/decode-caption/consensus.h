/* consensus.h - a second opinion from similar training images for
 * medcap-decode-caption --index: the k nearest cases of a grid's pooled
 * feature in a case index (medcap-index(5)), and the choice, among the
 * model's caption and the neighbours' captions, of the one with the highest
 * mean CIDEr-D against the other neighbours' captions (nearest-neighbour
 * consensus captioning, Devlin et al. 2015).  Words are compared by a hash
 * of medcap's tokens; document frequencies come from every caption of the
 * index.
 */
#ifndef MEDCAP_DC_CONSENSUS_H
#define MEDCAP_DC_CONSENSUS_H

#include "arch/field_heads.h"

typedef struct dc_consensus dc_consensus;

/* Open the index at path for k neighbours of a model whose grids have C
 * channels and whose encoder hash is hash ("" when unknown).  NULL after a
 * message naming the file (and *rc set: MC_EXIT_IO, or MC_EXIT_MODEL for an
 * index that is invalid, of another feature size or of another encoder, or
 * without captions). */
dc_consensus *dc_consensus_open(const char *path, int k, int C, const char *hash, int *rc);
/* The caption to write for grid (G,C), whose model caption is caption: a
 * malloc'd copy of the best candidate; *from is NULL when it is the
 * model's, else the neighbour's id.  A neighbour's caption has its field
 * values (those of heads h that its record names) replaced by the heads'
 * classes cls; h may be NULL. */
char *dc_consensus_choose(dc_consensus *c, const float *grid, int G, const char *caption,
                          const mc_heads *h, const int *cls, const char **from);
void dc_consensus_free(dc_consensus *c);

#endif
