#!/usr/bin/env bash
# train-cxr.sh - train medcap on the chest X-rays of the COVID-19 image data
# collection and score it on the dev patients, with clinical label scores.
#
#   examples/train-cxr.sh [WORKDIR]             (default WORKDIR: work/cxr)
#
# Captions are CheXpert-style: "modality: xr, frontal/lateral: frontal,
# ap/pa: pa, diagnosis: covid-19" (view and finding), made by csv-clean from
# the collection's metadata.csv; the split is a hash of the patient id, so no
# patient is in two splits.  The same pipeline as train-medpix.sh:
# csv-clean | img-resize | train (encoder and decoder jointly) |
# encode-features | decode-caption | score, with the nearest-neighbour and
# most-frequent-caption baselines.
#
# Environment (all optional): MEDCAP_DATA (default ../shared/data/cxr-covid),
# MEDCAP_BIN, SIZE (default 128), EPOCHS (default 30), LIMIT, TRAIN_ARGS
# (default --max-len 36).
#
# Data: COVID-19 image data collection, Cohen et al., 2020,
# github.com/ieee8023/covid-chestxray-dataset; each image's licence and source
# are in its metadata.csv row and travel in the records (keys license, url).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data=${MEDCAP_DATA:-$here/../../shared/data/cxr-covid}
work=${1:-work/cxr}
size=${SIZE:-128}
epochs=${EPOCHS:-30}
limit=${LIMIT:-}
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
data=$(cd "$data" && pwd)  # absolute: the steps run inside WORKDIR
mkdir -p "$work"
cd "$work"
. "$here/recipe-lib.sh"

# 1. Records: one per X-ray, caption from view and finding, labels array.
step records.ndjson "medcap csv-clean --stats '$data/metadata.csv'"
step train.ndjson "grep '\"split\":\"train\"' records.ndjson ${limit:+| awk 'NR <= $limit'}" records.ndjson
step dev.ndjson "grep '\"split\":\"dev\"' records.ndjson" records.ndjson

# 2. Image frames.
step train.frames "medcap img-resize --root '$data' --size $size < train.ndjson" train.ndjson
step dev.frames "medcap img-resize --root '$data' --size $size < dev.ndjson" dev.ndjson

# 3. Train; 4. caption the dev patients and make the baselines.
train_model train.frames dev.frames "$epochs" ${TRAIN_ARGS-}
caption_and_baselines

# 5. Caption scores, and the clinical label scores (the findings listed after
#    "diagnosis:", in score.cxr.RUN.json under "labels" and "chexpert").
score_runs dev.ndjson dev cxr
echo "train-cxr: model in $work/model.safetensors, scores in $work/score.cxr.*.json" >&2
