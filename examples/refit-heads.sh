#!/usr/bin/env bash
# refit-heads.sh - fit a caption model's field classifier heads again on the
# features of its own (final) encoder, and graft them into the model.
#
#   examples/refit-heads.sh MODEL TRAIN.frames OUT.safetensors
#
# Why: in the 16-epoch joint run that made the shipped model
# (examples/train-medpix.sh with WITH_CXR), the jointly trained modality head
# never predicted "xr", not even for the training X-rays, while a head fitted
# on the final encoder's pooled features separates them (169 of 181); the
# cause is not found yet (docs/results.md).  This script encodes TRAIN.frames
# (image frames with modality/plane/category in their records) with MODEL's
# encoder, trains a small decoder with heads on those fixed features for 8
# epochs (lr 2e-3), and copies its heads and "fields" into MODEL
# (examples/graft_heads.py).  The caption decoder and encoder are unchanged.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
[ $# -eq 3 ] || { echo "usage: refit-heads.sh MODEL TRAIN.frames OUT.safetensors" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
medcap encode-features --model "$1" --features grid < "$2" > "$tmp/train.feat"
medcap train --epochs 8 --hidden 32 --embed 16 --attn-dim 16 --lr 2e-3 -o "$tmp/heads.safetensors" "$tmp/train.feat"
python3 "$here/graft_heads.py" "$1" "$tmp/heads.safetensors" "$3"
