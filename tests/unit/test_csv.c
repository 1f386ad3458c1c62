/* test_csv.c - the RFC 4180 CSV reader and the plain/gzip input under it:
 * quoting, CRLF, BOM, empty lines, line numbers, malformed records with
 * recovery, the record cap, gzip files (whole, truncated, corrupt) and
 * the JSONL line reader.  Exits 1 on the first failure. */
#define _POSIX_C_SOURCE 200809L
#include "io/csv.h"
#include "io/gzin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static int failures;
static char dir[] = "/tmp/test_csv.XXXXXX";

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "test_csv:%d: ", __LINE__);                    \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            failures++;                                                    \
        }                                                                  \
    } while (0)

/* Write bytes to DIR/name (gzip-compressed when gz); returns the path. */
static char *write_file(const char *name, const char *bytes, size_t n, int gz)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        if (!g || gzwrite(g, bytes, (unsigned)n) != (int)n || gzclose(g) != Z_OK) {
            fprintf(stderr, "test_csv: cannot write %s\n", path);
            exit(1);
        }
    } else {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0) {
            fprintf(stderr, "test_csv: cannot write %s\n", path);
            exit(1);
        }
    }
    return path;
}

/* Read every record of path and render it as "line:f1|f2|...\n" per
 * record, "line:BAD:err\n" per malformed one and "FAIL:err\n" on a stream
 * error, into out. */
static void render(const char *path, size_t max_record, char *out, size_t cap)
{
    mc_csv c;
    size_t len = 0;
    int rc;
    out[0] = '\0';
    if (mc_csv_open(&c, path) < 0) {
        snprintf(out, cap, "OPEN:%s\n", c.err);
        return;
    }
    if (max_record)
        c.max_record = max_record;
    while ((rc = mc_csv_read(&c)) != MC_CSV_EOF) {
        if (rc == MC_CSV_FAIL) {
            len += snprintf(out + len, cap - len, "FAIL:%s\n", c.err);
            break;
        }
        if (rc == MC_CSV_BAD) {
            len += snprintf(out + len, cap - len, "%ld:BAD:%s\n", c.rec_line, c.err);
            continue;
        }
        len += snprintf(out + len, cap - len, "%ld:", c.rec_line);
        for (size_t i = 0; i < c.nfields; i++)
            len += snprintf(out + len, cap - len, "%s%s", i ? "|" : "", mc_csv_field(&c, i));
        len += snprintf(out + len, cap - len, "\n");
    }
    mc_csv_close(&c);
}

/* Parse text (plain and gzipped) and compare the rendering with want. */
static void expect(const char *text, const char *want)
{
    char got[4096];
    for (int gz = 0; gz < 2; gz++) {
        const char *p = write_file(gz ? "t.csv.gz" : "t.csv", text, strlen(text), gz);
        render(p, 0, got, sizeof got);
        CHECK(strcmp(got, want) == 0, "%s input %s\n got:\n%s want:\n%s",
              gz ? "gzip" : "plain", text, got, want);
    }
}

static void test_records(void)
{
    expect("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    expect("a,b\n1,2", "1:a|b\n2:1|2\n");                          /* no final newline */
    expect("a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n");                    /* CRLF */
    expect("\xEF\xBB\xBFid,x\n1,2\n", "1:id|x\n2:1|2\n");          /* BOM */
    expect(",,\n", "1:||\n");                                      /* empty fields */
    expect("\"a,b\",\"say \"\"hi\"\"\"\n", "1:a,b|say \"hi\"\n");  /* quotes */
    expect("\"two\nlines\",x\nnext,y\n", "1:two\nlines|x\n3:next|y\n");
    expect("\"crlf\r\nkept\",x\r\n", "1:crlf\r\nkept|x\n");
    expect("a\n\n\r\nb\n", "1:a\n4:b\n");                          /* empty lines */
    expect("\"\"\n", "1:\n");                                      /* quoted empty field */
    expect("\"q\"\r\n", "1:q\n");
    expect("", "");
    expect("x,\"\"", "1:x|\n");
}

static void test_malformed(void)
{
    expect("a,b\n1,2\"3,4\nok,1\n", "1:a|b\n2:BAD:quote inside an unquoted field\n3:ok|1\n");
    expect("\"a\"b,c\nok\n", "1:BAD:text after a closing quote\n2:ok\n");
    expect("ok\n\"open,\nnever closed\n", "1:ok\n2:BAD:unterminated quoted field\n");
    expect("\"a\"\rb\nok\n", "1:BAD:text after a closing quote\n2:ok\n");
}

static void test_cap(void)
{
    char got[512];
    const char *text = "short\nthis record is long\nend\n";
    const char *p = write_file("cap.csv", text, strlen(text), 0);
    render(p, 8, got, sizeof got);
    CHECK(strcmp(got, "1:short\n2:BAD:record too long\n3:end\n") == 0, "cap: %s", got);
}

static void test_gzip_errors(void)
{
    char got[512], path[256], *bytes;
    const char *text = "a,b\n1,2\n3,4\n";
    FILE *f;
    long n;
    /* Truncated gzip: keep the first half of a valid file. */
    write_file("trunc.csv.gz", text, strlen(text), 1);
    snprintf(path, sizeof path, "%s/trunc.csv.gz", dir);
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    bytes = malloc((size_t)n);
    if (fread(bytes, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    write_file("trunc.csv.gz", bytes, (size_t)n / 2, 0);
    render(path, 0, got, sizeof got);
    CHECK(strstr(got, "FAIL:corrupt gzip data") != NULL, "truncated gzip: %s", got);
    /* Corrupt deflate data after a valid gzip header. */
    memset(bytes + 10, 0xff, (size_t)n - 18);
    write_file("bad.csv.gz", bytes, (size_t)n, 0);
    snprintf(path, sizeof path, "%s/bad.csv.gz", dir);
    render(path, 0, got, sizeof got);
    CHECK(strstr(got, "FAIL:corrupt gzip data") != NULL, "corrupt gzip: %s", got);
    free(bytes);
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    render(path, 0, got, sizeof got);
    CHECK(strncmp(got, "OPEN:cannot open: No such file", 30) == 0, "missing: %s", got);
}

static void test_lines(void)
{
    const char *text = "\xEF\xBB\xBF{\"a\":1}\r\n\nlast";
    for (int gz = 0; gz < 2; gz++) {
        mc_gzin in;
        char *line = NULL;
        size_t cap = 0;
        const char *p = write_file(gz ? "l.jsonl.gz" : "l.jsonl", text, strlen(text), gz);
        CHECK(mc_gzin_open(&in, p) == 0, "open %s", p);
        CHECK(mc_gzin_peek(&in) == '{', "peek after BOM");
        CHECK(mc_gzin_line(&in, &line, &cap, 100) == 7 && strcmp(line, "{\"a\":1}") == 0, "line 1");
        CHECK(mc_gzin_line(&in, &line, &cap, 100) == 0 && line[0] == '\0', "line 2");
        CHECK(mc_gzin_line(&in, &line, &cap, 100) == 4 && strcmp(line, "last") == 0, "line 3");
        CHECK(mc_gzin_line(&in, &line, &cap, 100) == -1, "end");
        CHECK(mc_gzin_peek(&in) == -1, "peek at end");
        mc_gzin_close(&in);
        CHECK(mc_gzin_open(&in, p) == 0, "reopen");
        CHECK(mc_gzin_line(&in, &line, &cap, 3) == -2 && in.error == MC_GZIN_CORRUPT, "line cap");
        mc_gzin_close(&in);
        free(line);
    }
}

int main(void)
{
    char cmd[300];
    if (!mkdtemp(dir)) {
        perror("test_csv: mkdtemp");
        return 1;
    }
    test_records();
    test_malformed();
    test_cap();
    test_gzip_errors();
    test_lines();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_csv: cannot remove %s\n", dir);
    if (failures) {
        fprintf(stderr, "test_csv: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_csv: all passed\n");
    return 0;
}
