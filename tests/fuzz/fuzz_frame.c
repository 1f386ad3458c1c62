/* fuzz_frame.c - libFuzzer harness: the frame reader (model/io/frame.c) and
 * the record of a frame (model/io/frame_record.c) over any byte stream,
 * then over the same bytes with the frames' CRCs made right
 * (fuzz_fix_frames), so that mutations of headers and records get past
 * the CRC checks. */
#include "fuzz_util.h"
#include "io/frame.h"
#include "io/frame_record.h"

/* Read every frame of data[0..size) and parse its record. */
static void read_all(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    mc_frame fr = {0};
    char err[300];
    if (!f)
        return;
    if (mc_input_kind(f) == MC_INPUT_FRAMES)
        while (mc_frame_read(f, &fr, err, sizeof err) == MC_FRAME_OK) {
            cJSON_Delete(mc_frame_record(&fr, "fuzz", 1));
            (void)mc_frame_count(&fr);
        }
    mc_frame_free(&fr);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed = fuzz_fix_frames(data, size);
    read_all(data, size);
    read_all(fixed, size);
    free(fixed);
    return 0;
}
