#!/usr/bin/env bash
# compare-encoders.sh - cnn-small at 128 px against ResNet-18 at 160 px:
# each trained from scratch with the caption decoder for EPOCHS epochs
# (default 3) with the recipe's options, then greedy captions of the MedPix
# 2.0 dev split scored by medcap score (docs/results.md, "Encoders").
#
#   examples/compare-encoders.sh [WORKDIR]   (default work/medpix: the folder
#                                             of examples/train-medpix.sh)
# Environment: MEDCAP_DATA (default ../shared/data/medpix2), WITH_CXR (the
# COVID-19 collection whose train X-rays join the training set, default
# ../shared/data/cxr-covid), EPOCHS (default 3).  Needs jq.
#
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025, from the
# U.S. National Library of Medicine's MedPix collection.  COVID-19 image
# data collection: Cohen et al., 2020.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
data=$(realpath "${MEDCAP_DATA:-$here/../../shared/data/medpix2}")
cxr=$(realpath "${WITH_CXR:-$here/../../shared/data/cxr-covid}")
epochs=${EPOCHS:-3}
cd "${1:-work/medpix}"

for size in 128 160; do
    [ -s "train-all-$size.frames" ] || {
        medcap img-resize --root "$data" --size "$size" < train.ndjson
        medcap img-resize --root "$cxr" --size "$size" < cxr-train.ndjson
    } > "train-all-$size.frames"
    [ -s "dev-$size.frames" ] || medcap img-resize --root "$data" --size "$size" < dev.ndjson > "dev-$size.frames"
done
for run in cnn-small:128 resnet18:160; do
    arch=${run%:*} size=${run#*:}
    start=$SECONDS
    medcap train --train-encoder --encoder-arch "$arch" -e "$epochs" --hidden 384 --attn-dim 256 \
        --val "dev-$size.frames" --log "cmp-$arch.log.ndjson" -o "cmp-$arch.safetensors" \
        "train-all-$size.frames" 2> "cmp-$arch.err"
    echo "$arch: trained in $((SECONDS - start)) s; $(tail -n 1 "cmp-$arch.err")"
    medcap encode-features -m "cmp-$arch.safetensors" "dev-$size.frames" |
        medcap decode-caption -m "cmp-$arch.safetensors" > "cmp-$arch.dev.ndjson"
    echo "$arch: $(medcap score --refs dev.ndjson < "cmp-$arch.dev.ndjson" | jq -c '{b1: .bleu.bleu_1,
        b4: .bleu.bleu_4, rl: .rouge_l.f, cider: .cider_d.score, fields: (.medpix // {} |
        with_entries(select(.value | type == "object")) | map_values(.accuracy))}')"
done
