#!/usr/bin/env bats
# The shipped model end to end: 'make demo' captions the example images, and
# their scores are reproduced exactly.
#
# examples/images/expected-scores.json is a regression pin, not a quality
# check: it records what the shipped model scores on the nine images
# (degenerate captions and category accuracy 0 among them), so that any
# change of the model, the pipeline or the metrics shows as a difference.
# Nine images say nothing about quality (docs/results.md does); after
# replacing the model, regenerate the file (medcap-score of the demo output,
# as the test below runs it) and review the difference.
load common

setup_file() {
    export DEMO_OUT="$BATS_FILE_TMPDIR/demo.ndjson"
    MEDCAP_BIN="${MEDCAP_BIN:-$BATS_TEST_DIRNAME/../bin}" OPENBLAS_NUM_THREADS=1 \
        bash "$BATS_TEST_DIRNAME/../examples/demo.sh" > "$DEMO_OUT"
}

@test "demo: one record per example image, in order, each with a caption and its reference" {
    run -0 jq -r .id "$DEMO_OUT"
    assert_output "$(jq -r .id "$ROOT/examples/images/records.ndjson")"
    run -0 jq -s 'map(select((.caption | type) == "string" and (.caption | length) > 0 and (.reference | length) > 0)) | length' "$DEMO_OUT"
    assert_output "$(wc -l < "$ROOT/examples/images/records.ndjson")"
}

@test "demo: regression pin (not a quality check): the scores on the example images equal expected-scores.json" {
    jq -c '.caption = .reference' "$ROOT/examples/images/records.ndjson" > "$BATS_TEST_TMPDIR/refs.ndjson"
    run -0 medcap-score --refs "$BATS_TEST_TMPDIR/refs.ndjson" "$DEMO_OUT"
    diff <(jq -S . <<< "$output") <(jq -S . "$ROOT/examples/images/expected-scores.json")
}

@test "demo: the stages find the shipped model without --model" {
    run -0 bash -c "medcap img-resize --root '$ROOT/examples/images' --size 128 < '$ROOT/examples/images/records.ndjson' \
        | medcap encode-features | medcap decode-caption | jq -c '{id, caption, reference}'"
    assert_output "$(cat "$DEMO_OUT")"
}

@test "demo: the shipped joint embedding finds the example images that match a description" {
    E="$MEDCAP_SHARE/embed.safetensors"
    medcap img-resize --root "$ROOT/examples/images" --size 128 < "$ROOT/examples/images/records.ndjson" |
        medcap encode-features --features pooled --layout 8 |
        medcap embed -m "$E" | medcap index -o "$BATS_TEST_TMPDIR/examples.idx"
    run -0 env OPENBLAS_NUM_THREADS=1 medcap retrieve -i "$BATS_TEST_TMPDIR/examples.idx" -m "$E" -n 2 \
        --text "axial ct" --text "frontal chest radiograph" --text "mr of the brain"
    # the two axial CTs; an X-ray first ("frontal" is the X-ray captions' word:
    # "x-ray" is rare in the training captions); the axial MR of an infarction first
    echo "${lines[0]}" | jq -e '[.neighbors[].id] | sort == ["MPX1075_synpic20513", "MPX1135_synpic16704"]' >/dev/null
    echo "${lines[1]}" | jq -e '.neighbors[0].id | IN("19abe1f3", "acute-respiratory-distress-syndrome-ards-1", "legionella-pneumonia-2")' >/dev/null
    echo "${lines[2]}" | jq -e '.neighbors[0].id == "MPX1007_synpic46719"' >/dev/null
    # its features must be pooled + layout 8 of the shipped encoder: plain pooled ones are refused
    medcap img-resize --root "$ROOT/examples/images" --size 128 < "$ROOT/examples/images/records.ndjson" |
        medcap encode-features --features pooled > "$BATS_TEST_TMPDIR/plain.feat"
    run -1 --separate-stderr medcap embed -m "$E" "$BATS_TEST_TMPDIR/plain.feat"
    [[ "$stderr" == *"expected an F32 feature frame of size 320 (the model's), got f32 of size 256"* ]]
}
