/* fuzz_util.h - helpers the libFuzzer harnesses share (header only).
 *
 * The readers of whole files (CSV, safetensors, JSON item files, the case
 * index) take a path: fuzz_path() puts the input in an in-memory file
 * (memfd) and returns a path to it, the same file rewritten for every input.
 * The readers' messages about bad input go to stderr, which make fuzz
 * closes for the harness (-close_fd_mask=3; libFuzzer keeps its own).
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
#include <unistd.h>

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

#endif
