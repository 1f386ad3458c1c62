/* cli.c - the command-line handling every filter shares (cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/cli.h"
#include "core/util.h"

#include <stdlib.h>

int mc_getopt(int argc, char **argv, const char *shorts, const struct option *longs)
{
    opterr = 0;
    return getopt_long(argc, argv, shorts, longs, NULL);
}

void mc_opt_common(int c, char *const *argv, void (*usage)(FILE *out))
{
    switch (c) {
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
