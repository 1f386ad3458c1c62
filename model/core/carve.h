/* carve.h - work space sized and cut by the same code, so that the size
 * and the cuts cannot disagree.
 *
 * A block of work space holds several arrays.  Write the cuts once, in a
 * loop that runs twice:
 *
 *     mc_carve k = MC_CARVE_INIT;
 *     do {
 *         a = mc_carve_floats(&k, na);
 *         b = mc_carve_ints(&k, nb);
 *     } while (mc_carve_next(&k, &ws));
 *
 * The first pass only counts bytes (every cut returns NULL); mc_carve_next
 * then makes the work space ws large enough and starts the second pass,
 * which cuts the same arrays from it, each aligned to MC_CARVE_ALIGN bytes
 * from the block's start.  After the loop, k.base and k.used are the block
 * and the bytes cut from it.  A second pass that cuts more than the first
 * counted is an internal error (exit 70), never an overflow.
 *
 * An mc_workspace is a block that only grows: memory it gains is zeroed,
 * what it held before growing is not kept.  Neither type is shared between
 * threads; distinct ones are independent.
 */
#ifndef MEDCAP_CARVE_H
#define MEDCAP_CARVE_H

#include <stddef.h>

#define MC_CARVE_ALIGN 64

typedef struct {
    void *p;    /* NULL until first fitted */
    size_t cap; /* bytes */
} mc_workspace;
#define MC_WORKSPACE_INIT {NULL, 0}

typedef struct {
    unsigned char *base; /* NULL in the sizing pass */
    size_t used;         /* bytes cut (or counted) so far in this pass */
    size_t need;         /* bytes the sizing pass counted */
    int pass;            /* 0 sizing, 1 cutting, 2 done */
} mc_carve;
#define MC_CARVE_INIT {NULL, 0, 0, 0}

/* The next array of n elements of size bytes: NULL in the sizing pass, a
 * pointer into the block in the cutting pass.  Overflow of n * size or of
 * the total exits with MC_EXIT_INTERNAL. */
void *mc_carve_take(mc_carve *k, size_t n, size_t size);
/* mc_carve_take for n floats / n ints. */
float *mc_carve_floats(mc_carve *k, size_t n);
int *mc_carve_ints(mc_carve *k, size_t n);
/* End a pass: after the sizing pass fit w to the counted bytes and return 1
 * (run the cuts again); after the cutting pass return 0. */
int mc_carve_next(mc_carve *k, mc_workspace *w);

/* w's block of at least bytes (grown and zeroed when smaller). */
void *mc_workspace_fit(mc_workspace *w, size_t bytes);
/* Release w's block; w is empty again. */
void mc_workspace_free(mc_workspace *w);

#endif
