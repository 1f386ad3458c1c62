/* fuzz_safetensors.c - libFuzzer harness: the safetensors reader
 * (model/io/safetensors.c): open and validate, then read every tensor as
 * F32 and look up the metadata. */
#include "fuzz_util.h"
#include "io/safetensors.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_st_file f;
    char err[512];
    if (mc_st_open(&f, fuzz_path(data, size), err, sizeof err) != 0)
        return 0;
    (void)mc_st_meta(&f, "format");
    for (int i = 0; i < f.n; i++) {
        size_t count = 1;
        float *dst;
        for (int d = 0; d < f.t[i].ndim; d++)
            count *= (size_t)f.t[i].shape[d];
        dst = malloc(count ? count * sizeof *dst : 1);
        if (dst)
            mc_st_read_f32(&f, i, dst);
        free(dst);
        (void)mc_st_find(&f, f.t[i].name);
    }
    mc_st_close(&f);
    return 0;
}
