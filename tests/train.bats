#!/usr/bin/env bats
# medcap-train: learning, determinism, exact resume, options, bad input.
load common

FEAT="$DATA/medpix2-16-features.frames"
IMGS="$DATA/medpix2-16-64px.frames"
SMALL=(--min-freq 1 --hidden 32 --embed 16 --attn-dim 16 --batch 8 --threads 1)

@test "medcap-train: CLI contract" {
    check_cli_contract medcap-train
}

@test "medcap-train learns 16 real captions: loss near zero, greedy decoding reproduces them" {
    cd "$BATS_TEST_TMPDIR"
    run -0 medcap-train --min-freq 1 --hidden 64 --embed 32 --attn-dim 32 --dropout 0 \
        --label-smoothing 0 --alpha-c 0 --epochs 100 --batch 8 --lr 1e-2 --seed 3 --threads 1 \
        --max-len 30 --min-len 0 --val "$FEAT" --log log.ndjson -o m.st "$FEAT"
    [ "$(wc -l < log.ndjson)" -eq 100 ]
    last=$(tail -1 log.ndjson)
    loss=$(sed 's/.*"loss":\([0-9.e-]*\).*/\1/' <<<"$last")
    awk -v l="$loss" 'BEGIN { exit !(l < 0.15) }'
    # two of the 16 images have near-identical features, so 15 of 16
    # captions is the ceiling; the kept epoch is the one with the best CIDEr-D
    best=$(jq -s 'map(select(.kept)) | last | .val_bleu4' log.ndjson)
    awk -v b="$best" 'BEGIN { exit !(b > 0.85) }'
    medcap-decode-caption -m m.st "$FEAT" > pred.ndjson
    run -0 medcap-score --refs "$DATA/medpix2-16-captions.ndjson" pred.ndjson
    python3 -c 'import json,sys; b=json.loads(sys.argv[1])["bleu"]["bleu_4"]; assert b > 0.85, b' "$output"
}

@test "medcap-train: same seed and one thread give bit-identical weights" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 2 --seed 7 -o a.st "$FEAT" 2>/dev/null
    medcap-train "${SMALL[@]}" --epochs 2 --seed 7 -o b.st "$FEAT" 2>/dev/null
    cmp a.st b.st
    medcap-train "${SMALL[@]}" --epochs 2 --seed 8 -o c.st "$FEAT" 2>/dev/null
    run -1 cmp -s a.st c.st
}

@test "medcap-train: stopped mid-epoch and resumed ends with the same weights" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 3 -o full.st "$FEAT" 2>/dev/null
    run -0 --separate-stderr medcap-train "${SMALL[@]}" --epochs 3 --stop-after 3 -o part.st "$FEAT"
    [[ "$stderr" == *"stopped at step 3: checkpoint written to part.st.ckpt"* ]]
    [ ! -e part.st ]
    run -0 medcap-train --resume part.st.ckpt --threads 1 -o part.st "$FEAT"
    cmp full.st part.st
}

@test "medcap-train: SIGTERM writes a checkpoint that resumes" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 100000 --checkpoint run.ckpt -o run.st "$FEAT" 2>err &
    pid=$!
    for i in $(seq 200); do [ -s run.ckpt ] && break; sleep 0.1; done
    kill -TERM $pid
    code=0
    wait $pid || code=$?
    [ "$code" -eq 143 ]
    grep -q "interrupted at step" err
    [ ! -e run.st ]
    medcap-train --resume run.ckpt --checkpoint run2.ckpt --threads 1 -o run.st "$FEAT" 2>err2 &
    pid=$!
    for i in $(seq 200); do grep -q "^epoch" err2 && break; sleep 0.1; done
    kill -INT $pid
    code=0
    wait $pid || code=$?
    [ "$code" -eq 130 ]
    [ -s run2.ckpt ]
}

@test "medcap-train: --log has one NDJSON line per epoch; plain progress lines on a pipe" {
    cd "$BATS_TEST_TMPDIR"
    run -0 --separate-stderr medcap-train "${SMALL[@]}" --epochs 3 --val "$FEAT" --log l.ndjson -o m.st "$FEAT"
    [ "$(wc -l < l.ndjson)" -eq 3 ]
    head -1 l.ndjson | grep -q '^{"epoch":1,"step":2,"loss":[0-9.e-]*,"lr":.*"samples_per_s":.*"val_loss":.*"val_bleu4":.*}$'
    [ "$(grep -c '^epoch [0-9]/3 step' <<<"$stderr")" -eq 3 ]
    assert_equal "$output" ""
}

@test "medcap-train: model options reach the model's config and vocabulary" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train --min-freq 2 --max-vocab 30 --hidden 24 --embed 12 --attn-dim 8 --max-len 9 \
        --dropout 0.2 --alpha-c 0.5 --epochs 1 --threads 1 -o m.st "$FEAT" 2>/dev/null
    grep -aq 'hidden\\":24' m.st
    grep -aq 'embed\\":12' m.st
    grep -aq 'attention\\":8' m.st
    grep -aq 'max_len\\":10' m.st
    grep -aq 'vocab\\":30' m.st
    grep -aq 'dropout\\":0.2' m.st
    grep -aq '"arch":"sat-lstm"' m.st
    medcap-train --min-freq 1 --max-vocab 1000 --epochs 1 --hidden 8 --embed 8 --attn-dim 8 -o n.st "$FEAT" 2>/dev/null
    run -1 grep -aq 'vocab\\":30' n.st
}

@test "medcap-train: optimizer options (--lr --warmup --weight-decay --clip --label-smoothing --batch --seed) change training" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 2 -o base.st "$FEAT" 2>/dev/null
    for opt in "--lr 1e-3" "--warmup 3" "--weight-decay 0.1" "--clip 0.01" "--label-smoothing 0" "--batch 5" "--seed 9" "--dropout 0"; do
        medcap-train "${SMALL[@]}" --epochs 2 $opt -o alt.st "$FEAT" 2>/dev/null
        if cmp -s base.st alt.st; then echo "option $opt made no difference"; false; fi
    done
    run -0 --separate-stderr medcap-train "${SMALL[@]}" --epochs 2 --batch 5 --log b.ndjson -o alt.st "$FEAT"
    tail -1 b.ndjson | grep -q '"step":8,'
}

@test "medcap-train --arch transformer trains a transformer decoder" {
    cd "$BATS_TEST_TMPDIR"
    run -0 medcap-train --arch transformer --embed 16 --heads 2 --layers 1 --min-freq 1 --epochs 2 --threads 1 -o t.st "$FEAT"
    grep -aq '"arch":"transformer"' t.st
    run -0 medcap-decode-caption -m t.st "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
    # longer than the 31 positions it was built for: captions stop at 30 words
    run -0 medcap-decode-caption -m t.st --max-len 100 --beam 2 "$FEAT"
    [ "${#lines[@]}" -eq 16 ]
}

# Work space cut by hand-summed sizes overflowed here (AddressSanitizer:
# make check SANITIZE=1); every size 1, on two [1,1] feature frames.
@test "medcap-train: size 1 everywhere (hidden, embed, attention, batch, grid, channels) trains and decodes" {
    cd "$BATS_TEST_TMPDIR"
    "$ROOT/tests/knn_frames.py" list '[
        {"id":"a","caption":"a small mass","encoder":"x","encoder_hash":"0","grid":[1,1],"vec":[[0.5]]},
        {"id":"b","caption":"no mass","encoder":"x","encoder_hash":"0","grid":[1,1],"vec":[[0.25]]}]' > tiny.frames
    run -0 medcap-train --min-freq 1 --hidden 1 --embed 1 --attn-dim 1 --batch 1 --epochs 2 \
        --threads 1 -o sat.st tiny.frames
    run -0 medcap-decode-caption -m sat.st --beam 2 tiny.frames
    [ "${#lines[@]}" -eq 2 ]
    run -0 medcap-train --arch transformer --embed 1 --heads 1 --layers 1 --min-freq 1 --batch 1 \
        --epochs 2 --threads 1 -o tf.st tiny.frames
    run -0 medcap-decode-caption -m tf.st --beam 2 tiny.frames
    [ "${#lines[@]}" -eq 2 ]
}

@test "medcap-train --train-encoder: img-resize | encode-features --model M | decode-caption --model M" {
    cd "$BATS_TEST_TMPDIR"
    run -0 medcap-train --train-encoder "${SMALL[@]}" --epochs 2 --caption-field caption -o enc.st "$IMGS"
    grep -aq '"encoder_arch":"cnn-small"' enc.st
    medcap-encode-features -m enc.st -j 1 "$IMGS" > f.frames
    run -0 medcap-decode-caption -m enc.st f.frames
    [ "${#lines[@]}" -eq 16 ]
    [[ "${lines[0]}" == *'"caption":"'* ]]
}

@test "medcap-train: --caption-field picks the caption key; a frame without it is an error" {
    cd "$BATS_TEST_TMPDIR"
    run -1 --separate-stderr medcap-train "${SMALL[@]}" --caption-field findings -o m.st "$FEAT"
    assert_output ""
    [[ "$stderr" == *"medcap-train: $FEAT:1: record 'MPX1024_synpic40275' has no 'findings' string to train on"* ]]
    [ ! -e m.st ]
}

@test "medcap-train: an empty caption is an error naming the record" {
    cd "$BATS_TEST_TMPDIR"
    echo '{"id":"empty-1","image":"'"$DATA"'/images/MPX1007_synpic46719.png","caption":" ... "}' \
        | medcap-img-resize -s 64 | medcap-encode-features --allow-random -j 1 > e.frames
    cat "$FEAT" e.frames > mixed.frames
    run -1 --separate-stderr medcap-train "${SMALL[@]}" -o m.st mixed.frames
    [[ "$stderr" == *"mixed.frames:17: record 'empty-1': caption 'caption' is empty (no words)"* ]]
    assert_output ""
}

@test "medcap-train: JSON text, truncated frames and image frames without --train-encoder are errors" {
    cd "$BATS_TEST_TMPDIR"
    run -1 --separate-stderr medcap-train -o m.st "$DATA/medpix2-16-captions.ndjson"
    [[ "$stderr" == *"expected feature frames, got JSON text"* ]]
    head -c 5000 "$FEAT" > trunc.frames
    run -1 --separate-stderr medcap-train -o m.st trunc.frames
    [[ "$stderr" == *"trunc.frames:2: truncated frame"* ]]
    run -1 --separate-stderr medcap-train -o m.st "$IMGS"
    [[ "$stderr" == *"expected an F32 feature grid [G,C] frame, got u8 with 3 dimensions"* ]]
    run -3 --separate-stderr medcap-train -o m.st no-such.frames
    [[ "$stderr" == *"no-such.frames"* ]]
}

@test "medcap-train: truncated checkpoint, other architecture and a plain model are refused on --resume" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 1 --keep-checkpoint -o m.st "$FEAT" 2>/dev/null
    head -c 3000 m.st.ckpt > trunc.ckpt
    run -4 --separate-stderr medcap-train --resume trunc.ckpt -o r.st "$FEAT"
    [[ "$stderr" == *"medcap-train: trunc.ckpt"* ]]
    assert_output ""
    run -4 --separate-stderr medcap-train --resume m.st.ckpt --arch transformer -o r.st "$FEAT"
    [[ "$stderr" == *"checkpoint holds a sat-lstm decoder, --arch asks for transformer"* ]]
    run -4 --separate-stderr medcap-train --resume m.st -o r.st "$FEAT"
    [[ "$stderr" == *"m.st: not a training checkpoint"* ]]
    run -2 --separate-stderr medcap-train --resume m.st.ckpt --train-encoder -o r.st "$IMGS"
    [[ "$stderr" == *"m.st.ckpt: checkpoint holds no encoder; resume without --train-encoder"* ]]
}

@test "medcap-train: usage errors" {
    run -2 --separate-stderr medcap-train
    [[ "$stderr" == *"no training file given"* ]]
    run -2 --separate-stderr medcap-train --epochs 0 "$FEAT"
    [[ "$stderr" == *"--epochs '0'"* ]]
    run -2 --separate-stderr medcap-train --lr x "$FEAT"
    run -2 --separate-stderr medcap-train --arch lstm9 "$FEAT"
    [[ "$stderr" == *"unknown decoder architecture 'lstm9'"* ]]
    run -2 --separate-stderr medcap-train a b
    [[ "$stderr" == *"more than one training file"* ]]
    assert_output ""
}

@test "medcap-train: a finished run removes its checkpoint unless --keep-checkpoint; --out is a deprecated -o" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 1 -o m.st "$FEAT" 2>/dev/null
    [ -s m.st ] && [ ! -e m.st.ckpt ]
    run -0 --separate-stderr medcap-train "${SMALL[@]}" --epochs 1 --keep-checkpoint --out k.st "$FEAT"
    [ -s k.st ] && [ -s k.st.ckpt ]
    [[ "$stderr" == *"warning: --out is deprecated and goes in the next release; use -o/--output"* ]]
}

@test "medcap-train: the progress bar on a terminal shows the time left; -q hides it" {
    cd "$BATS_TEST_TMPDIR"
    run -0 script -qec "medcap-train ${SMALL[*]} --epochs 2 -j 1 -o t.st '$FEAT'" /dev/null
    [[ "$output" == *"step "*" left"* ]] || { echo "$output"; false; }
    run -0 script -qec "medcap-train -q ${SMALL[*]} --epochs 2 -o t.st '$FEAT'" /dev/null
    [[ "$output" != *" left"* ]]
    [[ "$output" == *"epoch 2/2 step"* ]]
}
