/* test_knn.c - the case index file (model/index/caseindex.c) and exact k-nearest
 * search (model/index/knn.c): search over several chunks and sgemm tiles against
 * brute force in double precision, ties broken by id, --exclude-same-case,
 * appending, the same answer on 3 threads as on one, and corrupt or missing
 * files refused.
 * Exits non-zero when a check fails. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "index/caseindex.h"
#include "index/knn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test_knn.XXXXXX";

/* A path in the test folder (static buffer, one at a time). */
static const char *in_dir(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* Uniform in [-1, 1) from a 64-bit LCG. */
static float rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 40) / (double)(1 << 24)) * 2.0f - 1.0f;
}

static void unit(float *v, size_t n)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)v[i] * v[i];
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(v[i] / sqrt(ss));
}

/* Write rows vec (n, dim) with ids "r%05zu" and case_id "c%zu" (i % cases)
 * to path, in chunks of chunk rows. */
static void write_index(const char *path, const float *vec, size_t n, size_t dim,
                        size_t cases, size_t chunk, const char *prefix, const mc_cindex *old)
{
    mc_cindex_writer w;
    if (mc_cindex_writer_open(&w, path, old, chunk) != 0) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        char id[32], cs[32];
        cJSON *rec = cJSON_CreateObject();
        snprintf(id, sizeof id, "%s%05zu", prefix, i);
        snprintf(cs, sizeof cs, "c%zu", i % cases);
        cJSON_AddStringToObject(rec, "id", id);
        cJSON_AddStringToObject(rec, "case_id", cs);
        if (mc_cindex_writer_add(&w, vec + i * dim, dim, rec) != 0)
            exit(1);
        cJSON_Delete(rec);
    }
    if (mc_cindex_writer_commit(&w) != 0)
        exit(1);
}

typedef struct {
    double s;
    size_t row;
    const mc_cindex *ix;
} scored;

static int by_score_then_id(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return strcmp(x->ix->id[x->row], x->ix->id[y->row]);
}

/* The index's row r as doubles dotted with q. */
static double dot_row(const mc_cindex *ix, size_t r, const float *q)
{
    const float *v = NULL;
    double d = 0;
    for (size_t c = 0; c < ix->nchunks; c++)
        if (r >= ix->chunk[c].row0 && r < ix->chunk[c].row0 + ix->chunk[c].rows)
            v = ix->chunk[c].vec + (r - ix->chunk[c].row0) * ix->dim;
    for (size_t i = 0; i < ix->dim; i++)
        d += (double)v[i] * q[i];
    return d;
}

void openblas_set_num_threads(int n);

/* The search of the nq queries q on 3 threads (workers over tiles of rows)
 * finds exactly hits/found, the answer of one thread. */
static void same_on_threads(const mc_hit *hits, const size_t *found, const float *q, size_t nq,
                            size_t k, const mc_cindex *ix)
{
    mc_hit *h3 = malloc(sizeof *h3 * nq * k);
    size_t *f3 = malloc(sizeof *f3 * nq);
    openblas_set_num_threads(3);
    mc_knn_search(h3, f3, q, NULL, nq, k, ix);
    openblas_set_num_threads(1);
    for (size_t b = 0; b < nq; b++) {
        CHECK(f3[b] == found[b], "query %zu: %zu found on 3 threads, %zu on one", b, f3[b], found[b]);
        for (size_t i = 0; i < found[b] && i < f3[b]; i++)
            CHECK(h3[b * k + i].row == hits[b * k + i].row && h3[b * k + i].score == hits[b * k + i].score,
                  "query %zu rank %zu: row %zu (%g) on 3 threads, %zu (%g) on one", b, i,
                  h3[b * k + i].row, h3[b * k + i].score, hits[b * k + i].row, hits[b * k + i].score);
    }
    free(h3);
    free(f3);
}

/* 5,000 random rows of 8 dims in chunks of 4,500 (six sgemm tiles, two
 * chunks), 40 queries, k = 10: the same neighbours as brute force, except
 * that ranks whose scores lie within 1e-5 of a neighbour's may swap. */
static void test_against_brute_force(void)
{
    enum { N = 5000, D = 8, Q = 40, K = 10 };
    float *vec = malloc(sizeof(float) * N * D), q[Q * D];
    uint64_t seed = 7;
    mc_cindex ix;
    mc_hit hits[Q * K];
    size_t found[Q];
    char err[400];
    scored *all = malloc(sizeof *all * N);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < D; j++)
            vec[i * D + j] = rnd(&seed);
        unit(vec + i * D, D);
    }
    for (size_t i = 0; i < Q; i++) {
        for (size_t j = 0; j < D; j++)
            q[i * D + j] = rnd(&seed);
        unit(q + i * D, D);
    }
    write_index(in_dir("random.idx"), vec, N, D, 97, 4500, "r", NULL);
    CHECK(mc_cindex_open(&ix, in_dir("random.idx"), err, sizeof err) == 0, "%s", err);
    CHECK(ix.rows == N && ix.dim == D && ix.nchunks == 2, "rows %zu dim %zu chunks %zu",
          ix.rows, ix.dim, ix.nchunks);
    mc_knn_search(hits, found, q, NULL, Q, K, &ix);
    same_on_threads(hits, found, q, Q, K, &ix);
    for (size_t b = 0; b < Q; b++) {
        for (size_t r = 0; r < N; r++)
            all[r] = (scored){dot_row(&ix, r, q + b * D), r, &ix};
        qsort(all, N, sizeof *all, by_score_then_id);
        CHECK(found[b] == K, "query %zu: %zu found", b, found[b]);
        for (size_t r = 0; r < K; r++) {
            int isolated = (r == 0 || all[r - 1].s - all[r].s > 1e-5) && all[r].s - all[r + 1].s > 1e-5;
            CHECK(fabs(hits[b * K + r].score - all[r].s) < 1e-5, "query %zu rank %zu: score %g, brute force %g",
                  b, r, hits[b * K + r].score, all[r].s);
            if (isolated)
                CHECK(hits[b * K + r].row == all[r].row, "query %zu rank %zu: row %zu, brute force %zu",
                      b, r, hits[b * K + r].row, all[r].row);
        }
    }
    mc_cindex_close(&ix);
    free(all);
    free(vec);
}

/* Equal vectors rank by id; the query's own case can be excluded; k over
 * the index size finds every row; appended rows are found. */
static void test_ties_exclusion_append(void)
{
    /* rows r00000..r00004: e0, e0, e0, e0, e1; cases c0 c1 c2 c0 c1 */
    float vec[5 * 4] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0};
    float more[4] = {1, 0, 0, 0}, q[4] = {1, 0, 0, 0};
    mc_cindex ix, old;
    mc_hit hits[8];
    size_t found;
    int skip;
    char err[400];
    write_index(in_dir("ties.idx"), vec, 5, 4, 3, 2, "r", NULL);
    CHECK(mc_cindex_open(&ix, in_dir("ties.idx"), err, sizeof err) == 0, "%s", err);
    mc_knn_search(hits, &found, q, NULL, 1, 3, &ix);
    CHECK(found == 3 && hits[0].row == 0 && hits[1].row == 1 && hits[2].row == 2,
          "ties: rows %zu %zu %zu", hits[0].row, hits[1].row, hits[2].row);
    skip = mc_strtab_find(&ix.cases, "c0");
    mc_knn_search(hits, &found, q, &skip, 1, 8, &ix);
    CHECK(found == 3 && hits[0].row == 1 && hits[1].row == 2 && hits[2].row == 4,
          "exclude c0: %zu found, rows %zu %zu %zu", found, hits[0].row, hits[1].row, hits[2].row);
    CHECK(hits[2].score == 0.0f, "orthogonal row scores %g", hits[2].score);
    /* append "a00000" = e0: its id sorts first among the ties */
    CHECK(mc_cindex_open(&old, in_dir("ties.idx"), err, sizeof err) == 0, "%s", err);
    write_index(in_dir("ties.idx"), more, 1, 4, 3, 2, "a", &old);
    mc_cindex_close(&old);
    mc_cindex_close(&ix);
    CHECK(mc_cindex_open(&ix, in_dir("ties.idx"), err, sizeof err) == 0, "%s", err);
    CHECK(ix.rows == 6 && ix.nchunks == 4, "after append: %zu rows, %zu chunks", ix.rows, ix.nchunks);
    mc_knn_search(hits, &found, q, NULL, 1, 2, &ix);
    CHECK(found == 2 && hits[0].row == 5 && hits[1].row == 0, "after append: rows %zu %zu",
          hits[0].row, hits[1].row);
    mc_cindex_close(&ix);
}

/* Copy src to dst with byte at flips changed and the file cut to len. */
static void damaged_copy(const char *src, const char *dst, long flip, long len)
{
    FILE *f = fopen(src, "rb"), *g = fopen(dst, "wb");
    int c;
    for (long i = 0; (c = getc(f)) != EOF && i < len; i++)
        putc(i == flip ? c ^ 0x20 : c, g);
    fclose(f);
    fclose(g);
}

static void test_refused(void)
{
    static const struct { long flip, len; const char *what; } cases[] = {
        {8, 1L << 30, "header CRC mismatch"},        /* version byte */
        {70, 1L << 30, "metadata CRC mismatch"},
        {200, 1L << 30, "payload CRC mismatch"},
        {-1, 100, "truncated"},
        {-1, 0, "empty file"},
    };
    mc_cindex ix;
    char err[400], src[256];
    snprintf(src, sizeof src, "%s", in_dir("ties.idx"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        damaged_copy(src, in_dir("bad.idx"), cases[i].flip, cases[i].len);
        err[0] = '\0';
        CHECK(mc_cindex_open(&ix, in_dir("bad.idx"), err, sizeof err) == MC_EXIT_MODEL,
              "case %zu not refused", i);
        CHECK(strstr(err, cases[i].what) != NULL, "case %zu: message '%s'", i, err);
    }
    CHECK(mc_cindex_open(&ix, in_dir("missing.idx"), err, sizeof err) == MC_EXIT_IO, "missing file");
    CHECK(strstr(err, "cannot open") != NULL, "missing: '%s'", err);
}

/* The byte offsets where the frames of path end (at most max), walking
 * their headers; returns how many. */
static size_t frame_ends(const char *path, long *ends, size_t max)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[64];
    long off = 0;
    size_t n = 0;
    while (n < max && f && fseek(f, off, SEEK_SET) == 0 && fread(h, 1, 64, f) == 64) {
        long meta = h[32] | h[33] << 8 | (long)h[34] << 16 | (long)h[35] << 24;
        long payload = h[40] | h[41] << 8 | (long)h[42] << 16 | (long)h[43] << 24;
        off += 64 + (meta + 64 + 63) / 64 * 64 - 64 + (payload + 63) / 64 * 64;
        ends[n++] = off;
    }
    if (f)
        fclose(f);
    return n;
}

/* An index cut at the end of any of its frames, a chunk boundary included,
 * is refused: only the whole file, with its end frame, reads. */
static void test_cut_at_frames(void)
{
    long ends[64];
    size_t n;
    mc_cindex ix;
    char err[400], src[256];
    snprintf(src, sizeof src, "%s", in_dir("ties.idx"));
    n = frame_ends(src, ends, 64);
    CHECK(n == 9, "ties.idx has %zu frames, expected 4 chunks and the end frame", n);
    for (size_t i = 0; i + 1 < n; i++) {
        damaged_copy(src, in_dir("cut.idx"), -1, ends[i]);
        err[0] = '\0';
        CHECK(mc_cindex_open(&ix, in_dir("cut.idx"), err, sizeof err) == MC_EXIT_MODEL,
              "cut after frame %zu (byte %ld) not refused", i + 1, ends[i]);
        CHECK(strstr(err, "truncated") != NULL, "cut after frame %zu: message '%s'", i + 1, err);
    }
    CHECK(mc_cindex_open(&ix, src, err, sizeof err) == 0, "whole file: %s", err);
    mc_cindex_close(&ix);
    unlink(in_dir("cut.idx"));
    check(failures == 0, "an index cut at any frame boundary is refused");
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_against_brute_force();
    test_ties_exclusion_append();
    test_refused();
    test_cut_at_frames();
    unlink(in_dir("random.idx"));
    unlink(in_dir("ties.idx"));
    unlink(in_dir("bad.idx"));
    rmdir(dir);
    if (failures)
        fprintf(stderr, "test_knn: %d checks failed\n", failures);
    return failures != 0;
}
