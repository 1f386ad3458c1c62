/* html.c - escaping and number formatting for the report page. */
#include "html.h"

#include <math.h>

void rp_escn(FILE *f, const char *s, size_t n)
{
    size_t run = 0; /* bytes of s before i that need no escaping, not yet written */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: rep = (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? " " : NULL;
        }
        if (!rep) {
            run++;
            continue;
        }
        fwrite(s + i - run, 1, run, f);
        fputs(rep, f);
        run = 0;
    }
    fwrite(s + n - run, 1, run, f);
}

void rp_esc(FILE *f, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    rp_escn(f, s, n);
}

void rp_num(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("-", f);
    else
        fprintf(f, "%.4g", v);
}

void rp_coord(FILE *f, double v)
{
    if (!isfinite(v) || fabs(v) < 1e-4)
        fputs("0", f);
    else
        fprintf(f, "%.6g", v);
}

void rp_base64(FILE *f, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4 * 1024];
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[k++] = tab[v >> 18 & 63];
        out[k++] = tab[v >> 12 & 63];
        out[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[k++] = i + 2 < n ? tab[v & 63] : '=';
        if (k == sizeof out) {
            fwrite(out, 1, k, f);
            k = 0;
        }
    }
    fwrite(out, 1, k, f);
}
