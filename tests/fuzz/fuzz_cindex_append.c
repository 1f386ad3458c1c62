/* fuzz_cindex_append.c - libFuzzer harness: appending to a case index
 * (index --append: mc_cindex_open, mc_cindex_writer_open with the old
 * index, one row added, mc_cindex_writer_commit in model/index/caseindex.c).
 * The result is opened again and must hold the old rows, in order, and the
 * new one: anything else aborts.  The index is written to a folder of its
 * own under /dev/shm (or /tmp), removed at exit.  The frames' CRCs are
 * made right first (fuzz_fix_frames), as in the caseindex harness.
 * Seeds (tests/fuzz/corpus/cindex_append/): version 1 and 2 indexes of
 * the caseindex harness's corpus. */
#include "fuzz_util.h"
#include "index/caseindex.h"

#include <string.h>

static char dir[64], out[96];

/* atexit: remove the written index and its folder. */
static void tidy(void)
{
    unlink(out);
    rmdir(dir);
}

/* Make the folder the index is written to, once. */
static void make_dir(void)
{
    snprintf(dir, sizeof dir, "%s/fuzz-cindex-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(out, sizeof out, "%s/out.idx", dir);
    atexit(tidy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_cindex old, now;
    mc_cindex_writer w;
    cJSON *rec;
    float *v;
    uint8_t *fixed;
    char err[600];
    int rc;
    if (!dir[0])
        make_dir();
    fixed = fuzz_fix_frames(data, size);
    rc = mc_cindex_open(&old, fuzz_path(fixed, size), err, sizeof err);
    free(fixed);
    if (rc != 0)
        return 0;
    if (mc_cindex_writer_open(&w, out, &old, 4) != 0)
        abort();
    v = calloc(old.dim ? old.dim : 1, sizeof *v);
    v[0] = 1.0f;
    rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "id", "fuzz-appended");
    rc = mc_cindex_writer_add(&w, v, old.dim ? old.dim : 1, rec);
    cJSON_Delete(rec);
    free(v);
    if (rc != 0 || mc_cindex_writer_commit(&w) != 0)
        abort();
    if (mc_cindex_open(&now, out, err, sizeof err) != 0 || now.rows != old.rows + 1 ||
        strcmp(now.id[old.rows], "fuzz-appended") != 0)
        abort();
    for (size_t r = 0; r < old.rows; r++)
        if (strcmp(now.id[r], old.id[r]) != 0 || now.line_len[r] != old.line_len[r])
            abort();
    mc_cindex_close(&now);
    mc_cindex_close(&old);
    return 0;
}
