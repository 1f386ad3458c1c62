/* npz.c - frames as a NumPy .npz archive (see npz.h).  Zip layout from
 * PKWARE's APPNOTE.TXT 6.3: local header + data per member, then the
 * central directory, the ZIP64 end records where needed, and the end of
 * central directory record. */
#define _POSIX_C_SOURCE 200809L
#include "npz.h"
#include "npy.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define U32_MAX 0xffffffffu
#define DOS_DATE 0x0021 /* 1980-01-01 */
#define DOS_TIME 0x0000

static unsigned char *put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    return p + 2;
}
static unsigned char *put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 4;
}
static unsigned char *put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

static uint32_t crc_more(uint32_t c, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = (uint32_t)crc32(c, b, chunk);
        b += chunk;
        n -= chunk;
    }
    return c;
}

static int put(npz_writer *z, const void *p, size_t n)
{
    if (n > 0 && fwrite(p, 1, n, z->f) != n)
        return -1;
    z->off += n;
    return 0;
}

int npz_open(npz_writer *z, FILE *f)
{
    memset(z, 0, sizeof *z);
    z->f = f;
    z->recs = tmpfile();
    if (!z->recs)
        return -1;
    mc_strtab_init(&z->names);
    z->uses_cap = 64;
    z->uses = mc_malloc(z->uses_cap * sizeof *z->uses);
    z->uses[mc_strtab_intern(&z->names, "records", NULL)] = 1;
    z->recs_crc = (uint32_t)crc32(0L, Z_NULL, 0);
    return 0;
}

void npz_name(npz_writer *z, const char *id, char *out)
{
    size_t n = 0;
    int k, added;
    for (; id[n] && n < NPZ_NAME_MAX; n++) {
        unsigned char c = (unsigned char)id[n];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
        out[n] = keep ? (char)c : '_';
    }
    out[n] = '\0';
    k = mc_strtab_intern(&z->names, out, &added);
    if (added) {
        if ((size_t)k >= z->uses_cap) {
            z->uses_cap *= 2;
            z->uses = mc_realloc(z->uses, z->uses_cap * sizeof *z->uses);
        }
        z->uses[k] = 0;
    }
    if (++z->uses[k] > 1)
        snprintf(out + n, 24, "~%ld", z->uses[k]);
}

/* The fields a stored member's local header and its central directory
 * entry share, from "version needed" to the name's length, at p; returns
 * the end.  big: the sizes are in the ZIP64 extra field. */
static unsigned char *put_entry(unsigned char *p, unsigned need, uint32_t crc, uint64_t size, int big,
                                size_t nlen)
{
    p = put16(p, need);
    p = put16(p, 0); /* flags */
    p = put16(p, 0); /* stored */
    p = put16(p, DOS_TIME);
    p = put16(p, DOS_DATE);
    p = put32(p, crc);
    p = put32(p, big ? U32_MAX : (uint32_t)size);
    p = put32(p, big ? U32_MAX : (uint32_t)size);
    return put16(p, (unsigned)nlen);
}

/* Write one stored member: its local header, then head (hlen bytes) and
 * data (dlen bytes), whose CRC32 is crc; and keep its central directory
 * entry. */
static int member(npz_writer *z, const char *name, const void *head, size_t hlen, FILE *data_file,
                  const void *data, uint64_t dlen, uint32_t crc)
{
    unsigned char lh[30 + 20], *p, *e;
    size_t nlen = strlen(name);
    uint64_t size = hlen + dlen, offset = z->off;
    int big = size >= U32_MAX, far = offset >= U32_MAX;
    unsigned need = big || far ? 45 : 20;

    /* local file header (with the ZIP64 sizes when the member is big) */
    p = put_entry(put32(lh, 0x04034b50), need, crc, size, big, nlen);
    p = put16(p, big ? 20 : 0);
    e = p;
    if (big) {
        e = put16(e, 0x0001);
        e = put16(e, 16);
        e = put64(e, size);
        e = put64(e, size);
    }
    if (put(z, lh, 30) != 0 || put(z, name, nlen) != 0 || put(z, p, (size_t)(e - p)) != 0 ||
        put(z, head, hlen) != 0)
        return -1;
    if (data_file) {
        char buf[1 << 16];
        size_t got;
        uint64_t left = dlen;
        rewind(data_file);
        while (left > 0 && (got = fread(buf, 1, left < sizeof buf ? (size_t)left : sizeof buf, data_file)) > 0) {
            if (put(z, buf, got) != 0)
                return -1;
            left -= got;
        }
        if (left > 0) {
            if (!ferror(data_file))
                errno = EIO;
            return -1;
        }
    } else if (put(z, data, (size_t)dlen) != 0) {
        return -1;
    }

    /* its central directory entry */
    if (z->cd_cap - z->cd_len < 46 + nlen + 28) {
        z->cd_cap = z->cd_cap * 2 + 46 + nlen + 28 + 4096;
        z->cd = mc_realloc(z->cd, z->cd_cap);
    }
    p = z->cd + z->cd_len;
    p = put32(p, 0x02014b50);
    p = put16(p, 45); /* made by: MS-DOS, spec 4.5 */
    p = put_entry(p, need, crc, size, big, nlen);
    p = put16(p, (big ? 16 : 0) + (far ? 8 : 0) + (big || far ? 4 : 0));
    p = put16(p, 0); /* comment */
    p = put16(p, 0); /* disk */
    p = put16(p, 0); /* internal attributes */
    p = put32(p, 0); /* external attributes */
    p = put32(p, far ? U32_MAX : (uint32_t)offset);
    memcpy(p, name, nlen);
    p += nlen;
    if (big || far) { /* only the fields that are U32_MAX above, in order */
        p = put16(p, 0x0001);
        p = put16(p, (big ? 16 : 0) + (far ? 8 : 0));
        if (big) {
            p = put64(p, size);
            p = put64(p, size);
        }
        if (far)
            p = put64(p, offset);
    }
    z->cd_len = (size_t)(p - z->cd);
    z->members++;
    return 0;
}

int npz_add(npz_writer *z, const mc_frame *fr, const char *id)
{
    char name[NPZ_NAME_MAX + 32], h[NPY_HEADER_MAX];
    uint64_t dims[4];
    size_t hlen;
    uint32_t crc;
    for (int i = 0; i < fr->ndim; i++)
        dims[i] = fr->dims[i];
    hlen = npy_header(h, npy_descr(fr->dtype), fr->ndim, dims);
    crc = crc_more((uint32_t)crc32(0L, Z_NULL, 0), h, hlen);
    crc = crc_more(crc, fr->data, fr->nbytes);
    npz_name(z, id, name);
    strcat(name, ".npy");
    if (member(z, name, h, hlen, NULL, fr->data, fr->nbytes, crc) != 0)
        return -1;
    /* the record, for records.npy */
    const char *sep = z->members == 1 ? "[\n" : ",\n";
    if (fwrite(sep, 1, 2, z->recs) != 2 || fwrite(fr->meta, 1, fr->meta_len, z->recs) != fr->meta_len)
        return -1;
    z->recs_crc = crc_more(z->recs_crc, sep, 2);
    z->recs_crc = crc_more(z->recs_crc, fr->meta, fr->meta_len);
    z->recs_len += 2 + fr->meta_len;
    return 0;
}

int npz_finish(npz_writer *z)
{
    const char *end = z->members ? "\n]\n" : "[]\n";
    char h[NPY_HEADER_MAX];
    unsigned char rec[56 + 20 + 22], *p;
    uint64_t cd_off, n;
    size_t hlen;
    uint32_t crc;
    if (fwrite(end, 1, 3, z->recs) != 3 || fflush(z->recs) != 0)
        return -1;
    z->recs_crc = crc_more(z->recs_crc, end, 3);
    z->recs_len += 3;
    hlen = npy_header(h, "|u1", 1, &z->recs_len);
    crc = crc_more((uint32_t)crc32(0L, Z_NULL, 0), h, hlen);
    crc = (uint32_t)crc32_combine(crc, z->recs_crc, (z_off_t)z->recs_len);
    if (member(z, "records.npy", h, hlen, z->recs, NULL, z->recs_len, crc) != 0)
        return -1;

    cd_off = z->off;
    n = z->members;
    if (put(z, z->cd, z->cd_len) != 0)
        return -1;
    p = rec;
    if (n > 0xffff || cd_off >= U32_MAX || z->cd_len >= U32_MAX) {
        uint64_t z64 = z->off;
        p = put32(p, 0x06064b50); /* ZIP64 end of central directory record */
        p = put64(p, 44);
        p = put16(p, 45);
        p = put16(p, 45);
        p = put32(p, 0);
        p = put32(p, 0);
        p = put64(p, n);
        p = put64(p, n);
        p = put64(p, z->cd_len);
        p = put64(p, cd_off);
        p = put32(p, 0x07064b50); /* its locator */
        p = put32(p, 0);
        p = put64(p, z64);
        p = put32(p, 1);
    }
    p = put32(p, 0x06054b50); /* end of central directory record */
    p = put16(p, 0);
    p = put16(p, 0);
    p = put16(p, n > 0xffff ? 0xffff : (unsigned)n);
    p = put16(p, n > 0xffff ? 0xffff : (unsigned)n);
    p = put32(p, z->cd_len >= U32_MAX ? U32_MAX : (uint32_t)z->cd_len);
    p = put32(p, cd_off >= U32_MAX ? U32_MAX : (uint32_t)cd_off);
    p = put16(p, 0);
    return put(z, rec, (size_t)(p - rec));
}

void npz_free(npz_writer *z)
{
    if (z->recs)
        fclose(z->recs);
    free(z->cd);
    free(z->uses);
    mc_strtab_free(&z->names);
    memset(z, 0, sizeof *z);
}
