#!/usr/bin/env bash
# bench/encode-features.sh - medcap-encode-features against PyTorch CPU
# (Debian python3-torch, torchvision ARCH up to layer4, inference mode) on
# the same images in the same run, at batch 1 and 16, same thread count;
# prints images per second, the ratio, and the fraction of the measured
# sgemm peak the encoder's convolutions reach (end to end: FLOPs of the
# convolutions over the whole run time, frame reading and writing included).
#
#   bash bench/encode-features.sh   (ARCH=resnet18 N=32 SIZE=224 THREADS=2)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MEDCAP_BIN:-$ROOT/bin}"
PY=/usr/bin/python3
ARCH="${ARCH:-resnet18}" N="${N:-32}" SIZE="${SIZE:-224}" THREADS="${THREADS:-2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    echo "bench/encode-features.sh: needs python3-torch and python3-torchvision (apt-get install)" >&2
    exit 1
fi
python3 "$ROOT/tests/encoder_helper.py" images "$N" 3 "$SIZE" "$SIZE" > "$tmp/img.fr"
# random torchvision weights, the same architecture, as a weights file
"$PY" -c "
import importlib.util, sys, torchvision
spec = importlib.util.spec_from_file_location('exp', '$ROOT/examples/export-torchvision.py')
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
m.write('$tmp/w.safetensors', getattr(torchvision.models, '$ARCH')(weights=None).state_dict(), {'arch': '$ARCH'})"

core="$("$BIN/medcap-encode-features" --version | sed -n 's/.*OpenBLAS core \(.*\))$/\1/p')"
cc -O2 -o "$tmp/sgemm" "$ROOT/bench/sgemm_peak.c" $(pkg-config --cflags --libs openblas)
peak="$(OPENBLAS_CORETYPE="$core" OPENBLAS_NUM_THREADS="$THREADS" "$tmp/sgemm")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OpenBLAS core $core; sgemm peak on $THREADS threads: $peak GFLOP/s"
echo "$ARCH, $N images of 3x${SIZE}x${SIZE}, $THREADS threads"
printf '%-6s %14s %14s %8s %14s\n' batch medcap_img/s torch_img/s ratio peak_fraction
for b in 1 16; do
    line="$("$BIN/medcap-encode-features" --model "$tmp/w.safetensors" --threads "$THREADS" \
            --batch "$b" --verbose "$tmp/img.fr" 2>&1 >/dev/null | tail -1)"
    ips="$(echo "$line" | sed -n 's/.*(\([0-9.]*\) images\/s, \([0-9.]*\) convolution.*/\1/p')"
    gf="$(echo "$line" | sed -n 's/.*images\/s, \([0-9.]*\) convolution.*/\1/p')"
    tips="$("$PY" "$ROOT/bench/encode_torch.py" "$tmp/img.fr" "$ARCH" "$b" "$THREADS")"
    awk -v b="$b" -v m="$ips" -v t="$tips" -v g="$gf" -v p="$peak" \
        'BEGIN { printf "%-6s %14.2f %14.2f %7.2fx %13.0f%%\n", b, m, t, m / t, 100 * g / p }'
done
