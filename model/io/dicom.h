/* dicom.h - DICOM files through GDCM, and the record keys made from a
 * file's attributes (model/io/dicom_record.c).
 *
 * The reader is model/io/dicom.cpp, a C interface over the C++ library,
 * built apart as the shared object medcap-dicom.so: the functions below
 * (model/io/dicom_load.c, in libmedcap) load it, with GDCM, at the first
 * mc_dcm_open of the process, so that a program that meets no DICOM file
 * never pays GDCM's loading and start-up (see dicom_so.h).
 *
 * Privacy: mc_dcm_info holds the attributes a record may carry, plus the
 * patient ID and the instance UIDs, which are read only to be hashed with
 * a key (mc_dcm_record) and never printed.  Error messages name the file
 * and the problem, never an attribute's value.  GDCM's own messages on
 * stderr are switched off (when it is loaded).
 *
 * Threads: separate mc_dcm handles may be used from separate threads at
 * once; one handle from one thread at a time. */
#ifndef MEDCAP_IO_DICOM_H
#define MEDCAP_IO_DICOM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_dcm mc_dcm;

typedef struct {
    int width, height, frames; /* Columns, Rows, Number of Frames (1 when absent) */
    int samples;               /* Samples per Pixel: 1 grey, 3 colour */
    int bits_stored, is_signed;
    int monochrome1;           /* Photometric Interpretation MONOCHROME1: 0 is white */
    double slope, intercept;   /* Rescale Slope/Intercept (1 and 0 when absent) */
    int has_window;            /* the first Window Center/Width of the file */
    double window_center, window_width;
    int voi_lut;               /* the VOI LUT Sequence's first item (not read with
                                  header_only): 1 usable (mc_dcm_voi_lut), 0 none,
                                  -1 malformed */
    int has_orientation;       /* Image Orientation (Patient): row and column cosines */
    double orientation[6];
    int has_spacing;           /* Pixel Spacing: row spacing, column spacing (mm) */
    double spacing[2];
    char photometric[20];      /* Photometric Interpretation, e.g. MONOCHROME2, YBR_FULL_422 */
    char transfer_syntax[68];  /* the transfer syntax UID */
    char modality[20];         /* Modality, e.g. CT, MR, CR, DX */
    char view[20];             /* View Position, e.g. PA, AP, LL */
    char body_part[68];        /* Body Part Examined */
    char laterality[4];        /* Image Laterality or Laterality: R, L, B */
    /* patient characteristics, written only on request (mc_dcm_record) */
    char sex[8];               /* Patient's Sex: "male" (M), "female" (F), else "" */
    int age;                   /* Patient's Age in whole years, at most 90; -1 when
                                  absent or not nnnD|W|M|Y */
    /* identifying: read only to be hashed, never printed */
    char patient_id[68];
    char study_uid[68], series_uid[68], sop_uid[68];
} mc_dcm_info;

/* 1 when the first n bytes of a file (n >= 132) carry the DICOM preamble
 * ("DICM" at offset 128), else 0. */
int mc_dcm_sniff(const unsigned char *head, size_t n);

/* Open the DICOM file at path and fill *info.  header_only reads the
 * attributes up to the pixel data and no further (mc_dcm_frame then
 * fails); otherwise the whole file is read and checked to hold pixel data
 * of a known transfer syntax, without decoding it.  Returns 0 with *out
 * set (free with mc_dcm_close), MC_EXIT_IO when the file cannot be
 * opened, or MC_EXIT_INPUT when it is not a readable DICOM image, or when
 * medcap-dicom.so cannot be loaded (then for every file: err names the
 * shared object and says why, as dlopen does); err (errlen bytes) says
 * which. */
int mc_dcm_open(const char *path, int header_only, mc_dcm **out, mc_dcm_info *info, char *err,
                size_t errlen);

/* Decode frame (0 .. frames-1) of an image opened without header_only
 * into out: width * height values for grey images, in modality units
 * (stored value, sign-extended from Bits Stored, times the slope plus
 * the intercept); width * height * 3 interleaved R, G, B values for
 * colour images (YBR converted to RGB, planar configuration undone; raw
 * sample units, 0 .. 2^bits_stored - 1).  The pixel data is decoded on
 * the first call and kept for the next.  Returns 0, or MC_EXIT_INPUT with
 * err set (a codec that fails, a transfer syntax GDCM cannot decode,
 * pixel data shorter than the image). */
int mc_dcm_frame(mc_dcm *d, int frame, float *out, char *err, size_t errlen);

/* Map n grey values in modality units (from mc_dcm_frame) through the VOI
 * LUT of an image whose info.voi_lut is 1, in place, to 0..1: as
 * pydicom's apply_voi, a value v becomes entry floor(v - first mapped
 * value), clamped to the first and last entries, over 2^bits - 1. */
void mc_dcm_voi_lut(const mc_dcm *d, float *v, size_t n);

/* Free a handle (NULL is a no-op). */
void mc_dcm_close(mc_dcm *d);

#ifdef __cplusplus
}
#endif

#endif
