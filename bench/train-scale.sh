#!/usr/bin/env bash
# train-scale.sh - time medcap-train with the default model (sat-lstm,
# embed 256, hidden 512, attention 512, batch 32) on a synthetic feature
# set the size of the MedPix training run of the work medcap starts from
# (17,598 images; 7x7x512 grids as from a 224 px image; 28-word captions,
# 5,000-token vocabulary).  Features are computed once, so only the
# decoder is trained.  The baseline is that run: 10 epochs in 6.79 hours.
#
#   bench/train-scale.sh [N_IMAGES [EPOCHS]]     THREADS=2 by default
#
# Runs EPOCHS (default 1) epochs and prints the measured time, the time
# projected to 10 epochs (epochs take the same time: same data, same
# shapes) and the ratio to the 6.79 h baseline.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${MEDCAP_BIN:-$root/bin}
PATH="$BIN:$PATH"
THREADS=${THREADS:-2}
N=${1:-17598}
EPOCHS=${2:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/synth_features.py" "$N" "$tmp/train.frames" --seed 1
medcap-train --threads "$THREADS" --epochs "$EPOCHS" --min-freq 1 --log "$tmp/log.ndjson" \
    --output "$tmp/model.safetensors" "$tmp/train.frames" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
secs=$(awk -F'"seconds":' '{ split($2, a, /[,}]/); s += a[1] } END { printf "%.1f", s }' "$tmp/log.ndjson")
rate=$(awk -F'"samples_per_s":' '{ split($2, a, /[,}]/); s += a[1]; n++ } END { printf "%.1f", s / n }' "$tmp/log.ndjson")
proj=$(awk -v s="$secs" -v e="$EPOCHS" 'BEGIN { printf "%.1f", s / e * 10 / 60 }')
echo "train-scale: $N images, $EPOCHS epoch(s), $THREADS threads, default sat-lstm"
echo "measured: $secs s for $EPOCHS epoch(s), $rate samples/s"
echo "10 epochs: $proj min (baseline 6.79 h = 407.4 min): $(awk -v p="$proj" 'BEGIN { printf "%.1fx faster", 407.4 / p }')"
