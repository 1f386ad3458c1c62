/* image.h - one image file to one tensor with libvips: check the header
 * (size against a cap) before decoding, shrink on load for 8-bit JPEG,
 * flatten alpha, resize, turn upright (EXIF orientation), convert to 1 or
 * 3 channels, fit into a square, and store channel-first [C,S,S] as U8 or
 * normalised F32.  DICOM files (the DICM preamble, or a .dcm name) are
 * decoded with GDCM instead (io/dicom.h): rescaled to modality units,
 * windowed to 0..1 (MONOCHROME1 inverted), then resized the same way. */
#ifndef MEDCAP_IMG_IMAGE_H
#define MEDCAP_IMG_IMAGE_H

#include "io/dicom.h"
#include <stddef.h>
#include <stdint.h>

typedef enum { FIT_LETTERBOX, FIT_CROP, FIT_STRETCH } ir_img_fit;

/* The VOI transform of grey DICOM images: the file's own (its VOI LUT,
 * else its window), else the frame's range (AUTO); the file's, or an
 * error (FILE); none: modality units as they are (F32 output only); a
 * given centre and width (FIXED). */
typedef enum { WIN_AUTO, WIN_FILE, WIN_NONE, WIN_FIXED } ir_img_window;

/* --frame of multi-frame DICOM: a frame index from 0, or these. */
enum { FRAME_MIDDLE = -1, FRAME_ALL = -2 };

typedef struct {
    int size;            /* output side S; 0: the image's own size, not resized */
    int channels;        /* 1 (luma) or 3 (RGB) */
    ir_img_fit fit;         /* letterbox: pad to square; crop: centre crop; stretch */
    int as_float;        /* F32 (v / max - mean) / std instead of U8 */
    double mean[3], std[3];
    uint64_t max_pixels; /* refuse images with more pixels, before decoding */
    ir_img_window window;      /* DICOM VOI window */
    double center, width;      /* WIN_FIXED */
    int frame;                 /* DICOM frame: index, FRAME_MIDDLE or FRAME_ALL */
} ir_img_spec;

typedef struct {
    int width, height; /* size of the original image, upright */
    int out_w, out_h;  /* size of each output tensor: S x S, or width x height for size 0 */
    int nframes;       /* tensors in data: 1, or a DICOM file's frames with FRAME_ALL */
    int first_frame;   /* the DICOM frame index of the first tensor (0 for others) */
    int is_dicom;      /* 1: dicom holds the file's attributes */
    mc_dcm_info dicom;
    void *data;        /* nframes tensors of channels * out_h * out_w elements, channel-first */
    size_t cap;        /* bytes allocated at data */
    float *values;     /* a decoded DICOM frame, kept for the next image */
    size_t values_cap; /* floats allocated at values */
    unsigned char *file;        /* the bytes of a JPEG or PNG file, decoded from memory */
    size_t file_len, file_cap;
    char err[512];     /* what went wrong, when ir_img_load fails */
} ir_img_result;

/* Start libvips for batch use (no operation cache, one vips thread per
 * image).  Returns 0, or -1 after a message. */
int ir_img_init(const char *argv0);

/* Shut libvips down at the end of the program. */
void ir_img_shutdown(void);

/* Bytes of one output tensor of res (after ir_img_load) for spec. */
size_t ir_img_bytes(const ir_img_spec *spec, const ir_img_result *res);

/* Load the image at path into res (its buffers grown as needed, and
 * reused by the next call: free data, values and file when done).  Safe to
 * call from several threads at once: an image that fails is loaded again
 * alone, so its message is built from its own libvips errors.  Returns 0, MC_EXIT_IO when the file
 * cannot be opened, or MC_EXIT_INPUT when it is not a readable image, is
 * truncated or corrupt, or is over the pixel cap; res->err says which. */
int ir_img_load(const char *path, const ir_img_spec *spec, ir_img_result *res);

/* Map a grey DICOM frame (n values in modality units, from d, whose
 * attributes are info) through spec's VOI transform to 0..1 in place,
 * inverted for MONOCHROME1; WIN_NONE leaves it.  Returns 0, or
 * MC_EXIT_INPUT with err set (WIN_FILE and the file has neither a VOI
 * LUT nor a window; AUTO or FILE and its VOI LUT is malformed). */
int ir_dcm_window(float *v, size_t n, const mc_dcm *d, const mc_dcm_info *info,
                  const ir_img_spec *spec, char *err, size_t errlen);

#endif
