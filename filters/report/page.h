/* page.h - the report page: head (style, script, Content-Security-Policy),
 * the research-software notice, the summary, the controls for sorting and
 * filtering, and one article per item.  Text from data is escaped, and
 * nothing from data reaches the style sheet, the script or a URL (image
 * sources are data: URIs of our own JPEGs or thumbs/NNNNNN.jpg).
 */
#ifndef RP_PAGE_H
#define RP_PAGE_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "overlay.h"
#include "records.h"
#include "summary.h"
#include "thumbs.h"

typedef struct {
    const char *title;         /* the page's title */
    const char *const *inputs; /* (ninputs) names of the record files, shown */
    int ninputs;
    enum rp_fit fit;           /* how the images were fitted to the model's square */
    int box, nbox;             /* thumbnail sizes (item, neighbour) in CSS pixels */
    const char *thumb_dir;     /* NULL: thumbnails as data: URIs; else their folder, relative to the page */
    const cJSON *scores;       /* medcap-score's summary, or NULL */
    const rp_trainlog *log;    /* or NULL */
    const char *log_path;
    const char *kb_name;       /* the knowledge base's name in citations */
} rp_page_opts;

/* Write the page for the items of r (those not bad) with thumbnails ts. */
void rp_page_write(FILE *f, const rp_run *r, const rp_thumbs *ts, const rp_page_opts *o);

#endif
