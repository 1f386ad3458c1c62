/* medcap-train-embed - train the joint image-text embedding (the CLIP idea,
 * issue 7): a projection of pooled image features and a small text encoder
 * (mean of word embeddings, then a linear layer) onto one unit sphere, by
 * the symmetric InfoNCE loss over each batch with a learned temperature.
 *
 * The training set is read into memory; each epoch visits it in an order
 * shuffled from --seed, in batches of --batch, with Adam and a cosine
 * decay of the learning rate; the log temperature is clamped to
 * [0, log 100] after each step as CLIP does.  The model file is written
 * atomically at the end.
 */
#define _POSIX_C_SOURCE 200809L
#include "adamw.h"
#include "blas.h"
#include "contrastive.h"
#include "embed_model.h"
#include "prng.h"
#include "tokenizer.h"
#include "util.h"
#include "train-embed/pairs.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *train, *out, *field, *log;
    long epochs, batch, proj_dim, embed, max_len, min_freq, max_vocab, seed, threads;
    double lr;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: medcap-train-embed [OPTIONS] TRAIN.frames\n"
            "Train a joint image-text embedding (symmetric InfoNCE) on feature frames with\n"
            "captions; write an embedding model file for medcap-embed.\n\n"
            "  -o, --out FILE           model file to write (default embed.safetensors)\n"
            "      --caption-field KEY  record key of the caption (default caption)\n"
            "  -e, --epochs N           passes over the data (default 30)\n"
            "  -b, --batch N            pairs per step, the InfoNCE negatives (default 64)\n"
            "      --lr X               peak learning rate (default 1e-3)\n"
            "      --proj-dim N         embedding dimension (default 256)\n"
            "      --embed N            word embedding size (default 256)\n"
            "      --max-len N          caption words averaged (default 64)\n"
            "      --min-freq N         words seen fewer times are <unk> (default 2)\n"
            "      --max-vocab N        largest vocabulary, special tokens included (default 5000)\n"
            "      --seed N             shuffling and initial weights (default 1)\n"
            "      --log FILE           append one NDJSON metrics line per epoch\n"
            "      --threads N          BLAS threads (default: OpenBLAS's)\n"
            "  -h, --help               show this help and exit\n"
            "      --version            show the version and exit\n");
}

enum {
    O_FIELD = 256, O_LR, O_PROJ, O_EMB, O_MAXLEN, O_MINF, O_MAXV, O_SEED, O_LOG, O_THREADS,
    O_VERSION
};

static void parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"out", required_argument, NULL, 'o'}, {"caption-field", required_argument, NULL, O_FIELD},
        {"epochs", required_argument, NULL, 'e'}, {"batch", required_argument, NULL, 'b'},
        {"lr", required_argument, NULL, O_LR}, {"proj-dim", required_argument, NULL, O_PROJ},
        {"embed", required_argument, NULL, O_EMB}, {"max-len", required_argument, NULL, O_MAXLEN},
        {"min-freq", required_argument, NULL, O_MINF},
        {"max-vocab", required_argument, NULL, O_MAXV}, {"seed", required_argument, NULL, O_SEED},
        {"log", required_argument, NULL, O_LOG}, {"threads", required_argument, NULL, O_THREADS},
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    *o = (options){.out = "embed.safetensors", .field = "caption", .epochs = 30, .batch = 64,
                   .proj_dim = 256, .embed = 256, .max_len = 64, .min_freq = 2,
                   .max_vocab = 5000, .seed = 1, .lr = 1e-3};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:e:b:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case O_FIELD: o->field = optarg; break;
        case 'e': o->epochs = mc_arg_long("--epochs", optarg, 1, 100000); break;
        case 'b': o->batch = mc_arg_long("--batch", optarg, 2, 4096); break;
        case O_LR:
            if (mc_parse_double(optarg, &o->lr) != 0 || !(o->lr > 0 && o->lr <= 1))
                mc_usage_error("--lr '%s': expected a number above 0, at most 1", optarg);
            break;
        case O_PROJ: o->proj_dim = mc_arg_long("--proj-dim", optarg, 1, 65536); break;
        case O_EMB: o->embed = mc_arg_long("--embed", optarg, 1, 65536); break;
        case O_MAXLEN: o->max_len = mc_arg_long("--max-len", optarg, 1, 4096); break;
        case O_MINF: o->min_freq = mc_arg_long("--min-freq", optarg, 1, 1000000); break;
        case O_MAXV: o->max_vocab = mc_arg_long("--max-vocab", optarg, 5, 1000000); break;
        case O_SEED: o->seed = mc_arg_long("--seed", optarg, 0, 2147483647L); break;
        case O_LOG: o->log = optarg; break;
        case O_THREADS: o->threads = mc_arg_long("--threads", optarg, 1, 1024); break;
        case 'h': usage(stdout); exit(mc_close_stdout());
        case O_VERSION: mc_blas_print_version(); exit(mc_close_stdout());
        case ':': mc_usage_error("option '%s' needs a value", argv[optind - 1]);
        default: mc_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        mc_usage_error(optind == argc ? "no training file given" : "more than one training file");
    o->train = argv[optind];
}

/* Everything one training run holds. */
typedef struct {
    options o;
    pairs tr;
    mc_embed_model m;
    mc_embed_acts a;
    float *x, *diout, *dtout, *logits, *pr, *pc; /* one batch */
    int *tok_all, *len_all, *tok, *len, *order;
} trainer;

/* Vocabulary of the training captions, the model, and every caption's
 * tokens; the features are centred on their mean (stored in the model). */
static void setup(trainer *t)
{
    mc_wordcount *wc = mc_wordcount_new();
    mc_embed_config cfg = {t->tr.dim, (int)t->o.embed, (int)t->o.proj_dim, (int)t->o.max_len};
    mc_vocab v;
    size_t C = (size_t)t->tr.dim, T = (size_t)t->o.max_len, B = (size_t)t->o.batch;
    float *mean;
    for (int i = 0; i < t->tr.n; i++)
        mc_wordcount_add(wc, t->tr.caption[i]);
    mc_vocab_build(&v, wc, (int)t->o.min_freq, (int)t->o.max_vocab);
    mc_wordcount_free(wc);
    mc_embed_model_new(&t->m, &cfg, &v);
    mc_embed_model_init(&t->m, (unsigned long)t->o.seed);
    mean = mc_params_at(&t->m.p, t->m.i_mean);
    for (int i = 0; i < t->tr.n; i++)
        for (size_t c = 0; c < C; c++)
            mean[c] += t->tr.feat[i * C + c] / (float)t->tr.n;
    for (int i = 0; i < t->tr.n; i++)
        mc_embed_image_input(&t->m, t->tr.feat + i * C, t->tr.feat + i * C);
    t->tok_all = mc_calloc((size_t)t->tr.n * T, sizeof(int));
    t->len_all = mc_malloc((size_t)t->tr.n * sizeof(int));
    for (int i = 0; i < t->tr.n; i++)
        t->len_all[i] = mc_embed_tokens(&t->m, t->tr.caption[i], t->tok_all + i * T);
    mc_embed_acts_alloc(&t->a, &cfg, (int)B);
    t->x = mc_malloc(B * C * sizeof(float));
    t->diout = mc_malloc(B * cfg.proj_dim * sizeof(float));
    t->dtout = mc_malloc(B * cfg.proj_dim * sizeof(float));
    t->logits = mc_malloc(B * B * sizeof(float));
    t->pr = mc_malloc(B * B * sizeof(float));
    t->pc = mc_malloc(B * B * sizeof(float));
    t->tok = mc_malloc(B * T * sizeof(int));
    t->len = mc_malloc(B * sizeof(int));
    t->order = mc_malloc((size_t)t->tr.n * sizeof(int));
    for (int i = 0; i < t->tr.n; i++)
        t->order[i] = i;
}

/* One step on the pairs order[0..B); returns the batch's loss. */
static float step(trainer *t, const int *order, int B, float lr, long step_no)
{
    size_t C = (size_t)t->tr.dim, T = (size_t)t->o.max_len, D = (size_t)t->o.proj_dim;
    float *scale = mc_params_at(&t->m.p, t->m.i_scale), loss;
    float *g;
    for (int b = 0; b < B; b++) {
        memcpy(t->x + b * C, t->tr.feat + (size_t)order[b] * C, C * sizeof(float));
        memcpy(t->tok + b * T, t->tok_all + (size_t)order[b] * T, T * sizeof(int));
        t->len[b] = t->len_all[order[b]];
    }
    mc_embed_image_forward(&t->m, &t->a, t->x, B);
    mc_embed_text_forward(&t->m, &t->a, t->tok, t->len, B);
    loss = mc_infonce_forward(t->logits, t->pr, t->pc, t->a.iout, t->a.tout, scale[0], B, (int)D);
    mc_params_zero_grad(&t->m.p);
    g = mc_params_grad(&t->m.p);
    memset(t->diout, 0, B * D * sizeof(float));
    memset(t->dtout, 0, B * D * sizeof(float));
    mc_infonce_backward(t->diout, t->dtout, g + t->m.p.t[t->m.i_scale].offset, t->logits, t->pr,
                        t->pc, t->a.iout, t->a.tout, scale[0], B, (int)D);
    mc_embed_backward(&t->m, &t->a, t->x, t->tok, t->len, t->diout, t->dtout, B);
    mc_adamw_step(&t->m.p, lr, 0.9f, 0.98f, 1e-6f, 0.0f, step_no);
    scale[0] = fminf(fmaxf(scale[0], 0.0f), logf(100.0f));
    return loss;
}

/* The training loop; 0, or MC_EXIT_IO when the log cannot be written. */
static int train(trainer *t, FILE *logf)
{
    mc_prng r;
    long steps_per_epoch = (t->tr.n + t->o.batch - 1) / t->o.batch, s = 0;
    long total = steps_per_epoch * t->o.epochs;
    double t0 = mc_now();
    mc_prng_seed(&r, (uint64_t)t->o.seed ^ 0x5eedULL);
    for (long e = 1; e <= t->o.epochs; e++) {
        double sum = 0.0;
        int batches = 0;
        mc_prng_shuffle(&r, t->order, t->tr.n);
        for (int i = 0; i < t->tr.n; i += (int)t->o.batch) {
            int B = t->tr.n - i < t->o.batch ? t->tr.n - i : (int)t->o.batch;
            float lr = (float)(t->o.lr * 0.5 * (1.0 + cos(3.14159265358979323846 * (double)s / (double)total)));
            s++;
            if (B < 2) /* one pair has no negatives: nothing to learn */
                continue;
            sum += step(t, t->order + i, B, lr, s);
            batches++;
        }
        fprintf(stderr, "medcap-train-embed: epoch %ld/%ld loss %.4f temperature %.4f (%.1f s)\n",
                e, t->o.epochs, sum / batches, expf(-mc_params_at(&t->m.p, t->m.i_scale)[0]),
                mc_now() - t0);
        if (logf && (fprintf(logf,
                             "{\"epoch\":%ld,\"loss\":%.6f,\"logit_scale\":%.6f,\"seconds\":%.3f}\n",
                             e, sum / batches, mc_params_at(&t->m.p, t->m.i_scale)[0],
                             mc_now() - t0) < 0 ||
                     fflush(logf) != 0)) {
            mc_err("%s: cannot write the log", t->o.log);
            return MC_EXIT_IO;
        }
    }
    return 0;
}

static void trainer_free(trainer *t)
{
    free(t->x);
    free(t->diout);
    free(t->dtout);
    free(t->logits);
    free(t->pr);
    free(t->pc);
    free(t->tok_all);
    free(t->len_all);
    free(t->tok);
    free(t->len);
    free(t->order);
    if (t->a.cap)
        mc_embed_acts_free(&t->a);
    if (t->m.p.data)
        mc_embed_model_free(&t->m);
    pairs_free(&t->tr);
}

int main(int argc, char **argv)
{
    static trainer t;
    FILE *logf = NULL;
    int status;
    mc_set_prog(argv[0]);
    parse_args(argc, argv, &t.o);
    mc_blas_setup(argv, (int)t.o.threads);
    status = pairs_load(&t.tr, t.o.train, t.o.field);
    if (status == 0 && t.o.log && !(logf = fopen(t.o.log, "a"))) {
        mc_err("%s: cannot open the log for writing", t.o.log);
        status = MC_EXIT_IO;
    }
    if (status == 0) {
        setup(&t);
        status = train(&t, logf);
    }
    if (logf && fclose(logf) != 0 && status == 0) {
        mc_err("%s: cannot write the log", t.o.log);
        status = MC_EXIT_IO;
    }
    if (status == 0 && mc_embed_model_save(&t.m, t.o.out) != 0)
        status = MC_EXIT_IO;
    trainer_free(&t);
    return status ? status : mc_close_stdout();
}
