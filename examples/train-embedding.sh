#!/usr/bin/env bash
# train-embedding.sh - make the shipped joint image-text embedding
# (share/medcap/embed.safetensors): pooled + 8x8-layout features of the
# shipped caption model's encoder for the MedPix 2.0 training images and
# the chest X-rays of the COVID-19 collection's training patients, then
# medcap train --objective contrastive with its defaults (10 epochs, seed 1).
#
#   examples/train-embedding.sh [WORKDIR]        (default work/embedding)
#
# Writes WORKDIR/embed.safetensors (copy it to share/medcap/ to ship it).
# Environment: MEDCAP_DATA (MedPix 2.0, default ../shared/data/medpix2),
# WITH_CXR (the X-ray collection, default ../shared/data/cxr-covid),
# MODEL (default share/medcap/model.safetensors).
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025, from the
# U.S. National Library of Medicine's MedPix collection.  COVID-19 image
# data collection: Cohen et al., 2020.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "${MEDCAP_DATA:-$here/../../shared/data/medpix2}" && pwd)
cxr=$(cd "${WITH_CXR:-$here/../../shared/data/cxr-covid}" && pwd)
model=${MODEL:-$here/../share/medcap/model.safetensors}
work=${1:-work/embedding}
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}
mkdir -p "$work"

medcap csv-clean "$data" | grep '"split":"train"' > "$work/medpix-train.ndjson"
medcap csv-clean "$cxr/metadata.csv" | grep '"split":"train"' > "$work/cxr-train.ndjson"
medcap img-resize --root "$data" --size 128 < "$work/medpix-train.ndjson" |
    medcap encode-features --model "$model" --features pooled --layout 8 > "$work/train.feat"
medcap img-resize --root "$cxr" --size 128 < "$work/cxr-train.ndjson" |
    medcap encode-features --model "$model" --features pooled --layout 8 >> "$work/train.feat"
medcap train --objective contrastive --seed 1 --log "$work/train-log.ndjson" \
    -o "$work/embed.safetensors" "$work/train.feat"
