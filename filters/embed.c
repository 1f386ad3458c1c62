/* medcap-embed - map images and captions into the joint embedding space of
 * an embedding model (medcap-train --objective contrastive): each feature
 * frame (an image's pooled features, a grid or a map) and each NDJSON
 * record's caption becomes an F32 frame [D] holding its unit-length
 * embedding and the record.  medcap-index indexes these frames, and
 * medcap-retrieve -m queries them with text or images (or with frames of
 * this program, without -m).
 *
 * Reads each FILE in turn ("-" or none: stdin); a stream holds frames or
 * NDJSON, told apart by its first byte.  A frame's metadata must be a
 * record (a JSON object with a string "id", no NUL byte), forwarded as it
 * is.  Memory is one record at a time.
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/embed_model.h"
#include "index/featvec.h"
#include "io/frame.h"
#include "io/frame_record.h"
#include "io/ndjson.h"
#include "core/cli.h"
#include "core/util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *model; /* -m */
    const char *field; /* --field */
    int keep_going;    /* --keep-going: skip bad frames and records, exit 5 at the end */
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-embed -m MODEL [OPTIONS] [FILE...]\n"
            "Embed feature frames (images) and NDJSON records (their caption) with a joint\n"
            "image-text embedding model from medcap-train --objective contrastive: each\n"
            "becomes an F32 frame [D] of its unit-length embedding, carrying the record.\n"
            "Reads standard input when no FILE is given.\n\n"
            "Options:\n"
            "  -m, --model MODEL  the embedding model (required)\n"
            "      --field KEY    record key of the caption text (default caption)\n"
            "      --keep-going   skip bad frames and records (reported), exit 5 at the end\n"
            "  -q, --quiet        no warnings\n"
            "  -h, --help         show this help and exit\n"
            "      --version      show the version and exit\n\n"
            "Example (text to image):\n"
            "  medcap embed -m E < images.feat | medcap index -o images.index\n"
            "  medcap retrieve -i images.index -m E --text 'axial ct'\n");
}

static void parse_args(int argc, char **argv, options *o)
{
    enum { O_FIELD = 256, O_KEEP };
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'}, {"field", required_argument, NULL, O_FIELD},
        {"keep-going", no_argument, NULL, O_KEEP},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    int c;
    *o = (options){.field = "caption"};
    while ((c = mc_getopt(argc, argv, ":m:hqv", longs)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case O_FIELD: o->field = optarg; break;
        case O_KEEP: o->keep_going = 1; break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (!o->model)
        mc_usage_error("no model given (-m MODEL)");
}

/* What one run holds: the options and the model with its scratch. */
typedef struct {
    options o;
    mc_embedder em;
    long skipped; /* bad frames and records left out (--keep-going) */
} embedder;

/* Write out (D) as a frame carrying meta, the record at line or frame k
 * of name; 0, MC_EXIT_INPUT (a record over the frame's metadata cap,
 * message printed) or MC_EXIT_IO. */
static int emit(const embedder *e, const float *out, const char *meta, const char *name, long k)
{
    uint32_t dims[4] = {(uint32_t)e->em.m.cfg.proj_dim, 0, 0, 0};
    size_t len = strlen(meta);
    int rc = mc_frame_write(stdout, MC_F32, 1, dims, meta, len, out);
    if (rc == MC_FRAME_WRITE_TOO_BIG) {
        mc_err_at(name, k, "the record is %zu bytes of JSON, over the frame's %u-byte metadata cap",
                  len, MC_FRAME_MAX_META);
        return MC_EXIT_INPUT;
    }
    return rc != 0 ? mc_stdout_error() : 0;
}

/* Embed every feature frame of f (named name); 0 or an exit status. */
static int embed_frames(embedder *e, FILE *f, const char *name)
{
    mc_frame fr;
    char err[256];
    long k = 0;
    int r, rc = 0, crc_ok = 1;
    memset(&fr, 0, sizeof fr);
    while (rc == 0 && (r = mc_frame_read_ex(f, &fr, 0, &crc_ok, err, sizeof err)) == MC_FRAME_OK) {
        size_t dim = mc_featvec_dim(&fr);
        cJSON *rec;
        k++;
        rec = crc_ok ? mc_frame_record(&fr, name, k) : NULL;
        cJSON_Delete(rec);
        if (!crc_ok) { /* the header's CRC was right: the stream is still in step */
            mc_err_at(name, k, "frame CRC mismatch (record or features damaged)");
            rc = MC_EXIT_INPUT;
        } else if (!rec) {
            rc = MC_EXIT_INPUT;
        } else if (dim != (size_t)e->em.m.cfg.feature_dim) {
            mc_err_at(name, k, "expected an F32 feature frame of size %d (the model's), got %s of size %zu",
                      e->em.m.cfg.feature_dim, mc_dtype_name(fr.dtype), dim);
            rc = MC_EXIT_INPUT;
        } else if (mc_featvec_pool(e->em.feat, &fr, err, sizeof err) != 0) {
            mc_err_at(name, k, "%s", err);
            rc = MC_EXIT_INPUT;
        } else {
            rc = emit(e, mc_embedder_image(&e->em), fr.meta, name, k);
        }
        if (rc == MC_EXIT_INPUT && e->o.keep_going) {
            e->skipped++;
            rc = 0;
        }
    }
    if (rc == 0 && r == MC_FRAME_ERR) {
        mc_err_at(name, k + 1, "%s", err);
        rc = ferror(f) ? MC_EXIT_IO : MC_EXIT_INPUT;
    }
    mc_frame_free(&fr);
    return rc;
}

/* Embed the caption of every NDJSON record of f; 0 or an exit status. */
static int embed_records(embedder *e, FILE *f, const char *name)
{
    mc_lines in;
    char *line;
    int rc = 0;
    mc_lines_init(&in, f, name);
    while (rc == 0 && mc_lines_next(&in, &line) >= 0) {
        cJSON *rec;
        const cJSON *text;
        char *meta;
        if (mc_blank(line))
            continue;
        if (!(rec = mc_record_parse(line, name, in.line))) {
            rc = MC_EXIT_INPUT;
            if (e->o.keep_going) {
                e->skipped++;
                rc = 0;
            }
            continue;
        }
        text = cJSON_GetObjectItemCaseSensitive(rec, e->o.field);
        if (!cJSON_IsString(text)) {
            mc_err_at(name, in.line, "record '%s' has no string \"%s\"", mc_record_id(rec),
                      e->o.field);
            rc = MC_EXIT_INPUT;
        } else {
            meta = cJSON_PrintUnformatted(rec);
            rc = emit(e, mc_embedder_text(&e->em, text->valuestring), meta, name, in.line);
            free(meta);
        }
        cJSON_Delete(rec);
        if (rc == MC_EXIT_INPUT && e->o.keep_going) {
            e->skipped++;
            rc = 0;
        }
    }
    if (rc == 0 && ferror(f)) {
        mc_err_at(name, 0, "read error");
        rc = MC_EXIT_IO;
    }
    mc_lines_free(&in);
    return rc;
}

/* Embed one input file (frames or NDJSON). */
static int embed_file(embedder *e, const char *path)
{
    FILE *f = mc_open_in(path);
    const char *name = strcmp(path, "-") == 0 ? "-" : path;
    int kind = mc_input_kind(f), rc = 0;
    if (kind == MC_INPUT_FRAMES)
        rc = embed_frames(e, f, name);
    else if (kind == MC_INPUT_JSON)
        rc = embed_records(e, f, name);
    if (f != stdin)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    static embedder e;
    char err[512];
    int status;
    mc_set_prog(argv[0]);
    parse_args(argc, argv, &e.o);
    if ((status = mc_embedder_open(&e.em, e.o.model, err, sizeof err)) != 0) {
        mc_err("%s", err);
        return status;
    }
    if (optind == argc)
        status = embed_file(&e, "-");
    for (int i = optind; i < argc && status == 0; i++)
        status = embed_file(&e, argv[i]);
    mc_embedder_close(&e.em);
    return mc_stream_end(status, e.skipped, "frame(s) or record(s)");
}
