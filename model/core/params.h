/* params.h - a model's parameters: one allocation described by a table.
 *
 * Build the table with mc_params_add (name and shape, PyTorch state_dict
 * names and layouts: conv weights OIHW, linear [out,in]), then
 * mc_params_alloc makes one 64-byte aligned, zeroed float buffer for all.
 * Gradients and optimizer moments are separate buffers of the same layout,
 * made on first use.  mc_params_free releases everything.
 */
#ifndef MEDCAP_PARAMS_H
#define MEDCAP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define MC_PARAM_NAME 128

typedef struct {
    char name[MC_PARAM_NAME];
    int ndim;
    int64_t shape[4];
    size_t offset; /* in floats, from the start of the buffer */
    size_t count;  /* product of shape */
    int buffer;    /* 1: state such as batch-norm running statistics: saved
                      with the weights, never trained (optimizers skip it) */
} mc_tensor_spec;

typedef struct {
    mc_tensor_spec *t;
    int n, cap;
    size_t total; /* floats in all tensors */
    float *data;  /* NULL until mc_params_alloc */
    float *grad;  /* NULL until mc_params_grad */
    float *m, *v; /* Adam moments, NULL until mc_params_moments */
} mc_params;

/* An empty table. */
void mc_params_init(mc_params *p);
/* Append tensor NAME of the given shape (ndim 1..4) before mc_params_alloc;
 * returns its index.  Dies on a duplicate name (a programming error). */
int mc_params_add(mc_params *p, const char *name, int ndim, const int64_t *shape);
/* Like mc_params_add, for a non-trained buffer (sets .buffer = 1). */
int mc_params_add_buffer(mc_params *p, const char *name, int ndim, const int64_t *shape);
/* Shorthand: shape given as up to 4 ints, trailing ones ignored past ndim. */
int mc_params_addv(mc_params *p, const char *name, int ndim, int64_t d0, int64_t d1,
                   int64_t d2, int64_t d3);
/* Allocate the zeroed parameter buffer for the table. */
void mc_params_alloc(mc_params *p);
/* Index of NAME, or -1. */
int mc_params_find(const mc_params *p, const char *name);
/* Pointer to tensor i's values (data + offset). */
float *mc_params_at(const mc_params *p, int i);
/* The gradient buffer, allocated (zeroed) on first call. */
float *mc_params_grad(mc_params *p);
/* Set every gradient to zero (allocating the buffer if needed). */
void mc_params_zero_grad(mc_params *p);
/* Allocate (zeroed) the Adam moment buffers m and v if not yet there. */
void mc_params_moments(mc_params *p);
/* Free every buffer and the table; p is left empty. */
void mc_params_free(mc_params *p);

#endif
