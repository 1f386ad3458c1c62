/* dicom_so.h - what medcap-dicom.so (model/io/dicom.cpp with GDCM, built
 * apart) and a program that reads DICOM give each other.
 *
 * The program loads the shared object at its first DICOM file
 * (model/io/dicom_load.c, RTLD_NOW | RTLD_LOCAL) and looks up the
 * MC_DCM_SO_* entry points below with dlsym; the program's dicom.h
 * functions of the same suffix call them.  The shared object in turn
 * calls, from the program (which exports them: -Wl,--export-dynamic-symbol
 * in the Makefile), mc_die and the mc_dcm_cap_* functions of
 * model/io/dicom_alloc.cpp.
 *
 * Why the allocation limit lives in the program: it replaces the global
 * operator new, and a replacement inside a shared object loaded with
 * RTLD_LOCAL would not be the one GDCM's libraries call (the program's
 * libstdc++, or AddressSanitizer's runtime, comes first in the lookup);
 * one defined in the executable is. */
#ifndef MEDCAP_IO_DICOM_SO_H
#define MEDCAP_IO_DICOM_SO_H

#include "io/dicom.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shared object's file name: in the build tree it is BIN/lib/NAME
 * (beside the programs in BIN/), installed PREFIX/lib/medcap/NAME. */
#define MC_DCM_SO_NAME "medcap-dicom.so"

/* The entry points, each as the dicom.h function of the same suffix
 * says; init switches GDCM's messages off and is called once, before any
 * other (from one thread). */
typedef void mc_dcm_so_init_fn(void);
typedef int mc_dcm_so_open_fn(const char *path, int header_only, mc_dcm **out, mc_dcm_info *info,
                              char *err, size_t errlen);
typedef int mc_dcm_so_frame_fn(mc_dcm *d, int frame, float *out, char *err, size_t errlen);
typedef void mc_dcm_so_voi_lut_fn(const mc_dcm *d, float *v, size_t n);
typedef void mc_dcm_so_close_fn(mc_dcm *d);

mc_dcm_so_init_fn mc_dcm_so_init;
mc_dcm_so_open_fn mc_dcm_so_open;
mc_dcm_so_frame_fn mc_dcm_so_frame;
mc_dcm_so_voi_lut_fn mc_dcm_so_voi_lut;
mc_dcm_so_close_fn mc_dcm_so_close;

/* From the program (model/io/dicom_alloc.cpp).  While a cap is set on a
 * thread, a single C++ allocation of more than cap bytes on that thread
 * throws std::bad_alloc before any byte is touched. */
/* Set this thread's cap (bytes, > 0) and clear its refusal mark. */
void mc_dcm_cap_begin(size_t cap);
/* Lift this thread's cap (the refusal mark stays). */
void mc_dcm_cap_end(void);
/* 1 when an allocation over this thread's cap was refused since its
 * last mc_dcm_cap_begin, else 0. */
int mc_dcm_cap_refused(void);

#ifdef __cplusplus
}
#endif

#endif
