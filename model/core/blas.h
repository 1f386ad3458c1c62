/* blas.h - OpenBLAS set-up for every compute stage: the right kernels on
 * CPUs the distribution's OpenBLAS does not recognise, and the thread count.
 *
 * Debian's OpenBLAS 0.3.21 falls back to generic (Prescott) kernels on new
 * processors, several times slower.  mc_blas_setup detects that from
 * openblas_get_corename() and the CPU's features, and re-executes the
 * program once with OPENBLAS_CORETYPE set (OpenBLAS reads it only when it
 * loads).  A user's own OPENBLAS_CORETYPE is always respected.
 */
#ifndef MEDCAP_BLAS_H
#define MEDCAP_BLAS_H

/* Call first thing in main().  May not return (re-exec with the right
 * kernels).  threads > 0 sets OpenBLAS's thread count; <= 0 keeps its
 * default (OPENBLAS_NUM_THREADS or the number of cores). */
void mc_blas_setup(char **argv, int threads);

/* OpenBLAS's thread count (as mc_blas_setup left it). */
int mc_blas_threads(void);

/* For a program that runs its own threads, each calling OpenBLAS: returns
 * OpenBLAS's thread count (as mc_blas_setup left it) and sets OpenBLAS to
 * one thread. */
int mc_blas_take_threads(void);

/* The OpenBLAS kernel set in use, e.g. "SkylakeX", for --version/--verbose. */
const char *mc_blas_corename(void);

/* The core mc_blas_setup would choose for this CPU when OpenBLAS's own
 * choice is a generic fallback ("SkylakeX", "Haswell"), or NULL when the
 * given core is already right for the CPU (or the CPU is too old). */
const char *mc_blas_better_core(const char *current);

/* Print "medcap-NAME VERSION (OpenBLAS core X)" to stdout. */
void mc_blas_print_version(void);

#endif
