#!/usr/bin/env bats
# medcap-frame-to-npy, and the golden test of the frame format: a frame
# written by medcap read back in Python with struct and numpy.frombuffer.
load common

setup() {
    cd "$BATS_TEST_TMPDIR"
    # a 4x4 grey image with values 0, 10, ..., 150 and a 2x2 one
    { printf 'P5\n4 4\n255\n'; for v in $(seq 0 10 150); do printf "\\$(printf %o "$v")"; done; } >ramp.pgm
    { printf 'P5\n2 2\n255\n'; printf '\001\002\003\004'; } >small.pgm
    printf '%s\n' '{"id":"ramp","image":"ramp.pgm","caption":"a ramp"}' \
        '{"id":"small","image":"small.pgm"}' >records.jsonl
    medcap-img-resize --size 4 --fit stretch records.jsonl >two.frames
}

# The first python3 on PATH or in /usr/bin that has numpy, or nothing.
numpy_python() {
    for py in python3 /usr/bin/python3; do
        if "$py" -c 'import numpy' 2>/dev/null; then
            echo "$py"
            return
        fi
    done
}

@test "frame-to-npy: CLI contract" {
    check_cli_contract medcap-frame-to-npy
}

@test "frame-to-npy: writes the first frame as .npy on standard output" {
    medcap-frame-to-npy two.frames >ramp.npy
    [ "$(stat -c %s ramp.npy)" -eq $((128 + 16)) ]
    run -0 bash -c 'head -c 128 ramp.npy | tail -c 118'
    assert_output --partial "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 4, 4), }"
    run -0 bash -c 'tail -c 16 ramp.npy | od -An -tu1 | xargs'
    assert_output "0 10 20 30 40 50 60 70 80 90 100 110 120 130 140 150"
}

@test "frame-to-npy: --nth and --id pick a frame" {
    medcap-frame-to-npy --nth 2 two.frames >by-index.npy
    medcap-frame-to-npy --id small <two.frames >by-id.npy
    cmp by-index.npy by-id.npy
    run -0 bash -c 'tail -c 16 by-id.npy | od -An -tu1 | xargs'
    assert_output "1 1 2 2 2 2 2 3 3 3 3 4 3 3 4 4" # bilinear, rounded
}

@test "frame-to-npy: --output writes the file atomically" {
    run -0 medcap-frame-to-npy -o out.npy --id ramp two.frames
    assert_output ""
    medcap-frame-to-npy two.frames | cmp - out.npy
    [ -z "$(ls | grep tmp)" ]
}

@test "frame-to-npy: --dir writes every frame as ID.npy" {
    mkdir npys
    run -0 medcap-frame-to-npy --dir npys two.frames
    [ -f npys/ramp.npy ]
    [ -f npys/small.npy ]
    medcap-frame-to-npy --id small two.frames | cmp - npys/small.npy
}

@test "frame-to-npy: f32 frames become '<f4' arrays" {
    medcap-img-resize --size 4 --float records.jsonl | medcap-frame-to-npy -o f.npy
    run -0 bash -c 'head -c 128 f.npy'
    assert_output --partial "'descr': '<f4'"
}

@test "frame-to-npy: no such frame, exit 1" {
    run -1 --separate-stderr medcap-frame-to-npy --nth 3 two.frames
    assert_output ""
    [[ "$stderr" == *"two.frames: no frame 3: the input has 2"* ]]
    run -1 --separate-stderr medcap-frame-to-npy --id nope two.frames
    assert_output ""
    [[ "$stderr" == *"two.frames: no frame has id 'nope'"* ]]
}

@test "frame-to-npy: a truncated or damaged frame, exit 1" {
    head -c 100 two.frames >cut.frames
    run -1 --separate-stderr medcap-frame-to-npy cut.frames
    assert_output ""
    [[ "$stderr" == *"cut.frames: frame 1: truncated frame: metadata ends after"* ]]
    cp two.frames bad.frames
    printf 'X' | dd of=bad.frames bs=1 seek=2 conv=notrunc 2>/dev/null
    run -1 --separate-stderr medcap-frame-to-npy bad.frames
    assert_output ""
    [[ "$stderr" == *"frame 1: not a medcap frame (bad magic)"* ]]
    size=$(stat -c %s two.frames)
    cp two.frames crc.frames
    printf '\377' | dd of=crc.frames bs=1 seek=$((size - 64)) conv=notrunc 2>/dev/null
    run -1 --separate-stderr medcap-frame-to-npy --nth 2 crc.frames
    assert_output ""
    [[ "$stderr" == *"frame 2: frame payload CRC mismatch"* ]]
}

@test "frame-to-npy: --dir refuses an id that is not a file name, exit 1" {
    mkdir npys
    echo '{"id":"../up","image":"small.pgm"}' | medcap-img-resize --size 2 >up.frames
    run -1 --separate-stderr medcap-frame-to-npy --dir npys up.frames
    [[ "$stderr" == *"id '../up' cannot be a file name"* ]]
    [ ! -e up.npy ]
}

@test "frame-to-npy: usage errors, exit 2" {
    for args in "--nth 0" "--nth 1 --id a" "--dir d --id a" "--dir d -o x" "a b"; do
        run -2 --separate-stderr medcap-frame-to-npy $args
        assert_output ""
        [[ "$stderr" == *"Try 'medcap-frame-to-npy --help'"* ]]
    done
}

@test "frame-to-npy: a missing file (exit 3), an unwritable output (exit 3)" {
    run -3 --separate-stderr medcap-frame-to-npy no-such.frames
    [[ "$stderr" == *"no-such.frames: cannot open"* ]]
    run -3 --separate-stderr medcap-frame-to-npy -o no-dir/x.npy two.frames
    [[ "$stderr" == *"cannot create"* ]]
}

@test "frame golden test: Python reads a medcap frame with struct and numpy.frombuffer" {
    py=$(numpy_python)
    [ -n "$py" ] || skip "no python3 with numpy"
    sed -n 2p records.jsonl | medcap-img-resize --size 2 --float --mean 0.5 --std 0.25 >f32.frames
    medcap-frame-to-npy --id small -o small.npy f32.frames
    run -0 "$py" - two.frames f32.frames small.npy <<'EOF'
import json, struct, sys, zlib
import numpy as np

def frames(path):
    """Yield (record, array) for each frame of a medcap frame file."""
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        h = data[pos:pos + 64]
        magic, version, dtype, ndim = struct.unpack_from("<8sHBB", h, 0)
        dims = struct.unpack_from("<4I", h, 16)
        meta_len, = struct.unpack_from("<I", h, 32)
        payload_len, crc_meta, crc_payload = struct.unpack_from("<QII", h, 40)
        crc_header, = struct.unpack_from("<I", h, 60)
        assert magic == b"\x89MCFRAME" and version == 1, (magic, version)
        assert crc_header == zlib.crc32(h[:60])
        meta = data[pos + 64:pos + 64 + meta_len]
        assert crc_meta == zlib.crc32(meta)
        start = pos + 64 + (meta_len + 63) // 64 * 64
        payload = data[start:start + payload_len]
        assert crc_payload == zlib.crc32(payload)
        assert start % 64 == 0
        kind = {1: "<u1", 2: "<u2", 3: "<f4"}[dtype]
        arr = np.frombuffer(payload, dtype=kind).reshape(dims[:ndim])
        yield json.loads(meta), arr
        pos = start + (payload_len + 63) // 64 * 64

u8 = list(frames(sys.argv[1]))
assert [r["id"] for r, _ in u8] == ["ramp", "small"]
assert u8[0][0]["caption"] == "a ramp" and u8[0][0]["width"] == 4
ramp = np.arange(0, 160, 10, dtype=np.uint8).reshape(1, 4, 4)
assert u8[0][1].shape == (1, 4, 4) and (u8[0][1] == ramp).all(), u8[0][1]
small = np.array([[1, 2], [3, 4]], dtype=np.uint8)

f32 = list(frames(sys.argv[2]))
want = (small.astype(np.float32) / 255 - 0.5) / 0.25
assert f32[0][0]["id"] == "small" and f32[0][1].dtype == np.float32
assert np.allclose(f32[0][1][0], want, atol=1e-6), f32[0][1]
npy = np.load(sys.argv[3])
assert npy.shape == f32[0][1].shape and (npy == f32[0][1]).all(), npy
print("golden ok")
EOF
    assert_output "golden ok"
}

@test "frame-to-npy: a frame of zero elements is an empty array (no copy from NULL; UBSan)" {
    cd "$BATS_TEST_TMPDIR"
    python3 - > zero.frames <<'PY'
import json, struct, sys, zlib
m = b'{"id":"z"}'
pad = lambda n: b"\0" * ((64 - n % 64) % 64)
h = b"\x89MCFRAME" + struct.pack("<HBBI4III", 1, 3, 2, 0, 0, 3, 0, 0, len(m), 0)
h += struct.pack("<QIII", 0, zlib.crc32(m), zlib.crc32(b""), 0)
h += struct.pack("<I", zlib.crc32(h))
sys.stdout.buffer.write(h + m + pad(64 + len(m)))
PY
    medcap-frame-to-npy zero.frames > z.npy
    [ "$(stat -c %s z.npy)" -eq 128 ]
    grep -q "'shape': (0, 3)" z.npy
    mkdir d
    run -0 medcap-frame-to-npy -d d zero.frames
    cmp z.npy d/z.npy
}

# --npz: the whole stream as one .npz archive

@test "frame-to-npy --npz: np.load reads every array as --dir writes it, and the records" {
    py=$(numpy_python)
    [ -n "$py" ] || skip "no python3 with numpy"
    E="$ROOT/examples/images"
    medcap-img-resize --root "$E" --size 32 "$E/records.ndjson" >u8.frames
    medcap-img-resize --root "$E" --size 16 --float "$E/records.ndjson" >f32.frames
    for s in u8 f32 two; do
        mkdir "$s.d"
        medcap-frame-to-npy --dir "$s.d" "$s.frames"
        run -0 medcap-frame-to-npy --npz "$s.npz" "$s.frames"
        assert_output ""
        medcap-frame-info --meta "$s.frames" | cut -f6 >"$s.records"
    done
    [ -z "$(ls | grep tmp)" ]
    run -0 "$py" - <<'PY'
import json, os, zipfile
import numpy as np
for s, n in [("u8", 9), ("f32", 9), ("two", 2)]:
    assert zipfile.ZipFile(s + ".npz").testzip() is None
    z = np.load(s + ".npz", allow_pickle=False)
    assert z.files[-1] == "records" and len(z.files) == n + 1, z.files
    records = json.loads(z["records"].tobytes())
    assert records == [json.loads(line) for line in open(s + ".records")], s
    assert sorted(z.files[:-1]) == sorted(f[:-4] for f in os.listdir(s + ".d"))
    for key, rec in zip(z.files, records):
        assert key == rec["id"]
        want = np.load("%s.d/%s.npy" % (s, key), allow_pickle=False)
        got = z[key]
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), key
print("same")
PY
    assert_output "same"
    # the members are the same .npy bytes, stored (zipfile: unzip may be missing)
    run -0 "$py" -c '
import os, zipfile
z = zipfile.ZipFile("u8.npz")
assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
for i in z.infolist()[:-1]:
    assert z.read(i) == open("u8.d/" + i.filename, "rb").read(), i.filename
print(len(z.infolist()))'
    assert_output "10"
    # the same frames give the same bytes
    medcap-frame-to-npy --npz again.npz <u8.frames
    cmp u8.npz again.npz
}

@test "frame-to-npy --npz: member names (sanitised, made unique, 'records' kept for the records)" {
    py=$(numpy_python)
    [ -n "$py" ] || skip "no python3 with numpy"
    PYTHONPATH="$ROOT/python" "$py" -c '
import sys, numpy as np, medcap_frames as mf
for i in ["a", "a", "../x y/\u00e9", "records", "a", "a~2", "L" * 250]:
    mf.write_frame(sys.stdout.buffer, {"id": i}, np.zeros((2, 2), np.uint8))
' >names.frames
    medcap-frame-to-npy --npz names.npz names.frames
    run -0 "$py" -c '
import json, numpy as np
z = np.load("names.npz", allow_pickle=False)
print(" ".join(k if len(k) < 200 else "L*%d" % len(k) for k in z.files))
print(" ".join(r["id"][:9] for r in json.loads(z["records"].tobytes())))'
    assert_line --index 0 "a a~2 .._x_y___ records~2 a~3 a_2 L*200 records"
    assert_line --index 1 "a a ../x y/é records a a~2 LLLLLLLLL"
}

@test "frame-to-npy: an empty stream is exit 0 with nothing written (--npz, -o, standard output)" {
    run -0 --separate-stderr medcap-frame-to-npy --npz empty.npz </dev/null
    [ ! -e empty.npz ]
    run -0 --separate-stderr medcap-frame-to-npy -o empty.npy </dev/null
    [ ! -e empty.npy ]
    run -0 --separate-stderr medcap-frame-to-npy </dev/null
    assert_output ""
}

@test "frame-to-npy: -n, --index and -i are deprecated spellings of --nth and --id, with a warning" {
    medcap-frame-to-npy --nth 2 two.frames > nth.npy
    run -0 --separate-stderr bash -c 'medcap-frame-to-npy -n 2 two.frames > n.npy'
    [[ "$stderr" == *"warning: -n is deprecated and goes in the next release; use --nth N"* ]]
    cmp nth.npy n.npy
    run -0 --separate-stderr bash -c 'medcap-frame-to-npy --index 2 two.frames > i.npy'
    [[ "$stderr" == *"warning: --index N is deprecated"* ]]
    cmp nth.npy i.npy
    run -0 --separate-stderr bash -c 'medcap-frame-to-npy -q -i small two.frames > id.npy'
    [ -z "$stderr" ]
}

@test "frame-to-npy --npz: more than 65535 members (ZIP64 end records)" {
    py=$(numpy_python)
    [ -n "$py" ] || skip "no python3 with numpy"
    PYTHONPATH="$ROOT/python" "$py" -c '
import sys, numpy as np, medcap_frames as mf
out = sys.stdout.buffer
for i in range(70000):
    mf.write_frame(out, {"id": "f%d" % i}, np.array([i], np.uint32).view(np.uint16))
' >many.frames
    medcap-frame-to-npy --npz many.npz many.frames
    run -0 "$py" -c 'import zipfile; print(zipfile.ZipFile("many.npz").testzip())'
    assert_output "None"
    run -0 "$py" -c '
import json, numpy as np
z = np.load("many.npz", allow_pickle=False)
r = json.loads(z["records"].tobytes())
print(len(z.files), len(r), r[-1]["id"], z["f69999"].view(np.uint32)[0])'
    assert_output "70001 70000 f69999 69999"
}

@test "frame-to-npy --npz: a bad frame mid-stream leaves no archive, exit 1 naming the frame" {
    medcap-frame-to-npy --npz old.npz two.frames
    cp old.npz keep.npz
    head -c $(($(stat -c %s two.frames) - 100)) two.frames >cut.frames
    run -1 --separate-stderr medcap-frame-to-npy --npz out.npz cut.frames
    assert_output ""
    [[ "$stderr" == *"cut.frames: frame 2: truncated frame: "* ]]
    [ ! -e out.npz ]
    [ -z "$(ls | grep tmp)" ]
    # an archive that was there stays as it was
    run -1 medcap-frame-to-npy --npz old.npz cut.frames
    cmp old.npz keep.npz
    [ -z "$(ls | grep tmp)" ]
    # a record with no id, or that is not one JSON object
    for meta in '{"image":"small.pgm"}' '{"id":"a"} x' '{"id":"a\xff"}'; do
        /usr/bin/python3 - "$meta" >bad.frames <<'PY'
import struct, sys, zlib
m = sys.argv[1].encode().replace(b"\\xff", b"\xff")
h = b"\x89MCFRAME" + struct.pack("<HBBI4III", 1, 1, 1, 0, 1, 0, 0, 0, len(m), 0)
h += struct.pack("<QIII", 1, zlib.crc32(m), zlib.crc32(b"\0"), 0)
h += struct.pack("<I", zlib.crc32(h))
sys.stdout.buffer.write(h + m + b"\0" * ((64 - len(m) % 64) % 64) + b"\0" * 64)
PY
        cat two.frames bad.frames >mixed.frames
        run -1 --separate-stderr medcap-frame-to-npy --npz out.npz mixed.frames
        [[ "$stderr" == *"mixed.frames: frame 3: metadata is not "* ]]
        [ ! -e out.npz ]
    done
    [[ "$stderr" == *"mixed.frames: frame 3: metadata is not UTF-8 text"* ]]
}

@test "frame-to-npy --npz: usage errors (exit 2), an unwritable archive (exit 3)" {
    for args in "--npz x.npz -o y.npy" "--npz x.npz -d d" "--npz x.npz --dir d" "--npz x.npz --nth 2" \
        "--npz x.npz --id a"; do
        run -2 --separate-stderr medcap-frame-to-npy $args two.frames
        assert_output ""
        [[ "$stderr" == *"Try 'medcap-frame-to-npy --help'"* ]]
    done
    run -2 --separate-stderr medcap-frame-to-npy --npz
    [[ "$stderr" == *"needs a value"* ]]
    [ ! -e x.npz ]
    run -2 --separate-stderr medcap-frame-to-npy --npz x.npz -o y.npy two.frames
    [[ "$stderr" == *"--npz writes every frame; it cannot be combined with"* ]]
    run -3 --separate-stderr medcap-frame-to-npy --npz no-dir/x.npz two.frames
    [[ "$stderr" == *"cannot create"* ]]
    run -3 --separate-stderr medcap-frame-to-npy --npz /dev/full two.frames
    [[ "$stderr" == *"/dev/full"* ]]
}

@test "frame-to-npy --npz: a 4 GiB member past 4 GiB of archive (ZIP64 sizes and offsets; MEDCAP_BIG_TESTS=1, 9 GB of disk)" {
    [ "${MEDCAP_BIG_TESTS:-0}" = 1 ] || skip "set MEDCAP_BIG_TESTS=1 (writes 9 GB, needs 8 GB of memory)"
    py=$(numpy_python)
    [ -n "$py" ] || skip "no python3 with numpy"
    PYTHONPATH="$ROOT/python" "$py" -c '
import numpy as np, medcap_frames as mf
a = np.zeros((65536, 65536), np.uint8); a[0, :3] = [1, 2, 3]; a[-1, -1] = 9
with open("big.frames", "wb") as f:
    mf.write_frame(f, {"id": "first"}, np.arange(5, dtype=np.float32))
    mf.write_frame(f, {"id": "big"}, a)
    mf.write_frame(f, {"id": "last"}, np.arange(5, dtype=np.float32))'
    medcap-frame-to-npy --npz big.npz big.frames
    rm big.frames
    run -0 "$py" -c '
import json, zipfile, numpy as np
assert zipfile.ZipFile("big.npz").testzip() is None
z = np.load("big.npz", allow_pickle=False)
b = z["big"]
print(z.files, [r["id"] for r in json.loads(z["records"].tobytes())], z["last"].tolist(),
      b.shape, b[0, :4].tolist(), b[-1, -1], int(b.sum(dtype=np.uint64)))'
    assert_output "['first', 'big', 'last', 'records'] ['first', 'big', 'last'] [0.0, 1.0, 2.0, 3.0, 4.0] (65536, 65536) [1, 2, 3, 0] 9 15"
}
