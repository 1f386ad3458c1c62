/* summary.c - metrics, confusion matrices, caption lengths, training curves. */
#define _POSIX_C_SOURCE 200809L
#include "summary.h"
#include "html.h"
#include "svg.h"
#include "words.h"
#include "core/util.h"
#include "io/ndjson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows of section: the numbers of obj (nested objects up to depth 2 named
 * prefix / key), per-label objects ("labels") as a table of their own. */
static void metric_rows(FILE *f, const char *section, const cJSON *obj, const char *prefix, int depth, int *first)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        if (cJSON_IsNumber(v)) {
            fputs("<tr><th scope=\"row\">", f);
            if (*first)
                rp_esc(f, section);
            *first = 0;
            fputs("</th><td>", f);
            rp_esc(f, prefix);
            rp_esc(f, v->string);
            fputs("</td><td class=\"n\">", f);
            rp_num(f, v->valuedouble);
            fputs("</td></tr>\n", f);
        } else if (cJSON_IsObject(v) && depth < 2 && strcmp(v->string, "labels") != 0) {
            char sub[200];
            snprintf(sub, sizeof sub, "%s%s / ", prefix, v->string);
            metric_rows(f, section, v, sub, depth + 1, first);
        }
    }
}

/* The per-label table of section (an object of label -> numbers). */
static void label_table(FILE *f, const char *section, const cJSON *labels)
{
    const cJSON *l, *v;
    fputs("<details><summary>", f);
    rp_esc(f, section);
    fputs(": per label</summary><table class=\"metrics\"><thead><tr><th>label</th><th>precision</th>"
          "<th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>\n", f);
    cJSON_ArrayForEach(l, labels) {
        static const char *const cols[] = {"precision", "recall", "f1", "support"};
        fputs("<tr><th scope=\"row\">", f);
        rp_esc(f, l->string);
        fputs("</th>", f);
        for (int c = 0; c < 4; c++) {
            v = cJSON_GetObjectItemCaseSensitive(l, cols[c]);
            fputs("<td class=\"n\">", f);
            rp_num(f, cJSON_IsNumber(v) ? v->valuedouble : NAN);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></details>\n", f);
}

void rp_summary_metrics(FILE *f, const cJSON *sum)
{
    const cJSON *sec, *def;
    int first = 1;
    fputs("<h3>Metrics (medcap-score)</h3>\n<table class=\"metrics\"><thead><tr><th>section</th><th>metric</th>"
          "<th>value</th></tr></thead><tbody>\n", f);
    metric_rows(f, "run", sum, "", 2, &first);
    cJSON_ArrayForEach(sec, sum) {
        if (!cJSON_IsObject(sec))
            continue;
        first = 1;
        metric_rows(f, sec->string, sec, "", 0, &first);
        def = cJSON_GetObjectItemCaseSensitive(sec, "definition");
        if (cJSON_IsString(def)) {
            fputs("<tr class=\"def\"><td></td><td colspan=\"2\">", f);
            rp_esc(f, def->valuestring);
            fputs("</td></tr>\n", f);
        }
    }
    fputs("</tbody></table>\n", f);
    cJSON_ArrayForEach(sec, sum) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(sec, "labels");
        if (cJSON_IsObject(labels) && labels->child)
            label_table(f, sec->string, labels);
    }
}

void rp_summary_means(FILE *f, const rp_run *r)
{
    mc_strtab keys;
    double *sum = NULL;
    long *count = NULL;
    mc_strtab_init(&keys);
    for (size_t i = 0; i < r->n; i++) {
        const cJSON *v;
        if (r->item[i].bad)
            continue;
        cJSON_ArrayForEach(v, r->item[i].scores) {
            int added, k = mc_strtab_intern(&keys, v->string, &added);
            if (added) {
                sum = mc_realloc(sum, keys.n * sizeof *sum);
                count = mc_realloc(count, keys.n * sizeof *count);
                sum[k] = 0;
                count[k] = 0;
            }
            sum[k] += v->valuedouble;
            count[k]++;
        }
    }
    if (keys.n) {
        fputs("<h3>Per-item scores: means</h3>\n<table class=\"metrics\"><thead><tr><th>score</th><th>mean</th>"
              "<th>items</th></tr></thead><tbody>\n", f);
        for (size_t k = 0; k < keys.n; k++) {
            fputs("<tr><th scope=\"row\">", f);
            rp_esc(f, keys.str[k]);
            fputs("</th><td class=\"n\">", f);
            rp_num(f, sum[k] / (double)count[k]);
            fprintf(f, "</td><td class=\"n\">%ld</td></tr>\n", count[k]);
        }
        fputs("</tbody></table>\n", f);
    }
    free(sum);
    free(count);
    mc_strtab_free(&keys);
}

enum { MAX_CLASSES = 16 }; /* a confusion matrix's rows and columns; the rest is "(other)" */

/* A value of a field and how often it occurs. */
typedef struct {
    const char *name;
    long count;
} label_count;

/* qsort order of label_count: by count, descending, then by name. */
static int by_count(const void *a, const void *b)
{
    const label_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);
}

void rp_summary_confusion(FILE *f, const rp_run *r, const char *name)
{
    mc_strtab labels;
    label_count *lc = NULL;
    int *truth = mc_malloc((r->n + 1) * sizeof *truth), *pred = mc_malloc((r->n + 1) * sizeof *pred);
    int *cls = NULL, nc, other;
    long *m, pairs = 0, right = 0;
    mc_strtab_init(&labels);
    for (size_t i = 0; i < r->n; i++) {
        char tb[128], pb[128];
        const char *t = r->item[i].bad ? NULL : rp_field_true(&r->item[i], name, tb, sizeof tb);
        const char *p = t ? rp_field_pred(&r->item[i], name, pb, sizeof pb) : NULL;
        truth[i] = pred[i] = -1;
        if (!t || !p)
            continue;
        truth[i] = mc_strtab_intern(&labels, t, NULL);
        pred[i] = mc_strtab_intern(&labels, p, NULL);
        pairs++;
        right += strcmp(t, p) == 0;
    }
    if (pairs == 0) {
        free(truth);
        free(pred);
        mc_strtab_free(&labels);
        return;
    }
    lc = mc_calloc(labels.n, sizeof *lc);
    for (size_t k = 0; k < labels.n; k++)
        lc[k].name = labels.str[k];
    for (size_t i = 0; i < r->n; i++)
        if (truth[i] >= 0) {
            lc[truth[i]].count += 2; /* true values first, then predicted ones */
            lc[pred[i]].count += 1;
        }
    qsort(lc, labels.n, sizeof *lc, by_count);
    nc = labels.n > MAX_CLASSES ? MAX_CLASSES : (int)labels.n;
    other = labels.n > MAX_CLASSES; /* a last row and column "(other)" */
    cls = mc_malloc(labels.n * sizeof *cls);
    for (size_t k = 0; k < labels.n; k++)
        cls[mc_strtab_find(&labels, lc[k].name)] = (int)k < nc ? (int)k : nc;
    m = mc_calloc((size_t)(nc + 1) * (nc + 1), sizeof *m);
    for (size_t i = 0; i < r->n; i++)
        if (truth[i] >= 0)
            m[cls[truth[i]] * (nc + 1) + cls[pred[i]]]++;
    fputs("<figure class=\"confusion\"><figcaption>", f);
    rp_esc(f, name);
    fprintf(f, ": %ld of %ld items right (%.1f%%); rows: true value, columns: predicted</figcaption>\n"
               "<table><thead><tr><th></th>", right, pairs, 100.0 * right / pairs);
    for (int c = 0; c < nc + other; c++) {
        fputs("<th scope=\"col\">", f);
        rp_esc(f, c < nc ? lc[c].name : "(other)");
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    for (int t = 0; t < nc + other; t++) {
        long row = 0;
        for (int c = 0; c < nc + 1; c++)
            row += m[t * (nc + 1) + c];
        fputs("<tr><th scope=\"row\">", f);
        rp_esc(f, t < nc ? lc[t].name : "(other)");
        fputs("</th>", f);
        for (int c = 0; c < nc + other; c++) {
            long v = m[t * (nc + 1) + c];
            int q = row && v ? 1 + (int)(4.0 * v / row - 1e-9) : 0;
            fprintf(f, "<td class=\"n q%d%s\">%ld</td>", q, t == c ? " diag" : "", v);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></figure>\n", f);
    free(m);
    free(cls);
    free(lc);
    free(truth);
    free(pred);
    mc_strtab_free(&labels);
}

/* Words of text (tokens that are not ':' or ','). */
static int word_count(const char *text, rp_tokens *t)
{
    int n = 0;
    rp_tokens_split(t, text);
    for (int i = 0; i < t->n; i++)
        n += !t->tok[i].punct;
    return n;
}

void rp_summary_lengths(FILE *f, const rp_run *r)
{
    rp_tokens t = {0};
    int *len = mc_malloc(2 * (r->n + 1) * sizeof *len), maxlen = 0, width, nb;
    long *counts, have[2] = {0, 0};
    double mean[2] = {0, 0};
    char (*lab)[32], xlabel[64];
    const char *labels[64], *names[2] = {"generated", "reference"};
    for (size_t i = 0; i < r->n; i++) {
        const cJSON *ref = cJSON_GetArrayItem(r->item[i].refs, 0);
        const char *txt[2] = {rp_str(r->item[i].rec, "caption"), cJSON_IsString(ref) ? ref->valuestring : NULL};
        for (int s = 0; s < 2; s++) {
            len[2 * i + s] = txt[s] && !r->item[i].bad ? word_count(txt[s], &t) : -1;
            if (len[2 * i + s] >= 0) {
                have[s]++;
                mean[s] += len[2 * i + s];
                maxlen = len[2 * i + s] > maxlen ? len[2 * i + s] : maxlen;
            }
        }
    }
    rp_tokens_free(&t);
    if (have[0] + have[1] == 0) {
        free(len);
        return;
    }
    width = maxlen / 40 + 1;
    nb = maxlen / width + 1;
    counts = mc_calloc(2 * (size_t)nb, sizeof *counts);
    lab = mc_malloc((size_t)nb * sizeof *lab);
    for (int b = 0; b < nb; b++) {
        snprintf(lab[b], sizeof lab[b], "%d", b * width);
        labels[b] = lab[b];
    }
    for (size_t i = 0; i < 2 * r->n; i++)
        if (len[i] >= 0)
            counts[(i % 2) * nb + len[i] / width]++;
    fprintf(f, "<p>Caption length in words: generated mean %.1f (%ld captions), reference mean %.1f (%ld).</p>\n",
            have[0] ? mean[0] / have[0] : 0.0, have[0], have[1] ? mean[1] / have[1] : 0.0, have[1]);
    snprintf(xlabel, sizeof xlabel, width == 1 ? "words" : "words (bins of %d, from)", width);
    fputs("<div class=\"charts\">\n", f);
    rp_svg_bars(f, "Caption lengths", xlabel, names, 2, labels, counts, nb);
    fputs("</div>\n", f);
    free(counts);
    free(lab);
    free(len);
}

/* Keys of a log line that are not curves. */
static int skipped_key(const char *k)
{
    static const char *const skip[] = {"epoch", "step", "lr", "samples_per_s", "seconds"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcmp(k, skip[i]) == 0)
            return 1;
    return 0;
}

enum { MAX_KEYS = 16 };

int rp_trainlog_read(rp_trainlog *lg, const char *path)
{
    FILE *fp = mc_open_in(path);
    mc_lines lines;
    char *line;
    cJSON **pts = NULL;
    size_t npts = 0, cap = 0;
    mc_strtab keys;
    int rc = 0;
    memset(lg, 0, sizeof *lg);
    mc_strtab_init(&keys);
    mc_lines_init(&lines, fp, path);
    while (mc_lines_next(&lines, &line) >= 0) {
        cJSON *o, *e;
        if (mc_blank(line))
            continue;
        o = cJSON_Parse(line);
        e = cJSON_GetObjectItemCaseSensitive(o, "epoch");
        if (!cJSON_IsObject(o) || !cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
            mc_err_at(path, lines.line, "not a training log line (a JSON object with a number \"epoch\")");
            cJSON_Delete(o);
            rc = MC_EXIT_INPUT;
            break;
        }
        if (npts && e->valuedouble <= cJSON_GetObjectItemCaseSensitive(pts[npts - 1], "epoch")->valuedouble) {
            while (npts) /* a new run starts: draw the last one */
                cJSON_Delete(pts[--npts]);
            lg->runs++;
        }
        if (npts == cap) {
            cap = cap ? 2 * cap : 64;
            pts = mc_realloc(pts, cap * sizeof *pts);
        }
        pts[npts++] = o;
    }
    if (rc == 0 && ferror(fp)) {
        mc_err_at(path, lines.line + 1, "cannot read");
        rc = MC_EXIT_IO;
    }
    mc_lines_free(&lines);
    if (fp != stdin)
        fclose(fp);
    if (rc != 0) {
        while (npts)
            cJSON_Delete(pts[--npts]);
        free(pts);
        mc_strtab_free(&keys);
        return rc;
    }
    lg->runs += npts > 0;
    for (size_t i = 0; i < npts; i++) {
        const cJSON *v;
        cJSON_ArrayForEach(v, pts[i])
            if (cJSON_IsNumber(v) && !skipped_key(v->string) && keys.n < MAX_KEYS)
                mc_strtab_intern(&keys, v->string, NULL);
    }
    lg->n = (int)npts;
    lg->nkeys = (int)keys.n;
    lg->epoch = mc_malloc((npts + 1) * sizeof *lg->epoch);
    lg->value = mc_malloc((keys.n * npts + 1) * sizeof *lg->value);
    lg->key = mc_malloc((keys.n + 1) * sizeof *lg->key);
    for (size_t k = 0; k < keys.n; k++) {
        lg->key[k] = mc_strdup(keys.str[k]);
        for (size_t i = 0; i < npts; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(pts[i], keys.str[k]);
            lg->value[k * npts + i] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        }
    }
    for (size_t i = 0; i < npts; i++) {
        lg->epoch[i] = cJSON_GetObjectItemCaseSensitive(pts[i], "epoch")->valuedouble;
        cJSON_Delete(pts[i]);
    }
    free(pts);
    mc_strtab_free(&keys);
    return rc;
}

void rp_trainlog_free(rp_trainlog *lg)
{
    for (int k = 0; k < lg->nkeys; k++)
        free(lg->key[k]);
    free(lg->key);
    free(lg->epoch);
    free(lg->value);
    memset(lg, 0, sizeof *lg);
}

void rp_summary_curves(FILE *f, const rp_trainlog *lg, const char *path)
{
    rp_series loss[MAX_KEYS], other[MAX_KEYS];
    int nl = 0, no = 0;
    fputs("<p>Training log <code>", f);
    rp_esc(f, path);
    fprintf(f, "</code>: %d epochs", lg->n);
    if (lg->runs > 1)
        fprintf(f, " of its last run (%d runs in the file)", lg->runs);
    fputs(".</p>\n", f);
    for (int k = 0; k < lg->nkeys; k++) {
        rp_series s = {lg->key[k], lg->epoch, lg->value + (size_t)k * lg->n, lg->n};
        if (strstr(lg->key[k], "loss"))
            loss[nl++] = s;
        else
            other[no++] = s;
    }
    fputs("<div class=\"charts\">\n", f);
    if (nl)
        rp_svg_lines(f, "Loss per epoch", "epoch", loss, nl);
    if (no)
        rp_svg_lines(f, "Validation metrics per epoch", "epoch", other, no);
    fputs("</div>\n", f);
}
