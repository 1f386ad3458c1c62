#!/usr/bin/env bats
# medcap-encode-features: image frames in, feature frames out.
load common

helper() { python3 "$ROOT/tests/encoder_helper.py" "$@"; }

# The test images and the cnn-small weight files (seeded, so the same bytes
# every time) are made once: each is seconds of pure Python.  A test copies
# what it uses into its own folder.
setup_file() {
    local W="$BATS_FILE_TMPDIR"
    helper images 3 1 64 64 > "$W/img.fr"
    helper weights 1 "$W/enc.safetensors"
    helper weights 1 "$W/full.safetensors" --prefix encoder. --caption-model
}

# weights NAME DEST: a copy of the weight file NAME made by setup_file
weights() { cp "$BATS_FILE_TMPDIR/$1.safetensors" "$2"; }

setup() {
    T="$BATS_TEST_TMPDIR"
    export MEDCAP_SHARE="$T/share"   # no shipped model here
    mkdir -p "$MEDCAP_SHARE"
    cp "$BATS_FILE_TMPDIR/img.fr" "$T/img.fr"
}

@test "encode-features: CLI contract" {
    check_cli_contract medcap-encode-features
}

@test "encode-features: --version names the OpenBLAS kernels" {
    run -0 medcap-encode-features --version
    assert_output --regexp '^medcap-encode-features [0-9.]+ \(OpenBLAS core [A-Za-z0-9]+\)$'
}

@test "encode-features: refuses random weights without --allow-random" {
    run -4 --separate-stderr medcap-encode-features "$T/img.fr"
    assert_output ""
    [[ "$stderr" == *"no model: $T/share/model.safetensors not found"*"--allow-random"* ]]
}

@test "encode-features: --allow-random writes one grid frame per image, record kept" {
    medcap-encode-features --allow-random "$T/img.fr" > "$T/out.fr"
    run -0 medcap-frame-info --meta "$T/out.fr"
    assert_line --index 0 --regexp '^img000	f32	4x256	4096	ok	\{"id":"img000","caption":"test image 0","encoder":"cnn-small","encoder_hash":"[0-9a-f]{8}","grid":\[2,2\],"feature":"grid"\}$'
    assert_line --index 2 --partial 'img002	f32	4x256'
    [ "${#lines[@]}" -eq 3 ]
}

@test "encode-features: reads standard input" {
    medcap-encode-features --allow-random < "$T/img.fr" > "$T/a.fr"
    medcap-encode-features --allow-random - < "$T/img.fr" > "$T/b.fr"
    medcap-encode-features --allow-random "$T/img.fr" > "$T/c.fr"
    cmp "$T/a.fr" "$T/c.fr"
    cmp "$T/b.fr" "$T/c.fr"
}

@test "encode-features: --features pooled and both" {
    medcap-encode-features --allow-random --features pooled "$T/img.fr" > "$T/p.fr"
    run -0 medcap-frame-info --meta "$T/p.fr"
    assert_line --index 0 --regexp '^img000	f32	256	1024	ok	.*"feature":"pooled"\}$'
    [ "${#lines[@]}" -eq 3 ]
    medcap-encode-features --allow-random --features both "$T/img.fr" > "$T/both.fr"
    run -0 medcap-frame-info --meta "$T/both.fr"
    [ "${#lines[@]}" -eq 6 ]
    assert_line --index 0 --partial '"feature":"grid"'
    assert_line --index 1 --partial '"feature":"pooled"'
    assert_line --index 4 --partial 'img002	f32	4x256'
    assert_line --index 5 --partial 'img002	f32	256'
}

@test "encode-features: pooled vector is the mean of the grid" {
    medcap-encode-features --allow-random --features both "$T/img.fr" > "$T/both.fr"
    run -0 python3 -c "
import sys; sys.path.insert(0, '$ROOT/tests')
import encoder_helper as h
f = h.read_frames('$T/both.fr')
grid, pooled = f[0][2], f[1][2]
C = 256
for c in range(C):
    m = sum(grid[p * C + c] for p in range(4)) / 4
    assert abs(m - pooled[c]) <= 1e-5 * (1 + abs(m)), (c, m, pooled[c])
print('ok')"
    assert_output ok
}

@test "encode-features: --layout appends the image's unit-length N x N layout" {
    medcap-encode-features --allow-random --features both "$T/img.fr" > "$T/both.fr"
    medcap-encode-features --allow-random --features pooled --layout 4 "$T/img.fr" > "$T/lay.fr"
    run -0 medcap-frame-info --meta "$T/lay.fr"
    assert_line --index 0 --regexp '^img000	f32	272	1088	ok	.*"feature":"pooled\+layout"\}$'
    # the CNN part is the pooled vector at unit length; the layout is the
    # mean of each 16x16 cell of the 64x64 image, centred and at unit length
    # (the encoder's input normalisation is affine, so it cancels)
    run -0 python3 -c "
import math, sys; sys.path.insert(0, '$ROOT/tests')
import encoder_helper as h
both, lay, img = h.read_frames('$T/both.fr'), h.read_frames('$T/lay.fr'), h.read_frames('$T/img.fr')
for i in range(3):
    pooled, got = both[2 * i + 1][2], lay[i][2]
    assert len(pooled) == 256 and len(got) == 272, (len(pooled), len(got))
    n = math.sqrt(sum(v * v for v in pooled))
    assert all(abs(a / n - b) < 1e-5 for a, b in zip(pooled, got[:256]))
    px = [(v / 255 - 0.5) / 0.25 for v in img[i][2]]
    cells = [sum(px[r * 64 + c] for r in range(16 * a, 16 * a + 16) for c in range(16 * b, 16 * b + 16)) / 256
             for a in range(4) for b in range(4)]
    m = sum(cells) / 16
    cells = [c - m for c in cells]
    n = math.sqrt(sum(c * c for c in cells))
    want = [c / n for c in cells]
    assert all(abs(a - b) < 1e-4 for a, b in zip(want, got[256:])), (want, got[256:])
print('ok')"
    assert_output ok
    # grid frames are unchanged by --layout; pooled frames are still skipped
    # by the grid readers
    medcap-encode-features --allow-random --features both --layout 4 "$T/img.fr" > "$T/both4.fr"
    run -0 medcap-frame-info "$T/both4.fr"
    assert_line --index 0 --partial 'img000	f32	4x256'
    assert_line --index 1 --partial 'img000	f32	272'
    # usage and input errors
    run -2 --separate-stderr medcap-encode-features --allow-random --layout 4 "$T/img.fr"
    [[ "$stderr" == *"--layout is part of the pooled output: give --features pooled or both"* ]]
    run -2 --separate-stderr medcap-encode-features --allow-random --features pooled --layout 33 "$T/img.fr"
    [[ "$stderr" == *"--layout"* ]]
    helper images 1 1 8 8 > "$T/small.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random --features pooled --layout 16 "$T/small.fr"
    assert_output ""
    [[ "$stderr" == *"frame 1: a 8x8 image is smaller than its --layout 16"* ]]
}

@test "encode-features: an image's features do not depend on its batch (bit-identical)" {
    helper images 5 1 64 64 > "$T/five.fr"
    for b in 1 2 4 5; do
        medcap-encode-features --allow-random --threads 1 --batch $b "$T/five.fr" > "$T/b$b.fr"
    done
    for b in 2 4 5; do cmp "$T/b1.fr" "$T/b$b.fr"; done
    # the same for two threads (each convolution's output channels are split
    # the same way whatever the batch)
    medcap-encode-features --allow-random --threads 2 --batch 1 "$T/five.fr" > "$T/t2b1.fr"
    medcap-encode-features --allow-random --threads 2 --batch 4 "$T/five.fr" > "$T/t2b4.fr"
    cmp "$T/t2b1.fr" "$T/t2b4.fr"
    run -0 helper compare "$T/b1.fr" "$T/t2b1.fr" 1e-4
    # ResNet-50's 1x1 convolutions read the activations without im2col
    helper images 3 3 32 32 > "$T/rgb.fr"
    medcap-encode-features --allow-random --arch resnet50 --threads 1 --batch 1 "$T/rgb.fr" > "$T/r1.fr"
    medcap-encode-features --allow-random --arch resnet50 --threads 1 --batch 3 "$T/rgb.fr" > "$T/r3.fr"
    cmp "$T/r1.fr" "$T/r3.fr"
    # three threads: the pooling, residual and element-wise passes split too
    medcap-encode-features --allow-random --arch resnet18 --threads 1 --batch 1 "$T/rgb.fr" > "$T/s1.fr"
    medcap-encode-features --allow-random --arch resnet18 --threads 3 --batch 1 "$T/rgb.fr" > "$T/s3b1.fr"
    medcap-encode-features --allow-random --arch resnet18 --threads 3 --batch 2 "$T/rgb.fr" > "$T/s3b2.fr"
    cmp "$T/s3b1.fr" "$T/s3b2.fr"
    run -0 helper compare "$T/s1.fr" "$T/s3b1.fr" 1e-4
}

@test "encode-features: --seed changes the random weights and their hash" {
    medcap-encode-features --allow-random "$T/img.fr" > "$T/s0.fr"
    medcap-encode-features --allow-random --seed 5 "$T/img.fr" > "$T/s5.fr"
    run -0 medcap-frame-info --meta "$T/s0.fr"
    h0=$(grep -o '"encoder_hash":"[0-9a-f]*"' <<<"${lines[0]}")
    run -0 medcap-frame-info --meta "$T/s5.fr"
    h5=$(grep -o '"encoder_hash":"[0-9a-f]*"' <<<"${lines[0]}")
    [ -n "$h0" ]
    [ "$h0" != "$h5" ]
}

@test "encode-features: images of different sizes keep their order" {
    { helper images 2 1 64 64; helper images 1 1 32 48 --seed 2; helper images 1 1 64 64 --seed 3; } > "$T/mixed.fr"
    medcap-encode-features --allow-random --batch 8 "$T/mixed.fr" > "$T/m.fr"
    run -0 medcap-frame-info "$T/m.fr"
    assert_line --index 0 --partial 'img000	f32	4x256'
    assert_line --index 1 --partial 'img001	f32	4x256'
    assert_line --index 2 --partial 'img000	f32	2x256'
    assert_line --index 3 --partial 'img000	f32	4x256'
}

@test "encode-features: U16 and F32 images are accepted" {
    helper images 1 1 32 32 --dtype u16 > "$T/u16.fr"
    helper images 1 1 32 32 --dtype f32 > "$T/f32.fr"
    medcap-encode-features --allow-random "$T/u16.fr" > "$T/u16.out"
    medcap-encode-features --allow-random "$T/f32.fr" > "$T/f32.out"
    run -0 medcap-frame-info "$T/u16.out" "$T/f32.out"
    assert_line --index 0 --partial 'img000	f32	1x256'
    assert_line --index 1 --partial 'img000	f32	1x256'
}

@test "encode-features and train --train-encoder: F32 pixels outside [0,1] are bad input" {
    printf '{"id":"q","image":"%s","caption":"four quadrants"}\n' "$ROOT/tests/data/images/quadrants.jpg" |
        medcap-img-resize --float --mean 0.5 --std 0.25 --size 32 > "$T/norm.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random "$T/norm.fr"
    assert_output ""
    [[ "$stderr" == *"norm.fr: frame 1: F32 pixel value -2 is outside [0,1] (write images with img-resize, U8 or --float without --mean/--std)"* ]]
    run -1 --separate-stderr medcap-train --train-encoder -e 1 -o "$T/m.st" "$T/norm.fr"
    [[ "$stderr" == *"norm.fr:1: record 'q': F32 pixel value -2 is outside [0,1]"* ]]
    [ ! -e "$T/m.st" ]
    # --float without --mean/--std is in [0,1] and accepted
    printf '{"id":"q","image":"%s"}\n' "$ROOT/tests/data/images/quadrants.jpg" |
        medcap-img-resize --float --size 32 | medcap-encode-features --allow-random --features pooled > "$T/ok.fr"
    run -0 medcap-frame-info --count "$T/ok.fr"
    assert_output 1
}

@test "encode-features: --arch resnet18 on colour images" {
    helper images 2 3 64 64 > "$T/rgb.fr"
    medcap-encode-features --allow-random --arch resnet18 "$T/rgb.fr" > "$T/r18.fr"
    run -0 medcap-frame-info --meta "$T/r18.fr"
    assert_line --index 0 --regexp '^img000	f32	4x512	8192	ok	.*"encoder":"resnet18".*"grid":\[2,2\]'
}

@test "encode-features: --model with an encoder file, and a full caption model" {
    weights enc "$T/enc.safetensors"
    weights full "$T/full.safetensors"
    medcap-encode-features --model "$T/enc.safetensors" "$T/img.fr" > "$T/e.fr"
    medcap-encode-features -m "$T/full.safetensors" "$T/img.fr" > "$T/f.fr"
    cmp "$T/e.fr" "$T/f.fr"
    medcap-encode-features --allow-random "$T/img.fr" > "$T/r.fr"
    run -1 cmp -s "$T/e.fr" "$T/r.fr"
}

@test "encode-features: the shipped model is used when there is no --model" {
    weights full "$MEDCAP_SHARE/model.safetensors"
    medcap-encode-features "$T/img.fr" > "$T/shipped.fr"
    medcap-encode-features --model "$MEDCAP_SHARE/model.safetensors" "$T/img.fr" > "$T/explicit.fr"
    cmp "$T/shipped.fr" "$T/explicit.fr"
}

@test "encode-features: a model file with a wrong shape is exit 4, naming the tensor" {
    helper weights 1 "$T/bad.safetensors" --bad-shape
    run -4 --separate-stderr medcap-encode-features --model "$T/bad.safetensors" "$T/img.fr"
    assert_output ""
    [[ "$stderr" == *"tensor 'stages.2.conv.weight' has shape [128,65,3,3], expected [128,64,3,3]"* ]]
}

@test "encode-features: a truncated model file is exit 4; a missing one exit 3" {
    weights enc "$T/enc.safetensors"
    head -c 5000 "$T/enc.safetensors" > "$T/cut.safetensors"
    run -4 --separate-stderr medcap-encode-features --model "$T/cut.safetensors" "$T/img.fr"
    assert_output ""
    [[ "$stderr" == *"cut.safetensors: tensor 'stages."*"reach past the end"* ]]
    run -3 --separate-stderr medcap-encode-features --model "$T/none.safetensors" "$T/img.fr"
    assert_output ""
    [[ "$stderr" == *"none.safetensors: cannot open"* ]]
    # checked before any input is read, even when there is none
    run -4 --separate-stderr medcap-encode-features --model "$T/cut.safetensors" < /dev/null
    [[ "$stderr" == *"reach past the end"* ]]
}

@test "encode-features: --arch that contradicts the model file is exit 4" {
    weights enc "$T/enc.safetensors"
    run -4 --separate-stderr medcap-encode-features --model "$T/enc.safetensors" --arch resnet18 "$T/img.fr"
    assert_output ""
    [[ "$stderr" == *"the model's encoder is cnn-small, not --arch resnet18"* ]]
}

@test "encode-features: --verbose reports encoder, kernels and speed" {
    run -0 --separate-stderr medcap-encode-features --allow-random --verbose "$T/img.fr"
    [[ "$stderr" == *"encoder cnn-small (1 input channels, 256 features, hash "*"OpenBLAS core "* ]]
    [[ "$stderr" == *"3 images in "*" images/s, "*" convolution GFLOP/s overall)"* ]]
}

@test "encode-features: empty input gives empty output" {
    run -0 medcap-encode-features --allow-random < /dev/null
    assert_output ""
}

@test "encode-features: NDJSON input is exit 1" {
    echo '{"id":"a"}' > "$T/rec.ndjson"
    run -1 --separate-stderr medcap-encode-features --allow-random "$T/rec.ndjson"
    assert_output ""
    [[ "$stderr" == *"rec.ndjson: input is NDJSON records, not image frames"* ]]
}

@test "encode-features: a truncated frame is exit 1 naming it; earlier images are written" {
    head -c 6000 "$T/img.fr" > "$T/cut.fr"
    helper images 1 1 64 64 > "$T/one.fr"
    medcap-encode-features --allow-random "$T/one.fr" > "$T/first.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random "$T/cut.fr"
    [[ "$stderr" == *"cut.fr: frame 2: truncated frame"* ]]
    medcap-encode-features --allow-random "$T/cut.fr" > "$T/partial.fr" || true
    run -0 helper compare "$T/first.fr" "$T/partial.fr" 1e-4
}

@test "encode-features: nothing is written when the first frame is bad" {
    helper images 1 1 8 8 --ndim 1 > "$T/flat.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random "$T/flat.fr"
    assert_output ""
    [[ "$stderr" == *"frame 1: not an image ([C,H,W] or [H,W] expected, got 1 dimensions)"* ]]
    helper images 1 1 8 8 --no-id > "$T/noid.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random "$T/noid.fr"
    assert_output ""
    [[ "$stderr" == *"frame 1: metadata is not a JSON record with a string \"id\""* ]]
    helper images 1 5 8 8 > "$T/five.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random "$T/five.fr"
    assert_output ""
    [[ "$stderr" == *"frame 1: image of 5 channels"* ]]
}

@test "encode-features: a change of channel count is exit 1" {
    { helper images 1 1 32 32; helper images 1 3 32 32; } > "$T/chan.fr"
    run -1 --separate-stderr medcap-encode-features --allow-random --batch 4 "$T/chan.fr"
    [[ "$stderr" == *"chan.fr: frame 2: image has 3 channels, the encoder takes 1"* ]]
}

@test "encode-features: bad option values are usage errors" {
    for bad in "--output x" "--batch 0" "--batch 1025" "--threads 0" "--arch vgg" "--seed -1" \
               "--model a --allow-random"; do
        run -2 --separate-stderr medcap-encode-features $bad "$T/img.fr"
        assert_output ""
        [[ "$stderr" == *"medcap-encode-features: "* ]]
    done
    run -2 --separate-stderr medcap-encode-features --output x
    [[ "$stderr" == *"--features must be grid, pooled or both, not 'x'"* ]]
    run -2 --separate-stderr medcap-encode-features "$T/img.fr" "$T/img.fr"
    [[ "$stderr" == *"at most one input FILE"* ]]
}

# MedPix 2.0 images (Siragusa et al. 2025, NLM MedPix); credit in examples/images/README.
@test "encode-features: real example images through medcap-img-resize" {
    for img in MPX1007_synpic46719.png MPX1009_synpic46283.png; do
        printf '{"id":"%s","image":"%s"}\n' "$img" "$ROOT/examples/images/$img"
    done > "$T/recs.ndjson"
    medcap-img-resize --size 96 "$T/recs.ndjson" > "$T/real.fr"
    medcap-encode-features --allow-random --arch resnet18 "$T/real.fr" > "$T/real-feat.fr"
    run -0 medcap-frame-info --meta "$T/real-feat.fr"
    assert_line --index 0 --regexp '^MPX1007_synpic46719.png	f32	9x512	18432	ok	.*"grid":\[3,3\]'
    assert_line --index 1 --partial 'MPX1009_synpic46283.png	f32	9x512'
}

@test "encode-features: --keep-going skips a damaged frame (CRC) and bad images, encodes the rest, exit 5" {
    helper images 1 1 64 64 > "$T/one.fr"
    cp "$T/one.fr" "$T/bad.fr"
    # flip the last pixel: the payload's CRC no longer matches, the stream stays in step
    python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 0xff; open(sys.argv[1], "wb").write(b)' "$T/bad.fr"
    helper images 1 1 8 8 --ndim 1 > "$T/flat.fr"
    cat "$T/one.fr" "$T/bad.fr" "$T/flat.fr" "$T/one.fr" > "$T/mixed.fr"
    run -1 --separate-stderr bash -c 'medcap-encode-features --allow-random "$1" > "$2"' _ "$T/mixed.fr" "$T/out.fr"
    [[ "$stderr" == *"mixed.fr: frame 2: frame CRC mismatch"* ]]
    run -5 --separate-stderr bash -c 'medcap-encode-features --allow-random --keep-going "$1" > "$2"' _ "$T/mixed.fr" "$T/out.fr"
    [[ "$stderr" == *"mixed.fr: frame 2: frame CRC mismatch"* ]]
    [[ "$stderr" == *"mixed.fr: frame 3: not an image"* ]]
    [[ "$stderr" == *"2 frame(s) skipped"* ]]
    run -0 medcap-frame-info --count "$T/out.fr"
    assert_output 2
}

@test "encode-features: images of another size than the model's are exit 4, saying the fix" {
    run -4 --separate-stderr bash -c 'medcap-encode-features --model "$1" "$2" > /dev/null' _ \
        "$ROOT/share/medcap/model.safetensors" "$T/img.fr"
    [[ "$stderr" == *"img.fr: frame 1: a 64x64 image, but $ROOT/share/medcap/model.safetensors was trained on 128x128 images; make them with medcap-img-resize --model"* ]]
}

@test "encode-features: deprecated -t and -o WHAT still work, with a warning (none with -q)" {
    run -0 --separate-stderr bash -c 'medcap-encode-features --allow-random -t 1 -o pooled "$1" | medcap-frame-info --count' _ "$T/img.fr"
    assert_output 3
    [[ "$stderr" == *"warning: -t is deprecated and goes in the next release; use -j/--threads"* ]]
    [[ "$stderr" == *"warning: -o/--output WHAT is deprecated"*"use --features WHAT"* ]]
    run -0 --separate-stderr bash -c 'medcap-encode-features -q --allow-random -t 1 "$1" > /dev/null' _ "$T/img.fr"
    [ -z "$stderr" ]
}

@test "encode-features: binary frames to a terminal, or a terminal on standard input, are usage errors" {
    run -2 script -qec "medcap-encode-features --allow-random '$T/img.fr'" /dev/null
    [[ "$output" == *"standard output is a terminal"* ]] || { echo "$output"; false; }
    run -0 script -qec "medcap-encode-features --allow-random > '$T/x.fr'; echo status \$?" /dev/null
    [[ "$output" == *"standard input is a terminal"*"status 2"* ]] || { echo "$output"; false; }
}
