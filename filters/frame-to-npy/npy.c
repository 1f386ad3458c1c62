/* npy.c - NumPy .npy writer (see npy.h). */
#define _POSIX_C_SOURCE 200809L
#include "npy.h"
#include "io/frame.h"

#include <string.h>

/* NumPy's type string for a frame dtype (frames are little-endian). */
static const char *npy_descr(int dtype)
{
    switch (dtype) {
    case MC_U8: return "|u1";
    case MC_U16: return "<u2";
    case MC_F32: return "<f4";
    default: return NULL;
    }
}

int npy_write(FILE *f, int dtype, int ndim, const uint32_t *dims,
              const void *data, size_t nbytes)
{
    char h[256];
    int n;
    const char *descr = npy_descr(dtype);
    if (!descr)
        return -1;
    n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++)
        n += snprintf(h + n, sizeof h - n, "%u, ", dims[i]);
    if (ndim > 0)
        n -= ndim == 1 ? 1 : 2; /* (5,) for one dim, (2, 3) for more */
    n += snprintf(h + n, sizeof h - n, "), }");
    /* 10 bytes of preamble + header + '\n' is a multiple of 64. */
    while ((10 + n + 1) % 64 != 0)
        h[n++] = ' ';
    h[n++] = '\n';
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(n & 0xff), (unsigned char)(n >> 8)};
    if (fwrite(pre, 1, sizeof pre, f) != sizeof pre || fwrite(h, 1, (size_t)n, f) != (size_t)n ||
        (nbytes > 0 && fwrite(data, 1, nbytes, f) != nbytes)) /* data may be NULL when 0 */
        return -1;
    return 0;
}
