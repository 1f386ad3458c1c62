/* progress.h - the one-line progress display of long runs on stderr.
 *
 *     mc_progress_begin("images", in);      // in: the input, for its size
 *     for (...) { ...; mc_progress_add(1); }
 *     mc_progress_end();
 *
 * On a terminal (stderr a tty, no --quiet) the line shows the items done,
 * the rate and, when the total is known (--total N, or the fraction of a
 * regular input file read so far), the time left:
 *     medcap-img-resize: 1,234 images  56.7/s  41%  0:00:33 left
 * It is redrawn at most 5 times a second and removed at the end; error
 * messages (mc_err) clear it first.  Nothing is shown when stderr is not a
 * terminal.  With --verbose the end prints one summary line anywhere:
 *     medcap-img-resize: 1234 images in 21.8 s (56.7/s)
 * One display per process.
 */
#ifndef MEDCAP_PROGRESS_H
#define MEDCAP_PROGRESS_H

#include <stdio.h>

/* --quiet (no display) and --verbose (the summary line); set by the
 * options before mc_progress_begin. */
extern int mc_quiet, mc_verbose;
/* --total N: the number of items expected, 0 when unknown. */
extern long long mc_progress_total;

/* Start counting items called unit ("images", "frames", ...).  in (may
 * be NULL) is the input stream: when it is a regular file, the part of
 * it read so far estimates the time left. */
void mc_progress_begin(const char *unit, FILE *in);
/* n more items done; redraws the line when it is due. */
void mc_progress_add(long long n);
/* Remove the line; with --verbose print the summary. */
void mc_progress_end(void);
/* Remove the line if one is shown (before another message); it comes
 * back with the next redraw. */
void mc_progress_clear(void);

#endif
