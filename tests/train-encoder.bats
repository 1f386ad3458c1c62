#!/usr/bin/env bats
# medcap-train --train-encoder with a ResNet: it learns, resumes exactly
# (augmentation included), records its input, and refuses bad options.
load common

IMGS="$DATA/medpix2-16-64px.frames"
SMALL=(--min-freq 1 --hidden 32 --embed 16 --attn-dim 16 --batch 8 --threads 1 --fields none)

@test "train-encoder: ResNet-18 lowers its loss on 16 images, records its input size, and captions" {
    cd "$BATS_TEST_TMPDIR"
    run -0 medcap-train --train-encoder --encoder-arch resnet18 "${SMALL[@]}" --epochs 4 --lr 2e-3 \
        --dropout 0 --log log.ndjson -o m.st "$IMGS"
    first=$(jq -s '.[0].loss' log.ndjson)
    last=$(jq -s '.[-1].loss' log.ndjson)
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.1) }'
    grep -aq '"encoder_arch":"resnet18"' m.st
    grep -aq '"input_size":"\[64,64\]"' m.st
    grep -aq '"input_channels":"1"' m.st
    grep -aq '"encoder_augment":"crop,rotate,jitter"' m.st
    medcap-encode-features -m m.st -j 1 "$IMGS" > f.frames
    run -0 medcap-decode-caption -m m.st f.frames
    [ "${#lines[@]}" -eq 16 ]
    [[ "${lines[0]}" == *'"caption":"'* ]]
}

@test "train-encoder: ResNet-18 stopped mid-epoch and resumed ends with the same weights (one thread)" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train --train-encoder --encoder-arch resnet18 "${SMALL[@]}" --epochs 2 -o full.st "$IMGS" 2>/dev/null
    run -0 --separate-stderr medcap-train --train-encoder --encoder-arch resnet18 "${SMALL[@]}" --epochs 2 \
        --stop-after 3 -o part.st "$IMGS"
    [[ "$stderr" == *"stopped at step 3: checkpoint written to part.st.ckpt"* ]]
    run -0 medcap-train --train-encoder --resume part.st.ckpt --threads 1 -o part.st "$IMGS"
    cmp full.st part.st
}

@test "train-encoder: --augment none trains differently from the default, --freeze-bn keeps the running statistics" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train --train-encoder "${SMALL[@]}" --epochs 1 -o aug.st "$IMGS" 2>/dev/null
    medcap-train --train-encoder "${SMALL[@]}" --epochs 1 --augment none -o none.st "$IMGS" 2>/dev/null
    run -1 cmp -s aug.st none.st
    medcap-train --train-encoder "${SMALL[@]}" --epochs 1 --augment crop,rotate,jitter -o all.st "$IMGS" 2>/dev/null
    cmp aug.st all.st
    medcap-train --train-encoder "${SMALL[@]}" --epochs 1 --freeze-bn -o frozen.st "$IMGS" 2>/dev/null
    # running statistics untouched: still the initial mean 0 and variance 1
    python3 - frozen.st <<'EOF'
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
head = json.loads(raw[8:8 + n])
t = head['encoder.stages.0.bn.running_var']
a, b = t['data_offsets']
v = struct.unpack('<%df' % ((b - a) // 4), raw[8 + n + a:8 + n + b])
assert len(v) == 32 and all(x == 1.0 for x in v), v
EOF
}

@test "train-encoder: encoder options without --train-encoder, unknown ones, and a resume with another encoder are refused" {
    cd "$BATS_TEST_TMPDIR"
    run -2 --separate-stderr medcap-train --encoder-arch resnet18 -o m.st "$IMGS"
    [[ "$stderr" == *"medcap-train: --encoder-arch applies only with --train-encoder"* ]]
    assert_output ""
    run -2 --separate-stderr medcap-train --freeze-bn -o m.st "$IMGS"
    [[ "$stderr" == *"--freeze-bn applies only with --train-encoder"* ]]
    run -2 --separate-stderr medcap-train --train-encoder --encoder-arch resnet101 -o m.st "$IMGS"
    [[ "$stderr" == *"--encoder-arch 'resnet101': expected cnn-small, resnet18, resnet34 or resnet50"* ]]
    run -2 --separate-stderr medcap-train --train-encoder --augment crop,flip -o m.st "$IMGS"
    [[ "$stderr" == *"--augment 'crop,flip': expected none or a list of crop, rotate, jitter"* ]]
    medcap-train --train-encoder "${SMALL[@]}" --epochs 2 --stop-after 1 -o s.st "$IMGS" 2>/dev/null
    run -4 --separate-stderr medcap-train --train-encoder --encoder-arch resnet18 --resume s.st.ckpt -o r.st "$IMGS"
    [[ "$stderr" == *"s.st.ckpt: model holds a cnn-small encoder, --encoder-arch asks for resnet18"* ]]
    assert_output ""
}
