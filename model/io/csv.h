/* csv.h - a streaming RFC 4180 CSV reader over plain or gzip input.
 *
 * Fields are separated by commas and records by LF or CRLF.  A field may be
 * quoted with '"'; inside quotes, commas, CR and LF are data and '""' is one
 * quote.  A UTF-8 byte order mark at the start is skipped, empty lines are
 * skipped, and the last record needs no newline.  Memory is bounded by the
 * longest record (capped by max_record).
 *
 * A malformed record (an unterminated quoted field, a quote inside an
 * unquoted field, text after a closing quote, a record over the cap) is
 * reported with its first line; the reader then resumes at the next line,
 * so callers may skip it.  Corrupt gzip data or a read error ends the stream.
 */
#ifndef MEDCAP_CSV_H
#define MEDCAP_CSV_H

#include "io/gzin.h"

#include <stddef.h>

/* Results of mc_csv_read. */
enum { MC_CSV_EOF = 0, MC_CSV_RECORD = 1, MC_CSV_BAD = -1, MC_CSV_FAIL = -2 };

#define MC_CSV_MAX_RECORD (16u << 20) /* default cap: 16 MiB per record */

typedef struct {
    mc_gzin in;
    char *text;           /* the record's fields, each NUL-terminated */
    size_t text_len, text_cap;
    size_t *start;        /* offset of each field in text */
    size_t nfields, start_cap;
    long line;            /* physical lines consumed so far */
    long rec_line;        /* first line of the record last read (1-based) */
    size_t max_record;    /* bytes of field text allowed per record */
    char err[160];        /* what is wrong, after MC_CSV_BAD or MC_CSV_FAIL */
    int io_error;         /* after MC_CSV_FAIL: 1 a read error, 0 corrupt data */
} mc_csv;

/* Open path ("-" is stdin; plain or gzip).  Returns 0, or -1 with c->err
 * set when the file cannot be opened. */
int mc_csv_open(mc_csv *c, const char *path);

/* Read the next record.  Returns MC_CSV_RECORD, MC_CSV_EOF, MC_CSV_BAD
 * (malformed record; c->err and c->rec_line say what and where; the next
 * call continues after it) or MC_CSV_FAIL (the stream cannot go on). */
int mc_csv_read(mc_csv *c);

/* Field i of the last record, NUL-terminated; "" when i >= c->nfields. */
const char *mc_csv_field(const mc_csv *c, size_t i);

/* Index of the field equal to name (ASCII case-insensitive) in the last
 * record, or -1.  Used to find columns by their header names. */
long mc_csv_find(const mc_csv *c, const char *name);

/* Close the input and free the buffers. */
void mc_csv_close(mc_csv *c);

#endif
