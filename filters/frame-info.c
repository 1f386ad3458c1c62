/* medcap-frame-info - print one line per binary frame: id, dtype, shape,
 * payload bytes and CRC status; or, with --count, the number of frames.
 *
 * Reads frames (medcap-frame(5)) from each FILE in turn ("-" or none: stdin).
 * A metadata or payload CRC mismatch is reported on the frame's line and
 * makes the exit status 1 at the end; any other invalid frame stops the
 * program with a message naming the file and frame number.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/frame.h"
#include "io/ndjson.h"
#include "core/cli.h"
#include "core/util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int count; /* --count: print only the number of frames */
    int meta;  /* --meta: append the metadata record to each line */
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-frame-info [OPTIONS] [FILE...]\n"
            "Print one line per medcap frame: ID, DTYPE, SHAPE, BYTES, CRC (tab-separated).\n"
            "Reads standard input when no FILE (or '-') is given.\n\n"
            "Options:\n"
            "      --count    print only the number of frames\n"
            "      --meta     append the frame's JSON record as a sixth column\n"
            "  -q, --quiet    no warnings\n"
            "  -h, --help     show this help and exit\n"
            "      --version  show the version and exit\n\n"
            "Exit status: 0 all frames valid, 1 invalid frame or CRC mismatch,\n"
            "2 usage error, 3 I/O error.  See medcap-frame-info(1), medcap-frame(5).\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"count", no_argument, NULL, 'C'},
        {"meta", no_argument, NULL, 'M'},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof *o);
    while ((c = mc_getopt(argc, argv, ":cmhqv", longs)) != -1) {
        switch (c) {
        case 'c':
            mc_opt_deprecated("-c", "--count");
            /* fall through */
        case 'C': o->count = 1; break;
        case 'm': /* -m is the model in every other program */
            mc_opt_deprecated("-m", "--meta");
            /* fall through */
        case 'M': o->meta = 1; break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (o->count && o->meta)
        mc_usage_error("--count and --meta cannot be combined");
    return optind;
}

/* Print the info line of one frame to stdout. */
static void print_frame(const mc_frame *fr, int crc_ok, int with_meta)
{
    cJSON *rec = cJSON_Parse(fr->meta);
    const char *id = cJSON_IsObject(rec) ? mc_record_norm_id(rec) : NULL;
    printf("%s\t%s\t", id ? id : "?", mc_dtype_name(fr->dtype));
    for (int i = 0; i < fr->ndim; i++)
        printf(i ? "x%u" : "%u", fr->dims[i]);
    if (fr->ndim == 0)
        printf("scalar");
    printf("\t%zu\t%s", fr->nbytes, crc_ok ? "ok" : "crc-mismatch");
    if (with_meta)
        printf("\t%s", fr->meta);
    putchar('\n');
    cJSON_Delete(rec);
}

/* Read every frame of one file.  Adds to *frames and *bad (CRC mismatches);
 * returns 0, or an exit status after printing a message. */
static int info_file(const char *name, const options *o, mc_frame *fr, long *frames, long *bad)
{
    FILE *f = mc_open_in(name);
    char err[256];
    long n = 0;
    int rc, crc_ok, status = 0;
    const char *shown = name;
    int c = getc(f);
    if (c == '{') {
        mc_err_at(shown, 0, "input is NDJSON records, not frames");
        status = MC_EXIT_INPUT;
    } else if (c != EOF) {
        ungetc(c, f);
    }
    while (status == 0 && (rc = mc_frame_read_ex(f, fr, 0, &crc_ok, err, sizeof err)) != MC_FRAME_EOF) {
        n++;
        if (rc == MC_FRAME_ERR) {
            mc_err_at(shown, 0, "frame %ld: %s", n, err);
            status = ferror(f) ? MC_EXIT_IO : MC_EXIT_INPUT;
            break;
        }
        if (crc_ok) {
            cJSON *rec = cJSON_Parse(fr->meta);
            int good = rec && cJSON_IsObject(rec) && mc_record_norm_id(rec);
            cJSON_Delete(rec);
            if (!good) {
                mc_err_at(shown, 0, "frame %ld: metadata is not a JSON record with a string \"id\"", n);
                status = MC_EXIT_INPUT;
                break;
            }
        } else {
            mc_err_at(shown, 0, "frame %ld: CRC mismatch", n);
            (*bad)++;
        }
        if (!o->count)
            print_frame(fr, crc_ok, o->meta);
    }
    *frames += n;
    if (f != stdin)
        fclose(f);
    return status;
}

int main(int argc, char **argv)
{
    options o;
    mc_frame fr = {0};
    long frames = 0, bad = 0;
    int status = 0, first;
    mc_set_prog(argv[0]);
    first = parse_args(argc, argv, &o);
    if (first == argc)
        status = info_file("-", &o, &fr, &frames, &bad);
    for (int i = first; i < argc && status == 0; i++)
        status = info_file(argv[i], &o, &fr, &frames, &bad);
    mc_frame_free(&fr);
    if (status == 0 && o.count)
        printf("%ld\n", frames);
    if (status == 0 && bad > 0)
        status = MC_EXIT_INPUT;
    return status ? status : mc_close_stdout();
}
