/* test_safetensors.c - the safetensors reader and writer: round trips in
 * F32 and F16, BF16 and I64 reading, and every validation failure with its
 * exit status and message.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "io/safetensors.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

/* Write a file: u64 header length (hlen_override if non-zero), the header
 * text, then ndata bytes of data. */
static void write_raw(const char *header, uint64_t hlen_override, const void *data, size_t ndata)
{
    FILE *f = fopen(path, "wb");
    uint64_t hlen = hlen_override ? hlen_override : strlen(header);
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(hlen >> (8 * i));
    fwrite(b, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    if (ndata)
        fwrite(data, 1, ndata, f);
    fclose(f);
}

/* Open the current file expecting status code and a message containing want. */
static void expect_open(const char *what, int code, const char *want)
{
    mc_st_file f;
    char err[512] = "";
    int rc = mc_st_open(&f, path, err, sizeof err);
    int ok = rc == code && strstr(err, want) != NULL;
    if (!ok)
        printf("  got status %d, message '%s'; want %d and '%s'\n", rc, err, code, want);
    check(ok, what);
    if (rc == 0)
        mc_st_close(&f);
}

static void test_invalid(void)
{
    static const unsigned char data[64];
    FILE *f;
    snprintf(path, sizeof path, "/nonexistent-dir/x.safetensors");
    expect_open("missing file is an I/O error", MC_EXIT_IO, "cannot open");
    snprintf(path, sizeof path, "/tmp/test_st_%ld.safetensors", (long)getpid());
    f = fopen(path, "wb");
    fwrite("abc", 1, 3, f);
    fclose(f);
    expect_open("file shorter than 8 bytes", MC_EXIT_MODEL, "shorter than 8 bytes");
    write_raw("{}", (uint64_t)MC_ST_MAX_HEADER + 1, NULL, 0);
    expect_open("header length over the cap", MC_EXIT_MODEL, "exceeds the");
    write_raw("{}", 1000, NULL, 0);
    expect_open("header length past the file", MC_EXIT_MODEL, "does not fit");
    write_raw("{\"a\": ", 0, NULL, 0);
    expect_open("header not JSON", MC_EXIT_MODEL, "not valid JSON");
    write_raw("[1,2]", 0, NULL, 0);
    expect_open("header not an object", MC_EXIT_MODEL, "not a JSON object");
    write_raw("{} x", 0, NULL, 0);
    expect_open("junk after the header", MC_EXIT_MODEL, "junk after");
    write_raw("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 0, data, 16);
    expect_open("unsupported dtype", MC_EXIT_MODEL, "tensor 'w': unsupported dtype F64");
    write_raw("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 0, data, 8);
    expect_open("missing dtype", MC_EXIT_MODEL, "no \"dtype\"");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 0, data, 8);
    expect_open("negative shape", MC_EXIT_MODEL, "bad size in \"shape\"");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 0, data, 8);
    expect_open("shape x item size differs from the range", MC_EXIT_MODEL,
                "shape and dtype need 12 bytes but data_offsets give 8");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 0, data, 8);
    expect_open("reversed offsets", MC_EXIT_MODEL, "bad \"data_offsets\"");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, data, 8);
    expect_open("range past the end of the file", MC_EXIT_MODEL, "reach past the end");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 0, data, 12);
    expect_open("overlapping ranges", MC_EXIT_MODEL, "overlaps");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 0, data, 12);
    expect_open("hole between ranges", MC_EXIT_MODEL, "hole in the data before tensor 'b'");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, data, 8);
    expect_open("bytes after the last tensor", MC_EXIT_MODEL, "4 bytes after the last");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 0, data, 8);
    expect_open("duplicate names", MC_EXIT_MODEL, "duplicate tensor name 'a'");
    write_raw("{\"__metadata__\":{\"k\":1}}", 0, NULL, 0);
    expect_open("metadata value not a string", MC_EXIT_MODEL, "'k' is not a string");
    write_raw("{\"__metadata__\":{\"arch\":\"x\"},\"a\":{\"dtype\":\"F32\",\"shape\":[],"
              "\"data_offsets\":[0,4]}}  ", 0, data, 4);
    expect_open("valid file with a scalar and space padding", 0, "");
}

static void fill(mc_params *p)
{
    for (size_t i = 0; i < p->total; i++)
        p->data[i] = (float)((double)i * 0.37 - 3.0);
}

static void test_round_trip(void)
{
    mc_params p, q;
    mc_st_file f;
    char err[512] = "";
    cJSON *meta = cJSON_CreateObject();
    int rc, same = 1, close = 1;
    mc_params_init(&p);
    mc_params_addv(&p, "conv.weight", 4, 4, 3, 3, 3);
    mc_params_addv(&p, "bn.running_mean", 1, 4, 0, 0, 0);
    mc_params_alloc(&p);
    fill(&p);
    cJSON_AddStringToObject(meta, "arch", "cnn-small");
    check(mc_st_write(path, &p, meta, 0) == 0, "write F32");
    rc = mc_st_open(&f, path, err, sizeof err);
    check(rc == 0 && f.data_off % 8 == 0, "reopen F32, header padded to 8 bytes");
    check(rc == 0 && mc_st_meta(&f, "arch") && strcmp(mc_st_meta(&f, "arch"), "cnn-small") == 0,
          "metadata read back");
    mc_params_init(&q);
    mc_params_addv(&q, "conv.weight", 4, 4, 3, 3, 3);
    mc_params_addv(&q, "bn.running_mean", 1, 4, 0, 0, 0);
    mc_params_alloc(&q);
    check(rc == 0 && mc_st_load_params(&f, &q, err, sizeof err) == 0, "load F32 into the table");
    for (int t = 0; t < p.n; t++)
        for (size_t i = 0; i < p.t[t].count; i++)
            same &= mc_params_at(&p, t)[i] == mc_params_at(&q, t)[i];
    check(same, "F32 values identical");
    mc_st_close(&f);

    check(mc_st_write(path, &p, NULL, 1) == 0, "write F16");
    rc = mc_st_open(&f, path, err, sizeof err);
    check(rc == 0 && f.t[0].dtype == MC_ST_F16 && f.metadata == NULL, "reopen F16");
    memset(q.data, 0, q.total * sizeof(float));
    check(rc == 0 && mc_st_load_params(&f, &q, err, sizeof err) == 0, "load F16");
    for (int t = 0; t < p.n; t++)
        for (size_t i = 0; i < p.t[t].count; i++) {
            float a = mc_params_at(&p, t)[i], b = mc_params_at(&q, t)[i];
            close &= fabsf(a - b) <= 1e-3f * fabsf(a) + 1e-6f;
        }
    check(close, "F16 values within half precision");
    mc_st_close(&f);

    /* a table with a different shape, a missing tensor, an unknown tensor */
    mc_st_write(path, &p, NULL, 0);
    mc_st_open(&f, path, err, sizeof err);
    mc_params_free(&q);
    mc_params_init(&q);
    mc_params_addv(&q, "conv.weight", 4, 4, 4, 3, 3);
    mc_params_addv(&q, "bn.running_mean", 1, 4, 0, 0, 0);
    mc_params_alloc(&q);
    rc = mc_st_load_params(&f, &q, err, sizeof err);
    check(rc == MC_EXIT_MODEL && strstr(err, "tensor 'conv.weight' has shape [4,3,3,3], expected [4,4,3,3]"),
          "shape mismatch names both shapes");
    mc_params_free(&q);
    mc_params_init(&q);
    mc_params_addv(&q, "conv.weight", 4, 4, 3, 3, 3);
    mc_params_addv(&q, "bn.bias", 1, 4, 0, 0, 0);
    mc_params_alloc(&q);
    rc = mc_st_load_params(&f, &q, err, sizeof err);
    check(rc == MC_EXIT_MODEL && strstr(err, "tensor 'bn.bias' is missing"), "missing tensor");
    mc_params_free(&q);
    mc_params_init(&q);
    mc_params_addv(&q, "conv.weight", 4, 4, 3, 3, 3);
    mc_params_alloc(&q);
    rc = mc_st_load_params(&f, &q, err, sizeof err);
    check(rc == MC_EXIT_MODEL && strstr(err, "unexpected tensor 'bn.running_mean'"), "unknown tensor");
    rc = mc_st_load_prefix(&f, &q, "bn.", err, sizeof err);
    check(rc == MC_EXIT_MODEL && strstr(err, "tensor 'bn.conv.weight' is missing"), "prefix applied");
    mc_st_close(&f);
    mc_params_free(&q);
    mc_params_free(&p);
    cJSON_Delete(meta);
}

static void test_other_dtypes(void)
{
    /* BF16 1.5 = 0x3fc0, F16 -2.0 = 0xc000, I64 7 */
    unsigned char data[2 + 2 + 8] = {0xc0, 0x3f, 0x00, 0xc0, 7, 0, 0, 0, 0, 0, 0, 0};
    mc_st_file f;
    char err[512];
    float v[1];
    int rc;
    write_raw("{\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]},"
              "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]},"
              "\"n.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[4,12]}}",
              0, data, sizeof data);
    rc = mc_st_open(&f, path, err, sizeof err);
    check(rc == 0, "BF16/F16/I64 file opens");
    if (rc)
        return;
    mc_st_read_f32(&f, mc_st_find(&f, "b"), v);
    check(v[0] == 1.5f, "BF16 converted");
    mc_st_read_f32(&f, mc_st_find(&f, "h"), v);
    check(v[0] == -2.0f, "F16 converted");
    mc_st_read_f32(&f, mc_st_find(&f, "n.num_batches_tracked"), v);
    check(v[0] == 7.0f, "I64 converted");
    check(mc_st_find(&f, "nope") == -1, "find of an absent name");
    mc_st_close(&f);
}

int main(void)
{
    test_invalid();
    test_round_trip();
    test_other_dtypes();
    unlink(path);
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
