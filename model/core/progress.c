/* progress.c - the one-line progress display on stderr (progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/progress.h"
#include "core/util.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int mc_quiet, mc_verbose;
long long mc_progress_total;

static struct {
    const char *unit;
    FILE *in;          /* a regular input file, or NULL */
    double in_size;    /* its size in bytes */
    long long done;
    double start, last_draw;
    int active, tty, shown;
} P;

/* n with a comma every three digits into buf. */
static const char *grouped(long long n, char *buf, size_t len)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%lld", n < 0 ? 0 : n), o = 0;
    for (int i = 0; i < nd && (size_t)o + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* The fraction of the work done, or -1 when unknown. */
static double fraction(void)
{
    if (mc_progress_total > 0)
        return (double)P.done / (double)mc_progress_total;
    if (P.in && P.in_size > 0) {
        off_t at = ftello(P.in);
        if (at >= 0)
            return (double)at / P.in_size;
    }
    return -1;
}

static void draw(double now)
{
    char n[40];
    double secs = now - P.start, rate = secs > 0 ? (double)P.done / secs : 0, f = fraction();
    fprintf(stderr, "\r%s: %s %s  %.1f/s", mc_prog(), grouped(P.done, n, sizeof n), P.unit, rate);
    if (f > 0.001 && f <= 1 && secs >= 1) {
        long left = (long)(secs * (1 - f) / f + 0.5);
        fprintf(stderr, "  %d%%  %ld:%02ld:%02ld left", (int)(f * 100), left / 3600, left / 60 % 60, left % 60);
    }
    fputs("\033[K", stderr);
    fflush(stderr);
    P.shown = 1;
    P.last_draw = now;
}

void mc_progress_begin(const char *unit, FILE *in)
{
    struct stat st;
    P.unit = unit;
    P.done = 0;
    P.start = P.last_draw = mc_now();
    P.active = 1;
    P.tty = !mc_quiet && isatty(2);
    P.in = NULL;
    if (in && fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        P.in = in;
        P.in_size = (double)st.st_size;
    }
}

void mc_progress_add(long long n)
{
    double now;
    P.done += n;
    if (!P.active || !P.tty)
        return;
    now = mc_now();
    if (now - P.last_draw >= 0.2)
        draw(now);
}

void mc_progress_clear(void)
{
    if (P.shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        P.shown = 0;
    }
}

void mc_progress_end(void)
{
    double secs;
    if (!P.active)
        return;
    mc_progress_clear();
    P.active = 0;
    secs = mc_now() - P.start;
    if (mc_verbose && !mc_quiet)
        fprintf(stderr, "%s: %lld %s in %.1f s (%.1f/s)\n", mc_prog(), P.done, P.unit, secs,
                secs > 0 ? (double)P.done / secs : 0.0);
}
