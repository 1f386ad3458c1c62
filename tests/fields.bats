#!/usr/bin/env bats
# The structured fields (classifier heads), model selection by a dev metric
# and the caption length limits of medcap-train and medcap-decode-caption,
# on the shipped 40-image MedPix 2.0 slice (64 px).
load common

FEAT="$DATA/medpix2-16-features.frames"

setup_file() {
    export W="$BATS_FILE_TMPDIR"
    medcap-csv-clean "$DATA/medpix-slice" 2>/dev/null > "$W/records.ndjson"
    grep '"split":"train"' "$W/records.ndjson" | medcap-img-resize --root "$DATA/medpix-slice" -s 64 > "$W/train.frames"
    grep '"split":"dev"' "$W/records.ndjson" | medcap-img-resize --root "$DATA/medpix-slice" -s 64 > "$W/dev.frames"
    medcap-train --train-encoder --min-freq 1 --hidden 32 --embed 16 --attn-dim 16 --batch 8 \
        --epochs 2 --threads 1 --val "$W/dev.frames" --log "$W/log.ndjson" -o "$W/m.st" \
        "$W/train.frames" 2> "$W/train.err"
    # the training images with each caption moved to the next image
    grep '"split":"train"' "$W/records.ndjson" | jq -s -c '. as $r | to_entries | map(.value.caption = $r[(.key + 1) % ($r | length)].caption) | .[].value' \
        | medcap-img-resize --root "$DATA/medpix-slice" -s 64 > "$W/rot.frames"
    medcap-encode-features -m "$W/m.st" --features grid "$W/dev.frames" > "$W/dev.feat"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# The model file's metadata string KEY.
meta() {
    python3 - "$1" "$2" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
print(json.loads(b[8:8 + n])["__metadata__"][sys.argv[2]])
PY
}

@test "fields: the model stores a head per field, its classes from the training records" {
    run -0 meta "$W/m.st" fields
    run -0 jq -r 'map(.name) | join(",")' <<<"$output"
    assert_output "modality,plane,category"
    classes=$(meta "$W/m.st" fields | jq -r '.[0].classes | sort | join(",")')
    want=$(grep '"split":"train"' "$W/records.ndjson" | jq -r .modality | sort -u | paste -sd,)
    [ "$classes" = "$want" ]
}

@test "fields: every record carries the heads' values and probabilities, and the caption's prefix says the same" {
    run -0 medcap-decode-caption -m "$W/m.st" "$W/dev.feat"
    [ "${#lines[@]}" -eq "$(grep -c '"split":"dev"' "$W/records.ndjson")" ]
    classes=$(meta "$W/m.st" fields)
    # every record, in one Python run (one per record was most of the test's time)
    python3 - "$output" "$classes" <<'PY'
import json, sys
heads = {f["name"]: f["classes"] for f in json.loads(sys.argv[2])}
for line in sys.argv[1].splitlines():
    if not line:
        continue
    r = json.loads(line)
    f = r["fields"]
    assert sorted(f) == sorted(heads), f
    for name, v in f.items():
        assert v["value"] in heads[name], (name, v)
        assert 0 < v["p"] <= 1, v
    # the captions of the slice open with the modality: forced from the first
    # word; every other field named in the caption carries the head's value
    c = r["caption"]
    assert c.startswith("modality: %s, " % f["modality"]["value"]), c
    for name in ("plane", "category"):
        i = c.find(" %s: " % name)
        if i >= 0:
            assert c[i:].startswith(" %s: %s," % (name, f[name]["value"])), (c, name)
PY
}

@test "fields: --free-fields leaves the prefix to the decoder; --fields none trains no heads" {
    run -0 medcap-decode-caption -m "$W/m.st" --free-fields "$W/dev.feat"
    [[ "${lines[0]}" == *'"fields":{"modality":{"value":'* ]]
    medcap-train --fields none --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 \
        -o none.st "$W/dev.feat" 2>/dev/null
    run -0 medcap-decode-caption -m none.st "$W/dev.feat"
    [[ "${lines[0]}" != *'"fields"'* ]]
    run -1 meta none.st fields
}

@test "fields: a field with one value in the training set gets no head, with a note" {
    jq -c '.modality = "ct"' "$W/records.ndjson" | grep '"split":"train"' \
        | medcap-img-resize --root "$DATA/medpix-slice" -s 64 > one.frames
    run -0 --separate-stderr medcap-train --train-encoder --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 \
        --epochs 1 --threads 1 -o one.st one.frames
    [[ "$stderr" == *"note: field 'modality' has one value in one.frames: no head for it"* ]]
    run -0 bash -c "meta one.st fields | jq -r 'map(.name) | join(\",\")'"
}

@test "fields: bad --fields and --select values are usage errors" {
    run -2 --separate-stderr medcap-train --fields modality,modality -o x.st "$FEAT"
    [[ "$stderr" == *"--fields: 'modality' given twice"* ]]
    run -2 --separate-stderr medcap-train --select rouge --val "$FEAT" -o x.st "$FEAT"
    [[ "$stderr" == *"--select 'rouge': expected cider, bleu4 or loss"* ]]
    run -2 --separate-stderr medcap-train --select cider -o x.st "$FEAT"
    [[ "$stderr" == *"--select needs --val"* ]]
    run -2 --separate-stderr medcap-train --objective contrastive --fields modality -o x.st "$FEAT"
    [[ "$stderr" == *"--fields does not apply to --objective contrastive"* ]]
    [ ! -e x.st ]
}

@test "select: the log reports the dev metrics of every epoch and marks the kept ones" {
    run -0 jq -s -c 'map(has("val_cider") and has("val_bleu4") and has("val_acc_modality") and has("kept"))' "$W/log.ndjson"
    assert_output "[true,true]"
    run -0 jq -s -c '.[0].kept' "$W/log.ndjson"
    assert_output "true"
}

# The tensors NAME -> bytes of a safetensors file that start with prefix.
tensors_py='
import json, struct, sys
def tensors(path, prefix):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    return {k: b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]
            for k, v in h.items() if k != "__metadata__" and k.startswith(prefix)}
'

@test "select: the model written is the kept epoch's, not the last" {
    # --lr 0: every epoch scores the same, and a tie keeps the earlier one
    args=(--min-freq 1 --hidden 32 --embed 16 --attn-dim 16 --batch 8 --threads 1 --seed 4
          --lr 0 --epochs 3 --val "$FEAT" --select cider)
    medcap-train "${args[@]}" --log log.ndjson -o m.st "$FEAT" 2>/dev/null
    run -0 jq -s -c 'map(.kept)' log.ndjson
    assert_output "[true,false,false]"
    medcap-train "${args[@]}" --stop-after 2 --checkpoint stop.ckpt -o m2.st "$FEAT" 2>/dev/null || true
    python3 -c "$tensors_py"'
a, b = tensors("m.st", "decoder."), tensors("stop.ckpt", "decoder.")
assert a and a == b, "kept model differs from the checkpoint of its epoch"
'
}

@test "select: loss keeps the epoch of the lowest dev loss; the log marks each new best" {
    medcap-train --min-freq 1 --hidden 32 --embed 16 --attn-dim 16 --batch 8 --threads 1 --seed 4 \
        --epochs 5 --val "$FEAT" --select loss --log log.ndjson -o m.st "$FEAT" 2>/dev/null
    python3 - <<'PY'
import json
log = [json.loads(l) for l in open("log.ndjson")]
best = None
for e in log:
    new = best is None or e["val_loss"] < best
    assert e["kept"] == new, (e["epoch"], e["kept"], new)
    best = e["val_loss"] if new else best
PY
}

# captions_tokens le|ge N: every record on standard input has a caption of at
# most (le) or at least (ge) N tokens (words and : , . apart); one Python run
# for all the records.
captions_tokens() {
    python3 -c 'import json, operator, re, sys
op, want, n = getattr(operator, sys.argv[1]), int(sys.argv[2]), 0
for line in sys.stdin.read().splitlines():
    if line:
        c = json.loads(line)["caption"]
        k = len(re.findall(r"[^\s:,.]+|[:,.]", c))
        assert op(k, want), (k, sys.argv[1], want, c)
        n += 1
assert n > 0, "no records"' "$1" "$2"
}

@test "length: decoding never exceeds the model's length, whatever --max-len asks" {
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 --max-len 5 \
        -o short.st "$FEAT" 2>/dev/null
    run -0 medcap-decode-caption -m short.st --max-len 100 --no-repeat-ngram 0 "$FEAT"
    captions_tokens le 5 <<<"$output"
    run -0 meta short.st config
    [[ "$output" == *'"max_len":6'* ]]
}

@test "length: decoding writes at least the median training caption by default, as the model says" {
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 -o m.st "$FEAT" 2>/dev/null
    want=$(jq -r .caption "$DATA/medpix2-16-captions.ndjson" \
        | python3 -c 'import re,sys; L=[len(re.findall(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*|[:,.]", l.lower())) for l in sys.stdin]; L.sort(); print(L[len(L)//2])')
    run -0 meta m.st decode_min_len
    assert_output "$want"
    run -0 medcap-decode-caption -m m.st "$FEAT"
    captions_tokens ge "$want" <<<"$output"
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 --min-len 0 -o z.st "$FEAT" 2>/dev/null
    run -1 meta z.st decode_min_len
}

@test "length: without --max-len, training keeps the 95th percentile of the captions' tokens" {
    grep -c . "$DATA/medpix2-16-captions.ndjson"
    want=$(jq -r .caption "$DATA/medpix2-16-captions.ndjson" \
        | python3 -c 'import re,sys; L=sorted(len(re.findall(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*|[:,.]", l.lower())) for l in sys.stdin); print(max(8, L[int(0.95*(len(L)-1)+0.5)]) + 1)')
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 -o auto.st "$FEAT" 2>/dev/null
    run -0 meta auto.st config
    [[ "$output" == *"\"max_len\":$want,"* ]]
}

@test "fields: each modality decodes at least its own median caption length (short X-ray captions end early)" {
    # 12 X-ray records with short captions, 12 CT records with long ones, one image each kind
    for i in $(seq 1 12); do
        printf '{"id":"x%d","image":"%s","caption":"modality: xr, diagnosis: clear lungs.","modality":"xr"}\n' \
            "$i" "$DATA/images/ARDSSevere.jpg"
        printf '{"id":"c%d","image":"%s","caption":"modality: ct, diagnosis: a large mass in the right lower lobe with a small effusion and several enlarged nodes.","modality":"ct"}\n' \
            "$i" "$DATA/images/MPX1007_synpic46719.png"
    done > recs.ndjson
    medcap-img-resize -s 32 -j 1 < recs.ndjson | medcap-encode-features --allow-random -j 1 --features grid > f.frames
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --batch 8 --threads 1 \
        --fields modality -o ml.st f.frames 2>/dev/null
    run -0 bash -c "python3 -c '
import json, struct, sys
b = open(sys.argv[1], \"rb\").read()
m = json.loads(b[8:8 + struct.unpack(\"<Q\", b[:8])[0]])[\"__metadata__\"]
f = json.loads(m[\"fields\"])[0]
print(dict(zip(f[\"classes\"], f[\"min_len\"])), m[\"decode_min_len\"])' ml.st"
    # medcap's tokens: 9 in the X-ray caption, 22 in the CT one; the overall median is 22
    assert_output "{'ct': 22, 'xr': 9} 22"
    # an explicit --min-len is one length for every class
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --batch 8 --threads 1 \
        --fields modality --min-len 3 -o one.st f.frames 2>/dev/null
    run -0 meta one.st fields
    [[ "$output" != *min_len* ]]
}
