/* inputs.c - img-resize's arguments as one sequence of items (see inputs.h). */
#define _POSIX_C_SOURCE 200809L
#include "inputs.h"
#include "io/dicom.h"
#include "io/frame.h"
#include "core/progress.h"
#include "io/gzin.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A line longer than this is an error; records over the frame metadata cap
 * (16 MiB) must still be read whole, to be reported as such. */
#define MAX_LINE ((size_t)1 << 30)

enum { K_LIST, K_IMAGE, K_FRAMES };

struct ir_inputs {
    char **args;
    int nargs, next;        /* the next argument to open */
    const char *root;
    int recursive;
    /* the list being read */
    int reading;
    mc_gzin gz;
    char *line;
    size_t cap;
    long lineno;
    /* the folder being walked: its images, sorted */
    const char *dir;
    char **found;
    size_t nfound, cap_found, at;
    /* the current file item's strings */
    char *path, *id, *image;
};

/* Whether name (a file name or path) ends in suffix, any case. */
static int ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcasecmp(name + n - k, suffix) == 0;
}

int ir_image_name(const char *name)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pgm",
                                      ".ppm", ".pnm", ".webp", ".dcm"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (ends_with(name, ext[i]))
            return 1;
    return 0;
}

/* Whether name is a list by its extension (.gz of one too). */
static int list_name(const char *name)
{
    static const char *const ext[] = {".ndjson", ".jsonl", ".json", ".txt", ".list"};
    char buf[32];
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        snprintf(buf, sizeof buf, "%s.gz", ext[i]);
        if (ends_with(name, ext[i]) || ends_with(name, buf))
            return 1;
    }
    return 0;
}

/* The image format whose signature h[0..n) starts with, or NULL. */
static const char *image_magic(const unsigned char *h, size_t n)
{
    if (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "PNG";
    if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF)
        return "JPEG";
    if (n >= 4 && (memcmp(h, "II*\0", 4) == 0 || memcmp(h, "MM\0*", 4) == 0))
        return "TIFF";
    if (n >= 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0)
        return "WebP";
    if (n >= 3 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6' &&
        (h[2] == ' ' || h[2] == '\n' || h[2] == '\r' || h[2] == '\t'))
        return "PNM";
    if (mc_dcm_sniff(h, n))
        return "DICOM";
    return NULL;
}

/* What the first n bytes h of a stream are: frames, an image or a list. */
static int content_kind(const unsigned char *h, size_t n)
{
    if (n >= 8 && memcmp(h, MC_FRAME_MAGIC, 8) == 0)
        return K_FRAMES;
    return image_magic(h, n) ? K_IMAGE : K_LIST;
}

/* The first bytes of the file at path into h (132 bytes); the count, or
 * -1 when it cannot be opened or read (errno set). */
static long head_of(const char *path, unsigned char *h)
{
    FILE *f = fopen(path, "rb");
    size_t got;
    int bad;
    if (!f)
        return -1;
    got = fread(h, 1, 132, f);
    bad = ferror(f);
    fclose(f);
    return bad ? -1 : (long)got;
}

/* The length of root without trailing slashes (a lone "/" kept). */
static size_t root_len(const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    return n;
}

char *ir_path_id(const char *path, const char *root)
{
    const char *rel = path, *base, *dot;
    size_t rl = root && root[0] ? root_len(root) : 0;
    char *id;
    if (rl > 0 && strncmp(path, root, rl) == 0 && (path[rl] == '/' || root[rl - 1] == '/') &&
        path[rl + (path[rl] == '/')])
        rel = path + rl + (path[rl] == '/');
    else if (path[0] == '/') {
        base = strrchr(path, '/');
        rel = base + 1;
    }
    while (rel[0] == '.' && rel[1] == '/')
        for (rel += 2; *rel == '/'; rel++)
            ;
    id = mc_strdup(rel);
    base = strrchr(id, '/');
    base = base ? base + 1 : id;
    dot = strrchr(base, '.');
    if (dot && dot != base)
        id[dot - id] = '\0';
    return id;
}

/* Add path to the folder's images. */
static void add_found(ir_inputs *in, const char *path)
{
    if (in->nfound == in->cap_found) {
        in->cap_found = in->cap_found ? 2 * in->cap_found : 64;
        in->found = mc_realloc(in->found, in->cap_found * sizeof *in->found);
    }
    in->found[in->nfound++] = mc_strdup(path);
}

/* Whether the file at path is an image to take from a folder: an image
 * extension, or no extension and the DICM preamble. */
static int walk_takes(const char *path, const char *name)
{
    unsigned char h[132];
    long n;
    if (ir_image_name(name))
        return 1;
    if (strchr(name, '.'))
        return 0;
    n = head_of(path, h);
    return n > 0 && mc_dcm_sniff(h, (size_t)n);
}

/* Collect the images of folder dir (and of its sub-folders when recursive;
 * hidden entries and linked folders are skipped).  Returns 0, or
 * MC_EXIT_IO after a message. */
static int walk(ir_inputs *in, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st, lst;
    int status = 0;
    if (!d) {
        mc_err_at(dir, 0, "cannot read the folder: %s", strerror(errno));
        return MC_EXIT_IO;
    }
    while (status == 0 && (errno = 0, e = readdir(d)) != NULL) {
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path;
        if (e->d_name[0] == '.')
            continue;
        path = mc_malloc(n);
        snprintf(path, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        if (stat(path, &st) == 0 && lstat(path, &lst) == 0) {
            if (S_ISDIR(st.st_mode) && !S_ISLNK(lst.st_mode) && in->recursive)
                status = walk(in, path);
            else if (S_ISREG(st.st_mode) && walk_takes(path, e->d_name))
                add_found(in, path);
        }
        free(path);
    }
    if (status == 0 && errno != 0) {
        mc_err_at(dir, 0, "cannot read the folder: %s", strerror(errno));
        status = MC_EXIT_IO;
    }
    closedir(d);
    return status;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Free the folder's images. */
static void drop_found(ir_inputs *in)
{
    for (size_t i = 0; i < in->nfound; i++)
        free(in->found[i]);
    in->nfound = in->at = 0;
}

ir_inputs *ir_inputs_new(char **args, int n, const char *root, int recursive)
{
    static char dash[] = "-";
    static char *stdin_arg[] = {dash};
    ir_inputs *in = mc_calloc(1, sizeof *in);
    in->args = n > 0 ? args : stdin_arg;
    in->nargs = n > 0 ? n : 1;
    in->root = root;
    in->recursive = recursive;
    return in;
}

/* Set the current file item to path (its id and image key from root, or
 * from the walked folder dir when there is no root). */
static void file_item(ir_inputs *in, ir_item *it, const char *path, const char *dir)
{
    const char *root = in->root ? in->root : dir;
    size_t rl = in->root && in->root[0] ? root_len(in->root) : 0;
    free(in->path);
    free(in->id);
    free(in->image);
    in->path = mc_strdup(path);
    in->id = ir_path_id(path, root);
    if (rl > 0 && strncmp(path, in->root, rl) == 0 && path[rl] == '/')
        in->image = mc_strdup(path + rl + 1);
    else
        in->image = mc_strdup(path);
    it->name = in->path;
    it->line = 0;
    it->text = NULL;
    it->path = in->path;
    it->id = in->id;
    it->image = in->image;
}

/* Open list arg for reading; 0, or an exit status after a message. */
static int open_list(ir_inputs *in, const char *arg)
{
    const unsigned char *h;
    size_t n;
    const char *fmt;
    if (mc_gzin_open(&in->gz, arg) != 0) {
        mc_err_at(arg, 0, "%s", in->gz.msg);
        return MC_EXIT_IO;
    }
    in->reading = 1;
    in->lineno = 0;
    if (mc_gzin_fill(&in->gz) < 0)
        return 0; /* reported by the first read */
    h = in->gz.buf + in->gz.pos;
    n = in->gz.len - in->gz.pos;
    if (content_kind(h, n) == K_FRAMES) {
        mc_err_at(arg, 0, "input is binary frames, not records or image paths");
        return MC_EXIT_INPUT;
    }
    if ((fmt = image_magic(h, n)) != NULL) {
        mc_err_at(arg, 0, "input is an image (%s), not records or image paths: name the image "
                  "as an argument", fmt);
        return MC_EXIT_INPUT;
    }
    return 0;
}

/* Start argument arg: a list, a folder or an image.  Returns 1 when it is
 * an image (the item set), 0 when a list or folder is now open, or an exit
 * status after a message (negated). */
static int open_arg(ir_inputs *in, const char *arg, ir_item *it)
{
    struct stat st;
    unsigned char h[132];
    long n;
    int status, kind;
    if (strcmp(arg, "-") == 0)
        return -open_list(in, arg);
    if (stat(arg, &st) != 0) {
        mc_err_at(arg, 0, "cannot open: %s", strerror(errno));
        return -MC_EXIT_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        drop_found(in);
        if ((status = walk(in, arg)) != 0)
            return -status;
        if (in->nfound > 0)
            qsort(in->found, in->nfound, sizeof *in->found, cmp_path);
        else if (!mc_quiet)
            mc_err_at(arg, 0, "warning: no images in the folder%s", in->recursive ? "" :
                      " (its sub-folders are read with --recursive)");
        in->dir = arg;
        return 0;
    }
    if (ir_image_name(arg) && !list_name(arg)) {
        file_item(in, it, arg, NULL);
        return 1;
    }
    if (!S_ISREG(st.st_mode)) /* a pipe: read once, as a list (open_list checks it) */
        return -open_list(in, arg);
    n = head_of(arg, h);
    if (n < 0) {
        mc_err_at(arg, 0, "cannot open: %s", strerror(errno));
        return -MC_EXIT_IO;
    }
    kind = content_kind(h, (size_t)n);
    if (kind == K_IMAGE && !list_name(arg)) {
        file_item(in, it, arg, NULL);
        return 1;
    }
    return -open_list(in, arg);
}

/* The next line of the open list: 1 (item set), 0 at its end (closed), or
 * -1 with *status set. */
static int next_line(ir_inputs *in, ir_item *it, int *status)
{
    long n = mc_gzin_line(&in->gz, &in->line, &in->cap, MAX_LINE);
    if (n == -2) {
        mc_err_at(in->gz.name, in->lineno + 1, "%s", in->gz.msg);
        *status = in->gz.error == MC_GZIN_IOERR ? MC_EXIT_IO : MC_EXIT_INPUT;
        return -1;
    }
    if (n == -1) {
        mc_gzin_close(&in->gz);
        in->reading = 0;
        return 0;
    }
    in->lineno++;
    it->name = in->gz.name;
    it->line = in->lineno;
    it->text = in->line;
    it->path = it->id = it->image = NULL;
    return 1;
}

int ir_inputs_next(ir_inputs *in, ir_item *it, int *status)
{
    for (;;) {
        if (in->reading) {
            int rc = next_line(in, it, status);
            if (rc != 0)
                return rc;
            continue;
        }
        if (in->dir) {
            if (in->at < in->nfound) {
                file_item(in, it, in->found[in->at++], in->dir);
                return 1;
            }
            in->dir = NULL;
            drop_found(in);
        }
        if (in->next == in->nargs)
            return 0;
        int rc = open_arg(in, in->args[in->next++], it);
        if (rc < 0) {
            *status = -rc;
            return -1;
        }
        if (rc == 1)
            return 1;
    }
}

void ir_inputs_free(ir_inputs *in)
{
    if (in->reading)
        mc_gzin_close(&in->gz);
    drop_found(in);
    free(in->found);
    free(in->line);
    free(in->path);
    free(in->id);
    free(in->image);
    free(in);
}
