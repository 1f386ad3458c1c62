/* inputs.h - what medcap-img-resize reads, as one sequence of items: the
 * lines of record or list files (NDJSON records, or bare image paths one a
 * line; gzip'd or not; standard input when there is no argument), image
 * files named as arguments, and the images found in folder arguments
 * (sorted by path; sub-folders with --recursive).
 *
 * A file argument is a list when its name ends in .ndjson, .jsonl, .json,
 * .txt or .list (or one of them and .gz); an image when it ends in an image
 * extension (ir_image_name) or its first bytes are an image's (PNG, JPEG,
 * TIFF, WebP, PNM, the DICM preamble); otherwise a list.  Frames
 * (the whole magic of io/frame.h, never one byte) and images where a list
 * is read are refused.  Single-threaded: the reader thread owns it.
 */
#ifndef MEDCAP_IMG_INPUTS_H
#define MEDCAP_IMG_INPUTS_H

/* One item.  Either a line of a list (text non-NULL), or an image file
 * (text NULL) with its path, id and "image" key. */
typedef struct {
    const char *name; /* where it comes from, for messages: the list, or the image file */
    long line;        /* its line in the list; 0 for an image file */
    const char *text; /* the line (no newline), or NULL */
    const char *path; /* the image file to open */
    const char *id;   /* the image's id (ir_path_id) */
    const char *image; /* its "image" key: the path relative to root when under it */
} ir_item;

typedef struct ir_inputs ir_inputs;

/* Read args[0..n) in order (n 0: standard input); root is --root (may be
 * NULL); recursive walks the sub-folders of folder arguments. */
ir_inputs *ir_inputs_new(char **args, int n, const char *root, int recursive);

/* The next item into *it (valid until the next call).  Returns 1, 0 at the
 * end, or -1 after a message with the exit status in *status: MC_EXIT_IO
 * (cannot open or read a file or folder), MC_EXIT_INPUT (frames, an image
 * where a list is read, corrupt gzip data). */
int ir_inputs_next(ir_inputs *in, ir_item *it, int *status);

/* Close what is open and free everything. */
void ir_inputs_free(ir_inputs *in);

/* The id of an image at path: its path relative to root (when path is
 * under root; root may be NULL), else the path as given when relative (a
 * leading "./" dropped: a list's relative lines are resolved against
 * --root, so they are relative to it already), else the file name; in each
 * case without the file's extension (from the last '.' of its last
 * component, not a leading one).  So p1/study1/view1.jpg and
 * p2/study1/view1.jpg are two ids, p1/study1/view1 and p2/study1/view1.
 * Returns a malloc'd string. */
char *ir_path_id(const char *path, const char *root);

/* 1 when name ends in an image extension (any case): .png .jpg .jpeg .tif
 * .tiff .pgm .ppm .pnm .webp .dcm (those medcap-caption-dir takes); else 0. */
int ir_image_name(const char *name);

#endif
