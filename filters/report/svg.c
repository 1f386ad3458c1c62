/* svg.c - inline SVG line and bar charts. */
#include "svg.h"
#include "html.h"

#include <math.h>

enum { W = 520, H = 260, ML = 56, MR = 16, MT = 28, MB = 44 };

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
#define NPAL (int)(sizeof palette / sizeof *palette)

/* A round step (1, 2 or 5 times a power of ten) near range / 5. */
static double nice_step(double range)
{
    double raw = range / 5, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Open the chart: svg element, title, frame. */
static void open_chart(FILE *f, const char *title)
{
    fprintf(f, "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", W, H, W, H);
    rp_esc(f, title);
    fputs("\"><title>", f);
    rp_esc(f, title);
    fprintf(f, "</title><text x=\"%d\" y=\"16\" class=\"ct\">", ML);
    rp_esc(f, title);
    fputs("</text>", f);
}

/* The y axis: lo and hi widened to whole steps, grid lines and labels. */
static void y_axis(FILE *f, double *lo, double *hi)
{
    double step, v;
    if (!(*hi > *lo)) {
        *lo -= 0.5;
        *hi += 0.5;
    }
    step = nice_step(*hi - *lo);
    *lo = floor(*lo / step) * step;
    *hi = ceil(*hi / step) * step;
    for (v = *lo; v <= *hi + step / 2; v += step) {
        double y = MT + (H - MT - MB) * (1 - (v - *lo) / (*hi - *lo));
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", ML, W - MR, y, y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"yt\">", ML - 4, y + 4);
        rp_num(f, fabs(v) < step / 1e6 ? 0 : v);
        fputs("</text>", f);
    }
}

/* Close the chart with the legend of ns names as its caption. */
static void close_chart(FILE *f, const char *const *names, int ns)
{
    fputs("</svg><figcaption>", f);
    for (int i = 0; i < ns; i++) {
        fprintf(f, "<span class=\"key\"><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" "
                   "height=\"10\" fill=\"%s\"/></svg> ", palette[i % NPAL]);
        rp_esc(f, names[i]);
        fputs("</span> ", f);
    }
    fputs("</figcaption></figure>\n", f);
}

void rp_svg_lines(FILE *f, const char *title, const char *xlabel, const rp_series *s, int ns)
{
    double x0 = INFINITY, x1 = -INFINITY, lo = INFINITY, hi = -INFINITY;
    const char *names[16];
    if (ns > 16)
        ns = 16;
    for (int i = 0; i < ns; i++) {
        names[i] = s[i].name;
        for (int k = 0; k < s[i].n; k++) {
            x0 = fmin(x0, s[i].x[k]);
            x1 = fmax(x1, s[i].x[k]);
            if (isfinite(s[i].y[k])) {
                lo = fmin(lo, s[i].y[k]);
                hi = fmax(hi, s[i].y[k]);
            }
        }
    }
    if (!isfinite(lo))
        lo = hi = 0;
    if (!(x1 > x0))
        x1 = x0 + 1;
    open_chart(f, title);
    y_axis(f, &lo, &hi);
    for (int i = 0; i < ns; i++) {
        int pen = 0;
        fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", palette[i % NPAL]);
        for (int k = 0; k < s[i].n; k++) {
            if (!isfinite(s[i].y[k]))
                continue;
            fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', ML + (W - ML - MR) * (s[i].x[k] - x0) / (x1 - x0),
                    MT + (H - MT - MB) * (1 - (s[i].y[k] - lo) / (hi - lo)));
        }
        fputs("\"/>", f);
    }
    for (double v = ceil(x0), step = fmax(1, round(nice_step(x1 - x0))); v <= x1; v += step) {
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"xt\">", ML + (W - ML - MR) * (v - x0) / (x1 - x0), H - MB + 16);
        rp_num(f, v);
        fputs("</text>", f);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"xl\">", (W + ML) / 2, H - 6);
    rp_esc(f, xlabel);
    fputs("</text>", f);
    close_chart(f, names, ns);
}

void rp_svg_bars(FILE *f, const char *title, const char *xlabel, const char *const *names, int ns,
                 const char *const *label, const long *counts, int nb)
{
    double lo = 0, hi = 0, slot = (double)(W - ML - MR) / (nb > 0 ? nb : 1), bw = slot * 0.8 / (ns > 0 ? ns : 1);
    int every = nb > 20 ? (nb + 19) / 20 : 1;
    for (int i = 0; i < ns * nb; i++)
        hi = fmax(hi, (double)counts[i]);
    open_chart(f, title);
    y_axis(f, &lo, &hi);
    for (int s = 0; s < ns; s++)
        for (int b = 0; b < nb; b++) {
            double h = (H - MT - MB) * counts[s * nb + b] / hi;
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                    ML + slot * b + slot * 0.1 + bw * s, H - MB - h, bw, h, palette[s % NPAL]);
            rp_esc(f, names[s]);
            fputs(", ", f);
            rp_esc(f, label[b]);
            fprintf(f, ": %ld</title></rect>", counts[s * nb + b]);
        }
    for (int b = 0; b < nb; b += every) {
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"xt\">", ML + slot * (b + 0.5), H - MB + 16);
        rp_esc(f, label[b]);
        fputs("</text>", f);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"xl\">", (W + ML) / 2, H - 6);
    rp_esc(f, xlabel);
    fputs("</text>", f);
    close_chart(f, names, ns);
}
