/* fuzz_csvclean.c - libFuzzer harness: csv-clean's format handlers
 * (filters/csv-clean/) as the program runs them, with --keep-going.  The
 * first byte of the input picks the handler (CheXpert, NIH, COVID, generic
 * with columns image/caption/id/patient, MedPix cases then descriptions,
 * MedPix descriptions), the rest is the file.  Records go to /dev/null. */
#include "fuzz_util.h"
#include "csv-clean/clean.h"

#include <string.h>

/* A context with the program's defaults, --keep-going and --resplit on
 * every second input. */
static void context(clean_ctx *ctx, int resplit)
{
    char err[200];
    memset(ctx, 0, sizeof *ctx);
    ctx->min_words = 3;
    ctx->keep_going = 1;
    ctx->resplit = resplit;
    ctx->image_col = "image";
    ctx->caption_col = "caption";
    ctx->id_col = "id";
    ctx->patient_col = "patient";
    if (clean_split_parse(&ctx->split, "train=80,dev=10,test=10", err, sizeof err) != 0)
        abort();
    mc_strtab_init(&ctx->keys);
    clean_emit_init(ctx);
}

/* Run CSV handler h (0-3) on path after its header row. */
static void run_csv(clean_ctx *ctx, int h, const char *path)
{
    mc_csv c;
    if (mc_csv_open(&c, path) != 0)
        return;
    if (mc_csv_read(&c) == MC_CSV_RECORD) {
        if (h == 0)
            clean_chexpert_run(ctx, &c, path);
        else if (h == 1)
            clean_nih_run(ctx, &c, path);
        else if (h == 2)
            clean_covid_run(ctx, &c, path);
        else
            clean_generic_run(ctx, &c, path);
    }
    mc_csv_close(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    clean_ctx ctx;
    const char *path;
    int h;
    if (!quiet) /* libFuzzer's -close_fd_mask closed stdout: writes must not fail */
        quiet = freopen("/dev/null", "w", stdout) != NULL;
    if (size == 0)
        return 0;
    h = data[0] % 6;
    path = fuzz_path(data + 1, size - 1);
    context(&ctx, data[0] & 0x80);
    if (h < 4) {
        run_csv(&ctx, h, path);
    } else {
        if (h == 4)
            clean_medpix_load_cases(&ctx, path);
        clean_medpix_descriptions(&ctx, path);
    }
    clean_medpix_free_cases();
    clean_emit_free(&ctx);
    mc_strtab_free(&ctx.keys);
    return 0;
}
