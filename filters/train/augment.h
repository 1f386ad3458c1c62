/* augment.h - training-time image augmentation of medcap-train
 * --train-encoder: random resized crop (area 0.8-1.0 of the image, aspect
 * ratio 3/4-4/3, resized back to the frame's size), rotation (up to 10
 * degrees either way) and brightness/contrast jitter (factors 0.8-1.2),
 * each one switchable.  There is no horizontal flip: captions name left and
 * right.  Decoding never augments.
 *
 * Reproducible: the random numbers of one image come from (seed, epoch,
 * sample index) alone, not from a running state, so a resumed run augments
 * exactly as an uninterrupted one, whatever the batch and thread count.
 * The functions keep no state and may run on any thread.
 */
#ifndef MEDCAP_TRAIN_AUGMENT_H
#define MEDCAP_TRAIN_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

enum {
    TR_AUG_CROP = 1,
    TR_AUG_ROTATE = 2,
    TR_AUG_JITTER = 4,
    TR_AUG_DEFAULT = TR_AUG_CROP | TR_AUG_ROTATE | TR_AUG_JITTER
};

/* *flags from "none" or a comma-separated list of crop, rotate, jitter
 * (each at most once); 0, or -1 on an unknown or repeated word. */
int tr_augment_parse(const char *spec, int *flags);

/* The canonical text of flags ("none", or the words in the order crop,
 * rotate, jitter, comma-separated) in buf (n >= 20). */
void tr_augment_name(int flags, char *buf, size_t n);

/* out (C, H, W) in [0,1] from the pixels of one image frame (dtype MC_U8,
 * MC_U16 or MC_F32 in [0,1]; C planes of H x W), scaled to [0,1] and
 * augmented as flags say with the random numbers of (seed, epoch, sample).
 * Points the crop or rotation takes from outside the image are black (0);
 * resampling is bilinear.  flags 0: out is the scaled image. */
void tr_augment_image(float *out, const void *pixels, int dtype, int C, int H, int W, int flags,
                      uint64_t seed, long epoch, long sample);

#endif
