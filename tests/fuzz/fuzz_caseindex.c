/* fuzz_caseindex.c - libFuzzer harness: the case index reader
 * (model/index/caseindex.c): map and validate any file, then parse the
 * record of every row.  The frames' CRCs are made right first
 * (fuzz_fix_frames): the frame harness covers the CRC checks, this one
 * what lies behind them. */
#include "fuzz_util.h"
#include "index/caseindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_cindex ix;
    char err[600];
    uint8_t *fixed = fuzz_fix_frames(data, size);
    int rc = mc_cindex_open(&ix, fuzz_path(fixed, size), err, sizeof err);
    free(fixed);
    if (rc != 0)
        return 0;
    for (size_t r = 0; r < ix.rows; r++)
        cJSON_Delete(mc_cindex_record(&ix, r));
    mc_cindex_close(&ix);
    return 0;
}
