#!/usr/bin/env bats
# examples.bats - the examples a new user copies run verbatim (issue 16):
# every man page's EXAMPLES blocks, and the README's marked pipelines in a
# newcomer's session.
#
# What is run, from a man page (man/*.1, *.5, *.7):
#   - its EXAMPLES section: from `.SH EXAMPLES` (or `.SH EXAMPLE`) to the next
#     `.SH`;
#   - of it, the lines between `.nf` and `.fi` and between `.EX` and `.EE`
#     (one block each).  Prose, `.B` lines and other text outside such a block
#     are never run; roff requests inside a block (`.RS`, `.\"`) are dropped;
#   - un-escaped as man shows them: \- is -, \e is \, \(aq ', \(dq ", \(ga `,
#     \& nothing, font changes (\fB \fI \fR \fP) nothing; so \ex89 is \x89;
#   - each block is one `bash -euo pipefail` script (bash joins the lines a
#     backslash continues): every command, and every stage of a pipeline, must
#     exit 0.  The blocks of a page run in order in one sandbox folder, so a
#     block may use what an earlier one wrote.  A warning about a deprecated
#     spelling (medcap(7)) on standard error fails it too.
#   - medcap-train(1)'s page, half the file's time, starts in the background
#     from setup_file (on the other core; its own process group, which
#     teardown_file stops if it still runs); its test, the last, waits.
#   - A block whose first line starts with "$ " is a terminal session: its
#     "$ " lines are the commands, the other lines their output (not checked).
#
# A block right after a comment line `.\" run: python3` is Python source: it
# runs, its indentation removed, as `python3 BLOCK` (Debian's python3 with python3-numpy, which make
# installs; PATH finds it in /usr/bin).
#
# SKIPPED BLOCKS: the one rule.  A block right after a comment line
#     .\" not run: REASON
# (before its .nf/.EX, after the prose) is not run: a crontab line, a command
# that needs what make does not install (torch), one that takes minutes.
# The test "the skipped blocks are the known ones" lists every such block,
# so that the set stays small and a new one is a decision.
#
# The sandbox: a fresh folder per page, HOME a fresh folder in it,
# PATH=$MEDCAP_BIN:/usr/bin:/bin (and medcap-caption-dir, the nightly job as
# make install names it), MEDCAP_BIN and MEDCAP_SHARE passed on, KEY set (the
# salt the DICOM examples name), OPENBLAS_NUM_THREADS=1, holding small fixtures under exactly the names the
# examples use (made once per run in setup_file, the frames and indexes by the
# real programs):
#   medpix2/        MedPix 2.0's layout (tests/data/medpix-slice: 40 train and
#                   8 dev images, data_*.jsonl, descriptions_*.jsonl)
#   train.ndjson, dev.ndjson   its cleaned records, image paths relative to
#                   the sandbox (train: 2 records, to keep training short)
#   data/, records.ndjson      examples/images and its records
#   new.ndjson      those records, image paths relative to the sandbox
#   model.safetensors, embed.safetensors   copies of the shipped models
#   images.frames (and x.frames), features.frames   image and grid feature
#                   frames of records.ndjson
#   dev.img, dev.frames, dev.feat, train.frames, train.feat   image frames,
#                   grid features, pooled features (layout 8) of dev/train
#   train.idx       case index of medpix2's train split (medcap-index(1))
#   train.log, neighbors.ndjson   a training log, retrieve's records of dev
#   x.png, ct.dcm, scans/ (DICOM), studies/ (PNGs in sub-folders)
#   cxr-covid/      COVID-19 image data collection layout (metadata.csv, images/)
#   train.csv.gz    CheXpert rows; table.csv a generic table (file,report,mrn)
#
# The README: the (four-space indented) code block right after each line
#     <!-- runs in tests/examples.bats -->
# runs, in order, in one `bash -euo pipefail` shell (as a user types them, so
# the first block's `export PATH` holds for the next) in a view of the checkout
# (a folder of links to its files; bin/ is $MEDCAP_BIN) with a fresh HOME,
# PATH=/usr/bin:/bin and no MEDCAP_ variables: what a new user has after
# `make`.  medpix2/ in the view stands for the MedPix 2.0 download the README
# names.

load common

setup_file() {
    export FIX="$BATS_FILE_TMPDIR/fixture"
    mkdir -p "$FIX"
    # in the background and waited for: set -e holds there (not beside ||)
    (
        set -euo pipefail
        cd "$FIX"
        cp -r "$DATA/medpix-slice" medpix2
        cp -r "$ROOT/examples/images" data
        cp data/records.ndjson records.ndjson
        cp "$MEDCAP_SHARE/model.safetensors" "$MEDCAP_SHARE/embed.safetensors" .
        medcap-csv-clean --image-prefix medpix2/ medpix2 > all.ndjson
        jq -c 'select(.split == "train")' all.ndjson | sed -n 1,2p > train.ndjson
        jq -c 'select(.split == "dev")' all.ndjson > dev.ndjson
        rm all.ndjson
        jq -c '.image = "data/" + .image' records.ndjson > new.ndjson
        medcap-img-resize --root data records.ndjson > images.frames
        medcap-encode-features < images.frames > features.frames
        cp images.frames x.frames
        medcap-img-resize < dev.ndjson > dev.img
        medcap-encode-features < dev.img > dev.frames
        medcap-encode-features --features pooled --layout 8 < dev.img > dev.feat
        medcap-img-resize < train.ndjson > train.img
        medcap-encode-features < train.img > train.frames
        medcap-encode-features --features pooled --layout 8 < train.img > train.feat
        rm train.img
        medcap-csv-clean medpix2 | jq -c 'select(.split == "train")' \
            | medcap-img-resize --root medpix2 | medcap-encode-features \
            | medcap-index -o train.idx
        medcap-train -q --epochs 1 --log train.log -o tmp.safetensors train.frames
        rm -f tmp.safetensors tmp.safetensors.ckpt
        medcap-retrieve -i train.idx dev.frames > neighbors.ndjson
        cp data/MPX1007_synpic46719.png x.png
        mkdir -p studies/2026-12-01 studies/2026-12-02
        cp data/MPX1009_synpic46283.png data/MPX1074_synpic24653.png studies/2026-12-01/
        cp data/MPX1075_synpic20513.png studies/2026-12-02/
        mkdir scans
        cp "$DATA"/dicom/{ct16,xr_mono1,mr_multi}.dcm scans/
        cp "$DATA/dicom/ct16.dcm" ct.dcm
        mkdir -p cxr-covid/images
        cp "$DATA/csv-clean/cxr-covid/metadata.csv" cxr-covid/
        cp "$DATA"/images/{ARDSSevere,kjr-21-e24-g001-l-a,X-ray_of_cyst_in_pneumocystis_pneumonia_1}.jpg cxr-covid/images/
        cp "$DATA/csv-clean/chexpert-train-20.csv.gz" train.csv.gz
        {
            echo 'file,report,mrn'
            echo 'data/MPX1007_synpic46719.png,"Axial DWI: right PCA infarct, periventricular hyperintensities.",1001'
            echo 'data/MPX1009_synpic46283.png,"Coronal CT: enlarged prostate with calcifications, no mass.",1002'
            echo 'data/MPX1074_synpic24653.png,"Axial CT: soft tissue mass of the left adrenal gland.",1003'
        } > table.csv
    ) > "$BATS_FILE_TMPDIR/fixture.log" 2>&1 3>&- &
    if ! wait $!; then
        sed 's/^/# /' "$BATS_FILE_TMPDIR/fixture.log" >&3
        echo "# fixture set-up failed" >&3
        return 1
    fi
    # the nightly job as make install names it (medcap-caption-dir(1))
    mkdir -p "$BATS_FILE_TMPDIR/tools"
    ln -s "$ROOT/examples/caption-dir.sh" "$BATS_FILE_TMPDIR/tools/medcap-caption-dir"
    # medcap-train(1)'s examples train for half the file's time: they run in
    # the background, on the other core, from here; their test waits for them
    start_page medcap-train.1
}

# start_page NAME: run_page NAME in the background (its own process group,
# stopped by teardown_file if still running); wait_page NAME gives its result.
start_page() {
    local w="$BATS_FILE_TMPDIR/bg-$1"
    mkdir -p "$w"
    export -f run_page extract_examples sandbox_env
    export ROOT MEDCAP_BIN MEDCAP_SHARE FIX BATS_FILE_TMPDIR
    WORK=$w setsid bash -c 'run_page "$1" > "$WORK.out" 2>&1; echo $? > "$WORK.rc"' _ "$1" \
        < /dev/null > /dev/null 2>&1 3>&- &
    echo $! >> "$BATS_FILE_TMPDIR/bg.pids"
}

wait_page() {
    local w="$BATS_FILE_TMPDIR/bg-$1" i
    for ((i = 0; i < 3000; i++)); do
        [ -s "$w.rc" ] && break
        sleep 0.1
    done
    cat "$w.out" 2>/dev/null || true
    [ "$(cat "$w.rc" 2>/dev/null)" = 0 ]
}

teardown_file() {
    local pid
    [ -e "$BATS_FILE_TMPDIR/bg.pids" ] || return 0
    while read -r pid; do
        kill -- "-$pid" 2>/dev/null || true
    done < "$BATS_FILE_TMPDIR/bg.pids"
}

# extract_examples PAGE OUTDIR: one file per block of PAGE's EXAMPLES
# section, OUTDIR/NN.sh to run, OUTDIR/NN.skip (first line: the reason) not.
extract_examples() {
    local page=$1 out=$2 f
    mkdir -p "$out"
    awk -v dir="$out" '
        /^\.SH/ { sec = ($0 ~ /^\.SH[ \t]+"?EXAMPLES?"?[ \t]*$/); next }
        !sec { next }
        !blk && /^\.\\" not run:/ { reason = $0; sub(/^\.\\" not run:[ \t]*/, "", reason); next }
        !blk && /^\.\\" run: python3[ \t]*$/ { py = 1; next }
        /^\.(nf|EX)([ \t]|$)/ {
            blk = 1; n++
            f = sprintf("%s/%02d.%s", dir, n, reason != "" ? "skip" : py ? "py" : "sh")
            if (reason != "") print reason > f; else printf "" > f
            reason = ""; py = 0; next
        }
        /^\.(fi|EE)([ \t]|$)/ { if (blk) close(f); blk = 0; next }
        blk && /^\./ { next }
        blk { print > f }
    ' "$page"
    for f in "$out"/*.sh "$out"/*.py; do
        [ -e "$f" ] || continue
        sed -i -e 's/\\e/\x01/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" \
            -e 's/\\(dq/"/g' -e 's/\\(ga/`/g' -e 's/\\&//g' \
            -e 's/\\f[BIRP]//g' -e 's/\x01/\\/g' "$f"
        if [ "${f##*.}" = py ]; then  # Python: without the block's indentation
            /usr/bin/python3 -c 'import sys, textwrap; p = sys.argv[1]; s = textwrap.dedent(open(p).read()); open(p, "w").write(s)' "$f"
        fi
        if [ "${f##*.}" = sh ] && head -1 "$f" | grep -q '^[[:space:]]*\$ '; then
            sed -n 's/^[[:space:]]*\$ //p' "$f" > "$f.cmds" && mv "$f.cmds" "$f"
        fi
    done
}

sandbox_env() {
    local sb=$1
    echo HOME="$sb/.home" PATH="$MEDCAP_BIN:$BATS_FILE_TMPDIR/tools:/usr/bin:/bin" \
        KEY=examples-salt-2026 OPENBLAS_NUM_THREADS=1 LC_ALL=C.UTF-8 \
        MEDCAP_SHARE="$MEDCAP_SHARE" MEDCAP_BIN="$MEDCAP_BIN" \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"}
}

# run_page NAME: run the EXAMPLES blocks of man/NAME in a fresh sandbox.
run_page() {
    local w=${WORK:-$BATS_TEST_TMPDIR}
    local page="$ROOT/man/$1" blocks="$w/blocks" sb="$w/sandbox" b rc ran=0
    extract_examples "$page" "$blocks"
    cp -a "$FIX" "$sb"
    mkdir -p "$sb/.home"
    for b in $(ls "$blocks"/*.sh "$blocks"/*.py 2>/dev/null | sort); do
        ran=$((ran + 1))
        rc=0
        case $b in
        *.py) set -- "$1" python3 "$b" ;;
        *) set -- "$1" bash -euo pipefail "$b" ;;
        esac
        (cd "$sb" && env -i $(sandbox_env "$sb") "${@:2}") \
            > "$w/out" 2> "$w/err" || rc=$?
        if [ "$rc" -ne 0 ]; then
            echo "# $1: block $(basename "$b" .sh) exited $rc:"
            sed 's/^/#   /' "$b"
            echo "# its standard error:"
            tail -20 "$w/err" | sed 's/^/#   /'
            return 1
        fi
        if grep -i 'deprecated' "$w/err"; then
            echo "# $1: block $(basename "$b" .sh) uses a deprecated spelling (medcap(7))"
            return 1
        fi
    done
    [ "$ran" -gt 0 ] || { echo "# $1: no EXAMPLES block runs"; return 1; }
}

@test "every man page has an EXAMPLES section, each page is run here" {
    local p missing=""
    for p in "$ROOT"/man/*.[157]; do
        grep -q '^\.SH[[:space:]]*"\?EXAMPLES\?"\?[[:space:]]*$' "$p" || missing+=" ${p##*/}"
        grep -q "_page ${p##*/};" "$BATS_TEST_FILENAME" || missing+=" ${p##*/}(no test)"
    done
    [ -z "$missing" ] || { echo "# without EXAMPLES or a test here:$missing"; return 1; }
}

@test "the skipped blocks are the known ones" {
    local p f got="" want
    for p in "$ROOT"/man/*.[157]; do
        extract_examples "$p" "$BATS_TEST_TMPDIR/x/${p##*/}"
        for f in "$BATS_TEST_TMPDIR/x/${p##*/}"/*.skip; do
            [ -e "$f" ] && got+="${p##*/}: $(head -1 "$f")"$'\n'
        done
    done
    want="medcap-caption-dir.1: a crontab line, for an installed copy
medcap-encode-features.1: needs torch and torchvision
medcap-train.1: trains a ResNet-18, minutes on two cores
medcap-train-mpi.1: needs OpenMPI (tests/mpi.bats runs it)
"
    got=$(printf '%s' "$got" | LC_ALL=C sort)
    want=$(printf '%s' "$want" | LC_ALL=C sort)
    [ "$got" = "$want" ] || { echo "# skipped blocks now:"; echo "$got" | sed 's/^/#   /'; return 1; }
}

@test "examples: roff un-escaping and session blocks" {
    cat > "$BATS_TEST_TMPDIR/t.1" <<'EOF'
.SH NAME
x
.SH EXAMPLES
.nf
echo a \- \(aqb\(aq \e
    \fBc\fP \(dqd\(dq "\ex89"
.fi
.\" not run: a test
.EX
false
.EE
.\" run: python3
.nf
print(b"\ex89")
.fi
.nf
  $ echo \-\-yes
  output line
.fi
.SH SEE ALSO
.nf
false
.fi
EOF
    extract_examples "$BATS_TEST_TMPDIR/t.1" "$BATS_TEST_TMPDIR/t"
    run -0 cat "$BATS_TEST_TMPDIR/t/01.sh"
    assert_output "echo a - 'b' \\
    c \"d\" \"\\x89\""
    run -0 cat "$BATS_TEST_TMPDIR/t/02.skip"
    assert_output "a test
false"
    run -0 cat "$BATS_TEST_TMPDIR/t/03.py"
    assert_output 'print(b"\x89")'
    run -0 cat "$BATS_TEST_TMPDIR/t/04.sh"
    assert_output "echo --yes"
    [ ! -e "$BATS_TEST_TMPDIR/t/05.sh" ]
}

@test "man/medcap.1 examples run" { run_page medcap.1; }
@test "man/medcap-caption-dir.1 examples run" { run_page medcap-caption-dir.1; }
@test "man/medcap-caption-many.1 examples run" { run_page medcap-caption-many.1; }
@test "man/medcap-train-mpi.1 examples run" {
    [ -x "$MEDCAP_BIN/medcap-train-mpi" ] || skip "medcap-train-mpi not built (no mpicc)"
    run_page medcap-train-mpi.1; }
@test "man/medcap-csv-clean.1 examples run" { run_page medcap-csv-clean.1; }
@test "man/medcap-img-resize.1 examples run" { run_page medcap-img-resize.1; }
@test "man/medcap-encode-features.1 examples run" { run_page medcap-encode-features.1; }
@test "man/medcap-decode-caption.1 examples run" { run_page medcap-decode-caption.1; }
@test "man/medcap-score.1 examples run" { run_page medcap-score.1; }
@test "man/medcap-index.1 examples run" { run_page medcap-index.1; }
@test "man/medcap-index.5 examples run" { run_page medcap-index.5; }
@test "man/medcap-retrieve.1 examples run" { run_page medcap-retrieve.1; }
@test "man/medcap-embed.1 examples run" { run_page medcap-embed.1; }
@test "man/medcap-report.1 examples run" { run_page medcap-report.1; }
@test "man/medcap-frame-info.1 examples run" { run_page medcap-frame-info.1; }
@test "man/medcap-frame-to-npy.1 examples run" { run_page medcap-frame-to-npy.1; }
@test "man/medcap-frame.5 examples run" { run_page medcap-frame.5; }
@test "man/medcap.7 examples run" { run_page medcap.7; }

# readme_blocks OUTDIR: the README's marked code blocks, OUTDIR/NN.sh.
readme_blocks() {
    mkdir -p "$1"
    awk -v dir="$1" '
        /^<!-- runs in tests\/examples\.bats -->[ \t]*$/ { want = 1; next }
        want && /^[ \t]*$/ && !inb { next }
        want && /^    / { if (!inb) { n++; f = sprintf("%s/%02d.sh", dir, n); inb = 1 }
                         sub(/^    /, ""); print > f; next }
        want && inb && /^[ \t]*$/ { print "" > f; next }
        { if (inb) close(f); want = 0; inb = 0 }
    ' "$ROOT/README.md"
}

@test "README: a newcomer runs the marked pipelines in order" {
    local view="$BATS_TEST_TMPDIR/medcap" home="$BATS_TEST_TMPDIR/home" e b rc n=0
    mkdir -p "$view" "$home"
    for e in "$ROOT"/* "$ROOT"/.[!.]*; do
        case ${e##*/} in bin|work|bin-san|bin-fuzz) continue ;; esac
        ln -s "$e" "$view/${e##*/}"
    done
    ln -s "$MEDCAP_BIN" "$view/bin"
    cp -r "$DATA/medpix-slice" "$view/medpix2"
    readme_blocks "$BATS_TEST_TMPDIR/readme"
    n=$(ls "$BATS_TEST_TMPDIR"/readme/*.sh 2>/dev/null | wc -l)
    [ "$n" -ge 2 ] || { echo "# only $n marked README blocks"; return 1; }
    # one shell, as a user types them: the first block's export stays
    rc=0
    (cd "$view" && env -i HOME="$home" PATH=/usr/bin:/bin OPENBLAS_NUM_THREADS=1 LC_ALL=C.UTF-8 \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        bash -euo pipefail -c 'for b; do echo "README block ${b##*/}" >&2; . "$b"; done' \
        _ "$BATS_TEST_TMPDIR"/readme/*.sh) > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "# the README session exited $rc; its standard error:"
        tail -20 "$BATS_TEST_TMPDIR/err" | sed 's/^/#   /'
        return 1
    fi
    # every block ran, with current spellings only
    [ "$(grep -c '^README block' "$BATS_TEST_TMPDIR/err")" -eq "$n" ]
    if grep -i 'deprecated' "$BATS_TEST_TMPDIR/err"; then return 1; fi
    # the first one needs nothing but the checkout
    if grep -q 'medpix2\|shared' "$BATS_TEST_TMPDIR/readme/01.sh"; then return 1; fi
}

# last: started in setup_file, it ran beside the tests above
@test "man/medcap-train.1 examples run" { wait_page medcap-train.1; }
