/* test_augment.c - medcap-train's image augmentation (train/augment.h):
 * the --augment words, no change with no flags, values kept in [0,1], the
 * same image for the same (seed, epoch, sample) and another for another,
 * and each transform doing something.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "train/augment.h"
#include "io/frame.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define C 2
#define H 13
#define W 17
#define N (C * H * W)

static void words(void)
{
    int f;
    char name[32];
    check(tr_augment_parse("none", &f) == 0 && f == 0, "--augment none");
    check(tr_augment_parse("jitter,crop", &f) == 0 && f == (TR_AUG_JITTER | TR_AUG_CROP),
          "--augment jitter,crop");
    tr_augment_name(f, name, sizeof name);
    check(strcmp(name, "crop,jitter") == 0, "canonical name crop,jitter");
    tr_augment_name(TR_AUG_DEFAULT, name, sizeof name);
    check(strcmp(name, "crop,rotate,jitter") == 0, "the default is crop,rotate,jitter");
    check(tr_augment_parse("crop,flip", &f) == -1 && tr_augment_parse("crop,crop", &f) == -1 &&
              tr_augment_parse("", &f) == -1 && tr_augment_parse("crop,", &f) == -1,
          "unknown, repeated and empty words refused");
}

/* Number of values of a and b (N) that differ. */
static int differ(const float *a, const float *b)
{
    int n = 0;
    for (int i = 0; i < N; i++)
        n += a[i] != b[i];
    return n;
}

static void images(void)
{
    uint8_t px[N];
    float plain[N], a[N], b[N];
    int in_range = 1;
    for (int i = 0; i < N; i++)
        px[i] = (uint8_t)((i * 37 + (i / W) * 11) % 256);
    tr_augment_image(plain, px, MC_U8, C, H, W, 0, 1, 0, 0);
    check(fabsf(plain[5] - px[5] / 255.0f) < 1e-6f && fabsf(plain[N - 1] - px[N - 1] / 255.0f) < 1e-6f,
          "no flags: the pixels scaled to [0,1]");
    tr_augment_image(a, px, MC_U8, C, H, W, TR_AUG_DEFAULT, 1, 2, 3);
    tr_augment_image(b, px, MC_U8, C, H, W, TR_AUG_DEFAULT, 1, 2, 3);
    check(differ(a, b) == 0, "same seed, epoch and sample: the same image");
    for (int i = 0; i < N; i++)
        in_range &= a[i] >= 0.0f && a[i] <= 1.0f;
    check(in_range, "augmented values stay in [0,1]");
    tr_augment_image(b, px, MC_U8, C, H, W, TR_AUG_DEFAULT, 1, 3, 3);
    check(differ(a, b) > N / 2, "another epoch: another image");
    tr_augment_image(b, px, MC_U8, C, H, W, TR_AUG_DEFAULT, 1, 2, 4);
    check(differ(a, b) > N / 2, "another sample: another image");
    for (int k = 0; k < 3; k++) {
        static const int flag[3] = {TR_AUG_CROP, TR_AUG_ROTATE, TR_AUG_JITTER};
        static const char *what[3] = {"crop", "rotate", "jitter"};
        char msg[64];
        tr_augment_image(a, px, MC_U8, C, H, W, flag[k], 9, 1, 1);
        snprintf(msg, sizeof msg, "%s alone changes the image", what[k]);
        check(differ(a, plain) > N / 4, msg);
    }
}

int main(void)
{
    words();
    images();
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
