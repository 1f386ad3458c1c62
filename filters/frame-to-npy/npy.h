/* npy.h - writing a tensor as a NumPy .npy file (format version 1.0). */
#ifndef MEDCAP_NPY_H
#define MEDCAP_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Room enough for any header npy_header writes. */
#define NPY_HEADER_MAX 256

/* NumPy's type string for a frame dtype ("|u1", "<u2", "<f4"), or NULL. */
const char *npy_descr(int dtype);

/* The .npy header of an array of type descr and shape dims[0..ndim)
 * (ndim 0 to 4) in h (NPY_HEADER_MAX bytes): the magic "\x93NUMPY",
 * version 1.0, a dict {'descr', 'fortran_order': False, 'shape'} padded
 * with spaces and a newline to a multiple of 64 bytes.  Returns its
 * length; the data follow it. */
size_t npy_header(char *h, const char *descr, int ndim, const uint64_t *dims);

/* Write an .npy file to f: npy_header, then the nbytes of little-endian
 * C-order data.  dtype is a medcap frame dtype (MC_U8, MC_U16, MC_F32);
 * ndim 0 writes a scalar; data may be NULL when nbytes is 0 (a frame of
 * zero elements).  Returns 0, or -1 on a write error. */
int npy_write(FILE *f, int dtype, int ndim, const uint32_t *dims,
              const void *data, size_t nbytes);

#endif
