#!/usr/bin/env bats
# medcap-index: building and extending a case index from feature frames.
load common

FRAMES="$ROOT/tests/knn_frames.py"

# The 20 seeded frames every test starts from, made once (a Python run).
setup_file() {
    "$FRAMES" gen 20 8 --seed 1 > "$BATS_FILE_TMPDIR/ix.frames"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    cp "$BATS_FILE_TMPDIR/ix.frames" ix.frames
}

# ids of the neighbours of each query, one line per query
neighbour_ids() { jq -r '[.neighbors[].id] | join(" ")'; }

@test "medcap-index: CLI contract" {
    check_cli_contract medcap-index
}

@test "medcap-index: every indexed frame retrieves itself first, similarity 1" {
    run -0 --separate-stderr medcap-index -o ix.idx ix.frames
    assert_output ""
    [ -s ix.idx ]
    run -0 bash -c "medcap-retrieve -i ix.idx -n 1 ix.frames | jq -r '[.id, .neighbors[0].id, .neighbors[0].similarity] | @tsv'"
    [ "${#lines[@]}" -eq 20 ]
    # each query's first neighbour is itself, similarity above 0.99999 (one awk, not a bc per line)
    awk -F'\t' '$1 != $2 || !($3 > 0.99999) { print "bad: " $0; bad = 1 } END { exit bad }' <<<"$output"
}

@test "medcap-index: reads standard input, with no FILE or '-'" {
    medcap-index -o a.idx ix.frames
    medcap-index -o b.idx < ix.frames
    medcap-index -o c.idx - < ix.frames
    cmp a.idx b.idx
    cmp a.idx c.idx
}

@test "medcap-index: the index keeps id, case_id and caption, and --field keys" {
    "$FRAMES" list '[{"id":"a","case_id":"A","caption":"x","modality":"CT","other":1,"vec":[1,0]}]' > one.frames
    medcap-index -o plain.idx one.frames
    run -0 bash -c "medcap-retrieve -i plain.idx one.frames | jq -c '.neighbors[0]'"
    assert_output '{"similarity":1,"id":"a","case_id":"A","caption":"x"}'
    medcap-index -o field.idx --field modality one.frames
    run -0 bash -c "medcap-retrieve -i field.idx one.frames | jq -c '.neighbors[0]'"
    assert_output '{"similarity":1,"id":"a","case_id":"A","caption":"x","modality":"CT"}'
    medcap-index -o field2.idx --field modality --field other one.frames
    run -0 bash -c "medcap-retrieve -i field2.idx one.frames | jq -c '.neighbors[0] | [.modality, .other]'"
    assert_output '["CT",1]'
}

@test "medcap-index: --field id is a usage error" {
    run -2 --separate-stderr medcap-index -o x.idx --field id ix.frames
    assert_output ""
    [[ "$stderr" == *"id, case_id and caption are always kept"* ]]
    [ ! -e x.idx ]
}

@test "medcap-index: without -o, or with -o -, is a usage error" {
    run -2 --separate-stderr medcap-index ix.frames
    assert_output ""
    [[ "$stderr" == *"no index file given (-o INDEX)"* ]]
    run -2 --separate-stderr medcap-index -o - ix.frames
    [[ "$stderr" == *"-o -: an index is a file that retrieve maps, not a stream"* ]]
    [ ! -e ./- ]
}

@test "medcap-index: --append adds rows after the old ones, which stay byte for byte" {
    "$FRAMES" gen 5 8 --seed 2 --prefix new > new.frames
    medcap-index -o ix.idx ix.frames
    cp ix.idx before.idx
    run -0 --separate-stderr medcap-index -o ix.idx --append new.frames
    assert_output ""
    # all but the end frame (192 bytes: header and metadata), which the new rows replace
    cmp -n "$(( $(stat -c %s before.idx) - 192 ))" before.idx ix.idx
    [ "$(stat -c %s ix.idx)" -gt "$(stat -c %s before.idx)" ]
    run -0 bash -c "medcap-retrieve -i ix.idx -n 1 new.frames ix.frames | jq -r '.neighbors[0].id'"
    [ "${#lines[@]}" -eq 25 ]
    assert_line --index 0 new00000
    assert_line --index 24 img00019
    # the same as building it in one go
    medcap-index -o once.idx ix.frames new.frames
    medcap-retrieve -i once.idx -n 3 new.frames > once.out
    medcap-retrieve -i ix.idx -n 3 new.frames > appended.out
    cmp once.out appended.out
}

@test "medcap-index: --append with no new frames leaves the index as it was" {
    medcap-index -o ix.idx ix.frames
    cp ix.idx before.idx
    run -0 medcap-index -o ix.idx --append < /dev/null
    cmp before.idx ix.idx
}

@test "medcap-index: --append of another feature size is refused, index unchanged" {
    medcap-index -o ix.idx ix.frames
    cp ix.idx before.idx
    "$FRAMES" gen 2 16 --prefix wide > wide.frames
    run -1 --separate-stderr medcap-index -o ix.idx --append wide.frames
    assert_output ""
    [[ "$stderr" == *"medcap-index: wide.frames:1: record 'wide00000': feature size 16 differs from the index's 8"* ]]
    cmp before.idx ix.idx
    [ "$(ls | grep -c tmp)" -eq 0 ]
}

@test "medcap-index: --append to a missing index is an I/O error" {
    run -3 --separate-stderr medcap-index -o missing.idx --append ix.frames
    assert_output ""
    [[ "$stderr" == *"missing.idx: cannot open"* ]]
}

@test "medcap-index: --append to a corrupt index is refused with exit 4" {
    medcap-index -o ix.idx ix.frames
    printf 'X' | dd of=ix.idx bs=1 seek=300 conv=notrunc 2>/dev/null
    run -4 --separate-stderr medcap-index -o ix.idx --append ix.frames
    assert_output ""
    [[ "$stderr" == *"ix.idx: corrupt or not an index: frame 1 at byte 0: payload CRC mismatch"* ]]
}

@test "medcap-index: a duplicate id is refused and nothing is written" {
    cat ix.frames ix.frames > twice.frames
    run -1 --separate-stderr medcap-index -o ix.idx twice.frames
    assert_output ""
    [[ "$stderr" == *"twice.frames:21: record 'img00000': id is already in the index"* ]]
    [ ! -e ix.idx ]
}

@test "medcap-index: NDJSON input is refused" {
    echo '{"id":"a"}' > recs.ndjson
    run -1 --separate-stderr medcap-index -o ix.idx recs.ndjson
    assert_output ""
    [[ "$stderr" == *"recs.ndjson:1: expected feature frames, got text"* ]]
    [ ! -e ix.idx ]
}

@test "medcap-index: empty input is exit 0 with nothing written" {
    run -0 --separate-stderr medcap-index -o ix.idx < /dev/null
    [[ "$stderr" == *"no feature frames in the input: no index written"* ]]
    [ ! -e ix.idx ]
    [ -z "$(ls -A | grep '^ix\.idx')" ]   # no temporary left either
}

@test "medcap-index: a truncated frame stream is refused" {
    head -c 1000 ix.frames > cut.frames
    run -1 --separate-stderr medcap-index -o ix.idx cut.frames
    assert_output ""
    [[ "$stderr" =~ cut.frames:4:\ truncated\ frame ]]
    [ ! -e ix.idx ]
}

@test "medcap-index: a u8 frame, a zero vector and a NaN are refused" {
    "$FRAMES" list '[{"id":"u","dtype":"u8","vec":[1,2]}]' > u8.frames
    run -1 --separate-stderr medcap-index -o ix.idx u8.frames
    [[ "$stderr" == *"u8.frames:1: record 'u': feature frame has dtype u8, expected f32"* ]]
    "$FRAMES" list '[{"id":"z","vec":[0,0,0]}]' > zero.frames
    run -1 --separate-stderr medcap-index -o ix.idx zero.frames
    [[ "$stderr" == *"record 'z': feature vector is zero"* ]]
    "$FRAMES" list '[{"id":"n","vec":[1,NaN,0]}]' > nan.frames
    run -1 --separate-stderr medcap-index -o ix.idx nan.frames
    [[ "$stderr" == *"record 'n': feature vector holds a NaN or infinity"* ]]
    [ ! -e ix.idx ]
}

@test "medcap-index: a frame without an id is refused" {
    "$FRAMES" list '[{"name":"x","vec":[1,0]}]' > noid.frames
    run -1 --separate-stderr medcap-index -o ix.idx noid.frames
    [[ "$stderr" == *'noid.frames:1: record has no string "id"'* ]]
}

@test "medcap-index: --keep-going skips bad frames and exits 5" {
    "$FRAMES" list '[{"id":"u","dtype":"u8","vec":[1,2]},{"id":"good","vec":[0,1]}]' > mixed.frames
    run -5 --separate-stderr medcap-index -o ix.idx --keep-going mixed.frames
    assert_output ""
    [[ "$stderr" == *"record 'u': feature frame has dtype u8"* ]]
    [[ "$stderr" == *"1 frames skipped, 1 indexed"* ]]
    run -0 bash -c "medcap-retrieve -i ix.idx -n 5 mixed.frames --keep-going 2>/dev/null | jq -r '[.neighbors[].id] | join(\" \")'"
    assert_output "good"
}

@test "medcap-index: a grid [G,C] or map [H,W,C] is averaged over its positions" {
    "$FRAMES" list '[{"id":"grid","vec":[[1,0,0],[0,0,2]]},{"id":"map","vec":[[[2,0,0]],[[0,0,4]]]},{"id":"far","vec":[0,1,0]}]' > grids.frames
    "$FRAMES" list '[{"id":"q","vec":[0.5,0,1]}]' > q.frames
    medcap-index -o ix.idx grids.frames
    run -0 bash -c "medcap-retrieve -i ix.idx -n 3 q.frames | jq -r '.neighbors[] | \"\(.id) \(.similarity)\"'"
    assert_line --index 0 "grid 1"
    assert_line --index 1 "map 1"
    assert_line --index 2 "far 0"
}

@test "medcap-index: a missing input file is an I/O error and leaves no file behind" {
    run -3 --separate-stderr medcap-index -o ix.idx ix.frames nothere.frames
    assert_output ""
    [[ "$stderr" == *"medcap-index: nothere.frames: cannot open: No such file or directory"* ]]
    [ ! -e ix.idx ]
    [ "$(ls | grep -c '\.tmp\.')" -eq 0 ]
}

@test "medcap-index -o to a FIFO (or /dev/null) writes into it instead of replacing it" {
    cd "$BATS_TEST_TMPDIR"
    mkfifo out.fifo
    cat out.fifo > got &
    medcap-index -o out.fifo "$DATA/medpix2-16-features.frames"
    wait
    [ -p out.fifo ]
    medcap-index -o plain.idx "$DATA/medpix2-16-features.frames"
    cmp got plain.idx
}

@test "medcap-index: an index cut between two chunks is refused, not read as a shorter index" {
    "$FRAMES" gen 5 8 --seed 2 --prefix new > new.frames
    medcap-index -o ix.idx ix.frames
    medcap-index -o ix.idx --append new.frames
    run -0 medcap-frame-info ix.idx
    [ "${#lines[@]}" -eq 5 ]
    assert_line --index 4 --regexp '^index-end	u8	0	0	ok$'
    # the first chunk alone: cut where the second one starts (new.idx: that
    # chunk and an end frame of the same length)
    medcap-index -o new.idx new.frames
    head -c "$(( $(stat -c %s ix.idx) - $(stat -c %s new.idx) ))" ix.idx > cut.idx
    run -0 medcap-frame-info cut.idx
    [ "${#lines[@]}" -eq 2 ]
    run -4 --separate-stderr medcap-retrieve -i cut.idx new.frames
    assert_output ""
    [[ "$stderr" == *"cut.idx: corrupt or not an index: truncated: no end frame after row 20 (chunk 1)"* ]] || { echo "$stderr"; false; }
    run -4 --separate-stderr medcap-index -o cut.idx --append new.frames
    [[ "$stderr" == *"truncated: no end frame"* ]]
}

@test "medcap-index: a version 1 index (no end frame) still reads, and --append rewrites it as version 2" {
    cp "$DATA/index-v1-16.idx" old.idx
    run -0 bash -c "medcap-retrieve -i old.idx -n 1 '$DATA/medpix2-16-features.frames' | jq -r '.id == .neighbors[0].id'"
    [ "${#lines[@]}" -eq 16 ]
    refute_output --partial false
    "$FRAMES" gen 3 256 --seed 3 --prefix new > new.frames
    run -0 --separate-stderr medcap-index -o old.idx --append new.frames
    run -0 medcap-frame-info --meta old.idx
    [ "$(grep -c '"version":2' <<< "$output")" -eq 2 ]
    assert_line --index 2 --partial '"format":"medcap-index-end","version":2,"rows":19,"chunks":1}'
    run -0 bash -c "medcap-retrieve -i old.idx -n 1 new.frames '$DATA/medpix2-16-features.frames' | jq -r '.id == .neighbors[0].id'"
    [ "${#lines[@]}" -eq 19 ]
    refute_output --partial false
}

@test "medcap-index: a terminal on standard input is a usage error, and no index is started" {
    run -0 script -qec "medcap-index -o ix.idx; echo status \$?" /dev/null
    [[ "$output" == *"standard input is a terminal: give an input FILE, or pipe the frames in"*"status 2"* ]]
    [ -z "$(ls -A | grep '^ix\.idx')" ]
}
