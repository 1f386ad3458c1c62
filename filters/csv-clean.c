/* medcap-csv-clean - turn a data set's own metadata into NDJSON records
 * with a caption, one per usable image.
 *
 * Formats: MedPix 2.0 (JSONL or JSON descriptions joined with their cases),
 * CheXpert train.csv/valid.csv, NIH ChestX-ray14 Data_Entry_2017*.csv, the
 * COVID-19 image data collection's metadata.csv and any CSV with an image
 * and a caption column.  Inputs are files (plain or gzip) or folders holding
 * them; the format is detected from each file's header or first object.
 * Every record gets a split: the data set's own, or a stable hash of the
 * patient or case id.  Rows that give no record are counted by reason.
 * --format dicom instead walks folders of DICOM files, reading headers
 * only, and writes one record per image without a caption (clean_dicom.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "csv-clean/clean.h"
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"

#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const format_names[] = {"auto", "medpix", "chexpert", "nih", "covid", "generic",
                                           "dicom"};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-csv-clean [OPTIONS] [FILE|DIR...]\n"
            "Turn a data set's metadata into NDJSON records {id, image, caption, split, ...}.\n"
            "Reads CSV from standard input when no FILE is given; FILE may be gzip-compressed;\n"
            "a DIR stands for its .csv, .json and .jsonl files (optionally .gz).\n"
            "--format dicom walks each DIR whole instead: one record per DICOM image\n"
            "(.dcm files, or files without an extension that carry the DICM preamble).\n\n"
            "Options:\n"
            "  -f, --format FMT       auto (default), medpix, chexpert, nih, covid, generic,\n"
            "                         dicom\n"
            "  -t, --template PARTS   caption parts in order, e.g. modality,plane,diagnosis\n"
            "      --min-words N      drop free-text captions under N words (default 3)\n"
            "  -u, --uncertain HOW    CheXpert -1.0 labels: ignore (default), positive, negative\n"
            "      --split SPEC       NAME=WEIGHT,... for rows without a split of their own\n"
            "                         (default train=80,dev=10,test=10), hashed by patient/case\n"
            "      --resplit          hash every row, ignoring the data set's own split\n"
            "      --image-prefix P   put P before every image path\n"
            "      --image-col COL    generic: the image path column\n"
            "      --caption-col COL  generic: the caption column\n"
            "      --id-col COL       generic: the id column (default: image path without extension)\n"
            "      --patient-col COL  generic: the column that groups rows into one split\n"
            "      --salt KEY         dicom: key of the hashed ids (id, case_id) and of\n"
            "                         patient_id (written, and used for the split, only with a key)\n"
            "      --patient-characteristics  dicom: also write sex and age (the\n"
            "                         de-identification profile's Retain Patient\n"
            "                         Characteristics option; off: its basic profile)\n"
            "      --keep-going       skip (and report) malformed rows and repeated ids\n"
            "      --stats            print rows, records and drops by reason to stderr\n"
            "  -q, --quiet            no warnings\n"
            "  -h, --help             show this help and exit\n"
            "      --version          show the version and exit\n\n"
            "Exit status: 0 done, 1 bad input, 2 usage error, 3 I/O error,\n"
            "5 done with malformed rows or repeated ids skipped (--keep-going).\n"
            "See medcap-csv-clean(1).\n");
}

enum { OPT_RESPLIT = 256, OPT_PREFIX, OPT_IMAGE, OPT_CAPTION, OPT_ID, OPT_PATIENT, OPT_STATS, OPT_MINW, OPT_SPLIT, OPT_KEEP,
       OPT_SALT, OPT_CHARS };

static int parse_args(int argc, char **argv, clean_ctx *ctx)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'f'},
        {"template", required_argument, NULL, 't'},
        {"min-words", required_argument, NULL, OPT_MINW},
        {"uncertain", required_argument, NULL, 'u'},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"resplit", no_argument, NULL, OPT_RESPLIT},
        {"image-prefix", required_argument, NULL, OPT_PREFIX},
        {"image-col", required_argument, NULL, OPT_IMAGE},
        {"caption-col", required_argument, NULL, OPT_CAPTION},
        {"id-col", required_argument, NULL, OPT_ID},
        {"patient-col", required_argument, NULL, OPT_PATIENT},
        {"keep-going", no_argument, NULL, OPT_KEEP},
        {"stats", no_argument, NULL, OPT_STATS},
        {"salt", required_argument, NULL, OPT_SALT},
        {"patient-characteristics", no_argument, NULL, OPT_CHARS},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    const char *split = "train=80,dev=10,test=10";
    char err[200];
    int c, fmt_given = 0;
    memset(ctx, 0, sizeof *ctx);
    ctx->min_words = 3;
    while ((c = mc_getopt(argc, argv, ":f:t:w:u:s:khqv", longs)) != -1) {
        switch (c) {
        case 'f':
            for (ctx->format = 0; ctx->format <= FMT_DICOM; ctx->format++)
                if (strcmp(optarg, format_names[ctx->format]) == 0)
                    break;
            if (ctx->format > FMT_DICOM)
                mc_usage_error("unknown format '%s' (auto, medpix, chexpert, nih, covid, generic, dicom)",
                               optarg);
            fmt_given = 1;
            break;
        case 't':
            if (!*optarg || optarg[strlen(optarg) - 1] == ',' || strstr(optarg, ",,"))
                mc_usage_error("--template '%s' is not a comma-separated list of parts", optarg);
            ctx->template_ = optarg;
            break;
        case 'w': /* -w is --window elsewhere (medcap(7)) */
            mc_opt_deprecated("-w", "--min-words");
            /* fall through */
        case OPT_MINW:
            if (mc_parse_long(optarg, 0, 1000, &ctx->min_words) < 0)
                mc_usage_error("--min-words '%s' is not a whole number in 0..1000", optarg);
            break;
        case 'u':
            if (strcmp(optarg, "ignore") == 0)
                ctx->uncertain = UNC_IGNORE;
            else if (strcmp(optarg, "positive") == 0)
                ctx->uncertain = UNC_POSITIVE;
            else if (strcmp(optarg, "negative") == 0)
                ctx->uncertain = UNC_NEGATIVE;
            else
                mc_usage_error("--uncertain '%s' is not ignore, positive or negative", optarg);
            break;
        case 's': /* -s is --size elsewhere */
            mc_opt_deprecated("-s", "--split");
            /* fall through */
        case OPT_SPLIT: split = optarg; break;
        case OPT_RESPLIT: ctx->resplit = 1; break;
        case OPT_PREFIX: ctx->image_prefix = optarg; break;
        case OPT_IMAGE: ctx->image_col = optarg; break;
        case OPT_CAPTION: ctx->caption_col = optarg; break;
        case OPT_ID: ctx->id_col = optarg; break;
        case OPT_PATIENT: ctx->patient_col = optarg; break;
        case 'k':
            mc_opt_deprecated("-k", "--keep-going");
            /* fall through */
        case OPT_KEEP: ctx->keep_going = 1; break;
        case OPT_STATS: ctx->stats = 1; break;
        case OPT_SALT:
            if (!optarg[0])
                mc_usage_error("--salt needs a non-empty key");
            ctx->salt = optarg;
            break;
        case OPT_CHARS: ctx->characteristics = 1; break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (clean_split_parse(&ctx->split, split, err, sizeof err) < 0)
        mc_usage_error("--split: %s", err);
    if (ctx->image_col || ctx->caption_col || ctx->id_col || ctx->patient_col) {
        if (fmt_given && ctx->format != FMT_GENERIC)
            mc_usage_error("--image-col, --caption-col, --id-col and --patient-col need --format generic");
        ctx->format = FMT_GENERIC;
    }
    if (ctx->format == FMT_GENERIC && (!ctx->image_col || !ctx->caption_col))
        mc_usage_error("--format generic needs --image-col and --caption-col");
    if (ctx->salt && ctx->format != FMT_DICOM)
        mc_usage_error("--salt applies to --format dicom only");
    if (ctx->characteristics && ctx->format != FMT_DICOM)
        mc_usage_error("--patient-characteristics applies to --format dicom only (the other "
                       "formats write sex and age as their data sets give them)");
    if (ctx->format == FMT_DICOM && optind == argc)
        mc_usage_error("--format dicom needs a DIR (or DICOM files) to read");
    if (ctx->format == FMT_GENERIC && ctx->template_)
        mc_usage_error("--template does not apply to --format generic (the caption is the caption column)");
    return optind;
}

/* 1 if a folder entry's name looks like a data set file. */
static int data_file_name(const char *name)
{
    static const char *const ends[] = {".csv", ".json", ".jsonl", ".csv.gz", ".json.gz", ".jsonl.gz"};
    size_t n = strlen(name);
    if (name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t e = strlen(ends[i]);
        if (n > e && strcasecmp(name + n - e, ends[i]) == 0)
            return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the inputs an argument stands for (a folder's data files in name
 * order, or the argument itself) to *list; 0 or an exit status. */
static int expand(const char *arg, char ***list, size_t *n)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    size_t first = *n;
    if (strcmp(arg, "-") == 0 || stat(arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *list = mc_realloc(*list, (*n + 1) * sizeof **list);
        (*list)[(*n)++] = mc_strdup(arg);
        return 0;
    }
    if (!(d = opendir(arg))) {
        mc_err_at(arg, 0, "cannot read the folder");
        return MC_EXIT_IO;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len;
        if (!data_file_name(e->d_name))
            continue;
        len = strlen(arg) + strlen(e->d_name) + 2;
        *list = mc_realloc(*list, (*n + 1) * sizeof **list);
        (*list)[*n] = mc_malloc(len);
        snprintf((*list)[(*n)++], len, "%s/%s", arg, e->d_name);
    }
    closedir(d);
    if (*n == first) {
        mc_err_at(arg, 0, "no data set files (.csv, .json, .jsonl, optionally .gz) in this folder");
        return MC_EXIT_INPUT;
    }
    qsort(*list + first, *n - first, sizeof **list, cmp_str);
    return 0;
}

/* 1 if path holds JSON (its first non-blank byte is '{' or '['), 0 if not;
 * an exit status (> 1) when it cannot be read. */
static int is_json(const char *path)
{
    mc_gzin in;
    int ch;
    if (mc_gzin_open(&in, path) < 0) {
        mc_err_at(path, 0, "%s", in.msg);
        return MC_EXIT_IO;
    }
    while ((ch = mc_gzin_peek(&in)) == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
        in.pos++;
    if (ch == -2)
        mc_err_at(path, 0, "%s", in.msg);
    mc_gzin_close(&in);
    if (ch == -2)
        return in.error == MC_GZIN_IOERR ? MC_EXIT_IO : MC_EXIT_INPUT;
    return ch == '{' || ch == '[';
}

/* The format of a CSV from its header (c holds it), or FMT_AUTO. */
static int detect_csv(const clean_ctx *ctx, const mc_csv *c)
{
    if (ctx->format != FMT_AUTO)
        return ctx->format;
    if (mc_csv_find(c, "Path") >= 0 && mc_csv_find(c, "Frontal/Lateral") >= 0)
        return FMT_CHEXPERT;
    if (mc_csv_find(c, "Image Index") >= 0 && mc_csv_find(c, "Finding Labels") >= 0)
        return FMT_NIH;
    if (mc_csv_find(c, "patientid") >= 0 && mc_csv_find(c, "finding") >= 0 &&
        mc_csv_find(c, "filename") >= 0)
        return FMT_COVID;
    return FMT_AUTO;
}

/* Clean one CSV file; 0 or an exit status. */
static int run_csv(clean_ctx *ctx, const char *path)
{
    mc_csv c;
    int rc, fmt, status;
    if (mc_csv_open(&c, path) < 0) {
        mc_err_at(path, 0, "%s", c.err);
        return MC_EXIT_IO;
    }
    rc = mc_csv_read(&c);
    if (rc != MC_CSV_RECORD) {
        if (rc == MC_CSV_EOF) { /* empty input: exit 0, nothing written (medcap(7)) */
            if (!mc_quiet)
                mc_err_at(path, 0, "empty input: nothing written");
            status = 0;
        } else {
            mc_err_at(path, rc == MC_CSV_BAD ? c.rec_line : c.line + 1, "header: %s", c.err);
            status = rc == MC_CSV_FAIL && c.io_error ? MC_EXIT_IO : MC_EXIT_INPUT;
        }
    } else if ((fmt = detect_csv(ctx, &c)) == FMT_AUTO) {
        mc_err_at(path, 1, "unknown format: the header matches none of chexpert, nih, covid "
                           "(use --format generic with --image-col and --caption-col)");
        status = MC_EXIT_INPUT;
    } else if (fmt == FMT_MEDPIX) {
        mc_err_at(path, 0, "not MedPix JSON: MedPix descriptions and cases are JSON or JSONL files");
        status = MC_EXIT_INPUT;
    } else {
        status = fmt == FMT_CHEXPERT ? clean_chexpert_run(ctx, &c, path)
                 : fmt == FMT_NIH    ? clean_nih_run(ctx, &c, path)
                 : fmt == FMT_COVID  ? clean_covid_run(ctx, &c, path)
                                     : clean_generic_run(ctx, &c, path);
    }
    mc_csv_close(&c);
    return status;
}

/* Clean every input: MedPix case files first (their categories), then the
 * rest in order.  Returns 0 or an exit status. */
static int run(clean_ctx *ctx, char **inputs, size_t n)
{
    int *kind = mc_calloc(n, sizeof *kind), status = 0, json;
    for (size_t i = 0; i < n && status == 0; i++) {
        if (strcmp(inputs[i], "-") == 0)
            continue; /* standard input is read once, as CSV */
        json = is_json(inputs[i]);
        if (json > 1) {
            status = json;
        } else if (json && ctx->format != FMT_AUTO && ctx->format != FMT_MEDPIX) {
            mc_err_at(inputs[i], 0, "is JSON, not a %s CSV", format_names[ctx->format]);
            status = MC_EXIT_INPUT;
        } else if (json && (status = clean_medpix_kind(inputs[i], &kind[i])) == 0) {
            if (kind[i] == MEDPIX_UNKNOWN) {
                mc_err_at(inputs[i], 0, "unknown format: JSON objects are neither MedPix "
                                        "descriptions (\"Description\") nor cases (\"Topic\")");
                status = MC_EXIT_INPUT;
            } else if (kind[i] == MEDPIX_CASES) {
                status = clean_medpix_load_cases(ctx, inputs[i]);
            }
        }
    }
    for (size_t i = 0; i < n && status == 0; i++) {
        if (kind[i] == MEDPIX_DESCRIPTIONS)
            status = clean_medpix_descriptions(ctx, inputs[i]);
        else if (kind[i] == MEDPIX_UNKNOWN)
            status = run_csv(ctx, inputs[i]);
    }
    free(kind);
    return status;
}

int main(int argc, char **argv)
{
    clean_ctx ctx;
    char **inputs = NULL;
    size_t n = 0;
    int status = 0, first;
    mc_set_prog(argv[0]);
    first = parse_args(argc, argv, &ctx);
    mc_strtab_init(&ctx.keys);
    clean_emit_init(&ctx);
    if (ctx.format == FMT_DICOM) {
        for (int i = first; i < argc && status == 0; i++)
            status = clean_dicom_run(&ctx, argv[i]);
        first = argc; /* nothing left for the CSV and JSON readers */
    } else if (first == argc) {
        mc_refuse_terminal_in("a CSV");
        status = expand("-", &inputs, &n);
    }
    for (int i = first; i < argc && status == 0; i++)
        status = expand(argv[i], &inputs, &n);
    if (status == 0 && n > 0)
        status = run(&ctx, inputs, n);
    if (ctx.stats)
        clean_emit_stats(&ctx);
    if (status == 0 && ctx.dropped[DROP_MALFORMED] + ctx.dropped[DROP_DUPLICATE] > 0)
        status = MC_EXIT_SKIPPED;
    for (size_t i = 0; i < n; i++)
        free(inputs[i]);
    free(inputs);
    clean_medpix_free_cases();
    mc_strtab_free(&ctx.keys);
    clean_emit_free(&ctx);
    return status ? status : mc_close_stdout();
}
