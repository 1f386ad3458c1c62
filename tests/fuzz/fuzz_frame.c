/* fuzz_frame.c - libFuzzer harness: the frame reader (model/io/frame.c) and
 * the record of a frame (model/io/frame_record.c) over any byte stream. */
#include "fuzz_util.h"
#include "io/frame.h"
#include "io/frame_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    mc_frame fr = {0};
    char err[300];
    if (!f)
        return 0;
    if (mc_input_kind(f) == MC_INPUT_FRAMES)
        while (mc_frame_read(f, &fr, err, sizeof err) == MC_FRAME_OK) {
            cJSON_Delete(mc_frame_record(&fr, "fuzz", 1));
            (void)mc_frame_count(&fr);
        }
    mc_frame_free(&fr);
    fclose(f);
    return 0;
}
