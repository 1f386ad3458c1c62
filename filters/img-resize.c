/* medcap-img-resize - load the image named by each record, resize it to a
 * square tensor, and write one binary frame per image carrying the record.
 *
 * Input lines are NDJSON records with an "image" path (resolved against
 * --root) or bare image paths; arguments are such lists, image files or
 * folders of images (img-resize/inputs.h; a bare image's id is its path
 * relative to --root or the folder, without extension).  Ids repeated in
 * the stream are refused.  --size and --channels default to the model's
 * (--model, else the shipped one: img-resize/model_input.h).  Each
 * frame's shape is [C,S,S] (channel-first, C order); its metadata is the
 * input record with every key kept, plus "width" and "height" of the
 * original image (upright: an EXIF orientation is applied).  Images are
 * loaded on --jobs worker threads and written in input order.
 *
 * DICOM files (GDCM) are rescaled, windowed (--window) and resized the
 * same way; --frame picks the frames of a multi-frame file, and the
 * record gains the file's non-identifying attributes (io/dicom_record.h;
 * UIDs and the patient ID hashed with --salt).
 */
#define _POSIX_C_SOURCE 200809L
#include "img-resize/image.h"
#include "img-resize/inputs.h"
#include "img-resize/model_input.h"
#include "img-resize/workers.h"
#include "io/dicom_record.h"
#include "io/frame.h"
#include "io/idset.h"
#include "io/ndjson.h"
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    ir_img_spec spec;
    const char *root;  /* --root DIR for relative image paths, or NULL */
    char **inputs;     /* the FILE arguments (none: standard input) */
    int ninputs;
    int recursive;     /* --recursive: folder arguments' sub-folders too */
    int keep_going;
    int jobs;
    const char *salt;  /* --salt KEY for the hashed DICOM ids, or NULL */
    int characteristics; /* --patient-characteristics: DICOM sex and age */
} options;

/* One record in flight: filled by the reader, loaded by a worker,
 * written (or reported) by the main thread. */
typedef struct {
    char *name;       /* the list it came from, or the image file */
    long line;        /* its line in the list; 0: an image file */
    cJSON *rec;
    char *path;
    int bare;         /* a bare path: the id comes from the path */
    int status;       /* ir_img_load's result */
    char **meta;      /* per output tensor: the record plus width/height (and
                         DICOM keys), as JSON text */
    int nmeta;
    ir_img_result img;
} job;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-img-resize [OPTIONS] [FILE|IMAGE|DIR]...\n"
            "Read NDJSON records with an \"image\" path (or bare image paths, one a line)\n"
            "from each FILE or standard input, image files and the images of folders;\n"
            "write one frame [C,S,S] per image.  A bare image's id is its path relative\n"
            "to --root or the folder (else as given), without its extension.\n\n"
            "Options:\n"
            "  -m, --model FILE       --size and --channels default to the model's\n"
            "                         input_size and input_channels\n"
            "  -s, --size S           output side in pixels (default: the model's, else the\n"
            "                         shipped model's, else 224); 0: the image's own size,\n"
            "                         not resized (a [C,H,W] frame)\n"
            "  -c, --channels 1|3     grey (luma) or RGB (default: the model's, else 1)\n"
            "      --fit MODE         letterbox (pad, default), crop (centre) or stretch\n"
            "      --float            write F32 (v/max - mean)/std instead of U8\n"
            "      --mean M[,M,M]     per-channel mean for --float (default 0)\n"
            "      --std S[,S,S]      per-channel standard deviation for --float (default 1)\n"
            "  -r, --root DIR         resolve relative image paths against DIR\n"
            "  -R, --recursive        read the sub-folders of DIR arguments too\n"
            "      --max-pixels N     refuse images of more than N pixels (default 100000000)\n"
            "      --keep-going       skip missing or bad images and repeated ids, report\n"
            "                         them, exit 5\n"
            "DICOM (.dcm files, or files with the DICM preamble):\n"
            "  -w, --window WIN       grey VOI window: auto (the file's VOI LUT or window,\n"
            "                         else the frame's range; default), file, W,L\n"
            "                         (width,level), lung, mediastinum, bone, brain, or\n"
            "                         none (modality units, with --float)\n"
            "      --frame N|middle|all  frame of a multi-frame file (from 0; default\n"
            "                         middle); all: one frame per slice, \"frame\" in the record\n"
            "      --salt KEY         key of the hashed ids (id, case_id) and of patient_id,\n"
            "                         which is only written with a key\n"
            "      --patient-characteristics  also write sex and age (the de-identification\n"
            "                         profile's Retain Patient Characteristics option)\n"
            "  -j, --threads N        worker threads (default: the number of cores)\n"
            "  -q, --quiet            no progress line on a terminal, no warnings\n"
            "  -v, --verbose          the number of images and their rate at the end\n"
            "      --total N          the number of images expected, for the time left\n"
            "  -h, --help             show this help and exit\n"
            "      --version          show the version and exit\n\n"
            "Exit status: 0 done, 1 bad input (record, image, repeated id), 2 usage error,\n"
            "3 I/O error, 4 --model unreadable, 5 --keep-going skipped some images.\n"
            "See medcap-img-resize(1).\n");
}

/* Parse "a" or "a,b,c" into n per-channel values (one value is repeated). */
static void parse_triple(const char *opt, const char *arg, double v[3])
{
    char buf[256], *tok, *save = NULL;
    int n = 0;
    snprintf(buf, sizeof buf, "%s", arg);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == 3 || mc_parse_double(tok, &v[n]) != 0)
            mc_usage_error("%s needs one or three numbers separated by commas, not '%s'", opt, arg);
        n++;
    }
    if (n != 1 && n != 3)
        mc_usage_error("%s needs one or three numbers separated by commas, not '%s'", opt, arg);
    if (n == 1)
        v[1] = v[2] = v[0];
}

/* The named windows of --window: width, level (Hounsfield units). */
static const struct {
    const char *name;
    double width, level;
} presets[] = {
    {"lung", 1500, -600}, {"mediastinum", 350, 50}, {"bone", 2000, 500}, {"brain", 80, 40},
};

/* Parse --window's value into spec. */
static void parse_window(const char *arg, ir_img_spec *spec)
{
    char *comma;
    spec->window = WIN_FIXED;
    if (strcmp(arg, "auto") == 0) {
        spec->window = WIN_AUTO;
        return;
    }
    if (strcmp(arg, "file") == 0) {
        spec->window = WIN_FILE;
        return;
    }
    if (strcmp(arg, "none") == 0) {
        spec->window = WIN_NONE;
        return;
    }
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(arg, presets[i].name) == 0) {
            spec->width = presets[i].width;
            spec->center = presets[i].level;
            return;
        }
    comma = strchr(arg, ',');
    if (comma) {
        char w[64];
        snprintf(w, sizeof w, "%.*s", (int)(comma - arg), arg);
        if (mc_parse_double(w, &spec->width) == 0 && mc_parse_double(comma + 1, &spec->center) == 0 &&
            spec->width >= 1)
            return;
    }
    mc_usage_error("--window must be auto, file, none, lung, mediastinum, bone, brain or "
                   "WIDTH,LEVEL (width at least 1), not '%s'", arg);
}

static void parse_args(int argc, char **argv, options *o)
{
    enum { OPT_FLOAT = 256, OPT_MEAN, OPT_STD, OPT_MAXPIX, OPT_FRAME, OPT_SALT, OPT_FIT, OPT_KEEP, OPT_JOBS,
           OPT_CHARS };
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'},
        {"size", required_argument, NULL, 's'},
        {"channels", required_argument, NULL, 'c'},
        {"fit", required_argument, NULL, OPT_FIT},
        {"float", no_argument, NULL, OPT_FLOAT},
        {"mean", required_argument, NULL, OPT_MEAN},
        {"std", required_argument, NULL, OPT_STD},
        {"root", required_argument, NULL, 'r'},
        {"recursive", no_argument, NULL, 'R'},
        {"max-pixels", required_argument, NULL, OPT_MAXPIX},
        {"keep-going", no_argument, NULL, OPT_KEEP},
        {"threads", required_argument, NULL, 'j'},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"window", required_argument, NULL, 'w'},
        {"frame", required_argument, NULL, OPT_FRAME},
        {"salt", required_argument, NULL, OPT_SALT},
        {"patient-characteristics", no_argument, NULL, OPT_CHARS},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    int c, normalised = 0, size_given = 0, channels_given = 0;
    const char *model = NULL;
    long v;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    memset(o, 0, sizeof *o);
    o->spec.size = 224;
    o->spec.channels = 1;
    o->spec.fit = FIT_LETTERBOX;
    o->spec.max_pixels = 100000000;
    o->spec.window = WIN_AUTO;
    o->spec.frame = FRAME_MIDDLE;
    for (int i = 0; i < 3; i++)
        o->spec.std[i] = 1.0;
    o->jobs = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
    while ((c = mc_getopt(argc, argv, ":m:s:c:f:r:Rkj:w:hqv", longs)) != -1) {
        switch (c) {
        case 's':
            if (mc_parse_long(optarg, 0, 8192, &v) != 0)
                mc_usage_error("--size needs a whole number from 0 to 8192, not '%s'", optarg);
            o->spec.size = (int)v;
            size_given = 1;
            break;
        case 'c':
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "3") != 0)
                mc_usage_error("--channels must be 1 or 3, not '%s'", optarg);
            o->spec.channels = optarg[0] - '0';
            channels_given = 1;
            break;
        case 'm': model = optarg; break;
        case 'f': /* -f is --format elsewhere (medcap(7)) */
            mc_opt_deprecated("-f", "--fit");
            /* fall through */
        case OPT_FIT:
            if (strcmp(optarg, "letterbox") == 0)
                o->spec.fit = FIT_LETTERBOX;
            else if (strcmp(optarg, "crop") == 0)
                o->spec.fit = FIT_CROP;
            else if (strcmp(optarg, "stretch") == 0)
                o->spec.fit = FIT_STRETCH;
            else
                mc_usage_error("--fit must be letterbox, crop or stretch, not '%s'", optarg);
            break;
        case OPT_FLOAT: o->spec.as_float = 1; break;
        case OPT_MEAN: parse_triple("--mean", optarg, o->spec.mean); normalised = 1; break;
        case OPT_STD:
            parse_triple("--std", optarg, o->spec.std);
            for (int i = 0; i < 3; i++)
                if (!(o->spec.std[i] > 0))
                    mc_usage_error("--std values must be above 0, not '%s'", optarg);
            normalised = 1;
            break;
        case 'r': o->root = optarg; break;
        case 'R': o->recursive = 1; break;
        case OPT_MAXPIX:
            if (mc_parse_long(optarg, 1, 1L << 40, &v) != 0)
                mc_usage_error("--max-pixels needs a whole number from 1, not '%s'", optarg);
            o->spec.max_pixels = (uint64_t)v;
            break;
        case 'k':
            mc_opt_deprecated("-k", "--keep-going");
            /* fall through */
        case OPT_KEEP: o->keep_going = 1; break;
        case OPT_JOBS:
            mc_opt_deprecated("--jobs", "-j/--threads");
            /* fall through */
        case 'j':
            if (mc_parse_long(optarg, 1, 64, &v) != 0)
                mc_usage_error("--threads needs a whole number from 1 to 64, not '%s'", optarg);
            o->jobs = (int)v;
            break;
        case 'w': parse_window(optarg, &o->spec); break;
        case OPT_FRAME:
            if (strcmp(optarg, "middle") == 0)
                o->spec.frame = FRAME_MIDDLE;
            else if (strcmp(optarg, "all") == 0)
                o->spec.frame = FRAME_ALL;
            else if (mc_parse_long(optarg, 0, 1L << 30, &v) == 0)
                o->spec.frame = (int)v;
            else
                mc_usage_error("--frame must be a frame number from 0, middle or all, not '%s'", optarg);
            break;
        case OPT_SALT:
            if (!optarg[0])
                mc_usage_error("--salt needs a non-empty key");
            o->salt = optarg;
            break;
        case OPT_CHARS: o->characteristics = 1; break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (normalised && !o->spec.as_float)
        mc_usage_error("--mean and --std apply to --float output only");
    if (o->spec.window == WIN_NONE && !o->spec.as_float)
        mc_usage_error("--window none keeps modality units: it needs --float");
    o->inputs = argv + optind;
    o->ninputs = argc - optind;
    ir_model_defaults(&o->spec, model, size_given, channels_given);
}

/* Set key of rec to the number v, replacing any value it had. */
static void set_number(cJSON *rec, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(rec, key);
    cJSON_AddNumberToObject(rec, key, v);
}

/* Worker: load the job's image and print its metadata records (one per
 * output tensor: a DICOM file's frames carry their "frame" index). */
static void run_job(void *arg, void *ctx)
{
    job *j = arg;
    const options *o = ctx;
    const ir_img_result *im = &j->img;
    j->status = ir_img_load(j->path, &o->spec, &j->img);
    if (j->status != 0)
        return;
    set_number(j->rec, "width", im->width);
    set_number(j->rec, "height", im->height);
    if (im->is_dicom) {
        if (j->bare) /* a file name may be a UID: the hashed id instead */
            cJSON_DeleteItemFromObjectCaseSensitive(j->rec, "id");
        mc_dcm_record(&im->dicom, j->rec, o->salt, o->characteristics);
    }
    j->nmeta = im->nframes;
    j->meta = mc_calloc((size_t)im->nframes, sizeof *j->meta);
    for (int k = 0; k < im->nframes; k++) {
        if (im->is_dicom && im->dicom.frames > 1)
            set_number(j->rec, "frame", im->first_frame + k);
        j->meta[k] = cJSON_PrintUnformatted(j->rec);
        if (!j->meta[k])
            mc_die(MC_EXIT_INTERNAL, "out of memory printing a record");
    }
}

/* The record {"id", "image"} of a bare image. */
static cJSON *bare_record(const char *id, const char *image)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec || !cJSON_AddStringToObject(rec, "id", id) || !cJSON_AddStringToObject(rec, "image", image))
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    return rec;
}

/* Fill j from one input item: the record and the image path to open (a
 * list's image resolved against --root).  Returns 0, or MC_EXIT_INPUT
 * after a message. */
static int read_job(job *j, const ir_item *it, const options *o)
{
    const char *p = it->text ? it->text + strspn(it->text, " \t") : NULL;
    const cJSON *image;
    char *id;
    size_t n;
    j->name = mc_strdup(it->name);
    j->line = it->line;
    j->bare = !p || *p != '{';
    if (!p) {
        j->rec = bare_record(it->id, it->image);
        j->path = mc_strdup(it->path);
        return 0;
    }
    if (*p == '{') {
        j->rec = mc_record_parse(p, it->name, it->line);
        if (!j->rec)
            return MC_EXIT_INPUT;
    } else {
        id = ir_path_id(p, o->root);
        j->rec = bare_record(id, p);
        free(id);
    }
    image = cJSON_GetObjectItemCaseSensitive(j->rec, "image");
    if (!cJSON_IsString(image) || !image->valuestring[0]) {
        mc_err_at(it->name, it->line, "record has no string \"image\"");
        cJSON_Delete(j->rec);
        j->rec = NULL;
        return MC_EXIT_INPUT;
    }
    n = strlen(image->valuestring) + (o->root ? strlen(o->root) : 0) + 2;
    j->path = mc_malloc(n);
    if (o->root && image->valuestring[0] != '/')
        snprintf(j->path, n, "%s/%s", o->root, image->valuestring);
    else
        snprintf(j->path, n, "%s", image->valuestring);
    return 0;
}

/* Release the record of a collected job (its image buffer is kept). */
static void clear_job(job *j)
{
    cJSON_Delete(j->rec);
    free(j->path);
    free(j->name);
    for (int k = 0; k < j->nmeta; k++)
        free(j->meta[k]);
    free(j->meta);
    j->rec = NULL;
    j->path = NULL;
    j->name = NULL;
    j->meta = NULL;
    j->nmeta = 0;
}

/* Report what went wrong with j: "LIST:LINE: IMAGE: what", or "IMAGE:
 * what" for an image named as an argument or found in a folder. */
static void job_error(const job *j, const char *what)
{
    if (j->line > 0)
        mc_err_at(j->name, j->line, "%s: %s", j->path, what);
    else
        mc_err_at(j->path, 0, "%s", what);
}

/* Write a collected job's frame, or report its failure or its repeated id
 * (ids: those written).  Returns 0, or the exit status to stop with;
 * counts skipped images in *skipped. */
static int emit(job *j, const options *o, mc_idset *ids, long *skipped)
{
    uint32_t dims[3] = {(uint32_t)o->spec.channels, (uint32_t)j->img.out_h, (uint32_t)j->img.out_w};
    size_t bytes = ir_img_bytes(&o->spec, &j->img);
    char what[200];
    int status = 0, repeated = 0;
    if (j->status != 0) {
        job_error(j, j->img.err);
        if (o->keep_going && j->status != MC_EXIT_INTERNAL)
            (*skipped)++;
        else
            status = j->status;
    } else if (!mc_idset_add(ids, mc_record_id(j->rec), j->line > 0 ? j->name : j->path, j->line,
                             o->keep_going ? " (skipped)" : "")) {
        repeated = 1;
        if (o->keep_going)
            (*skipped)++;
        else
            status = MC_EXIT_INPUT;
    }
    for (int k = 0; k < j->nmeta && status == 0 && !repeated; k++) {
        size_t len = strlen(j->meta[k]);
        int rc = mc_frame_write(stdout, o->spec.as_float ? MC_F32 : MC_U8, 3, dims, j->meta[k], len,
                                (char *)j->img.data + k * bytes);
        if (rc == MC_FRAME_WRITE_TOO_BIG) {
            snprintf(what, sizeof what, "the record is %zu bytes of JSON, over the frame's "
                     "%u-byte metadata cap", len, MC_FRAME_MAX_META);
            job_error(j, what);
            if (o->keep_going)
                (*skipped)++;
            else
                status = MC_EXIT_INPUT;
            break;
        }
        if (rc != 0)
            status = mc_stdout_error();
    }
    mc_progress_add(1);
    clear_job(j);
    return status;
}

int main(int argc, char **argv)
{
    options o;
    ir_inputs *in;
    ir_item it;
    mc_idset ids;
    job *jobs, *j;
    ir_pool *workers;
    int slots, status = 0, rc;
    long seq = 0, records = 0, skipped = 0;

    mc_set_prog(argv[0]);
    parse_args(argc, argv, &o);
    if (o.ninputs == 0)
        mc_refuse_terminal_in("records or image paths");
    mc_refuse_terminal_out();
    if (ir_img_init(argv[0]) != 0)
        return MC_EXIT_INTERNAL;
    in = ir_inputs_new(o.inputs, o.ninputs, o.root, o.recursive);
    mc_idset_init(&ids);
    slots = 4 * o.jobs;
    jobs = mc_calloc((size_t)slots, sizeof *jobs);
    workers = ir_pool_new(o.jobs, slots, run_job, &o);
    mc_progress_begin("images", NULL);
    while (status == 0 && (rc = ir_inputs_next(in, &it, &status)) > 0) {
        if (it.text && mc_blank(it.text))
            continue;
        if (ir_pool_pending(workers) == slots)
            status = emit(ir_pool_next(workers), &o, &ids, &skipped);
        if (status != 0)
            break;
        j = &jobs[seq % slots];
        records++;
        if (read_job(j, &it, &o) != 0) {
            clear_job(j);
            if (!o.keep_going)
                status = MC_EXIT_INPUT;
            skipped++;
            continue;
        }
        ir_pool_submit(workers, j);
        seq++;
    }
    while ((j = ir_pool_next(workers)) != NULL)
        if (status == 0)
            status = emit(j, &o, &ids, &skipped);
    ir_pool_free(workers);
    mc_progress_end();
    if (status == 0 && records == 0 && !mc_quiet) /* empty input: exit 0, nothing written (medcap(7)) */
        mc_err("no records or image paths in the input: nothing written");
    if (status == 0 && skipped > 0) {
        mc_err("skipped %ld of %ld images", skipped, records);
        status = MC_EXIT_SKIPPED;
    }
    for (int i = 0; i < slots; i++) {
        clear_job(&jobs[i]);
        free(jobs[i].img.data);
        free(jobs[i].img.values);
        free(jobs[i].img.file);
    }
    free(jobs);
    mc_idset_free(&ids);
    ir_inputs_free(in);
    ir_img_shutdown();
    return status ? status : mc_close_stdout();
}
