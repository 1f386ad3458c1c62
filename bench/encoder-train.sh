#!/usr/bin/env bash
# bench/encoder-train.sh - one training step (forward and backward, batch
# statistics; no optimizer update) of a medcap encoder against PyTorch CPU
# (Debian python3-torch and python3-torchvision, torchvision ARCH up to
# layer4, the same stem channels) at the same size, batch and thread count,
# in the same run.  Prints seconds per step (median), the ratio
# (PyTorch time / medcap time: above 1 is medcap faster), and the share of
# the measured sgemm peak that medcap's convolutions reach over the whole
# step (forward multiply-adds x 3 x 2 FLOPs over the step time: batch norm,
# pooling and the layout changes count as time, not as FLOPs).
#
#   bash bench/encoder-train.sh   (ARCH=resnet18 IN_CH=1 SIZE=160 BATCH=32 THREADS=2 STEPS=5)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MEDCAP_BIN:-$ROOT/bin}"
PY=/usr/bin/python3
ARCH="${ARCH:-resnet18}" IN_CH="${IN_CH:-1}" SIZE="${SIZE:-160}" BATCH="${BATCH:-32}"
THREADS="${THREADS:-2}" STEPS="${STEPS:-5}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    echo "bench/encoder-train.sh: needs python3-torch and python3-torchvision (apt-get install)" >&2
    exit 1
fi
if [ ! -f "$BIN/obj/libmedcap.a" ]; then
    echo "bench/encoder-train.sh: no $BIN/obj/libmedcap.a (run make first)" >&2
    exit 1
fi
PKGS="openblas zlib libcjson vips"
cc -O2 -std=c11 -I"$ROOT/model" $(pkg-config --cflags $PKGS) -o "$tmp/step" \
    "$ROOT/bench/encoder_train_step.c" "$BIN/obj/libmedcap.a" $(pkg-config --libs $PKGS) -lm -pthread
core="$("$BIN/medcap-train" --version | sed -n 's/.*OpenBLAS core \(.*\))$/\1/p')"
cc -O2 -o "$tmp/sgemm" "$ROOT/bench/sgemm_peak.c" $(pkg-config --cflags --libs openblas)
peak="$(OPENBLAS_CORETYPE="$core" OPENBLAS_NUM_THREADS="$THREADS" "$tmp/sgemm")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OpenBLAS core $core${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}; sgemm peak on $THREADS threads: $peak GFLOP/s"
echo "$ARCH training step: batch $BATCH of ${IN_CH}x${SIZE}x${SIZE}, $THREADS threads, median of $STEPS steps"
read -r secs gflops < <(OPENBLAS_NUM_THREADS="$THREADS" "$tmp/step" "$ARCH" "$IN_CH" "$SIZE" "$BATCH" "$THREADS" "$STEPS")
tsecs="$(OMP_NUM_THREADS="$THREADS" "$PY" "$ROOT/bench/encoder_train_torch.py" "$ARCH" "$IN_CH" "$SIZE" "$BATCH" "$THREADS" "$STEPS")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %10s %10s %8s %14s\n' arch medcap_s torch_s ratio peak_fraction
awk -v a="$ARCH" -v m="$secs" -v t="$tsecs" -v g="$gflops" -v p="$peak" \
    'BEGIN { printf "%-10s %10.3f %10.3f %7.2fx %13.0f%%\n", a, m, t, t / m, 100 * g / p }'
