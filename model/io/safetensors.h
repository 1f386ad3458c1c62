/* safetensors.h - reading and writing model weights as .safetensors.
 *
 * Format: u64 little-endian header length N, N bytes of JSON
 *   {"__metadata__": {string: string, ...},
 *    NAME: {"dtype": "F32"|"F16"|"BF16", "shape": [...], "data_offsets": [begin, end]}, ...}
 * then the raw little-endian C-order tensor data (offsets relative to the
 * byte after the header).  Names and layouts are PyTorch's state_dict ones.
 *
 * __metadata__ makes a model file self-describing: by convention it holds
 * "format": "medcap", "arch" (e.g. "cnn-small", "resnet18", "sat-lstm"),
 * "config" (a JSON object as a string), and for full caption models
 * "vocab" (a JSON array of tokens as a string).
 */
#ifndef MEDCAP_SAFETENSORS_H
#define MEDCAP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "core/params.h"

#define MC_ST_MAX_HEADER (100u << 20) /* 100 MiB of JSON header */

/* I64 is accepted so that a PyTorch state_dict with batch-norm
 * num_batches_tracked counters loads as is; it converts to float. */
enum { MC_ST_F32 = 1, MC_ST_F16 = 2, MC_ST_BF16 = 3, MC_ST_I64 = 4 };

typedef struct {
    char *name;
    int dtype;
    int ndim;
    int64_t shape[8];
    size_t begin, end; /* byte range relative to the data section */
} mc_st_tensor;

typedef struct {
    const char *path;
    unsigned char *map; /* the whole file, memory-mapped read-only */
    size_t size;
    size_t data_off;    /* 8 + header length */
    cJSON *metadata;    /* the __metadata__ object, or NULL */
    mc_st_tensor *t;
    int n;
} mc_st_file;

/* Open and validate PATH: header length cap, JSON parse, dtype, shape x item
 * size equal to the byte range, ranges inside the file, no overlaps, no
 * duplicate names.  Returns 0, or MC_EXIT_IO (cannot open/read) or
 * MC_EXIT_MODEL (invalid file) with a message in err naming the file and,
 * where there is one, the tensor. */
int mc_st_open(mc_st_file *f, const char *path, char *err, size_t errlen);
/* A metadata string value, or NULL. */
const char *mc_st_meta(const mc_st_file *f, const char *key);
/* Index of tensor NAME in the file, or -1. */
int mc_st_find(const mc_st_file *f, const char *name);
/* Copy tensor i into dst as F32 (converting F16/BF16); count must equal the
 * tensor's element count. */
void mc_st_read_f32(const mc_st_file *f, int i, float *dst);
/* 1 if file tensor t has exactly the shape of table entry s, else 0. */
int mc_st_shape_matches(const mc_st_tensor *t, const mc_tensor_spec *s);
/* Write a shape as "[a,b,c]" into buf (n bytes, truncated to fit). */
void mc_st_shape_str(char *buf, size_t n, int ndim, const int64_t *shape);
/* 1 for a bookkeeping tensor no model needs (a PyTorch batch-norm
 * "*.num_batches_tracked" counter), which loaders skip, else 0. */
int mc_st_is_bookkeeping(const char *name);
/* Fill every tensor of p (already allocated) from the file, checking each
 * name and shape against p's table: a missing tensor, a shape mismatch
 * ("tensor 'layer1.0.conv1.weight' has shape [64,3,3,3], expected
 * [64,64,3,3]") or a tensor the table does not know is MC_EXIT_MODEL with
 * the message in err.  Returns 0 on success. */
int mc_st_load_params(const mc_st_file *f, mc_params *p, char *err, size_t errlen);
/* Like mc_st_load_params for the tensors named PREFIX + table name (e.g.
 * "encoder." in a full caption model); file tensors without the prefix are
 * ignored, and names ending in ".num_batches_tracked" are never required. */
int mc_st_load_prefix(const mc_st_file *f, mc_params *p, const char *prefix, char *err,
                      size_t errlen);
/* What a loader may add to the checks of mc_st_load_prefix. */
typedef struct {
    const char *owner; /* named in messages ("encoder resnet18"); NULL: none */
    const char *skip;  /* file tensors PREFIX + skip... are ignored; NULL: none */
    /* For table entry i, whose file tensor j has another shape: fill dst
     * from it and return 1, or return 0 (a shape mismatch).  NULL: always 0. */
    int (*convert)(const mc_st_file *f, int j, int i, float *dst, void *ctx);
    void *ctx;
} mc_st_load_rules;
/* mc_st_load_prefix under rules r (NULL: none); a missing tensor's message
 * ends " (OWNER)", an unexpected one's "(not part of OWNER)".  On a table
 * not yet allocated (p->data NULL) only names and shapes are checked and
 * nothing is read: loaders check a file this way before allocating what
 * its metadata asks for. */
int mc_st_load_ruled(const mc_st_file *f, mc_params *p, const char *prefix,
                     const mc_st_load_rules *r, char *err, size_t errlen);
/* Unmap and free. */
void mc_st_close(mc_st_file *f);

/* Write every tensor of p as F32 (or F16 when half is non-zero), with the
 * string pairs of metadata (a cJSON object of strings, may be NULL) as
 * __metadata__, atomically (temporary file, then rename).  Returns 0, or -1
 * after printing a message. */
int mc_st_write(const char *path, const mc_params *p, const cJSON *metadata, int half);

#endif
