/* frame.h - the binary frame: one tensor plus its JSON record, for pipes.
 *
 * Layout (all integers little-endian; see medcap-frame(5)):
 *   offset size
 *     0     8   magic "\x89MCFRAME" (0x89 can never begin a JSON line)
 *     8     2   version (1)
 *    10     1   dtype (1 U8, 2 U16, 3 F32)
 *    11     1   ndim (0..4)
 *    12     4   reserved, 0
 *    16    16   dims[4] u32, outermost first (C order); unused dims are 0
 *    32     4   meta_len: bytes of JSON metadata (no NUL)
 *    36     4   reserved, 0
 *    40     8   payload_len: bytes of tensor data
 *    48     4   CRC32 of the metadata bytes
 *    52     4   CRC32 of the payload bytes
 *    56     4   reserved, 0
 *    60     4   CRC32 of header bytes 0..59
 *    64         metadata, zero-padded to a multiple of 64
 *               payload, zero-padded to a multiple of 64
 * A frame is therefore a multiple of 64 bytes long, and payloads of
 * concatenated frames stay 64-byte aligned.
 */
#ifndef MEDCAP_FRAME_H
#define MEDCAP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MC_FRAME_MAGIC "\x89MCFRAME"
#define MC_FRAME_HEADER 64
#define MC_FRAME_VERSION 1
#define MC_FRAME_MAX_META (16u << 20)            /* 16 MiB of JSON */
#define MC_FRAME_MAX_PAYLOAD ((uint64_t)1 << 32) /* 4 GiB */

typedef enum { MC_U8 = 1, MC_U16 = 2, MC_F32 = 3 } mc_dtype;

typedef struct {
    mc_dtype dtype;
    int ndim;
    uint32_t dims[4];
    char *meta;      /* NUL-terminated JSON text of the record */
    size_t meta_len; /* strlen(meta) */
    void *data;      /* payload, 64-byte aligned */
    size_t nbytes;   /* payload bytes */
    size_t meta_cap, data_cap; /* buffers are reused across reads */
} mc_frame;

/* Result of mc_frame_read. */
enum { MC_FRAME_EOF = 0, MC_FRAME_OK = 1, MC_FRAME_ERR = -1 };

/* Bytes per element of dtype (0 for an unknown dtype). */
size_t mc_dtype_size(int dtype);
/* "u8", "u16", "f32" or "?". */
const char *mc_dtype_name(int dtype);
/* Number of elements (product of dims; 1 for ndim 0). */
size_t mc_frame_count(const mc_frame *fr);

/* Read the next frame from f into fr (buffers reused).  Validates magic,
 * version, dtype, ndim, sizes (overflow and caps), header CRC before
 * allocating, then metadata and payload CRCs.  Returns MC_FRAME_OK,
 * MC_FRAME_EOF at a clean end (no byte read), or MC_FRAME_ERR with a
 * description in err (e.g. "truncated frame: payload ends after 100 of
 * 4096 bytes").  With check_crc 0 the metadata/payload CRCs are not
 * verified but reported through *crc_ok (may be NULL). */
int mc_frame_read(FILE *f, mc_frame *fr, char *err, size_t errlen);
int mc_frame_read_ex(FILE *f, mc_frame *fr, int check_crc, int *crc_ok,
                     char *err, size_t errlen);

/* Results of mc_frame_write. */
enum { MC_FRAME_WRITE_OK = 0, MC_FRAME_WRITE_IO = -1, MC_FRAME_WRITE_TOO_BIG = -2 };

/* Write one frame.  meta is a JSON object text (meta_len bytes); data holds
 * count(dims) * dtype_size bytes (may be NULL when that is 0).  Returns MC_FRAME_WRITE_OK,
 * MC_FRAME_WRITE_IO on a write error, or MC_FRAME_WRITE_TOO_BIG, writing
 * nothing, when meta_len is over MC_FRAME_MAX_META or the payload over
 * MC_FRAME_MAX_PAYLOAD: a writer never writes what mc_frame_read refuses. */
int mc_frame_write(FILE *f, int dtype, int ndim, const uint32_t *dims,
                   const char *meta, size_t meta_len, const void *data);

/* Free the buffers of fr (fr itself is not freed). */
void mc_frame_free(mc_frame *fr);

/* What a stream holds, from its first byte (pushed back with ungetc). */
enum { MC_INPUT_EMPTY = 0, MC_INPUT_FRAMES = 1, MC_INPUT_JSON = 2 };
int mc_input_kind(FILE *f);

#endif
