#!/usr/bin/env bash
# train-medpix.sh - train medcap on MedPix 2.0 and score it on the dev split.
#
#   examples/train-medpix.sh [WORKDIR]          (default WORKDIR: work/medpix)
#
# The whole design of medcap in one pipeline: the data set's own metadata
# becomes records (csv-clean), records become image frames (img-resize), the
# trainer fits the small CNN encoder and the caption decoder jointly (train),
# the encoder turns dev images into feature frames (encode-features), the
# decoder writes captions (decode-caption), and score compares them with the
# references.  Two baselines go through the same scorer: the caption of the
# nearest training image by encoder features (index + retrieve) and the most
# frequent training caption.
#
# Environment (all optional):
#   MEDCAP_DATA  the MedPix 2.0 folder (default ../shared/data/medpix2)
#   MEDCAP_BIN   folder of the medcap programs (default: bin/ of this checkout)
#   SIZE         image side in pixels (default 128)
#   EPOCHS       training epochs (default 16)
#   LIMIT        use only the first LIMIT training images (default: all)
#   WITH_CXR     a COVID-19 chest X-ray collection folder (metadata.csv and
#                images/): its train-split X-rays are trained on with MedPix,
#                so that the model also captions X-rays (the shipped model
#                was made with WITH_CXR=../shared/data/cxr-covid)
#   TRAIN_ARGS   options for medcap-train (default: those of the shipped
#                model, --hidden 384 --attn-dim 256 --augment none
#                --encoder-lr 4e-4; the caption length
#                limit comes from the data, heads for modality, plane and
#                category, the epoch picked by dev CIDEr-D)
#
# Each intermediate file is kept in WORKDIR with a .key file naming what made
# it; a later run reuses it when the command and its inputs are unchanged
# (examples/recipe-lib.sh).  Needs jq (Debian package jq).
#
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025, from the
# U.S. National Library of Medicine's MedPix collection.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data=${MEDCAP_DATA:-$here/../../shared/data/medpix2}
work=${1:-work/medpix}
size=${SIZE:-128}
epochs=${EPOCHS:-16}
train_args=${TRAIN_ARGS---hidden 384 --attn-dim 256 --augment none --encoder-lr 4e-4}
limit=${LIMIT:-}
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
data=$(cd "$data" && pwd)  # absolute: the steps run inside WORKDIR
[ -z "${WITH_CXR:-}" ] || WITH_CXR=$(cd "$WITH_CXR" && pwd)
mkdir -p "$work"
cd "$work"

. "$here/recipe-lib.sh"

# 1. Records with captions, one per usable image, split by case.
step records.ndjson "medcap csv-clean --stats '$data'"
step train.ndjson "grep '\"split\":\"train\"' records.ndjson ${limit:+| awk 'NR <= $limit'}" records.ndjson
step dev.ndjson "grep '\"split\":\"dev\"' records.ndjson" records.ndjson

# 2. Image frames (grey, SIZE x SIZE, letterboxed).
step train.frames "medcap img-resize --root '$data' --size $size < train.ndjson" train.ndjson
if [ -n "${WITH_CXR:-}" ]; then
    step cxr-train.ndjson "medcap csv-clean '$WITH_CXR/metadata.csv' | grep '\"split\":\"train\"'"
    step extra.frames "medcap img-resize --root '$WITH_CXR' --size $size < cxr-train.ndjson" cxr-train.ndjson
    step train-all.frames "cat train.frames extra.frames" "train.frames extra.frames"
else
    step train-all.frames "cat train.frames" train.frames
fi
step dev.frames "medcap img-resize --root '$data' --size $size < dev.ndjson" dev.ndjson

# 3. Train the encoder and the decoder together; one NDJSON log line per epoch.
train_model train-all.frames dev.frames "$epochs" $train_args

# 4. Features of the trained encoder, captions (greedy, beam 3) and the baselines.
caption_and_baselines

# 5. Scores on the whole template caption, and on the caption text alone
#    (the words after "diagnosis: ").
score_runs dev.ndjson dev template
text_only() { jq -c '.caption |= sub("^.*?diagnosis: "; "")' "$1"; }
text_only dev.ndjson > text.dev.ndjson
for run in greedy beam3 consensus nearest frequent; do
    text_only "dev.$run.ndjson" > "text.dev.$run.ndjson"
done
score_runs text.dev.ndjson text.dev text
echo "train-medpix: model in $work/model.safetensors, scores in $work/score.*.json" >&2
