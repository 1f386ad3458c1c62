#!/usr/bin/env bats
# medcap-img-resize: records or paths in, one [C,S,S] frame per image out.
load common

export IMAGES="$DATA/images"

setup() {
    cd "$BATS_TEST_TMPDIR"
    # records as csv-clean writes them, with keys img-resize must keep
    printf '%s\n' \
        '{"id":"MPX1007_synpic46719","image":"MPX1007_synpic46719.png","caption":"modality: mr, plane: axial","split":"dev","labels":["a","b"]}' \
        '{"id":"MPX1009_synpic46283","image":"MPX1009_synpic46283.png","caption":"modality: ct"}' \
        '{"id":"ards","image":"ARDSSevere.jpg","modality":"xr"}' >records.jsonl
}

# A binary PGM: pgm FILE WIDTH HEIGHT MAXVAL BYTES (printf escapes).
pgm() {
    { printf 'P5\n%s %s\n%s\n' "$2" "$3" "$4"; printf "$5"; } >"$1"
}

# The tensor bytes of the first frame of FILE as decimal numbers (TYPE: u1 or f4).
values() {
    medcap-frame-to-npy "$1" | tail -c "$2" | od -An -v -t "$3" | xargs
}

@test "img-resize: CLI contract" {
    check_cli_contract medcap-img-resize
}

@test "img-resize: records with --root give one u8 1x224x224 frame each, in order" {
    run -0 bash -c 'medcap-img-resize --size 224 --root "$IMAGES" records.jsonl | medcap-frame-info'
    assert_line --index 0 "MPX1007_synpic46719	u8	1x224x224	50176	ok"
    assert_line --index 1 "MPX1009_synpic46283	u8	1x224x224	50176	ok"
    assert_line --index 2 "ards	u8	1x224x224	50176	ok"
    [ "${#lines[@]}" -eq 3 ]
}

@test "img-resize: metadata keeps every key of the record and adds the original size" {
    run -0 bash -c 'medcap-img-resize --root "$IMAGES" records.jsonl | medcap-frame-info --meta'
    assert_line --index 0 --partial '{"id":"MPX1007_synpic46719","image":"MPX1007_synpic46719.png","caption":"modality: mr, plane: axial","split":"dev","labels":["a","b"],"width":214,"height":256}'
    assert_line --index 2 --partial '"modality":"xr","width":512,"height":409}'
}

@test "img-resize: bare path lines take the file name without extension as id" {
    printf '%s\n' "$IMAGES/kjr-21-e24-g001-l-a.jpg" "" "$IMAGES/MPX1007_synpic46720.png" >paths.txt
    run -0 bash -c 'medcap-img-resize -s 224 paths.txt | medcap-frame-info --meta'
    assert_line --index 0 --partial "kjr-21-e24-g001-l-a	u8	1x224x224"
    assert_line --index 0 --partial "\"image\":\"$IMAGES/kjr-21-e24-g001-l-a.jpg\",\"width\":328,\"height\":237}"
    assert_line --index 1 --partial "MPX1007_synpic46720	u8"
}

@test "img-resize: reads standard input" {
    run -0 bash -c 'echo "$IMAGES/ARDSSevere.jpg" | medcap-img-resize -s 224 | medcap-frame-info'
    assert_output "ARDSSevere	u8	1x224x224	50176	ok"
}

@test "img-resize: --size and --channels 3" {
    run -0 bash -c 'medcap-img-resize --size 32 --channels 3 --root "$IMAGES" records.jsonl | medcap-frame-info'
    assert_line --index 0 "MPX1007_synpic46719	u8	3x32x32	3072	ok"
}

@test "img-resize: --fit letterbox pads with black, centred" {
    pgm wide.pgm 4 2 255 '\310\310\310\310\310\310\310\310'
    echo wide.pgm | medcap-img-resize --size 4 >out.frames
    run -0 values out.frames 16 u1
    assert_output "0 0 0 0 200 200 200 200 200 200 200 200 0 0 0 0"
}

@test "img-resize: --fit crop keeps the centre, --fit stretch the whole image" {
    # columns 10 20 30 40; crop to 2x2 keeps the middle columns
    pgm cols.pgm 4 2 255 '\012\024\036\050\012\024\036\050'
    echo cols.pgm | medcap-img-resize --size 2 --fit crop >crop.frames
    run -0 values crop.frames 4 u1
    assert_output "20 30 20 30"
    echo cols.pgm | medcap-img-resize --size 4 --fit stretch >stretch.frames
    run -0 values stretch.frames 16 u1
    assert_output "10 20 30 40 10 20 30 40 10 20 30 40 10 20 30 40"
}

@test "img-resize: RGB becomes luma (ITU-R 601), grey becomes three equal channels" {
    printf 'P6\n1 1\n255\n\144\226\310' >rgb.ppm
    echo rgb.ppm | medcap-img-resize --size 1 >grey.frames
    run -0 values grey.frames 1 u1
    assert_output "141"
    pgm one.pgm 1 1 255 '\007'
    echo one.pgm | medcap-img-resize --size 1 --channels 3 >three.frames
    run -0 values three.frames 3 u1
    assert_output "7 7 7"
}

@test "img-resize: --float writes f32 (v/255 - mean)/std" {
    pgm two.pgm 2 1 255 '\000\377'
    echo two.pgm | medcap-img-resize --size 2 --fit stretch --float >plain.frames
    run -0 values plain.frames 16 f4
    assert_output "0 1 0 1"
    echo two.pgm | medcap-img-resize --size 2 --fit stretch --float --mean 0.5 --std 0.25 >norm.frames
    run -0 values norm.frames 16 f4
    assert_output "-2 2 -2 2"
    run -0 medcap-frame-info norm.frames
    assert_output "two	f32	1x2x2	16	ok"
}

@test "img-resize: --mean and --std take one value per channel" {
    printf 'P6\n1 1\n255\n\377\377\377' >white.ppm
    echo white.ppm | medcap-img-resize --size 1 -c 3 --float --mean 0,0.5,1 --std 1,0.5,2 >out.frames
    run -0 values out.frames 12 f4
    assert_output "1 1 0"
}

@test "img-resize: 16-bit images keep their depth until the final conversion" {
    pgm deep.pgm 1 1 65535 '\003\350' # 1000 of 65535
    echo deep.pgm | medcap-img-resize --size 1 >u8.frames
    run -0 values u8.frames 1 u1
    assert_output "4" # 1000 * 255 / 65535 = 3.89; an 8-bit path would give 3
    echo deep.pgm | medcap-img-resize --size 1 --float >f32.frames
    run -0 values f32.frames 4 f4
    assert_output "0.015259022"
}

@test "img-resize: -j 1 and -j 2 write the same frames in input order" {
    for i in 1 2 3 4; do jq -c ".id += \"-$i\"" records.jsonl; done >many.jsonl
    medcap-img-resize -j 1 --root "$IMAGES" many.jsonl >one.frames
    medcap-img-resize -j 2 --root "$IMAGES" many.jsonl >two.frames
    cmp one.frames two.frames
    run -0 medcap-frame-info --count two.frames
    assert_output "12"
}

@test "img-resize: --max-pixels refuses a larger image before decoding" {
    run -1 --separate-stderr medcap-img-resize --max-pixels 50000 --root "$IMAGES" records.jsonl
    assert_output ""
    [[ "$stderr" == *"records.jsonl:1: $IMAGES/MPX1007_synpic46719.png: image is 214x256, over --max-pixels 50000"* ]]
    run -0 bash -c 'medcap-img-resize --max-pixels 65536 --root "$IMAGES" <(sed -n 2p records.jsonl) | medcap-frame-info --count'
    assert_output "1"
}

@test "img-resize: a missing image names file and line, exit 3" {
    printf '%s\n' '{"id":"gone","image":"no-such.png"}' >gone.jsonl
    run -3 --separate-stderr medcap-img-resize --root "$IMAGES" gone.jsonl
    assert_output ""
    [[ "$stderr" == *"medcap-img-resize: gone.jsonl:1: $IMAGES/no-such.png: cannot open: No such file or directory"* ]]
}

@test "img-resize: a corrupt PNG is an error, exit 1" {
    cp "$IMAGES/MPX1007_synpic46720.png" corrupt.png
    chmod u+w corrupt.png
    printf '\336\255\276\357\336\255\276\357' | dd of=corrupt.png bs=1 seek=5000 conv=notrunc 2>/dev/null
    run -1 --separate-stderr medcap-img-resize <<<"corrupt.png"
    assert_output ""
    [[ "$stderr" == *"-:1: corrupt.png: cannot read image: "* ]]
}

@test "img-resize: truncated PNG and JPEG files are errors, exit 1" {
    head -c 20000 "$IMAGES/MPX1007_synpic46719.png" >cut.png
    head -c 15000 "$IMAGES/ARDSSevere.jpg" >cut.jpg
    run -1 --separate-stderr medcap-img-resize <<<"cut.png"
    assert_output ""
    [[ "$stderr" == *"cut.png: cannot read image: "*"not enough data"* ]]
    run -1 --separate-stderr medcap-img-resize <<<"cut.jpg"
    assert_output ""
    [[ "$stderr" == *"cut.jpg: cannot read image: "*"Premature end"* ]]
}

@test "img-resize: a file that is not an image, exit 1" {
    echo "not an image" >text.png
    run -1 --separate-stderr medcap-img-resize <<<"text.png"
    assert_output ""
    [[ "$stderr" == *"-:1: text.png: not an image format libvips can read"* ]]
}

@test "img-resize: --keep-going skips bad images, writes the rest, exit 5" {
    echo "not an image" >text.png
    { sed -n 1p records.jsonl; echo '{"id":"gone","image":"no-such.png"}'; echo "$PWD/text.png"; sed -n 3p records.jsonl; } >mixed.jsonl
    run -5 --separate-stderr medcap-img-resize --keep-going --root "$IMAGES" mixed.jsonl
    [[ "$stderr" == *"mixed.jsonl:2: $IMAGES/no-such.png: cannot open"* ]]
    [[ "$stderr" == *"mixed.jsonl:3: $PWD/text.png: not an image format"* ]]
    [[ "$stderr" == *"skipped 2 of 4 images"* ]]
    medcap-img-resize --keep-going --root "$IMAGES" mixed.jsonl >kept.frames || [ $? -eq 5 ]
    run -0 medcap-frame-info kept.frames
    assert_line --index 0 --partial "MPX1007_synpic46719"
    assert_line --index 1 --partial "ards"
    [ "${#lines[@]}" -eq 2 ]
}

@test "img-resize: -j 4 --keep-going: each of many failing images gets its own message" {
    # libvips has one error buffer per process; worker threads failing at
    # once must not read or clear each other's messages
    # 100 PNGs and 100 JPEGs cut short, every tenth line a whole image (one
    # Python run: a traced shell loop of 200 head runs took seconds)
    python3 - "$IMAGES" <<'PY'
import sys
d = sys.argv[1]
png = open(d + "/MPX1007_synpic46719.png", "rb").read()
jpg = open(d + "/ARDSSevere.jpg", "rb").read()
with open("many.txt", "w") as m:
    for i in range(1, 101):
        open("cut%d.png" % i, "wb").write(png[:15000 + i * 41])
        open("cut%d.jpg" % i, "wb").write(jpg[:10000 + i * 53])
        m.write("cut%d.png\ncut%d.jpg\n" % (i, i))
        if i % 10 == 0:
            open("whole%d.jpg" % i, "wb").write(jpg)
            m.write("whole%d.jpg\n" % i)
PY
    local png='many\.txt:[0-9]+: cut[0-9]+\.png: cannot read image: vipspng: .*not enough data'
    local jpg='many\.txt:[0-9]+: cut[0-9]+\.jpg: cannot read image: VipsJpeg: Premature end'
    for round in 1 2 3 4; do
        run -5 --separate-stderr medcap-img-resize -j 4 --keep-going --size 32 many.txt
        [[ "$stderr" == *"skipped 200 of 210 images"* ]]
        # every other line is one image's own message, 200 of them
        grep -vF "skipped 200 of 210" <<<"$stderr" > msgs.txt || true
        if grep -vE "$png|$jpg" msgs.txt; then echo "bad message(s) above"; return 1; fi
        [ "$(wc -l < msgs.txt)" -eq 200 ]
    done
    medcap-img-resize -j 4 --keep-going --size 32 many.txt 2>/dev/null >kept.frames || [ $? -eq 5 ]
    run -0 medcap-frame-info kept.frames
    [ "${#lines[@]}" -eq 10 ]
}

@test "img-resize: a malformed JSON line names file and line, exit 1" {
    { sed -n 1p records.jsonl; echo '{"id": "x", "image": '; } >bad.jsonl
    run -1 --separate-stderr medcap-img-resize -j 1 --root "$IMAGES" <(sed -n 2p bad.jsonl)
    assert_output ""
    [[ "$stderr" == *":1: malformed JSON near column"* ]]
    run -1 --separate-stderr medcap-img-resize --root "$IMAGES" bad.jsonl
    [[ "$stderr" == *"bad.jsonl:2: malformed JSON near column"* ]]
}

@test "img-resize: a record without a string id or image, exit 1" {
    run -1 --separate-stderr medcap-img-resize <<<'{"image":"a.png"}'
    assert_output ""
    [[ "$stderr" == *"-:1: record has no string \"id\""* ]]
    run -1 --separate-stderr medcap-img-resize <<<'{"id":"a","image":3}'
    assert_output ""
    [[ "$stderr" == *"-:1: record has no string \"image\""* ]]
}

@test "img-resize: empty input is exit 0 with nothing written" {
    run -0 --separate-stderr medcap-img-resize </dev/null
    assert_output ""
    [[ "$stderr" == *"no records or image paths in the input: nothing written"* ]]
    run -0 --separate-stderr medcap-img-resize -q </dev/null
    assert_output ""
    [ -z "$stderr" ]
}

@test "img-resize: frames as input are refused, exit 1" {
    echo "$IMAGES/ARDSSevere.jpg" | medcap-img-resize >one.frames
    run -1 --separate-stderr medcap-img-resize one.frames
    assert_output ""
    [[ "$stderr" == *"one.frames: input is binary frames, not records or image paths"* ]]
}

@test "img-resize: bad option values are usage errors, exit 2" {
    for args in "--size -1" "--size x" "--channels 2" "--fit wide" "--mean 0.5" "--window x" \
                "--window 0,40" "--window none" "--frame x" "--frame -1" \
                "--float --std 0" "--float --mean 1,2" "--jobs 0" "--max-pixels -1"; do
        run -2 --separate-stderr medcap-img-resize $args
        assert_output ""
        [[ "$stderr" == *"Try 'medcap-img-resize --help'"* ]]
    done
}

@test "img-resize: a missing input file, exit 3" {
    run -3 --separate-stderr medcap-img-resize no-such.jsonl
    assert_output ""
    [[ "$stderr" == *"no-such.jsonl: cannot open"* ]]
}

@test "img-resize: ends quietly when the reader stops (| head)" {
    for i in 1 2 3 4 5 6; do jq -c ".id += \"-$i\"" records.jsonl; done >many.jsonl
    run -0 --separate-stderr bash -c 'medcap-img-resize --root "$IMAGES" many.jsonl | head -c 100 | wc -c'
    assert_output "100"
    assert_equal "$stderr" ""
}

@test "img-resize: pipeline through frame-to-npy" {
    medcap img-resize --size 8 --root "$IMAGES" records.jsonl | medcap frame-to-npy --id ards -o ards.npy
    [ "$(head -c 6 ards.npy | tail -c 5)" = "NUMPY" ]
    [ "$(stat -c %s ards.npy)" -eq $((128 + 64)) ]
}

@test "img-resize: EXIF orientation 1-8 is applied; width and height are the upright size" {
    # quadrants.jpg: 64x32, quadrants 250 (top left), 180, 100, 20 (bottom right)
    for o in 1 2 3 4 5 6 7 8; do
        python3 "$ROOT/tests/exif_orientation.py" set "$IMAGES/quadrants.jpg" "$o" "q$o.jpg"
        echo "{\"id\":\"q$o\",\"image\":\"q$o.jpg\"}"
    done > oriented.ndjson
    medcap-img-resize --root . --size 32 < oriented.ndjson > q.frames
    # upright W H W' H': the lines the quadrants tool should print, content
    # W x H for orientations 1-4 and W' x H' for 5-8, quadrants as libvips's
    # autorot turns them (EXIF: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
    # 6 rotate 90 clockwise, 7 transverse, 8 rotate 270)
    upright() {
        local o=0 q
        for q in "250 180 100 20" "180 250 20 100" "20 100 180 250" "100 20 250 180" \
            "250 100 180 20" "100 250 20 180" "20 180 100 250" "180 20 250 100"; do
            o=$((o + 1))
            if [ "$o" -le 4 ]; then echo "q$o $1 $2 $q"; else echo "q$o $3 $4 $q"; fi
        done
    }
    run -0 python3 "$ROOT/tests/exif_orientation.py" quadrants q.frames
    assert_output "$(upright 32 16 16 32)"
    run -0 bash -c "medcap-frame-info --meta q.frames | cut -f 6 | jq -c '[.id, .width, .height]'"
    assert_line --index 0 '["q1",64,32]'
    assert_line --index 5 '["q6",32,64]'
    # --fit crop takes the centre square of the upright image: the same
    # quadrants, filling the frame
    medcap-img-resize --root . --size 16 --fit crop < oriented.ndjson > crop.frames
    run -0 python3 "$ROOT/tests/exif_orientation.py" quadrants crop.frames
    assert_output "$(upright 16 16 16 16)"
}
# A model file that holds only metadata: model KEY=VALUE... > FILE
model() {
    python3 - "$@" <<'PY'
import json, struct, sys
meta = dict(a.split("=", 1) for a in sys.argv[1:])
h = json.dumps({"__metadata__": meta}).encode()
h += b" " * (-len(h) % 8)
sys.stdout.buffer.write(struct.pack("<Q", len(h)) + h)
PY
}

@test "img-resize: --size and --channels default to the shipped model's input (128, grey)" {
    run -0 bash -c 'medcap-img-resize "$IMAGES/ARDSSevere.jpg" | medcap-frame-info'
    assert_output "ARDSSevere	u8	1x128x128	16384	ok"
    # without a shipped model (or one that records no input size): 224
    mkdir empty
    run -0 bash -c 'MEDCAP_SHARE=$PWD/empty medcap-img-resize "$IMAGES/ARDSSevere.jpg" | medcap-frame-info'
    assert_output "ARDSSevere	u8	1x224x224	50176	ok"
    mkdir plain && model format=x >plain/model.safetensors
    run -0 bash -c 'MEDCAP_SHARE=$PWD/plain medcap-img-resize "$IMAGES/ARDSSevere.jpg" | medcap-frame-info'
    assert_output "ARDSSevere	u8	1x224x224	50176	ok"
}

@test "img-resize: --model gives --size and --channels; an explicit one that differs is warned about once" {
    model input_size='[48,48]' input_channels=3 >m.safetensors
    run -0 --separate-stderr bash -c 'medcap-img-resize -m m.safetensors "$IMAGES/ARDSSevere.jpg" | medcap-frame-info'
    assert_output "ARDSSevere	u8	3x48x48	6912	ok"
    assert_equal "$stderr" ""
    printf '%s\n' "$IMAGES/ARDSSevere.jpg" "$IMAGES/quadrants.jpg" >two.txt
    run -0 --separate-stderr bash -c 'medcap-img-resize --model m.safetensors --size 32 -c 1 two.txt | medcap-frame-info'
    assert_line --index 0 "ARDSSevere	u8	1x32x32	1024	ok"
    [ "${#lines[@]}" -eq 2 ]
    [ "$(grep -c 'warning: --size 32, but --model m.safetensors takes 48x48 images' <<<"$stderr")" -eq 1 ]
    [ "$(grep -c 'warning: --channels 1, but --model m.safetensors takes 3' <<<"$stderr")" -eq 1 ]
    # the shipped model
    run -0 bash -c 'medcap-img-resize --model "$MEDCAP_SHARE/model.safetensors" two.txt | medcap-frame-info'
    assert_line --index 1 "quadrants	u8	1x128x128	16384	ok"
}

@test "img-resize: --model without input_size is a usage error unless --size is given; unreadable, exit 4" {
    model format=x >plain.safetensors
    run -2 --separate-stderr medcap-img-resize --model plain.safetensors "$IMAGES/ARDSSevere.jpg"
    assert_output ""
    [[ "$stderr" == *"--model plain.safetensors records no input_size"*"give --size"* ]]
    run -0 bash -c 'medcap-img-resize --model plain.safetensors -s 16 "$IMAGES/ARDSSevere.jpg" | medcap-frame-info'
    assert_output "ARDSSevere	u8	1x16x16	256	ok"
    model input_size='[32,64]' >wide.safetensors
    run -2 --separate-stderr medcap-img-resize --model wide.safetensors "$IMAGES/ARDSSevere.jpg"
    [[ "$stderr" == *"--model wide.safetensors takes 64x32 images and img-resize writes squares: give --size"* ]]
    model input_size='big' >bad.safetensors
    run -4 --separate-stderr medcap-img-resize --model bad.safetensors "$IMAGES/ARDSSevere.jpg"
    [[ "$stderr" == *"bad.safetensors: metadata input_size 'big' is not [H,W]"* ]]
    run -4 --separate-stderr medcap-img-resize --model no-such.safetensors "$IMAGES/ARDSSevere.jpg"
    assert_output ""
    [[ "$stderr" == *"medcap-img-resize: no-such.safetensors: cannot open"* ]]
    echo "not a model" >corrupt.safetensors
    run -4 --separate-stderr medcap-img-resize --model corrupt.safetensors -s 16 "$IMAGES/ARDSSevere.jpg"
    assert_output ""
    [[ "$stderr" == *"corrupt.safetensors: header length"* ]]
}

# A folder of images: p1/study1/view1.jpg, p2/study1/view1.jpg, top.png, an
# extension-less DICOM file, and files img-resize does not take.
image_tree() {
    mkdir -p tree/p1/study1 tree/p2/study1 tree/.hidden
    cp "$IMAGES/ARDSSevere.jpg" tree/p1/study1/view1.jpg
    cp "$IMAGES/quadrants.jpg" tree/p2/study1/view1.jpg
    cp "$IMAGES/MPX1007_synpic46719.png" tree/top.png
    cp "$IMAGES/MPX1007_synpic46719.png" tree/.hidden/x.png
    cp "$DATA/dicom/ct16.dcm" tree/scan
    echo "notes" >tree/README.txt
    echo "notes" >tree/notes
}

@test "img-resize: image files as arguments, ids their paths without extension; a PNG is not frames" {
    image_tree
    cd tree
    run -0 bash -c 'medcap-img-resize -s 8 p1/study1/view1.jpg ./p2/study1/view1.jpg top.png | medcap-frame-info --meta | cut -f 1,6'
    assert_line --index 0 'p1/study1/view1	{"id":"p1/study1/view1","image":"p1/study1/view1.jpg","width":512,"height":409}'
    assert_line --index 1 --partial 'p2/study1/view1	{"id":"p2/study1/view1","image":"./p2/study1/view1.jpg",'
    assert_line --index 2 --partial 'top	'
    [ "${#lines[@]}" -eq 3 ]
    # relative to --root; an absolute path outside it: the file name
    run -0 bash -c 'medcap-img-resize -s 8 --root "$PWD" "$PWD/p1/study1/view1.jpg" "$IMAGES/ARDSSevere.jpg" | medcap-frame-info --meta | cut -f 6 | jq -c "[.id, .image]"'
    assert_line --index 0 '["p1/study1/view1","p1/study1/view1.jpg"]'
    assert_line --index 1 "[\"ARDSSevere\",\"$IMAGES/ARDSSevere.jpg\"]"
    # bare path lines are relative to --root: the same ids
    printf '%s\n' p1/study1/view1.jpg p2/study1/view1.jpg >../paths.txt
    run -0 bash -c 'medcap-img-resize -s 8 --root . ../paths.txt | medcap-frame-info | cut -f 1'
    assert_output $'p1/study1/view1\np2/study1/view1'
}

@test "img-resize: a folder argument: its images in path order, sub-folders with -R" {
    image_tree
    run -0 bash -c 'medcap-img-resize -s 8 tree | medcap-frame-info --meta | cut -f 6 | jq -r .image'
    assert_output $'tree/scan\ntree/top.png'
    run -0 bash -c 'medcap-img-resize -s 8 --recursive tree/ | medcap-frame-info --meta | cut -f 6 | jq -c "[.id, .image]"'
    assert_line --index 0 '["p1/study1/view1","tree/p1/study1/view1.jpg"]'
    assert_line --index 1 '["p2/study1/view1","tree/p2/study1/view1.jpg"]'
    assert_line --index 2 --regexp '^\["dcm-[0-9a-f]{16}","tree/scan"\]$'
    assert_line --index 3 '["top","tree/top.png"]'
    [ "${#lines[@]}" -eq 4 ]
    # with --root the image keys are relative to it, as csv-clean's are
    run -0 bash -c 'medcap-img-resize -s 8 -R --root tree tree/p2 | medcap-frame-info --meta | cut -f 6 | jq -c "[.id, .image]"'
    assert_output '["p2/study1/view1","p2/study1/view1.jpg"]'
    # lists, images and folders mixed, in argument order
    echo '{"id":"rec","image":"top.png"}' >one.ndjson
    run -0 bash -c 'medcap-img-resize -s 8 --root tree one.ndjson tree/p1/study1 | medcap-frame-info | cut -f 1'
    assert_output $'rec\np1/study1/view1'
}

@test "img-resize: a folder without images, a missing folder or file" {
    mkdir -p none/sub
    cp "$IMAGES/ARDSSevere.jpg" none/sub/a.jpg
    run -0 --separate-stderr medcap-img-resize -s 8 none
    assert_output ""
    [[ "$stderr" == *"none: warning: no images in the folder (its sub-folders are read with --recursive)"* ]]
    [[ "$stderr" == *"no records or image paths in the input: nothing written"* ]]
    run -3 --separate-stderr medcap-img-resize -s 8 no-such-folder
    assert_output ""
    [[ "$stderr" == *"no-such-folder: cannot open: No such file or directory"* ]]
}

@test "img-resize: records by extension or content, gzip'd too; an image on standard input is refused" {
    gzip -c records.jsonl >records.jsonl.gz
    medcap-img-resize -s 8 --root "$IMAGES" records.jsonl >plain.frames
    medcap-img-resize -s 8 --root "$IMAGES" records.jsonl.gz | cmp - plain.frames
    cp records.jsonl records # no extension: told by its content
    medcap-img-resize -s 8 --root "$IMAGES" records | cmp - plain.frames
    run -1 --separate-stderr medcap-img-resize -s 8 <"$IMAGES/MPX1007_synpic46719.png"
    assert_output ""
    [[ "$stderr" == *"-: input is an image (PNG), not records or image paths: name the image as an argument"* ]]
    # frames are told by their whole magic: under any name
    cp plain.frames frames.ndjson
    run -1 --separate-stderr medcap-img-resize frames.ndjson
    [[ "$stderr" == *"frames.ndjson: input is binary frames, not records or image paths"* ]]
    run -1 --separate-stderr medcap-img-resize <plain.frames
    [[ "$stderr" == *"-: input is binary frames"* ]]
}

@test "img-resize: a repeated id names both places, exit 1; --keep-going skips it, exit 5" {
    { cat records.jsonl; sed -n 1p records.jsonl; } >dup.jsonl
    run -1 --separate-stderr medcap-img-resize -s 8 --root "$IMAGES" dup.jsonl
    [[ "$stderr" == *"dup.jsonl:4: duplicate id 'MPX1007_synpic46719' (first on line 1)"* ]]
    run -5 --separate-stderr bash -c 'set -o pipefail; medcap-img-resize --keep-going -s 8 --root "$IMAGES" dup.jsonl | medcap-frame-info --count'
    assert_output "3"
    [[ "$stderr" == *"dup.jsonl:4: duplicate id 'MPX1007_synpic46719' (first on line 1) (skipped)"* ]]
    [[ "$stderr" == *"skipped 1 of 4 images"* ]]
    # across arguments: the other file is named
    mkdir d && cp "$IMAGES/ARDSSevere.jpg" d/ards.jpg
    echo '{"id":"ards","image":"ards.jpg"}' >r.ndjson
    run -1 --separate-stderr medcap-img-resize -s 8 --root d r.ndjson d
    [[ "$stderr" == *"d/ards.jpg: duplicate id 'ards' (first on line 1 of r.ndjson)"* ]]
    # two files that differ only in their extension are one id
    cp "$IMAGES/MPX1007_synpic46719.png" d/ards.png
    run -1 --separate-stderr medcap-img-resize -s 8 d
    [[ "$stderr" == *"d/ards.png: duplicate id 'ards' (first in d/ards.jpg)"* ]]
}

@test "img-resize: an integer id is written as its decimal string" {
    echo '{"id":7,"image":"ARDSSevere.jpg"}' >int.ndjson
    run -0 bash -c 'medcap-img-resize -s 8 --root "$IMAGES" int.ndjson | medcap-frame-info --meta | cut -f 1,6'
    assert_output --partial $'7\t{"id":"7","image":"ARDSSevere.jpg"'
    echo '{"id":7.5,"image":"ARDSSevere.jpg"}' >frac.ndjson
    run -1 --separate-stderr medcap-img-resize -s 8 --root "$IMAGES" frac.ndjson
    [[ "$stderr" == *'frac.ndjson:1: record has no string "id" (nor a whole number)'* ]]
}

@test "img-resize: -f, -k and --jobs are deprecated spellings (warned, not with -q); -j is --threads" {
    cp "$IMAGES/ARDSSevere.jpg" a.jpg
    medcap-img-resize -s 8 --fit crop --keep-going -j 1 a.jpg > new.frames
    run -0 --separate-stderr bash -c 'medcap-img-resize -s 8 -f crop -k --jobs 1 a.jpg > old.frames'
    [[ "$stderr" == *"warning: -f is deprecated and goes in the next release; use --fit"* ]]
    [[ "$stderr" == *"warning: -k is deprecated"*"use --keep-going"* ]]
    [[ "$stderr" == *"warning: --jobs is deprecated"*"use -j/--threads"* ]]
    cmp new.frames old.frames
    run -0 --separate-stderr bash -c 'medcap-img-resize -q -s 8 -f crop a.jpg > /dev/null'
    [ -z "$stderr" ]
}

@test "img-resize: binary frames to a terminal, or a terminal on standard input, are usage errors" {
    cp "$IMAGES/ARDSSevere.jpg" a.jpg
    run -2 script -qec "medcap-img-resize -s 8 a.jpg" /dev/null
    [[ "$output" == *"standard output is a terminal"* ]]
    run -0 script -qec "medcap-img-resize -s 8 > x.frames; echo status \$?" /dev/null
    [[ "$output" == *"standard input is a terminal"*"status 2"* ]]
}
