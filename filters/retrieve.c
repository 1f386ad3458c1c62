/* medcap-retrieve - for each query feature frame, write its record plus
 * "neighbors": the k most similar rows of a case index (cosine of the
 * pooled, L2-normalised vectors, ties by id), optionally with the case
 * knowledge of the best ones (--kb) and an "interpretation" paragraph that
 * joins a generated caption (--captions, from medcap-decode-caption, read
 * in step with the frames; or a record key named by --caption-key) and the
 * retrieved cases.
 *
 * With a joint embedding model (--model, from medcap-train --objective
 * contrastive) the index holds embeddings (medcap-embed) and the queries
 * are mapped into that space first: feature frames by the image side,
 * NDJSON records (their --text-field) and --text strings by the text side,
 * so that text finds images and images find captions.
 *
 * Reads query frames (or, with --model, NDJSON records) from each FILE in
 * turn ("-" or none: stdin; with --text, only the FILEs named), a batch at
 * a time (--batch), so memory is the index plus one batch.
 */
#define _POSIX_C_SOURCE 200809L
#include "index/caseindex.h"
#include "arch/embed_model.h"
#include "retrieve/casekb.h"
#include "index/featvec.h"
#include "io/frame.h"
#include "io/frame_stream.h"
#include "index/knn.h"
#include "io/ndjson.h"
#include "retrieve/interpretation.h"
#include "core/blas.h"
#include "core/cli.h"
#include "core/progress.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *index;       /* -i */
    long k;                  /* -n/--neighbors */
    long threads;            /* -j/--threads (search and BLAS), 0: OpenBLAS's default */
    int exclude_same_case;   /* --exclude-same-case */
    const char *kb;          /* --kb */
    const char *kb_key;      /* --kb-key */
    const char *kb_name;     /* --kb-name */
    long kb_top;             /* --kb-top */
    long excerpt;            /* --excerpt */
    const char *captions;    /* --captions: decode-caption's records */
    const char *caption_key; /* --caption-key, or NULL */
    long batch;              /* --batch */
    int keep_going;          /* --keep-going */
    const char *model;       /* -m: joint embedding model */
    const char *text_field;  /* --text-field */
    const char **texts;      /* --text queries (ntexts) */
    int ntexts;
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: medcap-retrieve -i INDEX [OPTIONS] [FILE...]\n"
            "       medcap-retrieve -i INDEX -m EMBED --text TEXT [--text TEXT...] [FILE...]\n"
            "For each query feature frame, write its record with \"neighbors\": the K most\n"
            "similar indexed items (cosine similarity; ties by id), each with its\n"
            "similarity, id, case_id and caption.  Grids [G,C] and maps [H,W,C] are\n"
            "averaged over their positions.  Reads standard input when no FILE (and no\n"
            "--text) is given.\n\n"
            "Options:\n"
            "  -i, --index INDEX       the case index (medcap-index)\n"
            "  -m, --model EMBED       a joint embedding model (medcap-train --objective\n"
            "                          contrastive); INDEX holds its embeddings (medcap-embed).\n"
            "                          Query frames go through its image side, NDJSON query\n"
            "                          records and --text through its text side\n"
            "      --text TEXT         a text query (needs -m; repeatable): written as\n"
            "                          {\"id\":\"text-N\",\"text\":TEXT,\"neighbors\":...}\n"
            "      --text-field KEY    the text of NDJSON query records (default caption)\n"
            "  -n, --neighbors N       neighbours per query (1-1000; default 5)\n"
            "      --exclude-same-case never return a row of the query's own case_id\n"
            "      --kb FILE           case knowledge base, NDJSON keyed by case id (e.g. MedPix\n"
            "                          2.0 data_train.jsonl): attach \"knowledge\" to the best\n"
            "                          neighbours\n"
            "      --kb-key KEY        the case id field of the kb lines (default U_id)\n"
            "      --kb-top N          neighbours given knowledge and quoted (default 3)\n"
            "      --kb-name NAME      the kb's name in quotes (default MedPix)\n"
            "      --excerpt N         cut long knowledge texts to N bytes (40-100000; default 300)\n"
            "      --captions FILE     medcap-decode-caption's records for the same frames, in\n"
            "                          the same order: merged into each record, and their\n"
            "                          \"caption\" starts an \"interpretation\" paragraph\n"
            "      --caption-key KEY   the record key holding a generated caption (default\n"
            "                          caption with --captions, else no interpretation)\n"
            "  -b, --batch N           queries per sgemm batch (1-4096; default 1024)\n"
            "  -j, --threads N         search threads, each over its own rows (default:\n"
            "                          OpenBLAS's count); the same answer for any N\n"
            "      --keep-going        skip bad query frames (reported), exit 5 at the end\n"
            "  -q, --quiet             no progress line on a terminal, no warnings\n"
            "  -v, --verbose           the number of queries and their rate at the end\n"
            "      --total N           the number of queries expected, for the time left\n"
            "  -h, --help              show this help and exit\n"
            "      --version           show the version and exit\n\n"
            "Exit status: 0 done, 1 bad input, 2 usage error, 3 I/O error, 4 INDEX or EMBED\n"
            "invalid or of another feature size, 5 queries skipped with --keep-going.\n"
            "See medcap-retrieve(1), medcap-index(1), medcap-index(5).\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    enum { O_EXCL = 256, O_KB, O_KB_KEY, O_KB_NAME, O_KB_TOP, O_EXCERPT, O_CAPKEY, O_CAPTIONS, O_KEEP,
           O_TEXT, O_TEXT_FIELD };
    static const struct option longs[] = {
        {"index", required_argument, NULL, 'i'},
        {"k", required_argument, NULL, 'k'}, {"neighbors", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 'j'},
        {"exclude-same-case", no_argument, NULL, O_EXCL},
        {"kb", required_argument, NULL, O_KB},
        {"kb-key", required_argument, NULL, O_KB_KEY},
        {"kb-name", required_argument, NULL, O_KB_NAME},
        {"kb-top", required_argument, NULL, O_KB_TOP},
        {"excerpt", required_argument, NULL, O_EXCERPT},
        {"caption-key", required_argument, NULL, O_CAPKEY},
        {"captions", required_argument, NULL, O_CAPTIONS},
        {"batch", required_argument, NULL, 'b'},
        {"keep-going", no_argument, NULL, O_KEEP},
        {"model", required_argument, NULL, 'm'},
        {"text", required_argument, NULL, O_TEXT},
        {"text-field", required_argument, NULL, O_TEXT_FIELD},
        MC_OPT_COMMON,
        {NULL, 0, NULL, 0},
    };
    int c;
    *o = (options){.k = 5, .kb_key = "U_id", .kb_name = "MedPix", .kb_top = 3, .excerpt = 300,
                   .batch = 1024, .text_field = "caption"};
    o->texts = mc_malloc((size_t)argc * sizeof *o->texts);
    while ((c = mc_getopt(argc, argv, ":i:k:n:j:b:m:hqv", longs)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case O_TEXT: o->texts[o->ntexts++] = optarg; break;
        case O_TEXT_FIELD: o->text_field = optarg; break;
        case 'i': o->index = optarg; break;
        case 'k':
            mc_opt_deprecated("-k/--k", "-n/--neighbors");
            /* fall through */
        case 'n': o->k = mc_arg_long("--neighbors", optarg, 1, 1000); break;
        case 'j': o->threads = mc_opt_threads(optarg); break;
        case O_EXCL: o->exclude_same_case = 1; break;
        case O_KB: o->kb = optarg; break;
        case O_KB_KEY: o->kb_key = optarg; break;
        case O_KB_NAME: o->kb_name = optarg; break;
        case O_KB_TOP: o->kb_top = mc_arg_long("--kb-top", optarg, 0, 1000); break;
        case O_EXCERPT: o->excerpt = mc_arg_long("--excerpt", optarg, 40, 100000); break;
        case O_CAPKEY: o->caption_key = optarg; break;
        case O_CAPTIONS: o->captions = optarg; break;
        case 'b': o->batch = mc_arg_long("--batch", optarg, 1, 4096); break;
        case O_KEEP: o->keep_going = 1; break;
        case MC_OPT_VERSION: mc_blas_print_version(); exit(mc_close_stdout());
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (!o->index)
        mc_usage_error("no index given (-i INDEX)");
    if (!*o->kb_key || (o->caption_key && !*o->caption_key) || !*o->text_field)
        mc_usage_error("--kb-key, --caption-key and --text-field need a non-empty key");
    if (o->ntexts && !o->model)
        mc_usage_error("--text needs an embedding model (-m EMBED)");
    if (o->ntexts && o->captions)
        mc_usage_error("--captions pairs generated captions with query frames, not with --text");
    if (o->captions && !o->caption_key)
        o->caption_key = "caption";
    return optind;
}

/* The state of one run. */
typedef struct {
    const options *o;
    mc_cindex ix;
    rt_casekb kb;
    int have_kb;
    float *q;        /* (batch, dim) query vectors */
    int *skip_case;  /* (batch) */
    cJSON **rec;     /* (batch) query records */
    size_t n;        /* queries in the batch */
    mc_hit *hits;    /* (batch, k) */
    size_t *found;   /* (batch) */
    FILE *capf;      /* --captions */
    mc_lines caps;
    size_t skipped, kb_missing, kb_asked;
    int have_model;  /* -m given and loaded */
    mc_embedder em;
} run_state;

/* A similarity rounded to 6 decimals, so the JSON stays short. */
static double rounded(float s) { return round((double)s * 1e6) / 1e6; }

/* The neighbour entry of hit h (rank i, 0-based): similarity, the indexed
 * record, and knowledge for the first --kb-top ranks when --kb is given. */
static cJSON *neighbor(run_state *st, const mc_hit *h, size_t i)
{
    cJSON *nb = cJSON_CreateObject(), *rec = mc_cindex_record(&st->ix, h->row), *item;
    cJSON_AddNumberToObject(nb, "similarity", rounded(h->score));
    while ((item = rec->child) != NULL)
        cJSON_AddItemToObject(nb, item->string, cJSON_DetachItemViaPointer(rec, item));
    cJSON_Delete(rec);
    if (st->have_kb && i < (size_t)st->o->kb_top) {
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(nb, "case_id");
        const rt_case_knowledge *kn = rt_casekb_find(&st->kb, cJSON_IsString(cs) ? cs->valuestring : NULL);
        st->kb_asked++;
        if (!kn) {
            st->kb_missing++;
        } else {
            cJSON *k = cJSON_AddObjectToObject(nb, "knowledge");
            for (int f = 0; f < MC_KB_NFIELDS; f++)
                if (kn->field[f])
                    cJSON_AddStringToObject(k, rt_kb_field_name[f], kn->field[f]);
        }
    }
    return nb;
}

/* Search the batch and write each record with its neighbours. */
static int flush_batch(run_state *st)
{
    size_t k = (size_t)st->o->k;
    int rc = 0;
    if (st->n == 0)
        return 0;
    mc_knn_search(st->hits, st->found, st->q, st->o->exclude_same_case ? st->skip_case : NULL,
                  st->n, k, &st->ix);
    for (size_t b = 0; b < st->n; b++) {
        cJSON *arr = cJSON_CreateArray();
        const cJSON *gen = st->o->caption_key
            ? cJSON_GetObjectItemCaseSensitive(st->rec[b], st->o->caption_key) : NULL;
        for (size_t i = 0; i < st->found[b]; i++)
            cJSON_AddItemToArray(arr, neighbor(st, &st->hits[b * k + i], i));
        cJSON_DeleteItemFromObjectCaseSensitive(st->rec[b], "neighbors");
        cJSON_AddItemToObject(st->rec[b], "neighbors", arr);
        if (cJSON_IsString(gen) && gen->valuestring[0]) {
            char *text = rt_interpretation_compose(gen->valuestring,
                                                   cJSON_GetObjectItemCaseSensitive(st->rec[b], "given"),
                                                   arr, (size_t)st->o->kb_top, st->o->kb_name);
            cJSON_DeleteItemFromObjectCaseSensitive(st->rec[b], "interpretation");
            cJSON_AddStringToObject(st->rec[b], "interpretation", text);
            free(text);
        }
        if (rc == 0 && mc_record_write(stdout, st->rec[b]) != 0)
            rc = mc_stdout_error();
        cJSON_Delete(st->rec[b]);
    }
    st->n = 0;
    return rc;
}

/* The next record of --captions (NULL at its end), parsed; *bad is set to
 * 1 when the line is not a record (message printed). */
static cJSON *next_caption(run_state *st, int *bad)
{
    char *line;
    *bad = 0;
    while (mc_lines_next(&st->caps, &line) >= 0) {
        cJSON *rec;
        if (mc_blank(line))
            continue;
        rec = mc_record_parse(line, st->o->captions, st->caps.line);
        *bad = rec == NULL;
        return rec;
    }
    return NULL;
}

/* Merge the --captions record of query rec (the next one, which must have
 * rec's id) into rec.  Returns 0, or MC_EXIT_INPUT (message printed). */
static int merge_caption(run_state *st, cJSON *rec, cJSON *cap)
{
    cJSON *item;
    if (strcmp(mc_record_id(cap), mc_record_id(rec)) != 0) {
        mc_err_at(st->o->captions, st->caps.line,
                  "record '%s' does not match frame '%s' (both must come from the same frames, in order)",
                  mc_record_id(cap), mc_record_id(rec));
        return MC_EXIT_INPUT;
    }
    while ((item = cap->child) != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, item->string);
        cJSON_AddItemToObject(rec, item->string, cJSON_DetachItemViaPointer(cap, item));
    }
    return 0;
}

/* Add query rec (item no of input name), whose vector is already in place
 * at row st->n of st->q, to the batch; rec is taken over.  Returns 0, or
 * MC_EXIT_INPUT (message printed) when --exclude-same-case finds no
 * case_id. */
static int push_query(run_state *st, cJSON *rec, const char *name, long no)
{
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(rec, "case_id");
    if (st->o->exclude_same_case && !cJSON_IsString(cs)) {
        mc_err_at(name, no, "record '%s': no string \"case_id\" (needed by --exclude-same-case)",
                  mc_record_id(rec));
        cJSON_Delete(rec);
        return MC_EXIT_INPUT;
    }
    st->skip_case[st->n] = cJSON_IsString(cs) ? mc_strtab_find(&st->ix.cases, cs->valuestring) : -1;
    st->rec[st->n++] = rec;
    return 0;
}

/* The query vector q (the index's size) of frame fr with record rec: its
 * pooled features, or with --model their image embedding.  Returns 0,
 * MC_EXIT_INPUT (a frame that is no feature vector) or MC_EXIT_MODEL (a
 * feature size not the index's or the model's), after a message. */
static int frame_vector(run_state *st, float *q, const mc_frame *fr, const cJSON *rec,
                        const char *name, long no)
{
    char err[300];
    size_t dim = mc_featvec_dim(fr);
    size_t want = st->have_model ? (size_t)st->em.m.cfg.feature_dim : st->ix.dim;
    if (dim && dim != want) {
        mc_err_at(name, no, "record '%s': feature size %zu does not match the %s %s (%zu)",
                  mc_record_id(rec), dim, st->have_model ? "embedding model" : "index",
                  st->have_model ? st->o->model : st->o->index, want);
        return MC_EXIT_MODEL;
    }
    if (mc_featvec_pool(st->have_model ? st->em.feat : q, fr, err, sizeof err) != 0) {
        mc_err_at(name, no, "record '%s': %s", mc_record_id(rec), err);
        return MC_EXIT_INPUT;
    }
    if (st->have_model)
        memcpy(q, mc_embedder_image(&st->em), st->ix.dim * sizeof *q);
    return 0;
}

/* The query vector q of a text: its embedding by the model's text side. */
static void text_vector(run_state *st, float *q, const char *text)
{
    memcpy(q, mc_embedder_text(&st->em, text), st->ix.dim * sizeof *q);
}

/* Check one query frame and add it to the batch.  Returns 0 added,
 * MC_EXIT_INPUT bad frame (message printed), MC_EXIT_MODEL feature size
 * not the index's (or the model's). */
static int add_query(run_state *st, const mc_frame *fr, const char *name, long no)
{
    cJSON *rec = mc_record_parse(fr->meta, name, no), *cap = NULL;
    int bad = 0, rc = 0;
    if (st->capf) { /* one captions record per frame, good or bad */
        cap = next_caption(st, &bad);
        if (!cap && !bad && rec)
            mc_err_at(st->o->captions, st->caps.line, "ends before frame '%s'", mc_record_id(rec));
        if (!cap)
            bad = 1;
    }
    if (rec && cap)
        rc = merge_caption(st, rec, cap);
    cJSON_Delete(cap);
    if (rc != 0 || (bad && rec)) {
        cJSON_Delete(rec);
        return MC_EXIT_INPUT;
    }
    if (!rec)
        return MC_EXIT_INPUT;
    if ((rc = frame_vector(st, st->q + st->n * st->ix.dim, fr, rec, name, no)) != 0) {
        cJSON_Delete(rec);
        return rc;
    }
    return push_query(st, rec, name, no);
}

/* Add text query rec (line no of name; taken over), its text under
 * --text-field, to the batch.  Returns 0 or MC_EXIT_INPUT (message
 * printed). */
static int add_text(run_state *st, cJSON *rec, const char *name, long no)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(rec, st->o->text_field);
    if (!cJSON_IsString(text)) {
        mc_err_at(name, no, "record '%s' has no string \"%s\" (the text query)", mc_record_id(rec),
                  st->o->text_field);
        cJSON_Delete(rec);
        return MC_EXIT_INPUT;
    }
    text_vector(st, st->q + st->n * st->ix.dim, text->valuestring);
    return push_query(st, rec, name, no);
}

/* Queue a query that add_query or add_text answered r for: a bad one is
 * skipped and counted under --keep-going; answer the queue when it holds a
 * batch. */
static int queued(run_state *st, int r)
{
    if (r == MC_EXIT_INPUT && st->o->keep_going)
        st->skipped++;
    else if (r != 0)
        return r;
    return st->n == (size_t)st->o->batch ? flush_batch(st) : 0;
}

/* mc_frames_each callback: queue one query (a bad one is skipped and counted
 * under --keep-going); answer the queue when it holds a batch. */
static int query_frame(mc_frame *fr, const char *name, long no, void *ctx)
{
    run_state *st = ctx;
    return queued(st, add_query(st, fr, name, no));
}

/* Answer every NDJSON text query record of f (named name).  Returns 0 or
 * the exit status. */
static int query_records(run_state *st, FILE *f, const char *name)
{
    mc_lines in;
    char *line;
    int rc = 0;
    if (st->capf) {
        mc_err_at(name, 1, "holds text queries; --captions pairs generated captions with frames");
        return MC_EXIT_INPUT;
    }
    mc_lines_init(&in, f, name);
    while (rc == 0 && mc_lines_next(&in, &line) >= 0) {
        cJSON *rec;
        if (mc_blank(line))
            continue;
        rec = mc_record_parse(line, name, in.line);
        rc = queued(st, rec ? add_text(st, rec, name, in.line) : MC_EXIT_INPUT);
    }
    if (rc == 0 && ferror(f)) {
        mc_err_at(name, 0, "read error");
        rc = MC_EXIT_IO;
    }
    mc_lines_free(&in);
    return rc;
}

/* Answer the --text queries, as records {"id":"text-N","text":TEXT}. */
static int retrieve_texts(run_state *st)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < st->o->ntexts; i++) {
        cJSON *rec = cJSON_CreateObject();
        char id[32];
        snprintf(id, sizeof id, "text-%d", i + 1);
        cJSON_AddStringToObject(rec, "id", id);
        cJSON_AddStringToObject(rec, "text", st->o->texts[i]);
        text_vector(st, st->q + st->n * st->ix.dim, st->o->texts[i]);
        rc = queued(st, push_query(st, rec, "--text", i + 1));
    }
    return rc == 0 ? flush_batch(st) : rc;
}

/* Answer every query of one input: frames, or with --model also NDJSON
 * text queries.  Returns 0 or the exit status. */
static int retrieve_file(run_state *st, const char *path)
{
    FILE *f = mc_open_in(path);
    int rc;
    mc_progress_begin("queries", f);
    rc = st->have_model && mc_input_kind(f) == MC_INPUT_JSON ? query_records(st, f, path)
                                                                 : mc_frames_each(f, path, query_frame, st,
                                                                                  st->o->keep_going ? &st->skipped : NULL);
    if (rc == 0)
        rc = flush_batch(st);
    mc_progress_end();
    if (f != stdin)
        fclose(f);
    return rc;
}

/* Load --model and check that it embeds into the index's size.  Returns 0,
 * or MC_EXIT_IO / MC_EXIT_MODEL after a message. */
static int open_model(run_state *st)
{
    char err[600];
    int rc = mc_embedder_open(&st->em, st->o->model, err, sizeof err);
    if (rc != 0) {
        mc_err("%s", err);
        return rc;
    }
    st->have_model = 1;
    if ((size_t)st->em.m.cfg.proj_dim != st->ix.dim) {
        mc_err("%s: embeds into %d dimensions, but the index %s holds vectors of %zu (index the "
               "output of medcap-embed -m %s)", st->o->model, st->em.m.cfg.proj_dim, st->o->index,
               st->ix.dim, st->o->model);
        return MC_EXIT_MODEL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    run_state st = {0};
    char err[600];
    int first, status;
    mc_set_prog(argv[0]);
    mc_blas_setup(argv, 0);
    first = parse_args(argc, argv, &o);
    mc_blas_setup(argv, (int)o.threads);
    st.o = &o;
    status = mc_cindex_open(&st.ix, o.index, err, sizeof err);
    if (status != 0) {
        mc_err("%s", err);
        free(o.texts);
        return status;
    }
    if (o.model)
        status = open_model(&st);
    if (status == 0 && o.kb) {
        status = rt_casekb_load(&st.kb, o.kb, o.kb_key, (size_t)o.excerpt);
        st.have_kb = status == 0;
    }
    if (status == 0 && o.captions) {
        st.capf = fopen(o.captions, "rb");
        if (!st.capf) {
            mc_err("%s: cannot open: %s", o.captions, strerror(errno));
            status = MC_EXIT_IO;
        } else {
            mc_lines_init(&st.caps, st.capf, o.captions);
        }
    }
    st.q = mc_malloc((size_t)o.batch * st.ix.dim * sizeof *st.q);
    st.skip_case = mc_malloc((size_t)o.batch * sizeof *st.skip_case);
    st.rec = mc_malloc((size_t)o.batch * sizeof *st.rec);
    st.hits = mc_malloc((size_t)o.batch * (size_t)o.k * sizeof *st.hits);
    st.found = mc_malloc((size_t)o.batch * sizeof *st.found);
    if (status == 0 && o.ntexts)
        status = retrieve_texts(&st);
    for (int i = first; status == 0 && i < (first < argc || o.ntexts ? argc : first + 1); i++)
        status = retrieve_file(&st, i < argc ? argv[i] : "-");
    for (size_t b = 0; b < st.n; b++)
        cJSON_Delete(st.rec[b]);
    if (st.capf) {
        int bad;
        cJSON *extra = status == 0 ? next_caption(&st, &bad) : NULL;
        if (status == 0 && (extra || bad)) {
            mc_err_at(o.captions, st.caps.line, "more records than frames");
            status = MC_EXIT_INPUT;
        }
        cJSON_Delete(extra);
        mc_lines_free(&st.caps);
        fclose(st.capf);
    }
    if (st.kb_missing > 0)
        mc_err("%s: %zu of %zu neighbours had no case in the kb; returned without knowledge",
               o.kb, st.kb_missing, st.kb_asked);
    if (status == 0 && st.skipped > 0) {
        mc_err("%zu queries skipped", st.skipped);
        status = MC_EXIT_SKIPPED;
    }
    free(st.q);
    free(st.skip_case);
    free(st.rec);
    free(st.hits);
    free(st.found);
    if (st.have_kb)
        rt_casekb_free(&st.kb);
    if (st.have_model)
        mc_embedder_close(&st.em);
    free(o.texts);
    mc_cindex_close(&st.ix);
    return status ? status : mc_close_stdout();
}
