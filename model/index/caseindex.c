/* caseindex.c - the case index file: mapped, validated reader and atomic,
 * chunked writer (format in caseindex.h and medcap-index(5)). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include "index/caseindex.h"
#include "core/crc32.h"
#include "io/frame.h"
#include "io/ndjson.h"

#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* A CRC to compute on another thread. */
typedef struct {
    const unsigned char *p;
    size_t n;
    uint32_t crc;
} crc_job;

static void *crc_thread(void *arg)
{
    crc_job *j = arg;
    j->crc = mc_crc32(0, j->p, j->n);
    return NULL;
}

int openblas_get_num_threads(void);

/* CRC-32 of p (n bytes).  A large block (the vectors of a big index) is
 * checked in two halves on two threads when OpenBLAS may use two, the
 * halves joined with crc32_combine: the same value, in about half the
 * time of opening a large index. */
static uint32_t crc(const unsigned char *p, size_t n)
{
    size_t half = n / 2;
    crc_job j = {p + half, n - half, 0};
    pthread_t t;
    uint32_t first;
    if (n < (16u << 20) || openblas_get_num_threads() < 2 ||
        pthread_create(&t, NULL, crc_thread, &j) != 0)
        return mc_crc32(0, p, n);
    first = mc_crc32(0, p, half);
    pthread_join(t, NULL);
    return (uint32_t)crc32_combine(first, j.crc, (z_off_t)j.n);
}

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

/* One frame found in the map. */
typedef struct {
    int dtype, ndim;
    uint32_t dims[4];
    cJSON *meta;
    const unsigned char *data;
    size_t nbytes;
} view;

/* Parse and check the frame at map[*off], advancing *off past it.  Returns
 * 0, or -1 with err set ("frame 3 at byte 4096: ..."). */
static int parse_frame(const mc_cindex *ix, size_t *off, size_t no, view *v,
                       char *err, size_t errlen)
{
    const unsigned char *h = ix->map + *off;
    size_t left = ix->size - *off, count = 1, meta_len, payload, meta_end;
#define FAIL(...) do { \
        int n_ = snprintf(err, errlen, "frame %zu at byte %zu: ", no, *off); \
        if (n_ >= 0 && (size_t)n_ < errlen) snprintf(err + n_, errlen - n_, __VA_ARGS__); \
        return -1; } while (0)
    if (left < MC_FRAME_HEADER)
        FAIL("truncated header (%zu of 64 bytes)", left);
    if (memcmp(h, MC_FRAME_MAGIC, 8) != 0)
        FAIL("not a medcap frame (bad magic)");
    if (get_u32(h + 60) != crc(h, 60))
        FAIL("header CRC mismatch");
    if ((h[8] | h[9] << 8) != MC_FRAME_VERSION)
        FAIL("unsupported frame version %d", h[8] | h[9] << 8);
    v->dtype = h[10];
    v->ndim = h[11];
    if (mc_dtype_size(v->dtype) == 0 || v->ndim > 4)
        FAIL("bad dtype %d or ndim %d", v->dtype, v->ndim);
    for (int i = 0; i < 4; i++) {
        v->dims[i] = get_u32(h + 16 + 4 * i);
        if (i < v->ndim && mc_mul_overflow(count, v->dims[i], &count) != 0)
            FAIL("shape overflows");
    }
    meta_len = get_u32(h + 32);
    if (get_u64(h + 40) > left)
        FAIL("payload runs past the end of the file");
    payload = (size_t)get_u64(h + 40);
    if (mc_mul_overflow(count, mc_dtype_size(v->dtype), &count) != 0 || count != payload)
        FAIL("payload of %zu bytes does not match the shape", payload);
    meta_end = round64(MC_FRAME_HEADER + meta_len); /* header + padded metadata */
    if (meta_len > MC_FRAME_MAX_META || meta_end > left || round64(payload) > left - meta_end)
        FAIL("truncated frame (%zu bytes left in the file)", left);
    if (crc(h + MC_FRAME_HEADER, meta_len) != get_u32(h + 48))
        FAIL("metadata CRC mismatch");
    v->data = h + meta_end;
    v->nbytes = payload;
    if (crc(v->data, payload) != get_u32(h + 52))
        FAIL("payload CRC mismatch");
    v->meta = cJSON_ParseWithLength((const char *)h + MC_FRAME_HEADER, meta_len);
    if (!cJSON_IsObject(v->meta)) {
        cJSON_Delete(v->meta);
        v->meta = NULL;
        FAIL("metadata is not a JSON object");
    }
    *off += meta_end + round64(payload);
    return 0;
#undef FAIL
}

/* The number meta[key], or -1 when absent or not a whole number >= 0. */
static double meta_num(const cJSON *meta, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(meta, key);
    return cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble == (double)(long long)x->valuedouble
        ? x->valuedouble : -1;
}

/* 1 when meta["format"] is the string fmt. */
static int meta_is(const cJSON *meta, const char *fmt)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(meta, "format");
    return cJSON_IsString(x) && strcmp(x->valuestring, fmt) == 0;
}

/* Check that every vector of c (rows, dim) is finite and of unit length. */
static int check_vectors(const mc_cindex_chunk *c, size_t dim, char *err, size_t errlen)
{
    for (size_t r = 0; r < c->rows; r++) {
        const float *v = c->vec + r * dim;
        float ss = cblas_sdot((int)dim, v, 1, v, 1);
        if (!(fabsf(ss - 1.0f) < 1e-3f)) {
            snprintf(err, errlen, "row %zu: vector is not of unit length (squared norm %g)",
                     c->row0 + r + 1, (double)ss);
            return -1;
        }
    }
    return 0;
}

/* Split the records payload of chunk c into lines and check each one.
 * Appends to ix->line, line_len, id, case_no and the id text in *ids. */
static int add_records(mc_cindex *ix, const mc_cindex_chunk *c, const view *v,
                       char **ids, size_t *ids_len, size_t *ids_cap, char *err, size_t errlen)
{
    const char *p = (const char *)v->data, *end = p + v->nbytes;
    for (size_t r = 0; r < c->rows; r++) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t row = c->row0 + r, n;
        cJSON *rec;
        const char *id;
        const cJSON *cs;
        if (!nl) {
            snprintf(err, errlen, "row %zu: the records end before row %zu of %zu", row + 1, r + 1, c->rows);
            return -1;
        }
        rec = cJSON_ParseWithLength(p, (size_t)(nl - p));
        id = cJSON_IsObject(rec) ? mc_record_id(rec) : NULL;
        if (!id || !id[0]) {
            cJSON_Delete(rec);
            snprintf(err, errlen, "row %zu: record is not a JSON object with a string \"id\"", row + 1);
            return -1;
        }
        n = strlen(id) + 1;
        if (*ids_len + n > *ids_cap) {
            *ids_cap = (*ids_cap + n) * 2;
            *ids = mc_realloc(*ids, *ids_cap);
        }
        memcpy(*ids + *ids_len, id, n);
        ix->id[row] = (const char *)(uintptr_t)*ids_len; /* an offset until the end */
        *ids_len += n;
        cs = cJSON_GetObjectItemCaseSensitive(rec, "case_id");
        ix->case_no[row] = cJSON_IsString(cs) ? mc_strtab_intern(&ix->cases, cs->valuestring, NULL) : -1;
        ix->line[row] = p;
        ix->line_len[row] = (size_t)(nl - p);
        cJSON_Delete(rec);
        p = nl + 1;
    }
    if (p != end) {
        snprintf(err, errlen, "chunk of rows %zu-%zu: bytes after the last record", c->row0 + 1, c->row0 + c->rows);
        return -1;
    }
    return 0;
}

/* Check the end frame a (frame no, starting at byte start, ending at end)
 * against what came before it; 0, or -1 with err set. */
static int check_end(const mc_cindex *ix, const view *a, size_t no, size_t start, size_t end,
                     char *err, size_t errlen)
{
    if (a->dtype != MC_U8 || a->ndim != 1 || a->dims[0] != 0 || ix->nchunks == 0 ||
        meta_num(a->meta, "version") != ix->version || ix->version != MC_CINDEX_VERSION) {
        snprintf(err, errlen, "frame %zu at byte %zu: not the end frame of a version %d index "
                 "(U8 [0] after the chunks)", no, start, MC_CINDEX_VERSION);
        return -1;
    }
    if (meta_num(a->meta, "rows") != (double)ix->rows || meta_num(a->meta, "chunks") != (double)ix->nchunks) {
        snprintf(err, errlen, "end frame: %g rows in %g chunks, but the file holds %zu rows in %zu chunks",
                 meta_num(a->meta, "rows"), meta_num(a->meta, "chunks"), ix->rows, ix->nchunks);
        return -1;
    }
    if (end != ix->size) {
        snprintf(err, errlen, "%zu bytes after the end frame", ix->size - end);
        return -1;
    }
    return 0;
}

/* Walk the frames of the map: pairs of vectors and records, then (version
 * 2) the end frame. */
static int parse_chunks(mc_cindex *ix, char *err, size_t errlen)
{
    size_t off = 0, no = 0, cap = 0, ids_len = 0, ids_cap = 0;
    char *ids = NULL;
    int rc = -1;
    if (ix->size == 0) {
        snprintf(err, errlen, "empty file, not an index");
        return -1;
    }
    ix->data_end = ix->size;
    while (off < ix->size) {
        view a = {0}, b = {0};
        mc_cindex_chunk *c;
        double rows, dim, version;
        size_t start = off;
        int fmt_ok;
        if (parse_frame(ix, &off, ++no, &a, err, errlen) != 0)
            goto out;
        if (meta_is(a.meta, "medcap-index-end")) {
            int bad = check_end(ix, &a, no, start, off, err, errlen);
            cJSON_Delete(a.meta);
            if (bad)
                goto out;
            ix->data_end = start;
            break;
        }
        rows = meta_num(a.meta, "rows");
        dim = meta_num(a.meta, "dim");
        version = meta_num(a.meta, "version");
        if (!meta_is(a.meta, "medcap-index") ||
            (version != MC_CINDEX_VERSION && version != MC_CINDEX_VERSION_OLD) ||
            a.dtype != MC_F32 || a.ndim != 2 || rows != a.dims[0] || dim != a.dims[1] || a.dims[1] == 0) {
            snprintf(err, errlen, "frame %zu: not a medcap-index version %d or %d vector chunk "
                     "(F32 [rows,dim])", no, MC_CINDEX_VERSION_OLD, MC_CINDEX_VERSION);
            cJSON_Delete(a.meta);
            goto out;
        }
        cJSON_Delete(a.meta);
        if (ix->nchunks > 0 && version != ix->version) {
            snprintf(err, errlen, "frame %zu: a version %g chunk after version %d chunks", no, version,
                     ix->version);
            goto out;
        }
        ix->version = (int)version;
        if (ix->nchunks > 0 && a.dims[1] != ix->dim) {
            snprintf(err, errlen, "frame %zu: feature size %u differs from the first chunk's %zu",
                     no, a.dims[1], ix->dim);
            goto out;
        }
        if (parse_frame(ix, &off, ++no, &b, err, errlen) != 0)
            goto out;
        rows = meta_num(b.meta, "rows");
        fmt_ok = meta_is(b.meta, "medcap-index-records");
        cJSON_Delete(b.meta);
        if (!fmt_ok || b.dtype != MC_U8 || b.ndim != 1 || rows != a.dims[0]) {
            snprintf(err, errlen, "frame %zu: expected the records of the %u rows before it (U8 [bytes])",
                     no, a.dims[0]);
            goto out;
        }
        ix->dim = a.dims[1];
        if (ix->nchunks == cap) {
            cap = cap ? cap * 2 : 8;
            ix->chunk = mc_realloc(ix->chunk, cap * sizeof *ix->chunk);
        }
        c = &ix->chunk[ix->nchunks++];
        c->vec = (const float *)a.data;
        c->rows = a.dims[0];
        c->row0 = ix->rows;
        ix->rows += c->rows;
        ix->line = mc_realloc(ix->line, ix->rows * sizeof *ix->line);
        ix->line_len = mc_realloc(ix->line_len, ix->rows * sizeof *ix->line_len);
        ix->id = mc_realloc(ix->id, ix->rows * sizeof *ix->id);
        ix->case_no = mc_realloc(ix->case_no, ix->rows * sizeof *ix->case_no);
        if (check_vectors(c, ix->dim, err, errlen) != 0 ||
            add_records(ix, c, &b, &ids, &ids_len, &ids_cap, err, errlen) != 0)
            goto out;
    }
    if (ix->version == MC_CINDEX_VERSION && ix->data_end == ix->size) {
        snprintf(err, errlen, "truncated: no end frame after row %zu (chunk %zu); the file was cut short",
                 ix->rows, ix->nchunks);
        goto out;
    }
    if (ix->rows == 0) {
        snprintf(err, errlen, "index holds no rows");
        goto out;
    }
    for (size_t r = 0; r < ix->rows; r++)
        ix->id[r] = ids + (uintptr_t)ix->id[r];
    rc = 0;
out:
    ix->ids = ids;
    return rc;
}

int mc_cindex_open(mc_cindex *ix, const char *path, char *err, size_t errlen)
{
    struct stat st;
    char why[400];
    int fd;
    memset(ix, 0, sizeof *ix);
    ix->path = path;
    mc_strtab_init(&ix->cases);
    fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return MC_EXIT_IO;
    }
    ix->size = (size_t)st.st_size;
    if (ix->size > 0) {
        /* every page mapped at once: the whole file is read to check it */
        ix->map = mmap(NULL, ix->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (ix->map == MAP_FAILED) {
            ix->map = NULL;
            snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            return MC_EXIT_IO;
        }
    }
    close(fd);
    if (parse_chunks(ix, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: corrupt or not an index: %s", path, why);
        mc_cindex_close(ix);
        return MC_EXIT_MODEL;
    }
    return 0;
}

cJSON *mc_cindex_record(const mc_cindex *ix, size_t r)
{
    cJSON *rec = cJSON_ParseWithLength(ix->line[r], ix->line_len[r]);
    if (!rec)
        mc_die(MC_EXIT_INTERNAL, "out of memory parsing an index record");
    return rec;
}

void mc_cindex_close(mc_cindex *ix)
{
    if (ix->map)
        munmap(ix->map, ix->size);
    free(ix->chunk);
    free(ix->line);
    free(ix->line_len);
    free(ix->id);
    free(ix->case_no);
    free(ix->ids);
    mc_strtab_free(&ix->cases);
    memset(ix, 0, sizeof *ix);
}

/* The name of the file w writes: its temporary file, or the path itself
 * when that is written in place (/dev/null, a FIFO). */
static const char *written_name(const mc_cindex_writer *w)
{
    return w->out.tmp ? w->out.tmp : w->out.path;
}

/* Write the buffered rows as one chunk (two frames); 0 or -1 (message printed). */
static int flush_chunk(mc_cindex_writer *w)
{
    char meta[200];
    uint32_t dims[2] = {(uint32_t)w->n, (uint32_t)w->dim}, bytes = (uint32_t)w->tlen;
    int n;
    if (w->n == 0)
        return 0;
    n = snprintf(meta, sizeof meta,
                 "{\"id\":\"index-chunk-%zu\",\"format\":\"medcap-index\",\"version\":%d,"
                 "\"rows\":%zu,\"dim\":%zu}", w->chunks + 1, MC_CINDEX_VERSION, w->n, w->dim);
    if (mc_frame_write(w->out.f, MC_F32, 2, dims, meta, (size_t)n, w->vec) != 0)
        goto fail;
    n = snprintf(meta, sizeof meta,
                 "{\"id\":\"index-records-%zu\",\"format\":\"medcap-index-records\",\"rows\":%zu}",
                 w->chunks + 1, w->n);
    if (mc_frame_write(w->out.f, MC_U8, 1, &bytes, meta, (size_t)n, w->text) != 0)
        goto fail;
    w->chunks++;
    w->n = 0;
    w->tlen = 0;
    return 0;
fail:
    mc_err("%s: cannot write: %s", written_name(w), strerror(errno));
    return -1;
}

/* Buffer one row: v (w->dim) and its record line (n bytes, no newline),
 * writing the buffered chunk first when it is full; 0 or -1 (message
 * printed). */
static int add_row(mc_cindex_writer *w, const float *v, const char *line, size_t n)
{
    if (!w->vec) { /* a chunk's vectors stay under MC_CINDEX_CHUNK_BYTES */
        size_t fit = MC_CINDEX_CHUNK_BYTES / (w->dim * sizeof *w->vec);
        if (w->chunk_rows > fit)
            w->chunk_rows = fit > 0 ? fit : 1;
        w->vec = mc_malloc(w->chunk_rows * w->dim * sizeof *w->vec);
    }
    /* a records frame must stay under the 4 GiB payload cap */
    if (w->n == w->chunk_rows || w->tlen + n + 1 > (size_t)UINT32_MAX) {
        if (flush_chunk(w) != 0)
            return -1;
    }
    if (w->tlen + n + 1 > w->tcap) {
        w->tcap = (w->tlen + n + 1) * 2;
        w->text = mc_realloc(w->text, w->tcap);
    }
    memcpy(w->text + w->tlen, line, n);
    w->text[w->tlen + n] = '\n';
    w->tlen += n + 1;
    memcpy(w->vec + w->n * w->dim, v, w->dim * sizeof *v);
    w->n++;
    w->rows++;
    return 0;
}

int mc_cindex_writer_add(mc_cindex_writer *w, const float *v, size_t dim, const cJSON *rec)
{
    char *line;
    int rc;
    if (w->dim == 0)
        w->dim = dim;
    line = cJSON_PrintUnformatted(rec);
    if (!line)
        mc_die(MC_EXIT_INTERNAL, "out of memory printing a record");
    rc = add_row(w, v, line, strlen(line));
    free(line);
    return rc;
}

/* Add the rows of old, a version 1 index, to w (as version 2 chunks);
 * 0 or -1 (message printed). */
static int add_old_rows(mc_cindex_writer *w, const mc_cindex *old)
{
    for (size_t k = 0; k < old->nchunks; k++) {
        const mc_cindex_chunk *c = &old->chunk[k];
        for (size_t r = 0; r < c->rows; r++)
            if (add_row(w, c->vec + r * old->dim, old->line[c->row0 + r], old->line_len[c->row0 + r]) != 0)
                return -1;
    }
    return 0;
}

int mc_cindex_writer_open(mc_cindex_writer *w, const char *path, const mc_cindex *old,
                          size_t chunk_rows)
{
    memset(w, 0, sizeof *w);
    if (mc_atomic_open(&w->out, path) != 0)
        return -1;
    w->chunk_rows = chunk_rows;
    if (old && old->version == MC_CINDEX_VERSION_OLD) {
        w->dim = old->dim;
        if (add_old_rows(w, old) != 0) {
            mc_cindex_writer_abort(w);
            return -1;
        }
    } else if (old) {
        w->dim = old->dim;
        w->chunks = old->nchunks;
        w->rows = old->rows;
        if (fwrite(old->map, 1, old->data_end, w->out.f) != old->data_end) {
            mc_err("%s: cannot write: %s", written_name(w), strerror(errno));
            mc_cindex_writer_abort(w);
            return -1;
        }
    }
    return 0;
}

/* Write the end frame: the rows and chunks of the whole file; 0 or -1
 * (message printed). */
static int write_end(mc_cindex_writer *w)
{
    char meta[200];
    uint32_t none = 0;
    int n = snprintf(meta, sizeof meta,
                     "{\"id\":\"index-end\",\"format\":\"medcap-index-end\",\"version\":%d,"
                     "\"rows\":%zu,\"chunks\":%zu}", MC_CINDEX_VERSION, w->rows, w->chunks);
    if (mc_frame_write(w->out.f, MC_U8, 1, &none, meta, (size_t)n, NULL) != 0) {
        mc_err("%s: cannot write: %s", written_name(w), strerror(errno));
        return -1;
    }
    return 0;
}

int mc_cindex_writer_commit(mc_cindex_writer *w)
{
    int rc = flush_chunk(w);
    if (rc == 0)
        rc = write_end(w);
    if (rc == 0)
        rc = mc_atomic_commit(&w->out);
    else
        mc_atomic_abort(&w->out);
    free(w->vec);
    free(w->text);
    memset(w, 0, sizeof *w);
    return rc;
}

void mc_cindex_writer_abort(mc_cindex_writer *w)
{
    mc_atomic_abort(&w->out);
    free(w->vec);
    free(w->text);
    memset(w, 0, sizeof *w);
}
