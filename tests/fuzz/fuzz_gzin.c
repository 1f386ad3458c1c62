/* fuzz_gzin.c - libFuzzer harness: plain-or-gzip input (model/io/gzin.c)
 * alone: peek, then every line with a 512-byte cap (longer lines are the
 * cap's error path).  The fuzz build's 4 KiB buffers make long inputs
 * cross buffer boundaries. */
#include "fuzz_util.h"
#include "io/gzin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_gzin in;
    char *line = NULL;
    size_t cap = 0, total = 0;
    long n;
    if (mc_gzin_open(&in, fuzz_path(data, size)) != 0)
        return 0;
    (void)mc_gzin_peek(&in);
    while ((n = mc_gzin_line(&in, &line, &cap, 512)) >= 0)
        total += (size_t)n;
    free(line);
    mc_gzin_close(&in);
    return total == (size_t)-1;
}
