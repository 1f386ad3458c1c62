#!/usr/bin/env bats
# medcap-frame-info: one line per frame, --count, --meta, and every kind of
# damaged frame stream.
load common

setup() {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' "$DATA/images/X-ray_of_cyst_in_pneumocystis_pneumonia_1.jpg" \
        "$DATA/images/MPX1007_synpic46720.png" | medcap-img-resize --size 16 >two.frames
    # one frame: 64 header bytes, metadata, 256 payload bytes at the end
    echo "$DATA/images/MPX1007_synpic46720.png" | medcap-img-resize --size 16 >one.frames
}

# Overwrite the byte at OFFSET of FILE with the octal escape BYTE.
poke() {
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

@test "frame-info: CLI contract" {
    check_cli_contract medcap-frame-info
}

@test "frame-info: one line per frame with id, dtype, shape, bytes and CRC status" {
    run -0 medcap-frame-info two.frames
    assert_line --index 0 "X-ray_of_cyst_in_pneumocystis_pneumonia_1	u8	1x16x16	256	ok"
    assert_line --index 1 "MPX1007_synpic46720	u8	1x16x16	256	ok"
    [ "${#lines[@]}" -eq 2 ]
}

@test "frame-info: reads standard input and several files in turn" {
    run -0 bash -c 'cat two.frames | medcap-frame-info - one.frames two.frames'
    [ "${#lines[@]}" -eq 5 ]
    assert_line --index 2 "MPX1007_synpic46720	u8	1x16x16	256	ok"
}

@test "frame-info: --count prints the number of frames" {
    run -0 medcap-frame-info --count two.frames one.frames
    assert_output "3"
    run -0 medcap-frame-info --count </dev/null
    assert_output "0"
}

@test "frame-info: --meta appends the record" {
    run -0 medcap-frame-info --meta one.frames
    assert_output "MPX1007_synpic46720	u8	1x16x16	256	ok	{\"id\":\"MPX1007_synpic46720\",\"image\":\"$DATA/images/MPX1007_synpic46720.png\",\"width\":208,\"height\":256}"
}

@test "frame-info: --count with --meta is a usage error" {
    run -2 --separate-stderr medcap-frame-info --count --meta one.frames
    assert_output ""
    [[ "$stderr" == *"--count and --meta cannot be combined"* ]]
}

@test "frame-info: empty input is an empty stream" {
    run -0 medcap-frame-info </dev/null
    assert_output ""
}

@test "frame-info: NDJSON input is refused, exit 1" {
    run -1 --separate-stderr medcap-frame-info <<<'{"id":"a"}'
    assert_output ""
    [[ "$stderr" == *"medcap-frame-info: -: input is NDJSON records, not frames"* ]]
}

@test "frame-info: wrong magic, exit 1" {
    poke one.frames 3 'X'
    run -1 --separate-stderr medcap-frame-info one.frames
    assert_output ""
    [[ "$stderr" == *"one.frames: frame 1: not a medcap frame (bad magic)"* ]]
}

@test "frame-info: truncated frames name the part cut short, exit 1" {
    head -c 40 one.frames >head.frames
    run -1 --separate-stderr medcap-frame-info head.frames
    assert_output ""
    [[ "$stderr" == *"head.frames: frame 1: truncated frame: header ends after 40 of 64 bytes"* ]]
    head -c $(($(stat -c %s one.frames) - 100)) one.frames >payload.frames
    run -1 --separate-stderr medcap-frame-info payload.frames
    assert_output ""
    [[ "$stderr" == *"frame 1: truncated frame: payload ends after 156 of 256 bytes"* ]]
    { cat two.frames; head -c 100 one.frames; } >third.frames
    run -1 --separate-stderr medcap-frame-info --count third.frames
    assert_output ""
    [[ "$stderr" == *"third.frames: frame 3: truncated frame: metadata ends after"* ]]
}

@test "frame-info: a header CRC mismatch stops, exit 1" {
    poke one.frames 16 '\002'
    run -1 --separate-stderr medcap-frame-info one.frames
    assert_output ""
    [[ "$stderr" == *"frame 1: frame header CRC mismatch"* ]]
}

@test "frame-info: a payload CRC mismatch is reported on the line, exit 1" {
    size=$(stat -c %s one.frames)
    poke one.frames $((size - 1)) '\377'
    poke one.frames $((size - 256)) '\377'
    run -1 --separate-stderr medcap-frame-info one.frames
    assert_output "MPX1007_synpic46720	u8	1x16x16	256	crc-mismatch"
    [[ "$stderr" == *"one.frames: frame 1: CRC mismatch"* ]]
}

@test "frame-info: a missing file, exit 3" {
    run -3 --separate-stderr medcap-frame-info no-such.frames
    assert_output ""
    [[ "$stderr" == *"no-such.frames: cannot open"* ]]
}

@test "frame-info: -c and -m are deprecated spellings of --count and --meta, with a warning" {
    run -0 --separate-stderr medcap-frame-info -c "$DATA/medpix2-16-features.frames"
    assert_output 16
    [[ "$stderr" == *"warning: -c is deprecated and goes in the next release; use --count"* ]]
    run -0 --separate-stderr medcap-frame-info -q -m "$DATA/medpix2-16-features.frames"
    [ "$output" = "$(medcap-frame-info --meta "$DATA/medpix2-16-features.frames")" ]
    [ -z "$stderr" ]
}
