#!/usr/bin/env bash
# bench/report.sh - medcap-report on a run of N=2,000 real images (MedPix 2.0
# train and dev, then COVID-19 chest X-rays; ../shared/data, MEDCAP_DATA):
# each record carries a caption with its attention maps (30 words on a 4x4
# grid) and 3 neighbours with case knowledge, copied from a real run of the
# shipped model on examples/images; per-item scores and medcap-score's
# summary as well.  Times the single-file page and the --dir page (best of
# 3, whole process: reading, thumbnails on every core, writing), prints the
# page sizes, and the time and CPU chromium headless takes to load each page
# and draw its top (against a blank page; when chromium is installed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MEDCAP_BIN:-$ROOT/bin}"
DATA="${MEDCAP_DATA:-$ROOT/../shared/data}"
N="${N:-2000}"
export PATH="$BIN:$PATH" OPENBLAS_NUM_THREADS=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "keeping $tmp"
img="$ROOT/examples/images"

# a real run on the example images: captions, attention, neighbours, scores
medcap-img-resize --root "$img" --size 128 < "$img/records.ndjson" | medcap-encode-features > "$tmp/ex.frames"
medcap-decode-caption --beam 3 --attention "$tmp/ex.frames" > "$tmp/ex.ndjson"
medcap-index -o "$tmp/ex.idx" "$tmp/ex.frames" 2>/dev/null
jq -c 'select(.case_id) | {U_id: .case_id, Case: {Title: ("case " + .case_id), Findings: .reference}}' \
    "$img/records.ndjson" > "$tmp/kb.jsonl"
medcap-retrieve -i "$tmp/ex.idx" -n 3 --kb "$tmp/kb.jsonl" --captions "$tmp/ex.ndjson" "$tmp/ex.frames" \
    2>/dev/null > "$tmp/ex-nb.ndjson"

# N images: their paths, each given one of the example records
ls "$DATA"/medpix2/train/*.png "$DATA"/medpix2/dev/*.png "$DATA"/cxr-covid/images/* > "$tmp/all"
head -n "$N" "$tmp/all" > "$tmp/paths"
[ "$(wc -l < "$tmp/paths")" -eq "$N" ] || { echo "fewer than $N images in $DATA" >&2; exit 1; }
jq -c --rawfile paths "$tmp/paths" -s '
    ($paths | split("\n") | map(select(length > 0))) as $p
    | range(0; $p | length) as $i
    | .[$i % length] + {id: ("item-" + ($i | tostring)), image: $p[$i]}' "$tmp/ex-nb.ndjson" > "$tmp/run.ndjson"
jq -c '{id, caption: .reference}' "$tmp/run.ndjson" > "$tmp/refs.ndjson"
medcap-score --refs "$tmp/refs.ndjson" --per-item "$tmp/per-item.ndjson" "$tmp/run.ndjson" > "$tmp/scores.json"
echo "records: $(wc -l < "$tmp/run.ndjson") ($(du -h "$tmp/run.ndjson" | cut -f1)), $(nproc) cores"

best() { # best wall time of 3 runs of "$@"
    local b="" t0 t1 t
    for _ in 1 2 3; do
        t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
opts=(--scores "$tmp/scores.json" --per-item "$tmp/per-item.ndjson" --neighbor-images "$img/records.ndjson"
      --neighbor-root "$img")
t=$(best medcap-report "${opts[@]}" -o "$tmp/page.html" "$tmp/run.ndjson")
echo "medcap-report, one file:  $N items in $t s, page $(du -h "$tmp/page.html" | cut -f1)"
/usr/bin/time -f "medcap-report, one file:  CPU %U s user + %S s sys (one more run, %e s wall)" \
    medcap-report "${opts[@]}" -o "$tmp/page.html" "$tmp/run.ndjson"
t=$(best medcap-report "${opts[@]}" --dir "$tmp/dir" "$tmp/run.ndjson")
echo "medcap-report, --dir:     $N items in $t s, index.html $(du -h "$tmp/dir/index.html" | cut -f1), thumbs $(du -sh "$tmp/dir/thumbs" | cut -f1)"
if command -v chromium >/dev/null; then # time to load and draw the top of each page, and a blank page's
    echo '<p>blank</p>' > "$tmp/blank.html"
    for page in blank.html page.html dir/index.html; do
        rm -rf "$tmp/profile"
        /usr/bin/time -f "chromium headless, $page: shown in %e s wall, %U s user + %S s sys" \
            timeout 300 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
            --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
            --screenshot="$tmp/shot.png" "file://$tmp/$page" 2>&1 | grep 'chromium headless'
    done
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
