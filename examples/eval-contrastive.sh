#!/usr/bin/env bash
# eval-contrastive.sh - train the joint image-text embedding (medcap train
# --objective contrastive) on MedPix 2.0 train features and measure
# cross-modal retrieval on the dev split: each dev image queries the dev
# captions (image to text) and each dev caption queries the dev images (text
# to image); recall@k is the share of queries whose own item is among the
# top k.
#
# A tenth of the training cases (chosen by their case id) is held out as
# the validation set that picks the epoch kept (--val); dev is used only
# for the numbers reported.  The baseline uses the same image features
# without any text model: each dev image takes the captions of its 10
# nearest training images (medcap retrieve over an index of the features),
# and dev captions are ranked by TF-IDF cosine to them
# (examples/nn_transfer_recall.py).
#
# Usage: examples/eval-contrastive.sh [INPUT_DIR [WORK_DIR [TRAIN OPTIONS...]]]
#   INPUT_DIR holds train.ndjson, dev.ndjson (records with captions) and
#   model.safetensors (the caption model whose cnn-small encoder makes the
#   features): the work folder of examples/train-medpix.sh, default
#   work/medpix.  WORK_DIR gets the features, model, indexes and
#   results.json; default work/contrastive.  Options after them go to
#   medcap train (e.g. --seed 2).
# Environment: MEDCAP_DATA (the MedPix 2.0 folder, default
#   ../shared/data/medpix2), SIZE (image side, default 128, as the model's),
#   LAYOUT (medcap encode-features --layout: the pooled features are followed
#   by the image's LAYOUT x LAYOUT layout; default 8, 0 for none).
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025; images
# from the U.S. National Library of Medicine MedPix collection.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${MEDCAP_DATA:-$here/../../shared/data/medpix2}
in=${1:-work/medpix}
work=${2:-work/contrastive}
shift $(($# > 2 ? 2 : $#))
size=${SIZE:-128}
layout=${LAYOUT:-8}
[ "$layout" = 0 ] && layout_opt=() || layout_opt=(--layout "$layout")
mkdir -p "$work"
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}

# fit / val: cases whose id's code points sum to 0 mod 10 are validation
jq -c 'select((.case_id | explode | add) % 10 != 0)' "$in/train.ndjson" > "$work/fit.ndjson"
jq -c 'select((.case_id | explode | add) % 10 == 0)' "$in/train.ndjson" > "$work/val.ndjson"
cp "$in/dev.ndjson" "$work/dev.ndjson"
for s in fit val dev; do
    key="$size $layout $(cksum < "$in/model.safetensors") $(cksum < "$work/$s.ndjson")"
    if [ ! -s "$work/$s.feat" ] || [ "$(cat "$work/$s.feat.key" 2>/dev/null)" != "$key" ]; then
        medcap img-resize --root "$data" --size "$size" < "$work/$s.ndjson" |
            medcap encode-features --model "$in/model.safetensors" --features pooled \
                ${layout_opt[@]+"${layout_opt[@]}"} > "$work/$s.feat.tmp"
        mv "$work/$s.feat.tmp" "$work/$s.feat"
        echo "$key" > "$work/$s.feat.key"
    fi
done

rm -f "$work/train-log.ndjson"
t0=$(date +%s.%N)
medcap train --objective contrastive -o "$work/embed.safetensors" --val "$work/val.feat" \
    --log "$work/train-log.ndjson" "$@" "$work/fit.feat" 2> "$work/train.err"
t1=$(date +%s.%N)

e=$work/embed.safetensors
medcap embed -m "$e" < "$work/dev.feat" | medcap index -o "$work/dev-image.index"
medcap embed -m "$e" < "$work/dev.ndjson" | medcap index -o "$work/dev-text.index"
medcap retrieve -i "$work/dev-text.index" -m "$e" -n 10 < "$work/dev.feat" > "$work/i2t.ndjson"
medcap retrieve -i "$work/dev-image.index" -m "$e" -n 10 < "$work/dev.ndjson" > "$work/t2i.ndjson"

# baseline: the same features, captions of the nearest training images
medcap index -o "$work/fit-features.index" "$work/fit.feat"
medcap retrieve -i "$work/fit-features.index" -n 10 < "$work/dev.feat" > "$work/dev-nn.ndjson"
/usr/bin/python3 "$here/nn_transfer_recall.py" "$work/dev-nn.ndjson" "$work/dev.ndjson" \
    "$work/fit.ndjson" > "$work/baseline.json"

# recall FILE: {"n":N,"r1":..,"r5":..,"r10":..} of the queries in FILE.
recall() {
    jq -s '(length) as $n
      | map(.id as $q | ([.neighbors[].id] | index($q)) // 99) as $r
      | {n: $n, r1: ([$r[] | select(. < 1)] | length / $n),
                r5: ([$r[] | select(. < 5)] | length / $n),
                r10: ([$r[] | select(. < 10)] | length / $n)}' "$1"
}
n=$(recall "$work/i2t.ndjson" | jq .n)
best=$(sed -n 's/^kept the weights of epoch \([0-9]*\).*/\1/p' "$work/train.err")
jq -n --argjson i2t "$(recall "$work/i2t.ndjson")" --argjson t2i "$(recall "$work/t2i.ndjson")" \
    --argjson base "$(cat "$work/baseline.json")" --argjson n "$n" \
    --argjson secs "$(echo "$t1 - $t0" | bc)" --argjson best "${best:-null}" --argjson layout "$layout" \
    '{image_to_text: $i2t, text_to_image: $t2i, baseline_plain_features: $base,
      random: {r1: (1 / $n), r5: (5 / $n), r10: (10 / $n)},
      layout: $layout, train_seconds: $secs, epoch_kept: $best}' | tee "$work/results.json"
