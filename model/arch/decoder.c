/* decoder.c - the table of decoder architectures and their configuration. */
#define _POSIX_C_SOURCE 200809L
#include "arch/decoder.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

extern const mc_decoder_arch mc_sat_lstm_arch;
extern const mc_decoder_arch mc_transformer_arch;

/* One line per architecture; the first is the default. */
static const mc_decoder_arch *const archs[] = {
    &mc_sat_lstm_arch,
    &mc_transformer_arch,
};

#define N_ARCHS ((int)(sizeof archs / sizeof archs[0]))

const mc_decoder_arch *mc_decoder_arch_find(const char *name)
{
    for (int i = 0; i < N_ARCHS; i++)
        if (strcmp(archs[i]->name, name) == 0)
            return archs[i];
    return NULL;
}

const char *mc_decoder_arch_names(void)
{
    static char buf[256];
    if (!buf[0])
        for (int i = 0; i < N_ARCHS; i++) {
            if (i)
                strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
            strncat(buf, archs[i]->name, sizeof buf - strlen(buf) - 1);
        }
    return buf;
}

void mc_decoder_config_default(mc_decoder_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_len = 31;
    c->embed = 256;
    c->hidden = 512;
    c->attention = 512;
    c->layers = 2;
    c->heads = 4;
    c->dropout = 0.5f;
    c->alpha_c = 1.0f;
}

/* The integer fields, by JSON key. */
#define INT_FIELDS(X)                                                                              \
    X(vocab) X(grid) X(channels) X(max_len) X(embed) X(hidden) X(attention) X(layers) X(heads)

char *mc_decoder_config_to_json(const mc_decoder_config *c)
{
    cJSON *o = cJSON_CreateObject();
    char *s;
#define ADD_INT(f) cJSON_AddNumberToObject(o, #f, c->f);
    INT_FIELDS(ADD_INT)
#undef ADD_INT
    cJSON_AddNumberToObject(o, "dropout", c->dropout);
    cJSON_AddNumberToObject(o, "alpha_c", c->alpha_c);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    return s;
}

int mc_decoder_config_from_json(mc_decoder_config *c, const char *json, char *err, size_t errlen)
{
    cJSON *o = cJSON_Parse(json), *x;
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "decoder config is not a JSON object");
        cJSON_Delete(o);
        return -1;
    }
#define GET_INT(f)                                                                                 \
    if ((x = cJSON_GetObjectItemCaseSensitive(o, #f)) != NULL) {                                   \
        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1e8 ||                   \
            x->valuedouble != (int)x->valuedouble) {                                               \
            snprintf(err, errlen, "decoder config: '%s' is not a count", #f);                      \
            cJSON_Delete(o);                                                                       \
            return -1;                                                                             \
        }                                                                                          \
        c->f = (int)x->valuedouble;                                                                \
    }
    INT_FIELDS(GET_INT)
#undef GET_INT
    if ((x = cJSON_GetObjectItemCaseSensitive(o, "dropout")) && cJSON_IsNumber(x))
        c->dropout = (float)x->valuedouble;
    if ((x = cJSON_GetObjectItemCaseSensitive(o, "alpha_c")) && cJSON_IsNumber(x))
        c->alpha_c = (float)x->valuedouble;
    cJSON_Delete(o);
    return 0;
}

int mc_decoder_new(mc_decoder *d, const char *name, const mc_decoder_config *cfg, mc_params *p,
                   const char *prefix, char *err, size_t errlen)
{
    const mc_decoder_arch *a = mc_decoder_arch_find(name);
    const char *why;
    memset(d, 0, sizeof *d);
    if (!a) {
        snprintf(err, errlen, "unknown decoder architecture '%s' (known: %s)", name,
                 mc_decoder_arch_names());
        return -1;
    }
    if (cfg->vocab <= 4 || cfg->grid <= 0 || cfg->channels <= 0 || cfg->max_len < 2 ||
        cfg->dropout < 0 || cfg->dropout >= 1) {
        snprintf(err, errlen, "decoder config: vocab, grid, channels, max_len or dropout out of range");
        return -1;
    }
    if ((why = a->config_error(cfg)) != NULL) {
        snprintf(err, errlen, "%s config: %s", a->name, why);
        return -1;
    }
    d->arch = a;
    d->cfg = *cfg;
    d->impl = a->build(cfg, p, prefix);
    return 0;
}

void mc_decoder_free(mc_decoder *d)
{
    if (d->arch && d->impl)
        d->arch->free(d->impl);
    memset(d, 0, sizeof *d);
}
