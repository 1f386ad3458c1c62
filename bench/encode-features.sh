#!/usr/bin/env bash
# bench/encode-features.sh - medcap-encode-features against PyTorch CPU
# (Debian python3-torch, torchvision ARCH up to layer4, inference mode) on
# the same images in the same run, at batch 1 and 16, the same thread count.
#
# Both sides are timed in their steady state, start-up and the first batch
# left out: PyTorch times its loop after one warm-up batch, medcap reports
# the images after its first batch (--verbose); best of REPEAT runs each.
# PyTorch runs in the contiguous and the channels-last layout and keeps the
# faster.  The peak fraction is the convolutions' FLOPs over the time medcap
# spends in its convolution units after the first batch (--verbose),
# against the 2048^3 sgemm rate of bench/sgemm_peak.c on THREADS threads,
# measured in this run.
#
#   bash bench/encode-features.sh   (ARCH=resnet18 N=48 SIZE=224 THREADS=2 REPEAT=3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MEDCAP_BIN:-$ROOT/bin}"
PY=/usr/bin/python3
ARCH="${ARCH:-resnet18}" N="${N:-48}" SIZE="${SIZE:-224}" THREADS="${THREADS:-2}" REPEAT="${REPEAT:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    echo "bench/encode-features.sh: needs python3-torch and python3-torchvision (apt-get install)" >&2
    exit 1
fi
"$PY" "$ROOT/tests/encoder_helper.py" images "$N" 3 "$SIZE" "$SIZE" > "$tmp/img.fr"
# random torchvision weights, the same architecture, as a weights file
"$PY" -c "
import importlib.util, sys, torchvision
spec = importlib.util.spec_from_file_location('exp', '$ROOT/examples/export-torchvision.py')
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
m.write('$tmp/w.safetensors', getattr(torchvision.models, '$ARCH')(weights=None).state_dict(), {'arch': '$ARCH'})"

core="$("$BIN/medcap-encode-features" --version | sed -n 's/.*OpenBLAS core \(.*\))$/\1/p')"
cc -O2 -o "$tmp/sgemm" "$ROOT/bench/sgemm_peak.c" $(pkg-config --cflags --libs openblas)
peak="$(OPENBLAS_CORETYPE="$core" OPENBLAS_NUM_THREADS="$THREADS" "$tmp/sgemm")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OpenBLAS core $core; sgemm peak on $THREADS threads: $peak GFLOP/s"
echo "$ARCH, $N images of 3x${SIZE}x${SIZE}, $THREADS threads, best of $REPEAT"

# "RATE GFLOPS" of the fastest of REPEAT medcap runs at batch B: images/s
# after the first batch and GFLOP/s inside the convolutions.
medcap_run() {
    local b="$1" best="" line
    for _ in $(seq "$REPEAT"); do
        line="$("$BIN/medcap-encode-features" --model "$tmp/w.safetensors" --threads "$THREADS" \
                --batch "$b" --verbose "$tmp/img.fr" 2>&1 >/dev/null | grep 'after the first batch')"
        best="$(echo "$line" | sed -n 's/.*(\([0-9.]*\) images\/s); .* s in the convolutions, \([0-9.]*\) GFLOP.*/\1 \2/p' |
                awk -v best="$best" '{ split(best, a, " "); if (best == "" || $1 > a[1]) print; else print best }')"
    done
    echo "$best"
}

printf '%-6s %14s %14s %8s %14s %12s\n' batch medcap_img/s torch_img/s ratio torch_layout conv_peak
for b in 1 16; do
    read -r m conv <<<"$(medcap_run "$b")"
    best_t=0 layout=""
    for l in contiguous channels_last; do
        for _ in $(seq "$REPEAT"); do
            t="$("$PY" "$ROOT/bench/encode_torch.py" "$tmp/img.fr" "$ARCH" "$b" "$THREADS" "$l")"
            if awk -v t="$t" -v b="$best_t" 'BEGIN { exit !(t > b) }'; then best_t="$t" layout="$l"; fi
        done
    done
    awk -v b="$b" -v m="$m" -v conv="$conv" -v t="$best_t" -v l="$layout" -v p="$peak" 'BEGIN {
        printf "%-6s %14.2f %14.2f %7.2fx %14s %11.0f%%\n", b, m, t, m / t, l, 100 * conv / p }'
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
