#!/usr/bin/env bats
# The joint image-text embedding (issue 7): medcap-train --objective
# contrastive trains it, medcap-embed maps images and captions into it,
# medcap-index indexes either side and medcap-retrieve -m searches it with
# image frames, caption records or --text.
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

# A small model of the 16 MedPix images, trained once for the file: nine
# tests use it, each on its own copy (train16).
setup_file() {
    medcap-train --objective contrastive --min-freq 1 -e 60 -b 16 --proj-dim 32 --embed 32 \
        -o "$BATS_FILE_TMPDIR/m16.st" "$FEAT" 2>/dev/null
}

# train16 OUT: a copy of that model, OUT in the test's own folder.
train16() {
    cp "$BATS_FILE_TMPDIR/m16.st" "$1"
}

@test "medcap-embed: CLI contract" {
    check_cli_contract medcap-embed
}

@test "medcap-train --objective contrastive: training runs and the loss falls; the model describes itself" {
    run -0 --separate-stderr medcap-train --objective contrastive --min-freq 1 -e 30 -b 16 --log log.ndjson -o m.st "$FEAT"
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
    medcap-embed -m m.st < "$CAPS" | medcap-retrieve -i img.idx -n 1 > hits.ndjson
    [ "$(wc -l < hits.ndjson)" -eq 16 ]
    # Identical captions cannot be told apart: each caption retrieves an image
    # with the same caption, and a caption no other image has its own image.
    jq -s -e --slurpfile c "$CAPS" '
        ($c | map({(.id): .caption}) | add) as $cap
        | ($c | group_by(.caption) | map(select(length == 1) | .[0].id)) as $unique
        | length == 16 and all(.[]; $cap[.neighbors[0].id] == $cap[.id])
          and all(.[] | select(.id as $i | $unique | index($i)); .neighbors[0].id == .id)' \
        hits.ndjson >/dev/null
}

@test "medcap-embed: images retrieve their captions" {
    train16 m.st
    medcap-embed -m m.st "$CAPS" > txt.emb
    medcap-index -o txt.idx txt.emb
    medcap-embed -m m.st "$FEAT" | medcap-retrieve -i txt.idx -n 1 > hits.ndjson
    jq -s -e --slurpfile c "$CAPS" '
        ($c | map({(.id): .caption}) | add) as $cap
        | length == 16 and all(.[]; $cap[.neighbors[0].id] == $cap[.id])' hits.ndjson >/dev/null
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
    run -0 bash -c "medcap-retrieve -i one.idx -n 1 a.emb | jq -r '.neighbors[0].similarity'"
    jq -e -n "$output > 0.9999" >/dev/null
    run -0 bash -c "medcap-retrieve -i one.idx -n 1 a.emb | jq -r '.text'"
    assert_output "CT of the chest reveals an obstructing mass"
}

@test "medcap-train --objective contrastive: options shape the model" {
    run -0 medcap-train --objective contrastive --caption-field id --min-freq 1 --max-vocab 10 --proj-dim 8 \
        --embed 6 --max-len 5 --epochs 2 --batch 4 --lr 0.01 --seed 3 --threads 1 --out o.st "$FEAT"
    st_header o.st | jq -e '(.__metadata__.config | fromjson) == {"feature_dim":256,"embed":6,"proj_dim":8,"max_len":5,"vocab":10}
        and ."text_embed.weight".shape == [10,6] and ."text_proj.weight".shape == [8,6]' >/dev/null
    # --caption-field: the vocabulary comes from the ids
    st_header o.st | jq -e '.__metadata__.vocab | fromjson | index("mpx1038") != null' >/dev/null
    # --seed: the same seed gives the same file, another seed another
    medcap-train --objective contrastive -e 2 -b 4 --seed 3 -o s3.st "$FEAT" 2>/dev/null
    medcap-train --objective contrastive -e 2 -b 4 --seed 3 -o s3b.st "$FEAT" 2>/dev/null
    medcap-train --objective contrastive -e 2 -b 4 --seed 4 -o s4.st "$FEAT" 2>/dev/null
    cmp s3.st s3b.st
    run -1 cmp -s s3.st s4.st
    # default output name
    medcap-train --objective contrastive -e 1 "$FEAT" 2>/dev/null
    [ -s embed.safetensors ]
}

@test "medcap-train --objective contrastive: usage errors" {
    run -2 --separate-stderr medcap-train --objective contrastive
    assert_output ""
    [[ "$stderr" == *"no training file given"* ]]
    run -2 --separate-stderr medcap-train --objective contrastive a b
    [[ "$stderr" == *"more than one training file"* ]]
    run -2 --separate-stderr medcap-train --objective contrastive --batch 1 "$FEAT"
    [[ "$stderr" == *"--batch must be at least 2"* ]]
    run -2 --separate-stderr medcap-train --objective contrastive --lr -1 "$FEAT"
    [[ "$stderr" == *"--lr '-1'"* ]]
    run -2 --separate-stderr medcap-embed
    [[ "$stderr" == *"no model given"* ]]
}

@test "medcap-train --objective contrastive: bad inputs" {
    # a frame without a caption
    echo '{"id":"a","text":"no caption here"}' > nocap.ndjson
    train16 m.st
    medcap-embed -m m.st --field text nocap.ndjson > nocap.frames
    run -1 --separate-stderr medcap-train --objective contrastive -o x.st nocap.frames
    assert_output ""
    [[ "$stderr" == *"medcap-train: nocap.frames:1: record 'a' has no string \"caption\""* ]]
    [ ! -e x.st ]
    # image frames, not features
    run -1 --separate-stderr medcap-train --objective contrastive -o x.st "$DATA/medpix2-16-64px.frames"
    [[ "$stderr" == *"medpix2-16-64px.frames:1: record 'MPX1024_synpic40275': expected an F32 feature frame, got u8"* ]]
    # too few pairs
    echo '{"id":"a","caption":"one pair"}' | medcap-embed -m m.st > one.frames
    run -1 --separate-stderr medcap-train --objective contrastive -o x.st one.frames
    [[ "$stderr" == *"needs at least 2 frames with captions, found 1"* ]]
    # truncated
    head -c 5000 "$FEAT" > cut.frames
    run -1 --separate-stderr medcap-train --objective contrastive -o x.st cut.frames
    [[ "$stderr" == *"cut.frames:2: truncated"* ]]
    run -3 --separate-stderr medcap-train --objective contrastive -o x.st missing.frames
    [[ "$stderr" == *"missing.frames"* ]]
    run -3 --separate-stderr medcap-train --objective contrastive --log /nonexistent/log -o x.st "$FEAT"
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

@test "medcap-embed --keep-going: a damaged frame (CRC), a record without its caption and a malformed one are skipped, exit 5" {
    train16 m.st
    damage_frame "$FEAT" 3 bad.frames
    run -1 --separate-stderr bash -c 'medcap-embed -m m.st bad.frames > out.frames'
    [[ "$stderr" == *"bad.frames:3: frame CRC mismatch"* ]]
    printf '{"id":"a","caption":"axial ct"}\n{"id":"b","text":"x"}\n{"id":\n{"id":"c","caption":"mr"}\n' > mixed.ndjson
    run -5 --separate-stderr bash -c 'medcap-embed -m m.st --keep-going bad.frames mixed.ndjson > out.frames'
    [[ "$stderr" == *"bad.frames:3: frame CRC mismatch"* ]]
    [[ "$stderr" == *"mixed.ndjson:2: record 'b' has no string \"caption\""* ]]
    [[ "$stderr" == *"3 frame(s) or record(s) skipped"* ]]
    run -0 medcap-frame-info --count out.frames
    assert_output 17
}

@test "medcap-embed: empty input gives empty output" {
    train16 m.st
    run -0 medcap-embed -m m.st < /dev/null
    assert_output ""
}

@test "medcap-embed, medcap-train --objective contrastive, medcap-retrieve -m: man pages" {
    for o in --model --field; do grep -q -- "${o//-/\\\\-}" "$ROOT/man/medcap-embed.1"; done
    for o in --objective --proj-dim --weight-decay --dropout --val; do
        grep -q -- "${o//-/\\\\-}" "$ROOT/man/medcap-train.1" || { echo "no $o"; return 1; }
    done
    grep -q '^\.SS Contrastive objective' "$ROOT/man/medcap-train.1"
    for o in --model --text --text-field; do
        grep -q -- "${o//-/\\\\-}" "$ROOT/man/medcap-retrieve.1" || { echo "no $o"; return 1; }
    done
}

@test "medcap-train --objective contrastive: caption-only options refused, objective checked" {
    run -2 --separate-stderr medcap-train --objective contrastive --hidden 64 "$FEAT"
    assert_output ""
    [[ "$stderr" == *"--hidden does not apply to --objective contrastive"* ]]
    run -2 --separate-stderr medcap-train --resume x.ckpt --objective contrastive "$FEAT"
    [[ "$stderr" == *"--resume does not apply to --objective contrastive"* ]]
    run -2 --separate-stderr medcap-train --proj-dim 8 "$FEAT"
    [[ "$stderr" == *"--proj-dim applies only to --objective contrastive"* ]]
    run -2 --separate-stderr medcap-train --objective clip "$FEAT"
    [[ "$stderr" == *"--objective 'clip': expected caption or contrastive"* ]]
    run -2 --separate-stderr medcap-train --objective contrastive --dropout 0.99 "$FEAT"
    [[ "$stderr" == *"--dropout '0.99'"* ]]
    [ ! -e embed.safetensors ]
}

@test "medcap-train --objective contrastive: --val logs recall and keeps the best epoch" {
    run -0 --separate-stderr medcap-train --objective contrastive --min-freq 1 -e 8 -b 8 \
        --proj-dim 16 --embed 16 --val "$FEAT" --log log.ndjson -o m.st "$FEAT"
    [ "$(wc -l < log.ndjson)" -eq 8 ]
    jq -s -e 'all(.[]; (.val_i2t_r1 | type) == "number" and .val_t2i_r10 <= 1
        and .val_i2t_r1 <= .val_i2t_r5 and .val_i2t_r5 <= .val_i2t_r10
        and (.val_mean - ((.val_i2t_r1 + .val_i2t_r5 + .val_i2t_r10 + .val_t2i_r1
                           + .val_t2i_r5 + .val_t2i_r10) / 6) | fabs) < 1e-3)' log.ndjson >/dev/null
    best=$(jq -s 'max_by(.val_mean) | .epoch' log.ndjson)
    # ties keep the first best epoch
    first=$(jq -s --argjson b "$(jq -s 'map(.val_mean) | max' log.ndjson)" \
        'map(select(.val_mean == $b)) | .[0].epoch' log.ndjson)
    [[ "$stderr" == *"kept the weights of epoch $first "* ]]
    # the kept model scores what the log says for its epoch, measured by retrieval
    medcap-embed -m m.st "$FEAT" | medcap-index -o img.idx
    medcap-embed -m m.st "$CAPS" | medcap-retrieve -i img.idx -n 1 |
        jq -s '[.[] | select(.neighbors[0].id == .id)] | length / 16' > r1.txt
    jq -e -n --argjson got "$(cat r1.txt)" --argjson want \
        "$(jq -s --argjson e "$first" '.[] | select(.epoch == $e) | .val_t2i_r1' log.ndjson)" \
        '$got >= $want - 0.07' >/dev/null
    # a validation file of another feature size is refused
    echo '{"id":"a","caption":"x"}' > one.ndjson
    medcap-embed -m m.st one.ndjson one.ndjson > small.frames
    run -1 --separate-stderr medcap-train --objective contrastive --val small.frames -o y.st "$FEAT"
    [[ "$stderr" == *"small.frames: feature size 16 differs from the training frames' 256"* ]]
    [ ! -e y.st ]
}

@test "medcap-train --objective contrastive: dropout and weight decay change the model" {
    medcap-train --objective contrastive -e 3 -b 8 --seed 2 -o a.st "$FEAT" 2>/dev/null
    medcap-train --objective contrastive -e 3 -b 8 --seed 2 --dropout 0.3 -o b.st "$FEAT" 2>/dev/null
    medcap-train --objective contrastive -e 3 -b 8 --seed 2 --dropout 0 --weight-decay 0.5 \
        -o c.st "$FEAT" 2>/dev/null
    medcap-train --objective contrastive -e 3 -b 8 --seed 2 --dropout 0 --weight-decay 0 \
        -o d.st "$FEAT" 2>/dev/null
    run -1 cmp -s b.st d.st
    run -1 cmp -s c.st d.st
    # weight decay shrinks the weight matrices
    norm() { python3 -c 'import json,struct,sys,array
d=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",d[:8])[0]; h=json.loads(d[8:8+n])
a,b=h["image_proj.weight"]["data_offsets"]; v=array.array("f",d[8+n+a:8+n+b])
print(sum(x*x for x in v))' "$1"; }
    jq -e -n "$(norm c.st) < $(norm d.st)" >/dev/null
}

@test "medcap-retrieve -m: text finds images, images find captions" {
    train16 m.st
    medcap-embed -m m.st "$FEAT" | medcap-index -o img.idx
    medcap-embed -m m.st "$CAPS" | medcap-index -o txt.idx
    # NDJSON caption records through the model: the same answers as embedding them first
    medcap-retrieve -i img.idx -m m.st -n 3 "$CAPS" > direct.ndjson
    medcap-embed -m m.st "$CAPS" | medcap-retrieve -i img.idx -n 3 > piped.ndjson
    diff <(jq -c '[.id, [.neighbors[] | .id]]' direct.ndjson) <(jq -c '[.id, [.neighbors[] | .id]]' piped.ndjson)
    # --text: each query is a record of its own; the top image has that caption
    cap=$(head -n 1 "$CAPS" | jq -r .caption)
    run -0 --separate-stderr medcap-retrieve -i img.idx -m m.st -n 2 --text "$cap" --text "axial"
    [ "${#lines[@]}" -eq 2 ]
    echo "${lines[0]}" | jq -e --arg c "$cap" '.id == "text-1" and .text == $c and (.neighbors | length) == 2' >/dev/null
    echo "${lines[1]}" | jq -e '.id == "text-2" and .text == "axial"' >/dev/null
    top=$(echo "${lines[0]}" | jq -r '.neighbors[0].id')
    jq -s -e --arg t "$top" --arg c "$cap" 'map(select(.id == $t)) | .[0].caption == $c' "$CAPS" >/dev/null
    # image frames through the image side find their captions
    medcap-retrieve -i txt.idx -m m.st -n 1 "$FEAT" |
        jq -s -e --slurpfile c "$CAPS" '($c | map({(.id): .caption}) | add) as $cap
            | length == 16 and all(.[]; $cap[.neighbors[0].id] == $cap[.id])' >/dev/null
    # --text-field; --text then FILEs named
    jq -c '{id, words: .caption}' "$CAPS" > words.ndjson
    run -0 medcap-retrieve -i img.idx -m m.st --text-field words words.ndjson
    [ "${#lines[@]}" -eq 16 ]
    run -0 medcap-retrieve -i img.idx -m m.st --text x words.ndjson --text-field words
    [ "${#lines[@]}" -eq 17 ]
}

@test "medcap-retrieve -m: usage errors, mismatched models and bad text queries" {
    train16 m.st
    medcap-embed -m m.st "$FEAT" | medcap-index -o img.idx
    medcap-index -o feat.idx "$FEAT"
    run -2 --separate-stderr medcap-retrieve -i img.idx --text "axial"
    [[ "$stderr" == *"--text needs an embedding model (-m EMBED)"* ]]
    run -2 --separate-stderr medcap-retrieve -i img.idx -m m.st --text x --captions c.ndjson
    [[ "$stderr" == *"--captions pairs generated captions with query frames, not with --text"* ]]
    # an index of plain features (256) with a 32-dimensional model
    run -4 --separate-stderr medcap-retrieve -i feat.idx -m m.st --text "axial"
    assert_output ""
    [[ "$stderr" == *"m.st: embeds into 32 dimensions, but the index feat.idx holds vectors of 256"* ]]
    # a caption model is not an embedding model
    run -4 --separate-stderr medcap-retrieve -i img.idx -m "$MEDCAP_SHARE/model.safetensors" --text x
    [[ "$stderr" == *"not a medcap-embedding-model file"* ]]
    # query frames of another size than the model's features
    run -4 --separate-stderr medcap-retrieve -i img.idx -m m.st < <(medcap-embed -m m.st "$FEAT")
    [[ "$stderr" == *"feature size 32 does not match the embedding model m.st (256)"* ]]
    # text records: one without the text, one malformed; --keep-going skips them
    printf '{"id":"a","caption":"axial ct"}\n{"id":"b","text":"x"}\n{"id":\n{"id":"d","caption":"mr"}\n' > q.ndjson
    run -1 --separate-stderr medcap-retrieve -i img.idx -m m.st q.ndjson
    [[ "$stderr" == *"q.ndjson:2: record 'b' has no string \"caption\" (the text query)"* ]]
    run -5 --separate-stderr medcap-retrieve -i img.idx -m m.st --keep-going -n 1 q.ndjson
    [ "${#lines[@]}" -eq 2 ]
    [[ "$stderr" == *"q.ndjson:3:"* ]]
    [[ "$stderr" == *"2 queries skipped"* ]]
    # text records without a model are not feature frames
    run -1 --separate-stderr medcap-retrieve -i img.idx q.ndjson
    [[ "$stderr" == *"q.ndjson:1: expected feature frames, got text"* ]]
    # text queries cannot be paired with --captions
    run -1 --separate-stderr medcap-retrieve -i img.idx -m m.st --captions q.ndjson q.ndjson
    [[ "$stderr" == *"holds text queries; --captions pairs generated captions with frames"* ]]
    # --exclude-same-case needs a case_id, which --text queries do not have
    run -1 --separate-stderr medcap-retrieve -i img.idx -m m.st --exclude-same-case --text x
    [[ "$stderr" == *"--text:1: record 'text-1': no string \"case_id\""* ]]
}
