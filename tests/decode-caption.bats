#!/usr/bin/env bats
# medcap-decode-caption: greedy and beam search, attention maps, model checks.
load common

FEAT="$DATA/medpix2-16-features.frames"
IMGS="$DATA/medpix2-16-64px.frames"

# One small model trained to reproduce the 16 captions, shared by the tests.
setup_file() {
    export MODEL="$BATS_FILE_TMPDIR/m.st"
    medcap-train --min-freq 1 --hidden 64 --embed 32 --attn-dim 32 --dropout 0 \
        --label-smoothing 0 --alpha-c 0 --epochs 100 --batch 8 --lr 1e-2 --seed 3 --threads 1 \
        --max-len 30 --min-len 0 -o "$MODEL" "$FEAT" 2>/dev/null
    export WEAK="$BATS_FILE_TMPDIR/weak.st"
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 \
        -o "$WEAK" "$FEAT" 2>/dev/null
}

setup() {
    cd "$BATS_TEST_TMPDIR"
}

@test "medcap-decode-caption: CLI contract" {
    check_cli_contract medcap-decode-caption
}

@test "medcap-decode-caption: greedy captions keep the record and add caption and logprob" {
    run -0 medcap-decode-caption -m "$MODEL" "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
    [[ "${lines[0]}" == '{"id":"MPX1024_synpic40275",'*'"encoder":"cnn-small",'*'"caption":"ct of the chest reveals an obstructing mass and resultant lul collapse.","logprob":-'* ]]
    [[ "${lines[2]}" == *'"caption":"selected axial ct images in bone window."'* ]]
    run -0 medcap-decode-caption --model "$MODEL" < "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
}

@test "medcap-decode-caption --beam 3 finds the trained captions too" {
    medcap-decode-caption -m "$MODEL" "$FEAT" | sed 's/"logprob":[^,}]*//' > greedy
    medcap-decode-caption -m "$MODEL" --beam 3 "$FEAT" | sed 's/"logprob":[^,}]*//' > beam
    [ "$(wc -l < greedy)" -eq 16 ]
    # two of the 16 images have near-identical features: the search may
    # swap their captions, every other caption is the trained one
    [ "$(diff greedy beam | grep -c '^<')" -le 1 ]
    medcap-decode-caption -m "$MODEL" --beam 3 "$FEAT" > beam.ndjson
    run -0 medcap-score --refs "$DATA/medpix2-16-captions.ndjson" beam.ndjson
    python3 -c 'import json,sys; b=json.loads(sys.argv[1])["bleu"]["bleu_4"]; assert b > 0.85, b' "$output"
    run -0 medcap-decode-caption -m "$WEAK" --beam 4 --length-penalty 1 "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
}

@test "medcap-decode-caption: beam search scores at least as well as greedy" {
    g=$(medcap-decode-caption -m "$WEAK" --max-len 8 "$FEAT" | sed -n '1s/.*"logprob":\([-0-9.e]*\).*/\1/p')
    b=$(medcap-decode-caption -m "$WEAK" --max-len 8 --beam 5 "$FEAT" | sed -n '1s/.*"logprob":\([-0-9.e]*\).*/\1/p')
    [ -n "$g" ]
    [ -n "$b" ]
    awk -v g="$g" -v b="$b" 'BEGIN { exit !(b >= g - 1e-3) }'
}

@test "medcap-decode-caption --attention: one grid-shaped map per word, each summing to 1" {
    run -0 medcap-decode-caption -m "$MODEL" --attention "$FEAT"
    python3 - "${lines[2]}" <<'PY'
import json, sys
import re
r = json.loads(sys.argv[1])
words = re.findall(r"[a-z0-9]+|[:,.]", r["caption"])
att = r["attention"]
assert len(att) == len(words), (len(att), len(words))
for m in att:
    assert len(m) == 2 and all(len(row) == 2 for row in m)
    assert abs(sum(sum(row) for row in m) - 1) < 1e-3
PY
}

@test "medcap-decode-caption --max-len and --no-repeat-ngram limit the caption; a cut caption ends on a whole phrase" {
    run -0 medcap-decode-caption -m "$MODEL" --max-len 3 "$FEAT"
    [[ "${lines[0]}" == *'"caption":"ct",'* ]]  # "ct of the": no dangling "of the"
    run -0 medcap-decode-caption -m "$MODEL" --max-len 12 "$FEAT"
    [[ "${lines[0]}" == *'"caption":"ct of the chest reveals an obstructing mass and resultant lul collapse",'* ]]
    run -0 medcap-decode-caption -m "$MODEL" --max-len 9 "$FEAT"
    [[ "${lines[0]}" == *'"caption":"ct of the chest reveals an obstructing mass",'* ]]
    medcap-decode-caption -m "$WEAK" --max-len 20 "$FEAT" > plain
    grep -Eq '"caption":"[^"]*\b([a-z0-9]+) \1\b' plain || grep -Eq '"caption":"[^"]*\b([a-z0-9]+)\b.*\b\1\b[^"]*"' plain
    run -0 medcap-decode-caption -m "$WEAK" --max-len 20 --no-repeat-ngram 1 "$FEAT"
    for l in "${lines[@]}"; do
        cap=$(sed 's/.*"caption":"\([^"]*\)".*/\1/' <<<"$l")
        [ "$(tr ' ' '\n' <<<"$cap" | sort | uniq -d | wc -l)" -eq 0 ]
    done
}

@test "medcap-decode-caption skips pooled frames and streams into head quietly" {
    # a model for the features of this build's random encoder
    medcap-encode-features --allow-random -j 1 --features grid "$IMGS" > grid.frames
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 \
        -o own.st grid.frames 2>/dev/null
    medcap-encode-features --allow-random -j 1 --features both "$IMGS" > both.frames
    run -0 medcap-decode-caption -m own.st both.frames
    [ "${#lines[@]}" -eq 16 ]
    run -0 --separate-stderr bash -c 'medcap-decode-caption -m "$1" both.frames | head -1' _ own.st
    [ "${#lines[@]}" -eq 1 ]
    [ -z "$stderr" ]
}

@test "medcap-decode-caption: features of another encoder are refused, naming both" {
    medcap-encode-features --allow-random --seed 5 -j 1 "$IMGS" > other.frames
    run -4 --separate-stderr medcap-decode-caption -m "$MODEL" other.frames
    assert_output ""
    [[ "$stderr" == *"medcap-decode-caption: other.frames:1: record 'MPX1024_synpic40275': features of encoder cnn-small (hash "*"), grid 2x2, 256 channels do not match model $MODEL: encoder cnn-small (hash "*"), grid 2x2, 256 channels"* ]]
}

@test "medcap-decode-caption: features of another grid size are refused" {
    echo '{"id":"big","image":"'"$DATA"'/images/MPX1007_synpic46719.png"}' | medcap-img-resize -s 96 \
        | medcap-encode-features --allow-random -j 1 > big.frames
    run -4 --separate-stderr medcap-decode-caption -m "$MODEL" big.frames
    [[ "$stderr" == *"grid 3x3"*"do not match model"*"grid 2x2"* ]]
    assert_output ""
}

@test "medcap-decode-caption: bad model files (missing, truncated, not a caption model, other architecture)" {
    run -3 --separate-stderr medcap-decode-caption -m no-such.st "$FEAT"
    [[ "$stderr" == *"no-such.st"* ]]
    head -c 2000 "$MODEL" > trunc.st
    run -4 --separate-stderr medcap-decode-caption -m trunc.st "$FEAT"
    [[ "$stderr" == *"trunc.st"* ]]
    assert_output ""
    run -4 --separate-stderr medcap-decode-caption -m "$FEAT" "$FEAT"
    python3 - "$MODEL" arch.st <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
h["__metadata__"]["arch"] = "transformer"
t = json.dumps(h).encode()
t += b" " * (-len(t) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(t)) + t + b[8 + n:])
PY
    run -4 --separate-stderr medcap-decode-caption -m arch.st "$FEAT"
    [[ "$stderr" == *"arch.st"* ]]
    assert_output ""
}

@test "medcap-decode-caption: JSON text and truncated frames are bad input" {
    run -1 --separate-stderr medcap-decode-caption -m "$MODEL" "$DATA/medpix2-16-captions.ndjson"
    [[ "$stderr" == *"expected feature frames, got JSON text"* ]]
    head -c 6000 "$FEAT" > trunc.frames
    run -1 --separate-stderr medcap-decode-caption -m "$MODEL" trunc.frames
    [[ "$stderr" == *"trunc.frames:2: truncated frame"* ]]
    [ "${#lines[@]}" -eq 0 ] || [[ "${lines[0]}" == '{"id":'* ]]
    run -1 --separate-stderr medcap-decode-caption -m "$MODEL" "$IMGS"
    [[ "$stderr" == *"expected an F32 grid feature frame [G,C], got u8 with 3 dimensions"* ]]
}

@test "medcap-decode-caption: usage errors" {
    run -2 --separate-stderr medcap-decode-caption --beam 0 "$FEAT"
    [[ "$stderr" == *"--beam '0'"* ]]
    run -2 --separate-stderr medcap-decode-caption --length-penalty -1 "$FEAT"
    run -2 --separate-stderr medcap-decode-caption a b
    [[ "$stderr" == *"more than one input file"* ]]
    assert_output ""
}

@test "medcap-decode-caption --threads and --version name the BLAS core" {
    run -0 medcap-decode-caption --version
    [[ "$output" == "medcap-decode-caption 0.1.0"* ]]
    run -0 medcap-decode-caption -m "$MODEL" --threads 2 "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
}

@test "medcap-decode-caption --index: each caption is the model's or a neighbour's, whichever agrees best with the neighbours" {
    medcap-index -o train.idx "$FEAT"
    run -0 medcap-decode-caption -m "$MODEL" --index train.idx --neighbors 4 "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
    # -i and -n are the short spellings
    [ "$(medcap-decode-caption -m "$MODEL" -i train.idx -n 4 "$FEAT")" = "$output" ]
    jq -r .caption "$DATA/medpix2-16-captions.ndjson" | tr 'A-Z' 'a-z' > refs.txt
    medcap-frame-info "$FEAT" | cut -f1 > ids.txt
    # source and caption of every record from one jq run, not two per record
    jq -r '[.caption_source, .caption] | @tsv' <<<"$output" > got.tsv
    local own=0 other=0 src cap
    while IFS=$'\t' read -r src cap; do
        if [ "$src" = model ]; then own=$((own + 1)); else
            other=$((other + 1))
            grep -qxF "$cap" refs.txt  # a neighbour's caption, as the decoder writes text
            grep -qxF "$src" ids.txt
        fi
    done < got.tsv
    [ $((own + other)) -eq 16 ]
    [ "$own" -gt 0 ]
}

@test "medcap-decode-caption --index: an index of another feature size or a missing one is refused" {
    medcap-encode-features --allow-random -j 1 --features pooled --layout 2 "$IMGS" | medcap-index -o wide.idx
    run -4 --separate-stderr medcap-decode-caption -m "$MODEL" --index wide.idx "$FEAT"
    [[ "$stderr" == *"wide.idx: index of 260-value features; the model's features have 256"* ]]
    assert_output ""
    run -3 --separate-stderr medcap-decode-caption -m "$MODEL" --index none.idx "$FEAT"
    [[ "$stderr" == *"none.idx"* ]]
    run -2 --separate-stderr medcap-decode-caption -m "$MODEL" --index x --neighbors 1 "$FEAT"
    [[ "$stderr" == *"--neighbors"* ]]
}

@test "medcap-decode-caption: the output does not depend on --threads (images decoded side by side)" {
    for j in 1 2 3 16; do
        medcap-decode-caption -m "$MODEL" --attention -j $j "$FEAT" > greedy$j
        medcap-decode-caption -m "$MODEL" --beam 3 -j $j "$FEAT" > beam$j
    done
    [ "$(wc -l < greedy1)" -eq 16 ]
    for j in 2 3 16; do cmp greedy1 greedy$j; cmp beam1 beam$j; done
    # a bad frame in the middle of a group: the records before it are
    # written, nothing after it
    damage_frame "$FEAT" 6 bad.frames
    run -1 --separate-stderr medcap-decode-caption -m "$MODEL" -j 4 bad.frames
    [[ "$stderr" == *"bad.frames:6: frame CRC mismatch"* ]]
    [ "${#lines[@]}" -eq 5 ]
    [ "$output" = "$(medcap-decode-caption -m "$MODEL" -j 1 "$FEAT" | head -5)" ]
    run -5 --separate-stderr medcap-decode-caption -m "$MODEL" -j 3 --keep-going bad.frames
    [ "${#lines[@]}" -eq 15 ]
    [ "$output" = "$(medcap-decode-caption -m "$MODEL" -j 1 --keep-going bad.frames 2>/dev/null)" ]
}

@test "medcap-decode-caption --keep-going: a damaged frame (CRC) and a bad one are skipped, exit 5" {
    damage_frame "$FEAT" 2 bad.frames
    run -1 --separate-stderr medcap-decode-caption -m "$MODEL" bad.frames
    [[ "$stderr" == *"bad.frames:2: frame CRC mismatch"* ]]
    [ "${#lines[@]}" -eq 1 ]
    cat bad.frames "$IMGS" > mixed.frames
    run -5 --separate-stderr medcap-decode-caption -m "$MODEL" --keep-going mixed.frames
    [[ "$stderr" == *"mixed.frames:2: frame CRC mismatch"* ]]
    [[ "$stderr" == *"mixed.frames:17: record "*"expected an F32 grid feature frame"* ]]
    [[ "$stderr" == *"17 frame(s) skipped"* ]]
    [ "${#lines[@]}" -eq 15 ]
}

@test "medcap-decode-caption: no shipped model is exit 4; -k is a deprecated --beam; -j is --threads" {
    MEDCAP_SHARE="$BATS_TEST_TMPDIR/none" run -4 --separate-stderr medcap-decode-caption "$FEAT"
    [[ "$stderr" == *"no model: "*"none/model.safetensors not found; give --model FILE"* ]]
    run -0 --separate-stderr medcap-decode-caption -m "$MODEL" -k 2 -j 1 "$FEAT"
    [[ "$stderr" == *"warning: -k is deprecated and goes in the next release; use --beam"* ]]
    medcap-decode-caption -m "$MODEL" --beam 2 --threads 1 "$FEAT" > beam2.ndjson
    [ "$output" = "$(cat beam2.ndjson)" ]
}
