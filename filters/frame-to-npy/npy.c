/* npy.c - NumPy .npy writer (see npy.h). */
#define _POSIX_C_SOURCE 200809L
#include "npy.h"
#include "io/frame.h"

#include <string.h>

const char *npy_descr(int dtype)
{
    switch (dtype) {
    case MC_U8: return "|u1";
    case MC_U16: return "<u2";
    case MC_F32: return "<f4";
    default: return NULL;
    }
}

size_t npy_header(char *h, const char *descr, int ndim, const uint64_t *dims)
{
    const size_t cap = NPY_HEADER_MAX - 1;
    int n = 10; /* the preamble, filled in below */
    n += snprintf(h + n, cap - n, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++)
        n += snprintf(h + n, cap - n, "%llu, ", (unsigned long long)dims[i]);
    if (ndim > 0)
        n -= ndim == 1 ? 1 : 2; /* (5,) for one dim, (2, 3) for more */
    n += snprintf(h + n, cap - n, "), }");
    /* preamble + header + '\n' is a multiple of 64 */
    while ((n + 1) % 64 != 0)
        h[n++] = ' ';
    h[n++] = '\n';
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = (char)((n - 10) & 0xff);
    h[9] = (char)((n - 10) >> 8);
    return (size_t)n;
}

int npy_write(FILE *f, int dtype, int ndim, const uint32_t *dims,
              const void *data, size_t nbytes)
{
    char h[NPY_HEADER_MAX];
    uint64_t d[4];
    size_t n;
    const char *descr = npy_descr(dtype);
    if (!descr || ndim < 0 || ndim > 4)
        return -1;
    for (int i = 0; i < ndim; i++)
        d[i] = dims[i];
    n = npy_header(h, descr, ndim, d);
    if (fwrite(h, 1, n, f) != n ||
        (nbytes > 0 && fwrite(data, 1, nbytes, f) != nbytes)) /* data may be NULL when 0 */
        return -1;
    return 0;
}
