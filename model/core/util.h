/* util.h - conventions shared by every medcap program: exit statuses,
 * error messages that name the program and the place, checked allocation,
 * and the end-of-output check on stdout.
 *
 * Error messages have the form
 *     medcap-NAME: FILE:LINE: what is wrong
 * (":LINE" omitted where there is no line).  Call mc_set_prog(argv[0]) first.
 */
#ifndef MEDCAP_UTIL_H
#define MEDCAP_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Exit statuses, the same for every program (documented in medcap(7)). */
enum mc_exit {
    MC_EXIT_OK = 0,       /* everything done */
    MC_EXIT_INPUT = 1,    /* bad input data (malformed record, frame, image, ...) */
    MC_EXIT_USAGE = 2,    /* bad command line */
    MC_EXIT_IO = 3,       /* cannot open, read or write a file; output error */
    MC_EXIT_MODEL = 4,    /* model or weights file invalid or not matching */
    MC_EXIT_SKIPPED = 5,  /* --keep-going: finished, but some records were skipped */
    MC_EXIT_INTERNAL = 70 /* out of memory or an internal error */
};

#define MEDCAP_VERSION "0.1.0"

/* Record the program name (basename of argv0) used as the prefix of messages. */
void mc_set_prog(const char *argv0);
/* The program name set by mc_set_prog ("medcap" before). */
const char *mc_prog(void);

/* Print "prog: msg\n" to stderr (printf-style). */
void mc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: file:line: msg\n" to stderr; line <= 0 omits ":line". */
void mc_err_at(const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print "prog: msg\n" and exit with status code. */
_Noreturn void mc_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: "prog: msg\nTry 'prog --help'.\n" and exit 2. */
_Noreturn void mc_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that exits with MC_EXIT_INTERNAL on failure; n*size overflow checked. */
void *mc_malloc(size_t n);
void *mc_calloc(size_t n, size_t size);
void *mc_realloc(void *p, size_t n);
char *mc_strdup(const char *s);

/* Overflow-checked multiply: returns 0 and sets *out, or -1 on overflow. */
int mc_mul_overflow(size_t a, size_t b, size_t *out);

/* Flush and close stdout; on error (a full disk, or EPIPE: the reader gone
 * with SIGPIPE ignored) print a message and return MC_EXIT_IO, else return
 * MC_EXIT_OK.  Call at the end of main: return status ? status : mc_close_stdout(); */
int mc_close_stdout(void);
/* After a failed write to stdout: print "prog: error writing standard
 * output: REASON" (REASON from errno), and return MC_EXIT_IO. */
int mc_stdout_error(void);

/* Parse a whole string as a number in [lo, hi]; 0 on success, -1 otherwise. */
int mc_parse_long(const char *s, long lo, long hi, long *out);
int mc_parse_double(const char *s, double *out);
/* The value of option NAME's argument s, a whole number in [lo, hi]; anything
 * else is a usage error ("NAME 'S': expected a whole number from LO to HI",
 * exit 2). */
long mc_arg_long(const char *name, const char *s, long lo, long hi);

/* Open a file for reading; "-" means stdin, refused (usage error, exit 2)
 * when it is a terminal.  Exits with MC_EXIT_IO on failure. */
FILE *mc_open_in(const char *path);
/* Refuse (usage error, exit 2) to read standard input when it is a
 * terminal: the program would wait for input typed by hand; what names
 * the input ("records", "frames", ...) in the message. */
void mc_refuse_terminal_in(const char *what);

/* Atomic output: write to PATH.tmp.PID, then rename over PATH on commit
 * (a PATH that exists and is not a regular file, such as /dev/null or a
 * FIFO, is written in place and never replaced).  Opening removes the
 * PATH.tmp.PID files of processes of this machine that no longer exist
 * (left by kill -9; a file system shared with other machines could hold a
 * live writer's, which is why the PID must name no process here).
 * mc_atomic_open returns the temporary FILE*; mc_atomic_commit flushes,
 * fsyncs, closes and renames (returns 0, or -1 with a message printed);
 * mc_atomic_abort closes and removes the temporary file. */
typedef struct {
    FILE *f;
    char *path;
    char *tmp;
} mc_atomic;
int mc_atomic_open(mc_atomic *a, const char *path);
int mc_atomic_commit(mc_atomic *a);
void mc_atomic_abort(mc_atomic *a);

/* Monotonic wall clock in seconds. */
double mc_now(void);

/* Path of a file in medcap's data folder, found in this order: the
 * MEDCAP_SHARE environment variable, share/medcap next to the program's
 * bin/ folder (an uninstalled build), then the installed PREFIX/share/medcap.
 * Returns a malloc'd path of the first that exists, or of the installed one. */
char *mc_share_path(const char *name);
/* The folder of this program's executable (from /proc/self/exe) into buf
 * (n bytes); 0, or -1 when it cannot be read or does not fit. */
int mc_exe_dir(char *buf, size_t n);

#endif
