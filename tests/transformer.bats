#!/usr/bin/env bats
# The "transformer" decoder architecture end to end: medcap-train --arch
# transformer and medcap-decode-caption with the model it writes.
load common

FEAT="$DATA/medpix2-16-features.frames"
SMALL=(--arch transformer --min-freq 1 --embed 16 --heads 2 --layers 1 --batch 8 --threads 1)

@test "transformer: learns 16 real captions, greedy decoding reproduces them (BLEU-4 1)" {
    cd "$BATS_TEST_TMPDIR"
    run -0 medcap-train --arch transformer --min-freq 1 --embed 64 --layers 2 --heads 4 \
        --dropout 0 --label-smoothing 0 --max-len 30 --min-len 0 --epochs 150 --batch 8 --lr 5e-3 --warmup 0 --seed 3 \
        --threads 1 --val "$FEAT" --log log.ndjson -o m.st "$FEAT"
    grep -aq '"arch":"transformer"' m.st
    last=$(tail -1 log.ndjson)
    [[ "$last" == *'"val_bleu4":1,'* || "$last" == *'"val_bleu4":1}'* ]]
    loss=$(sed 's/.*"loss":\([0-9.e-]*\).*/\1/' <<<"$last")
    awk -v l="$loss" 'BEGIN { exit !(l < 0.15) }'
    medcap-decode-caption -m m.st "$FEAT" > pred.ndjson
    run -0 medcap-score --refs "$DATA/medpix2-16-captions.ndjson" pred.ndjson
    [[ "$output" == *'"bleu_4":0.99999'* || "$output" == *'"bleu_4":1'* ]]
    medcap-decode-caption -m m.st --beam 3 "$FEAT" > beam.ndjson
    # images decoded side by side on threads: the same bytes
    cmp beam.ndjson <(medcap-decode-caption -m m.st --beam 3 -j 3 "$FEAT")
    cmp <(medcap-decode-caption -m m.st -j 1 "$FEAT") <(medcap-decode-caption -m m.st -j 3 "$FEAT")
    run -0 medcap-score --refs "$DATA/medpix2-16-captions.ndjson" beam.ndjson
    [[ "$output" == *'"bleu_4":0.99999'* || "$output" == *'"bleu_4":1'* ]]
}

@test "transformer: same seed and one thread give bit-identical weights; another seed differs" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 2 --seed 7 -o a.st "$FEAT" 2>/dev/null
    medcap-train "${SMALL[@]}" --epochs 2 --seed 7 -o b.st "$FEAT" 2>/dev/null
    cmp a.st b.st
    medcap-train "${SMALL[@]}" --epochs 2 --seed 8 -o c.st "$FEAT" 2>/dev/null
    run ! cmp -s a.st c.st
}

@test "transformer: stopped mid-epoch and resumed ends with the same weights" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 3 -o full.st "$FEAT" 2>/dev/null
    run -0 --separate-stderr medcap-train "${SMALL[@]}" --epochs 3 --stop-after 3 -o part.st "$FEAT"
    [ ! -e part.st ]
    run -0 medcap-train --resume part.st.ckpt --threads 1 -o part.st "$FEAT"
    cmp full.st part.st
}

@test "transformer: --attention gives one grid-shaped map per word, each summing to 1" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train "${SMALL[@]}" --epochs 2 -o t.st "$FEAT" 2>/dev/null
    medcap-decode-caption -m t.st --attention --max-len 5 "$FEAT" > att.ndjson
    [ "$(wc -l < att.ndjson)" -eq 16 ]
    run -0 python3 - att.ndjson <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    words = r["caption"].split()
    att = r["attention"]
    assert 1 <= len(att) <= 5 and len(att) >= len(words), (len(att), words)
    for m in att:  # the features' grid is 2x2
        assert len(m) == 2 and all(len(row) == 2 for row in m), m
        assert abs(sum(sum(row) for row in m) - 1) < 1e-3, m
PY
}

@test "transformer: a width that is not a multiple of the heads is a usage error" {
    run -2 --separate-stderr medcap-train --arch transformer --embed 30 --heads 4 --min-freq 1 \
        -o "$BATS_TEST_TMPDIR/x.st" "$FEAT"
    assert_output ""
    [[ "$stderr" == *"medcap-train:"*"heads"* ]]
}
