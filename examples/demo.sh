#!/usr/bin/env bash
# demo.sh - caption the example images with the shipped model and print, for
# each image, the generated caption beside the reference caption (NDJSON);
# then write a review page of the run (medcap report: each image with its
# caption, the attention of each word on hover, the reference and the scores)
# and say where it is.
#
#   examples/demo.sh            (what 'make demo' runs)
#
# Environment: MEDCAP_BIN (folder of the programs, default bin/ of this
# checkout), MEDCAP_MODEL (default share/medcap/model.safetensors), SIZE (image
# side the model was trained at, default 128, see docs/model-card.md),
# MEDCAP_REPORT (the page, default work/demo-report.html in this checkout).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
model=${MEDCAP_MODEL:-$here/../share/medcap/model.safetensors}
images=$here/images
report=${MEDCAP_REPORT:-$here/../work/demo-report.html}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

medcap img-resize --root "$images" --size "${SIZE:-128}" < "$images/records.ndjson" \
    | medcap encode-features --model "$model" \
    | medcap decode-caption --model "$model" --attention > "$tmp/captions.ndjson"
jq -c '{id, caption, reference}' "$tmp/captions.ndjson"

jq -c '.caption = .reference' "$images/records.ndjson" > "$tmp/refs.ndjson"
medcap score --refs "$tmp/refs.ndjson" --per-item "$tmp/per-item.ndjson" "$tmp/captions.ndjson" > "$tmp/scores.json"
mkdir -p "$(dirname "$report")"
medcap report --root "$images" --scores "$tmp/scores.json" --per-item "$tmp/per-item.ndjson" \
    --title "medcap demo: the example images" -o "$report" "$tmp/captions.ndjson"
echo "demo: review page written to $(cd "$(dirname "$report")" && pwd)/$(basename "$report") (open it in a browser)" >&2
