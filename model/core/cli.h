/* cli.h - the command-line handling every filter shares, around
 * getopt_long: --help, --version, -q/--quiet, -v/--verbose, --total, a
 * missing value, an unknown option, --threads, deprecated spellings and
 * terminals where a pipe belongs.  The grammar they follow is the table
 * "OPTIONS EVERY PROGRAM SHARES" of medcap(7).
 *
 *     static const struct option longs[] = {
 *         {"output", required_argument, NULL, 'o'},
 *         MC_OPT_COMMON,
 *         {NULL, 0, NULL, 0},
 *     };
 *     while ((c = mc_getopt(argc, argv, ":o:h", longs)) != -1)
 *         switch (c) {
 *         case 'o': o->output = optarg; break;
 *         default: mc_opt_common(c, argv, usage);
 *         }
 *
 * The short options start with ':' (a missing value is reported as such)
 * and include 'h'.  Messages name the program set by mc_set_prog.
 */
#ifndef MEDCAP_CLI_H
#define MEDCAP_CLI_H

#include <getopt.h>
#include <stdio.h>

/* The getopt_long codes of --version and --total (no short options). */
#define MC_OPT_VERSION 0x1000 /* above the codes of filters' own long options */
#define MC_OPT_TOTAL 0x1001
/* The long options every filter's table has: --help ('h'), --version,
 * --quiet ('q'), --verbose ('v') and --total N; the short options string
 * has "hqv". */
#define MC_OPT_COMMON                                                                              \
    {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, MC_OPT_VERSION},              \
        {"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'},                   \
        {"total", required_argument, NULL, MC_OPT_TOTAL}

/* getopt_long(argc, argv, shorts, longs, NULL) with getopt's own messages
 * off (opterr = 0): the next option's code, or -1 after the last. */
int mc_getopt(int argc, char **argv, const char *shorts, const struct option *longs);
/* The code c of an option the filter does not handle itself: 'q', 'v'
 * and MC_OPT_TOTAL set mc_quiet, mc_verbose and mc_progress_total
 * (progress.h) and return; 'h' prints usage to stdout, MC_OPT_VERSION
 * "PROG VERSION"; both exit 0 (3 when stdout cannot be written).  ':' is
 * the usage error "option 'X' needs a value", anything else "unknown
 * option 'X'" (exit 2). */
void mc_opt_common(int c, char *const *argv, void (*usage)(FILE *out));
/* A deprecated spelling was used: warn "PROG: warning: OLD is deprecated
 * and goes in the next release; use NOW" on stderr (not with --quiet). */
void mc_opt_deprecated(const char *old, const char *now);
/* The exit status of a stream stage at its end: with status 0 and
 * skipped > 0 (--keep-going), "PROG: SKIPPED WHAT skipped" and
 * MC_EXIT_SKIPPED; standard output is closed (mc_close_stdout) unless
 * status is another error, whose status is returned. */
int mc_stream_end(int status, long skipped, const char *what);
/* Refuse (exit 2) to write binary frames to standard output when it is a
 * terminal. */
void mc_refuse_terminal_out(void);
/* The value of --threads: a whole number from 1 to 1024 (else a usage
 * error, exit 2). */
int mc_opt_threads(const char *arg);

#endif
