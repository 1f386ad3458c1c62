/* test_frame.c - the frame codec (model/io/frame.c): round trips of every
 * dtype and rank, and each validation of the reader on damaged frames.
 * Exits non-zero when a check fails. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "io/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char META[] = "{\"id\":\"case-1\",\"caption\":\"x\"}";

/* A buffer holding encoded frames. */
typedef struct {
    char *buf;
    size_t len;
} bytes;

/* Encode one u8 frame of shape [2,3] (values 0..5) into a new buffer. */
static bytes encode_small(void)
{
    static const unsigned char data[6] = {0, 1, 2, 3, 4, 5};
    const uint32_t dims[2] = {2, 3};
    bytes b = {0};
    FILE *f = open_memstream(&b.buf, &b.len);
    if (!f || mc_frame_write(f, MC_U8, 2, dims, META, strlen(META), data) != 0) {
        fprintf(stderr, "cannot encode a frame\n");
        exit(1);
    }
    fclose(f);
    return b;
}

static void put_u32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

/* Recompute the header CRC after an edit, so the reader reaches the check
 * under test instead of stopping at the header CRC. */
static void fix_header_crc(char *h)
{
    put_u32(h + 60, (uint32_t)crc32(0L, (const Bytef *)h, 60));
}

/* Read the first frame of len bytes of buf; returns the reader's result
 * and leaves its message in err. */
static int read_bytes(const char *buf, size_t len, char *err, size_t errlen,
                      int check_crc, int *crc_ok)
{
    mc_frame fr = {0};
    FILE *f = fmemopen((void *)buf, len ? len : 1, "rb");
    int rc;
    if (len == 0) { /* fmemopen needs a size; read past the end at once */
        fgetc(f);
    }
    err[0] = '\0';
    rc = mc_frame_read_ex(f, &fr, check_crc, crc_ok, err, errlen);
    fclose(f);
    mc_frame_free(&fr);
    return rc;
}

/* Expect the damaged frame to be refused with a message containing want. */
static void expect_error(const char *what, const char *buf, size_t len, const char *want)
{
    char err[256];
    int rc = read_bytes(buf, len, err, sizeof err, 1, NULL);
    CHECK(rc == MC_FRAME_ERR, "%s: result %d, expected an error", what, rc);
    CHECK(strstr(err, want) != NULL, "%s: message '%s' lacks '%s'", what, err, want);
}

static void test_round_trip(void)
{
    static const int dtypes[3] = {MC_U8, MC_U16, MC_F32};
    const uint32_t dims[4] = {2, 3, 5, 7};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    float values[210];
    for (int i = 0; i < 210; i++)
        values[i] = (float)i * 0.5f - 3.0f;
    /* every dtype at every rank 0..4, one after another in one stream */
    for (int d = 0; d < 3; d++)
        for (int ndim = 0; ndim <= 4; ndim++)
            CHECK(mc_frame_write(f, dtypes[d], ndim, dims, META, strlen(META), values) == 0,
                  "write dtype %d ndim %d", dtypes[d], ndim);
    fclose(f);
    CHECK(len % 64 == 0, "stream of %zu bytes is not a multiple of 64", len);

    f = fmemopen(buf, len, "rb");
    mc_frame fr = {0};
    char err[256];
    for (int d = 0; d < 3; d++)
        for (int ndim = 0; ndim <= 4; ndim++) {
            int rc = mc_frame_read(f, &fr, err, sizeof err);
            size_t count = 1;
            CHECK(rc == MC_FRAME_OK, "read dtype %d ndim %d: %s", dtypes[d], ndim, err);
            if (rc != MC_FRAME_OK)
                continue;
            for (int i = 0; i < ndim; i++)
                count *= dims[i];
            CHECK(fr.dtype == (mc_dtype)dtypes[d] && fr.ndim == ndim, "dtype/ndim");
            CHECK(memcmp(fr.dims, dims, ndim * sizeof dims[0]) == 0, "dims");
            CHECK(mc_frame_count(&fr) == count, "count %zu", mc_frame_count(&fr));
            CHECK(fr.nbytes == count * mc_dtype_size(dtypes[d]), "nbytes %zu", fr.nbytes);
            CHECK(memcmp(fr.data, values, fr.nbytes) == 0, "payload differs");
            CHECK(strcmp(fr.meta, META) == 0 && fr.meta_len == strlen(META), "meta '%s'", fr.meta);
            CHECK((uintptr_t)fr.data % 64 == 0, "payload not 64-byte aligned");
        }
    CHECK(mc_frame_read(f, &fr, err, sizeof err) == MC_FRAME_EOF, "no clean EOF after the last frame");
    fclose(f);
    mc_frame_free(&fr);
    free(buf);
}

static void test_layout(void)
{
    bytes b = encode_small();
    /* 64 header + 29 meta padded to 64 + 6 payload padded to 64 */
    CHECK(b.len == 192, "frame is %zu bytes, expected 192", b.len);
    CHECK(memcmp(b.buf, "\x89MCFRAME", 8) == 0, "magic");
    CHECK((unsigned char)b.buf[8] == 1 && b.buf[9] == 0, "version 1 little-endian");
    CHECK(b.buf[10] == MC_U8 && b.buf[11] == 2, "dtype and ndim bytes");
    CHECK(b.buf[128] == 0 && b.buf[133] == 5, "payload starts at byte 128");
    free(b.buf);
}

static void test_validation(void)
{
    bytes b = encode_small();
    char *c = malloc(b.len);

#define FRESH() memcpy(c, b.buf, b.len)
    FRESH(); c[1] = 'X';
    expect_error("bad magic", c, b.len, "bad magic");

    FRESH(); c[8] = 2; fix_header_crc(c);
    expect_error("version", c, b.len, "unsupported frame version 2");

    FRESH(); c[10] = 9; fix_header_crc(c);
    expect_error("dtype", c, b.len, "unknown dtype 9");

    FRESH(); c[11] = 5; fix_header_crc(c);
    expect_error("ndim", c, b.len, "ndim 5 is over 4");

    FRESH(); put_u32(c + 24, 4); fix_header_crc(c);
    expect_error("dims beyond ndim", c, b.len, "dimension 2 set beyond ndim 2");

    FRESH(); c[11] = 4;
    for (int i = 0; i < 4; i++)
        put_u32(c + 16 + 4 * i, 0xFFFFFFFFu);
    fix_header_crc(c);
    expect_error("size overflow", c, b.len, "shape overflows");

    FRESH(); put_u32(c + 32, MC_FRAME_MAX_META + 1); fix_header_crc(c);
    expect_error("metadata cap", c, b.len, "over the");

    FRESH(); put_u32(c + 44, 2); /* payload_len = 2^33 */ fix_header_crc(c);
    expect_error("payload cap", c, b.len, "over the cap");

    FRESH(); c[40] = 7; fix_header_crc(c);
    expect_error("payload length vs shape", c, b.len, "does not match shape and dtype");

    FRESH(); c[20] = 4; /* dims[1] changed, CRC not fixed */
    expect_error("header CRC", c, b.len, "header CRC mismatch");

    FRESH(); c[64 + 3] ^= 1;
    expect_error("metadata CRC", c, b.len, "metadata CRC mismatch");

    FRESH(); c[128] ^= 1;
    expect_error("payload CRC", c, b.len, "payload CRC mismatch");

    /* with check_crc 0 a CRC mismatch is reported through crc_ok */
    {
        char err[256];
        int ok = 1, rc;
        FRESH(); c[128] ^= 1;
        rc = read_bytes(c, b.len, err, sizeof err, 0, &ok);
        CHECK(rc == MC_FRAME_OK && ok == 0, "unchecked payload CRC: rc %d ok %d", rc, ok);
        FRESH();
        rc = read_bytes(c, b.len, err, sizeof err, 0, &ok);
        CHECK(rc == MC_FRAME_OK && ok == 1, "good frame: rc %d ok %d", rc, ok);
    }

    /* truncation at each part, and a clean end of stream */
    FRESH();
    expect_error("truncated header", c, 30, "header ends after 30 of 64 bytes");
    expect_error("truncated metadata", c, 64 + 10, "metadata ends after 10 of 29 bytes");
    expect_error("truncated metadata padding", c, 64 + 40, "metadata ends after");
    expect_error("truncated payload", c, 128 + 4, "payload ends after 4 of 6 bytes");
    expect_error("truncated payload padding", c, 128 + 20, "payload ends after");
    {
        char err[256];
        CHECK(read_bytes(c, 0, err, sizeof err, 1, NULL) == MC_FRAME_EOF, "empty stream is not EOF");
    }
#undef FRESH
    free(c);
    free(b.buf);
}

static void test_input_kind(void)
{
    bytes b = encode_small();
    FILE *f = fmemopen(b.buf, b.len, "rb");
    CHECK(mc_input_kind(f) == MC_INPUT_FRAMES, "frames not recognised");
    CHECK(fgetc(f) == 0x89, "first byte not pushed back");
    fclose(f);
    char json[] = "\n {\"id\":\"a\"}\n";
    f = fmemopen(json, strlen(json), "rb");
    CHECK(mc_input_kind(f) == MC_INPUT_JSON, "NDJSON not recognised");
    fclose(f);
    char blank[] = " \n\n";
    f = fmemopen(blank, strlen(blank), "rb");
    CHECK(mc_input_kind(f) == MC_INPUT_EMPTY, "blank input not empty");
    fclose(f);
    free(b.buf);
}

int main(void)
{
    test_round_trip();
    test_layout();
    test_validation();
    test_input_kind();
    if (failures) {
        fprintf(stderr, "test_frame: %d checks failed\n", failures);
        return 1;
    }
    printf("test_frame: all checks passed\n");
    return 0;
}
