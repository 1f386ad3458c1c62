/* thumbs.c - thumbnails on worker threads with libvips. */
#define _POSIX_C_SOURCE 200809L
#include "thumbs.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include <vips/vector.h> /* vips_vector_set_enabled */

void rp_thumbs_init(rp_thumbs *ts)
{
    memset(ts, 0, sizeof *ts);
    mc_strtab_init(&ts->keys);
}

void rp_thumbs_free(rp_thumbs *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        free(ts->t[i].path);
        g_free(ts->t[i].jpeg);
    }
    free(ts->t);
    mc_strtab_free(&ts->keys);
    memset(ts, 0, sizeof *ts);
}

int rp_thumbs_add(rp_thumbs *ts, const char *path, int box, const char *id)
{
    size_t n = strlen(path) + 16;
    char *key = mc_malloc(n);
    int added, k;
    snprintf(key, n, "%d:%s", box, path);
    k = mc_strtab_intern(&ts->keys, key, &added);
    free(key);
    if (added) {
        if (ts->n == ts->cap) {
            ts->cap = ts->cap ? 2 * ts->cap : 256;
            ts->t = mc_realloc(ts->t, ts->cap * sizeof *ts->t);
        }
        ts->t[ts->n++] = (rp_thumb){.path = mc_strdup(path), .id = id, .box = box};
    }
    return k;
}

/* GLib log handler: libvips warnings are dropped (with fail_on error a
 * damaged file fails, and its error is reported with the image). */
static void drop_warning(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)domain;
    (void)level;
    (void)msg;
    (void)data;
}

int rp_vips_start(const char *argv0)
{
    if (VIPS_INIT(argv0) != 0) {
        mc_err("cannot start libvips: %s", vips_error_buffer());
        return -1;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_warning, NULL);
    vips_cache_set_max(0);
    vips_concurrency_set(1); /* our workers use the cores, one image each */
    /* liborc frees its compiled programs racily when several pipelines end
     * at once (a SEGV in orc_code_free seen in CI): plain C loops instead */
    vips_vector_set_enabled(FALSE);
    return 0;
}

void rp_vips_stop(void)
{
    vips_shutdown();
}

/* The first line of libvips's error buffer after prefix into err; clears
 * the buffer. */
static void vips_reason(char *err, size_t n, const char *prefix)
{
    char *msg = vips_error_buffer_copy();
    size_t len = strcspn(msg, "\n");
    snprintf(err, n, "%s: %.*s", prefix, (int)(len < 240 ? len : 240), msg);
    g_free(msg);
}

/* Check path's size in its header against max_pixels.  Returns 0, 1 when
 * libvips cannot open it, or 2 when it is too large (err set). */
static int check_header(const char *path, uint64_t max_pixels, char *err, size_t n)
{
    VipsImage *im = vips_image_new_from_file(path, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!im)
        return 1;
    if ((uint64_t)im->Xsize * (uint64_t)im->Ysize > max_pixels) {
        snprintf(err, n, "image is %dx%d, over --max-pixels %llu", im->Xsize, im->Ysize,
                 (unsigned long long)max_pixels);
        g_object_unref(im);
        return 2;
    }
    g_object_unref(im);
    return 0;
}

/* im made 8-bit grey or sRGB without alpha (alpha flattened on black);
 * t is a local array of at least 3 images under a context object. */
static VipsImage *plain8(VipsImage *im, VipsImage **t)
{
    int grey = vips_image_get_bands(im) - vips_image_hasalpha(im) == 1;
    VipsInterpretation kind = vips_image_guess_interpretation(im);
    if (im->BandFmt == VIPS_FORMAT_UCHAR && !vips_image_hasalpha(im) &&
        ((grey && kind == VIPS_INTERPRETATION_B_W) || (!grey && im->Bands == 3 && kind == VIPS_INTERPRETATION_sRGB)))
        return im; /* already plain */
    if (vips_image_hasalpha(im)) {
        if (vips_flatten(im, &t[0], NULL) != 0)
            return NULL;
        im = t[0];
    }
    if (vips_colourspace(im, &t[1], grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL) != 0)
        return NULL;
    im = t[1];
    if (im->BandFmt != VIPS_FORMAT_UCHAR) {
        if (vips_cast_uchar(im, &t[2], NULL) != 0)
            return NULL;
        im = t[2];
    }
    return im;
}

/* The bytes of file path (malloc'd, *len set), or NULL with the reason in err. */
static unsigned char *read_file(const char *path, size_t *len, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, got;
    *len = 0;
    if (!f) {
        snprintf(err, n, "cannot open: %s", strerror(errno));
        return NULL;
    }
    do {
        if (*len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            buf = mc_realloc(buf, cap);
        }
        got = fread(buf + *len, 1, cap - *len, f);
        *len += got;
    } while (got > 0);
    if (ferror(f)) {
        snprintf(err, n, "cannot read: %s", strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Make thumbnail t from the file's bytes: decoded once, top to bottom
 * (JPEG shrunk on load by 2, 4 or 8 where that still covers the box),
 * turned upright,
 * reduced with a linear kernel to fit the box, made plain 8-bit and
 * encoded as JPEG.  Returns 0, 1 when it failed for a reason already in
 * t->err, or -1 when libvips failed (t->err not set). */
static int thumb_once(rp_thumb *t, uint64_t max_pixels)
{
    VipsImage *ctx, **l, *im;
    size_t len;
    unsigned char *file = read_file(t->path, &len, t->err, sizeof t->err);
    const char *loader;
    void *buf = NULL;
    int rc = -1, w, h, shrink = 1, rotate;
    if (!file)
        return 1;
    ctx = vips_image_new();
    l = (VipsImage **)vips_object_local_array(VIPS_OBJECT(ctx), 8);
    if (!(loader = vips_foreign_find_load_buffer(file, len)) ||
        !(l[3] = vips_image_new_from_buffer(file, len, "", "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                            VIPS_FAIL_ON_ERROR, NULL)))
        goto out;
    w = l[3]->Xsize;
    h = l[3]->Ysize;
    if ((uint64_t)w * (uint64_t)h > max_pixels) {
        snprintf(t->err, sizeof t->err, "image is %dx%d, over --max-pixels %llu", w, h,
                 (unsigned long long)max_pixels);
        rc = 1;
        goto out;
    }
    if (strstr(loader, "Jpeg"))
        while (shrink < 8 && (w > h ? w : h) / (2 * shrink) >= t->box)
            shrink *= 2;
    /* read top to bottom (opened so) unless the EXIF orientation turns the image */
    rotate = vips_image_get_orientation(l[3]) > 1;
    if (rotate || shrink > 1) {
        VipsAccess access = rotate ? VIPS_ACCESS_RANDOM : VIPS_ACCESS_SEQUENTIAL;
        if (!(l[4] = shrink > 1 ? vips_image_new_from_buffer(file, len, "", "shrink", shrink, "access", access,
                                                              "fail_on", VIPS_FAIL_ON_ERROR, NULL)
                                : vips_image_new_from_buffer(file, len, "", "access", access, "fail_on",
                                                              VIPS_FAIL_ON_ERROR, NULL)))
            goto out;
    } else {
        l[4] = l[3];
        g_object_ref(l[4]);
    }
    if (rotate) {
        if (vips_autorot(l[4], &l[5], NULL) != 0)
            goto out;
    } else {
        l[5] = l[4];
        g_object_ref(l[5]);
    }
    im = l[5];
    if ((im->Xsize > im->Ysize ? im->Xsize : im->Ysize) > t->box) {
        if (vips_resize(im, &l[6], (double)t->box / (im->Xsize > im->Ysize ? im->Xsize : im->Ysize), "kernel",
                        VIPS_KERNEL_LINEAR, NULL) != 0)
            goto out;
        im = l[6];
    }
    if ((im = plain8(im, l)) != NULL && vips_jpegsave_buffer(im, &buf, &len, "Q", 85, "strip", TRUE, NULL) == 0) {
        t->jpeg = buf;
        t->len = len;
        t->w = im->Xsize;
        t->h = im->Ysize;
        rc = 0;
    }
out:
    g_object_unref(ctx);
    free(file);
    return rc;
}

typedef struct {
    rp_thumbs *ts;
    const char *dir;
    uint64_t max_pixels;
    pthread_mutex_t lock; /* next, failed */
    pthread_rwlock_t alone; /* read: a normal job; write: a failed one, again alone */
    size_t next, failed;
} pool;

/* Write job k's JPEG to p->dir/NNNNNN.jpg and drop it from memory. */
static void write_file(pool *p, size_t k)
{
    rp_thumb *t = &p->ts->t[k];
    size_t n = strlen(p->dir) + 32;
    char *name = mc_malloc(n);
    FILE *f;
    snprintf(name, n, "%s/%06zu.jpg", p->dir, k);
    f = fopen(name, "wb");
    if (!f || fwrite(t->jpeg, 1, t->len, f) != t->len || fclose(f) != 0)
        snprintf(t->err, sizeof t->err, "cannot write the thumbnail %s: %s", name, strerror(errno));
    free(name);
    g_free(t->jpeg);
    t->jpeg = NULL;
}

/* Worker thread: take jobs until none is left. */
static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t k;
        rp_thumb *t;
        int rc;
        pthread_mutex_lock(&p->lock);
        k = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (k >= p->ts->n)
            return NULL;
        t = &p->ts->t[k];
        pthread_rwlock_rdlock(&p->alone);
        rc = thumb_once(t, p->max_pixels);
        pthread_rwlock_unlock(&p->alone);
        if (rc < 0) { /* again, alone, for libvips's message about this image */
            pthread_rwlock_wrlock(&p->alone);
            vips_error_clear();
            rc = thumb_once(t, p->max_pixels);
            if (rc < 0)
                vips_reason(t->err, sizeof t->err, "cannot read image");
            vips_error_clear();
            pthread_rwlock_unlock(&p->alone);
        }
        if (rc == 0 && p->dir)
            write_file(p, k);
        if (t->err[0]) {
            pthread_mutex_lock(&p->lock);
            p->failed++;
            pthread_mutex_unlock(&p->lock);
        }
    }
}

size_t rp_thumbs_run(rp_thumbs *ts, int nthreads, const char *dir, uint64_t max_pixels)
{
    pool p = {.ts = ts, .dir = dir, .max_pixels = max_pixels};
    pthread_t *th;
    int started = 0;
    if ((size_t)nthreads > ts->n)
        nthreads = ts->n ? (int)ts->n : 1;
    th = mc_malloc((size_t)nthreads * sizeof *th);
    pthread_mutex_init(&p.lock, NULL);
    pthread_rwlock_init(&p.alone, NULL);
    for (int i = 1; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, worker, &p) == 0)
            started = i;
        else
            break;
    worker(&p);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    pthread_rwlock_destroy(&p.alone);
    pthread_mutex_destroy(&p.lock);
    free(th);
    return p.failed;
}

VipsImage *rp_load_srgb(const char *path, uint64_t max_pixels, char *err, size_t errlen)
{
    VipsImage *ctx, **l, *im, *out = NULL;
    int rc = check_header(path, max_pixels, err, errlen);
    if (rc == 2)
        return NULL;
    ctx = vips_image_new();
    l = (VipsImage **)vips_object_local_array(VIPS_OBJECT(ctx), 5);
    if (rc == 0 && (l[3] = vips_image_new_from_file(path, "fail_on", VIPS_FAIL_ON_ERROR, NULL)) != NULL &&
        vips_autorot(l[3], &l[4], NULL) == 0 && (im = plain8(l[4], l)) != NULL &&
        vips_colourspace(im, &out, VIPS_INTERPRETATION_sRGB, NULL) != 0)
        out = NULL;
    if (!out)
        vips_reason(err, errlen, "cannot read image");
    g_object_unref(ctx);
    return out;
}
