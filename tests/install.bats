#!/usr/bin/env bats
# make install and make uninstall into a temporary prefix: the installed
# programs run from anywhere and find their own model, the man pages and the
# bash completion work, the nightly job runs under cron's environment, and
# make uninstall removes exactly what make install wrote.
load common

# One prefix for the file, and a test moves its model away for a moment:
# under bats --jobs the tests of this file run in turn (beside other files).
BATS_NO_PARALLELIZE_WITHIN_FILE=true

# make in the checkout, for the build the suite runs (bin/ or bin-san/);
# everything is built already, so install only copies.
mk() {
    local san=()
    [ "${MEDCAP_BIN##*/}" = bin-san ] && san=(SANITIZE=1)
    nice make -s --no-print-directory -C "$ROOT" "${san[@]}" "$@"
}

# A command in a bare environment with the installed programs on PATH, run
# from a folder outside the checkout (no MEDCAP_SHARE, no bin/ of the checkout).
installed() {
    (cd "$BATS_TEST_TMPDIR" && env -i PATH="$PREFIX_DIR/bin:/usr/bin:/bin" HOME="$BATS_TEST_TMPDIR" \
        OPENBLAS_NUM_THREADS=1 "$@")
}

setup_file() {
    export PREFIX_DIR="$BATS_FILE_TMPDIR/prefix"
    mk install PREFIX="$PREFIX_DIR" > "$BATS_FILE_TMPDIR/install.log" 2>&1 \
        || { cat "$BATS_FILE_TMPDIR/install.log" >&3; return 1; }
}

@test "make install: programs, caption-dir, man pages, model, examples, completion, all in the manifest" {
    local p
    for p in medcap medcap-img-resize medcap-decode-caption medcap-caption-dir; do
        [ -x "$PREFIX_DIR/bin/$p" ]
    done
    [ -f "$PREFIX_DIR/share/man/man1/medcap-img-resize.1" ]
    [ -f "$PREFIX_DIR/share/man/man5/medcap-frame.5" ]
    [ -f "$PREFIX_DIR/share/man/man7/medcap.7" ]
    cmp "$ROOT/share/medcap/model.safetensors" "$PREFIX_DIR/share/medcap/model.safetensors"
    [ -x "$PREFIX_DIR/share/medcap/examples/caption-dir.sh" ]
    [ -f "$PREFIX_DIR/share/medcap/examples/images/records.ndjson" ]
    # the Python frame reader, importable from PREFIX/share/medcap/python
    PYTHONPATH="$PREFIX_DIR/share/medcap/python" /usr/bin/python3 -c 'import medcap_frames'
    [ -f "$PREFIX_DIR/share/bash-completion/completions/medcap" ]
    [ "$(readlink "$PREFIX_DIR/share/bash-completion/completions/medcap-img-resize")" = medcap ]
    # the manifest lists every file and folder under the prefix, and only those
    run -0 bash -c "cd '$PREFIX_DIR' && find . -mindepth 1 \( -type d -printf '%P/\n' -o -printf '%P\n' \) | LC_ALL=C sort"
    [ "${#lines[@]}" -gt 50 ]
    diff <(printf '%s\n' "${lines[@]}") "$PREFIX_DIR/share/medcap/install-manifest"
}

@test "installed medcap runs its stages and medcap-caption-dir from its own folder" {
    run -0 installed medcap --help
    assert_output --partial "decode-caption"
    run -0 installed medcap caption-dir --help
    assert_output --partial "Usage: medcap-caption-dir"
    run -0 installed "$PREFIX_DIR/bin/medcap" frame-info --version
}

@test "installed medcap-caption-dir keeps the command-line contract and has a man page" {
    PATH="$PREFIX_DIR/bin:$PATH"
    check_cli_contract medcap-caption-dir
    run -0 medcap-caption-dir --version
    assert_output --regexp "^medcap-caption-dir medcap [0-9]"
    local a
    for a in --help --version; do
        run -3 --separate-stderr bash -c 'medcap-caption-dir "$1" > /dev/full' _ "$a"
        [[ "$stderr" == *"medcap-caption-dir: "*"standard output"* ]]
    done
    [ -f "$PREFIX_DIR/share/man/man1/medcap-caption-dir.1" ]
}

@test "installed programs caption with the model under the prefix, not the checkout's" {
    installed medcap img-resize --size 128 --root "$PREFIX_DIR/share/medcap/examples/images" \
        < "$ROOT/examples/images/records.ndjson" > "$BATS_TEST_TMPDIR/images.frames"
    installed medcap encode-features < "$BATS_TEST_TMPDIR/images.frames" > "$BATS_TEST_TMPDIR/features.frames"
    run -0 installed medcap-decode-caption "$BATS_TEST_TMPDIR/features.frames"
    [ "${#lines[@]}" -eq 9 ]
    run -0 jq -rs 'map(select(.caption | length > 0)) | length' <<< "$output"
    assert_output "9"
    # without the installed model it has none: it did not use the checkout's
    if [ ! -e /usr/local/share/medcap/model.safetensors ]; then
        mv "$PREFIX_DIR/share/medcap/model.safetensors" "$BATS_TEST_TMPDIR/moved"
        run ! installed medcap-decode-caption "$BATS_TEST_TMPDIR/features.frames"
        mv "$BATS_TEST_TMPDIR/moved" "$PREFIX_DIR/share/medcap/model.safetensors"
        assert_output --partial "model.safetensors"
        refute_output --partial "$ROOT"
    fi
}

@test "installed img-resize and csv-clean read DICOM with PREFIX/lib/medcap/medcap-dicom.so, not the checkout's" {
    [ -f "$PREFIX_DIR/lib/medcap/medcap-dicom.so" ]
    installed medcap-img-resize --size 16 <<< "$DATA/dicom/ct16.dcm" > "$BATS_TEST_TMPDIR/installed.frames"
    medcap-img-resize --size 16 <<< "$DATA/dicom/ct16.dcm" | cmp - "$BATS_TEST_TMPDIR/installed.frames"
    run -0 installed bash -c 'LD_DEBUG=files medcap-csv-clean --format dicom "$1" 2>&1 >/dev/null' _ "$DATA/dicom/ct16.dcm"
    assert_output --partial "$PREFIX_DIR/bin/../lib/medcap/medcap-dicom.so"
    refute_output --partial "$ROOT"
}

@test "installed man pages are found with man -M PREFIX/share/man" {
    command -v man > /dev/null || skip "no man"
    MANWIDTH=80 run -0 man -M "$PREFIX_DIR/share/man" medcap-img-resize
    assert_output --partial "medcap-img-resize"
    assert_output --partial "--root"
    MANWIDTH=80 run -0 man -M "$PREFIX_DIR/share/man" medcap-caption-dir
    assert_output --partial "captions.rejects"
    MANWIDTH=80 run -0 man -M "$PREFIX_DIR/share/man" 7 medcap
    assert_line --partial "MEDCAP(7)"
    MANWIDTH=80 run -0 man -M "$PREFIX_DIR/share/man" 5 medcap-frame
    assert_line --partial "MEDCAP-FRAME(5)"
}

@test "bash completion: stages after medcap, long options after a program" {
    local c="$PREFIX_DIR/share/bash-completion/completions"
    run -0 installed bash -c '
        source "$1/medcap"
        t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _medcap; echo "$* -> ${COMPREPLY[*]}"; }
        t medcap dec
        t medcap cap
        t medcap img-resize --ro
        t medcap-img-resize --ro
        t medcap-decode-caption --bea
        t medcap-caption-dir --he
        complete -p medcap-img-resize' _ "$c"
    assert_output "medcap dec -> decode-caption
medcap cap -> caption-dir caption-many
medcap img-resize --ro -> --root
medcap-img-resize --ro -> --root
medcap-decode-caption --bea -> --beam
medcap-caption-dir --he -> --help
complete -o default -F _medcap medcap-img-resize"
    # bash-completion loads PREFIX/.../completions/medcap-NAME, the link, by name
    run -0 env -i PATH=/usr/bin:/bin bash -c 'source "$1/medcap-frame-info"; complete -p medcap-frame-info medcap' _ "$c"
}

@test "the nightly job under cron's environment: sub-folders, a broken image once, a new image" {
    local d="$BATS_TEST_TMPDIR/studies" cron
    mkdir -p "$d/p1" "$d/p2" "$d/p3"
    cp "$ROOT/examples/images/MPX1007_synpic46719.png" "$d/p1/a.png"
    cp "$ROOT/examples/images/MPX1009_synpic46283.png" "$d/p2/a.png"
    head -c 300 "$ROOT/examples/images/MPX1074_synpic24653.png" > "$d/p2/bad.png"
    # the crontab line of its header, run as cron runs it
    cron="$PREFIX_DIR/bin/medcap-caption-dir $d >>$d/captions.log 2>&1"
    night() { (cd "$BATS_TEST_TMPDIR" && env -i PATH=/usr/bin:/bin HOME="$BATS_TEST_TMPDIR" SHELL=/bin/sh /bin/sh -c "$cron"); }
    run -5 night
    run -0 cat "$d/captions.log"
    assert_output --partial "p2/bad.png: cannot read image"
    assert_output --partial "captioned 2 of 3 new images"
    run -0 jq -r '.id + " " + .image + " " + (.caption | length > 0 | tostring)' "$d/captions.ndjson"
    assert_output "p1/a.png p1/a.png true
p2/a.png p2/a.png true"
    run -0 jq -r '.image' "$d/captions.rejects"
    assert_output "p2/bad.png"
    # the second night: nothing new, exit 0, the broken image not reported again
    cp "$d/captions.ndjson" "$BATS_TEST_TMPDIR/night1.ndjson"
    : > "$d/captions.log"
    run -0 night
    run -0 cat "$d/captions.log"
    assert_output --partial "no new images"
    refute_output --partial "bad.png"
    cmp "$d/captions.ndjson" "$BATS_TEST_TMPDIR/night1.ndjson"
    # the third night: a new image, through the dispatcher this time
    cp "$ROOT/examples/images/MPX1075_synpic20513.png" "$d/p3/a.png"
    cron="$PREFIX_DIR/bin/medcap caption-dir $d >>$d/captions.log 2>&1"
    run -0 night
    run -0 jq -r '.id' "$d/captions.ndjson"
    assert_output "p1/a.png
p2/a.png
p3/a.png"
    # the copy among the installed examples finds the programs too
    mkdir "$BATS_TEST_TMPDIR/empty"
    run -0 env -i PATH=/usr/bin:/bin "$PREFIX_DIR/share/medcap/examples/caption-dir.sh" "$BATS_TEST_TMPDIR/empty"
    assert_output --partial "no new images"
}

@test "make uninstall removes exactly what make install wrote, twice installed or not" {
    local p="$BATS_TEST_TMPDIR/prefix"
    mkdir -p "$p/share/man/man1"
    echo "someone else's" > "$p/share/man/man1/other.1"
    mk install PREFIX="$p" > /dev/null
    mk install PREFIX="$p" > /dev/null
    [ -x "$p/bin/medcap-caption-dir" ]
    run -0 mk uninstall PREFIX="$p"
    run -0 bash -c "cd '$p' && find . -mindepth 1 | LC_ALL=C sort"
    assert_output "./share
./share/man
./share/man/man1
./share/man/man1/other.1"
    # nothing installed: refused, nothing touched
    run -2 mk uninstall PREFIX="$p"
    assert_output --partial "install-manifest"
    [ -f "$p/share/man/man1/other.1" ]
}

@test "make install DESTDIR=... PREFIX=...: staged under DESTDIR, runs from there, uninstalls to nothing" {
    local stage="$BATS_TEST_TMPDIR/stage"
    mk install DESTDIR="$stage" PREFIX=/opt/medcap > /dev/null
    [ -x "$stage/opt/medcap/bin/medcap-decode-caption" ]
    grep -qx 'bin/medcap' "$stage/opt/medcap/share/medcap/install-manifest"
    run -0 env -i PATH=/usr/bin:/bin "$stage/opt/medcap/bin/medcap" --help
    mk uninstall DESTDIR="$stage" PREFIX=/opt/medcap
    run -0 find "$stage/opt/medcap" -mindepth 1
    assert_output ""
}
