/* model_input.h - the frame size a caption model was trained on, from its
 * safetensors metadata ("input_size" "[H,W]", "input_channels" "C", as
 * medcap-train writes them), for img-resize's defaults of --size and
 * --channels. */
#ifndef MEDCAP_IMG_MODEL_INPUT_H
#define MEDCAP_IMG_MODEL_INPUT_H

#include "image.h"

/* Fill spec->size and spec->channels where they were not given
 * (size_given, channels_given 0) from the model at path; path NULL: the
 * shipped model (mc_share_path), used only when it exists and records
 * input_size, else 224 and 1 as before.  An explicit model that cannot be
 * read exits 4 with a message naming it; one without input_size (or with a
 * size that is not square) is a usage error when --size is not given; an
 * explicit --size or --channels that differs from an explicit model's
 * gives one warning. */
void ir_model_defaults(ir_img_spec *spec, const char *path, int size_given, int channels_given);

#endif
