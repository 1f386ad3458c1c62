/* image.h - one image file to one tensor with libvips: check the header
 * (size against a cap) before decoding, shrink on load for 8-bit JPEG,
 * flatten alpha, resize, turn upright (EXIF orientation), convert to 1 or
 * 3 channels, fit into a square, and store channel-first [C,S,S] as U8 or
 * normalised F32. */
#ifndef MEDCAP_IMG_IMAGE_H
#define MEDCAP_IMG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { FIT_LETTERBOX, FIT_CROP, FIT_STRETCH } ir_img_fit;

typedef struct {
    int size;            /* output side S */
    int channels;        /* 1 (luma) or 3 (RGB) */
    ir_img_fit fit;         /* letterbox: pad to square; crop: centre crop; stretch */
    int as_float;        /* F32 (v / max - mean) / std instead of U8 */
    double mean[3], std[3];
    uint64_t max_pixels; /* refuse images with more pixels, before decoding */
} ir_img_spec;

typedef struct {
    int width, height; /* size of the original image, upright */
    void *data;        /* channels * size * size elements, channel-first */
    size_t cap;        /* bytes allocated at data */
    unsigned char *file;        /* the bytes of a JPEG or PNG file, decoded from memory */
    size_t file_len, file_cap;
    char err[512];     /* what went wrong, when ir_img_load fails */
} ir_img_result;

/* Start libvips for batch use (no operation cache, one vips thread per
 * image).  Returns 0, or -1 after a message. */
int ir_img_init(const char *argv0);

/* Shut libvips down at the end of the program. */
void ir_img_shutdown(void);

/* Bytes of one output tensor for spec. */
size_t ir_img_bytes(const ir_img_spec *spec);

/* Load the image at path into res (its buffers grown as needed, and
 * reused by the next call: free data and file when done).  Safe to
 * call from several threads at once: an image that fails is loaded again
 * alone, so its message is built from its own libvips errors.  Returns 0, MC_EXIT_IO when the file
 * cannot be opened, or MC_EXIT_INPUT when it is not a readable image, is
 * truncated or corrupt, or is over the pixel cap; res->err says which. */
int ir_img_load(const char *path, const ir_img_spec *spec, ir_img_result *res);

#endif
