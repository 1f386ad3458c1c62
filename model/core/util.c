/* util.c - messages, checked allocation, stdout close, atomic files. */
#define _POSIX_C_SOURCE 200809L
#include "core/util.h"
#include "core/progress.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog_name = "medcap";

void mc_set_prog(const char *argv0)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    if (argv0)
        prog_name = slash ? slash + 1 : argv0;
}

const char *mc_prog(void) { return prog_name; }

/* "prog: " and the message of fmt and ap on stderr, no newline. */
static void say(const char *fmt, va_list ap)
{
    mc_progress_clear();
    fprintf(stderr, "%s: ", prog_name);
    vfprintf(stderr, fmt, ap);
}

void mc_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void mc_err_at(const char *file, long line, const char *fmt, ...)
{
    va_list ap;
    mc_progress_clear();
    if (line > 0)
        fprintf(stderr, "%s: %s:%ld: ", prog_name, file ? file : "-", line);
    else
        fprintf(stderr, "%s: %s: ", prog_name, file ? file : "-");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void mc_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

void mc_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog_name);
    exit(MC_EXIT_USAGE);
}

void *mc_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", n);
    return p;
}

void *mc_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        mc_die(MC_EXIT_INTERNAL, "out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *mc_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", n);
    return q;
}

char *mc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mc_malloc(n);
    memcpy(d, s, n);
    return d;
}

int mc_mul_overflow(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

int mc_close_stdout(void)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    if (fclose(stdout) != 0)
        bad = 1;
    if (bad)
        return mc_stdout_error();
    return MC_EXIT_OK;
}

int mc_stdout_error(void)
{
    mc_err("error writing standard output: %s", strerror(errno));
    return MC_EXIT_IO;
}

int mc_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;
    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

long mc_arg_long(const char *name, const char *s, long lo, long hi)
{
    long v;
    if (mc_parse_long(s, lo, hi, &v) != 0)
        mc_usage_error("%s '%s': expected a whole number from %ld to %ld", name, s, lo, hi);
    return v;
}

int mc_parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

void mc_refuse_terminal_in(const char *what)
{
    if (isatty(0))
        mc_usage_error("standard input is a terminal: give an input FILE, or pipe %s in", what);
}

FILE *mc_open_in(const char *path)
{
    FILE *f;
    if (!path || strcmp(path, "-") == 0) {
        mc_refuse_terminal_in("the input");
        return stdin;
    }
    f = fopen(path, "rb");
    if (!f)
        mc_die(MC_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
    return f;
}

/* Remove PATH.tmp.PID files left by processes of this machine that no
 * longer exist (killed with -9 mid-write): they are never renamed and
 * nothing else removes them.  Best effort: errors are ignored. */
static void remove_stale_tmp(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0, blen = strlen(base);
    char *dir = slash ? mc_malloc(dlen + 2) : NULL;
    DIR *d;
    struct dirent *e;
    if (dir) {
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        if (dlen == 0)
            strcpy(dir, "/");
    }
    d = opendir(dir ? dir : ".");
    while (d && (e = readdir(d)) != NULL) {
        const char *p = e->d_name + blen;
        char *end, *full;
        long pid;
        if (strncmp(e->d_name, base, blen) != 0 || strncmp(p, ".tmp.", 5) != 0)
            continue;
        pid = strtol(p + 5, &end, 10);
        if (end == p + 5 || *end || pid <= 0 || pid == (long)getpid() ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        full = mc_malloc(strlen(path) + strlen(p) + 1);
        sprintf(full, "%s%s", path, p);
        unlink(full);
        free(full);
    }
    if (d)
        closedir(d);
    free(dir);
}

int mc_atomic_open(mc_atomic *a, const char *path)
{
    size_t n = strlen(path) + 32;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* /dev/null, a FIFO, a terminal: written in place, never replaced */
        a->path = mc_strdup(path);
        a->tmp = NULL;
        if (!(a->f = fopen(path, "wb"))) {
            mc_err("%s: cannot open for writing: %s", path, strerror(errno));
            free(a->path);
            a->path = NULL;
            return -1;
        }
        return 0;
    }
    remove_stale_tmp(path);
    a->path = mc_strdup(path);
    a->tmp = mc_malloc(n);
    snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        mc_err("%s: cannot create: %s", a->tmp, strerror(errno));
        free(a->path);
        free(a->tmp);
        a->path = a->tmp = NULL;
        return -1;
    }
    return 0;
}

int mc_atomic_commit(mc_atomic *a)
{
    int bad = fflush(a->f) != 0 || ferror(a->f) || (a->tmp && fsync(fileno(a->f)) != 0);
    int e = errno;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    if (!bad && a->tmp && rename(a->tmp, a->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        mc_err("%s: cannot write: %s", a->path, strerror(e));
        if (a->tmp)
            unlink(a->tmp);
    }
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    return bad ? -1 : 0;
}

void mc_atomic_abort(mc_atomic *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->path = a->tmp = NULL;
}

double mc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#ifndef MEDCAP_SHARE
#define MEDCAP_SHARE "/usr/local/share/medcap"
#endif

static char *join(const char *dir, const char *sep, const char *name)
{
    size_t n = strlen(dir) + strlen(sep) + strlen(name) + 1;
    char *p = mc_malloc(n);
    snprintf(p, n, "%s%s%s", dir, sep, name);
    return p;
}

int mc_exe_dir(char *buf, size_t n)
{
    ssize_t len = n > 1 ? readlink("/proc/self/exe", buf, n - 1) : -1;
    char *slash;
    if (len <= 0 || (size_t)len >= n - 1)
        return -1;
    buf[len] = '\0';
    slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

char *mc_share_path(const char *name)
{
    const char *env = getenv("MEDCAP_SHARE");
    char exe[4096];
    char *p;
    if (env && *env)
        return join(env, "/", name);
    if (mc_exe_dir(exe, sizeof exe) == 0) {
        p = join(exe, "/../share/medcap/", name);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    return join(MEDCAP_SHARE, "/", name);
}
