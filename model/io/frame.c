/* frame.c - binary frame reader and writer (format in frame.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/frame.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void put_u16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static size_t pad64(size_t n) { return (64 - n % 64) % 64; }

static uint32_t crc(const void *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *b = p;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, b, chunk);
        b += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

size_t mc_dtype_size(int dtype)
{
    switch (dtype) {
    case MC_U8: return 1;
    case MC_U16: return 2;
    case MC_F32: return 4;
    default: return 0;
    }
}

const char *mc_dtype_name(int dtype)
{
    switch (dtype) {
    case MC_U8: return "u8";
    case MC_U16: return "u16";
    case MC_F32: return "f32";
    default: return "?";
    }
}

size_t mc_frame_count(const mc_frame *fr)
{
    size_t n = 1;
    for (int i = 0; i < fr->ndim; i++)
        n *= fr->dims[i];
    return n;
}

/* Skip n padding bytes; 0 on success, -1 if the stream ended. */
static int skip(FILE *f, size_t n)
{
    unsigned char buf[64];
    return n > 0 && fread(buf, 1, n, f) != n ? -1 : 0;
}

int mc_frame_read(FILE *f, mc_frame *fr, char *err, size_t errlen)
{
    return mc_frame_read_ex(f, fr, 1, NULL, err, errlen);
}

int mc_frame_read_ex(FILE *f, mc_frame *fr, int check_crc, int *crc_ok,
                     char *err, size_t errlen)
{
    unsigned char h[MC_FRAME_HEADER];
    size_t got = fread(h, 1, sizeof h, f);
    uint32_t dims[4], meta_len, crc_meta, crc_payload;
    uint64_t payload_len;
    size_t count = 1, nbytes, isz;
    int dtype, ndim, good = 1;

    if (got == 0 && !ferror(f))
        return MC_FRAME_EOF;
    if (got < sizeof h) {
        if (ferror(f))
            snprintf(err, errlen, "read error");
        else
            snprintf(err, errlen, "truncated frame: header ends after %zu of 64 bytes", got);
        return MC_FRAME_ERR;
    }
    if (memcmp(h, MC_FRAME_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not a medcap frame (bad magic)");
        return MC_FRAME_ERR;
    }
    if (get_u32(h + 60) != crc(h, 60)) {
        snprintf(err, errlen, "frame header CRC mismatch");
        return MC_FRAME_ERR;
    }
    if (get_u16(h + 8) != MC_FRAME_VERSION) {
        snprintf(err, errlen, "unsupported frame version %u", get_u16(h + 8));
        return MC_FRAME_ERR;
    }
    dtype = h[10];
    ndim = h[11];
    isz = mc_dtype_size(dtype);
    if (isz == 0) {
        snprintf(err, errlen, "unknown dtype %d", dtype);
        return MC_FRAME_ERR;
    }
    if (ndim > 4) {
        snprintf(err, errlen, "ndim %d is over 4", ndim);
        return MC_FRAME_ERR;
    }
    for (int i = 0; i < 4; i++) {
        dims[i] = get_u32(h + 16 + 4 * i);
        if (i < ndim && mc_mul_overflow(count, dims[i], &count) != 0) {
            snprintf(err, errlen, "shape overflows");
            return MC_FRAME_ERR;
        }
        if (i >= ndim && dims[i] != 0) {
            snprintf(err, errlen, "dimension %d set beyond ndim %d", i, ndim);
            return MC_FRAME_ERR;
        }
    }
    meta_len = get_u32(h + 32);
    payload_len = get_u64(h + 40);
    crc_meta = get_u32(h + 48);
    crc_payload = get_u32(h + 52);
    if (meta_len > MC_FRAME_MAX_META) {
        snprintf(err, errlen, "metadata of %u bytes is over the %u cap", meta_len, MC_FRAME_MAX_META);
        return MC_FRAME_ERR;
    }
    if (payload_len > MC_FRAME_MAX_PAYLOAD) {
        snprintf(err, errlen, "payload of %llu bytes is over the cap", (unsigned long long)payload_len);
        return MC_FRAME_ERR;
    }
    if (mc_mul_overflow(count, isz, &nbytes) != 0 || nbytes != payload_len) {
        snprintf(err, errlen, "payload of %llu bytes does not match shape and dtype",
                 (unsigned long long)payload_len);
        return MC_FRAME_ERR;
    }
    if (fr->meta_cap < (size_t)meta_len + 1) {
        free(fr->meta);
        fr->meta = mc_malloc((size_t)meta_len + 1);
        fr->meta_cap = (size_t)meta_len + 1;
    }
    if (fr->data_cap < nbytes) {
        free(fr->data);
        fr->data = aligned_alloc(64, nbytes + pad64(nbytes) + 64);
        if (!fr->data)
            mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", nbytes);
        fr->data_cap = nbytes;
    }
    got = fread(fr->meta, 1, meta_len, f);
    if (got < meta_len || skip(f, pad64(MC_FRAME_HEADER + meta_len)) != 0) {
        snprintf(err, errlen, "truncated frame: metadata ends after %zu of %u bytes", got, meta_len);
        return MC_FRAME_ERR;
    }
    fr->meta[meta_len] = '\0';
    got = fread(fr->data, 1, nbytes, f);
    if (got < nbytes || skip(f, pad64(nbytes)) != 0) {
        snprintf(err, errlen, "truncated frame: payload ends after %zu of %zu bytes", got, nbytes);
        return MC_FRAME_ERR;
    }
    if (crc(fr->meta, meta_len) != crc_meta) {
        good = 0;
        if (check_crc) {
            snprintf(err, errlen, "frame metadata CRC mismatch");
            return MC_FRAME_ERR;
        }
    }
    if (crc(fr->data, nbytes) != crc_payload) {
        good = 0;
        if (check_crc) {
            snprintf(err, errlen, "frame payload CRC mismatch");
            return MC_FRAME_ERR;
        }
    }
    if (crc_ok)
        *crc_ok = good;
    fr->dtype = (mc_dtype)dtype;
    fr->ndim = ndim;
    memcpy(fr->dims, dims, sizeof dims);
    fr->meta_len = meta_len;
    fr->nbytes = nbytes;
    return MC_FRAME_OK;
}

int mc_frame_write(FILE *f, int dtype, int ndim, const uint32_t *dims,
                   const char *meta, size_t meta_len, const void *data)
{
    static const unsigned char zeros[64];
    unsigned char h[MC_FRAME_HEADER] = {0};
    size_t count = 1, nbytes;
    for (int i = 0; i < ndim; i++)
        if (mc_mul_overflow(count, dims[i], &count) != 0)
            return MC_FRAME_WRITE_TOO_BIG;
    if (mc_mul_overflow(count, mc_dtype_size(dtype), &nbytes) != 0 || nbytes > MC_FRAME_MAX_PAYLOAD ||
        meta_len > MC_FRAME_MAX_META)
        return MC_FRAME_WRITE_TOO_BIG;
    memcpy(h, MC_FRAME_MAGIC, 8);
    put_u16(h + 8, MC_FRAME_VERSION);
    h[10] = (unsigned char)dtype;
    h[11] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++)
        put_u32(h + 16 + 4 * i, dims[i]);
    put_u32(h + 32, (uint32_t)meta_len);
    put_u64(h + 40, nbytes);
    put_u32(h + 48, crc(meta, meta_len));
    put_u32(h + 52, crc(data, nbytes));
    put_u32(h + 60, crc(h, 60));
    if (fwrite(h, 1, sizeof h, f) != sizeof h ||
        fwrite(meta, 1, meta_len, f) != meta_len ||
        fwrite(zeros, 1, pad64(MC_FRAME_HEADER + meta_len), f) != pad64(MC_FRAME_HEADER + meta_len) ||
        (nbytes > 0 && fwrite(data, 1, nbytes, f) != nbytes) || /* data may be NULL then */
        fwrite(zeros, 1, pad64(nbytes), f) != pad64(nbytes))
        return MC_FRAME_WRITE_IO;
    return MC_FRAME_WRITE_OK;
}

void mc_frame_free(mc_frame *fr)
{
    free(fr->meta);
    free(fr->data);
    memset(fr, 0, sizeof *fr);
}

int mc_input_kind(FILE *f)
{
    int c;
    do
        c = getc(f);
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n');
    if (c == EOF)
        return MC_INPUT_EMPTY;
    ungetc(c, f);
    return c == 0x89 ? MC_INPUT_FRAMES : MC_INPUT_JSON;
}
