/* cli.h - the command-line handling every filter shares, around
 * getopt_long: --help, --version, a missing value, an unknown option and
 * --threads.
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

/* The getopt_long code of --version (no short option). */
#define MC_OPT_VERSION 0x1000 /* above the codes of filters' own long options */
/* The long options --help ('h') and --version, for every filter's table. */
#define MC_OPT_COMMON {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, MC_OPT_VERSION}

/* getopt_long(argc, argv, shorts, longs, NULL) with getopt's own messages
 * off (opterr = 0): the next option's code, or -1 after the last. */
int mc_getopt(int argc, char **argv, const char *shorts, const struct option *longs);
/* The code c of an option the filter does not handle itself: 'h' prints
 * usage to stdout, MC_OPT_VERSION "PROG VERSION"; both exit 0 (3 when
 * stdout cannot be written).  ':' is the usage error "option 'X' needs a
 * value", anything else "unknown option 'X'" (exit 2). */
_Noreturn void mc_opt_common(int c, char *const *argv, void (*usage)(FILE *out));
/* The value of --threads: a whole number from 1 to 1024 (else a usage
 * error, exit 2). */
int mc_opt_threads(const char *arg);

#endif
