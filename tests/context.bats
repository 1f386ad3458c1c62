#!/usr/bin/env bats
# Patient context (medcap-train --context): a model conditioned on what the
# record says about the patient decodes with and without it, handles values
# it never saw, refuses target and identifying fields, and the
# interpretation shows the given observations as given.
load common

# 16 records of ONE image whose caption depends only on the body region
# (and age group): an image-only model cannot tell them apart, a model that
# reads the context can.
setup_file() {
    cd "$BATS_FILE_TMPDIR"
    local img="$DATA/images/MPX1007_synpic46719.png"
    for i in $(seq 1 16); do
        if [ $((i % 2)) -eq 0 ]; then
            loc=chest cap="the lungs show a large mass."
        else
            loc=abdomen cap="the liver shows a small cyst."
        fi
        printf '{"id":"r%d","image":"%s","caption":"%s","location":"%s","age":%d,"sex":"%s","patient_id":"p%d"}\n' \
            "$i" "$img" "$cap" "$loc" $((20 + 3 * i)) "$([ $((i % 3)) -eq 0 ] && echo male || echo female)" "$i"
    done > recs.ndjson
    medcap-img-resize -s 32 -j 1 < recs.ndjson > imgs.frames
    medcap-encode-features --allow-random -j 1 --features grid imgs.frames > feat.frames
    medcap-train --min-freq 1 --hidden 32 --embed 16 --attn-dim 16 --dropout 0 --label-smoothing 0 \
        --epochs 60 --batch 8 --lr 1e-2 --seed 2 --threads 1 --max-len 10 --min-len 0 --fields none \
        --context location,age,sex --context-dropout 0.1 -o ctx.st feat.frames 2>/dev/null
    export FEAT="$BATS_FILE_TMPDIR/feat.frames" MODEL="$BATS_FILE_TMPDIR/ctx.st"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
}

@test "context: the model stores its context fields and their kinds" {
    run -0 python3 -c '
import json, struct, sys
b = open(sys.argv[1], "rb").read()
h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
c = json.loads(h["__metadata__"]["context"])
print([(f["name"], f["kind"]) for f in c["fields"]], "location=chest" in c["tokens"], "age=50-59" in c["tokens"])' "$MODEL"
    assert_output "[('location', 'category'), ('age', 'number'), ('sex', 'category')] True True"
}

@test "context: captions follow the given body region; \"given\" lists it" {
    run -0 bash -c "medcap-decode-caption -m '$MODEL' '$FEAT' | jq -r '[.id, .given.location, .caption] | @tsv'"
    [ "${#lines[@]}" -eq 16 ]
    for l in "${lines[@]}"; do
        case "$l" in
            *$'\tchest\t'*) [[ "$l" == *"the lungs show a large mass." ]] ;;
            *$'\tabdomen\t'*) [[ "$l" == *"the liver shows a small cyst." ]] ;;
            *) false ;;
        esac
    done
}

@test "context: without context (--no-context, or records that lack it) the model still decodes" {
    run -0 bash -c "medcap-decode-caption -m '$MODEL' --no-context '$FEAT' | jq -r '[has(\"given\"), .caption] | @tsv' | sort -u"
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == false$'\t'"the "* ]]
    # records stripped of their context fields give the same captions as --no-context
    medcap-decode-caption -m "$MODEL" --no-context "$FEAT" | jq -r .caption > noctx
    jq -c 'del(.location, .age, .sex)' "$BATS_FILE_TMPDIR/recs.ndjson" > bare.ndjson
    medcap-img-resize -s 32 -j 1 < bare.ndjson | medcap-encode-features --allow-random -j 1 --features grid |
        medcap-decode-caption -m "$MODEL" | jq -r .caption > bare
    diff noctx bare
}

@test "context: a value never seen in training, or of the wrong type, reads as unknown" {
    jq -c '.location = "pelvis" | .age = "unknown" | .sex = 3' "$BATS_FILE_TMPDIR/recs.ndjson" | head -2 > odd.ndjson
    medcap-img-resize -s 32 -j 1 < odd.ndjson | medcap-encode-features --allow-random -j 1 --features grid > odd.frames
    run -0 bash -c "medcap-decode-caption -m '$MODEL' odd.frames | jq -c '[.given.location, .caption]'"
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" == '["pelvis","the '* ]]
}

@test "context: fields the caption is made of, the heads' fields and identifying fields are refused" {
    for f in caption modality diagnosis id patient_id case_id; do
        run -2 --separate-stderr medcap-train --context "age,$f" -o x.st "$FEAT"
        [[ "$stderr" == *"medcap-train: --context: '$f' "* ]]
        [ ! -e x.st ]
    done
    run -2 --separate-stderr medcap-train --fields location --context location -o x.st "$FEAT"
    [[ "$stderr" == *"'location' is a field the model predicts"* ]]
    run -2 --separate-stderr medcap-train --context age:colour -o x.st "$FEAT"
    [[ "$stderr" == *"kind must be category, number or text"* ]]
    run -2 --separate-stderr medcap-train --init "$MODEL" --resume "$MODEL" "$FEAT"
    [[ "$stderr" == *"give one of them"* ]]
}

@test "context: a checkpoint with context resumes; --init adds context to a model without it" {
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 2 --batch 8 --threads 1 \
        --fields none --context location -o a.st --stop-after 1 "$FEAT" 2>/dev/null || true
    run -0 medcap-train --resume a.st.ckpt --keep-checkpoint -o a.st "$FEAT"
    run -2 --separate-stderr medcap-train --resume a.st.ckpt --context age -o a.st "$FEAT"
    [[ "$stderr" == *"does not name in order"* ]]
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --batch 8 --threads 1 \
        --fields none -o plain.st "$FEAT" 2>/dev/null
    # a fresh context starts at zero: before any step, the captions are the plain model's
    medcap-train --init plain.st --context location,age --epochs 1 --batch 8 --threads 1 --fields none \
        --lr 0 -o init.st "$FEAT" 2>/dev/null
    diff <(medcap-decode-caption -m plain.st "$FEAT" | jq -c '[.caption, .logprob]') \
         <(medcap-decode-caption -m init.st "$FEAT" | jq -c '[.caption, .logprob]')
    run -0 bash -c "medcap-decode-caption -m init.st '$FEAT' | jq -c '.given' | head -1"
    assert_output '{"location":"abdomen","age":23}'
}

@test "context: the interpretation opens with the given observations, never an identifying field" {
    medcap-decode-caption -m "$MODEL" "$FEAT" |
        jq -c '.given.patient_id = "p1" | .given.patient_name = "Jane Doe"' > caps.ndjson
    medcap-encode-features --allow-random -j 1 --features pooled "$BATS_FILE_TMPDIR/imgs.frames" > pooled.frames
    medcap-index -o ix.idx pooled.frames
    run -0 bash -c "medcap-retrieve -i ix.idx -n 1 --captions caps.ndjson pooled.frames | jq -r .interpretation"
    [ "${#lines[@]}" -eq 16 ]
    [[ "${lines[0]}" == "Given: 23-year-old female; location: abdomen. Generated caption: the liver shows a small cyst."* ]]
    [[ "${lines[1]}" == "Given: 26-year-old female; location: chest. Generated caption: the lungs show a large mass."* ]]
    [[ "$output" != *p1* && "$output" != *Jane* && "$output" != *patient* ]]
}

@test "context: the report page shows the given context as given" {
    medcap-decode-caption -m "$MODEL" "$FEAT" | sed -n 1,2p > caps.ndjson
    run -0 medcap-report -o page.html caps.ndjson
    run -0 grep -o 'Given (patient context from the record, not generated)</p><ul[^>]*><li><span class="k">location</span>: <span class="v">abdomen</span>' page.html
}

@test "context: --init and --resume refuse what does not fit, naming the file" {
    # more than 8 context fields
    run -2 --separate-stderr medcap-train --context a,b,c,d,e,f,g,h,i -o x.st "$FEAT"
    [[ "$stderr" == *"--context: at most 8 fields"* ]]
    # a checkpoint without context resumed with --context
    medcap-train --min-freq 1 --hidden 8 --embed 8 --attn-dim 8 --epochs 2 --batch 8 --threads 1 \
        --fields none -o p.st --stop-after 1 "$FEAT" 2>/dev/null || true
    run -2 --separate-stderr medcap-train --resume p.st.ckpt --context age -o p.st "$FEAT"
    [[ "$stderr" == *"p.st.ckpt: checkpoint takes no context; resume without --context"* ]]
    # --train-encoder from a model that has no encoder
    run -2 --separate-stderr medcap-train --init "$MODEL" --train-encoder -o x.st "$BATS_FILE_TMPDIR/imgs.frames"
    [[ "$stderr" == *"ctx.st: model holds no encoder to train (--train-encoder)"* ]]
    # fine-tuning a model with an encoder on features of another encoder
    medcap-train --min-freq 1 --hidden 8 --embed 8 --attn-dim 8 --epochs 1 --batch 8 --threads 1 \
        --fields none --train-encoder -o enc.st "$BATS_FILE_TMPDIR/imgs.frames" 2>/dev/null
    run -4 --separate-stderr medcap-train --init enc.st -o x.st "$FEAT"
    [[ "$stderr" == *"$FEAT: features of encoder "*", the model's encoder is "*"(encode with -m enc.st, or train on images with --train-encoder)"* ]]
    [ ! -e x.st ]
}
