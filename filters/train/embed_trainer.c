/* embed_trainer.c - the contrastive objective of medcap-train (see
 * embed_trainer.h). */
#define _POSIX_C_SOURCE 200809L
#include "embed_trainer.h"
#include "nn/adamw.h"
#include "nn/contrastive.h"
#include "arch/embed_model.h"
#include "pairs.h"
#include "core/prng.h"
#include "arch/tokenizer.h"
#include "core/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Token ids (n, max_len) and lengths (n) of a set's captions, and its
 * image inputs (features minus the model's mean). */
typedef struct {
    tr_pairs p;
    int *tok, *len;
} prepared;

/* Everything one training run holds. */
typedef struct {
    const tr_embed_train_options *o;
    prepared tr, va;
    mc_embed_model m;
    mc_embed_acts a;
    mc_prng drop;                               /* dropout masks */
    float *x, *diout, *dtout, *logits, *pr, *pc; /* one batch */
    int *tok, *len, *order;
    float *best;                                /* weights of the best epoch */
    double best_score;
    long best_epoch;
} trainer;

/* Turn the features of s into the model's image inputs and tokenise its
 * captions. */
static void prepare(const trainer *t, prepared *s)
{
    size_t C = (size_t)s->p.dim, T = (size_t)t->o->max_len;
    for (int i = 0; i < s->p.n; i++)
        mc_embed_image_input(&t->m, s->p.feat + i * C, s->p.feat + i * C);
    s->tok = mc_calloc((size_t)s->p.n * T, sizeof(int));
    s->len = mc_malloc((size_t)s->p.n * sizeof(int));
    for (int i = 0; i < s->p.n; i++)
        s->len[i] = mc_embed_tokens(&t->m, s->p.caption[i], s->tok + i * T);
}

static void prepared_free(prepared *s)
{
    free(s->tok);
    free(s->len);
    tr_pairs_free(&s->p);
}

/* Vocabulary of the training captions, the model (features centred on the
 * training mean, stored in the model), the tokens and the scratch. */
static void setup(trainer *t)
{
    const tr_embed_train_options *o = t->o;
    mc_wordcount *wc = mc_wordcount_new();
    mc_embed_config cfg = {t->tr.p.dim, (int)o->embed, (int)o->proj_dim, (int)o->max_len};
    mc_vocab v;
    size_t C = (size_t)t->tr.p.dim, T = (size_t)o->max_len, B = (size_t)o->batch;
    float *mean;
    for (int i = 0; i < t->tr.p.n; i++)
        mc_wordcount_add_nostop(wc, t->tr.p.caption[i]);
    mc_vocab_build(&v, wc, (int)o->min_freq, (int)o->max_vocab);
    mc_wordcount_free(wc);
    mc_embed_model_new(&t->m, &cfg, &v);
    mc_embed_model_init(&t->m, (unsigned long)o->seed);
    mean = mc_params_at(&t->m.p, t->m.i_mean);
    for (int i = 0; i < t->tr.p.n; i++)
        for (size_t c = 0; c < C; c++)
            mean[c] += t->tr.p.feat[i * C + c] / (float)t->tr.p.n;
    prepare(t, &t->tr);
    if (t->va.p.n)
        prepare(t, &t->va);
    mc_prng_seed(&t->drop, (uint64_t)o->seed ^ 0xd40bULL);
    mc_embed_acts_alloc(&t->a, &cfg, (int)B);
    t->x = mc_malloc(B * C * sizeof(float));
    t->diout = mc_malloc(B * cfg.proj_dim * sizeof(float));
    t->dtout = mc_malloc(B * cfg.proj_dim * sizeof(float));
    t->logits = mc_malloc(B * B * sizeof(float));
    t->pr = mc_malloc(B * B * sizeof(float));
    t->pc = mc_malloc(B * B * sizeof(float));
    t->tok = mc_malloc(B * T * sizeof(int));
    t->len = mc_malloc(B * sizeof(int));
    t->order = mc_malloc((size_t)t->tr.p.n * sizeof(int));
    for (int i = 0; i < t->tr.p.n; i++)
        t->order[i] = i;
    t->best_score = -1.0;
}

/* Copy training pair i into batch slot b, dropping each feature value and
 * each caption word with probability o->dropout (kept values scaled by
 * 1/(1-p); at least one word is kept). */
static void load_pair(trainer *t, int b, int i)
{
    size_t C = (size_t)t->tr.p.dim, T = (size_t)t->o->max_len;
    const float *f = t->tr.p.feat + (size_t)i * C;
    const int *tk = t->tr.tok + (size_t)i * T;
    float p = (float)t->o->dropout, keep = 1.0f / (1.0f - p);
    float *x = t->x + (size_t)b * C;
    int *tok = t->tok + (size_t)b * T, n = 0;
    if (p <= 0) {
        memcpy(x, f, C * sizeof(float));
        memcpy(tok, tk, T * sizeof(int));
        t->len[b] = t->tr.len[i];
        return;
    }
    for (size_t c = 0; c < C; c++)
        x[c] = mc_prng_uniform(&t->drop) < p ? 0.0f : f[c] * keep;
    for (int k = 0; k < t->tr.len[i]; k++)
        if (mc_prng_uniform(&t->drop) >= p)
            tok[n++] = tk[k];
    if (n == 0 && t->tr.len[i] > 0)
        tok[n++] = tk[mc_prng_below(&t->drop, (uint32_t)t->tr.len[i])];
    t->len[b] = n;
}

/* Decoupled weight decay of the weight matrices (not the biases, the
 * temperature or the feature mean): w -= lr * wd * w. */
static void decay(trainer *t, float lr)
{
    const int which[3] = {t->m.i_iw, t->m.i_emb, t->m.i_tw};
    float f = 1.0f - lr * (float)t->o->wd;
    for (int k = 0; k < 3; k++) {
        float *w = mc_params_at(&t->m.p, which[k]);
        for (size_t j = 0; j < t->m.p.t[which[k]].count; j++)
            w[j] *= f;
    }
}

/* One step on the pairs order[0..B); returns the batch's loss. */
static float step(trainer *t, const int *order, int B, float lr, long step_no)
{
    size_t D = (size_t)t->o->proj_dim;
    float *scale = mc_params_at(&t->m.p, t->m.i_scale), loss;
    float *g;
    for (int b = 0; b < B; b++)
        load_pair(t, b, order[b]);
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
    if (t->o->wd > 0)
        decay(t, lr);
    mc_adamw_step(&t->m.p, lr, 0.9f, 0.98f, 1e-6f, 0.0f, step_no);
    scale[0] = fminf(fmaxf(scale[0], 0.0f), logf(100.0f));
    return loss;
}

/* Unit embeddings of every pair of s: images into img (n, D), captions
 * into txt (n, D), a batch at a time. */
static void embed_all(trainer *t, const prepared *s, float *img, float *txt)
{
    size_t C = (size_t)s->p.dim, T = (size_t)t->o->max_len, D = (size_t)t->o->proj_dim;
    for (int i = 0; i < s->p.n; i += (int)t->o->batch) {
        int B = s->p.n - i < t->o->batch ? s->p.n - i : (int)t->o->batch;
        mc_embed_image_forward(&t->m, &t->a, s->p.feat + (size_t)i * C, B);
        mc_embed_text_forward(&t->m, &t->a, s->tok + (size_t)i * T, s->len + i, B);
        memcpy(img + (size_t)i * D, t->a.iout, (size_t)B * D * sizeof(float));
        memcpy(txt + (size_t)i * D, t->a.tout, (size_t)B * D * sizeof(float));
    }
}

/* Recall@1/5/10 of each direction on the validation pairs: r[0..3) image
 * to text, r[3..6) text to image.  An item's rank counts the others that
 * score higher, or as high and come earlier. */
static void val_recall(trainer *t, double r[6])
{
    int n = t->va.p.n;
    size_t D = (size_t)t->o->proj_dim;
    float *img = mc_malloc((size_t)n * D * sizeof(float)), *txt = mc_malloc((size_t)n * D * sizeof(float));
    float *s = mc_malloc((size_t)n * n * sizeof(float));
    static const int ks[3] = {1, 5, 10};
    embed_all(t, &t->va, img, txt);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, (int)D, 1.0f, img, (int)D, txt,
                (int)D, 0.0f, s, n);
    memset(r, 0, 6 * sizeof(double));
    for (int i = 0; i < n; i++) {
        int ri = 0, rt = 0;
        float own = s[(size_t)i * n + i];
        for (int j = 0; j < n; j++) {
            float a = s[(size_t)i * n + j], b = s[(size_t)j * n + i];
            if (j != i && (a > own || (a == own && j < i)))
                ri++;
            if (j != i && (b > own || (b == own && j < i)))
                rt++;
        }
        for (int k = 0; k < 3; k++) {
            r[k] += ri < ks[k] ? 1.0 / n : 0;
            r[3 + k] += rt < ks[k] ? 1.0 / n : 0;
        }
    }
    free(img);
    free(txt);
    free(s);
}

/* After epoch e: measure the validation recall, keep the weights when they
 * are the best so far, and write both to the log line's tail in buf. */
static void validate(trainer *t, long e, char *buf, size_t len)
{
    double r[6], mean = 0;
    val_recall(t, r);
    for (int k = 0; k < 6; k++)
        mean += r[k] / 6;
    if (mean > t->best_score) {
        size_t bytes = t->m.p.total * sizeof(float);
        if (!t->best)
            t->best = mc_malloc(bytes);
        memcpy(t->best, t->m.p.data, bytes);
        t->best_score = mean;
        t->best_epoch = e;
    }
    snprintf(buf, len,
             ",\"val_i2t_r1\":%.4f,\"val_i2t_r5\":%.4f,\"val_i2t_r10\":%.4f,"
             "\"val_t2i_r1\":%.4f,\"val_t2i_r5\":%.4f,\"val_t2i_r10\":%.4f,\"val_mean\":%.4f",
             r[0], r[1], r[2], r[3], r[4], r[5], mean);
}

/* The training loop; 0, or MC_EXIT_IO when the log cannot be written. */
static int train(trainer *t, FILE *logf)
{
    const tr_embed_train_options *o = t->o;
    mc_prng r;
    int n = t->tr.p.n;
    long steps_per_epoch = (n + o->batch - 1) / o->batch, s = 0;
    long total = steps_per_epoch * o->epochs;
    double t0 = mc_now();
    mc_prng_seed(&r, (uint64_t)o->seed ^ 0x5eedULL);
    for (long e = 1; e <= o->epochs; e++) {
        double sum = 0.0;
        int batches = 0;
        char val[400] = "";
        mc_prng_shuffle(&r, t->order, n);
        for (int i = 0; i < n; i += (int)o->batch) {
            int B = n - i < o->batch ? n - i : (int)o->batch;
            float lr = (float)(o->lr * 0.5 * (1.0 + cos(3.14159265358979323846 * (double)s / (double)total)));
            s++;
            if (B < 2) /* one pair has no negatives: nothing to learn */
                continue;
            sum += step(t, t->order + i, B, lr, s);
            batches++;
        }
        if (t->va.p.n)
            validate(t, e, val, sizeof val);
        fprintf(stderr, "epoch %ld/%ld loss %.4f temperature %.4f%s%.1f s\n", e, o->epochs,
                sum / batches, expf(-mc_params_at(&t->m.p, t->m.i_scale)[0]),
                t->va.p.n ? " (validation recall logged) " : " ", mc_now() - t0);
        if (logf && (fprintf(logf, "{\"epoch\":%ld,\"loss\":%.6f,\"logit_scale\":%.6f%s,\"seconds\":%.3f}\n",
                             e, sum / batches, mc_params_at(&t->m.p, t->m.i_scale)[0], val,
                             mc_now() - t0) < 0 ||
                     fflush(logf) != 0)) {
            mc_err("%s: cannot write the log", o->log);
            return MC_EXIT_IO;
        }
    }
    if (t->best) {
        memcpy(t->m.p.data, t->best, t->m.p.total * sizeof(float));
        fprintf(stderr, "kept the weights of epoch %ld (best mean validation recall %.4f)\n",
                t->best_epoch, t->best_score);
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
    free(t->tok);
    free(t->len);
    free(t->order);
    free(t->best);
    if (t->a.cap)
        mc_embed_acts_free(&t->a);
    if (t->m.p.data)
        mc_embed_model_free(&t->m);
    prepared_free(&t->tr);
    prepared_free(&t->va);
}

int tr_embed_train_run(const tr_embed_train_options *o)
{
    static trainer t;
    FILE *logf = NULL;
    int status;
    memset(&t, 0, sizeof t);
    t.o = o;
    status = tr_pairs_load(&t.tr.p, o->train, o->field);
    if (status == 0 && o->val) {
        status = tr_pairs_load(&t.va.p, o->val, o->field);
        if (status == 0 && t.va.p.dim != t.tr.p.dim) {
            mc_err("%s: feature size %d differs from the training frames' %d", o->val,
                   t.va.p.dim, t.tr.p.dim);
            status = MC_EXIT_INPUT;
        }
    }
    if (status == 0 && o->log && !(logf = fopen(o->log, "a"))) {
        mc_err("%s: cannot open the log for writing", o->log);
        status = MC_EXIT_IO;
    }
    if (status == 0) {
        setup(&t);
        status = train(&t, logf);
    }
    if (logf && fclose(logf) != 0 && status == 0) {
        mc_err("%s: cannot write the log", o->log);
        status = MC_EXIT_IO;
    }
    if (status == 0 && mc_embed_model_save(&t.m, o->out) != 0)
        status = MC_EXIT_IO;
    trainer_free(&t);
    return status;
}
