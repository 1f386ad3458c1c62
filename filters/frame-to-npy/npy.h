/* npy.h - writing a tensor as a NumPy .npy file (format version 1.0). */
#ifndef MEDCAP_NPY_H
#define MEDCAP_NPY_H

#include <stdint.h>
#include <stdio.h>

/* Write an .npy file to f: the magic "\x93NUMPY", version 1.0, a header
 * dict {'descr', 'fortran_order': False, 'shape'} padded with spaces to a
 * multiple of 64 bytes, then the nbytes of little-endian C-order data.
 * dtype is a medcap frame dtype (MC_U8, MC_U16, MC_F32); ndim 0 writes a
 * scalar; data may be NULL when nbytes is 0 (a frame of zero elements).
 * Returns 0, or -1 on a write error. */
int npy_write(FILE *f, int dtype, int ndim, const uint32_t *dims,
              const void *data, size_t nbytes);

#endif
