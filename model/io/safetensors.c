/* safetensors.c - validated reader and atomic writer of .safetensors files.
 *
 * The reader maps the file, then checks everything before any tensor is
 * used: header length against the cap and the file size, the JSON, each
 * entry's dtype, shape and byte range (inside the data section, element
 * count x item size equal to its length), duplicate names, and that the
 * ranges neither overlap nor leave holes.  Loading into a parameter table
 * then checks names and shapes against the table.
 */
#define _DEFAULT_SOURCE /* MADV_POPULATE_READ */
#define _POSIX_C_SOURCE 200809L
#include "io/safetensors.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_ST_MAX_DIMS 8

/* Format a message into err (printf-style) and return code. */
static int fail(char *err, size_t n, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return code;
}

/* Item size of a dtype code (0 if unknown). */
static size_t item_size(int dtype)
{
    switch (dtype) {
    case MC_ST_F32: return 4;
    case MC_ST_F16: return 2;
    case MC_ST_BF16: return 2;
    case MC_ST_I64: return 8;
    default: return 0;
    }
}

/* dtype code of a safetensors dtype name, or 0. */
static int dtype_code(const char *s)
{
    if (strcmp(s, "F32") == 0) return MC_ST_F32;
    if (strcmp(s, "F16") == 0) return MC_ST_F16;
    if (strcmp(s, "BF16") == 0) return MC_ST_BF16;
    if (strcmp(s, "I64") == 0) return MC_ST_I64;
    return 0;
}

/* 1 if j is a JSON number holding an integer in [0, 2^53]. */
static int json_uint(const cJSON *j, size_t *out)
{
    double d;
    if (!cJSON_IsNumber(j))
        return 0;
    d = j->valuedouble;
    if (!(d >= 0.0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d)
        return 0;
    *out = (size_t)d;
    return 1;
}

/* Parse one tensor entry e (named e->string) into t.  Returns 0 or
 * MC_EXIT_MODEL with a message. */
static int parse_entry(const mc_st_file *f, const cJSON *e, mc_st_tensor *t, char *err, size_t n)
{
    const char *name = e->string;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    const cJSON *d;
    size_t count = 1, bytes, data_size = f->size - f->data_off;
    if (!cJSON_IsObject(e))
        return fail(err, n, MC_EXIT_MODEL, "%s: tensor '%s': entry is not an object", f->path, name);
    if (!cJSON_IsString(dt))
        return fail(err, n, MC_EXIT_MODEL, "%s: tensor '%s': no \"dtype\" string", f->path, name);
    t->dtype = dtype_code(dt->valuestring);
    if (!t->dtype)
        return fail(err, n, MC_EXIT_MODEL,
                    "%s: tensor '%s': unsupported dtype %s (F32, F16, BF16 or I64 expected)",
                    f->path, name, dt->valuestring);
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > MC_ST_MAX_DIMS)
        return fail(err, n, MC_EXIT_MODEL, "%s: tensor '%s': \"shape\" is not an array of at most %d sizes",
                    f->path, name, MC_ST_MAX_DIMS);
    t->ndim = 0;
    cJSON_ArrayForEach(d, shape) {
        size_t v;
        if (!json_uint(d, &v) || mc_mul_overflow(count, v, &count) != 0)
            return fail(err, n, MC_EXIT_MODEL, "%s: tensor '%s': bad size in \"shape\"", f->path, name);
        t->shape[t->ndim++] = (int64_t)v;
    }
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !json_uint(cJSON_GetArrayItem(offs, 0), &t->begin) ||
        !json_uint(cJSON_GetArrayItem(offs, 1), &t->end) || t->begin > t->end)
        return fail(err, n, MC_EXIT_MODEL, "%s: tensor '%s': bad \"data_offsets\"", f->path, name);
    if (t->end > data_size)
        return fail(err, n, MC_EXIT_MODEL,
                    "%s: tensor '%s': data_offsets [%zu,%zu] reach past the end of the data (%zu bytes)",
                    f->path, name, t->begin, t->end, data_size);
    if (mc_mul_overflow(count, item_size(t->dtype), &bytes) != 0 || bytes != t->end - t->begin)
        return fail(err, n, MC_EXIT_MODEL,
                    "%s: tensor '%s': shape and dtype need %zu bytes but data_offsets give %zu",
                    f->path, name, count * item_size(t->dtype), t->end - t->begin);
    t->name = mc_strdup(name);
    return 0;
}

static int by_begin(const void *a, const void *b)
{
    const mc_st_tensor *x = *(mc_st_tensor *const *)a, *y = *(mc_st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(mc_st_tensor *const *)a)->name, (*(mc_st_tensor *const *)b)->name);
}

/* Check names are unique and byte ranges tile the data section exactly. */
static int check_layout(const mc_st_file *f, char *err, size_t n)
{
    mc_st_tensor **s = mc_malloc((size_t)(f->n ? f->n : 1) * sizeof *s);
    size_t pos = 0, data_size = f->size - f->data_off;
    int rc = 0;
    for (int i = 0; i < f->n; i++)
        s[i] = &f->t[i];
    qsort(s, (size_t)f->n, sizeof *s, by_name);
    for (int i = 1; i < f->n && !rc; i++)
        if (strcmp(s[i - 1]->name, s[i]->name) == 0)
            rc = fail(err, n, MC_EXIT_MODEL, "%s: duplicate tensor name '%s'", f->path, s[i]->name);
    qsort(s, (size_t)f->n, sizeof *s, by_begin);
    for (int i = 0; i < f->n && !rc; i++) {
        if (s[i]->begin < pos)
            rc = fail(err, n, MC_EXIT_MODEL, "%s: tensor '%s' overlaps tensor '%s'", f->path,
                      s[i]->name, s[i - 1]->name);
        else if (s[i]->begin > pos)
            rc = fail(err, n, MC_EXIT_MODEL, "%s: hole in the data before tensor '%s' (bytes %zu..%zu unused)",
                      f->path, s[i]->name, pos, s[i]->begin);
        else
            pos = s[i]->end;
    }
    if (!rc && pos != data_size)
        rc = fail(err, n, MC_EXIT_MODEL, "%s: %zu bytes after the last tensor's data", f->path,
                  data_size - pos);
    free(s);
    return rc;
}

/* Parse and validate the JSON header text (len bytes). */
static int parse_header(mc_st_file *f, const char *text, size_t len, char *err, size_t n)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0), *e;
    int rc = 0, cap;
    if (!root)
        return fail(err, n, MC_EXIT_MODEL, "%s: header is not valid JSON (near byte %ld)", f->path,
                    8 + (long)((cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : text) - text));
    for (const char *p = end; p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\0')
            rc = fail(err, n, MC_EXIT_MODEL, "%s: junk after the JSON header", f->path);
    if (!rc && !cJSON_IsObject(root))
        rc = fail(err, n, MC_EXIT_MODEL, "%s: header is not a JSON object", f->path);
    cap = rc ? 0 : cJSON_GetArraySize(root);
    f->t = mc_calloc((size_t)(cap ? cap : 1), sizeof *f->t);
    for (e = rc ? NULL : root->child; e && !rc; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            const cJSON *m;
            if (f->metadata || !cJSON_IsObject(e)) {
                rc = fail(err, n, MC_EXIT_MODEL, "%s: \"__metadata__\" must be one object of strings",
                          f->path);
                break;
            }
            cJSON_ArrayForEach(m, e) if (!cJSON_IsString(m))
                rc = fail(err, n, MC_EXIT_MODEL, "%s: __metadata__ value '%s' is not a string", f->path,
                          m->string);
            f->metadata = cJSON_Duplicate(e, 1);
            continue;
        }
        rc = parse_entry(f, e, &f->t[f->n], err, n);
        if (!rc)
            f->n++;
    }
    cJSON_Delete(root);
    return rc ? rc : check_layout(f, err, n);
}

int mc_st_open(mc_st_file *f, const char *path, char *err, size_t errlen)
{
    struct stat st;
    uint64_t hlen = 0;
    int fd, rc;
    memset(f, 0, sizeof *f);
    f->path = path;
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return fail(err, errlen, MC_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = fail(err, errlen, MC_EXIT_IO, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 8) {
        close(fd);
        return fail(err, errlen, MC_EXIT_MODEL, "%s: not a safetensors file (%s)", path,
                    S_ISREG(st.st_mode) ? "shorter than 8 bytes" : "not a regular file");
    }
    f->size = (size_t)st.st_size;
    f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        return fail(err, errlen, MC_EXIT_IO, "%s: cannot map: %s", path, strerror(errno));
    }
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | f->map[i];
    if (hlen > MC_ST_MAX_HEADER)
        rc = fail(err, errlen, MC_EXIT_MODEL, "%s: header length %llu exceeds the %u-byte cap", path,
                  (unsigned long long)hlen, MC_ST_MAX_HEADER);
    else if (hlen == 0 || hlen > f->size - 8)
        rc = fail(err, errlen, MC_EXIT_MODEL, "%s: header length %llu does not fit the %zu-byte file",
                  path, (unsigned long long)hlen, f->size);
    else {
        f->data_off = 8 + (size_t)hlen;
        rc = parse_header(f, (const char *)f->map + 8, (size_t)hlen, err, errlen);
    }
    if (rc)
        mc_st_close(f);
    return rc;
}

const char *mc_st_meta(const mc_st_file *f, const char *key)
{
    const cJSON *v = f->metadata ? cJSON_GetObjectItemCaseSensitive(f->metadata, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int mc_st_find(const mc_st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0)
            return i;
    return -1;
}

/* IEEE half (bits h) to float. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    float out;
    if (exp == 0x1f)
        bits = sign | 0x7f800000u | man << 13;
    else if (exp != 0)
        bits = sign | (exp + 112) << 23 | man << 13;
    else if (man == 0)
        bits = sign;
    else {
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | (uint32_t)(112 - e) << 23 | (man & 0x3ff) << 13;
    }
    memcpy(&out, &bits, 4);
    return out;
}

/* Float to IEEE half, rounding to nearest even; overflow gives infinity. */
static uint16_t float_to_half(float x)
{
    uint32_t b, sign, man;
    int exp;
    memcpy(&b, &x, 4);
    sign = (b >> 16) & 0x8000;
    exp = (int)((b >> 23) & 0xff) - 127 + 15;
    man = b & 0x7fffff;
    if (((b >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        uint32_t m, shift, half, r;
        if (exp < -10)
            return (uint16_t)sign;
        m = man | 0x800000;
        shift = (uint32_t)(14 - exp);
        half = 1u << (shift - 1);
        r = m >> shift;
        if ((m & ((1u << shift) - 1)) > half || ((m & ((1u << shift) - 1)) == half && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    {
        uint32_t h = sign | (uint32_t)exp << 10 | man >> 13, rem = man & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
            h++; /* may carry into the exponent, which is correct rounding */
        return (uint16_t)h;
    }
}

/* Map the file's pages of [p, p + n) in one call, not a page fault per 16
 * pages (a hint: a kernel without MADV_POPULATE_READ ignores it). */
static void populate(const unsigned char *p, size_t n)
{
#ifdef MADV_POPULATE_READ
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start = (uintptr_t)p & ~(page - 1);
    madvise((void *)start, (uintptr_t)p + n - start, MADV_POPULATE_READ);
#else
    (void)p;
    (void)n;
#endif
}

/* Copy count little-endian F32 values from src to dst: one memcpy on a
 * little-endian host. */
static void read_f32_le(const unsigned char *src, size_t count, float *dst)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst, src, count * 4);
#else
    for (size_t k = 0; k < count; k++, src += 4) {
        uint32_t b = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 |
                     (uint32_t)src[3] << 24;
        memcpy(&dst[k], &b, 4);
    }
#endif
}

void mc_st_read_f32(const mc_st_file *f, int i, float *dst)
{
    const mc_st_tensor *t = &f->t[i];
    const unsigned char *s = f->map + f->data_off + t->begin;
    size_t count = (t->end - t->begin) / item_size(t->dtype);
    populate(s, t->end - t->begin);
    switch (t->dtype) {
    case MC_ST_F32:
        read_f32_le(s, count, dst);
        break;
    case MC_ST_F16:
        for (size_t k = 0; k < count; k++, s += 2)
            dst[k] = half_to_float((uint16_t)(s[0] | s[1] << 8));
        break;
    case MC_ST_BF16:
        for (size_t k = 0; k < count; k++, s += 2) {
            uint32_t b = (uint32_t)(s[0] | s[1] << 8) << 16;
            memcpy(&dst[k], &b, 4);
        }
        break;
    default: /* MC_ST_I64 */
        for (size_t k = 0; k < count; k++, s += 8) {
            uint64_t v = 0;
            for (int j = 7; j >= 0; j--)
                v = v << 8 | s[j];
            dst[k] = (float)(int64_t)v;
        }
    }
}

int mc_st_shape_matches(const mc_st_tensor *t, const mc_tensor_spec *s)
{
    int same = t->ndim == s->ndim;
    for (int d = 0; same && d < s->ndim; d++)
        same = t->shape[d] == s->shape[d];
    return same;
}

void mc_st_shape_str(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

int mc_st_is_bookkeeping(const char *name)
{
    static const char suffix[] = ".num_batches_tracked";
    size_t a = strlen(name), b = sizeof suffix - 1;
    return a >= b && strcmp(name + a - b, suffix) == 0;
}

int mc_st_load_ruled(const mc_st_file *f, mc_params *p, const char *prefix,
                     const mc_st_load_rules *r, char *err, size_t errlen)
{
    static const mc_st_load_rules none = {NULL, NULL, NULL, NULL};
    size_t plen = strlen(prefix);
    char name[MC_PARAM_NAME + 256];
    int dry = p->data == NULL; /* check names and shapes only */
    if (!r)
        r = &none;
    for (int i = 0; i < p->n; i++) {
        const mc_tensor_spec *s = &p->t[i];
        int j;
        snprintf(name, sizeof name, "%s%s", prefix, s->name);
        j = mc_st_find(f, name);
        if (j < 0)
            return fail(err, errlen, MC_EXIT_MODEL, "%s: tensor '%s' is missing%s%s%s", f->path, name,
                        r->owner ? " (" : "", r->owner ? r->owner : "", r->owner ? ")" : "");
        if (mc_st_shape_matches(&f->t[j], s)) {
            if (!dry)
                mc_st_read_f32(f, j, mc_params_at(p, i));
        } else if (dry && r->convert) {
            continue; /* what a convert rule takes is decided when reading */
        } else if (!r->convert || !r->convert(f, j, i, mc_params_at(p, i), r->ctx)) {
            char got[160], want[160];
            mc_st_shape_str(got, sizeof got, f->t[j].ndim, f->t[j].shape);
            mc_st_shape_str(want, sizeof want, s->ndim, s->shape);
            return fail(err, errlen, MC_EXIT_MODEL, "%s: tensor '%s' has shape %s, expected %s", f->path,
                        name, got, want);
        }
    }
    for (int j = 0; j < f->n; j++) {
        const char *nm = f->t[j].name;
        if (strncmp(nm, prefix, plen) != 0 || mc_st_is_bookkeeping(nm) ||
            (r->skip && strncmp(nm + plen, r->skip, strlen(r->skip)) == 0))
            continue;
        if (mc_params_find(p, nm + plen) < 0)
            return fail(err, errlen, MC_EXIT_MODEL, "%s: unexpected tensor '%s' (not part of %s)",
                        f->path, nm, r->owner ? r->owner : "this model");
    }
    return 0;
}

int mc_st_load_prefix(const mc_st_file *f, mc_params *p, const char *prefix, char *err, size_t errlen)
{
    return mc_st_load_ruled(f, p, prefix, NULL, err, errlen);
}

int mc_st_load_params(const mc_st_file *f, mc_params *p, char *err, size_t errlen)
{
    return mc_st_load_prefix(f, p, "", err, errlen);
}

void mc_st_close(mc_st_file *f)
{
    if (f->map)
        munmap(f->map, f->size);
    for (int i = 0; i < f->n; i++)
        free(f->t[i].name);
    free(f->t);
    cJSON_Delete(f->metadata);
    memset(f, 0, sizeof *f);
}

/* The JSON header for p's tensors (item size isz) and metadata, padded with
 * spaces to a multiple of 8 bytes; *len receives its length. */
static char *header_json(const mc_params *p, const cJSON *metadata, int half, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    size_t pos = 0, isz = half ? 2 : 4, n;
    char *text, *padded;
    if (metadata && cJSON_GetArraySize(metadata) > 0)
        cJSON_AddItemToObject(root, "__metadata__", cJSON_Duplicate(metadata, 1));
    for (int i = 0; i < p->n; i++) {
        const mc_tensor_spec *s = &p->t[i];
        cJSON *e = cJSON_AddObjectToObject(root, s->name), *shape, *offs;
        cJSON_AddStringToObject(e, "dtype", half ? "F16" : "F32");
        shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < s->ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)s->shape[d]));
        offs = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)pos));
        pos += s->count * isz;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)pos));
    }
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        mc_die(MC_EXIT_INTERNAL, "out of memory (safetensors header)");
    n = strlen(text);
    *len = (n + 7) & ~(size_t)7;
    padded = mc_malloc(*len);
    memcpy(padded, text, n);
    memset(padded + n, ' ', *len - n);
    free(text);
    return padded;
}

int mc_st_write(const char *path, const mc_params *p, const cJSON *metadata, int half)
{
    mc_atomic a;
    size_t hlen;
    char *hdr = header_json(p, metadata, half, &hlen);
    unsigned char lenb[8];
    if (mc_atomic_open(&a, path) != 0) {
        free(hdr);
        return -1;
    }
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    fwrite(lenb, 1, 8, a.f);
    fwrite(hdr, 1, hlen, a.f);
    free(hdr);
    /* little-endian bytes, 4096 values per fwrite (one fwrite per value
     * was most of the time a short training run spent saving) */
    for (int i = 0; i < p->n; i++) {
        const float *v = mc_params_at(p, i);
        unsigned char b[4096 * 4];
        size_t isz = half ? 2 : 4, used = 0;
        for (size_t k = 0; k < p->t[i].count; k++) {
            uint32_t u;
            if (half) {
                u = float_to_half(v[k]);
            } else {
                memcpy(&u, &v[k], 4);
            }
            for (size_t j = 0; j < isz; j++)
                b[used++] = (unsigned char)(u >> (8 * j));
            if (used == sizeof b) {
                fwrite(b, 1, used, a.f);
                used = 0;
            }
        }
        fwrite(b, 1, used, a.f);
    }
    return mc_atomic_commit(&a);
}
