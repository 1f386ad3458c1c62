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
dc_consensus *dc_consensus_open(const char *path, int k, int C, const char *hash, const mc_heads *h,
                                int *rc);
/* Find the neighbours of grid (G,C), and vote each field of heads h (may
 * be NULL; h->probs of the grid's last forward): cls[i] becomes the class
 * with the highest mean of the head's probability and the share of the
 * neighbours whose caption names it ("name: value,"). */
void dc_consensus_vote(dc_consensus *c, const float *grid, int G, const mc_heads *h, int *cls);
/* The caption to write, among the model's caption and those of the
 * neighbours of the last vote: a malloc'd copy of the best candidate;
 * *from is NULL when it is the model's, else the neighbour's id.  A
 * neighbour's caption is normalised (lower case, medcap's tokens) and the
 * values of the fields of h (may be NULL) that it names become cls. */
char *dc_consensus_choose(dc_consensus *c, const char *caption, const mc_heads *h, const int *cls,
                          const char **from);
void dc_consensus_free(dc_consensus *c);

#endif
