/* medcap-report - an HTML page to review a run: for each record its image
 * with the generated caption (each word's attention map on hover or
 * focus), the structured fields and their probabilities, the reference
 * with the shared words marked, the similar cases with their quoted case
 * knowledge, and the item's scores; above them a summary (metrics,
 * confusion matrices of modality and plane, caption lengths, training
 * curves).  The page is one self-contained file (thumbnails as data:
 * URIs), or with --dir a folder with index.html and the thumbnails as
 * files.  With --overlay it writes one record's attention heat map over
 * its image as a PNG instead.
 *
 * Reads every record into memory (the summary and the sort need them all),
 * makes the thumbnails on worker threads, then writes the page.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"
#include "io/ndjson.h"

#include "report/overlay.h"
#include "report/page.h"
#include "report/records.h"
#include "report/summary.h"
#include "report/thumbs.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *output, *dir, *root, *refs, *scores, *per_item, *log;
    const char *nb_images, *nb_root, *kb_name, *title;
    const char *overlay, *item;
    long thumb, threads, word, size;
    uint64_t max_pixels;
    enum rp_fit fit;
    int keep_going;
} options;

/* The help text to f. */
static void usage(FILE *f)
{
    fprintf(f,
            "Usage: medcap-report [OPTIONS] [FILE...]\n"
            "       medcap-report --overlay PNG [--item ID] [--word N] [OPTIONS] [FILE...]\n"
            "Write an HTML page to review a run: each record's image with the generated caption\n"
            "(a word's attention map on hover or focus), its fields, the reference, the similar\n"
            "cases and the scores, after a summary (metrics, confusion matrices, caption lengths,\n"
            "training curves).  Records come from each FILE (NDJSON, default standard input);\n"
            "records with the same id are merged.  Research software, not a diagnosis.\n\n"
            "  -o, --output FILE          the page (default: standard output)\n"
            "  -d, --dir DIR              write DIR/index.html and the thumbnails as files in\n"
            "                             DIR/thumbs/ instead (for large runs)\n"
            "  -r, --root DIR             folder of the records' relative \"image\" paths\n"
            "      --refs FILE            reference records, joined by id (references, reference\n"
            "                             or caption)\n"
            "      --scores FILE          medcap-score's summary: the metrics table\n"
            "      --per-item FILE        medcap-score --per-item records, joined by id\n"
            "      --log FILE             medcap-train --log file: training curves\n"
            "      --neighbor-images FILE records with \"id\" and \"image\" of the indexed images\n"
            "                             (e.g. medcap-csv-clean's): thumbnails of the neighbours\n"
            "      --neighbor-root DIR    folder of their relative image paths (default --root)\n"
            "      --kb-name NAME         the case knowledge base in citations (default MedPix)\n"
            "      --fit MODE             letterbox (default), crop or stretch: how img-resize\n"
            "                             fitted the images (places the attention grid)\n"
            "      --thumb N              thumbnail side in pixels, 32-1024 (default 224)\n"
            "      --title TEXT           the page's title (default \"medcap report\")\n"
            "      --max-pixels N         refuse images of more than N pixels (default 100000000)\n"
            "  -j, --threads N            thumbnail threads (default: the online cores)\n"
            "      --keep-going           show unreadable images as placeholders and leave bad\n"
            "                             records out, report them, exit 5\n"
            "      --overlay PNG          write the attention heat map of one record over its\n"
            "                             image as a PNG instead of a page\n"
            "      --item ID              the record of --overlay (default: the first)\n"
            "      --word N               the attention map of token N (from 1; default: the\n"
            "                             mean over the caption)\n"
            "  -s, --size N               the PNG's longer side in pixels (default: the image's)\n"
            "  -q, --quiet                no warnings\n"
            "  -h, --help                 show this help and exit\n"
            "      --version              show the version and exit\n\n"
            "Exit status: 0 done, 1 bad input (a bad record, an unreadable image), 2 usage\n"
            "error, 3 I/O error, 5 records or images skipped with --keep-going.\n"
            "See medcap-report(1).\n");
}

enum { O_REFS = 256, O_SCORES, O_PER_ITEM, O_LOG, O_NB_IMAGES, O_NB_ROOT, O_KB_NAME, O_FIT, O_THUMB,
       O_TITLE, O_MAXPIX, O_OVERLAY, O_ITEM, O_WORD, O_KEEP };

/* Parse the command line into o (exits on --help, --version and usage
 * errors); returns the index of the first FILE. */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'}, {"dir", required_argument, NULL, 'd'},
        {"root", required_argument, NULL, 'r'}, {"refs", required_argument, NULL, O_REFS},
        {"scores", required_argument, NULL, O_SCORES}, {"per-item", required_argument, NULL, O_PER_ITEM},
        {"log", required_argument, NULL, O_LOG}, {"neighbor-images", required_argument, NULL, O_NB_IMAGES},
        {"neighbor-root", required_argument, NULL, O_NB_ROOT}, {"kb-name", required_argument, NULL, O_KB_NAME},
        {"fit", required_argument, NULL, O_FIT}, {"thumb", required_argument, NULL, O_THUMB},
        {"title", required_argument, NULL, O_TITLE}, {"max-pixels", required_argument, NULL, O_MAXPIX},
        {"threads", required_argument, NULL, 'j'}, {"keep-going", no_argument, NULL, O_KEEP},
        {"overlay", required_argument, NULL, O_OVERLAY}, {"item", required_argument, NULL, O_ITEM},
        {"word", required_argument, NULL, O_WORD}, {"size", required_argument, NULL, 's'},
        MC_OPT_COMMON, {NULL, 0, NULL, 0},
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int c;
    *o = (options){.kb_name = "MedPix", .title = "medcap report", .thumb = 224, .max_pixels = 100000000,
                   .threads = cores < 1 ? 1 : cores > 16 ? 16 : cores};
    while ((c = mc_getopt(argc, argv, ":o:d:r:j:s:khqv", longs)) != -1) {
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'd': o->dir = optarg; break;
        case 'r': o->root = optarg; break;
        case O_REFS: o->refs = optarg; break;
        case O_SCORES: o->scores = optarg; break;
        case O_PER_ITEM: o->per_item = optarg; break;
        case O_LOG: o->log = optarg; break;
        case O_NB_IMAGES: o->nb_images = optarg; break;
        case O_NB_ROOT: o->nb_root = optarg; break;
        case O_KB_NAME: o->kb_name = optarg; break;
        case O_FIT:
            if (strcmp(optarg, "letterbox") == 0)
                o->fit = RP_FIT_LETTERBOX;
            else if (strcmp(optarg, "crop") == 0)
                o->fit = RP_FIT_CROP;
            else if (strcmp(optarg, "stretch") == 0)
                o->fit = RP_FIT_STRETCH;
            else
                mc_usage_error("--fit must be letterbox, crop or stretch, not '%s'", optarg);
            break;
        case O_THUMB: o->thumb = mc_arg_long("--thumb", optarg, 32, 1024); break;
        case O_TITLE: o->title = optarg; break;
        case O_MAXPIX: o->max_pixels = (uint64_t)mc_arg_long("--max-pixels", optarg, 1, 1L << 40); break;
        case 'j': o->threads = mc_arg_long("--threads", optarg, 1, 64); break;
        case 'k':
            mc_opt_deprecated("-k", "--keep-going");
            /* fall through */
        case O_KEEP: o->keep_going = 1; break;
        case O_OVERLAY: o->overlay = optarg; break;
        case O_ITEM: o->item = optarg; break;
        case O_WORD: o->word = mc_arg_long("--word", optarg, 1, 100000); break;
        case 's': o->size = mc_arg_long("--size", optarg, 16, 16384); break;
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (o->output && o->dir)
        mc_usage_error("--output and --dir cannot both be given");
    if (o->overlay && (o->output || o->dir))
        mc_usage_error("--overlay writes a PNG, not a page: drop --output and --dir");
    if (!o->overlay && (o->item || o->word || o->size))
        mc_usage_error("--item, --word and --size go with --overlay");
    if (!o->nb_root)
        o->nb_root = o->root;
    return optind;
}

/* path resolved against root when relative (malloc'd). */
static char *resolve(const char *root, const char *path)
{
    size_t n;
    char *s;
    if (!root || path[0] == '/')
        return mc_strdup(path);
    n = strlen(root) + strlen(path) + 2;
    s = mc_malloc(n);
    snprintf(s, n, "%s/%s", root, path);
    return s;
}

/* Read medcap-score's summary (one JSON object) from path into *out. */
static int read_summary(const char *path, cJSON **out)
{
    FILE *f = mc_open_in(path);
    size_t len = 0, cap = 0, n;
    char *buf = NULL;
    do {
        if (len + 65536 > cap) {
            cap = 2 * cap + 65536;
            buf = mc_realloc(buf, cap);
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    buf[len] = '\0';
    if (ferror(f)) {
        mc_err("%s: cannot read", path);
        free(buf);
        if (f != stdin)
            fclose(f);
        return MC_EXIT_IO;
    }
    if (f != stdin)
        fclose(f);
    *out = cJSON_Parse(buf);
    free(buf);
    if (!cJSON_IsObject(*out)) {
        mc_err("%s: not a medcap-score summary (one JSON object)", path);
        cJSON_Delete(*out);
        *out = NULL;
        return MC_EXIT_INPUT;
    }
    return 0;
}

/* The neighbour image catalog: each record's "image" by id. */
typedef struct {
    mc_strtab ids;
    char **image; /* (ids.n) */
} catalog;

static void free_catalog(catalog *cat);

/* Read the records of path into cat (those with an "image"; the first of
 * an id wins).  Returns 0, or an exit status with nothing left to free. */
static int read_catalog(catalog *cat, const char *path)
{
    FILE *f = mc_open_in(path);
    mc_lines lines;
    char *line;
    int rc = 0;
    mc_strtab_init(&cat->ids);
    cat->image = NULL;
    mc_lines_init(&lines, f, path);
    while (mc_lines_next(&lines, &line) >= 0) {
        cJSON *rec;
        const char *img;
        int added, k;
        if (mc_blank(line))
            continue;
        if (!(rec = mc_record_parse(line, path, lines.line))) {
            rc = MC_EXIT_INPUT;
            break;
        }
        if ((img = rp_str(rec, "image")) != NULL) {
            k = mc_strtab_intern(&cat->ids, mc_record_id(rec), &added);
            if (added) {
                cat->image = mc_realloc(cat->image, cat->ids.n * sizeof *cat->image);
                cat->image[k] = mc_strdup(img);
            }
        }
        cJSON_Delete(rec);
    }
    mc_lines_free(&lines);
    if (f != stdin)
        fclose(f);
    if (rc != 0)
        free_catalog(cat);
    return rc;
}

/* Free what read_catalog made. */
static void free_catalog(catalog *cat)
{
    for (size_t k = 0; k < cat->ids.n; k++)
        free(cat->image[k]);
    free(cat->image);
    mc_strtab_free(&cat->ids);
}

/* Add the thumbnail jobs of every item and neighbour of r to ts. */
static void plan_thumbs(rp_run *r, rp_thumbs *ts, const options *o, const catalog *cat, int nbox)
{
    for (size_t i = 0; i < r->n; i++) {
        rp_item *it = &r->item[i];
        const cJSON *nbs = cJSON_GetObjectItemCaseSensitive(it->rec, "neighbors"), *nb;
        const char *img = rp_str(it->rec, "image");
        int j = 0;
        if (it->bad)
            continue;
        if (img && *img) {
            char *path = resolve(o->root, img);
            it->thumb = rp_thumbs_add(ts, path, (int)o->thumb, mc_record_id(it->rec));
            free(path);
        }
        if (!cJSON_IsArray(nbs) || !nbs->child)
            continue;
        it->nb_thumb = mc_malloc((size_t)cJSON_GetArraySize(nbs) * sizeof *it->nb_thumb);
        cJSON_ArrayForEach(nb, nbs) {
            const char *nimg = rp_str(nb, "image"), *nid = rp_str(nb, "id");
            int k = !nimg && cat && nid ? mc_strtab_find(&cat->ids, nid) : -1;
            it->nb_thumb[j] = -1;
            if (k >= 0)
                nimg = cat->image[k];
            if (nimg && *nimg) {
                char *path = resolve(o->nb_root, nimg);
                it->nb_thumb[j] = rp_thumbs_add(ts, path, nbox, mc_record_id(it->rec));
                free(path);
            }
            j++;
        }
    }
}

/* Make folder path (an existing one is fine). */
static int make_dir(const char *path)
{
    struct stat st;
    if (mkdir(path, 0777) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return 0;
    mc_err("%s: cannot create the folder: %s", path, strerror(errno ? errno : EEXIST));
    return MC_EXIT_IO;
}

/* --overlay: the heat map of the chosen record.  Returns an exit status. */
static int write_overlay(const rp_run *r, const options *o)
{
    const rp_item *it = NULL;
    const char *img;
    char *path;
    int rc;
    for (size_t i = 0; i < r->n && !it; i++)
        if (!r->item[i].bad && (!o->item || strcmp(mc_record_id(r->item[i].rec), o->item) == 0))
            it = &r->item[i];
    if (!it) {
        mc_err(o->item ? "no record with id '%s'" : "no records%s", o->item ? o->item : "");
        return MC_EXIT_INPUT;
    }
    if (!it->natt) {
        mc_err("record '%s' has no attention maps (medcap-decode-caption --attention)", mc_record_id(it->rec));
        return MC_EXIT_INPUT;
    }
    if (o->word > it->natt) {
        mc_err("record '%s': --word %ld, but it has %d attention maps", mc_record_id(it->rec), o->word, it->natt);
        return MC_EXIT_INPUT;
    }
    if (!(img = rp_str(it->rec, "image")) || !*img) {
        mc_err("record '%s' names no image", mc_record_id(it->rec));
        return MC_EXIT_INPUT;
    }
    path = resolve(o->root, img);
    rc = rp_overlay_write(o->overlay, path, it, (int)o->word - 1, o->fit, (int)o->size, o->max_pixels);
    free(path);
    return rc;
}

/* Open the page's file (o->output or o->dir/index.html; stdout: neither)
 * into a, before the work, so that an output that cannot be made fails
 * first.  Returns 0 (a->f NULL for stdout) or MC_EXIT_IO. */
static int open_page(mc_atomic *a, const options *o)
{
    char *index;
    size_t n;
    int rc;
    memset(a, 0, sizeof *a);
    if (!o->dir)
        return o->output && mc_atomic_open(a, o->output) != 0 ? MC_EXIT_IO : 0;
    n = strlen(o->dir) + 16;
    index = mc_malloc(n);
    snprintf(index, n, "%s/index.html", o->dir);
    rc = mc_atomic_open(a, index) != 0 ? MC_EXIT_IO : 0;
    free(index);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    rp_run r;
    rp_thumbs ts;
    rp_trainlog lg;
    catalog cat;
    mc_atomic page = {0};
    cJSON *scores = NULL;
    char *thumb_dir = NULL;
    int first, rc = 0, have_log = 0, have_cat = 0, nbox;
    size_t failed = 0;
    mc_set_prog(argv[0]);
    first = parse_args(argc, argv, &o);
    if (rp_vips_start(argv[0]) != 0)
        return MC_EXIT_INTERNAL;
    rp_run_init(&r, o.keep_going);
    rp_thumbs_init(&ts);
    for (int i = first; rc == 0 && i < (first < argc ? argc : first + 1); i++)
        rc = rp_run_read(&r, i < argc ? argv[i] : "-");
    if (rc == 0 && r.n == 0 && r.skipped == 0) { /* empty input: exit 0, nothing written (medcap(7)) */
        if (!mc_quiet)
            mc_err("no records in the input: no page written");
        goto done;
    }
    if (rc == 0)
        rc = rp_run_check(&r, o.refs);
    if (rc == 0 && o.per_item)
        rc = rp_run_join_scores(&r, o.per_item);
    if (rc == 0 && o.overlay) {
        rc = write_overlay(&r, &o);
        goto done;
    }
    if (rc == 0 && o.scores)
        rc = read_summary(o.scores, &scores);
    if (rc == 0 && o.log)
        have_log = (rc = rp_trainlog_read(&lg, o.log)) == 0;
    if (rc == 0 && o.nb_images)
        have_cat = (rc = read_catalog(&cat, o.nb_images)) == 0;
    nbox = (int)o.thumb * 3 / 7 < 32 ? 32 : (int)o.thumb * 3 / 7;
    if (rc == 0 && o.dir) {
        size_t n = strlen(o.dir) + 16;
        thumb_dir = mc_malloc(n);
        snprintf(thumb_dir, n, "%s/thumbs", o.dir);
        rc = make_dir(o.dir);
        if (rc == 0)
            rc = make_dir(thumb_dir);
    }
    if (rc == 0 && (rc = open_page(&page, &o)) == 0)
        plan_thumbs(&r, &ts, &o, have_cat ? &cat : NULL, nbox);
    if (rc == 0) {
        failed = rp_thumbs_run(&ts, (int)o.threads, thumb_dir, o.max_pixels);
        for (size_t k = 0; k < ts.n; k++)
            if (ts.t[k].err[0])
                mc_err("record '%s': %s: %s", ts.t[k].id, ts.t[k].path, ts.t[k].err);
        if (failed && !o.keep_going)
            rc = MC_EXIT_INPUT;
    }
    if (rc == 0) {
        const char *const *inputs = (const char *const *)argv + first;
        static const char *const stdin_only[] = {"-"};
        rp_page_opts po = {.title = o.title, .inputs = first < argc ? inputs : stdin_only,
                           .ninputs = first < argc ? argc - first : 1, .fit = o.fit, .box = (int)o.thumb,
                           .nbox = nbox, .thumb_dir = o.dir ? "thumbs" : NULL, .scores = scores,
                           .log = have_log ? &lg : NULL, .log_path = o.log, .kb_name = o.kb_name};
        rp_page_write(page.f ? page.f : stdout, &r, &ts, &po);
        if (page.f) {
            rc = mc_atomic_commit(&page) != 0 ? MC_EXIT_IO : 0;
            page.f = NULL;
        }
    }
    if (page.f) /* not written: an error came first */
        mc_atomic_abort(&page);
    if (rc == 0 && (failed || r.skipped)) {
        mc_err("%ld bad record(s) left out, %zu image(s) shown as placeholders", r.skipped, failed);
        rc = MC_EXIT_SKIPPED;
    }
done:
    if (have_log)
        rp_trainlog_free(&lg);
    if (have_cat)
        free_catalog(&cat);
    cJSON_Delete(scores);
    free(thumb_dir);
    rp_thumbs_free(&ts);
    rp_run_free(&r);
    rp_vips_stop();
    if (rc != 0 && rc != MC_EXIT_SKIPPED)
        return rc;
    return mc_close_stdout() ? MC_EXIT_IO : rc;
}
