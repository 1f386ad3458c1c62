/* crc32.h - zlib's CRC-32 (the polynomial and value of zlib's crc32()),
 * several times faster on x86-64 CPUs with PCLMULQDQ: 64-byte blocks are
 * folded with carry-less multiplies (Gopal et al., "Fast CRC Computation
 * for Generic Polynomials Using PCLMULQDQ Instruction", Intel 2009, the
 * same constants as Chromium's zlib); other CPUs and short tails use zlib.
 * Thread-safe, no state.
 */
#ifndef MEDCAP_CRC32_H
#define MEDCAP_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of p (n bytes) continued from crc (0 to start): the value
 * zlib's crc32(crc, p, n) returns. */
uint32_t mc_crc32(uint32_t crc, const unsigned char *p, size_t n);

#endif
