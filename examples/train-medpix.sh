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
#   EPOCHS       training epochs (default 30)
#   LIMIT        use only the first LIMIT training images (default: all)
#   EXTRA        an NDJSON file of more training records (with "image"
#                relative to EXTRA_ROOT), e.g. chest X-rays, trained with MedPix
#   EXTRA_ROOT   the folder EXTRA's images are relative to
#   TRAIN_ARGS   more options for medcap-train
#
# Each intermediate file is kept in WORKDIR with a .key file naming what made
# it; a later run reuses it when the command and its inputs are unchanged.
# Needs jq (Debian package jq) for the record reshaping of the baselines.
#
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025, from the
# U.S. National Library of Medicine's MedPix collection.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data=${MEDCAP_DATA:-$here/../../shared/data/medpix2}
work=${1:-work/medpix}
size=${SIZE:-128}
epochs=${EPOCHS:-30}
limit=${LIMIT:-}
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
mkdir -p "$work"
cd "$work"

# step OUT CMD...: run CMD (a shell string) into OUT unless OUT.key says OUT
# was made by the same command from inputs with the same checksums.
step() {
    local out=$1 cmd=$2 inputs=${3:-} key
    key="$cmd | $(cksum $inputs 2>/dev/null | tr '\n' ' ')"
    if [ -s "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
        echo "train-medpix: reusing $out" >&2
        return
    fi
    echo "train-medpix: making $out" >&2
    bash -o pipefail -c "$cmd" > "$out.tmp"
    mv "$out.tmp" "$out"
    printf '%s' "$key" > "$out.key"
}

# 1. Records with captions, one per usable image, split by case.
step records.ndjson "medcap csv-clean --stats '$data'"
step train.ndjson "grep '\"split\":\"train\"' records.ndjson ${limit:+| head -n $limit}" records.ndjson
step dev.ndjson "grep '\"split\":\"dev\"' records.ndjson" records.ndjson

# 2. Image frames (grey, SIZE x SIZE, letterboxed).
step train.frames "medcap img-resize --root '$data' --size $size < train.ndjson" train.ndjson
if [ -n "${EXTRA:-}" ]; then
    step extra.frames "medcap img-resize --root '$EXTRA_ROOT' --size $size < '$EXTRA'" "$EXTRA"
    step train-all.frames "cat train.frames extra.frames" "train.frames extra.frames"
else
    step train-all.frames "cat train.frames" train.frames
fi
step dev.frames "medcap img-resize --root '$data' --size $size < dev.ndjson" dev.ndjson

# 3. Train the encoder and the decoder together; one NDJSON log line per epoch.
if [ ! -s model.safetensors ] || [ "$(cat model.key 2>/dev/null)" != "$epochs ${TRAIN_ARGS:-} $(cksum < train-all.frames)" ]; then
    start=$(date +%s)
    medcap train --train-encoder --epochs "$epochs" --val dev.frames --log train-log.ndjson \
        ${TRAIN_ARGS:-} -o model.safetensors train-all.frames
    echo "$(( $(date +%s) - start ))" > train-seconds.txt
    echo "$epochs ${TRAIN_ARGS:-} $(cksum < train-all.frames)" > model.key
fi

# 4. Features of the trained encoder; captions, greedy and beam 3.
step dev.feat "medcap encode-features --model model.safetensors --output both < dev.frames" "dev.frames model.safetensors"
step train.feat "medcap encode-features --model model.safetensors --output pooled < train.frames" "train.frames model.safetensors"
step dev.greedy.ndjson "medcap decode-caption --model model.safetensors < dev.feat" "dev.feat model.safetensors"
step dev.beam3.ndjson "medcap decode-caption --model model.safetensors --beam 3 < dev.feat" "dev.feat model.safetensors"

# 5. Baselines: nearest training image by encoder features, most frequent caption.
if [ ! -s train.index ] || [ train.feat -nt train.index ]; then
    medcap index -o train.index train.feat
fi
step dev.nearest.ndjson "medcap retrieve -i train.index -k 1 dev.feat | jq -c '.caption = .neighbors[0].caption | del(.neighbors)'" "train.index dev.feat"
step dev.frequent.ndjson "jq -c --arg c \"\$(jq -r .caption train.ndjson | sort | uniq -c | sort -k1,1nr -k2 | head -n 1 | sed 's/^ *[0-9]* //')\" '.caption = \$c' dev.ndjson" "train.ndjson dev.ndjson"

# 6. Scores: on the whole template caption, and on the caption text alone
#    (the words after "diagnosis: ").
text_only() { jq -c '.caption |= sub("^.*?diagnosis: "; "")' "$1"; }
text_only dev.ndjson > dev-text.ndjson
for run in greedy beam3 nearest frequent; do
    medcap score --refs dev.ndjson < "dev.$run.ndjson" > "score.$run.json"
    text_only "dev.$run.ndjson" | medcap score --refs dev-text.ndjson > "score-text.$run.json"
done
for run in greedy beam3 nearest frequent; do
    printf '%-9s template %s\n' "$run" "$(jq -c '{bleu_1: .bleu.bleu_1, bleu_4: .bleu.bleu_4, rouge_l: .rouge_l.f, cider_d: .cider_d.score}' "score.$run.json")"
done
echo "train-medpix: model in $work/model.safetensors, scores in $work/score*.json" >&2
