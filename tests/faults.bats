#!/usr/bin/env bats
# Faults (issue 17): every program, its output to a full disk (/dev/full)
# and to a reader that is gone while SIGPIPE is ignored, exits 3 with a
# message naming the program and what could not be written, and never
# crashes.  index, train and train-mpi write files, not standard output:
# their -o to a full disk is tested instead.
load common

setup_file() {
    cd "$BATS_FILE_TMPDIR"
    echo '{"id":"a","image":"MPX1007_synpic46719.png"}' > one.ndjson
    medcap-index -o f.idx "$DATA/medpix2-16-features.frames"
    medcap-train --min-freq 1 --hidden 4 --embed 4 --attn-dim 4 --epochs 1 --threads 1 \
        -o m.st "$DATA/medpix2-16-features.frames" 2>/dev/null
}

# Set CMD to the command line that makes program $1 (medcap-$1, or medcap
# the dispatcher) write to standard output; fixtures are in $BATS_FILE_TMPDIR.
# Returns 1 for a program without such a line.
set_cmd() {
    local feat="$DATA/medpix2-16-features.frames" caps="$DATA/medpix2-16-captions.ndjson"
    local t="$BATS_FILE_TMPDIR"
    case $1 in
    medcap) CMD=(medcap --help) ;;
    csv-clean) CMD=(medcap-csv-clean "$DATA/csv-clean/medpix2") ;;
    img-resize) CMD=(medcap-img-resize --root "$DATA/images" --size 32 "$t/one.ndjson") ;;
    encode-features) CMD=(medcap-encode-features --allow-random -j 1 -b 4 "$DATA/medpix2-16-64px.frames") ;;
    decode-caption) CMD=(medcap-decode-caption -m "$t/m.st" "$feat") ;;
    embed) CMD=(medcap-embed -m "$MEDCAP_SHARE/embed.safetensors" "$caps") ;;
    retrieve) CMD=(medcap-retrieve -i "$t/f.idx" "$feat") ;;
    score) CMD=(medcap-score --refs "$caps" "$caps") ;;
    report) CMD=(medcap-report "$caps") ;;
    frame-info) CMD=(medcap-frame-info "$feat") ;;
    frame-to-npy) CMD=(medcap-frame-to-npy "$feat") ;;
    caption-dir) CMD=(medcap-caption-dir --help) ;;   # its output is files in DIR; tests/caption-dir.bats
    caption-many) CMD=(medcap-caption-many --help) ;; # its stream is the stages' (GNU parallel shards)
    *) return 1 ;;
    esac
}

# The programs that write files only (-o), with their command lines in CMD
# before the -o argument.
set_file_cmd() {
    case $1 in
    index) CMD=(medcap-index "$DATA/medpix2-16-features.frames" -o) ;;
    train|train-mpi)   # train-mpi: one rank (an MPI singleton) without mpirun
        CMD=("medcap-$1" --min-freq 1 --hidden 4 --embed 4 --attn-dim 4 --epochs 1 --threads 1
             "$DATA/medpix2-16-features.frames" -o) ;;
    *) return 1 ;;
    esac
}

programs() {
    local p
    for p in "$MEDCAP_BIN"/medcap-*; do
        if [ -x "$p" ]; then basename "$p" | sed 's/^medcap-//'; fi
    done
}

# "$@" with standard output on a pipe whose reader has gone, SIGPIPE ignored
# (deterministic: the read end is closed before the program starts).
reader_gone() {
    /usr/bin/python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.run(sys.argv[1:], stdout=w, restore_signals=False).returncode)' "$@"
}

# Exit 3 and "PROG: ...standard output: REASON" on stderr, status and stderr
# from the last run.
expect_output_error() {
    local prog=$1 reason=$2
    [ "$status" -eq 3 ] || { echo "$prog: exit $status, stderr: $stderr"; return 1; }
    [[ "$stderr" == *"$prog: "*"standard output: $reason"* ]] || { echo "$prog: stderr: $stderr"; return 1; }
}

@test "every program has a fault test here" {
    local p
    [ "$(programs | wc -l)" -ge 12 ]
    for p in $(programs); do
        set_cmd "$p" || set_file_cmd "$p" || { echo "no fault test for medcap-$p"; return 1; }
    done
}

@test "every program: standard output to a full disk gives exit 3 and a message" {
    local p
    for p in medcap $(programs); do
        set_cmd "$p" || continue
        run --separate-stderr bash -c '"$@" > /dev/full' _ "${CMD[@]}"
        expect_output_error "${CMD[0]}" "No space left on device"
    done
}

@test "every program: a reader gone with SIGPIPE ignored gives exit 3 and a message" {
    local p
    for p in medcap $(programs); do
        set_cmd "$p" || continue
        run --separate-stderr reader_gone "${CMD[@]}"
        expect_output_error "${CMD[0]}" "Broken pipe"
    done
}

@test "index, train and train-mpi: -o on a full disk gives exit 3 and a message" {
    local p
    for p in index train $([ -x "$MEDCAP_BIN/medcap-train-mpi" ] && echo train-mpi); do
        set_file_cmd "$p"
        # OpenMPI's own allocations outlive MPI_Finalize (as in tests/mpi.bats)
        [ "$p" != train-mpi ] || CMD=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "${CMD[@]}")
        run -3 --separate-stderr "${CMD[@]}" /dev/full
        [[ "$stderr" == *"medcap-$p: "*"/dev/full"* ]] || { echo "$p: stderr: $stderr"; return 1; }
    done
}

@test "encode-features: stdout fails in the middle of a batch (head -c 10), no double free" {
    local b
    for b in 1 4 16; do
        run --separate-stderr bash -c 'trap "" PIPE; "$@" | head -c 10 > /dev/null; exit ${PIPESTATUS[0]}' \
            _ medcap-encode-features --allow-random -j 1 -b "$b" "$DATA/medpix2-16-64px.frames"
        expect_output_error medcap-encode-features "Broken pipe"
    done
}

# Frames IN with the first frame's metadata replaced by the bytes of file
# META (CRCs recomputed), to OUT.
remeta() {
    /usr/bin/python3 - "$@" <<'PY'
import struct, sys, zlib
src, meta_file, out = sys.argv[1:]
buf = open(src, "rb").read()
pad = lambda n: b"\0" * ((64 - n % 64) % 64)
mlen = struct.unpack_from("<I", buf, 32)[0]
plen = struct.unpack_from("<Q", buf, 40)[0]
start = 64 + mlen + len(pad(64 + mlen))
data = buf[start:start + plen]
m = open(meta_file, "rb").read()
h = bytearray(buf[:64])
struct.pack_into("<I", h, 32, len(m))
struct.pack_into("<I", h, 48, zlib.crc32(m))
struct.pack_into("<I", h, 60, zlib.crc32(bytes(h[:60])))
open(out, "wb").write(bytes(h) + m + pad(64 + len(m)) + data + pad(len(data)))
PY
}

# A record {"id":ID,...,"caption":"xxx..."} of at least N bytes, to stdout.
big_record() {
    /usr/bin/python3 -c 'import json, sys
n, rid = int(sys.argv[1]), sys.argv[2]
rec = {"id": rid, "image": "MPX1007_synpic46719.png", "caption": ""}
rec["caption"] = "x" * (n - len(json.dumps(rec, separators=(",", ":"))))
print(json.dumps(rec, separators=(",", ":")))' "$@"
}

@test "img-resize and embed: a record over the 16 MiB frame metadata cap is bad input, not a frame the next stage refuses" {
    cd "$BATS_TEST_TMPDIR"
    big_record 17000000 big > big.ndjson
    run -1 --separate-stderr bash -c 'medcap-img-resize --root "$1" --size 32 big.ndjson > out.frames' \
        _ "$DATA/images"
    [[ "$stderr" == *"medcap-img-resize: big.ndjson:1: "*"metadata cap"* ]] || { echo "$stderr"; false; }
    [ ! -s out.frames ]
    # --keep-going skips it and goes on
    cat big.ndjson "$BATS_FILE_TMPDIR/one.ndjson" > two.ndjson
    run -5 --separate-stderr bash -c 'medcap-img-resize --keep-going --root "$1" --size 32 two.ndjson > out.frames' \
        _ "$DATA/images"
    run -0 medcap-frame-info out.frames
    assert_output --regexp '^a	u8	1x32x32	'
    [ "${#lines[@]}" -eq 1 ]
    run -1 --separate-stderr bash -c 'medcap-embed -m "$MEDCAP_SHARE/embed.safetensors" big.ndjson > out.frames'
    [[ "$stderr" == *"medcap-embed: big.ndjson:1: "*"metadata cap"* ]] || { echo "$stderr"; false; }
    [ ! -s out.frames ]
}

@test "encode-features: a record that its keys take over the metadata cap is bad input (exit 1)" {
    cd "$BATS_TEST_TMPDIR"
    big_record $((16 << 20)) big | tr -d '\n' > meta
    [ "$(stat -c %s meta)" -eq $((16 << 20)) ]
    remeta "$DATA/medpix2-16-64px.frames" meta big.frames
    run -0 medcap-frame-info big.frames
    run -1 --separate-stderr bash -c 'medcap-encode-features --allow-random -j 1 big.frames > out.frames'
    [[ "$stderr" == *"medcap-encode-features: big.frames: frame 1: "*"metadata cap"* ]] || { echo "$stderr"; false; }
    [ ! -s out.frames ]
}

@test "embed: frame metadata that is not a record, or holds a NUL byte, is bad input" {
    cd "$BATS_TEST_TMPDIR"
    medcap-encode-features --allow-random --features pooled --layout 8 -j 1 "$DATA/medpix2-16-64px.frames" > pooled.frames
    local meta
    for meta in '[1,2]' '{"caption":"no id"}' '{"id":"a"}\0{"id":"b"}'; do
        printf "$meta" > meta
        remeta pooled.frames meta bad.frames
        run -1 --separate-stderr bash -c 'medcap-embed -m "$MEDCAP_SHARE/embed.safetensors" bad.frames > out.frames'
        [[ "$stderr" == *"medcap-embed: bad.frames:1: frame metadata "* ]] || { echo "$meta: $stderr"; false; }
        [ ! -s out.frames ]
    done
}

# Text of depth levels of nested arrays around a record, as one line.
deep_json() {
    /usr/bin/python3 -c 'import sys; n = int(sys.argv[1]); print("{\"id\":\"a\",\"x\":" + "[" * n + "]" * n + "}")' "$1"
}

@test "csv-clean: a malformed MedPix JSON array file is reported once and leaks nothing (LeakSanitizer)" {
    cd "$BATS_TEST_TMPDIR"
    mkdir mp
    printf '[{"image":"x", "U_id": ' > mp/Descriptions.json
    run -1 --separate-stderr medcap-csv-clean --format medpix mp/Descriptions.json
    assert_output ""
    # under make check SANITIZE=1 a leak report follows the message
    [ "$stderr" = "medcap-csv-clean: mp/Descriptions.json: malformed JSON array near byte 23" ] || { echo "$stderr"; false; }
}

@test "JSON nested too deep says so, not malformed (NDJSON records, JSONL and JSON array files)" {
    cd "$BATS_TEST_TMPDIR"
    deep_json 1500 > deep.ndjson
    run -1 --separate-stderr medcap-score --refs deep.ndjson deep.ndjson
    [ "$stderr" = "medcap-score: deep.ndjson:1: JSON nested too deep (over 1000 levels)" ] || { echo "$stderr"; false; }
    mkdir mp
    deep_json 1500 > mp/descriptions_train.jsonl
    run -1 --separate-stderr medcap-csv-clean --format medpix mp/descriptions_train.jsonl
    [[ "$stderr" == *"mp/descriptions_train.jsonl:1: JSON nested too deep (over 1000 levels)"* ]] || { echo "$stderr"; false; }
    { printf '['; deep_json 1500; printf ']'; } > mp/Descriptions.json
    run -1 --separate-stderr medcap-csv-clean --format medpix mp/Descriptions.json
    [ "$stderr" = "medcap-csv-clean: mp/Descriptions.json: JSON array nested too deep (over 1000 levels)" ] || { echo "$stderr"; false; }
    # brackets inside strings do not count
    /usr/bin/python3 -c 'print("{\"id\":\"a\",\"caption\":\"" + "[" * 1500 + "\"}")' > strings.ndjson
    run -0 medcap-score --refs strings.ndjson strings.ndjson
}

@test "csv-clean: a write error in the middle of its output names the reason" {
    cd "$BATS_TEST_TMPDIR"
    /usr/bin/python3 -c 'print("image,caption")
for i in range(3000): print("img%d.png,a small nodule in the left lung number %d" % (i, i))' > many.csv
    run -3 --separate-stderr bash -c 'medcap-csv-clean --format generic --image-col image --caption-col caption many.csv > /dev/full'
    [ "$stderr" = "medcap-csv-clean: error writing standard output: No space left on device" ] || { echo "$stderr"; false; }
}

@test "a temporary left by a killed writer is removed when the file is next written (finding 11)" {
    cd "$BATS_TEST_TMPDIR"
    dead=$(bash -c 'echo $$')   # a process that has ended
    for f in m.st m.st.ckpt ix.idx; do
        echo partial > "$f.tmp.$dead"
        echo live > "$f.tmp.$$"    # this shell is alive: its temporary stays
    done
    medcap-train --min-freq 1 --hidden 8 --embed 8 --attn-dim 8 --epochs 1 --threads 1 --fields none \
        -o m.st "$DATA/medpix2-16-features.frames" 2>/dev/null
    medcap-index -o ix.idx "$DATA/medpix2-16-features.frames"
    [ -s m.st ] && [ -s ix.idx ]
    run -0 ls
    [[ "$output" != *".tmp.$dead"* ]]
    [ "$(cat m.st.tmp.$$ m.st.ckpt.tmp.$$ ix.idx.tmp.$$)" = "$(printf 'live\nlive\nlive')" ]
}

@test "train --checkpoint-every N writes the checkpoint within the epoch and resumes exactly (finding 11)" {
    cd "$BATS_TEST_TMPDIR"
    F="$DATA/medpix2-16-features.frames"
    args=(--min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 2 --batch 2 --threads 1 --fields none --seed 4)
    # 8 steps an epoch: with --checkpoint-every 3 the first checkpoint is due at step 3, before
    # the first epoch ends (and is logged); an unwritable checkpoint shows when it is written
    run -3 --separate-stderr medcap-train "${args[@]}" --checkpoint-every 3 --checkpoint /dev/full --log every.log -o x.st "$F"
    [ ! -s every.log ]
    run -3 --separate-stderr medcap-train "${args[@]}" --checkpoint /dev/full --log plain.log -o x.st "$F"
    [ "$(wc -l < plain.log)" -eq 1 ]
    # a run stopped after a mid-epoch checkpoint resumes to the uninterrupted run's model
    medcap-train "${args[@]}" -o whole.st "$F" 2>/dev/null
    medcap-train "${args[@]}" --checkpoint-every 3 --stop-after 5 -o part.st "$F" 2>/dev/null
    medcap-train --resume part.st.ckpt --threads 1 -o part.st "$F" 2>/dev/null
    cmp whole.st part.st
}

# ---- a full disk while a file is written (a 64 KiB tmpfs; root only) ----

# Frames FROM..TO (counted from 1) of the frame stream IN, to stdout.
frames_range() {
    /usr/bin/python3 - "$@" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
lo, hi = int(sys.argv[2]), int(sys.argv[3])
pad = lambda x: (x + 63) // 64 * 64
at, n = 0, 0
while at < len(b):
    meta_len, = struct.unpack_from("<I", b, at + 32)
    payload_len, = struct.unpack_from("<Q", b, at + 40)
    end = at + 64 + pad(meta_len) + pad(payload_len)
    n += 1
    if lo <= n <= hi:
        sys.stdout.buffer.write(b[at:end])
    at = end
PY
}

# Mount a 64 KiB tmpfs on DISK ($BATS_TEST_TMPDIR/disk) holding each file
# named ($DISK/NAME, content "previous NAME"), then fill it and free 8 KiB:
# a write of more than that fails part way with ENOSPC.  Skips the test when
# not root or when no tmpfs can be mounted; teardown unmounts it.
small_disk() {
    local f
    [ "$(id -u)" -eq 0 ] || skip "a full disk needs a tmpfs mount: run as root"
    DISK="$BATS_TEST_TMPDIR/disk"
    mkdir -p "$DISK"
    mount -t tmpfs -o size=64k tmpfs "$DISK" 2>/dev/null || skip "cannot mount a tmpfs here"
    for f in "$@"; do echo "previous $f" > "$DISK/$f"; done
    dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true
    truncate -s -8K "$DISK/filler"
}

teardown() {
    if [ -n "${DISK:-}" ] && mountpoint -q "$DISK"; then umount "$DISK"; fi
}

# The last run failed with exit 3 and a message from PROG naming WHAT
# (a path or "standard output") and "No space left on device".
expect_disk_full() {
    local prog=$1 what=$2
    [ "$status" -eq 3 ] || { echo "$prog: exit $status, stderr: $stderr"; return 1; }
    [[ "$stderr" == *"$prog: "*"$what"*"No space left on device"* ]] || { echo "$prog: stderr: $stderr"; return 1; }
}

# DISK holds the filler and each file named with its previous content, and
# nothing else (no temporary left behind).
expect_previous() {
    local f
    [ "$(ls -A "$DISK" | LC_ALL=C sort | tr '\n' ' ')" = "$(printf '%s\n' filler "$@" | LC_ALL=C sort | tr '\n' ' ')" ] ||
        { echo "left on the disk: $(ls -A "$DISK")"; return 1; }
    for f in "$@"; do
        [ "$(cat "$DISK/$f")" = "previous $f" ] || { echo "$f was changed"; return 1; }
    done
}

@test "full disk: train's model and checkpoint fail with exit 3 and a message, the previous files kept" {
    small_disk m.st m.st.ckpt
    local train=(medcap-train --min-freq 1 --hidden 4 --embed 4 --attn-dim 4 --epochs 1 --threads 1
                 "$DATA/medpix2-16-features.frames")
    run --separate-stderr "${train[@]}" -o "$DISK/m.st"
    expect_disk_full medcap-train "$DISK/m.st"
    expect_previous m.st m.st.ckpt
    # the checkpoint alone on the full disk
    run --separate-stderr "${train[@]}" --epochs 2 --checkpoint "$DISK/m.st.ckpt" -o "$BATS_TEST_TMPDIR/m.st"
    expect_disk_full medcap-train "$DISK/m.st.ckpt"
    expect_previous m.st m.st.ckpt
    [ ! -e "$BATS_TEST_TMPDIR/m.st" ]
}

@test "full disk: index and index --append fail with exit 3 and a message, the previous index kept" {
    small_disk ix.idx
    run --separate-stderr medcap-index -o "$DISK/ix.idx" "$DATA/medpix2-16-features.frames"
    expect_disk_full medcap-index "$DISK/ix.idx"
    expect_previous ix.idx
    # an index of the first 8 frames that fits, then an append of the other 8 that does not
    frames_range "$DATA/medpix2-16-features.frames" 1 8 > "$BATS_TEST_TMPDIR/a.frames"
    frames_range "$DATA/medpix2-16-features.frames" 9 16 > "$BATS_TEST_TMPDIR/b.frames"
    umount "$DISK"
    mount -t tmpfs -o size=64k tmpfs "$DISK"
    medcap-index -o "$DISK/ix.idx" "$BATS_TEST_TMPDIR/a.frames"
    cp "$DISK/ix.idx" "$BATS_TEST_TMPDIR/before.idx"
    dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true
    truncate -s -8K "$DISK/filler"
    run --separate-stderr medcap-index --append -o "$DISK/ix.idx" "$BATS_TEST_TMPDIR/b.frames"
    expect_disk_full medcap-index "$DISK/ix.idx"
    cmp "$DISK/ix.idx" "$BATS_TEST_TMPDIR/before.idx"
    [ "$(ls -A "$DISK" | tr '\n' ' ')" = "filler ix.idx " ]
}

@test "full disk: img-resize and encode-features writing to a file there give exit 3 and a message" {
    # standard output: the shell makes the file, so what is left there is
    # the shell's; the program's part is to fail loudly
    small_disk
    run --separate-stderr bash -c 'medcap-img-resize --root "$1" --size 128 "$2" > "$3/out.frames"' \
        _ "$DATA/images" "$BATS_FILE_TMPDIR/one.ndjson" "$DISK"
    expect_disk_full medcap-img-resize "standard output: "
    run --separate-stderr bash -c 'medcap-encode-features --allow-random -j 1 -b 4 "$1" > "$2/out.frames"' \
        _ "$DATA/medpix2-16-64px.frames" "$DISK"
    expect_disk_full medcap-encode-features "standard output: "
}

@test "full disk: frame-to-npy --npz and -o fail with exit 3 and a message, the previous files kept" {
    small_disk x.npz x.npy
    run --separate-stderr medcap-frame-to-npy --npz "$DISK/x.npz" "$DATA/medpix2-16-features.frames"
    expect_disk_full medcap-frame-to-npy "$DISK/x.npz"
    expect_previous x.npz x.npy
    # -o writes one frame: a 128x128 image (16 KiB)
    medcap-img-resize --root "$DATA/images" --size 128 "$BATS_FILE_TMPDIR/one.ndjson" > "$BATS_TEST_TMPDIR/big.frames"
    run --separate-stderr medcap-frame-to-npy -o "$DISK/x.npy" "$BATS_TEST_TMPDIR/big.frames"
    expect_disk_full medcap-frame-to-npy "$DISK/x.npy"
    expect_previous x.npz x.npy
}

# ---- kill -9 at a random point, then a rerun ----

@test "train killed with kill -9 at random points: each rerun (--resume when there is a checkpoint) ends with the uninterrupted model" {
    cd "$BATS_TEST_TMPDIR"
    local F="$DATA/medpix2-16-features.frames" pid ms kills=""
    local args=(--min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 20 --batch 2 --threads 1 --fields none
                --seed 4 --checkpoint-every 2)
    medcap-train "${args[@]}" -o whole.st "$F" 2>/dev/null
    # up to 4 runs killed after 0-599 ms each (a whole run takes about a
    # second on a loaded machine), each resuming the one before
    for _ in 1 2 3 4; do
        ms=$((RANDOM % 600))
        if [ -e m.st.ckpt ]; then
            medcap-train --resume m.st.ckpt --threads 1 -o m.st "$F" 2>/dev/null &
        elif [ ! -e m.st ]; then
            medcap-train "${args[@]}" -o m.st "$F" 2>/dev/null &
        else
            break
        fi
        pid=$!
        sleep "$(printf '%d.%03d' 0 "$ms")"
        kill -9 "$pid" 2>/dev/null && kills="$kills ${ms}ms"
        wait "$pid" || true
    done
    if [ -e m.st.ckpt ]; then
        medcap-train --resume m.st.ckpt --threads 1 -o m.st "$F" 2>/dev/null
    elif [ ! -e m.st ]; then
        medcap-train "${args[@]}" -o m.st "$F" 2>/dev/null
    fi
    cmp whole.st m.st || { echo "killed after:$kills"; false; }
    [ ! -e m.st.ckpt ]
    run -0 ls -A
    [[ "$output" != *".tmp."* ]] || { echo "killed after:$kills; left: $output"; false; }
}

# The ids of the records in the case index IN, one a line, in file order.
index_ids() {
    /usr/bin/python3 - "$1" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
pad = lambda x: (x + 63) // 64 * 64
at = 0
while at < len(b):
    meta_len, = struct.unpack_from("<I", b, at + 32)
    payload_len, = struct.unpack_from("<Q", b, at + 40)
    meta = json.loads(b[at + 64:at + 64 + meta_len])
    data = b[at + 64 + pad(meta_len):at + 64 + pad(meta_len) + payload_len]
    if meta.get("format") == "medcap-index-records":
        for line in data.decode().splitlines():
            print(json.loads(line)["id"])
    at += 64 + pad(meta_len) + pad(payload_len)
PY
}

@test "index --append killed with kill -9 at a random point: the old index or the new one, and a rerun holds every row once" {
    cd "$BATS_TEST_TMPDIR"
    local F="$DATA/medpix2-16-features.frames" pid ms
    frames_range "$F" 1 8 > a.frames
    frames_range "$F" 9 12 > b1.frames
    frames_range "$F" 13 16 > b2.frames
    medcap-index -o ix.idx a.frames
    # the frames to append come in two halves 0.4 s apart: a kill within
    # 0-799 ms lands before, while or after the append reads, writes and renames
    ms=$((RANDOM % 800))
    { cat b1.frames; sleep 0.4; cat b2.frames; } | medcap-index --append -o ix.idx 2>/dev/null &
    pid=$!
    sleep "$(printf '%d.%03d' 0 "$ms")"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" || true
    # the index opens and holds the first 8 rows or all 16
    run -0 medcap-retrieve -i ix.idx b1.frames
    run -0 index_ids ix.idx
    [ "${#lines[@]}" -eq 8 ] || [ "${#lines[@]}" -eq 16 ] || { echo "killed after ${ms} ms: ${#lines[@]} rows"; false; }
    # the rerun adds what is missing, skips what is there (exit 5)
    run --separate-stderr medcap-index --append --keep-going -o ix.idx b1.frames b2.frames
    [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || { echo "exit $status: $stderr"; false; }
    [ "$(index_ids ix.idx | LC_ALL=C sort | uniq -d)" = "" ]
    [ "$(index_ids ix.idx | LC_ALL=C sort)" = "$(medcap-frame-info "$F" | cut -f1 | LC_ALL=C sort)" ] ||
        { echo "killed after ${ms} ms"; index_ids ix.idx; false; }
    run -0 ls -A
    [[ "$output" != *".tmp."* ]] || { echo "killed after ${ms} ms; left: $output"; false; }
}
