/* fuzz_ndjson.c - libFuzzer harness: NDJSON records (model/io/ndjson.c,
 * line reader and record parser) and JSON item files, JSONL or one JSON
 * array (model/io/jsonitems.c, plain or gzip), over the same input. */
#include "fuzz_util.h"
#include "io/jsonitems.h"
#include "io/ndjson.h"

#include <string.h>

/* Every record of data as NDJSON lines. */
static void records(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    mc_lines in;
    char *line;
    if (!f)
        return;
    mc_lines_init(&in, f, "fuzz");
    while (mc_lines_next(&in, &line) >= 0)
        if (!mc_blank(line))
            cJSON_Delete(mc_record_parse(line, "fuzz", in.line));
    mc_lines_free(&in);
    fclose(f);
}

/* Every item of data as a JSON item file. */
static void items(const uint8_t *data, size_t size)
{
    mc_json_items it;
    cJSON *item;
    char err[200];
    int rc;
    if (mc_items_open(&it, fuzz_path(data, size)) != 0)
        return;
    while ((rc = mc_items_next(&it, &item, err, sizeof err)) == MC_ITEMS_OK || rc == MC_ITEMS_BAD)
        cJSON_Delete(item);
    mc_items_close(&it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    records(data, size);
    items(data, size);
    return 0;
}
