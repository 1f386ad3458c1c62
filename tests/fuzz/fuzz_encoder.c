/* fuzz_encoder.c - libFuzzer harness: the image encoder loader
 * (mc_encoder_load in model/arch/encoder.c) as encode-features runs it:
 * the safetensors file opened, its tensors read under "encoder." when its
 * metadata format is a caption model, else at the top level.
 *
 * Byte 0 picks the encoder the file is loaded into; the rest is the file.
 * The named ResNets are megabytes, so three are torchvision-shaped ResNets
 * of width 2 with one block a stage (mc_encoder_new_resnet: the same
 * loader, name rules, fc. skip and 3-to-1-channel conv1 sum):
 *   0: BasicBlocks, 1 input channel   1: BasicBlocks, 3 input channels
 *   2: Bottlenecks, 1 input channel   3: cnn-small, 1 input channel
 * Seeds (tests/fuzz/corpus/encoder/) are these tables' tensors written with
 * the encoder's random initialisation, some with "encoder." and caption
 * model metadata, extra fc.* and num_batches_tracked tensors, or 3-channel
 * conv1 weights for a 1-channel encoder. */
#include "fuzz_util.h"
#include "arch/encoder.h"
#include "io/safetensors.h"

#include <string.h>

/* A new encoder of kind k (the table above). */
static mc_encoder *pick(unsigned k)
{
    static const int layers[4] = {1, 1, 1, 1};
    switch (k % 4) {
    case 0: return mc_encoder_new_resnet(1, 2, layers, 0);
    case 1: return mc_encoder_new_resnet(3, 2, layers, 0);
    case 2: return mc_encoder_new_resnet(1, 2, layers, 1);
    default: return mc_encoder_new("cnn-small", 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_st_file f;
    mc_encoder *e;
    const char *format;
    char err[512];
    if (size < 1)
        return 0;
    if (mc_st_open(&f, fuzz_path(data + 1, size - 1), err, sizeof err) != 0)
        return 0;
    format = mc_st_meta(&f, "format");
    e = pick(data[0]);
    if (mc_encoder_load(e, &f, format && strcmp(format, "medcap-caption-model") == 0 ? "encoder." : "",
                        err, sizeof err) == 0)
        (void)mc_encoder_hash(e);
    mc_encoder_free(e);
    mc_st_close(&f);
    return 0;
}
