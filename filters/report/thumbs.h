/* thumbs.h - the thumbnails of a report, made on worker threads with
 * libvips: each image file is read once (shrink-on-load, EXIF orientation
 * applied, failing on truncated or corrupt files), reduced to fit a square
 * box, flattened to 8-bit grey or sRGB and encoded as JPEG, kept in memory
 * (for data: URIs) or written to a folder as NNNNNN.jpg (names from the job
 * number, never from data).
 *
 * Jobs are added from one thread, then run once; after rp_thumbs_run the
 * results are read-only.  libvips's error buffer is process-wide: a worker
 * whose image fails reads it again alone (under an exclusive lock), so each
 * message is that image's own.
 */
#ifndef RP_THUMBS_H
#define RP_THUMBS_H

#include <stddef.h>
#include <stdint.h>

#include "core/strtab.h"

typedef struct {
    char *path;          /* the image file */
    const char *id;      /* the first record that shows it (not owned) */
    int box;             /* thumbnail fits box x box */
    unsigned char *jpeg; /* the JPEG (memory mode), NULL when written or failed */
    size_t len;
    int w, h;            /* thumbnail size in pixels */
    char err[320];       /* "" or why the image could not be read */
} rp_thumb;

typedef struct {
    rp_thumb *t;
    size_t n, cap;
    mc_strtab keys; /* "box:path" -> job */
} rp_thumbs;

/* No jobs. */
void rp_thumbs_init(rp_thumbs *ts);
/* Free the jobs and their JPEGs. */
void rp_thumbs_free(rp_thumbs *ts);
/* The job for path at box pixels (one job per distinct pair), first
 * shown by record id (kept as a pointer: it must outlive ts). */
int rp_thumbs_add(rp_thumbs *ts, const char *path, int box, const char *id);

/* Start libvips (once, before any other call here or in overlay.h);
 * returns 0 or -1 after a message. */
int rp_vips_start(const char *argv0);
/* Shut libvips down (at the end of main). */
void rp_vips_stop(void);

/* Make every thumbnail on nthreads threads.  dir NULL keeps each JPEG in
 * memory; else it is written to dir/NNNNNN.jpg (NNNNNN the job number),
 * where a failure to write is an error of that job.  Images over
 * max_pixels are refused.  Returns the number of failed jobs. */
size_t rp_thumbs_run(rp_thumbs *ts, int nthreads, const char *dir, uint64_t max_pixels);

/* Open path with libvips upright (EXIF orientation applied) as 8-bit sRGB
 * without alpha (flattened on black), refusing files over max_pixels and
 * failing on truncated or corrupt ones.  Returns the image (the caller
 * unrefs it), or NULL with the reason in err (size errlen).  Main thread
 * only, while no rp_thumbs_run is running. */
struct _VipsImage *rp_load_srgb(const char *path, uint64_t max_pixels, char *err, size_t errlen);

#endif
