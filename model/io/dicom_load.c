/* dicom_load.c - the dicom.h functions: medcap-dicom.so loaded at the
 * first mc_dcm_open, and its entry points called (see dicom_so.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/dicom_so.h"
#include "core/util.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The entry points once loaded; open is NULL when loading failed, and
 * load_error then says why.  Written once, under load_once. */
static struct {
    mc_dcm_so_open_fn *open;
    mc_dcm_so_frame_fn *frame;
    mc_dcm_so_voi_lut_fn *voi_lut;
    mc_dcm_so_close_fn *close;
} so;
static char load_error[PATH_MAX + 256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

int mc_dcm_sniff(const unsigned char *head, size_t n)
{
    return n >= 132 && memcmp(head + 128, "DICM", 4) == 0;
}

/* The shared object's path into buf (n bytes): beside the running
 * program in the build tree (BIN/lib/), else where make install puts it
 * (PREFIX/lib/medcap/ for PREFIX/bin/).  The first that exists, or the
 * installed one when neither does (dlopen then says it is missing).
 * 0, or -1 when the program's folder cannot be read or a path is too
 * long. */
static int so_path(char *buf, size_t n)
{
    static const char *const where[] = {"/lib/", "/../lib/medcap/"};
    char dir[PATH_MAX];
    if (mc_exe_dir(dir, sizeof dir) != 0)
        return -1;
    for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
        int len = snprintf(buf, n, "%s%s%s", dir, where[i], MC_DCM_SO_NAME);
        if (len < 0 || (size_t)len >= n)
            return -1;
        if (access(buf, F_OK) == 0)
            return 0;
    }
    return 0;
}

/* Look up the entry point name of handle h into *f; 0, or -1 with
 * load_error set when it is missing. */
static int entry(void *h, const char *name, void **f)
{
    *f = dlsym(h, name);
    if (*f)
        return 0;
    snprintf(load_error, sizeof load_error, "cannot load DICOM support: %s", dlerror());
    return -1;
}

/* Load the shared object and fill so (every entry point, or none), then
 * switch GDCM's messages off; on failure set load_error.  Run once. */
static void load(void)
{
    char path[PATH_MAX];
    void *h, *f[5];
    if (so_path(path, sizeof path) != 0) {
        snprintf(load_error, sizeof load_error,
                 "cannot load DICOM support: cannot find " MC_DCM_SO_NAME
                 " (the program's folder is unknown)");
        return;
    }
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error, "cannot load DICOM support: %s", dlerror());
        return;
    }
    if (entry(h, "mc_dcm_so_init", &f[0]) || entry(h, "mc_dcm_so_open", &f[1]) ||
        entry(h, "mc_dcm_so_frame", &f[2]) || entry(h, "mc_dcm_so_voi_lut", &f[3]) ||
        entry(h, "mc_dcm_so_close", &f[4]))
        return;
    ((mc_dcm_so_init_fn *)f[0])();
    so.open = (mc_dcm_so_open_fn *)f[1];
    so.frame = (mc_dcm_so_frame_fn *)f[2];
    so.voi_lut = (mc_dcm_so_voi_lut_fn *)f[3];
    so.close = (mc_dcm_so_close_fn *)f[4];
}

int mc_dcm_open(const char *path, int header_only, mc_dcm **out, mc_dcm_info *info, char *err,
                size_t errlen)
{
    pthread_once(&load_once, load);
    if (!so.open) {
        *out = NULL;
        snprintf(err, errlen, "%s", load_error);
        return MC_EXIT_INPUT;
    }
    return so.open(path, header_only, out, info, err, errlen);
}

/* The functions below take a handle from mc_dcm_open: so is filled. */

int mc_dcm_frame(mc_dcm *d, int frame, float *out, char *err, size_t errlen)
{
    return so.frame(d, frame, out, err, errlen);
}

void mc_dcm_voi_lut(const mc_dcm *d, float *v, size_t n)
{
    so.voi_lut(d, v, n);
}

void mc_dcm_close(mc_dcm *d)
{
    if (d)
        so.close(d);
}
