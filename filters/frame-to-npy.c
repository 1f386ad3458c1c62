/* medcap-frame-to-npy - write the tensor of a binary frame as a NumPy .npy
 * file, so that Python users can look at what flows through a pipe:
 *     numpy.load("x.npy")
 *
 * Selects one frame (the first, --index N or --id ID) and writes it to
 * --output (atomically) or standard output; or, with --dir, writes every
 * frame as DIR/ID.npy; or, with --npz, the whole stream as one .npz archive
 * (one member per frame and records.npy, see frame-to-npy/npz.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "frame-to-npy/npy.h"
#include "frame-to-npy/npz.h"
#include "io/frame.h"
#include "io/ndjson.h"
#include "core/cli.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *output; /* -o FILE, or NULL for stdout */
    const char *dir;    /* --dir DIR: every frame */
    const char *npz;    /* --npz FILE: every frame, as one archive */
    const char *id;     /* --id ID: the first frame with this id */
    long index;         /* --index N: the N-th frame (1-based) */
    const char *input;  /* FILE or "-" */
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-frame-to-npy [OPTIONS] [FILE]\n"
            "Write the tensor of a medcap frame as a NumPy .npy file.\n"
            "Reads frames from FILE or standard input.\n\n"
            "Options:\n"
            "  -o, --output FILE  write to FILE (atomically) instead of standard output\n"
            "      --nth N        take the N-th frame (1-based; default 1)\n"
            "      --id ID        take the first frame whose record id is ID\n"
            "  -d, --dir DIR      write every frame as DIR/ID.npy\n"
            "      --npz FILE     write every frame into one .npz archive (atomically),\n"
            "                     members named by id, and the records as 'records'\n"
            "  -q, --quiet        no warnings\n"
            "  -h, --help         show this help and exit\n"
            "      --version      show the version and exit\n\n"
            "Exit status: 0 done (or an empty input: nothing written), 1 invalid frame or\n"
            "no such frame, 2 usage error, 3 I/O error.  See medcap-frame-to-npy(1),\n"
            "medcap-frame(5).\n");
}

static void parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},
        {"nth", required_argument, NULL, 'N'}, {"index", required_argument, NULL, 'X'},
        {"id", required_argument, NULL, 'I'},
        {"dir", required_argument, NULL, 'd'},
        {"npz", required_argument, NULL, 'Z'},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    int c, picked = 0;
    memset(o, 0, sizeof *o);
    o->index = 1;
    while ((c = mc_getopt(argc, argv, ":o:n:i:d:hqv", longs)) != -1) {
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'n':
        case 'X': /* -n means --neighbors, --index a case index, elsewhere */
            mc_opt_deprecated(c == 'n' ? "-n" : "--index N", "--nth N");
            /* fall through */
        case 'N':
            if (mc_parse_long(optarg, 1, 1L << 40, &o->index) != 0)
                mc_usage_error("--nth needs a whole number from 1, not '%s'", optarg);
            picked++;
            break;
        case 'i':
            mc_opt_deprecated("-i", "--id");
            /* fall through */
        case 'I': o->id = optarg; picked++; break;
        case 'd': o->dir = optarg; break;
        case 'Z': o->npz = optarg; break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (picked > 1)
        mc_usage_error("--nth and --id cannot be combined");
    if (o->npz && (picked || o->output || o->dir))
        mc_usage_error("--npz writes every frame; it cannot be combined with --nth, --id, --output or --dir");
    if (o->dir && (picked || o->output))
        mc_usage_error("--dir writes every frame; it cannot be combined with --nth, --id or --output");
    if (argc - optind > 1)
        mc_usage_error("one input FILE at most");
    o->input = optind < argc ? argv[optind] : "-";
}

/* Write fr's tensor as .npy to path (atomically), or to stdout when path
 * is NULL.  Returns 0 or MC_EXIT_IO after a message. */
static int save(const mc_frame *fr, const char *path)
{
    mc_atomic a;
    if (!path) {
        return npy_write(stdout, fr->dtype, fr->ndim, fr->dims, fr->data, fr->nbytes) != 0
                   ? mc_stdout_error()
                   : 0;
    }
    if (mc_atomic_open(&a, path) != 0)
        return MC_EXIT_IO;
    if (npy_write(a.f, fr->dtype, fr->ndim, fr->dims, fr->data, fr->nbytes) != 0) {
        mc_err("%s: cannot write: %s", path, strerror(errno));
        mc_atomic_abort(&a);
        return MC_EXIT_IO;
    }
    return mc_atomic_commit(&a) == 0 ? 0 : MC_EXIT_IO;
}

/* The id of a frame's record, checked to be usable as a file name, written
 * into out; returns 0, or MC_EXIT_INPUT after a message. */
static int frame_id(const mc_frame *fr, const char *input, long n, char *out, size_t outlen)
{
    cJSON *rec = cJSON_Parse(fr->meta);
    const char *id = cJSON_IsObject(rec) ? mc_record_norm_id(rec) : NULL;
    int status = 0;
    if (!id || !id[0]) {
        mc_err_at(input, 0, "frame %ld: metadata is not a JSON record with a string \"id\"", n);
        status = MC_EXIT_INPUT;
    } else if (strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ||
               strlen(id) + 5 > outlen) {
        mc_err_at(input, 0, "frame %ld: id '%s' cannot be a file name", n, id);
        status = MC_EXIT_INPUT;
    } else {
        snprintf(out, outlen, "%s", id);
    }
    cJSON_Delete(rec);
    return status;
}

/* 1 when s[0..n) is well-formed UTF-8 (as Python's strict decoder wants:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (len == 0 || c > 0xf4 || n - i < len)
            return 0;
        cp = c & (0x7f >> len);
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* The record id of frame n for --npz, a copy (the caller frees it); NULL
 * after a message.  Its metadata goes as it is into records.npy's JSON
 * array, so it must be one JSON object with nothing after it, without NUL
 * bytes, in UTF-8; any non-empty string id will do (npz_name makes it a
 * member name). */
static char *npz_frame_id(const mc_frame *fr, const char *input, long n)
{
    cJSON *rec = NULL;
    const char *id = NULL;
    char *copy = NULL;
    if (strlen(fr->meta) != fr->meta_len)
        mc_err_at(input, 0, "frame %ld: metadata holds a NUL byte", n);
    else if (!utf8_ok((const unsigned char *)fr->meta, fr->meta_len))
        mc_err_at(input, 0, "frame %ld: metadata is not UTF-8 text", n);
    else if (!(rec = cJSON_ParseWithOpts(fr->meta, NULL, 1)) || !cJSON_IsObject(rec) ||
             !(id = mc_record_norm_id(rec)))
        mc_err_at(input, 0, "frame %ld: metadata is not a JSON record with a string \"id\"", n);
    else
        copy = mc_strdup(id);
    cJSON_Delete(rec);
    return copy;
}

/* --npz: every frame of in into the archive o->npz, written atomically: on
 * any error nothing is left at o->npz.  Returns an exit status. */
static int write_npz(FILE *in, const options *o)
{
    mc_atomic a;
    npz_writer z;
    mc_frame fr = {0};
    char err[256];
    long n = 0;
    int rc, status = 0;
    if (mc_atomic_open(&a, o->npz) != 0)
        return MC_EXIT_IO;
    if (npz_open(&z, a.f) != 0) {
        mc_err("cannot make a temporary file for the records: %s", strerror(errno));
        mc_atomic_abort(&a);
        return MC_EXIT_IO;
    }
    while ((rc = mc_frame_read(in, &fr, err, sizeof err)) != MC_FRAME_EOF) {
        char *id;
        n++;
        if (rc == MC_FRAME_ERR) {
            mc_err_at(o->input, 0, "frame %ld: %s", n, err);
            status = ferror(in) ? MC_EXIT_IO : MC_EXIT_INPUT;
            break;
        }
        if (!(id = npz_frame_id(&fr, o->input, n))) {
            status = MC_EXIT_INPUT;
            break;
        }
        rc = npz_add(&z, &fr, id);
        free(id);
        if (rc != 0) {
            mc_err("%s: cannot write: %s", o->npz, strerror(errno));
            status = MC_EXIT_IO;
            break;
        }
    }
    if (status == 0 && npz_finish(&z) != 0) {
        mc_err("%s: cannot write: %s", o->npz, strerror(errno));
        status = MC_EXIT_IO;
    }
    npz_free(&z);
    mc_frame_free(&fr);
    if (status != 0 || n == 0) { /* an empty input writes nothing (medcap(7)) */
        mc_atomic_abort(&a);
        return status;
    }
    return mc_atomic_commit(&a) == 0 ? 0 : MC_EXIT_IO;
}

int main(int argc, char **argv)
{
    options o;
    mc_frame fr = {0};
    FILE *in;
    char err[256], id[256];
    long n = 0;
    int rc, status = 0, done = 0;
    mc_set_prog(argv[0]);
    parse_args(argc, argv, &o);
    in = mc_open_in(o.input);
    if (o.npz) {
        status = write_npz(in, &o);
        done = 1;
    }
    while (!done && (rc = mc_frame_read(in, &fr, err, sizeof err)) != MC_FRAME_EOF) {
        n++;
        if (rc == MC_FRAME_ERR) {
            mc_err_at(o.input, 0, "frame %ld: %s", n, err);
            status = ferror(in) ? MC_EXIT_IO : MC_EXIT_INPUT;
            break;
        }
        if ((status = frame_id(&fr, o.input, n, id, sizeof id)) != 0)
            break;
        if (o.dir) {
            size_t len = strlen(o.dir) + strlen(id) + 6;
            char *path = mc_malloc(len);
            snprintf(path, len, "%s/%s.npy", o.dir, id);
            status = save(&fr, path);
            free(path);
            done = status != 0;
        } else if (o.id ? strcmp(id, o.id) == 0 : n == o.index) {
            status = save(&fr, o.output);
            done = 1;
        }
    }
    if (status == 0 && !done && !o.dir && !o.npz && n > 0) { /* empty input: nothing written, 0 */
        if (o.id)
            mc_err_at(o.input, 0, "no frame has id '%s'", o.id);
        else
            mc_err_at(o.input, 0, "no frame %ld: the input has %ld", o.index, n);
        status = MC_EXIT_INPUT;
    }
    if (in != stdin)
        fclose(in);
    mc_frame_free(&fr);
    return status ? status : mc_close_stdout();
}
