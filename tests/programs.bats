#!/usr/bin/env bats
# Contracts every installed program keeps: a man page, --help, --version,
# exit 2 on a usage error, exit 3 with a message when standard output
# cannot be written.
load common

programs() {
    local p
    for p in "$MEDCAP_BIN"/medcap-*; do
        if [ -x "$p" ]; then basename "$p"; fi
    done
}

@test "the programs are found" {
    [ "$(programs | wc -l)" -ge 11 ]
}

# Exit 3 and a message naming the program on stderr when "$@" writes to a
# full disk (/dev/full); the program is the first word.
check_full_stdout() {
    run -3 --separate-stderr bash -c '"$@" > /dev/full' _ "$@"
    [[ "$stderr" == *"$1: "*"standard output"* ]] || { echo "$*: stderr: $stderr"; return 1; }
}

@test "every program has a man page that renders without warnings" {
    local p out
    for p in $(programs) medcap; do
        [ -f "$ROOT/man/$p.1" ] || { echo "missing man/$p.1"; return 1; }
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$ROOT/man/$p.1" 2>&1 >/dev/null)
        [ -z "$out" ] || { echo "$p.1: $out"; return 1; }
    done
}

@test "every man page documents the exit statuses" {
    local p
    for p in $(programs); do
        grep -q '^\.SH EXIT STATUS' "$ROOT/man/$p.1" || { echo "$p.1 has no EXIT STATUS"; return 1; }
    done
}

@test "every program keeps the command-line contract" {
    local p
    for p in $(programs); do
        check_cli_contract "$p"
    done
}

@test "every program: --help and --version to a full disk give exit 3 and a message" {
    local p
    for p in $(programs) medcap; do
        check_full_stdout "$p" --help
        check_full_stdout "$p" --version
    done
}

@test "every filter: its output to a full disk gives exit 3 and a message" {
    local feat="$DATA/medpix2-16-features.frames" caps="$DATA/medpix2-16-captions.ndjson"
    cd "$BATS_TEST_TMPDIR"
    echo '{"id":"a","image":"MPX1007_synpic46719.png"}' > one.ndjson
    medcap-index -o f.idx "$feat"
    check_full_stdout medcap-csv-clean "$DATA/csv-clean/medpix2"
    check_full_stdout medcap-img-resize --root "$DATA/images" --size 32 one.ndjson
    check_full_stdout medcap-encode-features --allow-random -j 1 "$DATA/medpix2-16-64px.frames"
    check_full_stdout medcap-embed -m "$MEDCAP_SHARE/embed.safetensors" "$caps"
    check_full_stdout medcap-retrieve -i f.idx "$feat"
    check_full_stdout medcap-score --refs "$caps" "$caps"
    check_full_stdout medcap-frame-info "$feat"
    check_full_stdout medcap-frame-to-npy "$feat"
}

@test "medcap-decode-caption: its output to a full disk gives exit 3 and a message" {
    cd "$BATS_TEST_TMPDIR"
    medcap-train --min-freq 1 --hidden 4 --embed 4 --attn-dim 4 --epochs 1 --threads 1 \
        -o m.st "$DATA/medpix2-16-features.frames" 2>/dev/null
    check_full_stdout medcap-decode-caption -m m.st "$DATA/medpix2-16-features.frames"
}
