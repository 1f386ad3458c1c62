/* cli.c - the command-line handling every filter shares (cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"

#include <stdlib.h>
#include <unistd.h>

int mc_getopt(int argc, char **argv, const char *shorts, const struct option *longs)
{
    opterr = 0;
    return getopt_long(argc, argv, shorts, longs, NULL);
}

void mc_opt_common(int c, char *const *argv, void (*usage)(FILE *out))
{
    switch (c) {
    case 'q': mc_quiet = 1; return;
    case 'v': mc_verbose = 1; return;
    case MC_OPT_TOTAL: mc_progress_total = mc_arg_long("--total", optarg, 1, 0x7fffffffffffffffL); return;
    case 'h':
        usage(stdout);
        exit(mc_close_stdout());
    case MC_OPT_VERSION:
        printf("%s %s\n", mc_prog(), MEDCAP_VERSION);
        exit(mc_close_stdout());
    case ':':
        mc_usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
        mc_usage_error("unknown option '%s'", argv[optind - 1]);
    }
}

int mc_opt_threads(const char *arg) { return (int)mc_arg_long("--threads", arg, 1, 1024); }

void mc_opt_deprecated(const char *old, const char *now)
{
    if (!mc_quiet)
        fprintf(stderr, "%s: warning: %s is deprecated and goes in the next release; use %s\n", mc_prog(), old,
                now);
}

void mc_refuse_terminal_out(void)
{
    if (isatty(1))
        mc_usage_error("standard output is a terminal: binary frames go to a file or a pipe "
                       "(> FILE, or | the next stage)");
}

int mc_stream_end(int status, long skipped, const char *what)
{
    int st;
    if (status == 0 && skipped > 0) {
        mc_err("%ld %s skipped", skipped, what);
        status = MC_EXIT_SKIPPED;
    }
    if (status != 0 && status != MC_EXIT_SKIPPED)
        return status;
    st = mc_close_stdout();
    return st ? st : status;
}
