#!/usr/bin/env bats
# examples/caption-dir.sh, the nightly job, with the shipped model: new images
# only, ids, sub-folders, formats, the lock, rejected images.  (Installed and
# run under cron's environment: tests/install.bats.)
load common

cd_run() { run "$@" bash "$ROOT/examples/caption-dir.sh" "$d"; }

# A folder of the eight dev images of the MedPix slice.
make_dir() {
    mkdir -p "$1"
    cp "$DATA"/medpix-slice/dev/*.png "$1"/
}

# A grey (P5) or colour (P6) netpbm image of side 64 with some structure.
netpbm() {
    local kind=$1 bands=1
    [ "$kind" = P6 ] && bands=3
    { printf '%s\n64 64\n255\n' "$kind"; head -c $((64 * 64 * bands)) "$DATA/images/MPX1009_synpic46283.png"; } > "$2"
}

@test "caption-dir.sh captions new images once and appends" {
    d="$BATS_TEST_TMPDIR/studies"
    make_dir "$d"
    cd_run -0
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "8"
    run -0 jq -s 'map(select(.caption | type == "string")) | length' "$d/captions.ndjson"
    assert_output "8"
    cd_run -0
    assert_output --partial "no new images"
    # -q: nothing to say when all is well; "medcap caption-dir" from the checkout's bin
    run -0 --separate-stderr medcap caption-dir -q "$d"
    [ -z "$stderr" ] && [ -z "$output" ]
    cp "$DATA/medpix-slice/train/MPX1020_synpic17478.png" "$d/new.png"
    cd_run -0
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "9"
    run -0 jq -r 'select(.image == "new.png") | .id' "$d/captions.ndjson"
    assert_output "new.png"
    [ ! -s "$d/captions.rejects" ]
}

@test "caption-dir.sh: scan.png and scan.jpg are two images with two ids" {
    d="$BATS_TEST_TMPDIR/twins"
    mkdir -p "$d"
    # libvips reads an image by its content, whatever the extension
    cp "$DATA/medpix-slice/dev/MPX1009_synpic46283.png" "$d/scan.png"
    cp "$DATA/medpix-slice/train/MPX1020_synpic17478.png" "$d/scan.jpg"
    cd_run -0
    run -0 jq -r '.id + " " + .image' "$d/captions.ndjson"
    assert_output "scan.jpg scan.jpg
scan.png scan.png"
    cd_run -0
    assert_output --partial "no new images"
    # a record written before ids kept the extension counts by its image
    jq -c '.id = "old"' "$d/captions.ndjson" > "$d/c" && mv "$d/c" "$d/captions.ndjson"
    cd_run -0
    assert_output --partial "no new images"
}

@test "caption-dir.sh walks sub-folders: p1/a.png and p2/a.png are two images" {
    d="$BATS_TEST_TMPDIR/tree"
    mkdir -p "$d/p1" "$d/p2/deeper"
    cp "$DATA/images/MPX1007_synpic46719.png" "$d/p1/a.png"   # 214x256
    cp "$DATA/images/kjr-21-e24-g001-l-a.jpg" "$d/p2/a.png"   # 328x237
    cp "$DATA/images/quadrants.jpg" "$d/p2/deeper/a.png"      # 64x32
    cd_run -0
    run -0 jq -r '[.id, .image, .width, .height] | map(tostring) | join(" ")' "$d/captions.ndjson"
    assert_output "p1/a.png p1/a.png 214 256
p2/a.png p2/a.png 328 237
p2/deeper/a.png p2/deeper/a.png 64 32"
    cd_run -0
    assert_output --partial "no new images"
    cp "$DATA/images/MPX1009_synpic46283.png" "$d/a.png"
    cd_run -0
    run -0 jq -r '.id' "$d/captions.ndjson"
    assert_output "p1/a.png
p2/a.png
p2/deeper/a.png
a.png"
}

@test "caption-dir.sh takes every format img-resize reads, in any case, and nothing else" {
    d="$BATS_TEST_TMPDIR/formats"
    mkdir -p "$d/sub"
    cp "$DATA/medpix-slice/dev/MPX1009_synpic46283.png" "$d/a.PNG"
    cp "$DATA/images/quadrants.jpg" "$d/b.jpeg"
    cp "$DATA/images/quadrants.jpg" "$d/sub/c.JPG"
    netpbm P5 "$d/d.pgm"
    netpbm P6 "$d/e.ppm"
    netpbm P5 "$d/f.pnm"
    cp "$DATA/dicom/ct16.dcm" "$d/sub/g.DCM"
    local want="a.PNG b.jpeg d.pgm e.ppm f.pnm sub/c.JPG sub/g.DCM"
    if command -v vips > /dev/null; then
        vips copy "$DATA/images/quadrants.jpg" "$d/h.webp"
        vips copy "$DATA/images/quadrants.jpg" "$d/i.tif"
        vips copy "$DATA/images/quadrants.jpg" "$d/j.TIFF"
        want="a.PNG b.jpeg d.pgm e.ppm f.pnm h.webp i.tif j.TIFF sub/c.JPG sub/g.DCM"
    fi
    echo "not an image" > "$d/notes.txt"
    cp "$DATA/images/quadrants.jpg" "$d/quadrants.jpg.bak"
    cd_run -0
    run -0 jq -r '.id' "$d/captions.ndjson"
    assert_output "$(tr ' ' '\n' <<< "$want")"
    run -0 jq -s 'map(select(.caption | length > 0)) | length' "$d/captions.ndjson"
    assert_output "$(wc -w <<< "$want")"
}

@test "caption-dir.sh: DIR may be a symbolic link to the folder" {
    d="$BATS_TEST_TMPDIR/link"
    mkdir -p "$BATS_TEST_TMPDIR/real/p1"
    cp "$DATA/medpix-slice/dev/MPX1009_synpic46283.png" "$BATS_TEST_TMPDIR/real/p1/a.png"
    ln -s real "$d"
    cd_run -0
    run -0 jq -r '.id' "$d/captions.ndjson"
    assert_output "p1/a.png"
}

@test "caption-dir.sh killed with kill -9: no partial line, the next run finishes and tidies up" {
    d="$BATS_TEST_TMPDIR/killed"
    make_dir "$d"
    setsid bash "$ROOT/examples/caption-dir.sh" "$d" 2> /dev/null &
    local pid=$! i
    for i in $(seq 200); do
        compgen -G "$d/.captions.??????.new" > /dev/null && break
        sleep 0.05
    done
    kill -9 -- -"$pid" 2> /dev/null || true
    wait "$pid" || true
    # nothing joined, or all of it (when the run was quicker than the kill)
    run -0 jq -s 'length' "$d/captions.ndjson"
    [[ "$output" == 0 || "$output" == 8 ]]
    cd_run -0
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "8"
    run -0 bash -c "ls -A '$d' | grep '^\.captions\.' | sort"
    assert_output ".captions.lock"
}

@test "caption-dir.sh does nothing while another run holds the lock" {
    d="$BATS_TEST_TMPDIR/locked"
    make_dir "$d"
    exec 8> "$d/.captions.lock"
    flock -n 8
    cd_run -0
    assert_output --partial "another run holds"
    [ ! -s "$d/captions.ndjson" ]
    exec 8>&-
}

@test "caption-dir.sh reports a broken image once, remembers it, retries it when it changes" {
    d="$BATS_TEST_TMPDIR/corrupt"
    mkdir -p "$d/p1"
    cp "$DATA"/medpix-slice/dev/MPX1009_synpic46283.png "$DATA"/medpix-slice/dev/MPX1075_synpic20513.png "$d"/
    head -c 100 "$d/MPX1009_synpic46283.png" > "$d/p1/broken.png"
    # first night: the good ones captioned, the broken one named and remembered
    cd_run -5
    assert_output --partial "p1/broken.png: cannot read image"
    assert_output --partial "captions.rejects"
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "2"
    run -0 jq -r '[.image, .size, (.reason | test("cannot read image"))] | map(tostring) | join(" ")' \
        "$d/captions.rejects"
    assert_output "p1/broken.png 100 true"
    # next night: nothing new, nothing reported
    cd_run -0
    assert_output --partial "no new images"
    refute_output --partial "broken"
    # replaced by another broken file: reported again, listed once
    head -c 200 "$d/MPX1009_synpic46283.png" > "$d/p1/broken.png"
    cd_run -5
    assert_output --partial "p1/broken.png: cannot read image"
    run -0 jq -r '[.image, .size] | map(tostring) | join(" ")' "$d/captions.rejects"
    assert_output "p1/broken.png 200"
    # same size, newer: retried
    touch -d '+1 min' "$d/p1/broken.png"
    cd_run -5
    run -0 jq -s 'length' "$d/captions.rejects"
    assert_output "1"
    # replaced by a good image: captioned, no longer rejected
    cp "$DATA/medpix-slice/train/MPX1020_synpic17478.png" "$d/p1/broken.png"
    cd_run -0
    run -0 jq -r 'select(.image == "p1/broken.png") | .caption | length > 0' "$d/captions.ndjson"
    assert_output "true"
    [ ! -s "$d/captions.rejects" ]
}

@test "caption-dir.sh forgets the rejection of a file that is gone" {
    d="$BATS_TEST_TMPDIR/gone"
    mkdir -p "$d"
    cp "$DATA/medpix-slice/dev/MPX1009_synpic46283.png" "$d/good.png"
    head -c 100 "$d/good.png" > "$d/bad.png"
    cd_run -5
    run -0 jq -r '.image' "$d/captions.rejects"
    assert_output "bad.png"
    rm "$d/bad.png"
    cp "$DATA/medpix-slice/train/MPX1020_synpic17478.png" "$d/new.png"
    cd_run -0
    [ ! -s "$d/captions.rejects" ]
}

@test "caption-dir.sh: a stage that fails leaves captions.ndjson unchanged and nothing rejected" {
    d="$BATS_TEST_TMPDIR/failing"
    mkdir -p "$d"
    cp "$DATA"/medpix-slice/dev/MPX1075_synpic20513.png "$d"/
    MEDCAP_MODEL="$BATS_TEST_TMPDIR/no-such-model" cd_run -1
    assert_output --partial "captioning failed"
    [ ! -s "$d/captions.ndjson" ]
    [ ! -s "$d/captions.rejects" ]
    cd_run -0
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "1"
}

@test "caption-dir.sh: usage errors, --help, --version, programs not found" {
    run -2 bash "$ROOT/examples/caption-dir.sh" "$BATS_TEST_TMPDIR/none"
    assert_output --partial "not a directory"
    run -2 bash "$ROOT/examples/caption-dir.sh"
    assert_output --partial "Usage: medcap-caption-dir"
    run -2 bash "$ROOT/examples/caption-dir.sh" --no-such-option
    run -2 bash "$ROOT/examples/caption-dir.sh" "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR"
    run -0 --separate-stderr bash "$ROOT/examples/caption-dir.sh" --help
    assert_output --partial "Usage: medcap-caption-dir"
    [ -z "$stderr" ]
    run -0 bash "$ROOT/examples/caption-dir.sh" --version
    assert_output --regexp "^medcap-caption-dir medcap [0-9]"
    run -3 bash -c 'bash "$1" --help > /dev/full' _ "$ROOT/examples/caption-dir.sh"
    assert_output --partial "standard output"
    MEDCAP_BIN="$BATS_TEST_TMPDIR/nowhere" run -3 bash "$ROOT/examples/caption-dir.sh" "$BATS_TEST_TMPDIR"
    assert_output --partial "cannot find the medcap programs"
}
