/* gzin.h - buffered input that reads plain or gzip-compressed files alike.
 *
 * zlib's gzread decompresses gzip (and concatenated gzip members) and copies
 * anything else through unchanged, so every reader built on this accepts
 * FILE and FILE.gz.  A UTF-8 byte order mark at the start is skipped.
 * Errors are split in two: corrupt compressed data (bad input) and a failed
 * read (I/O), so callers can exit with the right status.
 */
#ifndef MEDCAP_GZIN_H
#define MEDCAP_GZIN_H

#include <stddef.h>
#include <zlib.h>

enum { MC_GZIN_OK = 0, MC_GZIN_CORRUPT = 1, MC_GZIN_IOERR = 2 };

typedef struct {
    gzFile gz;
    const char *name;   /* file name for messages ("-" for stdin) */
    unsigned char *buf;
    size_t pos, len;    /* unread bytes are buf[pos..len) */
    int eof;            /* no more bytes after buf[len) */
    int error;          /* MC_GZIN_* once a read has failed */
    char msg[160];      /* what went wrong, when error != 0 */
} mc_gzin;

/* Open path ("-" is stdin) for reading.  Returns 0, or -1 with in->msg set
 * (the file cannot be opened: an I/O error). */
int mc_gzin_open(mc_gzin *in, const char *path);

/* Refill the buffer when it is empty.  Returns the number of unread bytes,
 * 0 at the end of the data, or -1 on an error (in->error, in->msg). */
long mc_gzin_fill(mc_gzin *in);

/* The next byte without consuming it, -1 at the end, -2 on an error. */
int mc_gzin_peek(mc_gzin *in);

/* Read one line without its newline (and a trailing CR) into *line
 * (grown as needed, NUL-terminated).  Returns its length, -1 at the end
 * of input, -2 on an error.  max caps the line length: a longer line is
 * an error (MC_GZIN_CORRUPT, "line longer than ..."). */
long mc_gzin_line(mc_gzin *in, char **line, size_t *cap, size_t max);

/* Close the file (never stdin's descriptor) and free the buffer. */
void mc_gzin_close(mc_gzin *in);

#endif
