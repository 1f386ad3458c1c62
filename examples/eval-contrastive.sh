#!/usr/bin/env bash
# eval-contrastive.sh - train the joint image-text embedding (medcap-train-embed)
# on MedPix 2.0 train features and measure cross-modal retrieval on the dev
# split: each dev image queries the dev captions (image to text) and each dev
# caption queries the dev images (text to image); recall@k is the share of
# queries whose own item is among the top k.  Plain encoder features have no
# text side, so the baseline is random ranking, recall@k = k / N.
#
# Usage: examples/eval-contrastive.sh [INPUT_DIR [WORK_DIR [TRAIN-EMBED OPTIONS...]]]
#   INPUT_DIR holds train.frames, dev.frames (image frames with captions),
#   dev.ndjson and model.safetensors (the caption model whose cnn-small
#   encoder makes the features): the work folder of examples/train-medpix.sh,
#   default work/medpix.
#   WORK_DIR gets the features, model, indexes and results.json; default
#   work/contrastive.
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025; images
# from the U.S. National Library of Medicine MedPix collection.
set -euo pipefail
in=${1:-work/medpix}
work=${2:-work/contrastive}
shift $(($# > 2 ? 2 : $#))
mkdir -p "$work"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}

for s in train dev; do
    if [ ! -s "$work/$s.feat" ]; then
        medcap encode-features --model "$in/model.safetensors" --output pooled \
            < "$in/$s.frames" > "$work/$s.feat.tmp"
        mv "$work/$s.feat.tmp" "$work/$s.feat"
    fi
done

t0=$(date +%s.%N)
medcap train-embed -o "$work/embed.safetensors" --log "$work/train-embed-log.ndjson" "$@" \
    "$work/train.feat"
t1=$(date +%s.%N)

medcap embed -m "$work/embed.safetensors" < "$work/dev.feat" > "$work/dev-image.emb"
medcap embed -m "$work/embed.safetensors" < "$in/dev.ndjson" > "$work/dev-text.emb"
medcap index -o "$work/dev-image.index" "$work/dev-image.emb"
medcap index -o "$work/dev-text.index" "$work/dev-text.emb"
medcap retrieve -i "$work/dev-text.index" -k 10 < "$work/dev-image.emb" > "$work/i2t.ndjson"
medcap retrieve -i "$work/dev-image.index" -k 10 < "$work/dev-text.emb" > "$work/t2i.ndjson"

# recall FILE: {"n":N,"r1":..,"r5":..,"r10":..} of the queries in FILE.
recall() {
    jq -s '(length) as $n
      | map(.id as $q | ([.neighbors[].id] | index($q)) // 99) as $r
      | {n: $n, r1: ([$r[] | select(. < 1)] | length / $n),
                r5: ([$r[] | select(. < 5)] | length / $n),
                r10: ([$r[] | select(. < 10)] | length / $n)}' "$1"
}
n=$(recall "$work/i2t.ndjson" | jq .n)
jq -n --argjson i2t "$(recall "$work/i2t.ndjson")" --argjson t2i "$(recall "$work/t2i.ndjson")" \
    --argjson n "$n" --argjson secs "$(echo "$t1 - $t0" | bc)" \
    --argjson last "$(tail -n 1 "$work/train-embed-log.ndjson")" \
    '{image_to_text: $i2t, text_to_image: $t2i,
      random: {r1: (1 / $n), r5: (5 / $n), r10: (10 / $n)},
      train_seconds: $secs, last_epoch: $last}' | tee "$work/results.json"
