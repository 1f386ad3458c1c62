#!/usr/bin/env bash
# bench/chain.sh - wall time of captioning one image with the shipped model,
#   medcap-img-resize | medcap-encode-features | medcap-decode-caption
# (issue 18: under 150 ms), and of each stage on its own: --version (program
# start and dynamic linking only), empty input (start-up: libvips, the model
# file) and the one image's record, frame or features.  Best of N runs of
# each, in ms; also the OpenBLAS core decode-caption uses and the load
# average, which the figures depend on.
#
# Usage: bash bench/chain.sh [IMAGE]
#   IMAGE   default: the first MedPix 2.0 dev image of $DATA
#   N=5             runs of each measurement (the best is printed)
#   MEDCAP_BIN=DIR  the programs (default bin/; copy them for timing:
#                   cp -rL bin /tmp/chain-bin, as other builds relink bin/)
#   MODEL=FILE      default share/medcap/model.safetensors
#   DATA=DIR        default ../shared/data
# Where start-up goes: perf record -g --call-graph dwarf -- PROGRAM ...,
# strace -c -f PROGRAM ..., LD_DEBUG=statistics PROGRAM --version.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${MEDCAP_BIN:-$PWD/bin}"
MODEL="${MODEL:-$PWD/share/medcap/model.safetensors}"
DATA="${DATA:-$(cd .. && pwd)/shared/data}"
N="${N:-5}"
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "bench: N must be a whole number >= 1" >&2; exit 2; }
IMAGE="${1:-}"
if [ -z "$IMAGE" ]; then
    images=("$DATA"/medpix2/dev/*.png)
    IMAGE=${images[0]}
fi
[ -r "$IMAGE" ] || { echo "bench: cannot read the image $IMAGE (give one, or set DATA)" >&2; exit 1; }
[ -r "$MODEL" ] || { echo "bench: cannot read the model $MODEL" >&2; exit 1; }
for p in img-resize encode-features decode-caption; do
    [ -x "$BIN/medcap-$p" ] || { echo "bench: no $BIN/medcap-$p (make, or set MEDCAP_BIN)" >&2; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '{"id":"one","image":"%s"}\n' "$(basename "$IMAGE")" > "$TMP/record"
: > "$TMP/empty"
RESIZE=("$BIN/medcap-img-resize" -m "$MODEL" --root "$(dirname "$IMAGE")")
ENCODE=("$BIN/medcap-encode-features" -m "$MODEL")
DECODE=("$BIN/medcap-decode-caption" -m "$MODEL")
"${RESIZE[@]}" "$TMP/record" > "$TMP/frame"
"${ENCODE[@]}" "$TMP/frame" > "$TMP/features"

# best_ms CMD...: the shortest wall time of N runs of CMD (run by bash -c,
# so that CMD may be a pipe; its output discarded), in ms with one decimal.
best_ms() {
    local best="" t0 t1 t
    for _ in $(seq "$N"); do
        t0=$EPOCHREALTIME
        bash -c "$1" > /dev/null 2> "$TMP/err" || {
            echo "bench: failed: $1 ($(tail -1 "$TMP/err"))" >&2
            exit 1
        }
        t1=$EPOCHREALTIME
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
        best=$(awk -v t="$t" -v b="${best:-$t}" 'BEGIN { print (t < b) ? t : b }')
    done
    echo "$best"
}

# The command line of an array, shell-quoted.
q() { printf '%q ' "$@"; }

echo "medcap one-image chain, best of $N runs, wall ms"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "OpenBLAS: $("$BIN/medcap-decode-caption" --version)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "image: $IMAGE"
echo "model: $MODEL"
printf '%-18s %10s %12s %10s\n' stage --version "empty input" "one image"
stage() {
    local name=$1 input=$2 cmd
    shift 2
    cmd=$(q "$@")
    printf '%-18s %10s %12s %10s\n' "$name" "$(best_ms "$cmd --version")" \
        "$(best_ms "$cmd < $(q "$TMP/empty")")" "$(best_ms "$cmd $(q "$input")")"
}
stage img-resize "$TMP/record" "${RESIZE[@]}"
stage encode-features "$TMP/frame" "${ENCODE[@]}"
stage decode-caption "$TMP/features" "${DECODE[@]}"
printf '%-18s %34s\n' "chain" \
    "$(best_ms "$(q "${RESIZE[@]}" "$TMP/record") | $(q "${ENCODE[@]}") | $(q "${DECODE[@]}")")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
