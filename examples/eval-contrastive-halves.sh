#!/usr/bin/env bash
# eval-contrastive-halves.sh - does it matter whether the joint embedding is
# fitted on features of images the encoder was trained on?  A caption model
# (cnn-small encoder + sat-lstm, the shipped sizes) is trained on half A of
# the MedPix 2.0 training cases; its encoder makes pooled + layout features
# of both halves and of dev; an embedding is trained on each half's
# features (10 epochs, --min-freq 1, seeds 1-3) and its last epoch's dev
# recall is printed (medcap train --val logs it), with the nearest-neighbour
# caption-transfer baseline of each half (examples/nn_transfer_recall.py).
# Results: docs/contrastive.md.
#
# Usage: examples/eval-contrastive-halves.sh [INPUT_DIR [WORK_DIR]]
#   INPUT_DIR holds train.ndjson and dev.ndjson (medcap csv-clean records),
#   default work/medpix; WORK_DIR default work/halves.
# Environment: MEDCAP_DATA (default ../shared/data/medpix2), EPOCHS for the
#   caption model (default 12).
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025; images
# from the U.S. National Library of Medicine MedPix collection.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${MEDCAP_DATA:-$here/../../shared/data/medpix2}
in=${1:-work/medpix}
work=${2:-work/halves}
mkdir -p "$work"
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}

# halves by case: the case id's code points even (A) or odd (B)
jq -c 'select((.case_id | explode | add) % 2 == 0)' "$in/train.ndjson" > "$work/A.ndjson"
jq -c 'select((.case_id | explode | add) % 2 == 1)' "$in/train.ndjson" > "$work/B.ndjson"
cp "$in/dev.ndjson" "$work/dev.ndjson"
for s in A B dev; do
    medcap img-resize --root "$data" --size 128 < "$work/$s.ndjson" > "$work/$s.frames"
done
medcap train --train-encoder --hidden 384 --attn-dim 256 --max-len 36 -e "${EPOCHS:-12}" \
    -o "$work/model-A.safetensors" "$work/A.frames" 2> "$work/model-A.err"
for s in A B dev; do
    medcap encode-features --model "$work/model-A.safetensors" --features pooled --layout 8 \
        < "$work/$s.frames" > "$work/$s.feat"
done
for half in B A; do
    for seed in 1 2 3; do
        rm -f "$work/log-$half-$seed.ndjson"
        medcap train --objective contrastive --min-freq 1 --seed "$seed" --val "$work/dev.feat" \
            --log "$work/log-$half-$seed.ndjson" -o "$work/embed-$half-$seed.safetensors" \
            "$work/$half.feat" 2>/dev/null
        tail -n 1 "$work/log-$half-$seed.ndjson" |
            jq -c --arg h "$half" --argjson s "$seed" '{half: $h, seed: $s, i2t: [.val_i2t_r1, .val_i2t_r5, .val_i2t_r10], t2i: [.val_t2i_r1, .val_t2i_r5, .val_t2i_r10]}'
    done
    medcap index -o "$work/$half.index" "$work/$half.feat"
    medcap retrieve -i "$work/$half.index" -n 10 < "$work/dev.feat" > "$work/dev-nn-$half.ndjson"
    /usr/bin/python3 "$here/nn_transfer_recall.py" "$work/dev-nn-$half.ndjson" "$work/dev.ndjson" \
        "$work/$half.ndjson" | jq -c --arg h "$half" '{baseline: $h} + .'
done
