#!/usr/bin/env bats
# The joint image-text embedding (issue 7): medcap-train-embed trains it,
# medcap-embed maps images and captions into it, and medcap-index /
# medcap-retrieve search it unchanged.
load common

FEAT="$DATA/medpix2-16-features.frames"
CAPS="$DATA/medpix2-16-captions.ndjson"

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# st_header FILE: the JSON header of a safetensors file.
st_header() {
    python3 -c 'import json,struct,sys
f=open(sys.argv[1],"rb"); n=struct.unpack("<Q",f.read(8))[0]; print(f.read(n).decode())' "$1"
}

# train16 OUT [OPTIONS]: a small model of the 16 MedPix images.
train16() {
    local out=$1
    shift
    medcap-train-embed --min-freq 1 -e 60 -b 16 --proj-dim 32 --embed 32 -o "$out" "$@" "$FEAT" 2>/dev/null
}

@test "medcap-train-embed and medcap-embed: CLI contract" {
    check_cli_contract medcap-train-embed
    check_cli_contract medcap-embed
}

@test "medcap-train-embed: training runs and the loss falls; the model describes itself" {
    run -0 --separate-stderr medcap-train-embed --min-freq 1 -e 30 -b 16 --log log.ndjson -o m.st "$FEAT"
    assert_output ""
    [[ "$stderr" == *"epoch 30/30 loss"* ]]
    [ "$(wc -l < log.ndjson)" -eq 30 ]
    first=$(head -n 1 log.ndjson | jq .loss)
    last=$(tail -n 1 log.ndjson | jq .loss)
    jq -e -n "$last < $first / 2" >/dev/null
    st_header m.st | jq -e '.__metadata__.format == "medcap-embedding-model"
        and (.__metadata__.config | fromjson | .proj_dim == 256 and .embed == 256 and .max_len == 64)
        and (.__metadata__.vocab | fromjson | .[0:4] == ["<pad>","<bos>","<eos>","<unk>"])
        and .logit_scale.shape == [1] and ."image_proj.weight".shape == [256,256]' >/dev/null
}

@test "medcap-embed: after training, each caption retrieves an image with its caption at rank 1" {
    train16 m.st
    medcap-embed -m m.st "$FEAT" > img.emb
    run -0 medcap-frame-info img.emb
    [ "${#lines[@]}" -eq 16 ]
    [[ "${lines[0]}" == *"f32"*"32"*"ok"* ]]
    medcap-index -o img.idx img.emb
    medcap-embed -m m.st < "$CAPS" | medcap-retrieve -i img.idx -k 1 > hits.ndjson
    [ "$(wc -l < hits.ndjson)" -eq 16 ]
    # Identical captions cannot be told apart: each caption retrieves an image
    # with the same caption, and a caption no other image has its own image.
    jq -s -e --slurpfile c "$CAPS" '
        ($c | map({(.id): .caption}) | add) as $cap
        | ($c | group_by(.caption) | map(select(length == 1) | .[0].id)) as $unique
        | all(.[]; $cap[.neighbors[0].id] == $cap[.id])
          and all(.[] | select(.id as $i | $unique | index($i)); .neighbors[0].id == .id)' \
        hits.ndjson >/dev/null
}

@test "medcap-embed: images retrieve their captions" {
    train16 m.st
    medcap-embed -m m.st "$CAPS" > txt.emb
    medcap-index -o txt.idx txt.emb
    medcap-embed -m m.st "$FEAT" | medcap-retrieve -i txt.idx -k 1 > hits.ndjson
    jq -s -e --slurpfile c "$CAPS" '
        ($c | map({(.id): .caption}) | add) as $cap
        | all(.[]; $cap[.neighbors[0].id] == $cap[.id])' hits.ndjson >/dev/null
}

@test "medcap-embed: --field embeds another key; frames and records from several files" {
    train16 m.st
    echo '{"id":"q","text":"CT of the chest reveals an obstructing mass","caption":"x"}' > q.ndjson
    medcap-embed -m m.st --field text q.ndjson > a.emb
    echo '{"id":"q","caption":"CT of the chest reveals an obstructing mass"}' > r.ndjson
    medcap-embed -m m.st r.ndjson > b.emb
    medcap-embed -m m.st - "$FEAT" < r.ndjson > both.emb
    run -0 medcap-frame-info both.emb
    [ "${#lines[@]}" -eq 17 ]
    [[ "${lines[0]}" == q* ]]
    # the same text under another key gives the same vector
    medcap-index -o one.idx b.emb
    run -0 bash -c "medcap-retrieve -i one.idx -k 1 a.emb | jq -r '.neighbors[0].similarity'"
    jq -e -n "$output > 0.9999" >/dev/null
    run -0 bash -c "medcap-retrieve -i one.idx -k 1 a.emb | jq -r '.text'"
    assert_output "CT of the chest reveals an obstructing mass"
}

@test "medcap-train-embed: options shape the model" {
    run -0 medcap-train-embed --caption-field id --min-freq 1 --max-vocab 10 --proj-dim 8 \
        --embed 6 --max-len 5 --epochs 2 --batch 4 --lr 0.01 --seed 3 --threads 1 --out o.st "$FEAT"
    st_header o.st | jq -e '(.__metadata__.config | fromjson) == {"feature_dim":256,"embed":6,"proj_dim":8,"max_len":5,"vocab":10}
        and ."text_embed.weight".shape == [10,6] and ."text_proj.weight".shape == [8,6]' >/dev/null
    # --caption-field: the vocabulary comes from the ids
    st_header o.st | jq -e '.__metadata__.vocab | fromjson | index("mpx1038") != null' >/dev/null
    # --seed: the same seed gives the same file, another seed another
    medcap-train-embed -e 2 -b 4 --seed 3 -o s3.st "$FEAT" 2>/dev/null
    medcap-train-embed -e 2 -b 4 --seed 3 -o s3b.st "$FEAT" 2>/dev/null
    medcap-train-embed -e 2 -b 4 --seed 4 -o s4.st "$FEAT" 2>/dev/null
    cmp s3.st s3b.st
    ! cmp -s s3.st s4.st
    # default output name
    medcap-train-embed -e 1 "$FEAT" 2>/dev/null
    [ -s embed.safetensors ]
}

@test "medcap-train-embed: usage errors" {
    run -2 --separate-stderr medcap-train-embed
    assert_output ""
    [[ "$stderr" == *"no training file given"* ]]
    run -2 --separate-stderr medcap-train-embed a b
    [[ "$stderr" == *"more than one training file"* ]]
    run -2 --separate-stderr medcap-train-embed --batch 1 "$FEAT"
    [[ "$stderr" == *"--batch '1'"* ]]
    run -2 --separate-stderr medcap-train-embed --lr 0 "$FEAT"
    [[ "$stderr" == *"--lr '0'"* ]]
    run -2 --separate-stderr medcap-embed
    [[ "$stderr" == *"no model given"* ]]
}

@test "medcap-train-embed: bad inputs" {
    # a frame without a caption
    echo '{"id":"a","text":"no caption here"}' > nocap.ndjson
    train16 m.st
    medcap-embed -m m.st --field text nocap.ndjson > nocap.frames
    run -1 --separate-stderr medcap-train-embed -o x.st nocap.frames
    assert_output ""
    [[ "$stderr" == *"medcap-train-embed: nocap.frames:1: record 'a' has no string \"caption\""* ]]
    [ ! -e x.st ]
    # image frames, not features
    run -1 --separate-stderr medcap-train-embed -o x.st "$DATA/medpix2-16-64px.frames"
    [[ "$stderr" == *"medpix2-16-64px.frames:1: record 'MPX1024_synpic40275': expected an F32 feature frame, got u8"* ]]
    # too few pairs
    echo '{"id":"a","caption":"one pair"}' | medcap-embed -m m.st > one.frames
    run -1 --separate-stderr medcap-train-embed -o x.st one.frames
    [[ "$stderr" == *"needs at least 2 frames with captions, found 1"* ]]
    # truncated
    head -c 5000 "$FEAT" > cut.frames
    run -1 --separate-stderr medcap-train-embed -o x.st cut.frames
    [[ "$stderr" == *"cut.frames:2: truncated"* ]]
    run -3 --separate-stderr medcap-train-embed -o x.st missing.frames
    [[ "$stderr" == *"missing.frames"* ]]
    run -3 --separate-stderr medcap-train-embed --log /nonexistent/log -o x.st "$FEAT"
    [[ "$stderr" == *"/nonexistent/log: cannot open the log"* ]]
    [ ! -e x.st ]
}

@test "medcap-embed: bad inputs and models" {
    train16 m.st
    # a model of another kind
    run -4 --separate-stderr medcap-embed -m "$MEDCAP_SHARE/model.safetensors" "$CAPS"
    assert_output ""
    [[ "$stderr" == *"not a medcap-embedding-model file (metadata format is 'medcap-caption-model'"* ]]
    # an embedding model whose config disagrees with its vocabulary
    python3 -c 'import json,struct,sys
d=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",d[:8])[0]; h=json.loads(d[8:8+n])
c=json.loads(h["__metadata__"]["config"]); c["vocab"]+=1; h["__metadata__"]["config"]=json.dumps(c)
b=json.dumps(h).encode(); b+=b" "*(-len(b)%8)
open(sys.argv[2],"wb").write(struct.pack("<Q",len(b))+b+d[8+n:])' m.st badvocab.st
    run -4 --separate-stderr medcap-embed -m badvocab.st "$CAPS"
    assert_output ""
    [[ "$stderr" == *"badvocab.st: config vocab"*"does not match the"*"-token vocabulary"* ]]
    run -3 --separate-stderr medcap-embed -m nothere.st "$CAPS"
    assert_output ""
    # frames of the wrong kind or size
    run -1 --separate-stderr medcap-embed -m m.st "$DATA/medpix2-16-64px.frames"
    assert_output ""
    [[ "$stderr" == *"medpix2-16-64px.frames:1: expected an F32 feature frame of size 256 (the model's), got u8"* ]]
    # a record without the caption, a malformed record
    echo '{"id":"a","text":"x"}' > nocap.ndjson
    run -1 --separate-stderr medcap-embed -m m.st nocap.ndjson
    assert_output ""
    [[ "$stderr" == *"nocap.ndjson:1: record 'a' has no string \"caption\""* ]]
    printf '{"id":"a","caption":"x"}\n{"id":\n' > bad.ndjson
    run -1 --separate-stderr medcap-embed -m m.st bad.ndjson
    [[ "$stderr" == *"bad.ndjson:2:"* ]]
    head -c 5000 "$FEAT" > cut.frames
    run -1 --separate-stderr medcap-embed -m m.st cut.frames
    [[ "$stderr" == *"cut.frames:2: truncated"* ]]
}

@test "medcap-embed: empty input gives empty output" {
    train16 m.st
    run -0 medcap-embed -m m.st < /dev/null
    assert_output ""
}

@test "medcap-embed and medcap-train-embed: man pages" {
    for p in medcap-embed medcap-train-embed; do
        [ -f "$ROOT/man/$p.1" ]
        grep -q '^\.SH EXIT STATUS' "$ROOT/man/$p.1"
        grep -q '^\.SH EXAMPLES' "$ROOT/man/$p.1"
    done
    for o in --model --field; do grep -q -- "${o//-/\\\\-}" "$ROOT/man/medcap-embed.1"; done
    for o in --out --caption-field --epochs --batch --lr --proj-dim --embed --max-len --min-freq \
        --max-vocab --seed --log --threads; do
        grep -q -- "${o//-/\\\\-}" "$ROOT/man/medcap-train-embed.1" || { echo "no $o"; return 1; }
    done
}
