#!/usr/bin/env bats
# medcap-score: agreement with the reference fixtures (pycocoevalcap
# transcribed, NLTK 3.8) made by tests/fixtures/make-score-fixtures.py,
# every option, and the errors of bad input.
load common

FIX="$ROOT/tests/fixtures/score"

# every test writes in its own folder, never in the checkout
setup() {
    cd "$BATS_TEST_TMPDIR"
}

# agree CONFIG: medcap-score with the arguments of expect-SET-CONFIG.json
# gives its summary and per-item scores (to 1e-9), for both input sets.
agree() {
    local set exp
    cd "$ROOT"
    for set in edge medpix; do
        exp="$FIX/expect-$set-$1.json"
        mapfile -t args < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["args"]))' "$exp")
        run -0 --separate-stderr medcap-score "${args[@]}" --per-item "$BATS_TEST_TMPDIR/items.ndjson"
        printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/summary.json"
        run -0 python3 "$ROOT/tests/fixtures/score_compare.py" "$exp" \
            "$BATS_TEST_TMPDIR/summary.json" "$BATS_TEST_TMPDIR/items.ndjson"
    done
}

# Write refs.ndjson and preds.ndjson of n items in the test folder.
small_pair() {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"id":"a","caption":"a small nodule in the left lung"}' \
        '{"id":"b","caption":"the heart is enlarged"}' >refs.ndjson
    printf '%s\n' '{"id":"a","caption":"small nodule in the left lung"}' \
        '{"id":"b","caption":"heart is enlarged"}' >preds.ndjson
}

@test "medcap-score: CLI contract" {
    check_cli_contract medcap-score
}

@test "medcap score runs through the dispatcher" {
    run -0 medcap score --help
    assert_output --partial "Usage: medcap-score"
}

@test "default: pycocoevalcap BLEU, ROUGE-L, CIDEr-D, clinical, diversity agree" { agree default; }
@test "--bleu individual agrees" { agree individual; }
@test "--bleu-avg sentence agrees" { agree sentence; }
@test "--bleu individual --bleu-avg sentence agrees" { agree individual-sentence; }
@test "--bleu-def nltk agrees with NLTK corpus_bleu" { agree nltk; }
@test "--bleu-def nltk --bleu-smoothing method1 agrees" { agree nltk-method1; }
@test "--bleu-def nltk --bleu-avg sentence agrees with sentence_bleu" { agree nltk-sentence; }
@test "--bleu-def nltk --bleu-avg sentence --bleu-smoothing method1 agrees" { agree nltk-sentence-method1; }
@test "--bleu-def nltk --bleu individual agrees" { agree nltk-individual; }
@test "--rouge f1 agrees" { agree rouge-f1; }
@test "--tokenize none agrees" { agree tokenize-none; }

@test "every metric names its definition" {
    small_pair
    run -0 medcap-score --refs refs.ndjson preds.ndjson
    assert_output --partial '"bleu":{"definition":"pycocoevalcap Bleu'
    assert_output --partial '"rouge_l":{"definition":"pycocoevalcap Rouge'
    assert_output --partial '"cider_d":{"definition":"pycocoevalcap Cider'
    assert_output --partial '"diversity":{"definition":'
    run -0 medcap-score --refs refs.ndjson --bleu-def nltk --bleu-smoothing method1 preds.ndjson
    assert_output --partial '"definition":"nltk 3.8 bleu_score (smoothing method1'
}

@test "predictions from stdin, --opt=value form" {
    small_pair
    run -0 --separate-stderr medcap-score --refs=refs.ndjson --bleu=individual <preds.ndjson
    assert_output --partial '"items":2'
    assert_output --partial '"orders":"individual"'
}

@test "--pred-field and --ref-field choose the caption fields" {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"id":"a","gold":["heart is enlarged","big heart"],"caption":"ignored"}' >refs.ndjson
    printf '%s\n' '{"id":"a","text":"heart is enlarged","caption":"ignored"}' >preds.ndjson
    run -0 medcap-score --refs refs.ndjson --pred-field text --ref-field gold preds.ndjson
    assert_output --partial '"distinct_captions":1'
    assert_output --partial '"f":1'
    run -1 --separate-stderr medcap-score --refs refs.ndjson --pred-field nope preds.ndjson
    assert_output ""
    [[ "$stderr" == *'preds.ndjson:1: no field "nope"'* ]]
}

@test "a reference record may carry a list of references" {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"id":"a","references":["x y z","heart is enlarged"]}' >refs.ndjson
    printf '%s\n' '{"id":"a","caption":"Heart is enlarged."}' >preds.ndjson
    run -0 medcap-score --refs refs.ndjson preds.ndjson
    assert_output --partial '"recall":1'
}

@test "--table prints a readable table" {
    small_pair
    run -0 medcap-score --refs refs.ndjson --table preds.ndjson
    assert_line --partial "BLEU-4"
    assert_line --partial "CIDEr-D"
    assert_line --partial "ROUGE-L F"
    assert_line --partial "distinct-2"
    refute_output --partial "{"
}

@test "--per-item writes one record per prediction, in input order" {
    small_pair
    run -0 medcap-score --refs refs.ndjson --per-item items.ndjson preds.ndjson
    run -0 cat items.ndjson
    assert_line --index 0 --partial '{"id":"a","prediction":"small nodule in the left lung","bleu_1":'
    assert_line --index 1 --partial '{"id":"b",'
    [ "${#lines[@]}" -eq 2 ]
}

@test "--per-item into a missing folder: exit 3, nothing on stdout" {
    small_pair
    run -3 --separate-stderr medcap-score --refs refs.ndjson --per-item no/such/dir/x.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == *"no/such/dir/x.ndjson"* ]]
}

@test "a model writing one caption for every image shows in diversity" {
    cd "$BATS_TEST_TMPDIR"
    for i in 1 2 3 4; do printf '{"id":"%d","caption":"case %d shows a mass"}\n' $i $i; done >refs.ndjson
    for i in 1 2 3 4; do printf '{"id":"%d","caption":"Normal study."}\n' $i; done >preds.ndjson
    run -0 medcap-score --refs refs.ndjson preds.ndjson
    assert_output --partial '"distinct_captions":0.25'
    assert_output --partial '"most_frequent_share":1'
    assert_output --partial '"distinct_1":0.25'
}

@test "CIDEr-D of a single item is 0 (log of one document)" {
    cd "$BATS_TEST_TMPDIR"
    echo '{"id":"a","caption":"heart is enlarged"}' >refs.ndjson
    run -0 medcap-score --refs refs.ndjson refs.ndjson
    assert_output --partial '"score":0}'
}

@test "--keep-going: unmatched and bad records are skipped, reported, exit 5" {
    small_pair
    echo '{"id":"zz","caption":"no reference"}' >>preds.ndjson
    echo 'not json' >>preds.ndjson
    run -5 --separate-stderr medcap-score --refs refs.ndjson --keep-going preds.ndjson
    assert_output --partial '"items":2,"skipped":2'
    [[ "$stderr" == *"preds.ndjson:3: id 'zz' has no reference in refs.ndjson"* ]]
    [[ "$stderr" == *"preds.ndjson:4: malformed JSON"* ]]
    [[ "$stderr" == *"2 record(s) skipped"* ]]
}

@test "--keep-going: a reference without prediction is left out of the corpus" {
    small_pair
    echo '{"id":"c","caption":"extra"}' >>refs.ndjson
    run -5 --separate-stderr medcap-score --refs refs.ndjson --keep-going preds.ndjson
    assert_output --partial '"items":2,"skipped":1'
    [[ "$stderr" == *"refs.ndjson:3: id 'c' has no prediction"* ]]
}

@test "a prediction without reference is an error naming it" {
    small_pair
    echo '{"id":"zz","caption":"x"}' >>preds.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == "medcap-score: preds.ndjson:3: id 'zz' has no reference in refs.ndjson" ]]
}

@test "a reference without prediction is an error naming it" {
    small_pair
    echo '{"id":"c","caption":"x"}' >>refs.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == "medcap-score: refs.ndjson:3: id 'c' has no prediction" ]]
}

@test "a duplicate id is an error, in predictions and in references" {
    small_pair
    cp preds.ndjson p2.ndjson
    echo '{"id":"a","caption":"again"}' >>p2.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson p2.ndjson
    assert_output ""
    [[ "$stderr" == *"p2.ndjson:3: duplicate id 'a' (first on line 1)"* ]]
    echo '{"id":"b","caption":"again"}' >>refs.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == *"refs.ndjson:3: duplicate id 'b' (first on line 2)"* ]]
}

@test "malformed JSON and a record without id: exit 1 with the line" {
    small_pair
    printf '%s\n' '{"id":"a","caption":"x"}' '{"id":' >bad.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson bad.ndjson
    assert_output ""
    [[ "$stderr" == *"bad.ndjson:2: malformed JSON"* ]]
    echo '{"caption":"x"}' >noid.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson noid.ndjson
    assert_output ""
    [[ "$stderr" == *'noid.ndjson:1: record has no string "id"'* ]]
}

@test "a caption that is not a string, bad references: exit 1" {
    small_pair
    echo '{"id":"a","caption":42}' >p.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson p.ndjson
    assert_output ""
    [[ "$stderr" == *'p.ndjson:1: "caption" is not a string'* ]]
    echo '{"id":"a","references":[]}' >r.ndjson
    run -1 --separate-stderr medcap-score --refs r.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == *'r.ndjson:1: "references" is not a string or a non-empty list of strings'* ]]
    echo '{"id":"a","references":["ok",3]}' >r.ndjson
    run -1 --separate-stderr medcap-score --refs r.ndjson preds.ndjson
    [[ "$stderr" == *'r.ndjson:1: "references" holds something that is not a string'* ]]
    echo '{"id":"a"}' >r.ndjson
    run -1 --separate-stderr medcap-score --refs r.ndjson preds.ndjson
    [[ "$stderr" == *'r.ndjson:1: no "references" list or "caption" string'* ]]
}

@test "no predictions at all: exit 1" {
    cd "$BATS_TEST_TMPDIR"
    : >empty.ndjson
    run -1 --separate-stderr medcap-score --refs empty.ndjson empty.ndjson
    assert_output ""
    [[ "$stderr" == *"no predictions to score"* ]]
}

@test "a missing file: exit 3" {
    small_pair
    run -3 --separate-stderr medcap-score --refs nope.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == *"nope.ndjson: cannot open"* ]]
    run -3 --separate-stderr medcap-score --refs refs.ndjson nope.ndjson
    assert_output ""
}

@test "usage errors: exit 2" {
    small_pair
    run -2 --separate-stderr medcap-score preds.ndjson
    [[ "$stderr" == *"--refs FILE is required"* ]]
    run -2 --separate-stderr medcap-score --refs refs.ndjson --bleu sideways preds.ndjson
    [[ "$stderr" == *"--bleu: unknown value 'sideways'"* ]]
    run -2 --separate-stderr medcap-score --refs refs.ndjson --bleu-smoothing method1 preds.ndjson
    [[ "$stderr" == *"needs --bleu-def nltk"* ]]
    run -2 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson preds.ndjson
    [[ "$stderr" == *"more than one prediction file"* ]]
    run -2 --separate-stderr medcap-score --refs - -
    [[ "$stderr" == *"cannot both be standard input"* ]]
    run -2 --separate-stderr medcap-score --refs
    [[ "$stderr" == *"needs a value"* ]]
    run -2 --separate-stderr medcap-score --refs refs.ndjson --table=yes preds.ndjson
    [[ "$stderr" == *"takes no value"* ]]
    for opt in --tokenize --bleu-avg --bleu-def --rouge; do
        run -2 --separate-stderr medcap-score --refs refs.ndjson "$opt" bogus preds.ndjson
        assert_output ""
    done
}

# Write refs and preds of a made-up label example in the test folder:
# a misses ards, b adds tuberculosis (in no reference), c predicts nothing,
# d has no "labels" array (its "diagnosis:" list counts), e has no labels.
label_pair() {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' \
        '{"id":"a","caption":"modality: xr, diagnosis: covid-19, ards","labels":["COVID-19"," ards "]}' \
        '{"id":"b","caption":"diagnosis: pneumonia","labels":["pneumonia","Pneumonia"]}' \
        '{"id":"c","caption":"diagnosis: covid-19","labels":["covid-19"]}' \
        '{"id":"d","caption":"ap/pa: pa, diagnosis: Ards."}' \
        '{"id":"e","caption":"no findings listed"}' >refs.ndjson
    printf '%s\n' \
        '{"id":"a","caption":"modality: xr, diagnosis: covid-19"}' \
        '{"id":"b","caption":"diagnosis: pneumonia, Tuberculosis."}' \
        '{"id":"c","caption":""}' \
        '{"id":"d","caption":"diagnosis: ards"}' \
        '{"id":"e","caption":"diagnosis: edema"}' >preds.ndjson
}

# The "labels" section of the JSON on stdin as lines "NAME P R F1 SUPPORT"
# rounded to 6 decimals (macro has support -).
label_rows() {
    jq -r '.labels | (.labels | to_entries[] | [.key, .value.precision, .value.recall, .value.f1, .value.support]),
        ["micro", .micro.precision, .micro.recall, .micro.f1, .micro.support],
        ["macro", .macro.precision, .macro.recall, .macro.f1, "-"]
        | map(if type == "number" then (. * 1e6 | round / 1e6 | tostring) else . end) | join(" ")'
}

@test "labels: hand-computed precision, recall, F1, support, micro and macro" {
    label_pair
    run -0 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    printf '%s\n' "$output" >out.json
    run -0 jq -r '.labels | "\(.items) \(.predicted_only)"' out.json
    assert_output "4 1"
    run -0 jq -r '.labels.definition' out.json
    assert_output --partial '"labels" array, else the comma-separated list after "diagnosis:"'
    run -0 label_rows <out.json
    # covid-19: a tp, c fn; ards: a fn, d tp; pneumonia: b tp (repeat counts once);
    # tuberculosis: b fp, in no reference; e's reference has no labels: not counted.
    # micro tp 3 fp 1 fn 2; macro over covid-19, ards, pneumonia.
    assert_output "$(printf '%s\n' 'ards 1 0.5 0.666667 2' 'covid-19 1 0.5 0.666667 2' \
        'pneumonia 1 1 1 1' 'tuberculosis 0 0 0 0' 'micro 0.75 0.6 0.666667 5' \
        'macro 1 0.666667 0.777778 -')"
}

@test "labels: a \"labels\" array wins over the diagnosis text" {
    cd "$BATS_TEST_TMPDIR"
    echo '{"id":"a","caption":"diagnosis: edema","labels":["Pleural Effusion"]}' >refs.ndjson
    echo '{"id":"a","caption":"diagnosis: pleural   effusion"}' >preds.ndjson
    run -0 medcap-score --refs refs.ndjson preds.ndjson
    run -0 label_rows <<<"$output"
    assert_output "$(printf '%s\n' 'pleural effusion 1 1 1 1' 'micro 1 1 1 1' 'macro 1 1 1 -')"
}

@test "--labels auto/on/off: when the section is printed" {
    label_pair
    run -0 medcap-score --refs refs.ndjson --labels off preds.ndjson
    run -0 jq -r 'has("labels")' <<<"$output"
    assert_output false
    # without any "labels" array auto leaves it out, on scores the "diagnosis:" lists
    jq -c 'del(.labels)' refs.ndjson >plain.ndjson
    run -0 medcap-score --refs plain.ndjson preds.ndjson
    run -0 jq -r 'has("labels")' <<<"$output"
    assert_output false
    run -0 medcap-score --refs plain.ndjson --labels on preds.ndjson
    run -0 jq -r '.labels | "\(.items) \(.labels | keys | join(","))"' <<<"$output"
    assert_output "4 ards,covid-19,pneumonia,tuberculosis"
    # on, but no reference has labels: nothing to print
    small_pair
    run -0 medcap-score --refs refs.ndjson --labels=on preds.ndjson
    run -0 jq -r 'has("labels")' <<<"$output"
    assert_output false
}

@test "--labels in --table: averages and one row per label" {
    label_pair
    run -0 medcap-score --refs refs.ndjson --table preds.ndjson
    assert_line --regexp '^label micro F1 +0\.666667  labels: .* \(4 items\)$'
    assert_line --regexp '^label macro F1 +0\.777778$'
    assert_line --regexp '^  F1 covid-19 +0\.666667  support 2$'
    assert_line --regexp '^  F1 tuberculosis +0\.000000  support 0 \(predicted only\)$'
    run -0 medcap-score --refs refs.ndjson --table --labels off preds.ndjson
    refute_output --partial "label micro F1"
}

@test "labels: a bad \"labels\" value is exit 1 (skipped under --keep-going, ignored with off)" {
    label_pair
    echo '{"id":"f","caption":"x","labels":"covid-19"}' >>refs.ndjson
    echo '{"id":"f","caption":"x"}' >>preds.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == *'refs.ndjson:6: "labels" is not a list of strings'* ]]
    run -0 medcap-score --refs refs.ndjson --labels off preds.ndjson
    run -5 --separate-stderr medcap-score --refs refs.ndjson --keep-going preds.ndjson
    [[ "$stderr" == *"id 'f' has no reference"* ]]
    run -0 jq -r '.labels.items' <<<"$output"
    assert_output 4
    echo '{"id":"a","caption":"x","labels":["ok",1]}' >bad.ndjson
    echo '{"id":"a","caption":"x"}' >p.ndjson
    run -1 --separate-stderr medcap-score --refs bad.ndjson p.ndjson
    assert_output ""
    [[ "$stderr" == *'bad.ndjson:1: "labels" holds something that is not a string'* ]]
}

@test "--labels with a bad value: exit 2" {
    small_pair
    run -2 --separate-stderr medcap-score --refs refs.ndjson --labels maybe preds.ndjson
    assert_output ""
    [[ "$stderr" == *"--labels: unknown value 'maybe'"* ]]
}

@test "medcap-score: a MedPix category with a comma ends at \"diagnosis:\"" {
    printf '%s\n' '{"id":"a","caption":"modality: ct, plane: axial, category: neoplasm, benign, diagnosis: a mass in the lung"}' \
        '{"id":"b","caption":"modality: mr, plane: axial, category: trauma, diagnosis: fracture"}' > "$BATS_TEST_TMPDIR/refs.ndjson"
    printf '%s\n' '{"id":"a","caption":"modality: ct, plane: coronal, category: neoplasm, benign, diagnosis: something else"}' \
        '{"id":"b","caption":"modality: mr, plane: axial, category: neoplasm, benign, diagnosis: fracture"}' > "$BATS_TEST_TMPDIR/preds.ndjson"
    run -0 medcap-score --refs "$BATS_TEST_TMPDIR/refs.ndjson" "$BATS_TEST_TMPDIR/preds.ndjson"
    run -0 jq -c '.medpix | [.modality.accuracy, .plane.accuracy, .category.accuracy]' <<< "$output"
    assert_output "[1,0.5,0.5]"
}

@test "medcap-score: a MedPix field value ends before any next \"key:\" part" {
    printf '%s\n' '{"id":"x","caption":"modality: xr, frontal/lateral: frontal, ap/pa: pa, diagnosis: covid-19"}' > "$BATS_TEST_TMPDIR/refs.ndjson"
    printf '%s\n' '{"id":"x","caption":"modality: xr, frontal lateral: frontal, ap pa: pa, diagnosis: covid 19"}' > "$BATS_TEST_TMPDIR/preds.ndjson"
    run -0 medcap-score --refs "$BATS_TEST_TMPDIR/refs.ndjson" "$BATS_TEST_TMPDIR/preds.ndjson"
    run -0 jq -c '.medpix.modality.accuracy' <<< "$output"
    assert_output "1"
}

# A caption of n words ("w1 w2 ... wn") as a JSON string.
words_json() {
    python3 -c 'import json, sys; print(json.dumps(" ".join("w%d" % i for i in range(int(sys.argv[1])))))' "$1"
}

@test "a caption over 10000 words is bad input naming file and line (skipped with --keep-going)" {
    small_pair
    echo "{\"id\":\"c\",\"caption\":$(words_json 10000)}" >>refs.ndjson
    echo "{\"id\":\"c\",\"caption\":$(words_json 10001)}" >>preds.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    assert_output ""
    [[ "$stderr" == 'medcap-score: preds.ndjson:3: "caption" has more than 10000 words, the longest caption scored' ]]
    run -5 --separate-stderr medcap-score --refs refs.ndjson --keep-going preds.ndjson
    assert_output --partial '"items":2,"skipped":2'
    # a reference over the limit, in a list, is refused too
    echo "{\"id\":\"d\",\"references\":[\"x\",$(words_json 10001)]}" >>refs.ndjson
    run -1 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson
    [[ "$stderr" == 'medcap-score: refs.ndjson:4: "references" has more than 10000 words, the longest caption scored' ]]
}

@test "two captions of 10000 words score at once (ROUGE-L's LCS)" {
    small_pair
    echo "{\"id\":\"c\",\"caption\":$(words_json 10000)}" >>refs.ndjson
    echo "{\"id\":\"c\",\"caption\":$(words_json 10000)}" >>preds.ndjson
    run -0 timeout 20 medcap-score --refs refs.ndjson preds.ndjson
    assert_output --partial '"items":3'
}

@test "all captions empty: scores without undefined behaviour (zero-length copies; UBSan)" {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"id":"a","caption":""}' '{"id":"b","references":["",""]}' > refs.ndjson
    printf '%s\n' '{"id":"a","caption":""}' '{"id":"b","caption":""}' > preds.ndjson
    run -0 medcap-score --refs refs.ndjson preds.ndjson
    assert_output --partial '"precision":1,"recall":1,"f":1}'
    run -0 medcap-score --bleu-def nltk --bleu-avg sentence --refs refs.ndjson preds.ndjson
}

@test "integer ids (COCO's \"id\": 1) are read as their decimal strings" {
    printf '%s\n' '{"id":1,"caption":"a small cat"}' '{"id":"2","caption":"a big dog"}' >p.ndjson
    printf '%s\n' '{"id":"1","caption":"a small cat"}' '{"id":2,"caption":"a big dog"}' >r.ndjson
    run -0 bash -c 'medcap-score --refs r.ndjson p.ndjson | jq -c "[.items, .skipped]"'
    assert_output "[2,0]"
    medcap-score --per-item items.ndjson --refs r.ndjson p.ndjson >/dev/null
    run -0 bash -c 'jq -r .id items.ndjson | paste -sd " "'
    assert_output "1 2"
    echo '{"id":1.5,"caption":"a small cat"}' >frac.ndjson
    run -1 --separate-stderr medcap-score --refs r.ndjson frac.ndjson
    [[ "$stderr" == *'frac.ndjson:1: record has no string "id" (nor a whole number)'* ]]
}

@test "medcap-score: -h, -q and -v are the grammar's short options; -v prints the count and rate" {
    run -0 medcap-score -h
    [[ "$output" == *"  -q, --quiet"* ]]
    printf '%s\n' '{"id":"a","caption":"x y z"}' '{"id":"b","caption":"p q"}' > refs.ndjson
    run -0 --separate-stderr medcap-score -v --refs refs.ndjson refs.ndjson
    [[ "$stderr" == "medcap-score: 2 items in "*" s ("*"/s)" ]]
    run -0 --separate-stderr medcap-score -q -v --refs refs.ndjson refs.ndjson
    [ -z "$stderr" ]
    # every line of --help within 80 columns
    [ "$(medcap-score --help | awk 'length($0) > 80' | wc -l)" -eq 0 ]
}
