#!/usr/bin/env bats
# medcap-score -j/--threads: the output (JSON summary, --table, --per-item)
# and the messages and exit status of bad input are the same, byte for
# byte, for any number of threads.
load common

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# corpus N [BAD]: refs.ndjson and preds.ndjson of N items in the test
# folder: words of the MedPix captions of tests/data, a fifth of the items
# with two or three references, punctuation, clitics, empty captions,
# MedPix fields, "diagnosis:" labels and whole-number ids; with BAD, bad
# records too (malformed JSON, unknown and duplicate ids, a caption that is
# not a string, blank lines).
corpus() {
    python3 - "$DATA/medpix2-descriptions-dev-80.jsonl" "$1" "${2:-}" <<'PYEOF'
import json, random, sys
src, n, bad = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "bad"
words = [w for l in open(src, encoding="utf-8") if l.strip()
         for w in (json.loads(l)["Description"]["Caption"] or "").split()]
words += ["isn't", "(left)", "lung's", "x-ray", "3.5", "%", "#1", "T2-weighted,"]
rng = random.Random(7)
def caption():
    if rng.random() < 0.03:
        return ""
    c = " ".join(rng.choice(words) for _ in range(rng.randint(1, 30)))
    if rng.random() < 0.2:
        c += "; modality: %s; plane: axial" % rng.choice(["CT", "MR", "XR"])
    if rng.random() < 0.2:
        c += " diagnosis: %s" % rng.choice(["cardiomegaly", "edema, pneumothorax", "nothing"])
    return c
def perturb(c):
    ws = [rng.choice(words) if rng.random() < 0.3 else w for w in c.split()]
    return " ".join(ws[:max(0, len(ws) - rng.randint(0, 3))])
with open("refs.ndjson", "w") as r, open("preds.ndjson", "w") as p:
    for i in range(n):
        refs = [caption() for _ in range(rng.choice([2, 3]) if i % 5 == 0 else 1)]
        key = i if i % 7 == 0 else str(i)
        rec = {"id": key, "references": refs} if len(refs) > 1 else {"id": key, "caption": refs[0]}
        r.write(json.dumps(rec) + "\n")
        p.write(json.dumps({"id": str(i), "caption": perturb(refs[0])}) + "\n")
        if bad and i % 97 == 5:
            p.write(rng.choice(['not json', '{"id":"nope","caption":"x"}',
                                '{"id":"%d","caption":"again"}' % i, '{"id":"q","caption":3}',
                                '   ', '[1]']) + "\n")
PYEOF
}

# same_for_threads ARGS...: medcap-score ARGS with -j 1, 2, 3 and 8 gives
# the same exit status, standard output, standard error and --per-item
# file (when ARGS write items.ndjson).
same_for_threads() {
    local j
    for j in 1 2 3 8; do
        rm -f items.ndjson
        run --separate-stderr medcap-score -j "$j" "$@"
        printf '%s\n%s\n' "$status" "$output" >"out.$j"
        printf '%s\n' "$stderr" >"err.$j"
        if [ -e items.ndjson ]; then mv items.ndjson "items.$j"; fi
    done
    for j in 2 3 8; do
        cmp out.1 "out.$j"
        cmp err.1 "err.$j"
        if [ -e items.1 ]; then cmp items.1 "items.$j"; fi
    done
}

@test "-j 1, 2, 3, 8: the same summary and --per-item file, byte for byte (600 items)" {
    corpus 600
    same_for_threads --refs refs.ndjson --per-item items.ndjson preds.ndjson
    [ "$(head -1 out.1)" = 0 ]
    [ "$(wc -l <items.1)" -eq 600 ]
    grep -q '"items":600,"skipped":0' out.1
}

@test "--threads 1, 2, 3, 8: the same --table and sentence and NLTK scores" {
    corpus 400
    same_for_threads --refs refs.ndjson --table --labels on preds.ndjson
    grep -q 'CIDEr-D' out.1
    same_for_threads --refs refs.ndjson --bleu-def nltk --bleu-avg sentence --tokenize none \
        --per-item items.ndjson preds.ndjson
    [ "$(wc -l <items.1)" -eq 400 ]
}

@test "threads: 9000 items span three blocks of lines; the same output" {
    corpus 9000
    same_for_threads --refs refs.ndjson --per-item items.ndjson preds.ndjson
    [ "$(wc -l <items.1)" -eq 9000 ]
}

@test "threads: bad records give the same messages and exit status (and with --keep-going)" {
    corpus 5000 bad
    same_for_threads --refs refs.ndjson preds.ndjson
    [ "$(head -1 out.1)" = 1 ]
    [ "$(wc -l <err.1)" -eq 1 ] # the first error stops, as with one thread
    grep -q 'preds.ndjson:7: ' err.1
    same_for_threads --refs refs.ndjson --keep-going --per-item items.ndjson preds.ndjson
    [ "$(head -1 out.1)" = 5 ]
    [ "$(grep -c 'preds.ndjson:' err.1)" -gt 40 ]
    grep -q 'record(s) skipped' err.1
}

@test "--threads: a whole number from 1; -j and --threads=N are its spellings" {
    corpus 20
    run -2 --separate-stderr medcap-score --refs refs.ndjson -j 0 preds.ndjson
    [ -z "$output" ]
    run -2 --separate-stderr medcap-score --refs refs.ndjson --threads many preds.ndjson
    [ -z "$output" ]
    run -2 --separate-stderr medcap-score --refs refs.ndjson preds.ndjson -j
    run -0 medcap-score --refs refs.ndjson --threads=2 preds.ndjson
    printf '%s\n' "$output" >a.json
    run -0 medcap-score --refs refs.ndjson -j 1 preds.ndjson
    printf '%s\n' "$output" >b.json
    cmp a.json b.json
    run -0 medcap-score --help
    assert_output --partial "-j, --threads N"
}
