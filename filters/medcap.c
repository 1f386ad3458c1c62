/* medcap - the dispatcher: "medcap NAME ARGS" runs medcap-NAME ARGS.
 *
 * medcap-NAME is looked up first next to this program (so an uninstalled
 * build runs its own stages), then on PATH, like git's subcommands.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name, *what;
} stages[] = {
    {"csv-clean", "a data set's metadata (MedPix, CheXpert, NIH, ...) to records"},
    {"img-resize", "load images named by records, resize, write image frames"},
    {"encode-features", "run the CNN encoder over image frames, write feature frames"},
    {"train", "train the captioner, or a joint image-text embedding"},
    {"decode-caption", "a caption for each feature frame (greedy or beam search)"},
    {"score", "score captions: BLEU, ROUGE-L, CIDEr-D, clinical label F1"},
    {"embed", "feature frames or captions to joint embedding frames"},
    {"index", "build or extend a nearest-neighbour index of feature frames"},
    {"retrieve", "find the most similar indexed cases for each query frame"},
    {"report", "an HTML page to review a run: captions, attention, scores"},
    {"frame-info", "print one line per frame: id, dtype, shape, bytes, CRC status"},
    {"frame-to-npy", "a frame as a NumPy .npy file, or a stream as one .npz"},
    {"caption-dir", "the nightly job: caption the new images of a folder"},
    {"caption-many", "caption a long stream in shards over cores and machines (GNU parallel)"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap NAME [ARGS...]\n"
            "       medcap --help | --version\n"
            "Run the medcap stage NAME (the program medcap-NAME).\n\n"
            "Stages:\n");
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        fprintf(out, "  %-16s %s\n", stages[i].name, stages[i].what);
    fprintf(out, "\n'medcap NAME --help' describes a stage; see also medcap(7).\n");
}

int main(int argc, char **argv)
{
    char exe[4096], path[4600], prog[256];
    mc_set_prog(argv[0]);
    if (argc < 2) {
        usage(stderr);
        return MC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return mc_close_stdout();
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("medcap %s\n", MEDCAP_VERSION);
        return mc_close_stdout();
    }
    if (argv[1][0] == '-' || strchr(argv[1], '/') || strlen(argv[1]) > 200)
        mc_usage_error("unknown option or stage '%s'", argv[1]);
    snprintf(prog, sizeof prog, "medcap-%s", argv[1]);
    argv[1] = prog;
    if (mc_exe_dir(exe, sizeof exe) == 0) {
        snprintf(path, sizeof path, "%s/%s", exe, prog);
        if (access(path, X_OK) == 0)
            execv(path, argv + 1);
    }
    execvp(prog, argv + 1);
    if (errno == ENOENT)
        mc_usage_error("'%s' is not a medcap stage (no program %s)", argv[1] + 7, prog);
    mc_die(MC_EXIT_IO, "cannot run %s: %s", prog, strerror(errno));
}
