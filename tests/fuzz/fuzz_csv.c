/* fuzz_csv.c - libFuzzer harness: the CSV reader (model/io/csv.c, plain or
 * gzip), every record and field, with a small record cap so that the cap's
 * path is reached too. */
#include "fuzz_util.h"
#include "io/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_csv c;
    int rc;
    size_t total = 0;
    if (mc_csv_open(&c, fuzz_path(data, size)) != 0)
        return 0;
    c.max_record = 1024;
    while ((rc = mc_csv_read(&c)) != MC_CSV_EOF && rc != MC_CSV_FAIL) {
        if (rc != MC_CSV_RECORD)
            continue;
        for (size_t i = 0; i <= c.nfields; i++)
            total += mc_csv_field(&c, i)[0] != '\0';
        (void)mc_csv_find(&c, "image");
    }
    mc_csv_close(&c);
    return total == (size_t)-1;
}
