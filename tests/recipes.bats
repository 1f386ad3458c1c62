#!/usr/bin/env bats
# The training recipe on a small shipped slice of MedPix 2.0 (40 training
# images, 1 epoch), so that it cannot rot.  (The nightly caption-dir job:
# tests/caption-dir.bats, with the shipped model.)
load common

# The second test runs the recipe again in the first one's folder, rewriting
# files the first reads: under bats --jobs the two run in turn.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

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
