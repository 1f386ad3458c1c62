/* fuzz_embedmodel.c - libFuzzer harness: the joint embedding model loader
 * (mc_embedder_open in model/arch/embed_model.c) as embed and retrieve -m
 * run it, then one text and one image embedded with what it loaded (a
 * loader that lets a config disagree with its tensors shows there).
 * Seed (tests/fuzz/corpus/embedmodel/): a tiny model medcap-train
 * --objective contrastive wrote from 8 frames of 4x8 features. */
#include "fuzz_util.h"
#include "arch/embed_model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_embedder e;
    char err[600];
    if (mc_embedder_open(&e, fuzz_path(data, size), err, sizeof err) != 0)
        return 0;
    (void)mc_embedder_text(&e, "axial ct of the chest shows a mass in the left lung");
    for (int i = 0; i < e.m.cfg.feature_dim; i++)
        e.feat[i] = i == 0 ? 1.0f : 0.0f;
    (void)mc_embedder_image(&e);
    mc_embedder_close(&e);
    return 0;
}
