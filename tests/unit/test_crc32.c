/* test_crc32.c - mc_crc32 (model/core/crc32.c) gives zlib's crc32 value
 * for every length (short ones, the 16-byte tails, long blocks), every
 * alignment and continued from a previous CRC.
 * Exits non-zero when a check fails. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "core/crc32.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

/* Bytes from a 64-bit LCG. */
static void fill(unsigned char *b, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (unsigned char)(seed >> 56);
    }
}

/* Lengths 0-600 at offsets 0-16, then long ones, from 0 and from a CRC. */
static void test_against_zlib(void)
{
    enum { SIZE = 3 << 20 };
    unsigned char *b = malloc(SIZE);
    size_t long_n[] = {4096, 65536 + 48, 1 << 20, (3 << 20) - 17};
    int bad = 0;
    fill(b, SIZE, 11);
    for (size_t off = 0; off <= 16; off++)
        for (size_t n = 0; n <= 600; n++)
            for (uint32_t start = 0; start < 2; start++) {
                uint32_t from = start ? 0x9e3779b9u : 0;
                bad += mc_crc32(from, b + off, n) != (uint32_t)crc32(from, b + off, (uInt)n);
            }
    CHECK(bad == 0, "%d short lengths differ from zlib", bad);
    for (size_t i = 0; i < sizeof long_n / sizeof *long_n; i++) {
        size_t n = long_n[i];
        CHECK(mc_crc32(0, b + 3, n) == (uint32_t)crc32(0, b + 3, (uInt)n), "length %zu differs", n);
        CHECK(mc_crc32(mc_crc32(0, b, 1000), b + 1000, n - 1000) == (uint32_t)crc32(0, b, (uInt)n),
              "length %zu continued differs", n);
    }
    free(b);
}

int main(void)
{
    test_against_zlib();
    if (failures)
        fprintf(stderr, "test_crc32: %d checks failed\n", failures);
    return failures != 0;
}
