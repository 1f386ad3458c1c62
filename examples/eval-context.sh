#!/usr/bin/env bash
# eval-context.sh - does patient context help the captions?  Fine-tune a
# caption model (decoder, heads and, when asked, patient context) from its
# own weights on its own encoder's features, once without context (the
# control: the same extra training) and once per context setting, and
# score greedy captions of the MedPix 2.0 dev split and of the COVID-19
# chest X-ray collection's dev split, each context model both with the
# records' context and without it (decode-caption --no-context).
#
# Usage: examples/eval-context.sh [RUN...]
#   RUN: none (control), all (age, sex, location, location_category,
#   clinical_notes), agesex, region (location, location_category), notes
#   (clinical_notes); default: all of them.
# Environment (all optional):
#   MODEL      the model to start from (default share/medcap/model.safetensors)
#   WORK       the folder of examples/train-medpix.sh, with train-all.frames,
#              dev.frames and dev.ndjson (default work/medpix)
#   CXR        the COVID-19 chest X-ray collection (default
#              ../shared/data/cxr-covid); its dev split is scored too
#   OUT        results folder (default work/context)
#   EPOCHS, LR fine-tuning epochs and peak learning rate (default 6, 1e-4)
#   SIZE       image side of the model (default 128, the shipped model's)
# Prints one line per run and decoding: BLEU-1, BLEU-4, ROUGE-L, CIDEr-D,
# field accuracies (MedPix) or label micro-F1 (chest X-rays), mean words.
# Needs jq.
#
# MedPix 2.0: Siragusa et al., Data Science and Engineering, 2025, from the
# U.S. National Library of Medicine's MedPix collection.  COVID-19 image
# data collection: Cohen et al., 2020 (github.com/ieee8023/covid-chestxray-dataset).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
model=$(realpath "${MODEL:-$here/../share/medcap/model.safetensors}")
work=$(realpath "${WORK:-work/medpix}")
cxr=$(realpath "${CXR:-$here/../../shared/data/cxr-covid}")
out=${OUT:-work/context}
epochs=${EPOCHS:-6}
lr=${LR:-1e-4}
runs=${*:-none all agesex region notes}
size=${SIZE:-128}  # the shipped model's input side
mkdir -p "$out"
cd "$out"

[ -s train.feat ] || medcap encode-features -m "$model" "$work/train-all.frames" > train.feat
[ -s dev.feat ] || medcap encode-features -m "$model" "$work/dev.frames" > dev.feat
if [ ! -s cxr-dev.feat ]; then
    medcap csv-clean "$cxr/metadata.csv" | grep '"split":"dev"' > cxr-dev.ndjson
    medcap img-resize --root "$cxr" --size "$size" < cxr-dev.ndjson |
        medcap encode-features -m "$model" > cxr-dev.feat
fi

# score NAME PREDS REFS: one summary line
score() {
    medcap score --refs "$3" < "$2" > "$1.score.json"
    printf '%-22s %s words=%.1f\n' "$1" "$(jq -c '{b1: .bleu.bleu_1, b4: .bleu.bleu_4, rl: .rouge_l.f,
        cider: .cider_d.score, fields: (.medpix // {} | with_entries(select(.value | type == "object")) |
        map_values(.accuracy)), label_f1: .labels.micro.f1} | with_entries(select(.value != null and .value != {}))
        | map_values(if type == "number" then (. * 1000 | round / 1000) else map_values(. * 1000 | round / 1000) end)' \
        "$1.score.json")" "$(jq -r .caption "$2" | wc -w | awk -v n="$(wc -l < "$2")" '{print $1 / n}')"
}

for run in $runs; do
    case $run in
        none) ctx=() ;;
        all) ctx=(--context age,sex,location,location_category,clinical_notes:text) ;;
        agesex) ctx=(--context age,sex) ;;
        region) ctx=(--context location,location_category) ;;
        notes) ctx=(--context clinical_notes:text) ;;
        *) echo "eval-context.sh: unknown run '$run'" >&2; exit 2 ;;
    esac
    start=$SECONDS
    medcap train --init "$model" "${ctx[@]}" --epochs "$epochs" --lr "$lr" --val dev.feat \
        --log "log.$run.ndjson" -o "model.$run.safetensors" train.feat 2> "train.$run.err"
    echo "$run: fine-tuned in $((SECONDS - start)) s; $(tail -n 1 "train.$run.err")"
    for set in dev cxr-dev; do
        refs=$work/dev.ndjson
        [ "$set" = dev ] || refs=cxr-dev.ndjson
        medcap decode-caption -m "model.$run.safetensors" "$set.feat" > "$set.$run.ndjson"
        score "$set.$run" "$set.$run.ndjson" "$refs"
        if [ "$run" != none ]; then
            medcap decode-caption -m "model.$run.safetensors" --no-context "$set.feat" > "$set.$run.noctx.ndjson"
            score "$set.$run.noctx" "$set.$run.noctx.ndjson" "$refs"
        fi
    done
done
