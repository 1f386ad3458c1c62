/* frame_stream.c - the read loop over a stream of feature frames. */
#define _POSIX_C_SOURCE 200809L
#include "io/frame_stream.h"
#include "core/progress.h"
#include "core/util.h"

int mc_frames_each(FILE *f, const char *name, mc_frame_fn fn, void *ctx, size_t *skipped)
{
    mc_frame fr = {0};
    char err[300];
    long no = 0;
    int rc = 0, crc_ok, kind = mc_input_kind(f);
    if (kind == MC_INPUT_JSON) {
        mc_err_at(name, 1, "expected feature frames, got text (NDJSON?); run medcap-encode-features first");
        rc = MC_EXIT_INPUT;
    }
    while (rc == 0 && kind == MC_INPUT_FRAMES) {
        int r = mc_frame_read_ex(f, &fr, 0, &crc_ok, err, sizeof err);
        if (r == MC_FRAME_EOF)
            break;
        no++;
        if (r == MC_FRAME_ERR) {
            mc_err_at(name, no, "%s", err);
            rc = ferror(f) ? MC_EXIT_IO : MC_EXIT_INPUT;
            break;
        }
        if (!crc_ok) {
            mc_err_at(name, no, "frame CRC mismatch (record or data damaged)");
            if (!skipped)
                rc = MC_EXIT_INPUT;
            else
                (*skipped)++;
            continue;
        }
        rc = fn(&fr, name, no, ctx);
        mc_progress_add(1);
    }
    mc_frame_free(&fr);
    return rc;
}
