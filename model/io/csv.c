/* csv.c - streaming RFC 4180 CSV reader (see csv.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/csv.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { ST_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE, ST_QUOTE_CR };

/* The next input byte, -1 at the end, -2 on a stream error. */
static inline int next_byte(mc_csv *c)
{
    if (c->in.pos < c->in.len)
        return c->in.buf[c->in.pos++];
    long n = mc_gzin_fill(&c->in);
    if (n < 0)
        return -2;
    if (n == 0)
        return -1;
    return c->in.buf[c->in.pos++];
}

int mc_csv_open(mc_csv *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->max_record = MC_CSV_MAX_RECORD;
    if (mc_gzin_open(&c->in, path) < 0) {
        snprintf(c->err, sizeof c->err, "%s", c->in.msg);
        c->io_error = 1;
        return -1;
    }
    return 0;
}

/* Append one byte of field text; -1 when the record outgrows the cap. */
static inline int put(mc_csv *c, int ch)
{
    if (c->text_len >= c->max_record)
        return -1;
    if (c->text_len + 1 >= c->text_cap) {
        c->text_cap = c->text_cap ? c->text_cap * 2 : 4096;
        c->text = mc_realloc(c->text, c->text_cap);
    }
    c->text[c->text_len++] = (char)ch;
    return 0;
}

/* Start a new field at the current end of the text. */
static void start_field(mc_csv *c)
{
    if (c->nfields == c->start_cap) {
        c->start_cap = c->start_cap ? c->start_cap * 2 : 64;
        c->start = mc_realloc(c->start, c->start_cap * sizeof *c->start);
    }
    c->start[c->nfields++] = c->text_len;
}

/* Report a stream error. */
static int fail(mc_csv *c)
{
    snprintf(c->err, sizeof c->err, "%s", c->in.msg);
    c->io_error = c->in.error == MC_GZIN_IOERR;
    return MC_CSV_FAIL;
}

/* Report a malformed record and skip the rest of its line (ch is the byte
 * just read).  Returns MC_CSV_BAD, or MC_CSV_FAIL on a stream error. */
static int bad(mc_csv *c, int ch, const char *what)
{
    snprintf(c->err, sizeof c->err, "%s", what);
    while (ch != '\n' && ch >= 0)
        ch = next_byte(c);
    if (ch == '\n')
        c->line++;
    return ch == -2 ? fail(c) : MC_CSV_BAD;
}

/* End the current field: NUL-terminate it, dropping the CR of an unquoted
 * field's CRLF when at_newline. */
static int end_field(mc_csv *c, int unquoted_newline)
{
    size_t s = c->start[c->nfields - 1];
    if (unquoted_newline && c->text_len > s && c->text[c->text_len - 1] == '\r')
        c->text_len--;
    return put(c, '\0');
}

/* Parse one physical record; returns as mc_csv_read, or 2 for an empty
 * line (skipped by the caller). */
static int read_one(mc_csv *c)
{
    int state = ST_START, ch, any = 0, quoted = 0;
    c->nfields = 0;
    c->text_len = 0;
    c->rec_line = c->line + 1;
    start_field(c);
    for (;;) {
        ch = next_byte(c);
        if (ch == -2)
            return fail(c);
        if (ch == -1) {
            if (state == ST_QUOTED)
                return bad(c, ch, "unterminated quoted field");
            if (!any)
                return MC_CSV_EOF;
            if (end_field(c, state == ST_UNQUOTED) < 0)
                return bad(c, ch, "record too long");
            c->line++;
            return MC_CSV_RECORD;
        }
        any = 1;
        switch (state) {
        case ST_START:
        case ST_UNQUOTED:
            if (ch == ',') {
                if (end_field(c, 0) < 0)
                    return bad(c, ch, "record too long");
                start_field(c);
                state = ST_START;
            } else if (ch == '\n') {
                c->line++;
                if (end_field(c, 1) < 0)
                    return bad(c, ch, "record too long");
                if (c->nfields == 1 && !quoted && c->text[c->start[0]] == '\0')
                    return 2;
                return MC_CSV_RECORD;
            } else if (ch == '"') {
                if (state == ST_UNQUOTED)
                    return bad(c, ch, "quote inside an unquoted field");
                state = ST_QUOTED;
                quoted = 1;
            } else {
                if (put(c, ch) < 0)
                    return bad(c, ch, "record too long");
                state = ST_UNQUOTED;
            }
            break;
        case ST_QUOTED:
            if (ch == '"') {
                state = ST_QUOTE;
            } else {
                if (ch == '\n')
                    c->line++;
                if (put(c, ch) < 0)
                    return bad(c, ch, "record too long");
            }
            break;
        case ST_QUOTE:
        case ST_QUOTE_CR:
            if (ch == '"' && state == ST_QUOTE) {
                if (put(c, '"') < 0)
                    return bad(c, ch, "record too long");
                state = ST_QUOTED;
            } else if (ch == ',' && state == ST_QUOTE) {
                if (end_field(c, 0) < 0)
                    return bad(c, ch, "record too long");
                start_field(c);
                state = ST_START;
            } else if (ch == '\n') {
                c->line++;
                if (end_field(c, 0) < 0)
                    return bad(c, ch, "record too long");
                return MC_CSV_RECORD;
            } else if (ch == '\r' && state == ST_QUOTE) {
                state = ST_QUOTE_CR;
            } else {
                return bad(c, ch, "text after a closing quote");
            }
            break;
        }
    }
}

int mc_csv_read(mc_csv *c)
{
    int rc;
    while ((rc = read_one(c)) == 2)
        ;
    return rc;
}

const char *mc_csv_field(const mc_csv *c, size_t i)
{
    return i < c->nfields ? c->text + c->start[i] : "";
}

long mc_csv_find(const mc_csv *c, const char *name)
{
    for (size_t i = 0; i < c->nfields; i++)
        if (strcasecmp(mc_csv_field(c, i), name) == 0)
            return (long)i;
    return -1;
}

void mc_csv_close(mc_csv *c)
{
    mc_gzin_close(&c->in);
    free(c->text);
    free(c->start);
    c->text = NULL;
    c->start = NULL;
}
