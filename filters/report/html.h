/* html.h - writing text from data into an HTML page safely.
 *
 * Every string that comes from data (ids, captions, case knowledge, file
 * names, metric names) goes through rp_esc, which is safe both in element
 * text and in a double- or single-quoted attribute value: & < > " ' become
 * character references, and control characters other than tab and new line
 * become spaces, so no markup, script or attribute can come from data.
 * Nothing from data is ever written inside <script> or <style>.
 * Functions write to f and leave error checking to the caller (ferror).
 */
#ifndef RP_HTML_H
#define RP_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Write s (NUL-terminated UTF-8) escaped. */
void rp_esc(FILE *f, const char *s);
/* Write the n bytes at s escaped. */
void rp_escn(FILE *f, const char *s, size_t n);
/* Write a number for display: 4 significant digits, "-" when not finite. */
void rp_num(FILE *f, double v);
/* Write a number for a data attribute or SVG coordinate: up to 6
 * significant digits, no exponent below 1e-4 (0 for smaller magnitudes),
 * "0" when not finite. */
void rp_coord(FILE *f, double v);
/* Write bytes base64-encoded (RFC 4648, with padding). */
void rp_base64(FILE *f, const unsigned char *p, size_t n);

#endif
