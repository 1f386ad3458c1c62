/* assets.h - the page's style sheet and script, fixed text (nothing from
 * data), and their SHA-256 hashes for the page's Content-Security-Policy,
 * which allows only these two inline blocks (no other script, no event
 * handler attribute, no network).
 */
#ifndef RP_ASSETS_H
#define RP_ASSETS_H

/* The style sheet for thumbnails of box pixels and neighbour thumbnails of
 * nbox pixels: a malloc'd string. */
char *rp_style(int box, int nbox);

/* The script, with the heat-map colours of overlay.h filled in: a malloc'd
 * string. */
char *rp_script(void);

/* "sha256-BASE64" of text, for a CSP source list: a malloc'd string. */
char *rp_csp_hash(const char *text);

#endif
