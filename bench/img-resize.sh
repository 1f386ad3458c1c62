#!/usr/bin/env bash
# bench/img-resize.sh - medcap-img-resize against the tools a user would
# otherwise script, in the same run, on the same files:
#   vipsthumbnail -s 224 (libvips's own batch thumbnailer, writing .v files)
#   a Python loop over PIL: Image.draft + bilinear resize (bench/pil_resize.py)
# on three sets: MedPix 2.0 full-size PNGs, the COVID-19 chest X-ray JPEGs
# (../shared/data), and generated 2048x2048 grey JPEGs.  Prints images/s of
# each (best of REPEAT runs) and medcap's speed ratio to each baseline, then
# medcap's peak RSS on 100 and on 10,000 images.
#
# Usage: bash bench/img-resize.sh      (DATA=/path/to/shared/data to override)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${MEDCAP_BIN:-$PWD/bin}"
DATA="${DATA:-$(cd .. && pwd)/shared/data}"
REPEAT="${REPEAT:-3}"
SIZE=224

for tool in vipsthumbnail vips /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install libvips-tools time)" >&2; exit 1; }
done
PY=""
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import PIL' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "bench: needs python3-pil (apt-get install python3-pil)" >&2; exit 1; }
[ -d "$DATA/medpix2/full-size" ] || { echo "bench: no data in $DATA" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# repeat_list FILE N: the lines of FILE repeated until there are N.
repeat_list() {
    local n=0
    while [ "$n" -lt "$2" ]; do cat "$1"; n=$((n + $(wc -l <"$1"))); done | head -n "$2"
}

# seconds CMD...: wall-clock seconds of the best of REPEAT runs.
seconds() {
    local best="" t
    for _ in $(seq "$REPEAT"); do
        if ! /usr/bin/time -o "$TMP/time" -f %e "$@" >/dev/null 2>"$TMP/err"; then
            echo "bench: failed: $* ($(tail -1 "$TMP/err"))" >&2
            exit 1
        fi
        t=$(tail -1 "$TMP/time")
        best=$(echo "$t ${best:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    echo "$best"
}

# bench_set NAME LIST: time the three tools on the paths in LIST.
bench_set() {
    local name=$1 list=$2 n m m1 v p
    n=$(wc -l <"$list")
    mkdir -p "$TMP/thumbs"
    m=$(seconds "$BIN/medcap-img-resize" --size "$SIZE" "$list")
    m1=$(seconds "$BIN/medcap-img-resize" -j 1 --size "$SIZE" "$list")
    # shellcheck disable=SC2046
    v=$(seconds vipsthumbnail -s "$SIZE" -o "$TMP/thumbs/%s.v" $(cat "$list"))
    p=$(seconds "$PY" bench/pil_resize.py "$SIZE" "$list")
    [ -n "$m" ] && [ -n "$m1" ] && [ -n "$v" ] && [ -n "$p" ] || exit 1
    awk -v name="$name" -v n="$n" -v m="$m" -v m1="$m1" -v v="$v" -v p="$p" 'BEGIN {
        printf "%-32s %6d  %8.1f  %8.1f  %8.1f  %8.1f  %6.2fx  %6.2fx\n",
            name, n, n / m, n / m1, n / v, n / p, v / m, p / m }'
}

ls "$DATA"/medpix2/full-size/*.png >"$TMP/medpix.txt"
ls "$DATA"/cxr-covid/images/*.jpg >"$TMP/cxr.txt"
repeat_list "$TMP/medpix.txt" 450 >"$TMP/medpix-450.txt"
repeat_list "$TMP/cxr.txt" 868 >"$TMP/cxr-868.txt"
# 20 large grey JPEGs (chest X-rays enlarged to 2048x2048), each used 10 times
mkdir -p "$TMP/big"
head -n 20 "$TMP/cxr.txt" | while read -r f; do
    b="$TMP/big/$(basename "$f" .jpg)"
    vips thumbnail "$f" "$b.v" 2048 --height 2048 --size force
    vips colourspace "$b.v" "$b-2048.jpg[Q=90]" b-w
    rm "$b.v"
done
ls "$TMP"/big/*.jpg >"$TMP/big.txt"
repeat_list "$TMP/big.txt" 200 >"$TMP/big-200.txt"

echo "medcap-img-resize --size $SIZE (default: 1 channel, letterbox, $(nproc) jobs) vs baselines"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "images/s, best of $REPEAT runs; ratio = medcap speed / baseline speed"
printf "%-32s %6s  %8s  %8s  %8s  %8s  %7s  %7s\n" "set" "images" "medcap" "-j1" "vipsthumb" "PIL" "vs vips" "vs PIL"
bench_set "medpix2 full-size PNG (~512px)" "$TMP/medpix-450.txt"
bench_set "cxr-covid JPEG (<=512px)" "$TMP/cxr-868.txt"
bench_set "generated 2048x2048 grey JPEG" "$TMP/big-200.txt"

repeat_list "$TMP/cxr.txt" 100 >"$TMP/rss-100.txt"
repeat_list "$TMP/cxr.txt" 10000 >"$TMP/rss-10000.txt"
for n in 100 10000; do
    /usr/bin/time -o "$TMP/rss" -f %M "$BIN/medcap-img-resize" "$TMP/rss-$n.txt" >/dev/null
    kb=$(tail -1 "$TMP/rss")
    echo "medcap-img-resize peak RSS on $n images: $kb KiB"
done
