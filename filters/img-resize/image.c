/* image.c - load, resize and convert one image with libvips (see image.h). */
#define _POSIX_C_SOURCE 200809L
#include "image.h"
#include "resample.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

/* The first libvips warning while loading the current image of this
 * thread (libvips logs the detail of a decode error as a warning). */
static _Thread_local char warning[160];

/* libvips keeps one error buffer for the whole process, and worker
 * threads fail at once: a message read from it may be another image's, or
 * gone (cleared by another thread).  So images load under a gate: many at
 * once in shared mode, where a failure is only noted (vips_failed), never
 * read from the buffer; an image that failed then loads again alone, in
 * exclusive mode, where the buffer holds its own errors only and is read
 * and cleared by its thread. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int active;     /* images loading in shared mode */
    int exclusive;  /* 1 while an image loads alone */
    int waiting;    /* threads waiting for exclusive mode (they go first) */
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

/* Whether this thread's load is exclusive (the error buffer is its own),
 * and whether a libvips call of the current load failed. */
static _Thread_local int alone, vips_failed;

/* Enter the gate: shared (alone = 0) or exclusive (alone = 1). */
static void gate_enter(int exclusive)
{
    pthread_mutex_lock(&gate.lock);
    if (exclusive) {
        gate.waiting++;
        while (gate.exclusive || gate.active > 0)
            pthread_cond_wait(&gate.changed, &gate.lock);
        gate.waiting--;
        gate.exclusive = 1;
    } else {
        while (gate.exclusive || gate.waiting > 0)
            pthread_cond_wait(&gate.changed, &gate.lock);
        gate.active++;
    }
    pthread_mutex_unlock(&gate.lock);
    alone = exclusive;
}

/* Leave the gate entered by this thread's last gate_enter. */
static void gate_leave(void)
{
    pthread_mutex_lock(&gate.lock);
    if (alone)
        gate.exclusive = 0;
    else
        gate.active--;
    pthread_cond_broadcast(&gate.changed);
    pthread_mutex_unlock(&gate.lock);
}

/* GLib log handler for libvips warnings: keep the first of the image
 * instead of printing it, so it joins the image's error message. */
static void keep_warning(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)domain;
    (void)level;
    (void)data;
    if (!warning[0] && strncmp(msg, "error in tile", 13) != 0)
        snprintf(warning, sizeof warning, "%s", msg);
}

int ir_img_init(const char *argv0)
{
    if (VIPS_INIT(argv0) != 0) {
        mc_err("cannot start libvips: %s", vips_error_buffer());
        return -1;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, keep_warning, NULL);
    vips_cache_set_max(0);
    vips_concurrency_set(1); /* our workers use the cores, one image each */
    return 0;
}

void ir_img_shutdown(void)
{
    vips_shutdown();
}

size_t ir_img_bytes(const ir_img_spec *s)
{
    return (size_t)s->channels * s->size * s->size * (s->as_float ? 4 : 1);
}

/* A libvips call failed: note it, and when this thread loads alone put
 * libvips's error (its first line) into res->err after prefix and clear
 * libvips's error buffer (in shared mode the buffer is left alone: the
 * image loads again alone for its message). */
static int vips_fail(ir_img_result *res, const char *prefix)
{
    char *msg;
    vips_failed = 1;
    if (!alone) {
        snprintf(res->err, sizeof res->err, "%s", prefix);
        return MC_EXIT_INPUT;
    }
    msg = vips_error_buffer_copy();
    size_t n = strcspn(msg, "\n");
    snprintf(res->err, sizeof res->err, "%s: %.*s%s%s%s", prefix, (int)(n < 300 ? n : 300), msg,
             warning[0] ? " (" : "", warning, warning[0] ? ")" : "");
    g_free(msg);
    return MC_EXIT_INPUT;
}

/* Size of the resized image before it is fitted into the S x S square. */
static void target_size(const ir_img_spec *s, int w, int h, int *tw, int *th)
{
    double scale;
    if (s->fit == FIT_STRETCH) {
        *tw = *th = s->size;
        return;
    }
    scale = s->fit == FIT_LETTERBOX ? (double)s->size / (w > h ? w : h)
                                    : (double)s->size / (w < h ? w : h);
    *tw = (int)fmax(1.0, round(w * scale));
    *th = (int)fmax(1.0, round(h * scale));
}

/* The largest JPEG shrink-on-load factor (1, 2, 4 or 8) that keeps the
 * decoded image at least tw x th, as PIL's draft mode does. */
static int jpeg_shrink(int w, int h, int tw, int th)
{
    int shrink = 8;
    while (shrink > 1 && (w / shrink < tw || h / shrink < th))
        shrink /= 2;
    return shrink;
}

/* Bring im to 1 band (grey) or 3 bands (colour) of uchar or ushort:
 * CMYK to sRGB, alpha flattened on black, extra bands dropped.  Puts
 * the image in *out (owned by the local array t) and returns 0, or
 * returns MC_EXIT_INPUT with res->err set. */
static int to_plain_bands(VipsImage *im, VipsImage **t, VipsImage **out, ir_img_result *res)
{
    if (im->Type == VIPS_INTERPRETATION_CMYK) {
        if (vips_colourspace(im, &t[0], VIPS_INTERPRETATION_sRGB, NULL) != 0)
            return vips_fail(res, "cannot convert CMYK");
        im = t[0];
    }
    if (vips_image_hasalpha(im)) {
        if (vips_flatten(im, &t[1], NULL) != 0)
            return vips_fail(res, "cannot flatten alpha");
        im = t[1];
    }
    if (im->Bands != 1 && im->Bands != 3) {
        if (vips_extract_band(im, &t[2], 0, "n", im->Bands >= 3 ? 3 : 1, NULL) != 0)
            return vips_fail(res, "cannot pick bands");
        im = t[2];
    }
    if (im->BandFmt != VIPS_FORMAT_UCHAR && im->BandFmt != VIPS_FORMAT_USHORT) {
        snprintf(res->err, sizeof res->err, "unsupported sample format %s (need 8 or 16 bit)",
                 vips_enum_nick(VIPS_TYPE_BAND_FORMAT, im->BandFmt));
        return MC_EXIT_INPUT;
    }
    *out = im;
    return 0;
}

/* The kind of file from its first bytes: JPEG and PNG go straight to
 * their loaders, decoding from memory (one read instead of many small
 * ones, and no sniffing through every loader, which costs more than
 * decoding a small image); anything else is left to libvips. */
enum { KIND_OTHER, KIND_JPEG, KIND_PNG };

/* File buffers up to this size are kept for the next image. */
#define KEEP_FILE_BUFFER ((size_t)4 << 20)

/* Open path, tell its kind, and read a JPEG or PNG whole into res->file.
 * Returns the kind, or -1 with res->err set. */
static int read_image_file(const char *path, ir_img_result *res)
{
    unsigned char m[8] = {0};
    FILE *f = fopen(path, "rb");
    struct stat st;
    int kind = KIND_OTHER;
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(res->err, sizeof res->err, "cannot open: %s", strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(res->err, sizeof res->err, "not a regular file");
        fclose(f);
        return -1;
    }
    if (fread(m, 1, sizeof m, f) == sizeof m) {
        if (m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF)
            kind = KIND_JPEG;
        else if (memcmp(m, "\x89PNG\r\n\x1a\n", 8) == 0)
            kind = KIND_PNG;
    }
    if (kind != KIND_OTHER) {
        size_t size = (size_t)st.st_size;
        if (res->file_cap < size) {
            free(res->file);
            res->file = mc_malloc(size);
            res->file_cap = size;
        }
        memcpy(res->file, m, sizeof m);
        res->file_len = sizeof m + fread(res->file + sizeof m, 1, size - sizeof m, f);
    }
    if (ferror(f)) {
        snprintf(res->err, sizeof res->err, "cannot read: %s", strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return kind;
}

/* Open the image lazily (header only) with the loader for kind; shrink > 1
 * asks the JPEG loader for shrink-on-load.  NULL on a libvips error. */
static VipsImage *open_image(const char *path, int kind, int shrink, const ir_img_result *res)
{
    VipsImage *im = NULL;
    if (kind == KIND_JPEG)
        vips_jpegload_buffer(res->file, res->file_len, &im, "access", VIPS_ACCESS_SEQUENTIAL,
                             "fail_on", VIPS_FAIL_ON_ERROR, "shrink", shrink, NULL);
    else if (kind == KIND_PNG)
        vips_pngload_buffer(res->file, res->file_len, &im, "access", VIPS_ACCESS_SEQUENTIAL,
                            "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    else if (vips_foreign_find_load(path))
        im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL,
                                      "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    return im;
}

/* One axis of the fit: the source maps onto `full` output pixels, of
 * which the window [off, off + n) is kept and placed at dst in the square. */
typedef struct {
    int full, off, n, dst;
} axis_fit;

static axis_fit fit_axis(int target, int size)
{
    axis_fit a = {target, 0, target, 0};
    if (target > size) { /* crop: a centred window */
        a.off = (target - size) / 2;
        a.n = size;
    } else { /* letterbox: centred in the square */
        a.dst = (size - target) / 2;
    }
    return a;
}

/* Store the resampled pixels (ny x nx x bands floats in source units;
 * bands is 1, or 3 for RGB output) at (dx, dy) of the channel-first output
 * square (grey repeated for RGB output), as U8 rounded and clipped or F32
 * normalised.
 * The rest of the square is black (0 before normalisation). */
static void store(const float *px, int nx, int ny, int bands, int dx, int dy, double maxval,
                  const ir_img_spec *s, ir_img_result *res)
{
    size_t plane = (size_t)s->size * s->size;
    for (int c = 0; c < s->channels; c++) {
        float a = (float)(s->as_float ? 1.0 / (maxval * s->std[c]) : 255.0 / maxval);
        float b = (float)(s->as_float ? -s->mean[c] / s->std[c] : 0.0);
        float *of = (float *)res->data + c * plane;
        unsigned char *ou = (unsigned char *)res->data + c * plane;
        if (s->as_float)
            for (size_t i = 0; i < plane; i++)
                of[i] = b;
        else
            memset(ou, 0, plane);
        for (int y = 0; y < ny; y++) {
            const float *row = px + (size_t)y * nx * bands;
            size_t at = (size_t)(dy + y) * s->size + dx;
            for (int x = 0; x < nx; x++) {
                const float *p = row + (size_t)x * bands;
                float v = bands == 1 ? p[0] : p[c];
                if (s->as_float)
                    of[at + x] = v * a + b;
                else
                {
                    float u = v * a + 0.5f;
                    u = u < 0.0f ? 0.0f : u;
                    ou[at + x] = (unsigned char)(u > 255.0f ? 255.0f : u);
                }
            }
        }
    }
}

/* Source row y of im (uchar or ushort, 1 or 3 bands) as floats with
 * `bands` samples a pixel: RGB to luma (ITU-R 601 weights, as PIL's "L")
 * when bands is 1 and the source has 3. */
static void row_to_float(const VipsRegion *reg, int y, int in_bands, int bands, int wide,
                         float *out)
{
    int n = reg->valid.width;
    const VipsPel *p = VIPS_REGION_ADDR(reg, 0, y);
    const uint16_t *p16 = (const uint16_t *)p;
    /* one simple loop per case, so the compiler vectorises each */
    if (in_bands == 3 && bands == 1 && wide)
        for (int x = 0; x < n; x++)
            out[x] = 0.299f * p16[3 * x] + 0.587f * p16[3 * x + 1] + 0.114f * p16[3 * x + 2];
    else if (in_bands == 3 && bands == 1)
        for (int x = 0; x < n; x++)
            out[x] = 0.299f * p[3 * x] + 0.587f * p[3 * x + 1] + 0.114f * p[3 * x + 2];
    else if (wide)
        for (int i = 0; i < n * in_bands; i++)
            out[i] = p16[i];
    else
        for (int i = 0; i < n * in_bands; i++)
            out[i] = p[i];
}

/* The EXIF orientation of im (1-8; 1, upright, when absent or invalid). */
static int orientation(VipsImage *im)
{
    int o = 1;
    if (vips_image_get_typeof(im, VIPS_META_ORIENTATION) &&
        vips_image_get_int(im, VIPS_META_ORIENTATION, &o) == 0 && o >= 1 && o <= 8)
        return o;
    return 1;
}

/* Orientations 5-8 turn the image a quarter: width and height swap. */
static int swaps_axes(int o) { return o >= 5; }

/* Whether the stored x (or y) axis runs against the upright image's axis
 * it becomes, for orientation o (EXIF: 2 mirror, 3 rotate 180, 4 flip,
 * 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 270). */
static int mirrors_x(int o) { return o == 2 || o == 3 || o == 7 || o == 8; }
static int mirrors_y(int o) { return o == 3 || o == 4 || o == 6 || o == 7; }

/* out (h x w x bands, upright) from the stored block in (H x W x bands):
 * upright pixel (x, y) is stored pixel (x, y) with the axes swapped and
 * mirrored as orientation o says. */
static void upright(float *out, const float *in, int W, int H, int bands, int o)
{
    int w = swaps_axes(o) ? H : W, h = swaps_axes(o) ? W : H;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int sx = swaps_axes(o) ? y : x, sy = swaps_axes(o) ? x : y;
            sx = mirrors_x(o) ? W - 1 - sx : sx;
            sy = mirrors_y(o) ? H - 1 - sy : sy;
            memcpy(out + ((size_t)y * w + x) * bands, in + ((size_t)sy * W + sx) * bands,
                   (size_t)bands * sizeof *out);
        }
}

/* The stored image's fit along one of its axes, from the upright fit f of
 * the axis it becomes (mirrored: the window counted from the other end). */
static axis_fit stored_fit(axis_fit f, int mirrored)
{
    if (mirrored)
        f.off = f.full - f.off - f.n;
    return f;
}

/* Decode im top to bottom in strips (in this thread: no thread pool
 * hand-offs), feeding each row to the resampler, and store the result
 * turned upright (orientation o; tw x th is the upright target size).
 * Grey sources and grey output are resampled as one band.  Returns 0 or
 * an exit status. */
static int resample(VipsImage *im, int tw, int th, int o, const ir_img_spec *s, ir_img_result *res)
{
    enum { STRIP = 16 };
    axis_fit ax = fit_axis(tw, s->size), ay = fit_axis(th, s->size);
    axis_fit fx = stored_fit(swaps_axes(o) ? ay : ax, mirrors_x(o));
    axis_fit fy = stored_fit(swaps_axes(o) ? ax : ay, mirrors_y(o));
    int wide = im->BandFmt == VIPS_FORMAT_USHORT, status = 0;
    int bands = im->Bands == 3 && s->channels == 3 ? 3 : 1;
    VipsRegion *reg = vips_region_new(im);
    float *row = mc_malloc((size_t)im->Xsize * im->Bands * sizeof *row);
    ir_resampler r;
    ir_rs_init(&r, im->Xsize, im->Ysize, bands, fx.full, fx.off, fx.n, fy.full, fy.off, fy.n);
    for (int y0 = 0; y0 < im->Ysize && status == 0; y0 += STRIP) {
        VipsRect strip = {0, y0, im->Xsize, im->Ysize - y0 < STRIP ? im->Ysize - y0 : STRIP};
        if (vips_region_prepare(reg, &strip) != 0) {
            status = vips_fail(res, "cannot read image");
            break;
        }
        for (int y = y0; y < y0 + strip.height; y++) {
            row_to_float(reg, y, im->Bands, bands, wide, row);
            ir_rs_row(&r, y, row);
        }
    }
    g_object_unref(reg);
    free(row);
    if (status == 0 && o != 1) {
        float *up = mc_malloc((size_t)fx.n * fy.n * bands * sizeof *up);
        upright(up, r.out, fx.n, fy.n, bands, o);
        store(up, ax.n, ay.n, bands, ax.dst, ay.dst, wide ? 65535.0 : 255.0, s, res);
        free(up);
    } else if (status == 0) {
        store(r.out, ax.n, ay.n, bands, ax.dst, ay.dst, wide ? 65535.0 : 255.0, s, res);
    }
    ir_rs_free(&r);
    return status;
}

/* The steps of ir_img_load after the header is known good, on im (owned by
 * ctx's local array t), whose EXIF orientation is o: JPEG shrink-on-load,
 * plain bands, resample and turn upright.  Returns 0 or an exit status. */
static int convert(VipsImage *im, const char *path, int jpeg, int o, const ir_img_spec *s,
                   VipsImage **t, ir_img_result *res)
{
    int tw, th; /* upright target size */
    if (swaps_axes(o))
        target_size(s, im->Ysize, im->Xsize, &tw, &th);
    else
        target_size(s, im->Xsize, im->Ysize, &tw, &th);
    if (jpeg && im->BandFmt == VIPS_FORMAT_UCHAR) {
        int shrink = swaps_axes(o) ? jpeg_shrink(im->Xsize, im->Ysize, th, tw)
                                   : jpeg_shrink(im->Xsize, im->Ysize, tw, th);
        if (shrink > 1) {
            t[1] = open_image(path, KIND_JPEG, shrink, res);
            if (!t[1])
                return vips_fail(res, "cannot read image");
            im = t[1];
        }
    }
    if (to_plain_bands(im, t + 2, &im, res) != 0)
        return MC_EXIT_INPUT;
    return resample(im, tw, th, o, s, res);
}

/* Load path into res once, in the gate mode this thread entered (see
 * ir_img_load). */
static int load_once(const char *path, const ir_img_spec *s, ir_img_result *res)
{
    VipsImage *ctx, **t;
    int status, kind;

    res->err[0] = '\0';
    warning[0] = '\0';
    vips_failed = 0;
    kind = read_image_file(path, res);
    if (kind < 0)
        return MC_EXIT_IO;
    ctx = vips_image_new();
    t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(ctx), 12);
    t[0] = open_image(path, kind, 1, res);
    if (!t[0] && kind == KIND_OTHER) {
        if (alone)
            vips_error_clear();
        snprintf(res->err, sizeof res->err, "not an image format libvips can read");
        status = MC_EXIT_INPUT;
    } else if (!t[0]) {
        status = vips_fail(res, "cannot read image");
    } else if ((uint64_t)t[0]->Xsize * (uint64_t)t[0]->Ysize > s->max_pixels) {
        snprintf(res->err, sizeof res->err, "image is %dx%d, over --max-pixels %llu",
                 t[0]->Xsize, t[0]->Ysize, (unsigned long long)s->max_pixels);
        status = MC_EXIT_INPUT;
    } else {
        int o = orientation(t[0]);
        res->width = swaps_axes(o) ? t[0]->Ysize : t[0]->Xsize; /* upright */
        res->height = swaps_axes(o) ? t[0]->Xsize : t[0]->Ysize;
        if (res->cap < ir_img_bytes(s)) {
            free(res->data);
            res->data = mc_malloc(ir_img_bytes(s));
            res->cap = ir_img_bytes(s);
        }
        status = convert(t[0], path, kind == KIND_JPEG, o, s, t, res);
    }
    g_object_unref(ctx);
    if (res->file_cap > KEEP_FILE_BUFFER) { /* keep memory flat after a large file */
        free(res->file);
        res->file = NULL;
        res->file_cap = res->file_len = 0;
    }
    return status;
}

int ir_img_load(const char *path, const ir_img_spec *s, ir_img_result *res)
{
    int status;
    gate_enter(0);
    status = load_once(path, s, res);
    gate_leave();
    if (vips_failed) { /* again alone, for a message of its own */
        gate_enter(1);
        vips_error_clear();
        status = load_once(path, s, res);
        gate_leave();
    }
    return status;
}
