#!/usr/bin/env bash
# train-scale.sh - time medcap-train with the default model (sat-lstm,
# embed 256, hidden 512, attention 512, batch 32) on a synthetic feature
# set the size of the MedPix training run of the work medcap starts from
# (17,598 images; 7x7x512 grids as from a 224 px image; 28-word captions,
# 5,000-token vocabulary).  The baseline is that run: 10 epochs in 6.79
# hours.
#
# What is trained: the decoder only, on precomputed features (the encoder's
# features are computed once, before, and not timed).  A second run,
# --train-encoder, trains the default image encoder (cnn-small, 224 px
# grey frames from medcap-img-resize of the example images) jointly with the
# decoder on N_ENC images, each through the encoder forward and backward.
#
#   bench/train-scale.sh [N_IMAGES [EPOCHS]]     THREADS=2 N_ENC=256 by default
#
# Each run prints its measured time and rate, and the time projected to the
# baseline's work (10 epochs of 17,598 images) from the time per sample it
# measured (so a smaller N_IMAGES projects the same way: every sample has
# the same shapes), with the ratio to the 6.79 h baseline (above 1: medcap
# faster).  Records the OpenBLAS core and the load average at start and end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${MEDCAP_BIN:-$root/bin}
PATH="$BIN:$PATH"
THREADS=${THREADS:-2}
N=${1:-17598}
EPOCHS=${2:-1}
N_ENC=${N_ENC:-256}
FULL=17598 FULL_EPOCHS=10 BASE_MIN=407.4 # the baseline: 10 epochs of 17,598 in 6.79 h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "train-scale: default sat-lstm, $THREADS threads"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$(medcap-train --version)${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# report LABEL IMAGES EPOCHS LOG: the measured time and rate of a run, and
# its projection to FULL_EPOCHS epochs of FULL images.
report() {
    local label=$1 n=$2 epochs=$3 log=$4 secs rate proj
    secs=$(awk -F'"seconds":' '{ split($2, a, /[,}]/); s += a[1] } END { printf "%.1f", s }' "$log")
    rate=$(awk -F'"samples_per_s":' '{ split($2, a, /[,}]/); s += a[1]; n++ } END { printf "%.1f", s / n }' "$log")
    proj=$(awk -v s="$secs" -v n="$n" -v e="$epochs" -v f="$FULL" -v fe="$FULL_EPOCHS" \
        'BEGIN { printf "%.1f", s / (n * e) * f * fe / 60 }')
    echo "$label: $n images, $epochs epoch(s): $secs s, $rate samples/s"
    echo "  projected to $FULL_EPOCHS epochs of $FULL images (from its time per sample): $proj min;" \
        "baseline 6.79 h = $BASE_MIN min: $(awk -v p="$proj" -v b="$BASE_MIN" 'BEGIN { printf "%.2fx", b / p }')"
}

# 1. the decoder on precomputed features
/usr/bin/python3 "$here/synth_features.py" "$N" "$tmp/train.frames" --seed 1
medcap-train --threads "$THREADS" --epochs "$EPOCHS" --min-freq 1 --log "$tmp/log.ndjson" \
    --output "$tmp/model.safetensors" "$tmp/train.frames" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
report "decoder only, precomputed features" "$N" "$EPOCHS" "$tmp/log.ndjson"

# 2. --train-encoder: N_ENC image frames (the example images over and over,
# each with its own id, their references as captions), not timed
/usr/bin/python3 - "$root/examples/images/records.ndjson" "$N_ENC" >"$tmp/images.ndjson" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for i in range(int(sys.argv[2])):
    r = recs[i % len(recs)]
    print(json.dumps({"id": "enc%05d" % i, "image": r["image"], "caption": r["reference"]}))
PY
medcap-img-resize --root "$root/examples/images" "$tmp/images.ndjson" >"$tmp/images.frames"
medcap-train --threads "$THREADS" --epochs 1 --min-freq 1 --train-encoder --log "$tmp/enc-log.ndjson" \
    --output "$tmp/enc-model.safetensors" "$tmp/images.frames" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
report "--train-encoder (cnn-small, 224 px)" "$N_ENC" 1 "$tmp/enc-log.ndjson"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
