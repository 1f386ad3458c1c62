/* fuzz_capmodel.c - libFuzzer harness: the caption model loader
 * (mc_capmodel_load in model/arch/caption_model.c) as decode-caption and
 * train --resume run it: metadata (config, vocabulary, grid, field heads,
 * patient context), every tensor's name, shape and finiteness, then a
 * checkpoint's optimizer moments (mc_capmodel_load_moments).  A model that
 * loads then captions one grid as decode-caption does (context with no
 * values, the heads' fields forced, beam 2, attention kept, at most 12
 * words): a loader that lets metadata disagree with the tensors shows there.
 * Seeds (tests/fuzz/corpus/capmodel/): tiny models medcap-train wrote from
 * 8 frames of 4x8 features (hidden and embedding 4): sat-lstm with field
 * heads, with patient context, its checkpoint, and a transformer. */
#include "fuzz_util.h"
#include "arch/caption_model.h"
#include "arch/caption_search.h"

/* Caption a grid of 0.1s with m, as decode-caption does. */
static void decode_one(mc_capmodel *m)
{
    int G = m->dec.cfg.grid, C = m->dec.cfg.channels, cls[MC_HEADS_MAX], n;
    mc_search_opts so = {.beam = 2, .length_penalty = 1.0f, .no_repeat_ngram = MC_DEFAULT_NO_REPEAT,
                         .max_len = m->dec.cfg.max_len - 1 < 12 ? m->dec.cfg.max_len - 1 : 12,
                         .min_len = m->min_len, .attention = 1, .vocab = &m->vocab};
    char *vals[MC_CONTEXT_MAX] = {0};
    const int *words;
    const float *att;
    float lp, *grid = malloc((size_t)G * C * sizeof *grid);
    mc_search *s;
    for (size_t i = 0; i < (size_t)G * C; i++)
        grid[i] = 0.1f;
    if (m->ctx)
        mc_context_forward(m->ctx, grid, 1, G, vals, m->ctx->nf, 0.0f, 0);
    s = mc_search_new(&m->dec, &so);
    if (m->heads) {
        mc_heads_forward(m->heads, grid, 1, G);
        for (int i = 0; i < m->heads->nf; i++)
            cls[i] = mc_heads_argmax(m->heads, i, 0, &lp);
        mc_search_set_fields(s, &m->vocab, m->heads, cls);
        mc_search_set_min_len(s, mc_heads_min_len(m->heads, cls, m->min_len));
    }
    n = mc_search_run(s, grid, &words, &lp, &att);
    if (!mc_search_complete(s))
        n = mc_search_clean_end(&m->vocab, words, n);
    free(mc_vocab_decode(&m->vocab, words, n));
    mc_search_free(s);
    free(grid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_capmodel m;
    mc_st_file f;
    char err[600];
    if (mc_capmodel_load(&m, fuzz_path(data, size), &f, err, sizeof err) != 0)
        return 0;
    if (mc_st_meta(&f, "train_state"))
        (void)mc_capmodel_load_moments(&m, &f, err, sizeof err);
    decode_one(&m);
    mc_capmodel_free(&m);
    mc_st_close(&f);
    return 0;
}
