#!/usr/bin/env bash
# bench/dicom.sh - DICOM in: medcap against pydicom + NumPy + PIL, in the
# same run, on the same generated files (bench/dicom_peer.py make):
#   NCT 512x512 signed 16-bit CT slices and NXR 2000x2500 12-bit X-rays,
#   uncompressed, decoded, rescaled, windowed (the file's window) and
#   resized to 224 x 224 U8: medcap-img-resize (both cores, and -j 1)
#   against a Python loop (pydicom pixel_array, modality LUT, window, PIL
#   bilinear resize);
#   csv-clean --format dicom over NWALK files (copies of the CT slices)
#   against a pydicom walk with stop_before_pixels=True.
# Prints seconds (best of REPEAT) and files/s of each, and the ratios.
#
# Usage: bash bench/dicom.sh     (NCT=200 NXR=20 NWALK=10000 REPEAT=3)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${MEDCAP_BIN:-$PWD/bin}"
NCT="${NCT:-200}" NXR="${NXR:-20}" NWALK="${NWALK:-10000}" REPEAT="${REPEAT:-3}"
PY=/usr/bin/python3
"$PY" -c 'import pydicom, PIL, numpy' 2>/dev/null ||
    { echo "bench: needs python3-pydicom, python3-pil, python3-numpy" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

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

# row NAME N SECONDS: one result line.
row() {
    awk -v name="$1" -v n="$2" -v s="$3" 'BEGIN { printf "%-44s %6d files %8.2f s %9.1f files/s\n", name, n, s, n / s }'
}

"$PY" bench/dicom_peer.py make "$TMP/dcm" "$NCT" "$NXR"
ls "$TMP"/dcm/ct*.dcm >"$TMP/ct.txt"
ls "$TMP"/dcm/xr*.dcm >"$TMP/xr.txt"
echo "machine: $(nproc) cores; best of $REPEAT"
for set in ct xr; do
    n=$(wc -l <"$TMP/$set.txt")
    m=$(seconds "$BIN/medcap-img-resize" --size 224 --window file "$TMP/$set.txt")
    m1=$(seconds "$BIN/medcap-img-resize" --size 224 -j 1 --window file "$TMP/$set.txt")
    p=$(seconds "$PY" bench/dicom_peer.py resize "$TMP/$set.txt" 224)
    row "$set: medcap-img-resize (all cores)" "$n" "$m"
    row "$set: medcap-img-resize -j 1" "$n" "$m1"
    row "$set: pydicom + NumPy + PIL loop" "$n" "$p"
    awk -v m="$m" -v m1="$m1" -v p="$p" 'BEGIN { printf "  medcap %.1fx (--jobs 1: %.1fx) the Python loop\n", p / m, p / m1 }'
done

mkdir -p "$TMP/walk"
i=0
while [ "$i" -lt "$NWALK" ]; do
    for f in "$TMP"/dcm/ct*.dcm; do
        [ "$i" -lt "$NWALK" ] || break
        d="$TMP/walk/s$((i / 500))"
        mkdir -p "$d"
        cp "$f" "$d/im$i.dcm"
        i=$((i + 1))
    done
done
c=$(seconds "$BIN/medcap-csv-clean" --format dicom "$TMP/walk")
w=$(seconds "$PY" bench/dicom_peer.py walk "$TMP/walk")
row "walk: csv-clean --format dicom" "$NWALK" "$c"
row "walk: pydicom stop_before_pixels" "$NWALK" "$w"
awk -v c="$c" -v w="$w" 'BEGIN { printf "  csv-clean %.1fx the pydicom walk\n", w / c }'
