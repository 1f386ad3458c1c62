#!/usr/bin/env bash
# embed.sh - the joint image-text embedding: medcap-train --objective
# contrastive and medcap-embed against the same model in PyTorch
# (bench/embed_torch.py), on the same synthetic pooled features with
# captions (bench/synth_features.py: 256 values, 40-word captions over 4,996
# words, like MedPix features and captions), same sizes (proj-dim and embed
# 256, max-len 64, batch 64), threads and optimizer; no dropout on either
# side.
#
#   bench/embed.sh [N_PAIRS [EPOCHS]]      THREADS=2 by default
#
# Prints pairs/s of training and captions/s of embedding one caption at a
# time for each, and medcap's ratio.  medcap's training rate comes from its
# log (the loop, as PyTorch's); its embedding is timed as a whole run of
# medcap-embed (loading the model, reading and writing frames included).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
PATH="${MEDCAP_BIN:-$root/bin}:$PATH"
PY=/usr/bin/python3 # Debian's python3-torch
THREADS=${THREADS:-2}
N=${1:-20000}
EPOCHS=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" "$here/synth_features.py" "$N" "$tmp/pairs.frames" --grid 1x1 --channels 256 --length 40
now() { date +%s.%N; }

medcap-train --objective contrastive --threads "$THREADS" --epochs "$EPOCHS" --batch 64 \
    --dropout 0 --min-freq 1 --log "$tmp/log.ndjson" -o "$tmp/embed.st" "$tmp/pairs.frames" 2>/dev/null
mc_train=$(jq -s --argjson n "$N" 'map(.seconds) | max as $s | $n * length / $s' "$tmp/log.ndjson")
medcap-frame-info --meta "$tmp/pairs.frames" | cut -f 6 | jq -c '{id, caption}' > "$tmp/captions.ndjson"
medcap-embed -m "$tmp/embed.st" "$tmp/captions.ndjson" > /dev/null # warm the caches
t0=$(now)
OPENBLAS_NUM_THREADS=$THREADS medcap-embed -m "$tmp/embed.st" "$tmp/captions.ndjson" > "$tmp/captions.emb"
t1=$(now)
mc_embed=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')

# PyTorch as installed: Debian's OpenMP OpenBLAS and the CPU's kernels
if grep -q avx512f /proc/cpuinfo; then core=SkylakeX; else core=Haswell; fi
tuned=(env OPENBLAS_CORETYPE=$core LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
       OMP_NUM_THREADS=$THREADS)
pt_train=$("${tuned[@]}" "$PY" "$here/embed_torch.py" train "$tmp/pairs.frames" --epochs "$EPOCHS" \
    --batch 64 --threads "$THREADS" | jq .per_s)
pt_embed=$("${tuned[@]}" "$PY" "$here/embed_torch.py" embed "$tmp/pairs.frames" --threads "$THREADS" | jq .per_s)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf 'contrastive training, %d pairs x %d epochs, batch 64, %d threads:\n' "$N" "$EPOCHS" "$THREADS"
printf '  medcap  %10.1f pairs/s\n  PyTorch %10.1f pairs/s\n  ratio medcap/PyTorch %s\n' \
    "$mc_train" "$pt_train" "$(ratio "$mc_train" "$pt_train")"
printf 'embedding captions one at a time (%d):\n' "$N"
printf '  medcap-embed (whole run) %10.1f captions/s\n  PyTorch (loop)           %10.1f captions/s\n  ratio medcap/PyTorch %s\n' \
    "$mc_embed" "$pt_embed" "$(ratio "$mc_embed" "$pt_embed")"
