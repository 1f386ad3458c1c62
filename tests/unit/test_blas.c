/* test_blas.c - the OpenBLAS kernel choice: generic fallbacks are replaced
 * on CPUs with AVX2 or AVX-512, recognised cores are kept.  Exits 1 on
 * failure. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "core/blas.h"

#include <stdio.h>
#include <string.h>


int main(void)
{
    const char *fix;
    __builtin_cpu_init();
    fix = mc_blas_better_core("Prescott");
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
        check(fix && strcmp(fix, "SkylakeX") == 0, "Prescott on AVX-512 becomes SkylakeX");
        check(mc_blas_better_core("Haswell") != NULL, "Haswell on AVX-512 is upgraded");
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        check(fix && strcmp(fix, "Haswell") == 0, "Prescott on AVX2 becomes Haswell");
        check(mc_blas_better_core("Zen") == NULL, "Zen on AVX2 is kept");
    } else {
        check(fix == NULL, "no better core on an old CPU");
    }
    check(mc_blas_better_core("SkylakeX") == NULL || !__builtin_cpu_supports("avx2"),
          "SkylakeX is never replaced");
    check(mc_blas_corename() && mc_blas_corename()[0], "OpenBLAS reports a core name");
    printf("%s (core %s)\n", failures ? "FAILED" : "all ok", mc_blas_corename());
    return failures ? 1 : 0;
}
