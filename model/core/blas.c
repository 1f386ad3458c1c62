/* blas.c - OpenBLAS kernel selection (re-exec with OPENBLAS_CORETYPE) and
 * thread count. */
#define _POSIX_C_SOURCE 200809L
#include "core/blas.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* From OpenBLAS (cblas.h declares them in newer versions only). */
char *openblas_get_corename(void);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);

#define GUARD_ENV "MEDCAP_BLAS_REEXEC"

/* 1 if name is one of the NULL-terminated list (case-insensitive). */
static int one_of(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(name, *list) == 0)
            return 1;
    return 0;
}

const char *mc_blas_better_core(const char *current)
{
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                       "SapphireRapids", NULL};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return one_of(current, avx512) ? NULL : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return one_of(current, avx2) ? NULL : "Haswell";
    return NULL;
}

void mc_blas_setup(char **argv, int threads)
{
    const char *better;
    if (!getenv("OPENBLAS_CORETYPE") && !getenv(GUARD_ENV) &&
        (better = mc_blas_better_core(openblas_get_corename())) != NULL) {
        setenv("OPENBLAS_CORETYPE", better, 1);
        setenv(GUARD_ENV, "1", 1);
        fflush(NULL);
        execv("/proc/self/exe", argv);
        /* exec failed: go on with the generic kernels */
        unsetenv("OPENBLAS_CORETYPE");
    }
    unsetenv(GUARD_ENV);
    if (threads > 0)
        openblas_set_num_threads(threads);
}

int mc_blas_threads(void)
{
    int n = openblas_get_num_threads();
    return n < 1 ? 1 : n;
}

int mc_blas_take_threads(void)
{
    int n = mc_blas_threads();
    openblas_set_num_threads(1);
    return n;
}

const char *mc_blas_corename(void) { return openblas_get_corename(); }

void mc_blas_print_version(void)
{
    printf("%s %s (OpenBLAS core %s)\n", mc_prog(), MEDCAP_VERSION, mc_blas_corename());
}
