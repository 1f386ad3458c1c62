#!/usr/bin/env bash
# bench/img-resize.sh - medcap-img-resize against the tools a user would
# otherwise script, in the same run, on the same files:
#   vipsthumbnail -s 224 (libvips's own batch thumbnailer, writing .v files)
#   a Python loop over PIL: Image.draft + bilinear resize (bench/pil_resize.py)
# on three sets: MedPix 2.0 full-size PNGs, the COVID-19 chest X-ray JPEGs
# (../shared/data), and generated 2048x2048 grey JPEGs.
#
# Fair to every tool: each runs with 1 to nproc processes (medcap: one
# process with -j 1..nproc; the baselines: the list cut into that many parts,
# one process per part, all at once) and keeps its best count; every tool
# writes its output into the same tmpfs folder (OUT_DIR, default /dev/shm):
# medcap its frame stream, PIL its raw bytes, vipsthumbnail its .v files.
# Prints images/s of each (best of REPEAT runs at its best process count,
# every count's time too), medcap's speed ratio to each baseline (baseline
# time / medcap time: above 1 is medcap faster), then medcap's peak RSS on
# 100 and on NRSS images; the load average at start and end.
#
# Usage: bash bench/img-resize.sh      (DATA=/path/to/shared/data to override)
#   smaller sets for a smoke test: NMEDPIX=450 NCXR=868 NBIG=200 NBIGSRC=20
#   NRSS=10000 REPEAT=3 are the defaults
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${MEDCAP_BIN:-$PWD/bin}"
DATA="${DATA:-$(cd .. && pwd)/shared/data}"
REPEAT="${REPEAT:-3}"
NMEDPIX="${NMEDPIX:-450}" NCXR="${NCXR:-868}" NBIG="${NBIG:-200}" NBIGSRC="${NBIGSRC:-20}"
NRSS="${NRSS:-10000}"
NPROC=$(nproc)
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
OUT=$(mktemp -d "${OUT_DIR:-/dev/shm}/bench-img-resize.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$TMP" "$OUT"' EXIT

# repeat_list FILE N DIR: N paths, the lines of FILE over and over, each a
# symlink of its own in DIR (NUMBER-NAME), so that every image has its own
# id (img-resize refuses a duplicate) and its own output name.
repeat_list() {
    /usr/bin/python3 - "$@" <<'PY'
import os, sys
paths = [l.strip() for l in open(sys.argv[1]) if l.strip()]
n, d = int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
for i in range(n):
    link = os.path.join(d, "%d-%s" % (i, os.path.basename(paths[i % len(paths)])))
    os.symlink(paths[i % len(paths)], link)
    print(link)
PY
}

# run_tool TOOL P LIST: one run of TOOL (medcap, vips or pil) over the
# paths in LIST with P processes (medcap: one process, -j P), writing into
# $OUT; exits the script when a process fails.
run_tool() {
    local tool=$1 p=$2 list=$3 i pids=()
    if [ "$tool" = medcap ]; then
        "$BIN/medcap-img-resize" -j "$p" --size "$SIZE" "$list" >"$OUT/medcap.frames" 2>"$TMP/err" ||
            { echo "bench: medcap-img-resize failed: $(tail -1 "$TMP/err")" >&2; exit 1; }
        return
    fi
    for ((i = 0; i < p; i++)); do
        if [ "$tool" = vips ]; then
            mkdir -p "$OUT/vips-$i"
            # shellcheck disable=SC2046
            vipsthumbnail -s "$SIZE" -o "$OUT/vips-$i/%s.v" $(cat "$list.$p.$i") 2>"$TMP/err-$i" &
        else
            "$PY" bench/pil_resize.py "$SIZE" "$list.$p.$i" >"$OUT/pil-$i.raw" 2>"$TMP/err-$i" &
        fi
        pids+=($!)
    done
    for ((i = 0; i < p; i++)); do
        wait "${pids[$i]}" || { echo "bench: $tool failed: $(tail -1 "$TMP/err-$i")" >&2; exit 1; }
    done
}

# seconds TOOL P LIST: wall-clock seconds of the best of REPEAT runs (the
# output folder emptied before each, outside the time).
seconds() {
    local best="" t0 t1 t
    for _ in $(seq "$REPEAT"); do
        rm -rf "${OUT:?}"/*
        t0=$(date +%s.%N)
        run_tool "$@"
        t1=$(date +%s.%N)
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        best=$(echo "$t ${best:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    echo "$best"
}

# best_count TOOL LIST: "SECONDS P" for TOOL's best process count P in
# 1..nproc; every count's time goes to $TMP/detail.
best_count() {
    local tool=$1 list=$2 p t best="" bestp=1
    for ((p = 1; p <= NPROC; p++)); do
        # the list dealt round-robin into parts LIST.P.0 .. LIST.P.(P-1)
        awk -v p="$p" -v base="$list.$p." '{ print > (base ((NR - 1) % p)) }' "$list"
        t=$(seconds "$tool" "$p" "$list")
        printf ' %s %d: %ss' "$tool" "$p" "$t" >>"$TMP/detail"
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t bestp=$p
        fi
    done
    echo "$best $bestp"
}

# bench_set NAME LIST: time the three tools on the paths in LIST.
bench_set() {
    local name=$1 list=$2 n m mp v vp p pp
    n=$(wc -l <"$list")
    : >"$TMP/detail"
    read -r m mp < <(best_count medcap "$list")
    read -r v vp < <(best_count vips "$list")
    read -r p pp < <(best_count pil "$list")
    awk -v name="$name" -v n="$n" -v m="$m" -v v="$v" -v p="$p" -v mp="$mp" -v vp="$vp" -v pp="$pp" 'BEGIN {
        printf "%-32s %6d  %8.1f %-3s %8.1f %-3s %8.1f %-3s %6.2fx  %6.2fx\n",
            name, n, n / m, "(" mp ")", n / v, "(" vp ")", n / p, "(" pp ")", v / m, p / m }'
    echo "   seconds:$(cat "$TMP/detail")"
}

ls "$DATA"/medpix2/full-size/*.png >"$TMP/medpix.txt"
ls "$DATA"/cxr-covid/images/*.jpg >"$TMP/cxr.txt"
repeat_list "$TMP/medpix.txt" "$NMEDPIX" "$TMP/medpix-set" >"$TMP/medpix-set.txt"
repeat_list "$TMP/cxr.txt" "$NCXR" "$TMP/cxr-set" >"$TMP/cxr-set.txt"
# NBIGSRC large grey JPEGs (chest X-rays enlarged to 2048x2048), repeated to NBIG
mkdir -p "$TMP/big"
head -n "$NBIGSRC" "$TMP/cxr.txt" | while read -r f; do
    b="$TMP/big/$(basename "$f" .jpg)"
    vips thumbnail "$f" "$b.v" 2048 --height 2048 --size force
    vips colourspace "$b.v" "$b-2048.jpg[Q=90]" b-w
    rm "$b.v"
done
ls "$TMP"/big/*.jpg >"$TMP/big.txt"
repeat_list "$TMP/big.txt" "$NBIG" "$TMP/big-set" >"$TMP/big-set.txt"

echo "medcap-img-resize --size $SIZE (default: 1 channel, letterbox) vs baselines, output to $OUT"
echo "machine: $NPROC cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$BIN/medcap-img-resize" --version) (libvips; OpenBLAS not used${OPENBLAS_CORETYPE:+, OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE})"
echo "images/s, best of $REPEAT runs at each tool's best process count (in brackets, 1..$NPROC);"
echo "ratio = baseline time / medcap time (above 1: medcap faster)"
printf "%-32s %6s  %12s %12s %12s %7s  %7s\n" "set" "images" "medcap (-j)" "vipsthumb" "PIL" "vs vips" "vs PIL"
bench_set "medpix2 full-size PNG (~512px)" "$TMP/medpix-set.txt"
bench_set "cxr-covid JPEG (<=512px)" "$TMP/cxr-set.txt"
bench_set "generated 2048x2048 grey JPEG" "$TMP/big-set.txt"

repeat_list "$TMP/cxr.txt" 100 "$TMP/rss-100" >"$TMP/rss-100.txt"
repeat_list "$TMP/cxr.txt" "$NRSS" "$TMP/rss-$NRSS" >"$TMP/rss-$NRSS.txt"
for n in 100 "$NRSS"; do
    /usr/bin/time -o "$TMP/rss" -f %M "$BIN/medcap-img-resize" "$TMP/rss-$n.txt" >/dev/null
    kb=$(tail -1 "$TMP/rss")
    echo "medcap-img-resize peak RSS on $n images: $kb KiB"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
