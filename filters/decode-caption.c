/* medcap-decode-caption - write a caption for each grid feature frame:
 * the frame's record plus "caption", "logprob", "fields" (when the model
 * has classifier heads: each structured field's value and probability,
 * which also fill the caption's "name: value," prefix) and, with
 * --attention, the attention weights of each word shaped as the grid.
 * Greedy decoding, or beam search with --beam K.  Frames are read in
 * groups of one per thread, decoded at once (one image per thread, each
 * with single-threaded OpenBLAS, so the output does not depend on the
 * thread count) and answered in order, so memory stays flat for any stream
 * length; pooled feature frames are skipped.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/blas.h"
#include "arch/caption_model.h"
#include "arch/caption_search.h"
#include "io/frame.h"
#include "io/frame_record.h"
#include "io/ndjson.h"
#include "io/record_roles.h"
#include "core/cli.h"
#include "core/pool.h"
#include "core/progress.h"
#include "core/util.h"
#include "core/vecmath.h"
#include "decode-caption/consensus.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *model, *index;
    long neighbors;
    long beam, no_repeat, max_len, min_len, threads;
    double length_penalty;
    int attention, free_fields, no_context;
    int keep_going; /* --keep-going: skip bad frames, exit 5 at the end */
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: medcap-decode-caption [OPTIONS] [FILE]\n"
            "Caption grid feature frames (FILE or standard input); write NDJSON records.\n\n"
            "  -m, --model FILE         caption model (default: the shipped model.safetensors)\n"
            "      --beam K             beam width, 1 = greedy (default 1)\n"
            "      --length-penalty X   rank beams by logprob / length^X (default 0)\n"
            "      --no-repeat-ngram N  never repeat an n-gram of N words, 0 off (default 3)\n"
            "      --max-len N          longest caption in tokens (default: the model's)\n"
            "      --min-len N          fewest tokens before the caption may end (default:\n"
            "                           the model's, the median training caption)\n"
            "      --no-context         with a model trained with patient context\n"
            "                           (medcap-train --context), ignore the records'\n"
            "                           context fields\n"
            "      --free-fields        let the decoder write the structured fields itself\n"
            "                           instead of the classifier heads' values\n"
            "  -i, --index FILE         case index of training images (pooled features of\n"
            "                           the model's encoder): write the caption, among the\n"
            "                           model's and the neighbours', that agrees best with\n"
            "                           the neighbours' captions (CIDEr-D consensus)\n"
            "  -n, --neighbors K        neighbours for --index (default 10, at most 64)\n"
            "      --attention          add \"attention\": per word, the grid's weights\n"
            "  -j, --threads N          threads, each decoding its own images (default: all\n"
            "                           cores, or OPENBLAS_NUM_THREADS); the output does not\n"
            "                           depend on N\n"
            "      --keep-going         skip bad frames (reported), exit 5 at the end\n"
            "  -q, --quiet              no progress line on a terminal, no warnings\n"
            "  -v, --verbose            the number of captions and their rate at the end\n"
            "      --total N            the number of frames expected, for the time left\n"
            "  -h, --help               show this help and exit\n"
            "      --version            show the version and exit\n\n"
            "Exit status: 0 done, 1 bad input frame, 2 usage error, 3 I/O error,\n"
            "4 model missing, invalid or not matching the features, 5 done with skipped\n"
            "frames (--keep-going).\n");
}

enum { O_LP = 256, O_NR, O_ML, O_MINL, O_FREE, O_ATT, O_NOCTX, O_KEEP, O_BEAM };

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'}, {"beam", required_argument, NULL, O_BEAM},
        {"length-penalty", required_argument, NULL, O_LP},
        {"no-repeat-ngram", required_argument, NULL, O_NR},
        {"max-len", required_argument, NULL, O_ML}, {"attention", no_argument, NULL, O_ATT},
        {"min-len", required_argument, NULL, O_MINL}, {"free-fields", no_argument, NULL, O_FREE},
        {"no-context", no_argument, NULL, O_NOCTX},
        {"index", required_argument, NULL, 'i'}, {"neighbors", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 'j'}, {"keep-going", no_argument, NULL, O_KEEP},
        MC_OPT_COMMON, {NULL, 0, NULL, 0},
    };
    int c;
    /* max_len 0 and min_len -1: the model's */
    *o = (options){.beam = 1, .no_repeat = MC_DEFAULT_NO_REPEAT, .neighbors = 10, .min_len = -1};
    while ((c = mc_getopt(argc, argv, ":m:k:i:n:j:hqv", longs)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'k':
            mc_opt_deprecated("-k", "--beam");
            /* fall through */
        case O_BEAM: o->beam = mc_arg_long("--beam", optarg, 1, 64); break;
        case O_LP:
            if (mc_parse_double(optarg, &o->length_penalty) != 0 ||
                !(o->length_penalty >= 0 && o->length_penalty <= 10))
                mc_usage_error("--length-penalty '%s': expected a number from 0 to 10", optarg);
            break;
        case O_NR: o->no_repeat = mc_arg_long("--no-repeat-ngram", optarg, 0, 100); break;
        case O_ML: o->max_len = mc_arg_long("--max-len", optarg, 1, 1000); break;
        case O_MINL: o->min_len = mc_arg_long("--min-len", optarg, 0, 1000); break;
        case O_FREE: o->free_fields = 1; break;
        case O_NOCTX: o->no_context = 1; break;
        case 'i': o->index = optarg; break;
        case 'n': o->neighbors = mc_arg_long("--neighbors", optarg, 2, 64); break;
        case O_ATT: o->attention = 1; break;
        case 'j': o->threads = mc_opt_threads(optarg); break;
        case O_KEEP: o->keep_going = 1; break;
        case MC_OPT_VERSION: mc_blas_print_version(); exit(mc_close_stdout());
        default: mc_opt_common(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        mc_usage_error("more than one input file given");
    return optind;
}

/* Check that frame k (record rec, dims) was made by the model's encoder:
 * on a mismatch print both sides and return MC_EXIT_MODEL. */
static int check_match(const mc_capmodel *m, const char *model, const char *path, long k,
                       const cJSON *rec, const mc_frame *fr)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "encoder"),
                *h = cJSON_GetObjectItemCaseSensitive(rec, "encoder_hash"),
                *g = cJSON_GetObjectItemCaseSensitive(rec, "grid");
    const char *es = cJSON_IsString(e) ? e->valuestring : "?", *hs = cJSON_IsString(h) ? h->valuestring : "?";
    int gh = cJSON_IsNumber(cJSON_GetArrayItem(g, 0)) ? cJSON_GetArrayItem(g, 0)->valueint : 0,
        gw = cJSON_IsNumber(cJSON_GetArrayItem(g, 1)) ? cJSON_GetArrayItem(g, 1)->valueint : 0;
    int C = (int)fr->dims[1];
    if ((m->encoder_arch[0] && strcmp(es, m->encoder_arch) != 0) ||
        (m->encoder_hash[0] && strcmp(hs, m->encoder_hash) != 0) || gh != m->gh || gw != m->gw ||
        (int)fr->dims[0] != m->dec.cfg.grid || C != m->dec.cfg.channels) {
        mc_err_at(path, k,
                  "record '%s': features of encoder %s (hash %s), grid %dx%d, %d channels do not "
                  "match model %s: encoder %s (hash %s), grid %dx%d, %d channels",
                  mc_record_id(rec), es, hs, gh, gw, C, model, m->encoder_arch[0] ? m->encoder_arch : "?",
                  m->encoder_hash[0] ? m->encoder_hash : "?", m->gh, m->gw, m->dec.cfg.channels);
        return MC_EXIT_MODEL;
    }
    return 0;
}

/* Add "attention": n words x gh x gw weights to rec. */
static void add_attention(cJSON *rec, const float *att, int n, int gh, int gw)
{
    cJSON *words = cJSON_AddArrayToObject(rec, "attention");
    for (int i = 0; i < n; i++) {
        cJSON *grid = cJSON_CreateArray();
        for (int y = 0; y < gh; y++) {
            cJSON *row = cJSON_CreateArray();
            for (int x = 0; x < gw; x++)
                cJSON_AddItemToArray(row, cJSON_CreateNumber(
                    round(att[(long)i * gh * gw + y * gw + x] * 1e5) / 1e5));
            cJSON_AddItemToArray(grid, row);
        }
        cJSON_AddItemToArray(words, grid);
    }
}

/* Run the heads on grid (G,C): the most probable class of each field in
 * cls, and "fields": {name: {"value", "p"}} added to rec. */
static void add_fields(cJSON *rec, mc_heads *h, const float *grid, int G, int *cls)
{
    cJSON *fields = cJSON_CreateObject();
    mc_heads_forward(h, grid, 1, G);
    for (int i = 0; i < h->nf; i++) {
        float p;
        cJSON *o = cJSON_AddObjectToObject(fields, h->f[i].name);
        cls[i] = mc_heads_argmax(h, i, 0, &p);
        cJSON_AddStringToObject(o, "value", h->f[i].classes[cls[i]]);
        cJSON_AddNumberToObject(o, "p", round(p * 1e4) / 1e4);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "fields");
    cJSON_AddItemToObject(rec, "fields", fields);
}

/* After the neighbours' vote: each field of rec's "fields" whose class
 * changed takes it, its p the head's probability of that class, and
 * "voted": true. */
static void vote_fields(cJSON *rec, const mc_heads *h, const int *cls)
{
    cJSON *fields = cJSON_GetObjectItemCaseSensitive(rec, "fields");
    for (int i = 0; i < h->nf; i++) {
        cJSON *f = cJSON_GetObjectItemCaseSensitive(fields, h->f[i].name);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "value");
        if (!cJSON_IsString(v) || strcmp(v->valuestring, h->f[i].classes[cls[i]]) == 0)
            continue;
        cJSON_ReplaceItemInObjectCaseSensitive(f, "value", cJSON_CreateString(h->f[i].classes[cls[i]]));
        cJSON_ReplaceItemInObjectCaseSensitive(f, "p", cJSON_CreateNumber(round(h->probs[i][cls[i]] * 1e4) / 1e4));
        cJSON_AddBoolToObject(f, "voted", 1);
    }
}

/* With a context model: grid (G,C) becomes the frame's features plus the
 * record's context (unknown for fields it lacks, or all with no_context);
 * "given" lists the context fields the record gave.  Without one: the
 * features themselves.  Returns the grid to decode. */
static const float *add_context(const mc_capmodel *m, cJSON *rec, const float *features, float *grid,
                                int no_context)
{
    mc_context *c = m->ctx;
    char *vals[MC_CONTEXT_MAX], num[MC_CONTEXT_MAX][40];
    cJSON *given;
    if (!c)
        return features;
    given = cJSON_CreateObject();
    for (int i = 0; i < c->nf; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(rec, c->f[i].name);
        const char *v = no_context ? NULL : mc_context_value(item, num[i], sizeof num[i]);
        vals[i] = v && *v ? (char *)v : NULL;
        if (vals[i] && mc_record_role(c->f[i].name) != MC_ROLE_IDENTIFYING)
            cJSON_AddItemToObject(given, c->f[i].name, cJSON_Duplicate(item, 0));
    }
    memcpy(grid, features, (size_t)m->dec.cfg.grid * m->dec.cfg.channels * sizeof *grid);
    mc_context_forward(c, grid, 1, m->dec.cfg.grid, vals, c->nf, 0.0f, NULL);
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "given");
    if (given->child)
        cJSON_AddItemToObject(rec, "given", given);
    else
        cJSON_Delete(given);
    return grid;
}

/* Check feature frame k of path (record rec) before decoding: an F32
 * grid [G,C] of finite values.  Returns 0, or prints a message and
 * returns MC_EXIT_INPUT. */
static int check_features(const mc_frame *fr, const cJSON *rec, const char *path, long k)
{
    size_t nv, i;
    if (fr->dtype != MC_F32 || fr->ndim != 2) {
        mc_err_at(path, k, "record '%s': expected an F32 grid feature frame [G,C], got %s with %d dimensions",
                  mc_record_id(rec), mc_dtype_name(fr->dtype), fr->ndim);
        return MC_EXIT_INPUT;
    }
    nv = fr->nbytes / sizeof(float);
    i = mc_first_nonfinite(fr->data, nv);
    if (i < nv) {
        mc_err_at(path, k, "record '%s': feature value %g at element %zu is not finite", mc_record_id(rec),
                  (double)((const float *)fr->data)[i], i);
        return MC_EXIT_INPUT;
    }
    return 0;
}

/* Caption every grid frame of path (pooled ones are passed over); with
 * --keep-going a bad frame is reported, counted in *skipped and left out.
 * Returns 0 or the exit status. */
/* One image in flight: its frame and record, then what was decoded. */
typedef struct {
    mc_frame fr;
    cJSON *rec;
    long k;                /* its frame number */
    float *cgrid;          /* the context-mixed grid (models with context) */
    const float *grid;     /* what the decoder reads: fr.data or cgrid */
    int cls[MC_HEADS_MAX]; /* the fields' classes */
    int *words, n;         /* the caption's token ids (cleaned when cut short) */
    float *att, lp;        /* n rows of attention weights; the logprob */
} slot;

/* The decoding threads: thread t decodes slots t, t + n, ... with its own
 * search (thread 0 over the model's decoder, the others over copies that
 * share its weights, made when first needed). */
typedef struct {
    mc_capmodel *m;
    const options *o;
    int consensus;         /* --index: the fields come from the vote */
    mc_search_opts so;
    mc_search **s;         /* per thread */
    mc_decoder_copy *copy; /* per thread; [0] unused */
    int made;              /* threads whose search exists */
    slot *slot;
    int nslot;
} decoders;

/* Decode every slot thread t of n owns (see decoders). */
static void decode_job(void *ctx, int t, int n)
{
    decoders *d = ctx;
    const mc_capmodel *m = d->m;
    for (int i = t; i < d->nslot; i += n) {
        slot *sl = &d->slot[i];
        mc_search *s = d->s[t];
        const int *words;
        const float *att;
        if (m->heads || d->consensus)
            mc_search_set_fields(s, &m->vocab, d->o->free_fields ? NULL : m->heads, sl->cls);
        if (d->o->min_len < 0 && m->heads)
            mc_search_set_min_len(s, mc_heads_min_len(m->heads, sl->cls, m->min_len));
        sl->n = mc_search_run(s, sl->grid, &words, &sl->lp, &att);
        if (!mc_search_complete(s))
            sl->n = mc_search_clean_end(&m->vocab, words, sl->n);
        memcpy(sl->words, words, (size_t)sl->n * sizeof *words);
        if (att)
            memcpy(sl->att, att, (size_t)sl->n * m->dec.cfg.grid * sizeof *att);
    }
}

/* Make the searches of threads 0..n-1 that do not exist yet. */
static void make_searches(decoders *d, int n)
{
    char err[256];
    for (; d->made < n; d->made++) {
        mc_decoder *dec = &d->m->dec;
        if (d->made > 0) {
            if (mc_capmodel_decoder_copy(d->m, &d->copy[d->made], err, sizeof err) != 0)
                mc_die(MC_EXIT_INTERNAL, "%s", err);
            dec = &d->copy[d->made].dec;
        }
        d->s[d->made] = mc_search_new(dec, &d->so);
    }
}

enum { SLOT_READY = 0, SLOT_SKIP = -1, SLOT_END = -2 };

/* Read the next frame of f (path) into sl, check it and prepare it for the
 * decoder (context, fields, --index vote).  Returns SLOT_READY, SLOT_SKIP
 * for a frame to pass over (pooled, or bad with --keep-going, counted in
 * *skipped), SLOT_END at the end of the stream (*r tells a clean end from
 * a bad stream, whose message is left in err), or an exit status (the
 * message printed). */
static int fill_slot(decoders *d, slot *sl, FILE *f, const char *model, const char *path, long *k,
                     dc_consensus *cons, long *skipped, int *r, char *err, size_t errlen)
{
    mc_capmodel *m = d->m;
    int rc = 0, crc_ok = 1;
    if ((*r = mc_frame_read_ex(f, &sl->fr, 0, &crc_ok, err, errlen)) != MC_FRAME_OK)
        return SLOT_END;
    sl->k = ++*k;
    sl->rec = NULL;
    if (!crc_ok) { /* the header's CRC was right: the stream is still in step */
        mc_err_at(path, *k, "frame CRC mismatch (record or features damaged)");
        rc = MC_EXIT_INPUT;
    } else if (!(sl->rec = mc_frame_record(&sl->fr, path, *k))) {
        rc = MC_EXIT_INPUT;
    } else if (mc_record_is_pooled(sl->rec)) {
        cJSON_Delete(sl->rec);
        sl->rec = NULL;
        return SLOT_SKIP;
    } else if ((rc = check_features(&sl->fr, sl->rec, path, *k)) == 0) {
        rc = check_match(m, model, path, *k, sl->rec, &sl->fr);
    }
    if (rc != 0) {
        cJSON_Delete(sl->rec);
        sl->rec = NULL;
        if (rc == MC_EXIT_INPUT && d->o->keep_going) {
            (*skipped)++;
            return SLOT_SKIP;
        }
        return rc;
    }
    sl->grid = add_context(m, sl->rec, sl->fr.data, sl->cgrid, d->o->no_context);
    if (m->heads)
        add_fields(sl->rec, m->heads, sl->grid, m->dec.cfg.grid, sl->cls);
    if (cons) {
        dc_consensus_vote(cons, sl->fr.data, m->dec.cfg.grid, m->heads, sl->cls);
        if (m->heads)
            vote_fields(sl->rec, m->heads, sl->cls);
    }
    return 0;
}

/* Write slot sl's caption record (freeing it).  Returns 0 or MC_EXIT_IO. */
static int write_slot(const decoders *d, slot *sl, dc_consensus *cons)
{
    const mc_capmodel *m = d->m;
    char *text = mc_vocab_decode(&m->vocab, sl->words, sl->n);
    int own = 1, rc = 0;
    if (cons) {
        const char *from;
        char *chosen = dc_consensus_choose(cons, text, m->heads, sl->cls, &from);
        free(text);
        text = chosen;
        cJSON_DeleteItemFromObjectCaseSensitive(sl->rec, "caption_source");
        cJSON_AddStringToObject(sl->rec, "caption_source", from ? from : "model");
        own = from == NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(sl->rec, "caption");
    cJSON_DeleteItemFromObjectCaseSensitive(sl->rec, "logprob");
    cJSON_DeleteItemFromObjectCaseSensitive(sl->rec, "attention");
    cJSON_AddStringToObject(sl->rec, "caption", text);
    cJSON_AddNumberToObject(sl->rec, "logprob", round(sl->lp * 1e4) / 1e4);
    if (d->o->attention && own) /* a neighbour's caption has no attention of its own */
        add_attention(sl->rec, sl->att, sl->n, m->gh, m->gw);
    free(text);
    if (mc_record_write(stdout, sl->rec) != 0)
        rc = mc_stdout_error();
    cJSON_Delete(sl->rec);
    sl->rec = NULL;
    mc_progress_add(1);
    return rc;
}

/* Caption the frames of path on threads: read as many frames as there are
 * threads, decode them at once, write their records in order, repeat (one
 * at a time with --index, whose vote and choice go together).  Returns 0
 * or an exit status; the records before a bad frame are written. */
static int decode_stream(mc_capmodel *m, const options *o, const char *model, const char *path,
                         dc_consensus *cons, long *skipped)
{
    FILE *f = mc_open_in(path);
    int nt = cons ? 1 : (int)o->threads;
    decoders d = {.m = m, .o = o, .consensus = cons != NULL,
                  .so = {.beam = (int)o->beam, .length_penalty = (float)o->length_penalty,
                         .no_repeat_ngram = (int)o->no_repeat,
                         .max_len = o->max_len ? (int)o->max_len : m->dec.cfg.max_len - 1,
                         .min_len = o->min_len >= 0 ? (int)o->min_len : m->min_len,
                         .attention = o->attention, .vocab = &m->vocab}};
    size_t G = (size_t)m->dec.cfg.grid, L = (size_t)m->dec.cfg.max_len;
    mc_pool *pool = mc_pool_new(nt);
    char err[256];
    long k = 0;
    int rc = 0, r = MC_FRAME_OK, end = 0;
    d.s = mc_calloc((size_t)nt, sizeof *d.s);
    d.copy = mc_calloc((size_t)nt, sizeof *d.copy);
    d.slot = mc_calloc((size_t)nt, sizeof *d.slot);
    for (int i = 0; i < nt; i++) {
        d.slot[i].cgrid = m->ctx ? mc_malloc(G * m->dec.cfg.channels * sizeof(float)) : NULL;
        d.slot[i].words = mc_malloc(L * sizeof(int));
        d.slot[i].att = mc_malloc(L * G * sizeof(float));
    }
    if (mc_input_kind(f) == MC_INPUT_JSON) {
        mc_err_at(path, 0, "expected feature frames, got JSON text (run medcap-encode-features first)");
        rc = MC_EXIT_INPUT;
    }
    mc_progress_begin("captions", f);
    while (rc == 0 && !end) {
        int status = SLOT_READY;
        d.nslot = 0;
        while (d.nslot < nt && (status == SLOT_READY || status == SLOT_SKIP)) {
            status = fill_slot(&d, &d.slot[d.nslot], f, model, path, &k, cons, skipped, &r, err,
                               sizeof err);
            if (status == SLOT_READY)
                d.nslot++;
        }
        if (status == SLOT_END)
            end = 1;
        else if (status > 0)
            rc = status;
        make_searches(&d, d.nslot);
        mc_pool_run(pool, decode_job, &d);
        for (int i = 0; i < d.nslot; i++) {
            int wrc = write_slot(&d, &d.slot[i], cons);
            if (wrc != 0) { /* a write error ends the run before anything after it */
                rc = wrc;
                break;
            }
        }
        if (rc != 0)
            break;
    }
    mc_progress_end();
    if (rc == 0 && r == MC_FRAME_ERR) {
        mc_err_at(path, k + 1, "%s", err);
        rc = MC_EXIT_INPUT;
    }
    if (f != stdin)
        fclose(f);
    for (int i = 0; i < nt; i++) {
        cJSON_Delete(d.slot[i].rec);
        mc_frame_free(&d.slot[i].fr);
        free(d.slot[i].cgrid), free(d.slot[i].words), free(d.slot[i].att);
        if (i < d.made)
            mc_search_free(d.s[i]);
        if (i > 0 && i < d.made)
            mc_capmodel_decoder_copy_free(&d.copy[i]);
    }
    free(d.s), free(d.copy), free(d.slot);
    mc_pool_free(pool);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    mc_capmodel m;
    char err[600], *model;
    long skipped = 0;
    int first, status;
    mc_set_prog(argv[0]);
    first = parse_args(argc, argv, &o);
    mc_blas_setup(argv, (int)o.threads);
    o.threads = mc_blas_take_threads(); /* images are decoded on threads of their own */
    model = o.model ? mc_strdup(o.model) : mc_share_path("model.safetensors");
    if (!o.model && access(model, F_OK) != 0) {
        mc_err("no model: %s not found; give --model FILE", model);
        free(model);
        return MC_EXIT_MODEL;
    }
    status = mc_capmodel_load(&m, model, NULL, err, sizeof err);
    if (status != 0) {
        mc_err("%s", err);
        free(model);
        return status;
    }
    if (o.index) {
        dc_consensus *cons = dc_consensus_open(o.index, (int)o.neighbors, m.dec.cfg.channels, m.encoder_hash,
                                               m.heads, &status);
        if (cons)
            status = decode_stream(&m, &o, model, first < argc ? argv[first] : "-", cons, &skipped);
        dc_consensus_free(cons);
    } else {
        status = decode_stream(&m, &o, model, first < argc ? argv[first] : "-", NULL, &skipped);
    }
    mc_capmodel_free(&m);
    free(model);
    return mc_stream_end(status, skipped, "frame(s)");
}
