/* clean_csvrows.c - the row loop shared by the CSV formats: header columns,
 * field counts, UTF-8 checks and malformed-row handling. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/util.h"

#include <stdio.h>

long clean_csv_col(const mc_csv *c, const char *path, const char *name, int required)
{
    long i = mc_csv_find(c, name);
    if (i < 0 && required)
        mc_err_at(path, c->rec_line, "missing column '%s'", name);
    return i;
}

int clean_csv_next_row(clean_ctx *ctx, mc_csv *c, const char *path, size_t ncols, int *status)
{
    char what[200];
    for (;;) {
        int rc = mc_csv_read(c);
        if (rc == MC_CSV_EOF)
            return 0;
        if (rc == MC_CSV_FAIL) {
            mc_err_at(path, c->line + 1, "%s", c->err);
            *status = c->io_error ? MC_EXIT_IO : MC_EXIT_INPUT;
            return -1;
        }
        ctx->rows++;
        if (rc == MC_CSV_BAD) {
            snprintf(what, sizeof what, "malformed CSV: %s", c->err);
        } else if (c->nfields != ncols) {
            snprintf(what, sizeof what, "row has %zu fields, the header has %zu", c->nfields, ncols);
        } else {
            size_t i;
            for (i = 0; i < c->nfields && clean_text_utf8(mc_csv_field(c, i)); i++)
                ;
            if (i == c->nfields) {
                clean_emit_at(ctx, path, c->rec_line);
                return 1;
            }
            snprintf(what, sizeof what, "field %zu is not valid UTF-8", i + 1);
        }
        *status = clean_emit_malformed(ctx, path, c->rec_line, what);
        if (*status)
            return -1;
    }
}
