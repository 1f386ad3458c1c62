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
#include <strings.h>
#include <sys/stat.h>
#include <vips/vips.h>
#include <vips/vector.h> /* vips_vector_set_enabled */

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
 * and whether the current load must be repeated alone: a libvips call of
 * it failed, or the libvips modules must be loaded first. */
static _Thread_local int alone, vips_failed;

/* 1 once the libvips modules are loaded (load_modules); written only in
 * exclusive mode, so read safely in either mode. */
static int modules_loaded;

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

/* vips_init loads the libvips modules (the loaders of HEIF, JPEG XL, PDF,
 * OpenSlide and ImageMagick files, with some 30 libraries behind them)
 * from $VIPSHOME/lib when VIPSHOME is set, else from its own libdir, and
 * scans that libdir for vips7 plugins.  A PNG, JPEG or DICOM file needs
 * none of this, so vips_init runs with VIPSHOME naming no folder (a quarter
 * of img-resize's start-up on one image) and load_modules loads the
 * modules before the first file of another kind, as vips_init would have:
 * the same loaders then choose among the same formats.  A VIPSHOME the
 * user set is left to libvips. */
#define NO_VIPSHOME "/dev/null"

/* Start libvips without its modules (see NO_VIPSHOME); 0 or -1. */
static int start_vips(const char *argv0)
{
    int mine = getenv("VIPSHOME") == NULL, rc;
    if (mine)
        setenv("VIPSHOME", NO_VIPSHOME, 1);
    rc = VIPS_INIT(argv0);
    if (mine)
        unsetenv("VIPSHOME");
    else
        modules_loaded = 1;
    return rc;
}

/* Load the libvips modules from its libdir, as vips_init does (a module
 * that fails to load is reported, and the others still load).  Only in
 * exclusive mode. */
static void load_modules(void)
{
    char *dir = g_strdup_printf("%s/vips-modules-%d.%d", MEDCAP_VIPS_LIBDIR, VIPS_MAJOR_VERSION,
                                VIPS_MINOR_VERSION);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    modules_loaded = 1;
    while (d && (name = g_dir_read_name(d)) != NULL) {
        char *path;
        if (!g_str_has_suffix(name, "." G_MODULE_SUFFIX))
            continue;
        path = g_build_filename(dir, name, NULL);
        if (!g_module_open(path, G_MODULE_BIND_LAZY))
            mc_err("warning: libvips module %s: %s", path, g_module_error());
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_free(dir);
}

int ir_img_init(const char *argv0)
{
    if (start_vips(argv0) != 0) {
        mc_err("cannot start libvips: %s", vips_error_buffer());
        return -1;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, keep_warning, NULL);
    vips_cache_set_max(0);
    vips_concurrency_set(1); /* our workers use the cores, one image each */
    /* liborc frees its compiled programs racily when several pipelines end
     * at once (a SEGV in orc_code_free seen in CI): plain C loops instead */
    vips_vector_set_enabled(FALSE);
    return 0;
}

void ir_img_shutdown(void)
{
    vips_shutdown();
}

size_t ir_img_bytes(const ir_img_spec *s, const ir_img_result *res)
{
    return (size_t)s->channels * res->out_w * res->out_h * (s->as_float ? 4 : 1);
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
    if (s->size == 0) { /* the image's own size */
        *tw = w;
        *th = h;
        return;
    }
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
enum { KIND_OTHER, KIND_JPEG, KIND_PNG, KIND_DICOM };

/* File buffers up to this size are kept for the next image. */
#define KEEP_FILE_BUFFER ((size_t)4 << 20)

/* Whether path's name ends in .dcm (any case). */
static int dcm_name(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcasecmp(path + n - 4, ".dcm") == 0;
}

/* Open path, tell its kind (DICOM: the preamble, or a .dcm name), and
 * read a JPEG or PNG whole into res->file.  Returns the kind, or -1 with
 * res->err set. */
static int read_image_file(const char *path, ir_img_result *res)
{
    unsigned char m[132] = {0};
    size_t got;
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
    got = fread(m, 1, sizeof m, f);
    if (got >= 8) {
        if (m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF)
            kind = KIND_JPEG;
        else if (memcmp(m, "\x89PNG\r\n\x1a\n", 8) == 0)
            kind = KIND_PNG;
        else if (mc_dcm_sniff(m, got) || dcm_name(path))
            kind = KIND_DICOM;
    }
    if (kind == KIND_JPEG || kind == KIND_PNG) {
        size_t size = (size_t)st.st_size;
        if (res->file_cap < size) {
            free(res->file);
            res->file = mc_malloc(size);
            res->file_cap = size;
        }
        memcpy(res->file, m, got);
        res->file_len = got + fread(res->file + got, 1, size - got, f);
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
                  const ir_img_spec *s, ir_img_result *res, int k)
{
    size_t plane = (size_t)res->out_w * res->out_h;
    char *base = (char *)res->data + (size_t)k * ir_img_bytes(s, res);
    for (int c = 0; c < s->channels; c++) {
        float a = (float)(s->as_float ? 1.0 / (maxval * s->std[c]) : 255.0 / maxval);
        float b = (float)(s->as_float ? -s->mean[c] / s->std[c] : 0.0);
        float *of = (float *)base + c * plane;
        unsigned char *ou = (unsigned char *)base + c * plane;
        if (s->as_float)
            for (size_t i = 0; i < plane; i++)
                of[i] = b;
        else
            memset(ou, 0, plane);
        for (int y = 0; y < ny; y++) {
            const float *row = px + (size_t)y * nx * bands;
            size_t at = (size_t)(dy + y) * res->out_w + dx;
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
    axis_fit ax = fit_axis(tw, res->out_w), ay = fit_axis(th, res->out_h);
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
        store(up, ax.n, ay.n, bands, ax.dst, ay.dst, wide ? 65535.0 : 255.0, s, res, 0);
        free(up);
    } else if (status == 0) {
        store(r.out, ax.n, ay.n, bands, ax.dst, ay.dst, wide ? 65535.0 : 255.0, s, res, 0);
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

/* Grow res->data to at least n bytes. */
static void grow(ir_img_result *res, size_t n)
{
    if (res->cap < n) {
        free(res->data);
        res->data = mc_malloc(n);
        res->cap = n;
    }
}

int ir_dcm_window(float *v, size_t n, const mc_dcm *d, const mc_dcm_info *info,
                  const ir_img_spec *s, char *err, size_t errlen)
{
    double c, w, lo, hi;
    if (s->window == WIN_NONE)
        return 0;
    if (s->window != WIN_FIXED && info->voi_lut < 0) {
        snprintf(err, errlen, "malformed VOI LUT Sequence in the DICOM file (--window W,L or a "
                              "preset does without it)");
        return MC_EXIT_INPUT;
    }
    if (s->window != WIN_FIXED && info->voi_lut > 0) { /* preferred to the window, as pydicom */
        mc_dcm_voi_lut(d, v, n);
        for (size_t i = 0; info->monochrome1 && i < n; i++)
            v[i] = 1.0f - v[i];
        return 0;
    }
    if (s->window == WIN_FIXED) {
        c = s->center;
        w = s->width;
    } else if (info->has_window) {
        c = info->window_center;
        w = info->window_width;
    } else if (s->window == WIN_FILE) {
        snprintf(err, errlen, "DICOM file has no VOI LUT or Window Center/Width (--window file)");
        return MC_EXIT_INPUT;
    } else { /* auto: the frame's range */
        lo = hi = n ? v[0] : 0.0;
        for (size_t i = 1; i < n; i++) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        w = hi - lo + 1.0;
        c = (lo + hi + 1.0) / 2.0;
    }
    /* DICOM PS3.3 C.11.2.1.2.1, the linear VOI function, to 0..1 */
    for (size_t i = 0; i < n; i++) {
        double t = w > 1.0 ? (v[i] - (c - 0.5)) / (w - 1.0) + 0.5 : v[i] > c - 0.5;
        t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
        v[i] = (float)(info->monochrome1 ? 1.0 - t : t);
    }
    return 0;
}

/* Decode frame k of d (which holds info) into buf (width * height *
 * samples floats) on the scale of store's maxval 1: grey windowed by
 * ir_dcm_window, colour divided by its largest value (both as they are
 * with WIN_NONE).  Returns 0 or MC_EXIT_INPUT with res->err set. */
static int dcm_frame_values(mc_dcm *d, int k, float *buf, const ir_img_spec *s, ir_img_result *res)
{
    const mc_dcm_info *info = &res->dicom;
    size_t n = (size_t)info->width * info->height;
    int status = mc_dcm_frame(d, k, buf, res->err, sizeof res->err);
    if (status == 0 && info->samples == 1)
        status = ir_dcm_window(buf, n, d, info, s, res->err, sizeof res->err);
    else if (status == 0 && s->window != WIN_NONE) {
        float scale = (float)(1.0 / (ldexp(1.0, info->bits_stored) - 1.0));
        for (size_t i = 0; i < 3 * n; i++)
            buf[i] *= scale;
    }
    return status;
}

/* Resize one decoded DICOM frame (buf, from dcm_frame_values) into output
 * tensor k of res: through the resampler, or stored as it is for size 0
 * (colour to luma per row when the output is grey). */
static void dcm_store(const float *buf, int k, const ir_img_spec *s, ir_img_result *res)
{
    const mc_dcm_info *info = &res->dicom;
    int w = info->width, h = info->height, tw, th;
    int bands = info->samples == 3 && s->channels == 3 ? 3 : 1;
    float *luma = NULL;
    ir_resampler r;
    target_size(s, w, h, &tw, &th);
    axis_fit ax = fit_axis(tw, res->out_w), ay = fit_axis(th, res->out_h);
    if (info->samples == 3 && bands == 1)
        luma = mc_malloc((size_t)w * sizeof *luma);
    if (s->size == 0 && !luma) {
        store(buf, w, h, bands, 0, 0, 1.0, s, res, k);
        return;
    }
    ir_rs_init(&r, w, h, bands, ax.full, ax.off, ax.n, ay.full, ay.off, ay.n);
    for (int y = 0; y < h; y++) {
        const float *row = buf + (size_t)y * w * info->samples;
        if (luma) {
            for (int x = 0; x < w; x++)
                luma[x] = 0.299f * row[3 * x] + 0.587f * row[3 * x + 1] + 0.114f * row[3 * x + 2];
            row = luma;
        }
        ir_rs_row(&r, y, row);
    }
    store(r.out, ax.n, ay.n, bands, ax.dst, ay.dst, 1.0, s, res, k);
    ir_rs_free(&r);
    free(luma);
}

/* Load a DICOM file with GDCM: header and size checks before decoding,
 * the frames spec asks for, each decoded, windowed and resized.  Returns 0
 * or an exit status with res->err set. */
static int dcm_load(const char *path, const ir_img_spec *s, ir_img_result *res)
{
    mc_dcm *d;
    mc_dcm_info *info = &res->dicom;
    int status = mc_dcm_open(path, 0, &d, info, res->err, sizeof res->err), first, count;
    float *buf;
    size_t nvalues;
    if (status != 0)
        return status;
    res->is_dicom = 1;
    if ((uint64_t)info->width * (uint64_t)info->height > s->max_pixels) {
        snprintf(res->err, sizeof res->err, "image is %dx%d, over --max-pixels %llu", info->width,
                 info->height, (unsigned long long)s->max_pixels);
        mc_dcm_close(d);
        return MC_EXIT_INPUT;
    }
    if (s->frame >= info->frames) {
        snprintf(res->err, sizeof res->err, "no frame %d: the file has %d (from 0)", s->frame,
                 info->frames);
        mc_dcm_close(d);
        return MC_EXIT_INPUT;
    }
    first = s->frame == FRAME_ALL ? 0 : s->frame == FRAME_MIDDLE ? info->frames / 2 : s->frame;
    count = s->frame == FRAME_ALL ? info->frames : 1;
    res->width = info->width;
    res->height = info->height;
    res->out_w = s->size ? s->size : info->width;
    res->out_h = s->size ? s->size : info->height;
    res->nframes = count;
    res->first_frame = first;
    grow(res, (size_t)count * ir_img_bytes(s, res));
    nvalues = (size_t)info->width * info->height * info->samples;
    if (res->values_cap < nvalues) {
        free(res->values);
        res->values = mc_malloc(nvalues * sizeof *res->values);
        res->values_cap = nvalues;
    }
    buf = res->values;
    for (int k = 0; k < count && status == 0; k++) {
        status = dcm_frame_values(d, first + k, buf, s, res);
        if (status == 0)
            dcm_store(buf, k, s, res);
    }
    mc_dcm_close(d);
    return status;
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
    res->is_dicom = res->first_frame = 0;
    res->nframes = 1;
    kind = read_image_file(path, res);
    if (kind < 0)
        return MC_EXIT_IO;
    if (kind == KIND_DICOM)
        return dcm_load(path, s, res);
    if (kind == KIND_OTHER && !modules_loaded) {
        if (!alone) {
            vips_failed = 1;
            return MC_EXIT_INPUT;
        }
        load_modules();
    }
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
        res->out_w = s->size ? s->size : res->width;
        res->out_h = s->size ? s->size : res->height;
        grow(res, ir_img_bytes(s, res));
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
