/* svg.h - small inline SVG charts for the report: line charts (training
 * curves) and grouped bar charts (caption lengths).  Names and labels are
 * escaped; colours come from a fixed palette; nothing is scripted.
 */
#ifndef RP_SVG_H
#define RP_SVG_H

#include <stdio.h>

typedef struct {
    const char *name;   /* legend text */
    const double *x, *y; /* (n) points; y NaN: no point */
    int n;
} rp_series;

/* A line chart of ns series with title and the x axis named xlabel. */
void rp_svg_lines(FILE *f, const char *title, const char *xlabel, const rp_series *s, int ns);

/* A bar chart of ns series (names) of counts over nb bins named label[b];
 * counts[s * nb + b]. */
void rp_svg_bars(FILE *f, const char *title, const char *xlabel, const char *const *names, int ns,
                 const char *const *label, const long *counts, int nb);

#endif
