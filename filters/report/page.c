/* page.c - the HTML of the report page. */
#define _POSIX_C_SOURCE 200809L
#include "page.h"
#include "assets.h"
#include "html.h"
#include "words.h"
#include "core/util.h"
#include "io/record_roles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The fields the page compares and filters by (read from "fields" or the caption). */
static const char *const field_names[] = {"modality", "plane", "category"};
#define NFIELDS (sizeof field_names / sizeof *field_names)

static const char notice[] =
    "<p class=\"warn\" role=\"note\"><strong>Research software, not a diagnosis.</strong> The captions, fields and "
    "interpretations on this page were written by a machine-learning model and may be wrong; do not use them for "
    "any clinical decision.</p>\n";

/* 1 when s can be part of an attribute name (lower-case letters, digits,
 * _ and -, 1 to 40 bytes). */
static int safe_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
            return 0;
    return n > 0 && n <= 40;
}

/* The document head: title, CSP with the hashes of the style and the script, the style. */
static void write_head(FILE *f, const rp_page_opts *o)
{
    char *style = rp_style(o->box, o->nbox), *script = rp_script();
    char *sh = rp_csp_hash(style), *jh = rp_csp_hash(script);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data: 'self'; "
               "style-src '%s'; script-src '%s'; base-uri 'none'; form-action 'none'\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta name=\"generator\" content=\"medcap-report %s\">\n<title>",
            sh, jh, MEDCAP_VERSION);
    rp_esc(f, o->title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n", style);
    free(style);
    free(script);
    free(sh);
    free(jh);
}

/* The sort keys of it (numbers the page can sort by) through fn. */
static void each_sort_key(const rp_item *it, void (*fn)(const char *key, double v, void *ctx), void *ctx)
{
    const cJSON *v, *lp = cJSON_GetObjectItemCaseSensitive(it->rec, "logprob");
    char key[64];
    if (cJSON_IsNumber(lp) && isfinite(lp->valuedouble))
        fn("logprob", lp->valuedouble, ctx);
    cJSON_ArrayForEach(v, it->scores)
        if (safe_name(v->string))
            fn(v->string, v->valuedouble, ctx);
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(it->rec, "fields")) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "p");
        snprintf(key, sizeof key, "p_%.40s", v->string);
        if (cJSON_IsNumber(p) && safe_name(key))
            fn(key, p->valuedouble, ctx);
    }
}

/* each_sort_key callback: collect key names. */
static void collect_key(const char *key, double v, void *ctx)
{
    (void)v;
    mc_strtab_intern(ctx, key, NULL);
}

/* each_sort_key callback: write a data-s- attribute. */
static void write_key(const char *key, double v, void *ctx)
{
    fprintf(ctx, " data-s-%s=\"", key);
    rp_coord(ctx, v);
    fputc('"', ctx);
}

/* The sort and filter bar (hidden until the script shows it): sort keys
 * and field values from the items. */
static void write_controls(FILE *f, const rp_run *r)
{
    mc_strtab keys, vals[NFIELDS];
    char buf[128];
    mc_strtab_init(&keys);
    for (size_t k = 0; k < NFIELDS; k++)
        mc_strtab_init(&vals[k]);
    for (size_t i = 0; i < r->n; i++) {
        if (r->item[i].bad)
            continue;
        each_sort_key(&r->item[i], collect_key, &keys);
        for (size_t k = 0; k < NFIELDS; k++)
            if (rp_field_pred(&r->item[i], field_names[k], buf, sizeof buf))
                mc_strtab_intern(&vals[k], buf, NULL);
    }
    fputs("<nav id=\"controls\" hidden aria-label=\"sort and filter\">\n"
          "<label>Find <input type=\"search\" id=\"q\" placeholder=\"id or words\"></label>\n"
          "<label>Sort by <select id=\"sort\"><option value=\"order\">input order</option>"
          "<option value=\"id\">id</option>", f);
    for (size_t k = 0; k < keys.n; k++) {
        fputs("<option value=\"s:", f);
        rp_esc(f, keys.str[k]);
        fputs("\">", f);
        rp_esc(f, keys.str[k]);
        fputs("</option>", f);
    }
    fputs("</select></label>\n<select id=\"dir\" aria-label=\"direction\"><option value=\"asc\">ascending</option>"
          "<option value=\"desc\">descending</option></select>\n"
          "<label>Show <select id=\"field\"><option value=\"\">all items</option>", f);
    for (size_t k = 0; k < NFIELDS; k++) {
        if (vals[k].n)
            fprintf(f, "<option value=\"x:%s\">%s predicted wrong</option>", field_names[k], field_names[k]);
        for (size_t v = 0; v < vals[k].n; v++) {
            fprintf(f, "<option value=\"f:%s=", field_names[k]);
            rp_esc(f, vals[k].str[v]);
            fprintf(f, "\">%s: ", field_names[k]);
            rp_esc(f, vals[k].str[v]);
            fputs("</option>", f);
        }
        mc_strtab_free(&vals[k]);
    }
    fputs("</select></label>\n<output id=\"count\"></output>\n</nav>\n", f);
    mc_strtab_free(&keys);
}

/* The summary section: counts, inputs, metrics, confusion matrices,
 * caption lengths, training curves. */
static void write_summary(FILE *f, const rp_run *r, const rp_thumbs *ts, const rp_page_opts *o)
{
    size_t shown = 0, unreadable = 0;
    for (size_t i = 0; i < r->n; i++)
        shown += !r->item[i].bad;
    for (size_t k = 0; k < ts->n; k++)
        unreadable += ts->t[k].err[0] != 0;
    fprintf(f, "<section id=\"summary\" aria-label=\"summary\">\n<p>%zu items", shown);
    if (r->skipped)
        fprintf(f, " (%ld bad records left out)", r->skipped);
    if (unreadable)
        fprintf(f, "; %zu images could not be read", unreadable);
    fputs(". Records from ", f);
    for (int i = 0; i < o->ninputs; i++) {
        fputs(i ? ", <code>" : "<code>", f);
        rp_esc(f, strcmp(o->inputs[i], "-") == 0 ? "standard input" : o->inputs[i]);
        fputs("</code>", f);
    }
    fputs(".</p>\n", f);
    if (o->scores)
        rp_summary_metrics(f, o->scores);
    else
        rp_summary_means(f, r);
    fputs("<h3>Fields</h3>\n", f);
    for (size_t k = 0; k < NFIELDS - 1; k++) /* modality and plane */
        rp_summary_confusion(f, r, field_names[k]);
    fputs("<h3>Caption lengths</h3>\n", f);
    rp_summary_lengths(f, r);
    if (o->log) {
        fputs("<h3>Training</h3>\n", f);
        rp_summary_curves(f, o->log, o->log_path);
    }
    fputs("</section>\n", f);
}

/* An image (thumbnail job k, -1 for none) in a box of class cls, described
 * as alt; placeholders say why there is no image. */
static void write_image(FILE *f, const rp_thumbs *ts, int k, const char *cls, int px, const char *alt,
                        const rp_page_opts *o)
{
    const rp_thumb *t = k >= 0 ? &ts->t[k] : NULL;
    if (!t || t->err[0]) {
        fprintf(f, "<div class=\"%s ph\" role=\"img\" aria-label=\"no image\"><span>", cls);
        rp_esc(f, t ? t->err : "no image");
        fputs("</span></div>", f);
        return;
    }
    fprintf(f, "<div class=\"%s\" data-px=\"%d\"><img loading=\"lazy\" decoding=\"async\" width=\"%d\" height=\"%d\" alt=\"",
            cls, px, t->w, t->h);
    rp_esc(f, alt);
    if (o->thumb_dir) { /* the script sets src as the image nears the view */
        fputs("\" data-src=\"", f);
        rp_esc(f, o->thumb_dir);
        fprintf(f, "/%06d.jpg\">", k);
    } else {
        fputs("\" src=\"data:image/jpeg;base64,", f);
        rp_base64(f, t->jpeg, t->len);
        fputs("\">", f);
    }
    fputs("</div>", f);
}

/* The generated caption: each token a span (attention index data-k) when
 * the item has one attention map per token, words shared with the
 * references marked; a button for the mean map of the whole caption.  The
 * attention goes into data-att as "gh gw" and the weights in units of
 * 1e-5 (decode-caption writes 5 decimals), word by word, row by row. */
static void write_caption(FILE *f, const rp_item *it, const char *cap, const mc_strtab *refwords)
{
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(it->rec, "attention"), *map, *row, *v;
    rp_tokens t = {0};
    size_t at = 0;
    fputs("<p class=\"caption\"", f);
    if (it->natt) {
        fprintf(f, " data-att=\"%d %d", it->gh, it->gw);
        cJSON_ArrayForEach(map, att)
            cJSON_ArrayForEach(row, map)
                cJSON_ArrayForEach(v, row)
                    fprintf(f, " %.0f", v->valuedouble * 1e5);
        fputc('"', f);
    }
    fputc('>', f);
    rp_tokens_split(&t, cap);
    for (int i = 0; i < t.n; i++) {
        const rp_token *k = &t.tok[i];
        int shared = rp_words_has(refwords, cap, k);
        if (!it->aligned && !shared)
            continue;
        rp_escn(f, cap + at, k->start - at);
        if (it->aligned)
            fprintf(f, "<span class=\"w%s\" tabindex=\"0\" data-k=\"%d\">", shared ? " m" : "", i);
        else
            fputs("<span class=\"m\">", f);
        rp_escn(f, cap + k->start, k->len);
        fputs("</span>", f);
        at = k->start + k->len;
    }
    rp_esc(f, cap + at);
    fputs("</p>\n", f);
    if (it->natt)
        fputs("<p><button type=\"button\" class=\"whole\">attention of the whole caption</button></p>\n", f);
    rp_tokens_free(&t);
}

/* One field: value, probability, and whether it is the true value. */
static void write_field(FILE *f, const rp_item *it, const char *name, const char *value, const cJSON *p)
{
    char tb[128];
    const char *truth = rp_field_true(it, name, tb, sizeof tb);
    fputs("<li><span class=\"k\">", f);
    rp_esc(f, name);
    fputs("</span>: <span class=\"v\">", f);
    rp_esc(f, value);
    fputs("</span>", f);
    if (cJSON_IsNumber(p)) {
        fputs(" <span class=\"p\">(p ", f);
        rp_num(f, p->valuedouble);
        fputs(")</span>", f);
    }
    if (truth) {
        char vb[128];
        size_t n = 0;
        for (; value[n] && n + 1 < sizeof vb; n++)
            vb[n] = (char)(value[n] >= 'A' && value[n] <= 'Z' ? value[n] + 32 : value[n]);
        vb[n] = '\0';
        if (strcmp(vb, truth) == 0) {
            fputs(" <span class=\"ok\">&#10003; true</span>", f);
        } else {
            fputs(" <span class=\"no\">&#10007; true: ", f);
            rp_esc(f, truth);
            fputs("</span>", f);
        }
    }
    fputs("</li>", f);
}

/* The item's fields: its "fields" with their probabilities, else those
 * read from its caption. */
static void write_fields(FILE *f, const rp_item *it)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(it->rec, "fields"), *v;
    char buf[128];
    int any = 0;
    if (cJSON_IsObject(fields) && fields->child) {
        fputs("<ul class=\"fields\" aria-label=\"structured fields\">", f);
        cJSON_ArrayForEach(v, fields)
            write_field(f, it, v->string, rp_str(v, "value"), cJSON_GetObjectItemCaseSensitive(v, "p"));
        fputs("</ul>\n", f);
        return;
    }
    for (size_t k = 0; k < NFIELDS; k++) {
        if (!rp_field_pred(it, field_names[k], buf, sizeof buf))
            continue;
        if (!any++)
            fputs("<ul class=\"fields\" aria-label=\"fields read from the caption\">", f);
        write_field(f, it, field_names[k], buf, NULL);
    }
    if (any)
        fputs("</ul>\n", f);
}

/* The patient context the record gave the model ("given", from
 * decode-caption), marked as given, not generated; identifying fields are
 * never shown.  Nothing without it. */
static void write_given(FILE *f, const rp_item *it)
{
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(it->rec, "given"), *v;
    int any = 0;
    cJSON_ArrayForEach(v, given) {
        if (!v->string || mc_record_role(v->string) == MC_ROLE_IDENTIFYING || !(cJSON_IsString(v) || cJSON_IsNumber(v)))
            continue;
        if (!any++)
            fputs("<section class=\"given\"><p class=\"tag\">Given (patient context from the record, not "
                  "generated)</p><ul class=\"fields\" aria-label=\"given patient context\">", f);
        fputs("<li><span class=\"k\">", f);
        rp_esc(f, v->string);
        fputs("</span>: <span class=\"v\">", f);
        if (cJSON_IsString(v))
            rp_esc(f, v->valuestring);
        else
            fprintf(f, "%g", v->valuedouble);
        fputs("</span></li>", f);
    }
    if (any)
        fputs("</ul></section>\n", f);
}

/* The item's per-item scores as a one-row table (nothing without any). */
static void write_scores(FILE *f, const rp_item *it)
{
    const cJSON *v;
    if (!it->scores || !it->scores->child)
        return;
    fputs("<table class=\"scores\" aria-label=\"scores\"><tr>", f);
    cJSON_ArrayForEach(v, it->scores) {
        fputs("<th scope=\"col\">", f);
        rp_esc(f, v->string);
        fputs("</th>", f);
    }
    fputs("</tr><tr>", f);
    cJSON_ArrayForEach(v, it->scores) {
        fputs("<td class=\"n\">", f);
        rp_num(f, v->valuedouble);
        fputs("</td>", f);
    }
    fputs("</tr></table>\n", f);
}

/* The similar cases: thumbnail, id, case, similarity, quoted caption and
 * quoted case knowledge (folded) with its source. */
static void write_neighbors(FILE *f, const rp_item *it, const rp_thumbs *ts, const rp_page_opts *o)
{
    const cJSON *nbs = cJSON_GetObjectItemCaseSensitive(it->rec, "neighbors"), *nb, *v;
    int j = 0;
    if (!cJSON_IsArray(nbs) || !nbs->child)
        return;
    fputs("<section class=\"nbrs\"><p class=\"tag\">Similar cases (retrieved; their text is quoted)</p><ol>\n", f);
    cJSON_ArrayForEach(nb, nbs) {
        const char *id = rp_str(nb, "id"), *cs = rp_str(nb, "case_id"), *cap = rp_str(nb, "caption");
        const cJSON *sim = cJSON_GetObjectItemCaseSensitive(nb, "similarity"),
                    *kn = cJSON_GetObjectItemCaseSensitive(nb, "knowledge");
        fputs("<li class=\"nb\">", f);
        write_image(f, ts, it->nb_thumb ? it->nb_thumb[j] : -1, "nbox", o->nbox, id ? id : "neighbour", o);
        fputs("<div><p class=\"nid\">", f);
        rp_esc(f, id ? id : "(no id)");
        if (cs) {
            fputs(" &middot; case ", f);
            rp_esc(f, cs);
        }
        if (cJSON_IsNumber(sim)) {
            fputs(" &middot; similarity ", f);
            rp_num(f, sim->valuedouble);
        }
        fputs("</p>\n", f);
        if (cap) {
            fputs("<blockquote class=\"q\">", f);
            rp_esc(f, cap);
            fputs("<cite>caption of indexed image ", f);
            rp_esc(f, id ? id : "");
            fputs("</cite></blockquote>\n", f);
        }
        if (cJSON_IsObject(kn) && kn->child) {
            const char *dx = rp_str(kn, "diagnosis") ? rp_str(kn, "diagnosis") : rp_str(kn, "title");
            fputs("<details class=\"kn\"><summary>", f);
            rp_esc(f, o->kb_name);
            fputs(" case ", f);
            rp_esc(f, cs ? cs : "(no case id)");
            if (dx) {
                fputs(": ", f);
                rp_esc(f, dx);
            }
            fputs("</summary><blockquote><dl>", f);
            cJSON_ArrayForEach(v, kn)
                if (cJSON_IsString(v)) {
                    fputs("<dt>", f);
                    rp_esc(f, v->string);
                    fputs("</dt><dd>", f);
                    rp_esc(f, v->valuestring);
                    fputs("</dd>", f);
                }
            fputs("</dl><cite>quoted from ", f);
            rp_esc(f, o->kb_name);
            fputs(" case ", f);
            rp_esc(f, cs ? cs : "(no case id)");
            fputs("</cite></blockquote></details>\n", f);
        }
        fputs("</div></li>\n", f);
        j++;
    }
    fputs("</ol></section>\n", f);
}

/* One item's article (number order in input order): data attributes for
 * sorting and filtering, image, generated part, references, scores,
 * neighbours. */
static void write_item(FILE *f, const rp_item *it, size_t order, const rp_thumbs *ts, const rp_page_opts *o)
{
    static const char *const fit_class[] = {"box", "box fit-crop", "box fit-stretch"};
    const char *id = rp_str(it->rec, "id"), *cap = rp_str(it->rec, "caption"),
               *interp = rp_str(it->rec, "interpretation");
    const cJSON *ref;
    mc_strtab capwords, refwords;
    char buf[128];
    mc_strtab_init(&capwords);
    mc_strtab_init(&refwords);
    if (cap)
        rp_words_add(&capwords, cap);
    cJSON_ArrayForEach(ref, it->refs)
        rp_words_add(&refwords, ref->valuestring);
    fprintf(f, "<article class=\"item\" id=\"item-%zu\" data-order=\"%zu\" data-id=\"", order, order);
    rp_esc(f, id);
    fputc('"', f);
    for (size_t k = 0; k < NFIELDS; k++) {
        if (rp_field_pred(it, field_names[k], buf, sizeof buf)) {
            fprintf(f, " data-f-%s=\"", field_names[k]);
            rp_esc(f, buf);
            fputc('"', f);
        }
        if (rp_field_true(it, field_names[k], buf, sizeof buf)) {
            fprintf(f, " data-t-%s=\"", field_names[k]);
            rp_esc(f, buf);
            fputc('"', f);
        }
    }
    each_sort_key(it, write_key, f);
    fputs(">\n<div class=\"fig\">", f);
    write_image(f, ts, it->thumb, fit_class[o->fit], o->box, id, o);
    fputs("<p class=\"legend\">", f);
    if (it->natt && it->aligned)
        fputs("Hover or focus a word of the caption to see where the model looked.", f);
    else if (it->natt)
        fprintf(f, "The decoder attended for %d tokens, not all of them in the caption (an unknown word is "
                   "left out of it): the button shows the mean map.", it->natt);
    fputs("</p></div>\n<div class=\"body\">\n<h2>", f);
    rp_esc(f, id);
    fputs("</h2>\n", f);
    write_given(f, it);
    fputs("<section class=\"gen\"><p class=\"tag\">Generated by medcap (not checked by a person)</p>\n", f);
    if (cap)
        write_caption(f, it, cap, &refwords);
    else
        fputs("<p class=\"caption\">(no caption)</p>\n", f);
    write_fields(f, it);
    if (interp) {
        fputs("<details class=\"interp\"><summary>Interpretation (generated caption with quoted similar cases)</summary><p>", f);
        rp_esc(f, interp);
        fputs("</p></details>\n", f);
    }
    fputs("</section>\n", f);
    cJSON_ArrayForEach(ref, it->refs) {
        fputs("<section class=\"ref\"><p class=\"tag\">Reference caption (from the data set; words shared with the "
              "generated caption marked)</p><blockquote>", f);
        rp_write_marked(f, ref->valuestring, &capwords);
        fputs("</blockquote></section>\n", f);
    }
    write_scores(f, it);
    write_neighbors(f, it, ts, o);
    fputs("</div>\n</article>\n", f);
    mc_strtab_free(&capwords);
    mc_strtab_free(&refwords);
}

void rp_page_write(FILE *f, const rp_run *r, const rp_thumbs *ts, const rp_page_opts *o)
{
    size_t order = 0;
    char *script;
    write_head(f, o);
    fputs("<body>\n<header><h1>", f);
    rp_esc(f, o->title);
    fputs("</h1>\n", f);
    fputs(notice, f);
    fputs("</header>\n", f);
    write_summary(f, r, ts, o);
    fputs("<h2 class=\"items-head\">Items</h2>\n", f);
    write_controls(f, r);
    fputs("<main id=\"items\">\n", f);
    for (size_t i = 0; i < r->n; i++)
        if (!r->item[i].bad)
            write_item(f, &r->item[i], order++, ts, o);
    fputs("</main>\n<footer>\n", f);
    fputs(notice, f);
    fprintf(f, "<p>Made by medcap-report %s.</p>\n</footer>\n", MEDCAP_VERSION);
    script = rp_script();
    fprintf(f, "<script>%s</script>\n</body>\n</html>\n", script);
    free(script);
}
