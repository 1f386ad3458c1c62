/* frame_stream.h - one callback per frame of a stream of feature frames. */
#ifndef MEDCAP_FRAME_STREAM_H
#define MEDCAP_FRAME_STREAM_H

#include <stdio.h>

#include "io/frame.h"

/* Called with each frame, its input's name and its number (from 1); returns
 * 0 to go on, or an exit status that stops the stream. */
typedef int (*mc_frame_fn)(mc_frame *fr, const char *name, long no, void *ctx);

/* Call fn for every frame of f (named name in messages), in order, and
 * count each in the progress line (core/progress.h).  Text (NDJSON)
 * instead of frames is reported as "expected feature frames, got text" and
 * gives MC_EXIT_INPUT; a bad frame is reported with its number and gives
 * MC_EXIT_INPUT (MC_EXIT_IO after a read error), except that with skipped
 * (--keep-going) a frame whose CRC does not match (the stream still in
 * step) is reported, counted in *skipped and passed over; a non-zero
 * result of fn is returned at once.  Returns 0 at a clean end (empty input
 * included). */
int mc_frames_each(FILE *f, const char *name, mc_frame_fn fn, void *ctx, size_t *skipped);

#endif
