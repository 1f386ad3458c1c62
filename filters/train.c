/* medcap-train - train a caption decoder (sat-lstm by default, or the
 * transformer) on feature frames that carry captions, or, with
 * --train-encoder, an image encoder (cnn-small or a ResNet, with seeded
 * augmentation, train/augment.h) jointly from image frames; with
 * --objective contrastive, a joint image-text embedding instead
 * (train/embed_trainer.h).  Classifier heads for the structured fields
 * (--fields, default modality, plane and category) train jointly.
 *
 * The training set is read into memory; each epoch visits it in an order
 * shuffled from --seed, in batches of --batch, with teacher forcing,
 * label-smoothed cross-entropy, AdamW, warmup then cosine decay of the
 * learning rate, and gradient clipping.  A checkpoint (model, optimizer
 * moments, position) is written atomically after every epoch and on
 * SIGINT/SIGTERM; --resume continues from one exactly.  The model file
 * (--out) is written at the end.
 *
 * Built with -DMEDCAP_MPI (medcap-train-mpi, when Debian's OpenMPI is
 * there), R processes train data-parallel: each reads the whole training
 * set, takes its share of every batch, and the gradients are averaged by
 * one MPI_Allreduce over a flat buffer before the (identical) optimiser
 * step on every rank; the losses' normalisers (tokens, the heads' weight
 * sums) are summed first, so R ranks compute one process's batch gradient
 * up to float summation order.  Rank 0 writes the model, checkpoints, log
 * and messages.
 */
#define _POSIX_C_SOURCE 200809L
#include "nn/adamw.h"
#include "core/blas.h"
#include "train/caption_bleu.h"
#include "arch/cider.h"
#include "arch/caption_model.h"
#include "arch/caption_search.h"
#include "io/frame.h"
#include "io/record_roles.h"
#include "core/mix64.h"
#include "core/prng.h"
#include "arch/tokenizer.h"
#include "train/dataset.h"
#include "core/cli.h"
#include "core/pool.h"
#include "core/progress.h"
#include "core/util.h"
#include "nn/xent.h"
#include "train/embed_trainer.h"
#include "train/augment.h"

/* Regularisation defaults of --objective contrastive (chosen on MedPix 2.0,
 * docs/contrastive.md). */
#define CON_WD 0
#define CON_DROPOUT 0.2
#define STR(x) #x
#define XSTR(x) STR(x)

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef MEDCAP_MPI
#include <mpi.h>
#endif

#define MAX_FIELDS 8

typedef struct {
    const char *train, *val, *out, *ckpt, *log, *resume, *field, *arch, *select;
    const char *fkeys[MAX_FIELDS + MC_CONTEXT_MAX]; /* the heads' fields, then the context's */
    int nf, nc;
    char *cspec[MC_CONTEXT_MAX]; /* --context: "NAME" or "NAME:KIND" */
    char cname[MC_CONTEXT_MAX][MC_CONTEXT_NAME]; /* their names */
    double ctx_drop;
    const char *init;
    double field_weight;
    long epochs, batch, seed, hidden, embed, attn, layers, heads, warmup, max_len, min_freq,
        max_vocab, threads, stop_after, proj_dim, min_len, ckpt_every;
    double lr, dropout, smoothing, clip, wd, alpha_c;
    int train_encoder, contrastive;
    int keep_ckpt; /* --keep-checkpoint */
    /* --train-encoder: --encoder-arch (NULL: cnn-small), --encoder-lr (-1:
     * half of --lr), --freeze-bn, --augment (TR_AUG_* flags, -1: default) */
    const char *encoder_arch;
    double encoder_lr;
    int freeze_bn, augment;
    const char *caption_only; /* the first caption-only option given, or NULL */
} options;

static void usage(FILE *f)
{
    fprintf(f, "Usage: %s [OPTIONS] TRAIN.frames\n", mc_prog());
#ifdef MEDCAP_MPI
    fprintf(f, "       mpirun -np R %s [OPTIONS] TRAIN.frames   (R data-parallel ranks)\n", mc_prog());
#endif
    fprintf(f,
            "Train a caption decoder on feature frames with captions; write a model file.\n"
            "With --objective contrastive, train a joint image-text embedding instead.\n\n"
            "      --objective NAME     caption (default) or contrastive\n"
            "  -o, --output FILE        model file to write (default model.safetensors, or\n"
            "                           embed.safetensors for contrastive)\n"
            "      --val FILE           validation frames: loss, BLEU-4, CIDEr-D and field\n"
            "                           accuracies after each epoch; the best epoch is kept\n"
            "                           (contrastive: by recall@1/5/10)\n"
            "      --select METRIC      cider (default), bleu4 or loss: what picks the epoch\n"
            "      --fields LIST        record keys of the structured fields that classifier\n"
            "                           heads predict (default modality,plane,category;\n"
            "                           none: no heads)\n"
            "      --field-weight X     weight of the heads' loss (default 1)\n"
            "      --context LIST       record fields known about the patient that condition\n"
            "                           the captions: NAME or NAME:category|number|text,\n"
            "                           e.g. age,sex,location,clinical_notes:text (numbers\n"
            "                           bucketed by tens); caption, --fields and identifying\n"
            "                           fields are refused\n"
            "      --context-dropout P  chance that a training sample's context field is\n"
            "                           read as unknown, so decoding works without it\n"
            "                           (default 0.25)\n"
            "      --init MODEL         start from MODEL's weights and vocabulary\n"
            "                           (fine-tuning; new context starts at zero)\n"
            "  -a, --arch NAME          decoder: sat-lstm (default) or transformer\n"
            "      --train-encoder      read image frames, train an image encoder jointly\n"
            "      --encoder-arch NAME  that encoder: cnn-small (default), resnet18, resnet34\n"
            "                           or resnet50 (--arch names the decoder)\n"
            "      --encoder-lr X       the encoder's peak learning rate, on the same schedule\n"
            "                           (default: half of --lr)\n"
            "      --freeze-bn          the encoder's batch norms keep their running statistics\n"
            "                           (their scale and shift still train)\n"
            "      --augment LIST       training images only: crop (random resized crop, area\n"
            "                           0.8-1), rotate (up to 10 degrees), jitter (brightness\n"
            "                           and contrast 0.8-1.2), or none (default\n"
            "                           crop,rotate,jitter; never a horizontal flip)\n"
            "      --caption-field KEY  record key of the caption (default caption)\n"
            "  -e, --epochs N           passes over the data (default 10)\n"
            "  -b, --batch N            samples per step (default 32; contrastive 64, the\n"
            "                           InfoNCE negatives)\n"
            "      --lr X               peak learning rate (default 4e-4; contrastive 1e-3)\n"
            "      --warmup N           warmup steps (default: 5%% of all steps)\n"
            "      --weight-decay X     AdamW decoupled weight decay (default 0; contrastive\n"
            "                           " XSTR(CON_WD) ")\n"
            "      --clip X             gradient norm limit, 0 off (default 5)\n"
            "      --label-smoothing X  (default 0.1)\n"
            "      --dropout X          (default 0.5; contrastive: of feature values and\n"
            "                           caption words, default " XSTR(CON_DROPOUT) ")\n"
            "      --alpha-c X          attention penalty weight, sat-lstm (default 0: the\n"
            "                           penalty wants sum_t alpha = 1 per cell, which\n"
            "                           captions longer than the grid cannot meet)\n"
            "      --embed N            word embedding / transformer width (default 256)\n"
            "      --proj-dim N         contrastive: joint embedding size (default 256)\n"
            "      --hidden N           LSTM state (default 512)\n"
            "      --attn-dim N         additive attention width (default 512)\n"
            "      --layers N           transformer blocks (default 2)\n"
            "      --heads N            transformer heads (default 4)\n"
            "      --max-len N          longest caption in tokens (default: the 95th percentile\n"
            "                           of the training captions; contrastive 64); longer\n"
            "                           captions are cut after a full stop where one is\n"
            "      --min-len N          fewest tokens decoding writes by default, stored in\n"
            "                           the model (default: the median training caption; 0 none)\n"
            "      --min-freq N         words seen fewer times are <unk> (default 2)\n"
            "      --max-vocab N        largest vocabulary, special tokens included (default 5000)\n"
            "      --seed N             shuffling, initial weights, dropout (default 1)\n"
            "      --log FILE           append one NDJSON metrics line per epoch\n"
            "      --checkpoint FILE    checkpoint file (default OUT.ckpt), removed at the end\n"
            "      --keep-checkpoint    keep the checkpoint after a finished run\n"
            "      --resume FILE        continue from a checkpoint\n"
            "      --checkpoint-every N also write the checkpoint every N steps within an\n"
            "                           epoch (default: at each epoch's end only)\n"
            "      --stop-after N       stop after N steps as if interrupted (testing)\n"
            "  -j, --threads N          threads of OpenBLAS and of the attention and\n"
            "                           cross-entropy layers (default: OpenBLAS's)\n"
            "  -q, --quiet              no progress bar on a terminal, no warnings\n"
            "  -h, --help               show this help and exit\n"
            "      --version            show the version and exit\n\n"
            "Options of the caption decoder (--arch, --train-encoder, --warmup, --clip,\n"
            "--label-smoothing, --alpha-c, --hidden, --attn-dim, --layers, --heads,\n"
            "--checkpoint, --checkpoint-every, --resume, --stop-after, --select, --fields,\n"
            "--field-weight, --min-len, --context, --context-dropout, --init, --encoder-arch,\n"
            "--encoder-lr, --freeze-bn, --augment) are refused with --objective contrastive.\n");
}

static double real_arg(const char *name, const char *s, double lo, double hi)
{
    double v;
    if (mc_parse_double(s, &v) != 0 || !(v >= lo && v <= hi))
        mc_usage_error("%s '%s': expected a number from %g to %g", name, s, lo, hi);
    return v;
}

/* Set o's field keys from a comma-separated list ("none": no fields). */
static void parse_fields(options *o, char *list)
{
    o->nf = 0;
    if (strcmp(list, "none") == 0)
        return;
    for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (o->nf == MAX_FIELDS)
            mc_usage_error("--fields: at most %d fields", MAX_FIELDS);
        if (strlen(k) >= MC_HEADS_NAME)
            mc_usage_error("--fields: key '%s' is too long", k);
        for (int i = 0; i < o->nf; i++)
            if (strcmp(o->fkeys[i], k) == 0)
                mc_usage_error("--fields: '%s' given twice", k);
        o->fkeys[o->nf++] = k;
    }
    if (o->nf == 0)
        mc_usage_error("--fields needs record keys, or none");
}

/* Set o's context fields from a comma-separated list of NAME[:KIND];
 * a field that is part of the caption, a head's field or an identifying
 * field is refused. */
static void parse_context(options *o, char *list)
{
    o->nc = 0;
    for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        char name[MC_CONTEXT_NAME];
        int role;
        snprintf(name, sizeof name, "%.*s", (int)strcspn(k, ":"), k);
        role = mc_record_role(name);
        if (o->nc == MC_CONTEXT_MAX)
            mc_usage_error("--context: at most %d fields", MC_CONTEXT_MAX);
        if (role == MC_ROLE_TARGET || strcmp(name, o->field) == 0)
            mc_usage_error("--context: '%s' is part of what the model writes (a target field); "
                           "it cannot be given as context", name);
        if (role == MC_ROLE_IDENTIFYING)
            mc_usage_error("--context: '%s' identifies a patient or a file; it cannot be context", name);
        o->cspec[o->nc++] = k;
    }
    if (o->nc == 0)
        mc_usage_error("--context needs record keys");
}

enum {
    O_VAL = 256, O_TENC, O_FIELD, O_LR, O_WARM, O_WD, O_CLIP, O_LS, O_DROP, O_AC, O_EMB,
    O_HID, O_ATT, O_LAY, O_HEADS, O_MAXLEN, O_MINF, O_MAXV, O_SEED, O_LOG, O_CKPT, O_RESUME,
    O_STOP, O_OUT, O_KEEPCK, O_VERSION, O_OBJ, O_PROJ, O_SELECT, O_FIELDS, O_FW, O_MINLEN, O_CONTEXT, O_CDROP, O_INIT,
    O_EARCH, O_ELR, O_FREEZE, O_AUG, O_CKEVERY
};

/* 1 when option code c only makes sense for the caption objective. */
static int caption_only(int c)
{
    switch (c) {
    case 'a': case O_TENC: case O_WARM: case O_CLIP: case O_LS: case O_AC: case O_HID:
    case O_ATT: case O_LAY: case O_HEADS: case O_CKPT: case O_RESUME: case O_STOP: case O_CKEVERY:
    case O_SELECT: case O_FIELDS: case O_FW: case O_MINLEN: case O_CONTEXT: case O_CDROP: case O_INIT:
    case O_EARCH: case O_ELR: case O_FREEZE: case O_AUG:
        return 1;
    default:
        return 0;
    }
}

/* Fill the options left unset with the defaults of the chosen objective,
 * and refuse the options that do not apply to it. */
static void objective_defaults(options *o)
{
    if (o->contrastive && o->caption_only)
        mc_usage_error("--%s does not apply to --objective contrastive", o->caption_only);
    if (!o->contrastive && o->proj_dim)
        mc_usage_error("--proj-dim applies only to --objective contrastive");
#define DEFAULT(f, cap, con) if (!o->f) o->f = o->contrastive ? (con) : (cap);
    DEFAULT(out, "model.safetensors", "embed.safetensors")
    DEFAULT(batch, 32, 64)
    DEFAULT(max_len, 0, 64) /* 0: from the training captions */
    DEFAULT(proj_dim, 0, 256)
#undef DEFAULT
    if (o->lr < 0)
        o->lr = o->contrastive ? 1e-3 : 4e-4;
    if (o->wd < 0)
        o->wd = o->contrastive ? CON_WD : 0.0;
    if (o->dropout < 0)
        o->dropout = o->contrastive ? CON_DROPOUT : 0.5;
    if (!o->contrastive && o->select && !o->val)
        mc_usage_error("--select needs --val (the metric is computed on it)");
    if (!o->select)
        o->select = "cider";
    if (o->contrastive)
        o->nf = 0;
    if (o->contrastive && o->batch < 2)
        mc_usage_error("--batch must be at least 2 with --objective contrastive (the negatives)");
}

/* Check the encoder options against --train-encoder and fill in their
 * defaults (after objective_defaults: the encoder's rate is half of --lr). */
static void encoder_defaults(options *o)
{
    const char *given = o->encoder_arch ? "encoder-arch" : o->encoder_lr >= 0 ? "encoder-lr"
                        : o->freeze_bn ? "freeze-bn" : o->augment >= 0 ? "augment" : NULL;
    if (given && !o->train_encoder)
        mc_usage_error("--%s applies only with --train-encoder", given);
    if (o->encoder_arch) {
        int k = 0;
        while (mc_encoder_archs[k] && strcmp(mc_encoder_archs[k], o->encoder_arch) != 0)
            k++;
        if (!mc_encoder_archs[k])
            mc_usage_error("--encoder-arch '%s': expected cnn-small, resnet18, resnet34 or resnet50",
                           o->encoder_arch);
    }
    if (o->encoder_lr < 0)
        o->encoder_lr = o->lr / 2;
    if (o->augment < 0)
        o->augment = TR_AUG_DEFAULT;
}

static void parse_args(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'}, {"out", required_argument, NULL, O_OUT},
        {"keep-checkpoint", no_argument, NULL, O_KEEPCK}, {"val", required_argument, NULL, O_VAL},
        {"arch", required_argument, NULL, 'a'}, {"train-encoder", no_argument, NULL, O_TENC},
        {"caption-field", required_argument, NULL, O_FIELD},
        {"epochs", required_argument, NULL, 'e'}, {"batch", required_argument, NULL, 'b'},
        {"lr", required_argument, NULL, O_LR}, {"warmup", required_argument, NULL, O_WARM},
        {"weight-decay", required_argument, NULL, O_WD}, {"clip", required_argument, NULL, O_CLIP},
        {"label-smoothing", required_argument, NULL, O_LS},
        {"dropout", required_argument, NULL, O_DROP}, {"alpha-c", required_argument, NULL, O_AC},
        {"embed", required_argument, NULL, O_EMB}, {"hidden", required_argument, NULL, O_HID},
        {"attn-dim", required_argument, NULL, O_ATT}, {"layers", required_argument, NULL, O_LAY},
        {"heads", required_argument, NULL, O_HEADS},
        {"max-len", required_argument, NULL, O_MAXLEN},
        {"min-freq", required_argument, NULL, O_MINF},
        {"max-vocab", required_argument, NULL, O_MAXV}, {"seed", required_argument, NULL, O_SEED},
        {"log", required_argument, NULL, O_LOG}, {"checkpoint", required_argument, NULL, O_CKPT},
        {"resume", required_argument, NULL, O_RESUME},
        {"stop-after", required_argument, NULL, O_STOP},
        {"checkpoint-every", required_argument, NULL, O_CKEVERY},
        {"threads", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {"objective", required_argument, NULL, O_OBJ},
        {"proj-dim", required_argument, NULL, O_PROJ},
        {"select", required_argument, NULL, O_SELECT}, {"fields", required_argument, NULL, O_FIELDS},
        {"field-weight", required_argument, NULL, O_FW}, {"min-len", required_argument, NULL, O_MINLEN},
        {"context", required_argument, NULL, O_CONTEXT},
        {"context-dropout", required_argument, NULL, O_CDROP}, {"init", required_argument, NULL, O_INIT},
        {"encoder-arch", required_argument, NULL, O_EARCH},
        {"encoder-lr", required_argument, NULL, O_ELR}, {"freeze-bn", no_argument, NULL, O_FREEZE},
        {"augment", required_argument, NULL, O_AUG},
        {NULL, 0, NULL, 0},
    };
    int c;
    /* 0 (or -1 for lr, wd and dropout): the objective's default, filled in later */
    *o = (options){.field = "caption", .arch = NULL, .epochs = 10, .seed = 1, .hidden = 512, .embed = 256,
                   .attn = 512, .layers = 2, .heads = 4, .warmup = -1, .min_freq = 2,
                   .max_vocab = 5000, .lr = -1, .dropout = -1, .wd = -1, .smoothing = 0.1, .clip = 5.0,
                   .alpha_c = 0.0, .field_weight = 1.0, .min_len = -1, .ctx_drop = 0.25,
                   .fkeys = {"modality", "plane", "category"}, .nf = 3, .encoder_lr = -1,
                   .augment = -1};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:a:e:b:j:hq", longs, NULL)) != -1) {
        if (caption_only(c) && !o->caption_only)
            for (int i = 0; longs[i].name; i++)
                if (longs[i].val == c)
                    o->caption_only = longs[i].name;
        switch (c) {
        case O_OBJ:
            if (strcmp(optarg, "caption") != 0 && strcmp(optarg, "contrastive") != 0)
                mc_usage_error("--objective '%s': expected caption or contrastive", optarg);
            o->contrastive = strcmp(optarg, "contrastive") == 0;
            break;
        case O_PROJ: o->proj_dim = mc_arg_long("--proj-dim", optarg, 1, 65536); break;
        case O_SELECT:
            if (strcmp(optarg, "cider") != 0 && strcmp(optarg, "bleu4") != 0 && strcmp(optarg, "loss") != 0)
                mc_usage_error("--select '%s': expected cider, bleu4 or loss", optarg);
            o->select = optarg;
            break;
        case O_FIELDS: parse_fields(o, optarg); break;
        case O_CONTEXT: parse_context(o, optarg); break;
        case O_CDROP: o->ctx_drop = real_arg("--context-dropout", optarg, 0, 1); break;
        case O_INIT: o->init = optarg; break;
        case O_EARCH: o->encoder_arch = optarg; break;
        case O_ELR: o->encoder_lr = real_arg("--encoder-lr", optarg, 0, 10); break;
        case O_FREEZE: o->freeze_bn = 1; break;
        case O_AUG:
            if (tr_augment_parse(optarg, &o->augment) != 0)
                mc_usage_error("--augment '%s': expected none or a list of crop, rotate, jitter", optarg);
            break;
        case O_FW: o->field_weight = real_arg("--field-weight", optarg, 0, 1000); break;
        case O_MINLEN: o->min_len = mc_arg_long("--min-len", optarg, 0, 1000); break;
        case O_OUT:
            mc_opt_deprecated("--out", "-o/--output");
            /* fall through */
        case 'o': o->out = optarg; break;
        case O_KEEPCK: o->keep_ckpt = 1; break;
        case 'q': mc_quiet = 1; break;
        case O_VAL: o->val = optarg; break;
        case 'a': o->arch = optarg; break;
        case O_TENC: o->train_encoder = 1; break;
        case O_FIELD: o->field = optarg; break;
        case 'e': o->epochs = mc_arg_long("--epochs", optarg, 1, 100000); break;
        case 'b': o->batch = mc_arg_long("--batch", optarg, 1, 4096); break;
        case O_LR: o->lr = real_arg("--lr", optarg, 0, 10); break;
        case O_WARM: o->warmup = mc_arg_long("--warmup", optarg, 0, 100000000); break;
        case O_WD: o->wd = real_arg("--weight-decay", optarg, 0, 10); break;
        case O_CLIP: o->clip = real_arg("--clip", optarg, 0, 1e6); break;
        case O_LS: o->smoothing = real_arg("--label-smoothing", optarg, 0, 0.99); break;
        case O_DROP: o->dropout = real_arg("--dropout", optarg, 0, 0.95); break;
        case O_AC: o->alpha_c = real_arg("--alpha-c", optarg, 0, 1000); break;
        case O_EMB: o->embed = mc_arg_long("--embed", optarg, 1, 8192); break;
        case O_HID: o->hidden = mc_arg_long("--hidden", optarg, 1, 8192); break;
        case O_ATT: o->attn = mc_arg_long("--attn-dim", optarg, 1, 8192); break;
        case O_LAY: o->layers = mc_arg_long("--layers", optarg, 1, 64); break;
        case O_HEADS: o->heads = mc_arg_long("--heads", optarg, 1, 64); break;
        case O_MAXLEN: o->max_len = mc_arg_long("--max-len", optarg, 1, 1000); break;
        case O_MINF: o->min_freq = mc_arg_long("--min-freq", optarg, 1, 1000000); break;
        case O_MAXV: o->max_vocab = mc_arg_long("--max-vocab", optarg, 5, 10000000); break;
        case O_SEED: o->seed = mc_arg_long("--seed", optarg, 0, 0x7fffffffL); break;
        case O_LOG: o->log = optarg; break;
        case O_CKPT: o->ckpt = optarg; break;
        case O_RESUME: o->resume = optarg; break;
        case O_STOP: o->stop_after = mc_arg_long("--stop-after", optarg, 1, 100000000); break;
        case O_CKEVERY: o->ckpt_every = mc_arg_long("--checkpoint-every", optarg, 1, 100000000); break;
        case 'j': o->threads = mc_opt_threads(optarg); break;
        case 'h': usage(stdout); exit(mc_close_stdout());
        case O_VERSION: mc_blas_print_version(); exit(mc_close_stdout());
        case ':': mc_usage_error("option '%s' needs a value", argv[optind - 1]);
        default: mc_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        mc_usage_error(optind == argc ? "no training file given" : "more than one training file given");
    o->train = argv[optind];
    if (!*o->field)
        mc_usage_error("--caption-field needs a non-empty key");
    if (o->init && o->resume)
        mc_usage_error("--init starts a new run from a model; --resume continues one: give one of them");
    for (int i = 0; i < o->nc; i++)
        for (int j = 0; j < o->nf; j++)
            if (strncmp(o->cspec[i], o->fkeys[j], strlen(o->fkeys[j])) == 0 &&
                (o->cspec[i][strlen(o->fkeys[j])] == '\0' || o->cspec[i][strlen(o->fkeys[j])] == ':'))
                mc_usage_error("--context: '%s' is a field the model predicts (--fields); it cannot be "
                               "given as context", o->fkeys[j]);
    objective_defaults(o);
    encoder_defaults(o);
}

/* ---- the run ---- */

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

/* ---- data parallelism: this process is rank dist_rank of dist_ranks ---- */
static int dist_rank = 0, dist_ranks = 1;

/* Start MPI (medcap-train-mpi) and learn this process's rank. */
static void dist_init(int *argc, char ***argv)
{
#ifdef MEDCAP_MPI
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &dist_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist_ranks);
#else
    (void)argc, (void)argv;
#endif
}

/* End MPI; status is the process's exit status (a rank that fails alone
 * aborts the others, which would otherwise wait for it). */
static int dist_finish(int status)
{
#ifdef MEDCAP_MPI
    int worst = status;
    MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return worst;
#else
    return status;
#endif
}

/* v[0..n) summed over the ranks, in place. */
static void dist_sum(double *v, int n)
{
#ifdef MEDCAP_MPI
    if (dist_ranks > 1)
        MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)v, (void)n;
#endif
}

/* The gradients of the tables p[0..n) (NULL entries skipped) averaged over
 * the ranks: one flat buffer, one allreduce. */
static void dist_average_grads(mc_params *const *p, int n)
{
#ifdef MEDCAP_MPI
    static float *flat;
    static size_t cap;
    size_t total = 0, at = 0;
    if (dist_ranks == 1)
        return;
    for (int i = 0; i < n; i++)
        total += p[i] ? p[i]->total : 0;
    if (total > cap) {
        free(flat);
        flat = mc_malloc(total * sizeof *flat);
        cap = total;
    }
    for (int i = 0; i < n; i++)
        if (p[i]) {
            memcpy(flat + at, mc_params_grad(p[i]), p[i]->total * sizeof *flat);
            at += p[i]->total;
        }
    MPI_Allreduce(MPI_IN_PLACE, flat, (int)total, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    at = 0;
    for (int i = 0; i < n; i++)
        if (p[i]) {
            float *g = mc_params_grad(p[i]);
            for (size_t k = 0; k < p[i]->total; k++)
                g[k] = flat[at + k] / (float)dist_ranks;
            at += p[i]->total;
        }
#else
    (void)p, (void)n;
#endif
}

typedef struct {
    options o;
    tr_dataset tr, va;
    mc_capmodel m;
    int V, G, C, T1;         /* T1 = max_len + 1 positions */
    long steps_per_epoch, total_steps, step;
    int epoch, batch_pos;    /* where training continues */
    int *order;
    int *len;                /* tokens of each training caption, at most max_len */
    int *tok, *tgt;          /* (B,T1) */
    float *grid, *dgrid, *x; /* batch grid (B,G,C), its gradient, images (B,ic,H,W) */
    float *logits, *dlogits; /* (B,T1,V) */
    int fcol[MC_HEADS_MAX];  /* the dataset column of each head's field */
    int *ftgt;               /* (nf,B) class targets of a batch */
    char **cvals;            /* (B,nc) context values of a batch */
    double best;             /* the selection metric of the kept epoch */
    int best_epoch;          /* 0: none kept yet */
    double epoch_loss;
    long epoch_tokens_batches;
    double t_epoch;
} trainer;

/* Token ids of caption i: input tok (<bos> w..) and target tgt (w.. <eos>),
 * padded to T; returns the steps used (words + 1). */
static int encode(const trainer *t, const char *text, int *tok, int *tgt, int T)
{
    int ids[1024], n = mc_vocab_encode(&t->m.vocab, text, ids, 1024);
    if (n > t->o.max_len) { /* cut after the last full stop that fits, when that keeps half */
        int stop = mc_vocab_id(&t->m.vocab, ".", 1), k = (int)t->o.max_len;
        while (k > 0 && ids[k - 1] != stop)
            k--;
        n = stop != MC_TOK_UNK && 2 * k >= t->o.max_len ? k : (int)t->o.max_len;
    }
    for (int k = 0; k < T; k++) {
        tok[k] = k == 0 ? MC_TOK_BOS : k <= n ? ids[k - 1] : MC_TOK_PAD;
        tgt[k] = k < n ? ids[k] : k == n ? MC_TOK_EOS : MC_TOK_PAD;
    }
    return n + 1;
}

/* Grids (B,G,C) of samples rows[0..B) of d; with an encoder, computed from
 * the images (training: batch statistics, activations kept). */
static void batch_grid(trainer *t, const tr_dataset *d, const int *rows, int B, int training)
{
    size_t gc = (size_t)t->G * t->C;
    if (!t->m.enc) {
        for (int b = 0; b < B; b++)
            memcpy(t->grid + b * gc, d->data + (size_t)rows[b] * d->item_bytes, gc * sizeof(float));
        return;
    }
    size_t px = (size_t)d->dims[0] * d->dims[1] * d->dims[2];
    for (int b = 0; b < B; b++) {
        const void *pixels = d->data + (size_t)rows[b] * d->item_bytes;
        int dtype = d->dtype;
        if (training && t->o.augment) { /* from (seed, epoch, sample): resumes exactly */
            tr_augment_image(t->x + b * px, pixels, dtype, d->dims[0], d->dims[1], d->dims[2],
                             t->o.augment, (uint64_t)t->o.seed, t->epoch, rows[b]);
            pixels = t->x + b * px, dtype = MC_F32;
        }
        mc_encoder_normalise(t->m.enc, t->x + b * px, pixels, dtype, px);
    }
    mc_encoder_forward(t->m.enc, t->grid, t->x, B, d->dims[1], d->dims[2], training);
}

/* The heads' class targets (nf,B) of samples rows[0..B) of d (-1 where
 * the value is missing or not a class of the model). */
static void field_targets(trainer *t, const tr_dataset *d, const int *rows, int B)
{
    const mc_heads *h = t->m.heads;
    for (int i = 0; i < h->nf; i++)
        for (int b = 0; b < B; b++) {
            const char *v = d->fval[(size_t)rows[b] * d->nf + t->fcol[i]];
            t->ftgt[(size_t)i * B + b] = v ? mc_heads_class(&h->f[i], v) : -1;
        }
}

/* Loss of one batch (teacher forced, plus the field heads' weighted loss);
 * with training, the backward too.  A sample's dropout streams come from
 * (seed, its row in d) alone, whatever batch or process it is in.  In a
 * data-parallel run (training, R ranks), rows[0..B) is this rank's share
 * (B may be 0): the normalisers and losses are summed over the ranks
 * first, and each rank's gradients are scaled so that their average
 * (dist_average_grads) is the whole batch's gradient; the loss returned is
 * the whole batch's. */
static double batch_loss(trainer *t, const tr_dataset *d, const int *rows, int B, int training,
                         uint64_t seed, int *count)
{
    const mc_decoder_arch *a = t->m.dec.arch;
    mc_heads *h = t->m.heads;
    int T = 1, nh = h ? h->nf : 0, dist = training && dist_ranks > 1;
    double ce = 0, extra = 0, hloss[MC_HEADS_MAX] = {0}, hw[MC_HEADS_MAX] = {0}, *wnorm = NULL;
    uint64_t *seeds = mc_malloc((size_t)(B ? B : 1) * 2 * sizeof *seeds), *ctx_seeds = seeds + B;
    *count = 0;
    for (int b = 0; b < B; b++) {
        seeds[b] = mc_mix64(seed ^ mc_mix64((uint64_t)rows[b] + 1));
        ctx_seeds[b] = seeds[b] ^ 0xc0ffee;
    }
    for (int b = 0; b < B; b++) {
        int used = encode(t, d->caption[rows[b]], t->tok + b * t->T1, t->tgt + b * t->T1, t->T1);
        T = used > T ? used : T;
    }
    if (T < t->T1) /* repack (B,T1) as (B,T) */
        for (int b = 1; b < B; b++) {
            memmove(t->tok + b * T, t->tok + b * t->T1, (size_t)T * sizeof(int));
            memmove(t->tgt + b * T, t->tgt + b * t->T1, (size_t)T * sizeof(int));
        }
    if (B > 0) {
        batch_grid(t, d, rows, B, training);
        if (t->m.ctx) {
            int nc = t->m.ctx->nf;
            for (int b = 0; b < B; b++)
                for (int i = 0; i < nc; i++)
                    t->cvals[(size_t)b * nc + i] = d->fval[(size_t)rows[b] * d->nf + t->o.nf + i];
            mc_context_forward(t->m.ctx, t->grid, B, t->G, t->cvals, nc,
                               training ? (float)t->o.ctx_drop : 0.0f, ctx_seeds);
        }
        extra = a->forward(t->m.dec.impl, t->logits, t->tok, t->tgt, t->grid, B, T, training, seeds);
        ce = mc_xent_forward(t->logits, t->logits, t->tgt, B * T, t->V, (float)t->o.smoothing, count);
        if (h) {
            field_targets(t, d, rows, B);
            mc_heads_forward(h, t->grid, B, t->G);
            mc_heads_sums(h, t->ftgt, B, hloss, hw);
        }
    }
    free(seeds);
    if (dist) { /* tokens, losses and the heads' sums over the whole batch */
        double v[3 + 2 * MC_HEADS_MAX] = {*count, ce, extra};
        for (int i = 0; i < nh; i++)
            v[3 + i] = hloss[i], v[3 + nh + i] = hw[i];
        dist_sum(v, 3 + 2 * nh);
        *count = (int)v[0], ce = v[1], extra = v[2] / dist_ranks;
        for (int i = 0; i < nh; i++)
            hloss[i] = v[3 + i], hw[i] = v[3 + nh + i] / dist_ranks;
        wnorm = hw; /* the average of the ranks' gradients divides by the whole sum */
    }
    for (int i = 0; i < nh; i++)
        extra += t->o.field_weight * (hw[i] > 0 ? hloss[i] / (hw[i] * (dist ? dist_ranks : 1)) : 0.0);
    if (training && B > 0) {
        size_t n = (size_t)B * T * t->V;
        /* R ranks' average: each scales by R over the whole batch's tokens */
        float xscale = (float)(dist ? dist_ranks : 1) / (float)(*count > 0 ? *count : 1);
        memset(t->dlogits, 0, n * sizeof(float));
        mc_xent_backward(t->dlogits, t->logits, t->tgt, B * T, t->V, (float)t->o.smoothing, xscale);
        float *dgrid = t->m.enc || t->m.ctx ? t->dgrid : NULL;
        if (dgrid)
            memset(dgrid, 0, (size_t)B * t->G * t->C * sizeof(float));
        a->backward(t->m.dec.impl, t->dlogits, dgrid);
        if (h)
            mc_heads_backward_norm(h, t->ftgt, B, t->G, (float)t->o.field_weight, wnorm, dgrid);
        if (t->m.ctx)
            mc_context_backward(t->m.ctx, dgrid, B, t->G);
        if (t->m.enc)
            mc_encoder_backward(t->m.enc, t->dgrid);
    }
    return ce / (*count > 0 ? *count : 1) + extra;
}

static float lr_at(const trainer *t, long step)
{
    long warm = t->o.warmup;
    if (step < warm)
        return (float)(t->o.lr * (double)(step + 1) / (double)warm);
    if (t->total_steps <= warm)
        return (float)t->o.lr;
    double p = (double)(step - warm) / (double)(t->total_steps - warm);
    return (float)(t->o.lr * 0.5 * (1.0 + cos(3.14159265358979323846 * p)));
}

/* One optimizer step over the decoder (and encoder) parameters. */
static void optimizer_step(trainer *t, float lr)
{
    mc_params *ep = t->m.enc ? mc_encoder_params(t->m.enc) : NULL,
              *hp = t->m.heads ? &t->m.heads->p : NULL, *cp = t->m.ctx ? &t->m.ctx->p : NULL;
    float nd = mc_clip_grad_norm(&t->m.dparams, 0), ne = ep ? mc_clip_grad_norm(ep, 0) : 0,
          nh = hp ? mc_clip_grad_norm(hp, 0) : 0, nc = cp ? mc_clip_grad_norm(cp, 0) : 0;
    float norm = sqrtf(nd * nd + ne * ne + nh * nh + nc * nc);
    if (t->o.clip > 0 && norm > t->o.clip) {
        /* one global norm over all tables: clip each to its share */
        float s = (float)t->o.clip / (norm + 1e-6f);
        mc_clip_grad_norm(&t->m.dparams, nd * s);
        if (ep)
            mc_clip_grad_norm(ep, ne * s);
        if (hp)
            mc_clip_grad_norm(hp, nh * s);
        if (cp)
            mc_clip_grad_norm(cp, nc * s);
    }
    mc_adamw_step(&t->m.dparams, lr, 0.9f, 0.999f, 1e-8f, (float)t->o.wd, t->step + 1);
    if (ep) /* its own rate on the same schedule; no decay of batch-norm parameters */
        mc_adamw_step_nd(ep, (float)(lr * (t->o.lr > 0 ? t->o.encoder_lr / t->o.lr : 0.0)), 0.9f,
                         0.999f, 1e-8f, (float)t->o.wd, t->step + 1, 2);
    if (hp)
        mc_adamw_step(hp, lr, 0.9f, 0.999f, 1e-8f, (float)t->o.wd, t->step + 1);
    if (cp) /* no decay: an embedding bag */
        mc_adamw_step(cp, lr, 0.9f, 0.999f, 1e-8f, 0.0f, t->step + 1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The epoch's visiting order, fixed by seed and epoch: shuffled; then, in
 * windows of BUCKET_BATCHES batches, sorted by caption length, so that a
 * batch pads few steps; then the full batches in shuffled order (a last,
 * partial batch stays last). */
#define BUCKET_BATCHES 16
static void epoch_order(trainer *t, int epoch)
{
    mc_prng r;
    int n = t->tr.n, B = (int)t->o.batch, nb = n / B, W = B * BUCKET_BATCHES;
    uint64_t *key = mc_malloc((size_t)(W < n ? W : n) * sizeof *key);
    int *perm = mc_malloc((size_t)(nb ? nb : 1) * sizeof *perm), *tmp = mc_malloc((size_t)n * sizeof *tmp);
    mc_prng_seed(&r, (uint64_t)t->o.seed * 1000003u + (uint64_t)epoch);
    for (int i = 0; i < n; i++)
        t->order[i] = i;
    mc_prng_shuffle(&r, t->order, n);
    for (int s = 0; s < n; s += W) {
        int m = n - s < W ? n - s : W;
        for (int i = 0; i < m; i++)
            key[i] = (uint64_t)t->len[t->order[s + i]] << 32 | (uint32_t)i;
        qsort(key, (size_t)m, sizeof *key, cmp_u64);
        for (int i = 0; i < m; i++)
            tmp[i] = t->order[s + (int)(uint32_t)key[i]];
        memcpy(t->order + s, tmp, (size_t)m * sizeof *tmp);
    }
    for (int b = 0; b < nb; b++)
        perm[b] = b;
    mc_prng_shuffle(&r, perm, nb);
    memcpy(tmp, t->order, (size_t)n * sizeof *tmp);
    for (int b = 0; b < nb; b++)
        memcpy(t->order + (size_t)b * B, tmp + (size_t)perm[b] * B, (size_t)B * sizeof *tmp);
    free(key), free(perm), free(tmp);
}

/* What validation measures. */
typedef struct {
    double loss, bleu4, cider;
    double acc[MC_HEADS_MAX]; /* per head: accuracy over records with a known class */
} val_scores;

/* Validation loss (teacher forced, no dropout) and greedy captions as
 * decode-caption writes them by default (heads' fields forced, no repeated
 * trigram): their BLEU-4 and CIDEr-D, and the heads' accuracies. */
static void validate(trainer *t, val_scores *vs)
{
    mc_search_opts so = {.beam = 1, .max_len = (int)t->o.max_len, .no_repeat_ngram = MC_DEFAULT_NO_REPEAT,
                         .min_len = t->m.min_len, .vocab = &t->m.vocab};
    mc_search *s = mc_search_new(&t->m.dec, &so);
    mc_heads *h = t->m.heads;
    tr_bleu bl;
    mc_cider_df cd;
    mc_grams *gh = mc_malloc((size_t)t->va.n * sizeof *gh), *gr = mc_malloc((size_t)t->va.n * sizeof *gr);
    double sum = 0, cider = 0;
    long count_all = 0, right[MC_HEADS_MAX] = {0}, known[MC_HEADS_MAX] = {0};
    int ref[1024], cls[MC_HEADS_MAX];
    tr_bleu_init(&bl);
    mc_cider_df_init(&cd);
    for (int i = 0; i < t->va.n; i += (int)t->o.batch) {
        int rows[4096], B = t->va.n - i < t->o.batch ? t->va.n - i : (int)t->o.batch, count;
        for (int b = 0; b < B; b++)
            rows[b] = i + b;
        sum += batch_loss(t, &t->va, rows, B, 0, 0, &count) * count;
        count_all += count;
        for (int b = 0; b < B; b++) {
            const int *words;
            float lp;
            int n, nr;
            for (int f = 0; h && f < h->nf; f++) {
                int want = t->ftgt[(size_t)f * B + b];
                cls[f] = mc_heads_argmax(h, f, b, NULL);
                known[f] += want >= 0;
                right[f] += want >= 0 && want == cls[f];
            }
            mc_search_set_fields(s, &t->m.vocab, h, cls);
            mc_search_set_min_len(s, mc_heads_min_len(h, cls, t->m.min_len));
            n = mc_search_run(s, t->grid + (size_t)b * t->G * t->C, &words, &lp, NULL);
            if (!mc_search_complete(s))
                n = mc_search_clean_end(&t->m.vocab, words, n);
            nr = mc_vocab_encode(&t->m.vocab, t->va.caption[i + b], ref, 1024);
            nr = nr < 1024 ? nr : 1024;
            tr_bleu_add(&bl, words, n, ref, nr);
            mc_grams_make(&gh[i + b], words, n);
            mc_grams_make(&gr[i + b], ref, nr);
            mc_cider_df_add(&cd, &gr[i + b]);
        }
    }
    vs->loss = count_all ? sum / count_all : 0;
    vs->bleu4 = tr_bleu_score(&bl);
    for (int i = 0; i < t->va.n; i++) {
        cider += mc_cider_pair(&cd, &gh[i], &gr[i]);
        mc_grams_free(&gh[i]);
        mc_grams_free(&gr[i]);
    }
    vs->cider = cider / t->va.n;
    free(gh);
    free(gr);
    for (int f = 0; h && f < h->nf; f++)
        vs->acc[f] = known[f] ? (double)right[f] / (double)known[f] : 0;
    mc_cider_df_free(&cd);
    mc_search_free(s);
}

/* The selection metric of vs, larger is better. */
static double select_value(const trainer *t, const val_scores *vs)
{
    return strcmp(t->o.select, "loss") == 0 ? -vs->loss : strcmp(t->o.select, "bleu4") == 0 ? vs->bleu4 : vs->cider;
}

static cJSON *train_state(const trainer *t)
{
    cJSON *o = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    char *s;
    cJSON_AddNumberToObject(o, "epoch", t->epoch);
    cJSON_AddNumberToObject(o, "batch_pos", t->batch_pos);
    cJSON_AddNumberToObject(o, "step", (double)t->step);
    cJSON_AddNumberToObject(o, "samples", t->tr.n);
    cJSON_AddNumberToObject(o, "ranks", dist_ranks);
#define NUM(f) cJSON_AddNumberToObject(o, #f, (double)t->o.f);
    NUM(epochs) NUM(batch) NUM(seed) NUM(warmup) NUM(max_len) NUM(lr) NUM(smoothing) NUM(clip)
    NUM(wd) NUM(field_weight) NUM(encoder_lr) NUM(freeze_bn) NUM(augment)
#undef NUM
    cJSON_AddNumberToObject(o, "best", t->best);
    cJSON_AddNumberToObject(o, "best_epoch", t->best_epoch);
    cJSON_AddStringToObject(o, "caption_field", t->o.field);
    s = cJSON_PrintUnformatted(o);
    cJSON_AddStringToObject(meta, "train_state", s);
    free(s);
    cJSON_Delete(o);
    return meta;
}

/* With a jointly trained encoder, features for this model come from its
 * current weights: record their hash. */
static void update_encoder_hash(trainer *t)
{
    if (t->m.enc)
        snprintf(t->m.encoder_hash, sizeof t->m.encoder_hash, "%s", mc_encoder_hash(t->m.enc));
}

/* Add the encoder's input, for the tools that feed it images: "input_size"
 * "[H,W]" and "input_channels" "C", and how its training images were
 * augmented, "encoder_augment" (--augment's words; strings, as all
 * metadata), when the model trains from images. */
static void add_input_meta(const trainer *t, cJSON *meta)
{
    char v[64];
    if (!t->m.enc || !t->tr.images)
        return;
    snprintf(v, sizeof v, "[%d,%d]", t->tr.dims[1], t->tr.dims[2]);
    cJSON_AddStringToObject(meta, "input_size", v);
    snprintf(v, sizeof v, "%d", t->tr.dims[0]);
    cJSON_AddStringToObject(meta, "input_channels", v);
    tr_augment_name(t->o.augment, v, sizeof v);
    cJSON_AddStringToObject(meta, "encoder_augment", v);
}

/* Write the model file --out with its input metadata; 0 or MC_EXIT_IO. */
static int save_model(trainer *t)
{
    cJSON *meta;
    int rc;
    if (dist_rank > 0) /* rank 0 writes for all */
        return 0;
    meta = cJSON_CreateObject();
    add_input_meta(t, meta);
    rc = mc_capmodel_save(&t->m, t->o.out, 0, meta);
    cJSON_Delete(meta);
    return rc ? MC_EXIT_IO : 0;
}

static int save_checkpoint(trainer *t)
{
    if (dist_rank > 0) /* rank 0 writes for all */
        return 0;
    update_encoder_hash(t);
    cJSON *meta = train_state(t);
    add_input_meta(t, meta);
    int rc = mc_capmodel_save(&t->m, t->o.ckpt, 1, meta);
    cJSON_Delete(meta);
    return rc ? MC_EXIT_IO : 0;
}

/* Restore the position and the training options from a checkpoint. */
static int restore(trainer *t, const mc_st_file *f)
{
    const char *s = mc_st_meta(f, "train_state");
    cJSON *o = s ? cJSON_Parse(s) : NULL, *x;
    char err[300];
    int ok = cJSON_IsObject(o);
#define GET(f, dst)                                                                                \
    if (ok && cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, #f)))                         \
        dst = x->valuedouble;                                                                      \
    else                                                                                           \
        ok = 0;
    double v = 0;
    GET(epoch, v) t->epoch = (int)v;
    GET(batch_pos, v) t->batch_pos = (int)v;
    GET(step, v) t->step = (long)v;
    GET(samples, v)
    if (ok && (int)v != t->tr.n) {
        mc_err("%s: checkpoint was trained on %d samples, %s has %d", t->o.resume, (int)v,
               t->o.train, t->tr.n);
        cJSON_Delete(o);
        return MC_EXIT_INPUT;
    }
    x = ok ? cJSON_GetObjectItemCaseSensitive(o, "ranks") : NULL; /* absent: one process */
    if (ok && (cJSON_IsNumber(x) ? x->valueint : 1) != dist_ranks) {
        mc_err("%s: checkpoint was trained by %d processes; resume it with as many (this run has %d)",
               t->o.resume, cJSON_IsNumber(x) ? x->valueint : 1, dist_ranks);
        cJSON_Delete(o);
        return MC_EXIT_USAGE;
    }
    GET(epochs, v) t->o.epochs = (long)v;
    GET(batch, v) t->o.batch = (long)v;
    GET(seed, v) t->o.seed = (long)v;
    GET(warmup, v) t->o.warmup = (long)v;
    GET(max_len, v) t->o.max_len = (long)v;
    GET(lr, t->o.lr) GET(smoothing, t->o.smoothing) GET(clip, t->o.clip) GET(wd, t->o.wd)
    GET(field_weight, t->o.field_weight) GET(best, t->best)
    GET(best_epoch, v) t->best_epoch = (int)v;
#undef GET
    /* the encoder's settings; a checkpoint older than them trained as these defaults */
    t->o.encoder_lr = t->o.lr, t->o.freeze_bn = 0, t->o.augment = 0;
    if (ok && cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "encoder_lr")))
        t->o.encoder_lr = x->valuedouble;
    if (ok && cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "freeze_bn")))
        t->o.freeze_bn = x->valueint != 0;
    if (ok && cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "augment")))
        t->o.augment = x->valueint & TR_AUG_DEFAULT;
    cJSON_Delete(o);
    if (!ok) {
        mc_err("%s: not a training checkpoint (no valid 'train_state' metadata)", t->o.resume);
        return MC_EXIT_MODEL;
    }
    if (mc_capmodel_load_moments(&t->m, f, err, sizeof err) != 0) {
        mc_err("%s", err);
        return MC_EXIT_MODEL;
    }
    return 0;
}

static void count_word(const char *w, size_t len, void *ctx)
{
    (void)w, (void)len;
    (*(int *)ctx)++;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The longest caption to train on when --max-len is not given: the 95th
 * percentile of the training captions' token counts (at least 8, at most
 * 500), so that nearly every caption is learnt whole, with its end. */
static long caption_length_limit(const tr_dataset *d)
{
    int *len = mc_calloc((size_t)d->n, sizeof *len);
    long p;
    for (int i = 0; i < d->n; i++)
        mc_tokenize(d->caption[i], count_word, &len[i]);
    qsort(len, (size_t)d->n, sizeof *len, cmp_int);
    p = len[(int)(0.95 * (d->n - 1) + 0.5)];
    free(len);
    return p < 8 ? 8 : p > 500 ? 500 : p;
}

typedef struct {
    const char *value;
    int count;
} class_count;

static int cmp_class(const void *a, const void *b)
{
    const class_count *x = a, *y = b;
    return x->count != y->count ? (y->count > x->count) - (y->count < x->count) : strcmp(x->value, y->value);
}

/* 1 when at least half of the captions of d open with "key:". */
static int opens_captions(const tr_dataset *d, const char *key)
{
    size_t n = strlen(key);
    int yes = 0;
    for (int i = 0; i < d->n; i++) {
        const char *c = d->caption[i];
        while (*c == ' ')
            c++;
        yes += strncmp(c, key, n) == 0 && c[n] == ':';
    }
    return 2 * yes >= d->n;
}

/* Classifier heads for the --fields that have at least two values in the
 * training set: classes by decreasing frequency, loss weights
 * sqrt(N / (K n_k)) scaled to a mean of 1 over the samples (rare classes
 * count more, not as much as their rarity).  NULL when no field qualifies. */
static mc_heads *build_heads(trainer *t)
{
    const tr_dataset *d = &t->tr;
    mc_heads *h = mc_heads_new(t->C);
    char err[200];
    for (int j = 0; j < t->o.nf; j++) {
        class_count *cc = mc_malloc((size_t)d->n * sizeof *cc);
        int K = 0, N = 0;
        for (int i = 0; i < d->n; i++) {
            const char *v = d->fval[(size_t)i * d->nf + j];
            int k;
            if (!v)
                continue;
            N++;
            for (k = 0; k < K && strcmp(cc[k].value, v) != 0; k++)
                ;
            if (k == K)
                cc[K++] = (class_count){v, 0};
            cc[k].count++;
        }
        if (K < 2) {
            if (!mc_quiet)
                mc_err("note: field '%s' has %s in %s: no head for it", t->o.fkeys[j],
                       K ? "one value" : "no string values", t->o.train);
        } else {
            char **names = mc_malloc((size_t)K * sizeof *names);
            float *w = mc_malloc((size_t)K * sizeof *w);
            double mean = 0;
            qsort(cc, (size_t)K, sizeof *cc, cmp_class);
            for (int k = 0; k < K; k++) {
                names[k] = (char *)cc[k].value;
                w[k] = (float)sqrt((double)N / ((double)K * cc[k].count));
                mean += (double)w[k] * cc[k].count / N;
            }
            for (int k = 0; k < K; k++)
                w[k] = (float)(w[k] / mean);
            if (mc_heads_add(h, t->o.fkeys[j], K, names, w, err, sizeof err) != 0)
                mc_die(MC_EXIT_INTERNAL, "%s", err);
            t->fcol[h->nf - 1] = j;
            h->f[h->nf - 1].opens = opens_captions(d, t->o.fkeys[j]);
            free(names);
            free(w);
        }
        free(cc);
    }
    if (h->nf == 0) {
        mc_heads_free(h);
        return NULL;
    }
    mc_heads_alloc(h);
    mc_heads_init(h, (uint64_t)t->o.seed + 29);
    return h;
}

/* The opening field's per-class fewest decoded tokens (mc_field.min_len):
 * the median training caption of each class seen at least 10 times (the
 * X-ray captions of the COVID-19 collection are a third as long as
 * MedPix's CT captions), none with an explicit --min-len. */
static void class_min_len(trainer *t)
{
    mc_heads *h = t->m.heads;
    for (int i = 0; h && i < h->nf; i++) {
        mc_field *f = &h->f[i];
        int *lens = mc_malloc((size_t)t->tr.n * sizeof *lens);
        free(f->min_len);
        f->min_len = NULL;
        if (!f->opens || t->o.min_len >= 0) {
            free(lens);
            continue;
        }
        f->min_len = mc_calloc((size_t)f->K, sizeof *f->min_len);
        for (int k = 0; k < f->K; k++) {
            int n = 0;
            for (int s = 0; s < t->tr.n; s++) {
                const char *v = t->tr.fval[(size_t)s * t->tr.nf + t->fcol[i]];
                if (v && strcmp(v, f->classes[k]) == 0)
                    lens[n++] = t->len[s];
            }
            qsort(lens, (size_t)n, sizeof *lens, cmp_int);
            if (n >= 10)
                f->min_len[k] = lens[n / 2] < t->o.max_len ? lens[n / 2] : (int)t->o.max_len - 1;
        }
        free(lens);
    }
}

/* Build a new model: vocabulary from the training captions (and the field
 * values, so that every class can be spelt), heads for the fields. */
static int build_model(trainer *t)
{
    mc_wordcount *wc = mc_wordcount_new();
    mc_vocab v;
    mc_decoder_config cfg;
    char err[300];
    if (t->o.max_len == 0)
        t->o.max_len = caption_length_limit(&t->tr);
    for (int i = 0; i < t->tr.n; i++) {
        mc_wordcount_add(wc, t->tr.caption[i]);
        for (int j = 0; j < t->o.nf; j++)
            for (long r = 0; t->tr.fval[(size_t)i * t->tr.nf + j] && r < t->o.min_freq; r++)
                mc_wordcount_add(wc, t->tr.fval[(size_t)i * t->tr.nf + j]);
    }
    mc_vocab_build(&v, wc, (int)t->o.min_freq, (int)t->o.max_vocab);
    mc_wordcount_free(wc);
    mc_decoder_config_default(&cfg);
    cfg.grid = t->G;
    cfg.channels = t->C;
    cfg.max_len = (int)t->o.max_len + 1;
    cfg.embed = (int)t->o.embed;
    cfg.hidden = (int)t->o.hidden;
    cfg.attention = (int)t->o.attn;
    cfg.layers = (int)t->o.layers;
    cfg.heads = (int)t->o.heads;
    cfg.dropout = (float)t->o.dropout;
    cfg.alpha_c = (float)t->o.alpha_c;
    {
        /* mc_capmodel_new starts a fresh model: keep the grid and encoder */
        mc_encoder *enc = t->m.enc;
        char earch[sizeof t->m.encoder_arch];
        int gh = t->m.gh, gw = t->m.gw;
        memcpy(earch, t->m.encoder_arch, sizeof earch);
        if (mc_capmodel_new(&t->m, t->o.arch ? t->o.arch : "sat-lstm", &cfg, &v, err, sizeof err) != 0) {
            mc_vocab_free(&v);
            if (enc)
                mc_encoder_free(enc);
            mc_usage_error("%s", err);
        }
        t->m.enc = enc;
        t->m.gh = gh;
        t->m.gw = gw;
        memcpy(t->m.encoder_arch, earch, sizeof earch);
    }
    t->m.dec.arch->init(t->m.dec.impl, (uint64_t)t->o.seed);
    t->m.heads = build_heads(t);
    return 0;
}

/* The patient context of --context over the training values (E zero). */
static mc_context *build_context(trainer *t)
{
    mc_context *c = mc_context_new(t->C);
    char err[200];
    for (int i = 0; i < t->o.nc; i++)
        if (mc_context_add(c, t->o.cspec[i], err, sizeof err) != 0)
            mc_usage_error("--context: %s", err);
    mc_context_build(c, t->tr.fval + t->o.nf, t->tr.n, t->tr.nf, t->o.min_freq);
    return c;
}

/* Set up the encoder (--train-encoder) and the grid size G x C. */
static int setup_encoder(trainer *t)
{
    const tr_dataset *d = &t->tr;
    if (!d->images) {
        t->G = d->dims[0];
        t->C = d->dims[1];
        t->m.gh = d->gh;
        t->m.gw = d->gw;
        return 0;
    }
    if (!t->m.enc) {
        const char *arch = t->o.encoder_arch ? t->o.encoder_arch : "cnn-small";
        t->m.enc = mc_encoder_new(arch, d->dims[0]);
        if (!t->m.enc) {
            mc_err_at(t->o.train, 1, "image frames have %d channels; %s takes 1 to 4", d->dims[0], arch);
            return MC_EXIT_INPUT;
        }
        mc_encoder_init_random(t->m.enc, (uint64_t)t->o.seed + 17);
    } else if (t->o.encoder_arch && strcmp(t->o.encoder_arch, mc_encoder_arch(t->m.enc)) != 0) {
        mc_err("%s: model holds a %s encoder, --encoder-arch asks for %s",
               t->o.resume ? t->o.resume : t->o.init, mc_encoder_arch(t->m.enc), t->o.encoder_arch);
        return MC_EXIT_MODEL;
    }
    mc_encoder_set_freeze_bn(t->m.enc, t->o.freeze_bn);
    mc_encoder_grid(t->m.enc, d->dims[1], d->dims[2], &t->m.gh, &t->m.gw);
    t->G = t->m.gh * t->m.gw;
    t->C = mc_encoder_channels(t->m.enc);
    snprintf(t->m.encoder_arch, sizeof t->m.encoder_arch, "%s", mc_encoder_arch(t->m.enc));
    return 0;
}

/* The progress bar on a terminal: the epoch's steps done, the loss so
 * far, the speed and the time left at this epoch's pace (nb steps in secs). */
static void progress(const trainer *t, long step_in_epoch, double loss, double secs, long samples, long nb)
{
    int width = 30, fill = (int)(width * step_in_epoch / (t->steps_per_epoch ? t->steps_per_epoch : 1));
    long left = nb > 0 ? (long)((double)(t->total_steps - t->step) * secs / (double)nb + 0.5) : 0;
    fprintf(stderr, "\repoch %d/%ld [%.*s%*s] step %ld/%ld loss %.4f %.1f samples/s %ld:%02ld:%02ld left\033[K",
            t->epoch + 1, t->o.epochs, fill, "##############################", width - fill, "", t->step,
            t->total_steps, loss, secs > 0 ? samples / secs : 0.0, left / 3600, left / 60 % 60, left % 60);
}

/* Train from the current position to the end (or a stop). */
static int train(trainer *t, FILE *logf)
{
    int tty = isatty(2) && !mc_quiet && dist_rank == 0, rows[4096];
    mc_params *tables[4] = {&t->m.dparams, t->m.enc ? mc_encoder_params(t->m.enc) : NULL,
                            t->m.heads ? &t->m.heads->p : NULL, t->m.ctx ? &t->m.ctx->p : NULL};
    for (; t->epoch < t->o.epochs; t->epoch++, t->batch_pos = 0) {
        double t0 = mc_now(), loss_sum = 0;
        long nb = 0, samples = 0;
        epoch_order(t, t->epoch);
        while (t->batch_pos < t->tr.n) {
            int B = t->tr.n - t->batch_pos < t->o.batch ? t->tr.n - t->batch_pos : (int)t->o.batch, count;
            double loss;
            memcpy(rows, t->order + t->batch_pos, (size_t)B * sizeof(int));
            mc_params_zero_grad(&t->m.dparams);
            if (t->m.enc)
                mc_params_zero_grad(mc_encoder_params(t->m.enc));
            if (t->m.heads)
                mc_params_zero_grad(&t->m.heads->p);
            if (t->m.ctx)
                mc_params_zero_grad(&t->m.ctx->p);
            {   /* this rank's share of the batch */
                int lo = (int)((long)B * dist_rank / dist_ranks), hi = (int)((long)B * (dist_rank + 1) / dist_ranks);
                loss = batch_loss(t, &t->tr, rows + lo, hi - lo, 1,
                                  (uint64_t)t->o.seed * 0x9E3779B1u + (uint64_t)t->step, &count);
            }
            dist_average_grads(tables, 4);
            optimizer_step(t, lr_at(t, t->step));
            t->step++;
            t->batch_pos += B;
            loss_sum += loss;
            nb++;
            samples += B;
            if (tty)
                progress(t, t->batch_pos / t->o.batch, loss_sum / nb, mc_now() - t0, samples, nb);
            if (t->o.ckpt_every && t->step % t->o.ckpt_every == 0 && t->batch_pos < t->tr.n &&
                save_checkpoint(t) != 0)
                return MC_EXIT_IO;
            if (dist_ranks > 1) { /* every rank stops at the same step */
                double sig = stop_signal;
                dist_sum(&sig, 1);
                if (sig > 0 && !stop_signal)
                    stop_signal = SIGTERM;
            }
            if (stop_signal || (t->o.stop_after && t->step >= t->o.stop_after)) {
                int rc = save_checkpoint(t);
                if (tty)
                    fputc('\n', stderr);
                if (rc == 0 && dist_rank == 0)
                    mc_err("%s at step %ld: checkpoint written to %s", stop_signal ? "interrupted" : "stopped",
                           t->step, t->o.ckpt);
                return rc ? rc : stop_signal ? 128 + stop_signal : -1;
            }
        }
        double secs = mc_now() - t0;
        val_scores vs = {0};
        int kept = 0;
        const mc_heads *h = t->m.heads;
        if (t->o.val) {
            validate(t, &vs);
            kept = t->best_epoch == 0 || select_value(t, &vs) > t->best;
            if (kept) {
                t->best = select_value(t, &vs);
                t->best_epoch = t->epoch + 1;
                update_encoder_hash(t);
                if (save_model(t) != 0)
                    return MC_EXIT_IO;
            }
        }
        if (tty)
            fputc('\n', stderr);
        if (dist_rank > 0)
            goto next_epoch; /* rank 0 reports */
        fprintf(stderr, "epoch %d/%ld step %ld loss %.4f", t->epoch + 1, t->o.epochs, t->step,
                nb ? loss_sum / nb : 0);
        if (t->o.val) {
            fprintf(stderr, " val_loss %.4f val_bleu4 %.4f val_cider %.4f", vs.loss, vs.bleu4, vs.cider);
            for (int f = 0; h && f < h->nf; f++)
                fprintf(stderr, " %s %.3f", h->f[f].name, vs.acc[f]);
            if (kept)
                fprintf(stderr, " (kept)");
        }
        fprintf(stderr, " lr %.3g %.1f samples/s %.1f s\n", lr_at(t, t->step - 1), samples / secs, secs);
        if (logf) {
            fprintf(logf, "{\"epoch\":%d,\"step\":%ld,\"loss\":%.6g,\"lr\":%.6g,\"samples_per_s\":%.4g,\"seconds\":%.4g",
                    t->epoch + 1, t->step, nb ? loss_sum / nb : 0, lr_at(t, t->step - 1), samples / secs, secs);
            if (t->o.val) {
                fprintf(logf, ",\"val_loss\":%.6g,\"val_bleu4\":%.6g,\"val_cider\":%.6g", vs.loss, vs.bleu4,
                        vs.cider);
                for (int f = 0; h && f < h->nf; f++)
                    fprintf(logf, ",\"val_acc_%s\":%.6g", h->f[f].name, vs.acc[f]);
                fprintf(logf, ",\"kept\":%s", kept ? "true" : "false");
            }
            fprintf(logf, "}\n");
            if (fflush(logf) != 0) {
                mc_err("%s: cannot write the log", t->o.log);
                return MC_EXIT_IO;
            }
        }
    next_epoch:
        t->epoch++, t->batch_pos = 0; /* the checkpoint continues at the next epoch */
        if (save_checkpoint(t) != 0)
            return MC_EXIT_IO;
        t->epoch--;
    }
    return 0;
}

/* Load the --resume checkpoint or --init model into t->m (the checkpoint's
 * file left open in f) and take its context fields; 0 or an exit status. */
static int load_start(trainer *t, mc_st_file *f)
{
    const char *path = t->o.resume ? t->o.resume : t->o.init;
    char err[600];
    int rc;
    if ((rc = mc_capmodel_load(&t->m, path, t->o.resume ? f : NULL, err, sizeof err)) != 0) {
        mc_err("%s", err);
        return rc;
    }
    if (t->o.arch && strcmp(t->o.arch, t->m.dec.arch->name) != 0) {
        mc_err("%s: %s holds a %s decoder, --arch asks for %s", path, t->o.resume ? "checkpoint" : "model",
               t->m.dec.arch->name, t->o.arch);
        return MC_EXIT_MODEL;
    }
    if (t->o.resume && !!t->m.enc != t->o.train_encoder) {
        mc_err("%s: checkpoint %s; resume %s --train-encoder", path,
               t->m.enc ? "holds an encoder" : "holds no encoder", t->m.enc ? "with" : "without");
        return MC_EXIT_USAGE;
    }
    if (t->o.init && t->o.train_encoder && !t->m.enc) {
        mc_err("%s: model holds no encoder to train (--train-encoder)", path);
        return MC_EXIT_USAGE;
    }
    if (t->m.ctx) {
        const mc_context *c = t->m.ctx;
        int same = t->o.nc == 0 || t->o.nc == c->nf;
        for (int i = 0; same && i < t->o.nc; i++)
            same = strcmp(t->o.cname[i], c->f[i].name) == 0;
        if (!same) {
            mc_err("%s: the model takes context fields that --context does not name in order", path);
            return MC_EXIT_USAGE;
        }
        t->o.nc = c->nf;
        for (int i = 0; i < c->nf; i++)
            snprintf(t->o.cname[i], sizeof t->o.cname[i], "%s", c->f[i].name);
    } else if (t->o.resume && t->o.nc) {
        mc_err("%s: checkpoint takes no context; resume without --context", path);
        return MC_EXIT_USAGE;
    }
    return 0;
}

/* After load_start: the model's settings over the options, and each head's
 * dataset column; 0 or an exit status. */
static int adopt_model(trainer *t)
{
    const char *path = t->o.resume ? t->o.resume : t->o.init;
    t->o.max_len = t->m.dec.cfg.max_len - 1;
    for (int i = 0; t->m.heads && i < t->m.heads->nf; i++) {
        int j = 0;
        while (j < t->o.nf && strcmp(t->o.fkeys[j], t->m.heads->f[i].name) != 0)
            j++;
        if (j == t->o.nf) {
            mc_err("%s: model has a head for field '%s', which --fields leaves out", path,
                   t->m.heads->f[i].name);
            return MC_EXIT_USAGE;
        }
        t->fcol[i] = j;
    }
    if (t->o.init && t->m.enc && !t->o.train_encoder) {
        /* fine-tuning on feature frames: they must be this encoder's */
        if (strcmp(t->tr.encoder_hash, t->m.encoder_hash) != 0) {
            mc_err("%s: features of encoder %s, the model's encoder is %s (encode with -m %s, or "
                   "train on images with --train-encoder)", t->o.train, t->tr.encoder_hash,
                   t->m.encoder_hash, path);
            return MC_EXIT_MODEL;
        }
        mc_encoder_free(t->m.enc);
        t->m.enc = NULL;
    }
    return 0;
}

static int run(trainer *t)
{
    mc_st_file f;
    FILE *logf = NULL;
    int rc;
    size_t B, gc;
    for (int i = 0; i < t->o.nc; i++)
        snprintf(t->o.cname[i], sizeof t->o.cname[i], "%.*s", (int)strcspn(t->o.cspec[i], ":"),
                 t->o.cspec[i]);
    if ((t->o.resume || t->o.init) && (rc = load_start(t, &f)) != 0) {
        if (t->o.resume && t->m.dec.arch)
            mc_st_close(&f);
        return rc;
    }
    for (int i = 0; i < t->o.nc; i++)
        t->o.fkeys[t->o.nf + i] = t->o.cname[i];
    rc = tr_dataset_load(&t->tr, t->o.train, t->o.field, t->o.train_encoder, t->o.fkeys, t->o.nf + t->o.nc);
    if (rc == 0 && t->o.val)
        rc = tr_dataset_load(&t->va, t->o.val, t->o.field, t->o.train_encoder, t->o.fkeys, t->o.nf + t->o.nc);
    if (rc == 0 && t->o.resume)
        rc = restore(t, &f);
    if (t->o.resume)
        mc_st_close(&f);
    if (rc == 0 && (t->o.resume || t->o.init))
        rc = adopt_model(t);
    if (rc)
        return rc;
    if ((rc = setup_encoder(t)) != 0)
        return rc;
    if (t->o.resume || t->o.init) {
        if (t->G != t->m.dec.cfg.grid || t->C != t->m.dec.cfg.channels) {
            mc_err("%s: model expects a %d x %d grid, %s has %d x %d", t->o.resume ? t->o.resume : t->o.init,
                   t->m.dec.cfg.grid, t->m.dec.cfg.channels, t->o.train, t->G, t->C);
            return MC_EXIT_MODEL;
        }
    } else {
        build_model(t);
        if (!t->m.enc) {
            snprintf(t->m.encoder_arch, sizeof t->m.encoder_arch, "%s", t->tr.encoder);
            snprintf(t->m.encoder_hash, sizeof t->m.encoder_hash, "%s", t->tr.encoder_hash);
            if (t->tr.encoder_config[0])
                t->m.encoder_config = mc_strdup(t->tr.encoder_config);
        }
    }
    if (t->o.nc && !t->m.ctx)
        t->m.ctx = build_context(t);
    if (t->va.n && memcmp(t->va.dims, t->tr.dims, sizeof t->va.dims) != 0) {
        mc_err("%s: validation frames differ in shape from the training frames", t->o.val);
        return MC_EXIT_INPUT;
    }
    t->V = t->m.vocab.n;
    t->T1 = (int)t->o.max_len + 1;
    t->steps_per_epoch = (t->tr.n + t->o.batch - 1) / t->o.batch;
    t->total_steps = t->steps_per_epoch * t->o.epochs;
    if (t->o.warmup < 0)
        t->o.warmup = t->total_steps / 20;
    if (!t->o.ckpt) {
        size_t n = strlen(t->o.out) + 6;
        char *p = mc_malloc(n);
        snprintf(p, n, "%s.ckpt", t->o.out);
        t->o.ckpt = p;
    }
    B = (size_t)t->o.batch;
    gc = (size_t)t->G * t->C;
    t->order = mc_malloc((size_t)t->tr.n * sizeof(int));
    t->len = mc_calloc((size_t)t->tr.n, sizeof(int));
    {
        int *sorted = mc_malloc((size_t)t->tr.n * sizeof *sorted);
        long want;
        for (int i = 0; i < t->tr.n; i++) {
            mc_tokenize(t->tr.caption[i], count_word, &t->len[i]);
            t->len[i] = t->len[i] < t->o.max_len ? t->len[i] : (int)t->o.max_len;
            sorted[i] = t->len[i];
        }
        /* decoding writes at least the median training caption: the
         * decoder alone ends too early (greedy captions were half as long
         * as the references; MedPix 2.0 dev, docs/results.md) */
        qsort(sorted, (size_t)t->tr.n, sizeof *sorted, cmp_int);
        want = t->o.min_len >= 0 ? t->o.min_len : sorted[t->tr.n / 2];
        free(sorted);
        if (!t->o.resume || t->o.min_len >= 0) { /* a resumed run keeps its own unless told */
            t->m.min_len = (int)(want < t->o.max_len ? want : t->o.max_len - 1);
            class_min_len(t);
        }
    }
    t->tok = mc_malloc(B * t->T1 * sizeof(int));
    t->tgt = mc_malloc(B * t->T1 * sizeof(int));
    t->grid = mc_malloc(B * gc * sizeof(float));
    t->dgrid = mc_malloc(B * gc * sizeof(float));
    t->x = t->tr.images ? mc_malloc(B * t->tr.item_bytes / mc_dtype_size(t->tr.dtype) * sizeof(float)) : NULL;
    t->logits = mc_malloc(B * t->T1 * t->V * sizeof(float));
    t->ftgt = mc_malloc(B * MC_HEADS_MAX * sizeof(int));
    t->cvals = mc_malloc(B * MC_CONTEXT_MAX * sizeof *t->cvals);
    t->dlogits = mc_malloc(B * t->T1 * t->V * sizeof(float));
    if (t->o.log && dist_rank == 0 && !(logf = fopen(t->o.log, "a"))) {
        mc_err("%s: cannot open the log for writing", t->o.log);
        return MC_EXIT_IO;
    }
    rc = train(t, logf);
    if (logf && fclose(logf) != 0 && rc == 0) {
        mc_err("%s: cannot write the log", t->o.log);
        rc = MC_EXIT_IO;
    }
    if (rc == -1)
        return 0;
    update_encoder_hash(t);
    /* with --val, the kept epoch's model is already written */
    if (rc == 0 && !t->o.val && save_model(t) != 0)
        rc = MC_EXIT_IO;
    if (rc == 0 && t->o.val && dist_rank == 0)
        mc_err("kept epoch %d (%s %.4f) in %s", t->best_epoch, t->o.select,
               strcmp(t->o.select, "loss") == 0 ? -t->best : t->best, t->o.out);
    /* the run is done: its checkpoint has nothing left to resume */
    if (rc == 0 && dist_rank == 0 && !t->o.keep_ckpt && remove(t->o.ckpt) != 0 && errno != ENOENT)
        mc_err("%s: cannot remove the checkpoint: %s", t->o.ckpt, strerror(errno));
    return rc;
}

int main(int argc, char **argv)
{
    static trainer t;
    struct sigaction sa;
    int status;
    mc_set_prog(argv[0]);
    parse_args(argc, argv, &t.o); /* --help, --version and usage errors before MPI starts */
    dist_init(&argc, &argv);
    if (dist_rank > 0) /* rank 0 speaks for all; errors still come from every rank */
        mc_quiet = 1;
    if (dist_ranks > 1 && t.o.contrastive)
        mc_usage_error("--objective contrastive trains in one process (not with %d MPI ranks)", dist_ranks);
    if (dist_ranks > 1 && strcmp(t.o.train, "-") == 0)
        mc_usage_error("with %d MPI ranks, give the training frames as a file every rank can read",
                       dist_ranks);
    mc_blas_setup(argv, (int)t.o.threads);
    mc_rows_set_threads(mc_blas_threads()); /* attention and cross-entropy split their rows */
    if (t.o.contrastive) {
        tr_embed_train_options eo = {t.o.train, t.o.val, t.o.out, t.o.field, t.o.log, t.o.epochs,
                                  t.o.batch, t.o.proj_dim, t.o.embed, t.o.max_len, t.o.min_freq,
                                  t.o.max_vocab, t.o.seed, t.o.lr, t.o.wd, t.o.dropout};
        status = tr_embed_train_run(&eo);
        return status ? status : mc_close_stdout();
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    status = run(&t);
    free(t.order);
    free(t.len);
    free(t.tok);
    free(t.tgt);
    free(t.grid);
    free(t.dgrid);
    free(t.x);
    free(t.logits);
    free(t.dlogits);
    free(t.ftgt);
    free(t.cvals);
    mc_capmodel_free(&t.m);
    tr_dataset_free(&t.tr);
    tr_dataset_free(&t.va);
    return dist_finish(status ? status : mc_close_stdout());
}
