#!/usr/bin/env bats
# The training recipe on a small shipped slice of MedPix 2.0 (40 training
# images, 1 epoch), so that it cannot rot, and the nightly caption-dir job
# with the model that recipe makes.
load common

setup_file() {
    export RECIPE_WORK="$BATS_FILE_TMPDIR/medpix"
    MEDCAP_DATA="$BATS_TEST_DIRNAME/data/medpix-slice" LIMIT=40 EPOCHS=1 SIZE=64 \
        MEDCAP_BIN="${MEDCAP_BIN:-$BATS_TEST_DIRNAME/../bin}" \
        bash "$BATS_TEST_DIRNAME/../examples/train-medpix.sh" "$RECIPE_WORK" \
        > "$BATS_FILE_TMPDIR/recipe.log" 2>&1 || { cat "$BATS_FILE_TMPDIR/recipe.log" >&3; return 1; }
}

@test "train-medpix.sh makes a model, captions and scores for every run" {
    [ -s "$RECIPE_WORK/model.safetensors" ]
    local run name
    for name in template text; do
        for run in greedy beam3 consensus nearest frequent; do
            run -0 jq -e '.items == 8 and (.bleu.bleu_1 | type == "number") and (.cider_d.score >= 0)' \
                "$RECIPE_WORK/score.$name.$run.json"
        done
    done
    run -0 jq -s 'length' "$RECIPE_WORK/train-log.ndjson"
    assert_output "1"
}

@test "train-medpix.sh reuses unchanged intermediate files" {
    MEDCAP_DATA="$DATA/medpix-slice" LIMIT=40 EPOCHS=1 SIZE=64 \
        run -0 bash "$ROOT/examples/train-medpix.sh" "$RECIPE_WORK"
    assert_output --partial "recipe: reusing train.frames"
    assert_output --partial "recipe: reusing model.safetensors"
    refute_output --partial "recipe: making"
}

# A folder of images for caption-dir.sh.
make_dir() {
    mkdir -p "$1"
    cp "$DATA"/medpix-slice/dev/*.png "$1"/
}

@test "caption-dir.sh captions new images once and appends" {
    local d="$BATS_TEST_TMPDIR/studies"
    make_dir "$d"
    export MEDCAP_MODEL="$RECIPE_WORK/model.safetensors" SIZE=64
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "8"
    run -0 jq -s 'map(select(.caption | type == "string")) | length' "$d/captions.ndjson"
    assert_output "8"
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    assert_output --partial "no new images"
    cp "$DATA/medpix-slice/train/MPX1020_synpic17478.png" "$d/new.png"
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "9"
    run -0 jq -r 'select(.image == "new.png") | .id' "$d/captions.ndjson"
    assert_output "new.png"
}

@test "caption-dir.sh: scan.png and scan.jpg are two images with two ids" {
    local d="$BATS_TEST_TMPDIR/twins"
    mkdir -p "$d"
    # libvips reads an image by its content, whatever the extension
    cp "$DATA/medpix-slice/dev/$(ls "$DATA/medpix-slice/dev" | head -n 1)" "$d/scan.png"
    cp "$DATA/medpix-slice/train/MPX1020_synpic17478.png" "$d/scan.jpg"
    export MEDCAP_MODEL="$RECIPE_WORK/model.safetensors" SIZE=64
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    run -0 jq -r '.id + " " + .image' "$d/captions.ndjson"
    assert_output "scan.jpg scan.jpg
scan.png scan.png"
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    assert_output --partial "no new images"
    # a record written before ids kept the extension counts by its image
    jq -c '.id = "old"' "$d/captions.ndjson" > "$d/c" && mv "$d/c" "$d/captions.ndjson"
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    assert_output --partial "no new images"
}

@test "caption-dir.sh does nothing while another run holds the lock" {
    local d="$BATS_TEST_TMPDIR/locked"
    make_dir "$d"
    export MEDCAP_MODEL="$RECIPE_WORK/model.safetensors" SIZE=64
    exec 8> "$d/.captions.lock"
    flock -n 8
    run -0 bash "$ROOT/examples/caption-dir.sh" "$d"
    assert_output --partial "another run holds"
    [ ! -s "$d/captions.ndjson" ]
    exec 8>&-
}

@test "caption-dir.sh skips a corrupt image, keeps the others, exits 5" {
    local d="$BATS_TEST_TMPDIR/corrupt"
    make_dir "$d"
    head -c 100 "$d/$(ls "$d" | head -n 1)" > "$d/broken.png"
    export MEDCAP_MODEL="$RECIPE_WORK/model.safetensors" SIZE=64
    run -5 bash "$ROOT/examples/caption-dir.sh" "$d"
    assert_output --partial "broken.png"
    run -0 jq -s 'length' "$d/captions.ndjson"
    assert_output "8"
}

@test "caption-dir.sh without a folder is a usage error" {
    run -2 bash "$ROOT/examples/caption-dir.sh" "$BATS_TEST_TMPDIR/none"
    assert_output --partial "not a directory"
}
