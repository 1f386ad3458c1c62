#!/usr/bin/env bats
# The shipped model end to end: 'make demo' captions the example images, and
# the scores of the shipped model on them are reproduced exactly.
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

@test "demo: the shipped model's scores on the example images are reproduced exactly" {
    jq -c '.caption = .reference' "$ROOT/examples/images/records.ndjson" > "$BATS_TEST_TMPDIR/refs.ndjson"
    run -0 medcap-score --refs "$BATS_TEST_TMPDIR/refs.ndjson" "$DEMO_OUT"
    diff <(jq -S . <<< "$output") <(jq -S . "$ROOT/examples/images/expected-scores.json")
}

@test "demo: the stages find the shipped model without --model" {
    run -0 bash -c "medcap img-resize --root '$ROOT/examples/images' --size 128 < '$ROOT/examples/images/records.ndjson' \
        | medcap encode-features | medcap decode-caption --beam 3 | jq -c '{id, caption, reference}'"
    assert_output "$(cat "$DEMO_OUT")"
}
