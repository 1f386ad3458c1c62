/* gzin.c - buffered plain-or-gzip input (see gzin.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/gzin.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes of the read buffer and of zlib's; the fuzz build (make fuzz) makes
 * them small, so that inputs cross buffer boundaries and each run does not
 * map fresh megabytes. */
#ifndef GZIN_BUF
#define GZIN_BUF (256u << 10)
#endif

int mc_gzin_open(mc_gzin *in, const char *path)
{
    int fd;
    memset(in, 0, sizeof *in);
    in->name = path;
    fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(in->msg, sizeof in->msg, "cannot open: %s", strerror(errno));
        in->error = MC_GZIN_IOERR;
        return -1;
    }
    in->gz = gzdopen(fd, "rb");
    if (!in->gz) {
        close(fd);
        snprintf(in->msg, sizeof in->msg, "cannot open: out of memory");
        in->error = MC_GZIN_IOERR;
        return -1;
    }
    gzbuffer(in->gz, GZIN_BUF);
    in->buf = mc_malloc(GZIN_BUF);
    if (mc_gzin_fill(in) >= 3 && memcmp(in->buf, "\xEF\xBB\xBF", 3) == 0)
        in->pos = 3;
    return 0;
}

long mc_gzin_fill(mc_gzin *in)
{
    int n, errnum;
    const char *what;
    if (in->pos < in->len)
        return (long)(in->len - in->pos);
    if (in->error)
        return -1;
    if (in->eof)
        return 0;
    in->pos = in->len = 0;
    errno = 0;
    n = gzread(in->gz, in->buf, GZIN_BUF);
    if (n < 0) {
        what = gzerror(in->gz, &errnum);
        if (errnum == Z_ERRNO) {
            in->error = MC_GZIN_IOERR;
            snprintf(in->msg, sizeof in->msg, "read error: %s", strerror(errno));
        } else {
            in->error = MC_GZIN_CORRUPT;
            snprintf(in->msg, sizeof in->msg, "corrupt gzip data: %s", what);
        }
        return -1;
    }
    if (n == 0) {
        /* gzread reports a truncated gzip stream only through gzerror. */
        what = gzerror(in->gz, &errnum);
        if (errnum != Z_OK) {
            in->error = MC_GZIN_CORRUPT;
            snprintf(in->msg, sizeof in->msg, "corrupt gzip data: %s", what);
            return -1;
        }
        in->eof = 1;
        return 0;
    }
    in->len = (size_t)n;
    return n;
}

int mc_gzin_peek(mc_gzin *in)
{
    long n = mc_gzin_fill(in);
    if (n < 0)
        return -2;
    return n == 0 ? -1 : in->buf[in->pos];
}

long mc_gzin_line(mc_gzin *in, char **line, size_t *cap, size_t max)
{
    size_t len = 0;
    long n;
    int any = 0;
    for (;;) {
        unsigned char *start, *nl;
        size_t take;
        n = mc_gzin_fill(in);
        if (n < 0)
            return -2;
        if (n == 0)
            break;
        any = 1;
        start = in->buf + in->pos;
        nl = memchr(start, '\n', (size_t)n);
        take = nl ? (size_t)(nl - start) : (size_t)n;
        if (len + take > max) {
            in->error = MC_GZIN_CORRUPT;
            snprintf(in->msg, sizeof in->msg, "line longer than %zu bytes", max);
            return -2;
        }
        if (len + take + 1 > *cap) {
            size_t want = (len + take + 1) * 2;
            *line = mc_realloc(*line, want);
            *cap = want;
        }
        memcpy(*line + len, start, take);
        len += take;
        in->pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return -1;
    if (len > 0 && (*line)[len - 1] == '\r')
        len--;
    (*line)[len] = '\0';
    return (long)len;
}

void mc_gzin_close(mc_gzin *in)
{
    if (in->gz)
        gzclose(in->gz);
    free(in->buf);
    in->gz = NULL;
    in->buf = NULL;
}
