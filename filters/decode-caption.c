/* medcap-decode-caption - write a caption for each grid feature frame:
 * the frame's record plus "caption", "logprob", "fields" (when the model
 * has classifier heads: each structured field's value and probability,
 * which also fill the caption's "name: value," prefix) and, with
 * --attention, the attention weights of each word shaped as the grid.
 * Greedy decoding, or beam search with --beam K.  Frames are read and answered one at a time,
 * so memory stays flat for any stream length; pooled feature frames are
 * skipped.
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
            "  -j, --threads N          BLAS threads (default: OpenBLAS's)\n"
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
static int decode_stream(mc_capmodel *m, const options *o, const char *model, const char *path,
                         dc_consensus *cons, long *skipped)
{
    FILE *f = mc_open_in(path);
    mc_frame fr = {0};
    mc_search_opts so = {.beam = (int)o->beam, .length_penalty = (float)o->length_penalty,
                         .no_repeat_ngram = (int)o->no_repeat,
                         .max_len = o->max_len ? (int)o->max_len : m->dec.cfg.max_len - 1,
                         .min_len = o->min_len >= 0 ? (int)o->min_len : m->min_len, .attention = o->attention, .vocab = &m->vocab};
    int cls[MC_HEADS_MAX];
    mc_search *s = mc_search_new(&m->dec, &so);
    float *cgrid = m->ctx ? mc_malloc((size_t)m->dec.cfg.grid * m->dec.cfg.channels * sizeof *cgrid) : NULL;
    char err[256];
    long k = 0;
    int rc = 0, r, crc_ok = 1;
    if (mc_input_kind(f) == MC_INPUT_JSON) {
        mc_err_at(path, 0, "expected feature frames, got JSON text (run medcap-encode-features first)");
        rc = MC_EXIT_INPUT;
    }
    mc_progress_begin("captions", f);
    while (rc == 0 && (r = mc_frame_read_ex(f, &fr, 0, &crc_ok, err, sizeof err)) == MC_FRAME_OK) {
        cJSON *rec = NULL;
        const int *words;
        const float *att, *grid;
        float lp;
        char *text;
        int n;
        k++;
        if (!crc_ok) { /* the header's CRC was right: the stream is still in step */
            mc_err_at(path, k, "frame CRC mismatch (record or features damaged)");
            rc = MC_EXIT_INPUT;
        } else if (!(rec = mc_frame_record(&fr, path, k))) {
            rc = MC_EXIT_INPUT;
        } else if (mc_record_is_pooled(rec)) {
            cJSON_Delete(rec);
            continue;
        } else if ((rc = check_features(&fr, rec, path, k)) == 0) {
            rc = check_match(m, model, path, k, rec, &fr);
        }
        if (rc != 0) {
            cJSON_Delete(rec);
            if (rc == MC_EXIT_INPUT && o->keep_going) {
                (*skipped)++;
                rc = 0;
                continue;
            }
            break;
        }
        grid = add_context(m, rec, fr.data, cgrid, o->no_context);
        if (m->heads) {
            add_fields(rec, m->heads, grid, m->dec.cfg.grid, cls);
            mc_search_set_fields(s, &m->vocab, o->free_fields ? NULL : m->heads, cls);
        }
        if (cons) {
            dc_consensus_vote(cons, fr.data, m->dec.cfg.grid, m->heads, cls);
            if (m->heads)
                vote_fields(rec, m->heads, cls);
            mc_search_set_fields(s, &m->vocab, o->free_fields ? NULL : m->heads, cls);
        }
        if (o->min_len < 0 && m->heads)
            mc_search_set_min_len(s, mc_heads_min_len(m->heads, cls, m->min_len));
        n = mc_search_run(s, grid, &words, &lp, &att);
        if (!mc_search_complete(s))
            n = mc_search_clean_end(&m->vocab, words, n);
        text = mc_vocab_decode(&m->vocab, words, n);
        int own = 1;
        if (cons) {
            const char *from;
            char *chosen = dc_consensus_choose(cons, text, m->heads, cls, &from);
            free(text);
            text = chosen;
            cJSON_DeleteItemFromObjectCaseSensitive(rec, "caption_source");
            cJSON_AddStringToObject(rec, "caption_source", from ? from : "model");
            own = from == NULL;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "caption");
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "logprob");
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "attention");
        cJSON_AddStringToObject(rec, "caption", text);
        cJSON_AddNumberToObject(rec, "logprob", round(lp * 1e4) / 1e4);
        if (o->attention && own) /* a neighbour's caption has no attention of its own */
            add_attention(rec, att, n, m->gh, m->gw);
        free(text);
        if (mc_record_write(stdout, rec) != 0)
            rc = mc_stdout_error();
        cJSON_Delete(rec);
        mc_progress_add(1);
    }
    mc_progress_end();
    if (rc == 0 && r == MC_FRAME_ERR) {
        mc_err_at(path, k + 1, "%s", err);
        rc = MC_EXIT_INPUT;
    }
    if (f != stdin)
        fclose(f);
    mc_frame_free(&fr);
    mc_search_free(s);
    free(cgrid);
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
