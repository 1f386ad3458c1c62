/* overlay.h - attention heat maps: one decoder attention grid (or the mean
 * over the caption) drawn over the image it came from, as the page draws it
 * on hover and as a PNG for slides and papers.
 *
 * The grid covers the square the model saw (img-resize's --fit: the image
 * letterboxed in it, centre-cropped to it, or stretched over it).  A
 * pixel's value is the grid sampled bilinearly at the pixel's centre (cell
 * centres at (i + 0.5) / side, clamped at the edges), scaled so the map's
 * smallest weight is 0 and its largest 1; its colour comes from
 * rp_heat_stops and it is blended over the image with opacity
 * RP_HEAT_ALPHA x value.
 */
#ifndef RP_OVERLAY_H
#define RP_OVERLAY_H

#include <stdint.h>

#include "records.h"

enum rp_fit { RP_FIT_LETTERBOX, RP_FIT_CROP, RP_FIT_STRETCH };

#define RP_HEAT_STOPS 5
#define RP_HEAT_ALPHA 0.6
/* The colour map, evenly spaced from value 0 to 1 (an inferno-like ramp). */
extern const unsigned char rp_heat_stops[RP_HEAT_STOPS][3];

/* The colour of value v in [0, 1] into rgb. */
void rp_heat_colour(double v, unsigned char rgb[3]);

/* Attention map word of item it (0-based; -1: the mean over its words),
 * gh x gw values into out, scaled to [0, 1] as above. */
void rp_att_map(const rp_item *it, int word, double *out);

/* Write the heat map of word (0-based, -1 for the whole caption) of item it
 * over its image (image_path) to png, atomically, the image scaled so its
 * longer side is size pixels (0: its own size).  Returns 0 or an exit
 * status after a message. */
int rp_overlay_write(const char *png, const char *image_path, const rp_item *it, int word,
                     enum rp_fit fit, int size, uint64_t max_pixels);

#endif
