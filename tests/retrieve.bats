#!/usr/bin/env bats
# medcap-retrieve: nearest indexed cases, case knowledge and interpretation.
load common

FRAMES="$ROOT/tests/knn_frames.py"
KB="$DATA/medpix2-kb-3cases.jsonl"

setup() {
    cd "$BATS_TEST_TMPDIR"
    "$FRAMES" gen 60 16 --seed 1 --cases 9 > ix.frames
    "$FRAMES" gen 12 16 --seed 2 --cases 9 --prefix q > q.frames
    medcap-index -o ix.idx ix.frames
}

# Two MedPix cases and one case the kb does not have, as one-hot vectors.
medpix_index() {
    "$FRAMES" list '[{"id":"img-a","case_id":"MPX1303","caption":"pineal mass","vec":[1,0,0]},
                     {"id":"img-b","case_id":"MPX1832","caption":"pancreas","vec":[0.9,0.1,0]},
                     {"id":"img-c","case_id":"MPX9999","caption":"not in kb","vec":[0.8,0.2,0]}]' > mp.frames
    medcap-index -o mp.idx mp.frames
    "$FRAMES" list '[{"id":"query","caption":"reference caption","vec":[1,0,0]}]' > mq.frames
    echo '{"id":"query","caption":"A large mass in the pineal region","logprob":-3.5}' > caps.ndjson
}

@test "medcap-retrieve: CLI contract" {
    check_cli_contract medcap-retrieve
}

@test "medcap-retrieve: the same neighbours as brute force, in order" {
    "$FRAMES" brute ix.frames q.frames 5 > want.tsv
    medcap-retrieve -i ix.idx -n 5 q.frames | jq -r '.id + "\t" + ([.neighbors[].id] | join(" "))' > got.tsv
    [ "$(wc -l < got.tsv)" -eq 12 ]
    diff want.tsv got.tsv
}

@test "medcap-retrieve: grid query frames are averaged, as brute force does" {
    "$FRAMES" gen 6 16 --seed 3 --grid 4 --prefix g > g.frames
    "$FRAMES" brute ix.frames g.frames 4 > want.tsv
    medcap-retrieve -i ix.idx -n 4 g.frames | jq -r '.id + "\t" + ([.neighbors[].id] | join(" "))' > got.tsv
    diff want.tsv got.tsv
}

@test "medcap-retrieve: records pass through with neighbours added, similarity descending" {
    run -0 bash -c "medcap-retrieve -i ix.idx q.frames | head -1 | jq -c '[.id, .case_id, (.neighbors | length), (.neighbors[0] | keys)]'"
    assert_output '["q00000","case000",5,["caption","case_id","id","similarity"]]'
    run -0 bash -c "medcap-retrieve -i ix.idx -n 10 q.frames | jq '[.neighbors[].similarity] | . == (sort | reverse)' | sort -u"
    assert_output true
}

@test "medcap-retrieve: a neighbors key in the input is replaced" {
    "$FRAMES" list '[{"id":"q","neighbors":"old","vec":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]' > old.frames
    run -0 bash -c "medcap-retrieve -i ix.idx -n 2 old.frames | jq -c '.neighbors | length'"
    assert_output 2
}

@test "medcap-retrieve: -n over the index size returns every row; -n out of range is a usage error" {
    run -0 bash -c "medcap-retrieve -i ix.idx --neighbors 1000 q.frames | jq '.neighbors | length' | sort -u"
    assert_output 60
    run -2 --separate-stderr medcap-retrieve -i ix.idx -n 0 q.frames
    assert_output ""
    [[ "$stderr" == *"--neighbors '0': expected a whole number from 1 to 1000"* ]]
    run -2 --separate-stderr medcap-retrieve -i ix.idx -n abc q.frames
    assert_output ""
}

@test "medcap-retrieve: -k and --k are deprecated spellings of -n, with a warning; -j sets the threads" {
    medcap-retrieve -i ix.idx -n 3 q.frames > new.out
    run -0 --separate-stderr medcap-retrieve -i ix.idx -k 3 -j 1 q.frames
    [ "$output" = "$(cat new.out)" ]
    [[ "$stderr" == *"medcap-retrieve: warning: -k/--k is deprecated and goes in the next release; use -n/--neighbors"* ]]
    run -0 --separate-stderr medcap-retrieve -q -i ix.idx --k 3 q.frames
    [ "$output" = "$(cat new.out)" ]
    [ -z "$stderr" ]
}

@test "medcap-retrieve and medcap-index --keep-going: a query frame with a bad CRC is skipped, exit 5" {
    damage_frame q.frames 2 bad.frames
    run -1 --separate-stderr medcap-retrieve -i ix.idx bad.frames
    [[ "$stderr" == *"bad.frames:2: frame CRC mismatch"* ]]
    run -5 --separate-stderr medcap-retrieve -i ix.idx --keep-going bad.frames
    [ "${#lines[@]}" -eq $(( $(medcap-frame-info --count q.frames) - 1 )) ]
    run -1 --separate-stderr medcap-index -o bad.idx bad.frames
    [ ! -e bad.idx ]
    run -5 --separate-stderr medcap-index -o bad.idx --keep-going bad.frames
    [[ "$stderr" == *"bad.frames:2: frame CRC mismatch"* ]]
    [ -e bad.idx ]
}

@test "medcap-retrieve: equal similarities are ordered by id" {
    "$FRAMES" list '[{"id":"d","vec":[1,0]},{"id":"b","vec":[1,0]},{"id":"c","vec":[2,0]},{"id":"a","vec":[0,1]},{"id":"e","vec":[1,0]}]' > t.frames
    medcap-index -o t.idx t.frames
    "$FRAMES" list '[{"id":"q","vec":[3,0]}]' > tq.frames
    run -0 bash -c "medcap-retrieve -i t.idx -n 5 tq.frames | jq -r '[.neighbors[] | \"\(.id)=\(.similarity)\"] | join(\" \")'"
    assert_output "b=1 c=1 d=1 e=1 a=0"
}

@test "medcap-retrieve: --exclude-same-case never returns the query's case" {
    run -0 bash -c "medcap-retrieve -i ix.idx -n 10 --exclude-same-case ix.frames | jq '[.case_id as \$c | .neighbors[] | select(.case_id == \$c)] | length' | sort -u"
    assert_output 0
    "$FRAMES" brute ix.frames q.frames 5 --exclude-same-case > want.tsv
    medcap-retrieve -i ix.idx -n 5 --exclude-same-case q.frames | jq -r '.id + "\t" + ([.neighbors[].id] | join(" "))' > got.tsv
    diff want.tsv got.tsv
}

@test "medcap-retrieve: --exclude-same-case needs the query's case_id" {
    "$FRAMES" list '[{"id":"nocase","vec":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]' > nc.frames
    run -1 --separate-stderr medcap-retrieve -i ix.idx --exclude-same-case nc.frames
    assert_output ""
    [[ "$stderr" == *'nc.frames:1: record '"'nocase'"': no string "case_id" (needed by --exclude-same-case)'* ]]
}

@test "medcap-retrieve: queries of another feature size are refused with exit 4" {
    "$FRAMES" gen 2 8 --prefix small > small.frames
    run -4 --separate-stderr medcap-retrieve -i ix.idx small.frames
    assert_output ""
    [[ "$stderr" == *"small.frames:1: record 'small00000': feature size 8 does not match the index ix.idx (16)"* ]]
}

@test "medcap-retrieve: a corrupt index is refused with exit 4" {
    cp ix.idx bad.idx
    printf 'X' | dd of=bad.idx bs=1 seek=70 conv=notrunc 2>/dev/null
    run -4 --separate-stderr medcap-retrieve -i bad.idx q.frames
    assert_output ""
    [[ "$stderr" == *"bad.idx: corrupt or not an index: frame 1 at byte 0: metadata CRC mismatch"* ]]
    head -c 5000 ix.idx > cut.idx
    run -4 --separate-stderr medcap-retrieve -i cut.idx q.frames
    [[ "$stderr" == *"cut.idx: corrupt or not an index: frame 2 at byte 4032: payload runs past the end of the file"* ]]
    run -4 --separate-stderr medcap-retrieve -i q.frames q.frames
    [[ "$stderr" == *"not a medcap-index version 1 or 2 vector chunk"* ]]
}

@test "medcap-retrieve: a large index (CRC checked in two halves) answers as brute force; a flipped byte in either half is refused" {
    # 8,300 vectors of 512 floats: a 17 MB vector block, checked on two threads
    "$FRAMES" gen 8300 512 --seed 3 --cases 50 > big.frames
    "$FRAMES" gen 3 512 --seed 4 --prefix q > q3.frames
    medcap-index -o big.idx big.frames
    OPENBLAS_NUM_THREADS=2 medcap-retrieve -i big.idx -n 3 q3.frames > two.ndjson
    OPENBLAS_NUM_THREADS=1 medcap-retrieve -i big.idx -n 3 q3.frames > one.ndjson
    cmp one.ndjson two.ndjson
    "$FRAMES" brute big.frames q3.frames 3 > want.tsv
    jq -r '.id + "\t" + ([.neighbors[].id] | join(" "))' two.ndjson > got.tsv
    diff want.tsv got.tsv
    size=$(stat -c %s big.idx)
    for at in $((size / 3)) $((size * 2 / 3)); do
        cp big.idx bad.idx
        printf '\x01' | dd of=bad.idx bs=1 seek="$at" conv=notrunc 2>/dev/null
        run -4 --separate-stderr env OPENBLAS_NUM_THREADS=2 medcap-retrieve -i bad.idx q3.frames
        assert_output ""
        [[ "$stderr" == *"bad.idx: corrupt or not an index"*"CRC mismatch"* ]]
    done
}

@test "medcap-retrieve: a missing index is an I/O error; no -i is a usage error" {
    run -3 --separate-stderr medcap-retrieve -i nothere.idx q.frames
    assert_output ""
    [[ "$stderr" == *"nothere.idx: cannot open"* ]]
    run -2 --separate-stderr medcap-retrieve q.frames
    [[ "$stderr" == *"no index given (-i INDEX)"* ]]
}

@test "medcap-retrieve: NDJSON input is refused" {
    echo '{"id":"a"}' > recs.ndjson
    run -1 --separate-stderr medcap-retrieve -i ix.idx recs.ndjson
    assert_output ""
    [[ "$stderr" == *"recs.ndjson:1: expected feature frames, got text"* ]]
}

@test "medcap-retrieve: --batch sizes give the same output" {
    medcap-retrieve -i ix.idx -n 7 q.frames > default.out
    medcap-retrieve -i ix.idx -n 7 --batch 1 q.frames > b1.out
    medcap-retrieve -i ix.idx -n 7 -b 5 < q.frames > b5.out
    cmp default.out b1.out
    cmp default.out b5.out
    run -2 --separate-stderr medcap-retrieve -i ix.idx --batch 0 q.frames
    assert_output ""
}

@test "medcap-retrieve: --keep-going skips a bad query frame and exits 5" {
    "$FRAMES" list '[{"id":"bad","dtype":"u8","vec":[1,2]}]' > bad.frames
    run -1 --separate-stderr medcap-retrieve -i ix.idx bad.frames q.frames
    assert_output ""
    run -5 --separate-stderr medcap-retrieve -i ix.idx --keep-going bad.frames q.frames
    [ "${#lines[@]}" -eq 12 ]
    [[ "$stderr" == *"bad.frames:1: record 'bad': feature frame has dtype u8, expected f32"* ]]
    [[ "$stderr" == *"1 queries skipped"* ]]
}

@test "medcap-retrieve: --kb attaches MedPix case knowledge; a case missing from the kb is counted" {
    medpix_index
    run -0 --separate-stderr medcap-retrieve -i mp.idx -n 3 --kb "$KB" mq.frames
    [[ "$stderr" == *"1 of 3 neighbours had no case in the kb; returned without knowledge"* ]]
    echo "$output" | jq -e '.neighbors | length == 3'
    echo "$output" | jq -e '.neighbors[0].knowledge.diagnosis == "Metastatic Carcinoma, unknown primary"'
    echo "$output" | jq -e '.neighbors[0].knowledge.findings == "Large pineal region mass."'
    echo "$output" | jq -e '.neighbors[0].knowledge.category == "Neoplasm, metastatic"'
    echo "$output" | jq -e '.neighbors[1].knowledge.findings | startswith("CT abdomen: parallel pancreatic ducts MRCP:")'
    echo "$output" | jq -e '.neighbors[2] | (.id == "img-c") and (has("knowledge") | not)'
}

@test "medcap-retrieve: --kb-top limits the neighbours given knowledge" {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 3 --kb '$KB' --kb-top 1 mq.frames | jq -c '[.neighbors[] | has(\"knowledge\")]'"
    assert_output "[true,false,false]"
}

@test "medcap-retrieve: --excerpt cuts long texts at a word, with ..." {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 2 --kb '$KB' --excerpt 40 mq.frames | jq -r '.neighbors[1].knowledge.discussion'"
    [[ "$output" == *... ]]
    [ "${#output}" -le 43 ]
    run -0 bash -c "medcap-retrieve -i mp.idx -n 2 --kb '$KB' mq.frames | jq -r '.neighbors[1].knowledge.discussion'"
    [ "${#output}" -gt 200 ]
    [ "${#output}" -le 303 ]
    run -2 --separate-stderr medcap-retrieve -i mp.idx --kb "$KB" --excerpt 10 mq.frames
    assert_output ""
}

@test "medcap-retrieve: the interpretation marks the generated caption and each quote's case" {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 3 --kb '$KB' --kb-top 3 --captions caps.ndjson mq.frames 2>/dev/null | jq -r .interpretation"
    assert_output --partial 'Generated caption: A large mass in the pineal region. Similar cases: (1) case MPX1303, similarity 1.00, diagnosis Metastatic Carcinoma, unknown primary: findings "Large pineal region mass." (quoted from MedPix case MPX1303).'
    assert_output --partial '(2) case MPX1832, similarity 0.99, diagnosis Pancreatic Divisum: findings "CT abdomen:'
    assert_output --partial '(3) image img-c of case MPX9999, similarity 0.97: caption "not in kb" (quoted from indexed image img-c).'
}

@test "medcap-retrieve: without --kb the interpretation quotes indexed captions" {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 1 --captions caps.ndjson mq.frames | jq -r .interpretation"
    assert_output 'Generated caption: A large mass in the pineal region. Similar cases: (1) image img-a of case MPX1303, similarity 1.00: caption "pineal mass" (quoted from indexed image img-a).'
}

@test "medcap-retrieve: a frame's own (reference) caption is not called generated" {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 1 mq.frames | jq -c '[.caption, has(\"interpretation\")]'"
    assert_output '["reference caption",false]'
}

@test "medcap-retrieve: --captions merges decode-caption's records, in step with the frames" {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 1 --captions caps.ndjson mq.frames | jq -c '[.id, .caption, .logprob, (.neighbors | length)]'"
    assert_output '["query","A large mass in the pineal region",-3.5,1]'
}

@test "medcap-retrieve: --captions out of step with the frames is refused" {
    medpix_index
    echo '{"id":"other","caption":"x"}' > wrong.ndjson
    run -1 --separate-stderr medcap-retrieve -i mp.idx --captions wrong.ndjson mq.frames
    assert_output ""
    [[ "$stderr" == *"wrong.ndjson:1: record 'other' does not match frame 'query' (both must come from the same frames, in order)"* ]]
    : > empty.ndjson
    run -1 --separate-stderr medcap-retrieve -i mp.idx --captions empty.ndjson mq.frames
    assert_output ""
    [[ "$stderr" == *"empty.ndjson: ends before frame 'query'"* ]]
    cat caps.ndjson caps.ndjson > two.ndjson
    run -1 --separate-stderr medcap-retrieve -i mp.idx --captions two.ndjson mq.frames
    [[ "$stderr" == *"two.ndjson:2: more records than frames"* ]]
    echo 'not json' > bad.ndjson
    run -1 --separate-stderr medcap-retrieve -i mp.idx --captions bad.ndjson mq.frames
    assert_output ""
    [[ "$stderr" == *"bad.ndjson:1: malformed JSON"* ]]
    run -3 --separate-stderr medcap-retrieve -i mp.idx --captions nothere.ndjson mq.frames
    assert_output ""
    [[ "$stderr" == *"nothere.ndjson: cannot open"* ]]
}

@test "medcap-retrieve: --caption-key names the generated caption; no caption, no interpretation" {
    "$FRAMES" list '[{"id":"q","generated":"Axial CT.","vec":[1,0,0]}]' > gq.frames
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 1 --caption-key generated gq.frames | jq -r .interpretation"
    assert_output --partial 'Generated caption: Axial CT. Similar cases: (1)'
    run -0 bash -c "medcap-retrieve -i mp.idx -n 1 gq.frames | jq 'has(\"interpretation\")'"
    assert_output false
}

@test "medcap-retrieve: --kb-key and --kb-name for another case database" {
    medpix_index
    printf '%s\n' '{"case":"MPX9999","diagnosis":"Test disease","findings":"A test finding.\n\nSecond line."}' > flat.jsonl
    run -0 bash -c "medcap-retrieve -i mp.idx -n 3 --kb flat.jsonl --kb-key case --kb-name TestKB --captions caps.ndjson mq.frames 2>/dev/null"
    echo "$output" | jq -e '.neighbors[2].knowledge == {"diagnosis":"Test disease","findings":"A test finding. Second line."}'
    echo "$output" | jq -r .interpretation | grep -F '(3) case MPX9999, similarity 0.97, diagnosis Test disease: findings "A test finding. Second line." (quoted from TestKB case MPX9999).'
}

@test "medcap-retrieve: a bad kb file is refused: bad JSON, no key, missing file" {
    medpix_index
    printf '%s\n' '{"U_id":"MPX1"}' '{not json' > bad.jsonl
    run -1 --separate-stderr medcap-retrieve -i mp.idx --kb bad.jsonl mq.frames
    assert_output ""
    [[ "$stderr" == *"bad.jsonl:2: not a JSON object"* ]]
    printf '%s\n' '{"U_id":"MPX1"}' '{"id":"x"}' > nokey.jsonl
    run -1 --separate-stderr medcap-retrieve -i mp.idx --kb nokey.jsonl mq.frames
    [[ "$stderr" == *'nokey.jsonl:2: no string case key "U_id"'* ]]
    run -3 --separate-stderr medcap-retrieve -i mp.idx --kb nothere.jsonl mq.frames
    assert_output ""
    [[ "$stderr" == *"nothere.jsonl: cannot open"* ]]
    run -2 medcap-retrieve -i mp.idx --kb-key "" mq.frames
}

@test "medcap-retrieve: the real MedPix 2.0 case file works as --kb" {
    [ -r /work/shared/data/medpix2/data_train.jsonl ] || skip "MedPix 2.0 data not here"
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 2 --kb /work/shared/data/medpix2/data_train.jsonl mq.frames | jq -r '.neighbors[1].knowledge.diagnosis'"
    assert_output "Pancreatic Divisum"
}

@test "medcap-retrieve: --kb-top 0 gives the caption alone; an empty index answer says none found" {
    medpix_index
    run -0 bash -c "medcap-retrieve -i mp.idx -n 2 --kb-top 0 --captions caps.ndjson mq.frames | jq -r .interpretation"
    assert_output "Generated caption: A large mass in the pineal region."
    "$FRAMES" list '[{"id":"only","case_id":"C","vec":[1,0]}]' > only.frames
    medcap-index -o only.idx only.frames
    "$FRAMES" list '[{"id":"q","case_id":"C","caption":"Same case.","vec":[1,0]}]' > same.frames
    run -0 bash -c "medcap-retrieve -i only.idx --exclude-same-case --caption-key caption same.frames | jq -c '[.neighbors, .interpretation]'"
    assert_output '[[],"Generated caption: Same case. Similar cases: none found."]'
}
