/* medcap-index - build or extend a case index: the unit-length pooled
 * feature vector of each feature frame plus the record fields retrieval
 * returns (id, case_id, caption and any --field), in one file
 * (medcap-index(5)) written atomically.
 *
 * Reads feature frames from each FILE in turn ("-" or none: stdin).  A grid
 * [G,C] or map [H,W,C] is averaged over its positions first.  With
 * --append the new rows are added as new chunks after the old ones, which
 * are copied unchanged (no vector is recomputed), and a new end frame
 * replaces the old one (a version 1 index is rewritten as version 2).
 */
#define _POSIX_C_SOURCE 200809L
#include "index/caseindex.h"
#include "index/featvec.h"
#include "io/frame.h"
#include "io/frame_stream.h"
#include "io/ndjson.h"
#include "core/strtab.h"
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 32
#define MAX_DIM 65536

typedef struct {
    const char *output;             /* -o: the index file */
    int append;                     /* --append: extend the existing index */
    int keep_going;                 /* --keep-going: skip bad frames */
    const char *field[MAX_FIELDS];  /* --field: extra record keys to keep */
    int nfield;
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-index -o INDEX [OPTIONS] [FILE...]\n"
            "Build a case index from feature frames: each frame's pooled, L2-normalised\n"
            "vector plus its record's id, case_id and caption.  Grids [G,C] and maps\n"
            "[H,W,C] are averaged over their positions.  Reads standard input when no\n"
            "FILE (or '-') is given.\n\n"
            "Options:\n"
            "  -o, --output INDEX  the index file to write (atomically)\n"
            "      --append        add the frames to the existing INDEX\n"
            "      --field KEY     also keep record field KEY (repeatable, at most %d)\n"
            "      --keep-going    skip bad frames (reported), exit 5 at the end\n"
            "  -q, --quiet         no progress line on a terminal, no warnings\n"
            "  -v, --verbose       the number of frames and their rate at the end\n"
            "      --total N       the number of frames expected, for the time left\n"
            "  -h, --help          show this help and exit\n"
            "      --version       show the version and exit\n\n"
            "Exit status: 0 done, 1 bad input, 2 usage error, 3 I/O error,\n"
            "4 INDEX invalid (with --append), 5 frames skipped with --keep-going.\n"
            "See medcap-index(1), medcap-index(5), medcap-retrieve(1).\n", MAX_FIELDS);
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},
        {"append", no_argument, NULL, 'A'},
        {"field", required_argument, NULL, 'F'},
        {"keep-going", no_argument, NULL, 'K'},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof *o);
    while ((c = mc_getopt(argc, argv, ":o:af:hqv", longs)) != -1) {
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'a':
            mc_opt_deprecated("-a", "--append");
            /* fall through */
        case 'A': o->append = 1; break;
        case 'f':
            mc_opt_deprecated("-f", "--field");
            /* fall through */
        case 'F':
            if (o->nfield == MAX_FIELDS)
                mc_usage_error("at most %d --field options", MAX_FIELDS);
            if (!*optarg || strcmp(optarg, "id") == 0 || strcmp(optarg, "case_id") == 0 ||
                strcmp(optarg, "caption") == 0)
                mc_usage_error("--field '%s': id, case_id and caption are always kept; give another key",
                               optarg);
            o->field[o->nfield++] = optarg;
            break;
        case 'K': o->keep_going = 1; break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (!o->output)
        mc_usage_error("no index file given (-o INDEX)");
    if (strcmp(o->output, "-") == 0)
        mc_usage_error("-o -: an index is a file that retrieve maps, not a stream; give a file name");
    return optind;
}

/* The state of one run. */
typedef struct {
    const options *o;
    mc_cindex_writer w;
    mc_strtab ids;   /* every id in the index so far */
    float *vec;      /* (cap) the pooled vector of the current frame */
    size_t cap;
    size_t added, skipped;
} run_state;

/* The record kept in the index for rec: id, case_id, caption, --field keys. */
static cJSON *kept_record(const cJSON *rec, const options *o)
{
    static const char *always[] = {"id", "case_id", "caption"};
    cJSON *out = cJSON_CreateObject();
    for (int i = 0; i < 3 + o->nfield; i++) {
        const char *key = i < 3 ? always[i] : o->field[i - 3];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
        if (v)
            cJSON_AddItemToObject(out, key, cJSON_Duplicate(v, 1));
    }
    return out;
}

/* Check and add one frame.  Returns 0 added, 1 bad input (message printed),
 * -1 write error (message printed). */
static int add_frame(run_state *st, const mc_frame *fr, const char *name, long no)
{
    char err[300];
    size_t dim = mc_featvec_dim(fr);
    cJSON *rec = mc_record_parse(fr->meta, name, no), *kept;
    int added, rc;
    if (!rec)
        return 1;
    if (dim > MAX_DIM) {
        mc_err_at(name, no, "record '%s': feature size %zu is over %d", mc_record_id(rec), dim, MAX_DIM);
        cJSON_Delete(rec);
        return 1;
    }
    if (st->w.dim && dim && dim != st->w.dim) {
        mc_err_at(name, no, "record '%s': feature size %zu differs from the index's %zu",
                  mc_record_id(rec), dim, st->w.dim);
        cJSON_Delete(rec);
        return 1;
    }
    if (dim > st->cap) {
        st->vec = mc_realloc(st->vec, dim * sizeof *st->vec);
        st->cap = dim;
    }
    if (mc_featvec_pool(st->vec, fr, err, sizeof err) != 0) {
        mc_err_at(name, no, "record '%s': %s", mc_record_id(rec), err);
        cJSON_Delete(rec);
        return 1;
    }
    mc_strtab_intern(&st->ids, mc_record_id(rec), &added);
    if (!added) {
        mc_err_at(name, no, "record '%s': id is already in the index", mc_record_id(rec));
        cJSON_Delete(rec);
        return 1;
    }
    kept = kept_record(rec, st->o);
    rc = mc_cindex_writer_add(&st->w, st->vec, dim, kept);
    cJSON_Delete(kept);
    cJSON_Delete(rec);
    if (rc == 0)
        st->added++;
    return rc;
}

/* mc_frames_each callback: add one frame (a bad one is skipped and counted
 * under --keep-going). */
static int index_frame(mc_frame *fr, const char *name, long no, void *ctx)
{
    run_state *st = ctx;
    int r = add_frame(st, fr, name, no);
    if (r < 0)
        return MC_EXIT_IO;
    if (r > 0 && st->o->keep_going) {
        st->skipped++;
        return 0;
    }
    return r > 0 ? MC_EXIT_INPUT : 0;
}

/* Add every frame of one input.  Returns 0, or the exit status. */
static int index_file(run_state *st, const char *path)
{
    /* not mc_open_in, which would exit and leave the temporary index behind */
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    int rc;
    if (!f) {
        mc_err("%s: cannot open: %s", path, strerror(errno));
        return MC_EXIT_IO;
    }
    mc_progress_begin("frames", f);
    rc = mc_frames_each(f, path, index_frame, st, st->o->keep_going ? &st->skipped : NULL);
    mc_progress_end();
    if (f != stdin)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    run_state st = {0};
    mc_cindex old;
    char err[600];
    int first, status = 0;
    mc_set_prog(argv[0]);
    first = parse_args(argc, argv, &o);
    st.o = &o;
    for (int i = first; i < (first < argc ? argc : first + 1); i++)
        if (i == argc || strcmp(argv[i], "-") == 0)
            mc_refuse_terminal_in("the frames"); /* before any file is written */
    mc_strtab_init(&st.ids);
    if (o.append) {
        int rc = mc_cindex_open(&old, o.output, err, sizeof err);
        if (rc != 0) {
            mc_err("%s", err);
            return rc;
        }
        for (size_t r = 0; r < old.rows; r++)
            mc_strtab_intern(&st.ids, old.id[r], NULL);
    }
    if (mc_cindex_writer_open(&st.w, o.output, o.append ? &old : NULL, MC_CINDEX_CHUNK_ROWS) != 0)
        status = MC_EXIT_IO;
    if (o.append)
        mc_cindex_close(&old);
    for (int i = first; status == 0 && i < (first < argc ? argc : first + 1); i++)
        status = index_file(&st, i < argc ? argv[i] : "-");
    if (status == 0 && st.w.dim == 0) { /* empty input: exit 0, nothing written (medcap(7)) */
        if (!mc_quiet)
            mc_err("no feature frames in the input: no index written");
        mc_cindex_writer_abort(&st.w);
    } else if (status == 0 && mc_cindex_writer_commit(&st.w) != 0) {
        status = MC_EXIT_IO;
    } else if (status != 0) {
        mc_cindex_writer_abort(&st.w);
    }
    if (status == 0 && st.skipped > 0) {
        mc_err("%zu frames skipped, %zu indexed", st.skipped, st.added);
        status = MC_EXIT_SKIPPED;
    }
    free(st.vec);
    mc_strtab_free(&st.ids);
    return status ? status : mc_close_stdout();
}
