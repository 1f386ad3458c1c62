/* test_context.c - patient context (arch/context.h): the kinds and tokens
 * built from training values, unknown and unseen values, dropout, a
 * finite-difference check of the embedding's gradient through a loss on
 * the grid, and the metadata round trip. */
#include "arch/context.h"
#include "check.h"
#include "gradcheck.h"
#include "testrand.h"

#include <stdlib.h>
#include <string.h>

/* Training values of 4 samples x 3 fields (age, sex, notes). */
static char *vals[] = {
    "73", "male",   "severe ards. intubated",
    "41", "female", NULL,
    "78", NULL,     "intubated patient",
    NULL, "female", "fever",
};

static mc_context *make(int C)
{
    char err[128];
    mc_context *c = mc_context_new(C);
    CHECK(mc_context_add(c, "age", err, sizeof err) == 0, "%s", err);
    CHECK(mc_context_add(c, "sex", err, sizeof err) == 0, "%s", err);
    CHECK(mc_context_add(c, "notes:text", err, sizeof err) == 0, "%s", err);
    mc_context_build(c, vals, 4, 3, 1);
    return c;
}

/* Kinds, the unknown rows first, numbers bucketed by tens. */
static void check_build(void)
{
    mc_context *c = make(2);
    char err[128];
    check(c->f[0].kind == MC_CTX_NUMBER && c->f[1].kind == MC_CTX_CATEGORY && c->f[2].kind == MC_CTX_TEXT,
          "context: age is a number, sex a category, notes text");
    check(strcmp(c->tok.str[0], "age=?") == 0 && strcmp(c->tok.str[2], "notes=?") == 0 &&
              mc_strtab_find(&c->tok, "age=70-79") >= 3 && mc_strtab_find(&c->tok, "age=40-49") >= 3 &&
              mc_strtab_find(&c->tok, "notes=intubated") >= 3 && mc_strtab_find(&c->tok, "notes=.") < 0,
          "context: unknown rows first; ages by decade; note words without punctuation");
    check(mc_context_add(c, "age", err, sizeof err) != 0 && mc_context_add(c, "x:colour", err, sizeof err) != 0,
          "context: a repeated field and an unknown kind are refused");
    mc_context_free(c);
}

/* A sample's vector is the sum over fields of the mean of its rows; a
 * missing or unseen value uses the field's unknown row; dropout 1 makes
 * every field unknown. */
static void check_forward(void)
{
    mc_context *c = make(1);
    float *E = mc_params_at(&c->p, 0), grid[2] = {0, 0};
    char *in[] = {"75", "male", "intubated fever", "200", "other", "zebra"};
    int r_age7 = mc_strtab_find(&c->tok, "age=70-79"), r_m = mc_strtab_find(&c->tok, "sex=male"),
        r_i = mc_strtab_find(&c->tok, "notes=intubated"), r_f = mc_strtab_find(&c->tok, "notes=fever");
    for (size_t k = 0; k < c->tok.n; k++)
        E[k] = (float)(k + 1) * 0.5f;
    mc_context_forward(c, grid, 2, 1, in, 3, 0.0f, NULL);
    check(grid[0] == E[r_age7] + E[r_m] + 0.5f * (E[r_i] + E[r_f]) && grid[1] == E[0] + E[1] + E[2],
          "context: known values sum their rows; unseen values use the unknown rows");
    grid[0] = 0;
    mc_context_forward(c, grid, 1, 1, in, 3, 1.0f, (const uint64_t[]){1});
    check(grid[0] == E[0] + E[1] + E[2], "context: dropout 1 reads every field as unknown");
    mc_context_free(c);
}

typedef struct {
    mc_context *c;
    float *grid, *base, *r;
    char **in;
    int B, G;
} cx_ctx;

/* L = sum(r * (base + context)) over the grid. */
static double cx_loss(void *ctx)
{
    cx_ctx *x = ctx;
    size_t n = (size_t)x->B * x->G * x->c->C;
    double s = 0;
    memcpy(x->grid, x->base, n * sizeof(float));
    mc_context_forward(x->c, x->grid, x->B, x->G, x->in, 3, 0.0f, NULL);
    for (size_t i = 0; i < n; i++)
        s += (double)x->grid[i] * x->r[i];
    return s;
}

static void check_gradient(int B, int G, int C)
{
    mc_context *c = make(C);
    size_t n = (size_t)B * G * C;
    char *in[] = {"73", "female", "intubated severe", NULL, "male", "fever", "41", NULL, NULL};
    float *E = mc_params_at(&c->p, 0), *r = rand_buf(n, 1.0f), *base = rand_buf(n, 1.0f),
          *grid = malloc(n * sizeof(float));
    char name[96];
    cx_ctx x = {c, grid, base, r, in, B, G};
    for (size_t k = 0; k < c->p.total; k++)
        E[k] = 0.1f * (float)((k * 7) % 11) - 0.5f;
    mc_params_zero_grad(&c->p);
    cx_loss(&x);
    mc_context_backward(c, r, B, G); /* dL/dgrid = r */
    snprintf(name, sizeof name, "context dE B=%d G=%d C=%d", B, G, C);
    check(gc_check(name, cx_loss, &x, E, c->p.total, mc_params_grad(&c->p), 0, 1e-2, 1e-4), name);
    mc_context_free(c);
    free(r), free(base), free(grid);
}

/* The fields and tokens survive the metadata JSON; malformed metadata is
 * refused. */
static void check_json(void)
{
    mc_context *c = make(3), *d;
    char err[128], *s = mc_context_to_json(c), *s2;
    d = mc_context_from_json(s, 3, err, sizeof err);
    CHECK(d != NULL, "%s", err);
    s2 = d ? mc_context_to_json(d) : NULL;
    check(d && strcmp(s, s2) == 0 && d->p.total == c->p.total, "context: round trip through the metadata");
    check(!mc_context_from_json("{\"fields\":[{\"name\":\"a\",\"kind\":\"number\"}],\"tokens\":[\"b=?\"]}", 3,
                                err, sizeof err) &&
              !mc_context_from_json("{\"fields\":[{\"name\":\"a\",\"kind\":\"colour\"}],\"tokens\":[\"a=?\"]}", 3,
                                    err, sizeof err) &&
              !mc_context_from_json("{\"fields\":[{\"name\":\"a\",\"kind\":\"text\"}],\"tokens\":[\"a=?\",\"a=?\"]}",
                                    3, err, sizeof err) &&
              !mc_context_from_json("[]", 3, err, sizeof err),
          "context: malformed metadata is refused");
    free(s), free(s2);
    mc_context_free(c);
    mc_context_free(d);
}

int main(void)
{
    check_build();
    check_forward();
    check_gradient(1, 1, 1);
    check_gradient(3, 5, 3);
    check_gradient(2, 7, 4);
    check_json();
    return failures != 0;
}
