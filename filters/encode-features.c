/* medcap-encode-features - image frames in, CNN feature frames out.
 *
 * Reads image frames (U8, U16 or F32 of shape [C,H,W] or [H,W], from
 * medcap-img-resize) and writes, for each, the encoder's spatial grid
 * (F32 [gh*gw, C], position-major) and/or its average-pooled vector
 * (F32 [C]), carrying the input record plus "encoder", "encoder_hash",
 * "grid" and "feature".  With --layout N the pooled vector is followed by
 * the image's N x N layout (its area averages per channel): average
 * pooling keeps what the features say but not where, and where (the plane,
 * the body outline) is much of what tells medical images apart.  Frames are encoded in batches of --batch images of
 * the same size so the convolutions are large GEMMs; output order is input
 * order and memory stays flat for any stream length.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/blas.h"
#include "arch/encoder.h"
#include "io/frame.h"
#include "io/ndjson.h"
#include "io/safetensors.h"
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"
#include "core/vecmath.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OUT_GRID = 1, OUT_POOLED = 2, OUT_BOTH = 3 };

typedef struct {
    const char *model;  /* --model FILE, or NULL for the shipped model */
    const char *arch;   /* --arch NAME, or NULL */
    int allow_random;   /* --allow-random: untrained weights instead of the shipped model */
    long seed;          /* --seed for --allow-random */
    int output;         /* OUT_* */
    long batch;         /* --batch */
    long threads;       /* --threads (0: OpenBLAS default), then the encoder's threads */
    int verbose;
    int keep_going;     /* --keep-going: skip bad frames, exit 5 at the end */
    long layout;        /* --layout N, 0: none */
    const char *input;  /* FILE or "-" */
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-encode-features [OPTIONS] [FILE]\n"
            "Encode image frames with a CNN; write feature frames with the same records.\n"
            "Reads standard input when no FILE (or '-') is given.\n\n"
            "Options:\n"
            "  -m, --model FILE      weights (.safetensors): an encoder file (e.g. a torchvision\n"
            "                        ResNet state_dict) or a full caption model; default: the\n"
            "                        shipped share/medcap/model.safetensors\n"
            "  -a, --arch NAME       cnn-small (default), resnet18, resnet34, resnet50; needed\n"
            "                        for a weights file without medcap metadata\n"
            "      --allow-random    use untrained random weights (seeded) instead of a model\n"
            "      --seed N          seed of the random weights (default 0)\n"
            "      --features WHAT   grid (default), pooled, or both (grid frame, then pooled)\n"
            "      --layout N        pooled: append the image's N x N layout (area averages,\n"
            "                        1-32), each part scaled to unit length\n"
            "  -b, --batch N         images per forward pass, 1-1024 (default 16)\n"
            "  -j, --threads N       threads (default: all cores, or OPENBLAS_NUM_THREADS); the\n"
            "                        features depend on N (float rounding), never on --batch\n"
            "      --keep-going      skip bad frames (reported), exit 5 at the end\n"
            "  -q, --quiet           no progress line on a terminal, no warnings\n"
            "  -v, --verbose         report the encoder, kernels and speed on stderr\n"
            "      --total N         the number of frames expected, for the time left\n"
            "  -h, --help            show this help and exit\n"
            "      --version         show the version and the OpenBLAS kernels, and exit\n\n"
            "Exit status: 0 done, 1 bad input frame, 2 usage error, 3 I/O error,\n"
            "4 model missing, invalid or trained on images of another size, 5 done with\n"
            "skipped frames (--keep-going).  See medcap-encode-features(1).\n");
}

static void parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'},  {"arch", required_argument, NULL, 'a'},
        {"allow-random", no_argument, NULL, 'R'}, {"seed", required_argument, NULL, 'S'},
        {"features", required_argument, NULL, 'F'}, {"output", required_argument, NULL, 'o'},
        {"batch", required_argument, NULL, 'b'}, {"threads", required_argument, NULL, 'j'},
        {"keep-going", no_argument, NULL, 'K'}, MC_OPT_COMMON,
        {"layout", required_argument, NULL, 'L'}, {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof *o);
    o->output = OUT_GRID;
    o->batch = 16;
    while ((c = mc_getopt(argc, argv, ":m:a:o:b:t:j:hqv", longs)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'a':
            o->arch = optarg;
            {
                int ok = 0;
                for (int i = 0; mc_encoder_archs[i]; i++)
                    ok |= strcmp(optarg, mc_encoder_archs[i]) == 0;
                if (!ok)
                    mc_usage_error("unknown --arch '%s' (cnn-small, resnet18, resnet34, resnet50)", optarg);
            }
            break;
        case 'R': o->allow_random = 1; break;
        case 'S':
            if (mc_parse_long(optarg, 0, 2147483647L, &o->seed) != 0)
                mc_usage_error("--seed needs a number 0-2147483647, not '%s'", optarg);
            break;
        case 'o':
            mc_opt_deprecated("-o/--output WHAT", "--features WHAT");
            /* fall through */
        case 'F':
            if (strcmp(optarg, "grid") == 0) o->output = OUT_GRID;
            else if (strcmp(optarg, "pooled") == 0) o->output = OUT_POOLED;
            else if (strcmp(optarg, "both") == 0) o->output = OUT_BOTH;
            else mc_usage_error("--features must be grid, pooled or both, not '%s'", optarg);
            break;
        case 'b':
            if (mc_parse_long(optarg, 1, 1024, &o->batch) != 0)
                mc_usage_error("--batch needs a number 1-1024, not '%s'", optarg);
            break;
        case 't':
            mc_opt_deprecated("-t", "-j/--threads");
            /* fall through */
        case 'j': o->threads = mc_opt_threads(optarg); break;
        case 'v': o->verbose = 1; break; /* its own summary, with the GFLOP/s */
        case 'K': o->keep_going = 1; break;
        case 'L': o->layout = mc_arg_long("--layout", optarg, 1, 32); break;
        case MC_OPT_VERSION: mc_blas_print_version(); exit(mc_close_stdout());
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (o->model && o->allow_random)
        mc_usage_error("--allow-random and --model cannot be combined");
    if (o->layout && !(o->output & OUT_POOLED))
        mc_usage_error("--layout is part of the pooled output: give --features pooled or both");
    if (optind < argc - 1)
        mc_usage_error("at most one input FILE, got %d", argc - optind);
    o->input = optind < argc ? argv[optind] : "-";
}

/* ---- the encoder and its weights ---- */

/* The image size a model was trained on (its "input_size" metadata,
 * "[H,W]"), for the check of the frames: the fix of a mismatch is
 * medcap-img-resize --model MODEL. */
static struct {
    int h, w;        /* 0: not recorded */
    char model[512]; /* the model file */
} trained;

/* Build the encoder for in_ch channels from the options (and note the
 * model's input size in trained); exits with MC_EXIT_MODEL (or
 * MC_EXIT_IO) when the weights cannot be used. */
static mc_encoder *load_encoder(const options *o, int in_ch)
{
    char err[512], *shipped = NULL;
    const char *path = o->model, *arch = o->arch ? o->arch : "cnn-small", *prefix = "";
    const char *file_arch, *format;
    mc_encoder *e;
    mc_st_file f;
    int rc;
    if (!path) {
        shipped = mc_share_path("model.safetensors");
        if (o->allow_random || access(shipped, R_OK) != 0) {
            if (!o->allow_random) {
                mc_err("no model: %s not found; give --model FILE, or --allow-random for an "
                       "untrained encoder", shipped);
                free(shipped);
                exit(MC_EXIT_MODEL);
            }
            free(shipped);
            e = mc_encoder_new(arch, in_ch);
            if (!e)
                mc_die(MC_EXIT_INPUT, "frames have %d channels; encoders take 1-4", in_ch);
            mc_encoder_init_random(e, (uint64_t)o->seed);
            return e;
        }
        path = shipped;
    }
    rc = mc_st_open(&f, path, err, sizeof err);
    if (rc) {
        mc_err("%s", err);
        exit(rc);
    }
    {
        const char *size = mc_st_meta(&f, "input_size");
        if (!size || sscanf(size, "[%d,%d]", &trained.h, &trained.w) != 2 || trained.h < 1 || trained.w < 1)
            trained.h = trained.w = 0;
        snprintf(trained.model, sizeof trained.model, "%s", path);
    }
    format = mc_st_meta(&f, "format");
    if (format && strcmp(format, "medcap-caption-model") == 0) {
        prefix = "encoder.";
        file_arch = mc_st_meta(&f, "encoder_arch");
    } else {
        file_arch = mc_st_meta(&f, "arch");
    }
    if (file_arch && o->arch && strcmp(file_arch, o->arch) != 0)
        mc_die(MC_EXIT_MODEL, "%s: the model's encoder is %s, not --arch %s", path, file_arch, o->arch);
    if (file_arch)
        arch = file_arch;
    e = mc_encoder_new(arch, in_ch);
    if (!e)
        mc_die(in_ch < 1 || in_ch > 4 ? MC_EXIT_INPUT : MC_EXIT_MODEL,
               "%s: cannot build encoder '%s' for %d-channel frames", path, arch, in_ch);
    rc = mc_encoder_load(e, &f, prefix, err, sizeof err);
    if (rc) {
        mc_err("%s%s", err, file_arch || o->arch ? "" : " (a file without medcap metadata needs --arch)");
        exit(rc);
    }
    mc_st_close(&f);
    free(shipped);
    return e;
}

/* Exit with the reader's status when the --model file cannot be opened or
 * is not valid safetensors, before any input is read. */
static void check_model_file(const char *path)
{
    char err[512];
    mc_st_file f;
    int rc = mc_st_open(&f, path, err, sizeof err);
    if (rc) {
        mc_err("%s", err);
        exit(rc);
    }
    mc_st_close(&f);
}

/* ---- batches ---- */

typedef struct {
    int n, cap, C, H, W;
    float *x;     /* (cap, C, H, W) normalised input */
    char **meta;  /* each image's record (JSON text) */
    long *frame;  /* each image's frame number, for messages */
    float *grid;  /* (cap, G, Cout) */
    double flops; /* convolution FLOPs of all images encoded so far */
    /* the steady state, for --verbose: the clock, images, FLOPs and
     * convolution seconds when the first batch was written */
    long done, warm_done;
    double warm_t, warm_flops, warm_conv;
} batch;

/* Write the record meta (of frame k of name) plus the feature keys, and the
 * tensor, as a frame.  Returns 0, MC_EXIT_INPUT (the record grew over the
 * frame's metadata cap; message printed) or MC_EXIT_IO. */
static int write_feature(const mc_encoder *e, const char *hash, const char *meta, const char *name,
                         long k, const char *feature, const float *data, int ndim,
                         const uint32_t *dims, int gh, int gw)
{
    cJSON *rec = cJSON_Parse(meta), *g = cJSON_CreateArray();
    char *text;
    int rc;
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "encoder");
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "encoder_hash");
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "grid");
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "feature");
    cJSON_AddStringToObject(rec, "encoder", mc_encoder_arch(e));
    cJSON_AddStringToObject(rec, "encoder_hash", hash);
    cJSON_AddItemToArray(g, cJSON_CreateNumber(gh));
    cJSON_AddItemToArray(g, cJSON_CreateNumber(gw));
    cJSON_AddItemToObject(rec, "grid", g);
    cJSON_AddStringToObject(rec, "feature", feature);
    text = cJSON_PrintUnformatted(rec);
    if (!text)
        mc_die(MC_EXIT_INTERNAL, "out of memory (feature record)");
    rc = mc_frame_write(stdout, MC_F32, ndim, dims, text, strlen(text), data);
    if (rc == MC_FRAME_WRITE_TOO_BIG)
        mc_err_at(name, 0, "frame %ld: the record with the feature keys is %zu bytes of JSON, over "
                  "the frame's %u-byte metadata cap", k, strlen(text), MC_FRAME_MAX_META);
    free(text);
    cJSON_Delete(rec);
    return rc == MC_FRAME_WRITE_TOO_BIG ? MC_EXIT_INPUT : rc != 0 ? MC_EXIT_IO : 0;
}

/* out (C*N*N) = the N x N layout of image x (C, H, W; H, W >= N): the
 * average of each cell of an N x N partition, per channel, minus their
 * mean, scaled to unit length. */
static void layout(float *out, const float *x, int C, int H, int W, int N)
{
    double mean = 0.0;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int r0 = i * H / N, r1 = (i + 1) * H / N, c0 = j * W / N, c1 = (j + 1) * W / N;
                double s = 0.0;
                for (int r = r0; r < r1; r++)
                    for (int q = c0; q < c1; q++)
                        s += x[((size_t)c * H + r) * W + q];
                out[(c * N + i) * N + j] = (float)(s / ((double)(r1 - r0) * (c1 - c0)));
                mean += out[(c * N + i) * N + j];
            }
    mean /= (double)C * N * N;
    for (int k = 0; k < C * N * N; k++)
        out[k] -= (float)mean;
    mc_l2_normalise(out, (size_t)C * N * N);
}

/* Encode the images of b (at least one, read from name) and write their
 * feature frames; with layout N > 0 the pooled vectors get the images'
 * layouts.  Leaves the batch as it is.  Returns 0, or MC_EXIT_IO or
 * MC_EXIT_INPUT at the first frame that cannot be written. */
static int write_batch(mc_encoder *e, batch *b, const char *name, int output, int N, float *pooled)
{
    char hash[9];
    int gh, gw, C;
    size_t G;
    C = mc_encoder_channels(e);
    mc_encoder_grid(e, b->H, b->W, &gh, &gw);
    G = (size_t)gh * gw;
    snprintf(hash, sizeof hash, "%s", mc_encoder_hash(e));
    mc_encoder_forward(e, b->grid, b->x, b->n, b->H, b->W, 0);
    b->flops += 2.0 * b->n * mc_encoder_macs(e, b->H, b->W);
    for (int i = 0; i < b->n; i++) {
        const float *g = b->grid + (size_t)i * G * C;
        if (output & OUT_GRID) {
            uint32_t dims[2] = {(uint32_t)G, (uint32_t)C};
            int rc = write_feature(e, hash, b->meta[i], name, b->frame[i], "grid", g, 2, dims, gh, gw);
            if (rc != 0)
                return rc;
        }
        if (output & OUT_POOLED) {
            uint32_t dims[1] = {(uint32_t)(C + b->C * N * N)};
            for (int c = 0; c < C; c++) {
                double s = 0.0;
                for (size_t p = 0; p < G; p++)
                    s += g[p * C + c];
                pooled[c] = (float)(s / (double)G);
            }
            if (N) {
                mc_l2_normalise(pooled, (size_t)C);
                layout(pooled + C, b->x + (size_t)i * b->C * b->H * b->W, b->C, b->H, b->W, N);
            }
            int rc = write_feature(e, hash, b->meta[i], name, b->frame[i],
                                   N ? "pooled+layout" : "pooled", pooled, 1, dims, gh, gw);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* Encode and write the images of b, read from name (none: nothing to do,
 * e may be NULL).  The batch is empty afterwards, its records freed,
 * whether or not the writes succeeded.  Returns 0, MC_EXIT_IO or
 * MC_EXIT_INPUT. */
static int flush(mc_encoder *e, batch *b, const char *name, int output, int N, float *pooled)
{
    int rc;
    if (b->n == 0)
        return 0;
    rc = write_batch(e, b, name, output, N, pooled);
    b->done += b->n;
    if (b->warm_t == 0.0) {
        b->warm_t = mc_now();
        b->warm_done = b->done;
        b->warm_flops = b->flops;
        b->warm_conv = mc_encoder_conv_seconds(e);
    }
    for (int i = 0; i < b->n; i++)
        free(b->meta[i]);
    b->n = 0;
    return rc;
}

/* Size the batch for images of C x H x W (cap images). */
static void batch_shape(batch *b, mc_encoder *e, int C, int H, int W)
{
    int gh, gw;
    mc_encoder_grid(e, H, W, &gh, &gw);
    free(b->x);
    free(b->grid);
    b->C = C, b->H = H, b->W = W;
    b->x = mc_malloc((size_t)b->cap * C * H * W * sizeof(float));
    b->grid = mc_malloc((size_t)b->cap * gh * gw * mc_encoder_channels(e) * sizeof(float));
}

/* Check frame fr (number k) is an image frame with a record; sets C, H, W.
 * Returns 0, or prints a message and returns MC_EXIT_INPUT. */
static int check_image(const mc_frame *fr, const char *name, long k, int *C, int *H, int *W)
{
    cJSON *rec;
    int ok;
    if (fr->ndim == 3) {
        *C = (int)fr->dims[0], *H = (int)fr->dims[1], *W = (int)fr->dims[2];
    } else if (fr->ndim == 2) {
        *C = 1, *H = (int)fr->dims[0], *W = (int)fr->dims[1];
    } else {
        mc_err_at(name, 0, "frame %ld: not an image ([C,H,W] or [H,W] expected, got %d dimensions)",
                  k, fr->ndim);
        return MC_EXIT_INPUT;
    }
    if (*C < 1 || *C > 4 || *H < 1 || *W < 1 || *H > 8192 || *W > 8192) {
        mc_err_at(name, 0, "frame %ld: image of %d channels, %dx%d is outside 1-4 channels, 1-8192 px",
                  k, *C, *W, *H);
        return MC_EXIT_INPUT;
    }
    rec = cJSON_Parse(fr->meta);
    ok = rec && cJSON_IsObject(rec) && mc_record_norm_id(rec);
    cJSON_Delete(rec);
    if (!ok) {
        mc_err_at(name, 0, "frame %ld: metadata is not a JSON record with a string \"id\"", k);
        return MC_EXIT_INPUT;
    }
    return 0;
}

/* Check the pixels of image frame fr (number k, C x H x W) for encoder e
 * and the --layout N.  Returns 0, or prints a message and returns
 * MC_EXIT_INPUT. */
static int check_pixels(const mc_frame *fr, const mc_encoder *e, const char *name, long k, int C, int H,
                        int W, long N)
{
    float bad;
    if (C != mc_encoder_in_channels(e)) {
        mc_err_at(name, 0, "frame %ld: image has %d channels, the encoder takes %d", k, C,
                  mc_encoder_in_channels(e));
        return MC_EXIT_INPUT;
    }
    if (mc_encoder_pixels_ok(fr->data, fr->dtype, (size_t)C * H * W, &bad) != 0) {
        mc_err_at(name, 0, "frame %ld: F32 pixel value %g is outside [0,1] (write images with "
                  "img-resize, U8 or --float without --mean/--std)", k, bad);
        return MC_EXIT_INPUT;
    }
    if (H < N || W < N) {
        mc_err_at(name, 0, "frame %ld: a %dx%d image is smaller than its --layout %ld", k, W, H, N);
        return MC_EXIT_INPUT;
    }
    return 0;
}

/* Encode every frame of the input, counting the images encoded and (with
 * --keep-going) the frames skipped; returns an exit status. */
static int run(const options *o, mc_encoder **ep, long *images, long *skipped, double *flops)
{
    FILE *in = mc_open_in(o->input);
    const char *name = o->input;
    mc_frame fr = {0};
    batch b = {.cap = (int)o->batch};
    mc_encoder *e = NULL;
    float *pooled = NULL;
    char err[256];
    long k = 0;
    int rc, crc_ok = 1, status = 0, C, H, W;
    if (mc_input_kind(in) == MC_INPUT_JSON) {
        mc_err_at(name, 0, "input is NDJSON records, not image frames (use medcap-img-resize first)");
        status = MC_EXIT_INPUT;
    }
    b.meta = mc_calloc((size_t)b.cap, sizeof *b.meta);
    b.frame = mc_calloc((size_t)b.cap, sizeof *b.frame);
    mc_progress_begin("images", in);
    while (status == 0 && (rc = mc_frame_read_ex(in, &fr, 0, &crc_ok, err, sizeof err)) != MC_FRAME_EOF) {
        k++;
        if (rc == MC_FRAME_ERR) {
            mc_err_at(name, 0, "frame %ld: %s", k, err);
            status = ferror(in) ? MC_EXIT_IO : MC_EXIT_INPUT;
            break;
        }
        if (!crc_ok) { /* the stream is still in step: the header's own CRC was right */
            mc_err_at(name, 0, "frame %ld: frame CRC mismatch (metadata or pixels damaged)", k);
            status = MC_EXIT_INPUT;
        } else {
            status = check_image(&fr, name, k, &C, &H, &W);
        }
        if (status == MC_EXIT_INPUT && o->keep_going) {
            (*skipped)++;
            status = 0;
            continue;
        }
        if (status != 0)
            break;
        if (!e) {
            e = *ep = load_encoder(o, C);
            mc_encoder_set_threads(e, o->threads);
            pooled = mc_malloc(((size_t)mc_encoder_channels(e) + (size_t)C * o->layout * o->layout) *
                               sizeof *pooled);
            if (o->verbose)
                mc_err("encoder %s (%d input channels, %d features, hash %s), OpenBLAS core %s",
                       mc_encoder_arch(e), C, mc_encoder_channels(e), mc_encoder_hash(e),
                       mc_blas_corename());
        }
        if (trained.h && (H != trained.h || W != trained.w)) {
            mc_err_at(name, 0, "frame %ld: a %dx%d image, but %s was trained on %dx%d images; make them "
                      "with medcap-img-resize --model %s (or --size %d)", k, W, H, trained.model, trained.w,
                      trained.h, trained.model, trained.h);
            status = MC_EXIT_MODEL;
            break;
        }
        if ((status = check_pixels(&fr, e, name, k, C, H, W, o->layout)) != 0) {
            if (!o->keep_going)
                break;
            (*skipped)++;
            status = 0;
            continue;
        }
        if (!b.x || H != b.H || W != b.W) {
            if ((status = flush(e, &b, name, o->output, (int)o->layout, pooled)) != 0)
                break;
            batch_shape(&b, e, C, H, W);
        }
        mc_encoder_normalise(e, b.x + (size_t)b.n * C * H * W, fr.data, fr.dtype, (size_t)C * H * W);
        b.frame[b.n] = k;
        b.meta[b.n++] = mc_strdup(fr.meta);
        (*images)++;
        mc_progress_add(1);
        if (b.n == b.cap)
            status = flush(e, &b, name, o->output, (int)o->layout, pooled);
    }
    mc_progress_end();
    /* images read before a bad frame are still encoded and written */
    if (status == 0 || status == MC_EXIT_INPUT) {
        int st = flush(e, &b, name, o->output, (int)o->layout, pooled);
        status = status ? status : st;
    }
    if (status == MC_EXIT_IO && !ferror(in))
        mc_stdout_error();
    *flops = b.flops;
    if (o->verbose && status == 0 && b.done > b.warm_done) {
        double dt = mc_now() - b.warm_t, ct = mc_encoder_conv_seconds(e) - b.warm_conv,
               f = b.flops - b.warm_flops;
        mc_err("after the first batch: %ld images in %.3f s (%.2f images/s); %.3f s in the "
               "convolutions, %.1f GFLOP/s there", b.done - b.warm_done, dt, (b.done - b.warm_done) / dt,
               ct, ct > 0 ? 1e-9 * f / ct : 0.0);
    }
    for (int i = 0; i < b.n; i++)
        free(b.meta[i]);
    free(b.meta);
    free(b.frame);
    free(b.x);
    free(b.grid);
    free(pooled);
    mc_frame_free(&fr);
    if (in != stdin)
        fclose(in);
    return status;
}

int main(int argc, char **argv)
{
    options o;
    mc_encoder *e = NULL;
    long images = 0, skipped = 0;
    double t0, flops = 0.0;
    int status;
    mc_set_prog(argv[0]);
    mc_blas_setup(argv, 0);
    parse_args(argc, argv, &o);
    mc_blas_setup(argv, (int)o.threads);
    o.threads = mc_blas_take_threads(); /* the encoder's own threads call OpenBLAS */
    if (o.model)
        check_model_file(o.model);
    t0 = mc_now();
    mc_refuse_terminal_out();
    status = run(&o, &e, &images, &skipped, &flops);
    if (o.verbose && status == 0) {
        double dt = mc_now() - t0;
        mc_err("%ld images in %.3f s (%.1f images/s, %.1f convolution GFLOP/s overall)", images, dt,
               dt > 0 ? images / dt : 0.0, dt > 0 ? 1e-9 * flops / dt : 0.0);
    }
    mc_encoder_free(e);
    return mc_stream_end(status, skipped, "frame(s)");
}
