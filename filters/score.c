/* medcap-score - score predicted captions against references: BLEU-1..4,
 * ROUGE-L, CIDEr-D (as pycocoevalcap computes them, NLTK's BLEU on
 * request), CheXpert label F1, generic label F1, MedPix field accuracy and
 * diversity.
 *
 * Reads the reference records (--refs), then the prediction records
 * (PREDS or stdin), joins them by "id", and prints one JSON summary (or a
 * table); --per-item writes each prediction's scores as NDJSON.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/ndjson.h"
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"

#include "score/bleu.h"
#include "score/cider.h"
#include "score/clinical_score.h"
#include "score/corpus.h"
#include "score/diversity.h"
#include "score/labels.h"
#include "score/par.h"
#include "score/report.h"
#include "score/rouge.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The default number of threads, when there are more online cores. */
#define DEFAULT_THREADS_MAX 16

typedef struct {
    const char *refs, *preds, *per_item;
    sc_load_opts load;
    sc_bleu_opts bleu;
    double rouge_beta;
    int table;
    int labels; /* 0 auto, 1 on, 2 off */
} options;

/* The options, their argument and help: this table drives both the parser and --help. */
static const struct {
    const char *name, *arg, *help;
} option_table[] = {
    {"--refs", "FILE", "reference records (NDJSON, required)"},
    {"--pred-field", "NAME", "field of the predicted caption (default caption)"},
    {"--ref-field", "NAME", "field of the references, a string or a list of strings\n"
                            "(default: references if present, else caption)"},
    {"--tokenize", "coco|none", "coco (default): lower-case, PTB punctuation removed;\n"
                                "none: split at white space only"},
    {"--bleu", "cumulative|individual", "BLEU-n of orders 1..n (default) or of order n alone"},
    {"--bleu-avg", "corpus|sentence", "corpus-level BLEU (default) or the mean of sentence BLEU"},
    {"--bleu-def", "coco|nltk", "pycocoevalcap (default) or NLTK 3.8's corpus_bleu/sentence_bleu"},
    {"--bleu-smoothing", "none|method1", "NLTK smoothing (with --bleu-def nltk; default none)"},
    {"--rouge", "coco|f1", "ROUGE-L F with beta 1.2 (default) or plain F1 (beta 1)"},
    {"--labels", "auto|on|off", "score the labels after \"diagnosis:\" or in a \"labels\" list\n"
                                "(auto, the default: when a reference has a \"labels\" list)"},
    {"--table", NULL, "print a readable table instead of JSON"},
    {"--per-item", "FILE", "write each prediction's scores to FILE as NDJSON"},
    {"--threads", "N", "threads that parse and count (default: the online cores, at\n"
                       "most 16; at most 64 are used); the output is the same for any N"},
    {"--keep-going", NULL, "skip bad and unmatched records (and captions over the\n"
                           "word limit), report them, exit 5"},
    {"--quiet", NULL, "no progress line on a terminal"},
    {"--verbose", NULL, "the number of items scored and their rate at the end"},
    {"--help", NULL, "print this help and exit"},
    {"--version", NULL, "print the version and exit"},
};

/* The short options of the grammar (medcap(7)) and their long ones. */
static const char *const shorts[][2] = {
    {"-h", "--help"}, {"-j", "--threads"}, {"-q", "--quiet"}, {"-v", "--verbose"}};

/* The long option of short option a, else a. */
static const char *long_name(const char *a)
{
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
        if (strcmp(a, shorts[i][0]) == 0)
            return shorts[i][1];
    return a;
}

/* The short option of long option name ("" when it has none). */
static const char *short_name(const char *name)
{
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
        if (strcmp(name, shorts[i][1]) == 0)
            return shorts[i][0];
    return "";
}

static void usage(void)
{
    printf("Usage: medcap-score --refs REFS.ndjson [OPTION]... [PREDS.ndjson]\n"
           "Score predicted captions (PREDS, default stdin) against references, joined by\n"
           "\"id\": BLEU-1..4, ROUGE-L, CIDEr-D, CheXpert and other label F1, MedPix field\n"
           "accuracy and diversity.  Prints one JSON object naming each metric's definition.\n"
           "A caption of more than %d words is bad input.\n\n", SC_MAX_WORDS);
    for (size_t i = 0; i < sizeof option_table / sizeof option_table[0]; i++) {
        char left[64];
        const char *h = option_table[i].help;
        const char *sh = short_name(option_table[i].name);
        snprintf(left, sizeof left, "%s%s%s%s%s", *sh ? sh : "   ", *sh ? ", " : " ", option_table[i].name,
                 option_table[i].arg ? " " : "", option_table[i].arg ? option_table[i].arg : "");
        printf("  %-34s", left);
        /* the help's words, wrapped at 80 columns (its newlines are spaces) */
        for (int col = 37, first = 1; *h; first = 0) {
            size_t w;
            h += strspn(h, " \n");
            w = strcspn(h, " \n");
            if (!w)
                break;
            if (!first && col + 1 + (int)w > 80) {
                printf("\n%37s", "");
                col = 37;
            } else {
                putchar(' ');
                col++;
            }
            printf("%.*s", (int)w, h);
            col += (int)w;
            h += w;
        }
        putchar('\n');
    }
    printf("\nExit status: 0 ok, 1 bad input, 2 usage, 3 I/O error, 5 records skipped\n"
           "(--keep-going).  See medcap-score(1).\n");
}

/* Index of value in the NULL-terminated list words, or a usage error naming opt. */
static int choice(const char *opt, const char *value, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(value, words[i]) == 0)
            return i;
    mc_usage_error("%s: unknown value '%s'", opt, value);
}

/* Apply option name (from option_table) with argument arg to o. */
static void apply(options *o, const char *name, const char *arg)
{
    static const char *const tok[] = {"coco", "none", NULL};
    static const char *const orders[] = {"cumulative", "individual", NULL};
    static const char *const avg[] = {"corpus", "sentence", NULL};
    static const char *const def[] = {"coco", "nltk", NULL};
    static const char *const smooth[] = {"none", "method1", NULL};
    static const char *const rouge[] = {"coco", "f1", NULL};
    static const char *const labels[] = {"auto", "on", "off", NULL};
    if (strcmp(name, "--refs") == 0)
        o->refs = arg;
    else if (strcmp(name, "--pred-field") == 0)
        o->load.pred_field = arg;
    else if (strcmp(name, "--ref-field") == 0)
        o->load.ref_field = arg;
    else if (strcmp(name, "--tokenize") == 0)
        o->load.tokenizer = choice(name, arg, tok) ? SC_TOK_NONE : SC_TOK_COCO;
    else if (strcmp(name, "--bleu") == 0)
        o->bleu.individual = choice(name, arg, orders);
    else if (strcmp(name, "--bleu-avg") == 0)
        o->bleu.sentence = choice(name, arg, avg);
    else if (strcmp(name, "--bleu-def") == 0)
        o->bleu.def = choice(name, arg, def) ? SC_BLEU_NLTK : SC_BLEU_COCO;
    else if (strcmp(name, "--bleu-smoothing") == 0)
        o->bleu.smooth1 = choice(name, arg, smooth);
    else if (strcmp(name, "--rouge") == 0)
        o->rouge_beta = choice(name, arg, rouge) ? 1.0 : 1.2;
    else if (strcmp(name, "--labels") == 0)
        o->labels = choice(name, arg, labels);
    else if (strcmp(name, "--table") == 0)
        o->table = 1;
    else if (strcmp(name, "--per-item") == 0)
        o->per_item = arg;
    else if (strcmp(name, "--threads") == 0)
        o->load.threads = mc_opt_threads(arg);
    else if (strcmp(name, "--keep-going") == 0)
        o->load.keep_going = 1;
    else if (strcmp(name, "--quiet") == 0)
        mc_quiet = 1;
    else if (strcmp(name, "--verbose") == 0)
        mc_verbose = 1;
}

/* Parse the command line into o (exits on --help, --version and usage errors). */
static void parse_args(int argc, char **argv, options *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    memset(o, 0, sizeof *o);
    o->load.threads = cores < 1 ? 1 : cores > DEFAULT_THREADS_MAX ? DEFAULT_THREADS_MAX : (int)cores;
    o->load.pred_field = "caption";
    o->load.tokenizer = SC_TOK_COCO;
    o->rouge_beta = 1.2;
    for (int i = 1; i < argc; i++) {
        const char *a = long_name(argv[i]), *eq;
        size_t k, n = sizeof option_table / sizeof option_table[0], len;
        if (strcmp(a, "--help") == 0) {
            usage();
            exit(mc_close_stdout());
        }
        if (strcmp(a, "--version") == 0) {
            printf("medcap-score %s\n", MEDCAP_VERSION);
            exit(mc_close_stdout());
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->preds)
                mc_usage_error("more than one prediction file ('%s' and '%s')", o->preds, a);
            o->preds = a;
            continue;
        }
        eq = strchr(a, '=');
        len = eq ? (size_t)(eq - a) : strlen(a);
        for (k = 0; k < n; k++)
            if (strlen(option_table[k].name) == len && strncmp(a, option_table[k].name, len) == 0)
                break;
        if (k == n)
            mc_usage_error("unknown option '%s'", a);
        if (!option_table[k].arg) {
            if (eq)
                mc_usage_error("option '%s' takes no value", option_table[k].name);
            apply(o, option_table[k].name, NULL);
        } else if (eq) {
            apply(o, option_table[k].name, eq + 1);
        } else {
            if (i + 1 >= argc)
                mc_usage_error("option '%s' needs a value (%s)", a, option_table[k].arg);
            apply(o, option_table[k].name, argv[++i]);
        }
    }
    if (!o->refs)
        mc_usage_error("--refs FILE is required");
    if (o->bleu.smooth1 && o->bleu.def != SC_BLEU_NLTK)
        mc_usage_error("--bleu-smoothing method1 needs --bleu-def nltk");
    if (!o->preds)
        o->preds = "-";
    o->load.labels = o->labels != 2;
    if (strcmp(o->refs, "-") == 0 && strcmp(o->preds, "-") == 0)
        mc_usage_error("references and predictions cannot both be standard input");
    if (!*o->load.pred_field || (o->load.ref_field && !*o->load.ref_field))
        mc_usage_error("a field name cannot be empty");
}

/* Per-item scores kept for the summary means and --per-item. */
typedef struct {
    sc_bleu_counts *bleu;
    double *rouge_p, *rouge_r, *cider;
} item_scores;

/* Items scored between two progress reports: a fixed number. */
#define ITEM_BLOCK 8192

/* What the threads of score_items share: items [lo, hi) of c are scored. */
typedef struct {
    const sc_corpus *c;
    item_scores *s;
    sc_cider cd;
    size_t lo, hi;
    sc_gram *uni[SC_MAX_THREADS];      /* per thread: a reference union */
    size_t uni_cap[SC_MAX_THREADS];
    sc_rouge_work rw[SC_MAX_THREADS];  /* per thread: ROUGE-L's row */
} items_job;

/* Step: thread t of n counts BLEU and the document frequencies of its part of the items. */
static void count_part(void *ctx, int t, int n)
{
    items_job *j = ctx;
    size_t lo, hi;
    sc_par_part(j->hi - j->lo, t, n, &lo, &hi);
    for (size_t i = j->lo + lo; i < j->lo + hi; i++) {
        const sc_item *it = &j->c->items[i];
        size_t m = sc_ref_union(j->c, &j->c->refs[it->ref], &j->uni[t], &j->uni_cap[t]);
        sc_bleu_count(j->c, it, j->uni[t], m, &j->s->bleu[i]);
        sc_cider_add_df(&j->cd, j->uni[t], m);
    }
}

/* Step: thread t of n scores CIDEr-D and ROUGE-L of its part of the items. */
static void score_part(void *ctx, int t, int n)
{
    items_job *j = ctx;
    size_t lo, hi;
    sc_par_part(j->hi - j->lo, t, n, &lo, &hi);
    for (size_t i = j->lo + lo; i < j->lo + hi; i++) {
        j->s->cider[i] = sc_cider_item(&j->cd, j->c, &j->c->items[i]);
        sc_rouge_item(j->c, &j->c->items[i], &j->rw[t], &j->s->rouge_p[i], &j->s->rouge_r[i]);
    }
}

/* Compute every per-item score of c into s (arrays of c->nitems) on
 * threads threads: each item's scores are its own, so the threads only
 * split the items. */
static void score_items(const sc_corpus *c, item_scores *s, int threads)
{
    items_job *j = mc_calloc(1, sizeof *j);
    j->c = c;
    j->s = s;
    sc_cider_init(&j->cd, c);
    j->lo = 0;
    j->hi = c->nitems;
    sc_par_run(threads, count_part, j);
    sc_cider_finish(&j->cd, c, c->nitems, threads);
    if (!mc_progress_total)
        mc_progress_total = (long long)c->nitems;
    mc_progress_begin("items", NULL);
    for (j->lo = 0; j->lo < c->nitems; j->lo = j->hi) {
        j->hi = c->nitems - j->lo < ITEM_BLOCK ? c->nitems : j->lo + ITEM_BLOCK;
        sc_par_run(threads, score_part, j);
        mc_progress_add((long long)(j->hi - j->lo));
    }
    mc_progress_end();
    sc_cider_free(&j->cd);
    for (int t = 0; t < SC_MAX_THREADS; t++) {
        sc_rouge_free(&j->rw[t]);
        free(j->uni[t]);
    }
    free(j);
}

/* Write one NDJSON record per item to path (atomically). Returns 0 or an exit status. */
static int write_per_item(const char *path, const sc_corpus *c, const item_scores *s,
                          const options *o)
{
    mc_atomic a;
    if (mc_atomic_open(&a, path) != 0)
        return MC_EXIT_IO;
    for (size_t i = 0; i < c->nitems; i++) {
        cJSON *rec = cJSON_CreateObject();
        double b[SC_MAX_N];
        char key[32];
        int bad;
        if (!rec)
            mc_die(MC_EXIT_INTERNAL, "out of memory");
        cJSON_AddStringToObject(rec, "id", sc_corpus_str(c, c->items[i].id_off));
        cJSON_AddStringToObject(rec, "prediction", sc_corpus_str(c, c->items[i].text_off));
        sc_bleu_sentence(&o->bleu, &s->bleu[i], b);
        for (int k = 0; k < SC_MAX_N; k++) {
            snprintf(key, sizeof key, "bleu_%d", k + 1);
            cJSON_AddNumberToObject(rec, key, b[k]);
        }
        cJSON_AddNumberToObject(rec, "rouge_l_precision", s->rouge_p[i]);
        cJSON_AddNumberToObject(rec, "rouge_l_recall", s->rouge_r[i]);
        cJSON_AddNumberToObject(rec, "rouge_l",
                                sc_rouge_f(s->rouge_p[i], s->rouge_r[i], o->rouge_beta));
        cJSON_AddNumberToObject(rec, "cider_d", s->cider[i]);
        bad = mc_record_write(a.f, rec);
        cJSON_Delete(rec);
        if (bad) {
            mc_atomic_abort(&a);
            mc_err("%s: cannot write", path);
            return MC_EXIT_IO;
        }
    }
    return mc_atomic_commit(&a) ? MC_EXIT_IO : 0;
}

/* Fill the summary of c from the per-item scores s. */
static void summarise(const sc_corpus *c, const item_scores *s, const options *o,
                      sc_summary *sum)
{
    double p = 0, r = 0, f = 0, cider = 0;
    memset(sum, 0, sizeof *sum);
    sum->items = c->nitems;
    sum->skipped = c->skipped;
    sum->tokenizer = o->load.tokenizer == SC_TOK_COCO ? "coco" : "none";
    sum->bleu = o->bleu;
    sc_bleu_score(&o->bleu, s->bleu, c->nitems, sum->bleu_v);
    for (size_t i = 0; i < c->nitems; i++) {
        p += s->rouge_p[i];
        r += s->rouge_r[i];
        f += sc_rouge_f(s->rouge_p[i], s->rouge_r[i], o->rouge_beta);
        cider += s->cider[i];
    }
    sum->rouge_beta = o->rouge_beta;
    sum->rouge_p = p / (double)c->nitems;
    sum->rouge_r = r / (double)c->nitems;
    sum->rouge_f = f / (double)c->nitems;
    sum->cider = cider / (double)c->nitems;
    sc_clinical_score_compute(c, &sum->clin);
    sc_diversity_compute(c, &sum->div);
    if (o->labels == 1 || (o->labels == 0 && c->labels.arrays > 0)) {
        sc_label_score_compute(c, &sum->labels);
        sum->labels_on = sum->labels.items > 0;
    }
}

/* Print the summary on stdout as JSON or a table. */
static void print_summary(const sc_summary *sum, const options *o)
{
    if (o->table) {
        sc_summary_table(stdout, sum);
    } else {
        cJSON *j = sc_summary_json(sum);
        if (mc_record_write(stdout, j) != 0) {
            /* the error is reported by mc_close_stdout */
        }
        cJSON_Delete(j);
    }
}

int main(int argc, char **argv)
{
    options o;
    sc_corpus c;
    item_scores s = {0};
    FILE *rf, *pf;
    int status;
    mc_set_prog(argv[0]);
    parse_args(argc, argv, &o);
    sc_corpus_init(&c);
    rf = mc_open_in(o.refs);
    status = sc_corpus_read_refs(&c, rf, o.refs, &o.load);
    if (rf != stdin)
        fclose(rf);
    if (!status) {
        pf = mc_open_in(o.preds);
        status = sc_corpus_read_preds(&c, pf, o.preds, o.refs, &o.load);
        if (pf != stdin)
            fclose(pf);
    }
    if (!status) {
        sc_summary sum;
        s.bleu = mc_calloc(c.nitems, sizeof *s.bleu);
        s.rouge_p = mc_calloc(c.nitems, sizeof *s.rouge_p);
        s.rouge_r = mc_calloc(c.nitems, sizeof *s.rouge_r);
        s.cider = mc_calloc(c.nitems, sizeof *s.cider);
        score_items(&c, &s, o.load.threads);
        if (o.per_item)
            status = write_per_item(o.per_item, &c, &s, &o);
        if (!status) {
            summarise(&c, &s, &o, &sum);
            print_summary(&sum, &o);
            if (c.skipped) {
                mc_err("%ld record(s) skipped", c.skipped);
                status = MC_EXIT_SKIPPED;
            }
            sc_label_score_free(&sum.labels);
        }
    }
    free(s.bleu);
    free(s.rouge_p);
    free(s.rouge_r);
    free(s.cider);
    sc_corpus_free(&c);
    return status ? status : mc_close_stdout();
}
