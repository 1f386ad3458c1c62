/* fuzz_util.h - helpers the libFuzzer harnesses share (header only).
 *
 * The readers of whole files (CSV, safetensors, JSON item files, the case
 * index) take a path: fuzz_path() puts the input in an in-memory file
 * (memfd) and returns a path to it, the same file rewritten for every input.
 * The readers' messages about bad input go to stderr, which make fuzz
 * closes for the harness (-close_fd_mask=3; libFuzzer keeps its own).
 * fuzz_fix_frames() rewrites the CRCs of a frame stream, so that a harness
 * of a reader behind the frame checks (the case index) gets past them.
 */
#ifndef MEDCAP_FUZZ_UTIL_H
#define MEDCAP_FUZZ_UTIL_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* A path to an in-memory file holding data[0..size), rewritten on each
 * call (one file per process).  Aborts when it cannot be made. */
static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    return path;
}

/* A copy of data[0..size) (free it) with the CRCs of every medcap frame in
 * it made right (model/io/frame.h: metadata and payload CRCs where the
 * bytes are all there, then the header CRC), frame after frame while a
 * whole header is left; the rest of the bytes as they were. */
static inline uint8_t *fuzz_fix_frames(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    size_t at = 0;
    if (!b)
        abort();
    memcpy(b, data, size);
    while (size - at >= 64) {
        uint32_t meta_len, crc;
        uint64_t payload_len, meta_pad, payload_at;
        memcpy(&meta_len, b + at + 32, 4);
        memcpy(&payload_len, b + at + 40, 8);
        meta_pad = ((uint64_t)meta_len + 63) / 64 * 64;
        if (meta_len <= size - at - 64) {
            crc = (uint32_t)crc32(0L, b + at + 64, meta_len);
            memcpy(b + at + 48, &crc, 4);
        }
        payload_at = 64 + meta_pad;
        if (payload_at <= size - at && payload_len <= size - at - payload_at) {
            crc = (uint32_t)crc32(0L, b + at + payload_at, (uInt)payload_len);
            memcpy(b + at + 52, &crc, 4);
        }
        crc = (uint32_t)crc32(0L, b + at, 60);
        memcpy(b + at + 60, &crc, 4);
        if (payload_at > size - at || payload_len > size - at - payload_at)
            break;
        at += payload_at + (payload_len + 63) / 64 * 64;
        if (at > size)
            break;
    }
    return b;
}

#endif
