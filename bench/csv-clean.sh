#!/usr/bin/env bash
# bench/csv-clean.sh - medcap-csv-clean against a Python standard-library
# script doing the same conversion (bench/csv_clean_chexpert.py: gzip + csv
# + json, same records byte for byte, checked), on the real 223,414-row
# CheXpert table (gzip) with --resplit (every row hashed into a split).
# Prints wall and CPU seconds, rows/s and peak RSS of each (best of RUNS
# runs by wall time, /usr/bin/time), the ratio, and medcap's peak RSS on
# the first 20,000 rows to show memory stays flat.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MEDCAP_BIN:-$ROOT/bin}"
TABLE="${TABLE:-$ROOT/../shared/data/chexpert/chexpert_train.csv.gz}"
RUNS="${RUNS:-3}"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# best_of CMD...: run RUNS times with stdout to $tmp/out; sets WALL, CPU, RSS
# of the fastest run.
best_of() {
    WALL="" CPU="" RSS=""
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -o "$tmp/time" -f "%e %U %S %M" "$@" > "$tmp/out"
        read -r w u s m < "$tmp/time"
        if [ -z "$WALL" ] || [ "$(echo "$w < $WALL" | bc)" = 1 ]; then
            WALL=$w CPU=$(echo "$u + $s" | bc) RSS=$m
        fi
    done
}

rows=$(zcat "$TABLE" | "$BIN/medcap-csv-clean" --stats --resplit 2>&1 >/dev/null | sed -n 's/.*rows \([0-9]*\),.*/\1/p')
echo "table: $TABLE ($rows rows)"

best_of "$BIN/medcap-csv-clean" --resplit "$TABLE"
cp "$tmp/out" "$tmp/medcap.ndjson"
mw=$WALL mc=$CPU mr=$RSS
best_of "$PY" "$ROOT/bench/csv_clean_chexpert.py" "$TABLE"
pw=$WALL pc=$CPU pr=$RSS
cmp -s "$tmp/out" "$tmp/medcap.ndjson" || { echo "outputs differ" >&2; exit 1; }
echo "outputs identical ($(wc -l < "$tmp/out") records)"

printf '%-22s %8s %8s %12s %10s\n' program wall_s cpu_s rows/s peak_KB
printf '%-22s %8s %8s %12.0f %10s\n' medcap-csv-clean "$mw" "$mc" "$(echo "$rows / $mw" | bc -l)" "$mr"
printf '%-22s %8s %8s %12.0f %10s\n' "python3 csv module" "$pw" "$pc" "$(echo "$rows / $pw" | bc -l)" "$pr"
printf 'ratio python/medcap: wall %.1fx, cpu %.1fx\n' "$(echo "$pw / $mw" | bc -l)" "$(echo "$pc / $mc" | bc -l)"

{ zcat "$TABLE" || true; } | head -20001 | gzip -1 > "$tmp/small.csv.gz"
best_of "$BIN/medcap-csv-clean" --resplit "$tmp/small.csv.gz"
echo "medcap peak RSS: $RSS KB on 20,000 rows, $mr KB on $rows rows"
