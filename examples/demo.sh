#!/usr/bin/env bash
# demo.sh - caption the example images with the shipped model and print, for
# each image, the generated caption beside the reference caption (NDJSON).
#
#   examples/demo.sh            (what 'make demo' runs)
#
# Environment: MEDCAP_BIN (folder of the programs, default bin/ of this
# checkout), MEDCAP_MODEL (default share/medcap/model.safetensors), SIZE (image
# side the model was trained at, default 128, see docs/model-card.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
model=${MEDCAP_MODEL:-$here/../share/medcap/model.safetensors}
images=$here/images

medcap img-resize --root "$images" --size "${SIZE:-128}" < "$images/records.ndjson" \
    | medcap encode-features --model "$model" \
    | medcap decode-caption --model "$model" --beam 3 \
    | jq -c '{id, caption, reference}'
