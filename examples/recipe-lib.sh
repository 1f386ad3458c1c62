# recipe-lib.sh - shell functions shared by the training recipes
# (train-medpix.sh, train-cxr.sh); source it, do not run it.

# step OUT CMD [INPUTS]: run the shell string CMD with its standard output
# going to OUT, unless OUT.key shows that OUT was made by the same CMD from
# INPUTS with the same checksums (then OUT is reused).  OUT appears only
# complete (written to OUT.tmp, then renamed).
step() {
    local out=$1 cmd=$2 inputs=${3:-} key
    key="$cmd | $(cksum $inputs 2>/dev/null | tr '\n' ' ')"
    if [ -s "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
        echo "recipe: reusing $out" >&2
        return
    fi
    echo "recipe: making $out" >&2
    bash -o pipefail -c "$cmd" > "$out.tmp"
    mv "$out.tmp" "$out"
    printf '%s' "$key" > "$out.key"
}

# train_model FRAMES VAL EPOCHS [ARGS...]: train the encoder and decoder
# jointly into model.safetensors (log in train-log.ndjson, seconds in
# train-seconds.txt), unless the same training already made it.
train_model() {
    local frames=$1 val=$2 epochs=$3 key
    shift 3
    key="$epochs $* $(cksum < "$frames")"
    if [ -s model.safetensors ] && [ "$(cat model.key 2>/dev/null)" = "$key" ]; then
        echo "recipe: reusing model.safetensors" >&2
        return
    fi
    local start=$SECONDS
    rm -f train-log.ndjson
    medcap train --train-encoder --epochs "$epochs" --val "$val" --log train-log.ndjson \
        "$@" -o model.safetensors "$frames"
    echo $((SECONDS - start)) > train-seconds.txt
    printf '%s' "$key" > model.key
}

# caption_and_baselines: from train.frames, dev.frames, train.ndjson,
# dev.ndjson and model.safetensors, write dev.greedy, dev.beam3 (the model,
# default decoding: heads' fields, no repeated trigram), dev.consensus (the
# model's greedy caption or a neighbour's, by CIDEr-D consensus over the 10
# nearest training images: decode-caption --index), dev.nearest (caption of
# the nearest training image by encoder features) and dev.frequent (the most
# frequent training caption) as NDJSON.
caption_and_baselines() {
    step dev.feat "medcap encode-features --model model.safetensors --features both < dev.frames" "dev.frames model.safetensors"
    step train.feat "medcap encode-features --model model.safetensors --features pooled < train.frames" "train.frames model.safetensors"
    step dev.greedy.ndjson "medcap decode-caption --model model.safetensors < dev.feat" "dev.feat model.safetensors"
    step dev.beam3.ndjson "medcap decode-caption --model model.safetensors --beam 3 < dev.feat" "dev.feat model.safetensors"
    if [ ! -s train.index ] || [ train.feat -nt train.index ]; then
        medcap index -o train.index train.feat
    fi
    step dev.consensus.ndjson "medcap decode-caption --model model.safetensors --index train.index < dev.feat" "dev.feat model.safetensors train.index"
    step dev.nearest.ndjson "medcap retrieve -i train.index -n 1 dev.feat | jq -c 'select(.feature != \"grid\") | .caption = .neighbors[0].caption | del(.neighbors)'" "train.index dev.feat"
    step dev.frequent.ndjson "jq -c --arg c \"\$(jq -r .caption train.ndjson | sort | uniq -c | sort -k1,1nr -k2 | head -n 1 | sed 's/^ *[0-9]* //')\" '.caption = \$c' dev.ndjson" "train.ndjson dev.ndjson"
}

# score_runs REFS PREFIX NAME [SCORE-ARGS...]: score every PREFIX.RUN.ndjson
# (RUN: greedy beam3 consensus nearest frequent) against REFS into
# score.NAME.RUN.json and print a one-line summary per run (with the mean
# caption length in words).
score_runs() {
    local refs=$1 prefix=$2 name=$3 run
    shift 3
    for run in greedy beam3 consensus nearest frequent; do
        medcap score --refs "$refs" "$@" < "$prefix.$run.ndjson" > "score.$name.$run.json"
        printf '%-9s %-9s %s words %s\n' "$name" "$run" \
            "$(jq -r .caption "$prefix.$run.ndjson" | awk '{ n += NF } END { printf "%.1f", NR ? n / NR : 0 }')" \
            "$(jq -c '{bleu_1: .bleu.bleu_1, bleu_4: .bleu.bleu_4, rouge_l: .rouge_l.f, cider_d: .cider_d.score, fields: (.medpix // {} | with_entries(select(.value | type == "object")) | map_values(.accuracy))}' "score.$name.$run.json")"
    done
}
