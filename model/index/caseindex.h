/* caseindex.h - the case index file: unit feature vectors plus the record
 * of each row, for nearest-neighbour retrieval (format in medcap-index(5)).
 *
 * The file is a sequence of chunks; a chunk is two medcap frames:
 *   1. F32 [N, C]: N unit-length feature vectors, metadata
 *      {"id":"index-chunk-K","format":"medcap-index","version":2,"rows":N,"dim":C}
 *   2. U8 [B]: N records as NDJSON, one compact JSON object with a string
 *      "id" per line, each line ending in '\n', metadata
 *      {"id":"index-records-K","format":"medcap-index-records","rows":N}
 * Every chunk has the same C and version.  Version 2 ends with an end frame,
 * U8 [0] with metadata
 *      {"id":"index-end","format":"medcap-index-end","version":2,"rows":R,"chunks":K}
 * (R rows in all, K chunks), so that a file cut anywhere, even between two
 * chunks, is refused.  Version 1 (no end frame) is still read; appending to
 * it rewrites it as version 2.  Appending to version 2 replaces the end
 * frame with the new chunks and a new end frame.
 */
#ifndef MEDCAP_CASEINDEX_H
#define MEDCAP_CASEINDEX_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "core/strtab.h"
#include "core/util.h"

#define MC_CINDEX_VERSION 2     /* the version written */
#define MC_CINDEX_VERSION_OLD 1 /* read, without an end frame */
#define MC_CINDEX_CHUNK_ROWS 16384 /* rows per chunk the writer buffers, */
#define MC_CINDEX_CHUNK_BYTES ((size_t)256 << 20) /* fewer if over 256 MiB */

typedef struct {
    const float *vec;  /* (rows, dim) in the mapped file */
    size_t rows;
    size_t row0;       /* number of the chunk's first row in the index */
} mc_cindex_chunk;

typedef struct {
    const char *path;
    unsigned char *map;  /* the whole file, mapped read-only */
    size_t size;
    int version;         /* of its chunks */
    size_t data_end;     /* bytes of chunks: where the end frame starts, or size */
    size_t dim, rows;
    mc_cindex_chunk *chunk;
    size_t nchunks;
    const char **line;   /* (rows) each record's JSON text in the map */
    size_t *line_len;    /* (rows) */
    const char **id;     /* (rows) each record's id (copies in ids) */
    int *case_no;        /* (rows) number of the record's case_id in cases, -1 none */
    mc_strtab cases;     /* the distinct case ids */
    char *ids;           /* the id strings, NUL-separated */
} mc_cindex;

/* Map and validate the index at path: every frame header, CRC, shape and
 * metadata; each record line a JSON object with a string "id".  Returns 0,
 * MC_EXIT_IO (cannot open or map) or MC_EXIT_MODEL (not a valid index), with
 * a message in err naming what is wrong and where. */
int mc_cindex_open(mc_cindex *ix, const char *path, char *err, size_t errlen);
/* The record of row r, parsed (caller deletes). */
cJSON *mc_cindex_record(const mc_cindex *ix, size_t r);
/* Unmap and free everything. */
void mc_cindex_close(mc_cindex *ix);

typedef struct {
    mc_atomic out;
    size_t dim;        /* 0 until the first row when not appending */
    size_t chunks;     /* chunks written so far, old ones included */
    size_t rows;       /* rows written or buffered, old ones included */
    size_t chunk_rows; /* rows buffered before a chunk is written */
    float *vec;        /* (chunk_rows, dim) buffered vectors */
    size_t n;          /* rows buffered */
    char *text;        /* buffered record lines */
    size_t tlen, tcap;
} mc_cindex_writer;

/* Start writing path atomically.  With old (an open index, may be NULL) the
 * new file starts with old's chunks (version 2: their bytes; version 1:
 * their rows, rewritten as version 2) and keeps its feature size.
 * Returns 0, or -1 after printing a message. */
int mc_cindex_writer_open(mc_cindex_writer *w, const char *path, const mc_cindex *old,
                          size_t chunk_rows);
/* Add one row: v (dim) a unit vector, rec its record (written compact).
 * The first row of a new index sets the feature size; the caller refuses a
 * v of another size before.  Returns 0, or -1 on a write error (message
 * printed). */
int mc_cindex_writer_add(mc_cindex_writer *w, const float *v, size_t dim, const cJSON *rec);
/* Write the buffered rows and the end frame, and rename into place; 0, or
 * -1 (message printed). */
int mc_cindex_writer_commit(mc_cindex_writer *w);
/* Drop the temporary file and free. */
void mc_cindex_writer_abort(mc_cindex_writer *w);

#endif
