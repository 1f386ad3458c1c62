#!/usr/bin/env bats
# python/medcap_frames.py, the NumPy reader and writer of frame streams,
# checked against the C writer (img-resize, encode-features) and the C
# readers (frame-info, frame-to-npy).
load common

PY=/usr/bin/python3 # python3 on PATH may be a shim without numpy
export PYTHONPATH="$ROOT/python"

# The C-written streams, made once: U8 and F32 image frames of the example
# images, grid and pooled feature frames of the shipped model.
setup_file() {
    local W="$BATS_FILE_TMPDIR" E="$ROOT/examples/images"
    medcap-img-resize --root "$E" --size 96 "$E/records.ndjson" > "$W/u8.frames"
    medcap-img-resize --float --size 64 --root "$E" "$E/records.ndjson" > "$W/f32.frames"
    head -3 "$E/records.ndjson" | medcap-img-resize --root "$E" --size 128 \
        | medcap-encode-features --model "$MEDCAP_SHARE/model.safetensors" > "$W/grid.frames"
    head -3 "$E/records.ndjson" | medcap-img-resize --root "$E" --size 128 \
        | medcap-encode-features --model "$MEDCAP_SHARE/model.safetensors" -o pooled --layout 4 > "$W/pooled.frames"
}

setup() {
    "$PY" -c 'import numpy' 2>/dev/null || skip "no /usr/bin/python3 with numpy"
    cd "$BATS_TEST_TMPDIR"
    cp "$BATS_FILE_TMPDIR"/*.frames .
}

@test "python reader: arrays equal frame-to-npy's .npy files, records equal frame-info's" {
    for s in u8 f32 grid pooled; do
        mkdir "$s.npy"
        medcap-frame-to-npy --dir "$s.npy" "$s.frames"
        medcap-frame-info --meta "$s.frames" | cut -f6 > "$s.records"
    done
    run -0 "$PY" - <<'EOF'
import json, numpy as np, medcap_frames as mf
want = {"u8": ("uint8", (1, 96, 96), 9), "f32": ("float32", (1, 64, 64), 9),
        "grid": ("float32", None, 3), "pooled": ("float32", None, 3)}  # shapes: the model's
for s, (dtype, shape, count) in want.items():
    records = [json.loads(line) for line in open(s + ".records")]
    frames = list(mf.read_frames(s + ".frames"))
    assert len(frames) == len(records) == count, (s, len(frames))
    for (rec, arr), r in zip(frames, records):
        assert rec == r, (s, rec, r)
        npy = np.load("%s.npy/%s.npy" % (s, rec["id"]), allow_pickle=False)
        assert arr.dtype == npy.dtype == np.dtype(dtype) and arr.shape == npy.shape, (s, arr.shape)
        assert arr.shape == shape or shape is None and arr.ndim == (2 if s == "grid" else 1), (s, arr.shape)
        assert np.array_equal(arr, npy), (s, rec["id"])
    assert frames[0][0]["id"] == "19abe1f3"
print("ok")
EOF
    assert_output "ok"
}

@test "python reader: the program's lines are medcap-frame-info's" {
    for s in u8 f32 grid pooled; do
        medcap-frame-info "$s.frames" > c.txt
        "$PY" "$ROOT/python/medcap_frames.py" "$s.frames" > py.txt
        diff c.txt py.txt
    done
    cat u8.frames grid.frames | "$PY" -m medcap_frames > py.txt
    cat u8.frames grid.frames | medcap-frame-info | diff - py.txt
    "$PY" -m medcap_frames f32.frames - pooled.frames < u8.frames > py.txt
    medcap-frame-info f32.frames - pooled.frames < u8.frames | diff - py.txt
    run -0 "$PY" -m medcap_frames --help
    assert_output --partial "Usage:"
    run -2 "$PY" -m medcap_frames --nope
    run -3 "$PY" -m medcap_frames no-such.frames
}

@test "python reader: a path, standard input, a file object (gzip.open), raw record text" {
    gzip -k u8.frames
    run -0 "$PY" - <<'EOF'
import gzip, io, sys, numpy as np, medcap_frames as mf
a = list(mf.read_frames("u8.frames"))
b = list(mf.read_frames(gzip.open("u8.frames.gz")))
with open("u8.frames", "rb") as f:
    c = list(mf.read_frames(f))
assert [r for r, _ in a] == [r for r, _ in b] == [r for r, _ in c]
assert all(np.array_equal(x[1], y[1]) and np.array_equal(x[1], z[1]) for x, y, z in zip(a, b, c))
raw = [m for m, _ in mf.read_frames("u8.frames", raw=True)]
assert all(isinstance(m, bytes) for m in raw) and raw[0].startswith(b'{"id":"19abe1f3"')
a[0][1][0, 0, 0] = 1  # the arrays are writable
print(len(a))
EOF
    assert_output "9"
    run -0 "$PY" -c 'import medcap_frames as mf; print(sum(1 for _ in mf.read_frames()))' < grid.frames
    assert_output "3"
    run -0 "$PY" -c 'import medcap_frames as mf; print(sum(1 for _ in mf.read_frames("-")))' </dev/null
    assert_output "0"
}

@test "python writer: the C stages' streams written back are byte-identical" {
    run -0 "$PY" - <<'EOF'
import medcap_frames as mf
for s in ["u8", "f32", "grid", "pooled"]:
    with open(s + ".py.frames", "wb") as f:
        for rec, arr in mf.read_frames(s + ".frames"):
            mf.write_frame(f, rec, arr)  # the record as a dict
    with open(s + ".raw.frames", "wb") as f:
        for text, arr in mf.read_frames(s + ".frames", raw=True):
            mf.write_frame(f, text, arr)  # the record as its text
print("written")
EOF
    assert_output "written"
    for s in u8 f32 grid pooled; do
        cmp "$s.frames" "$s.py.frames"
        cmp "$s.frames" "$s.raw.frames"
    done
}

@test "python writer: frames made in Python are read by medcap-frame-info, frame-to-npy and encode-features" {
    run -0 "$PY" - <<'EOF'
import numpy as np, medcap_frames as mf
rng = np.random.default_rng(1)
frames = [
    ({"id": "u8", "caption": "caf\u00e9 \"quoted\"\n", "n": 3, "x": 0.1, "big": 1e15, "no": None,
      "tags": ["a", True, False, 2.5e-7]}, rng.integers(0, 256, (1, 5, 7), dtype=np.uint8)),
    ({"id": "u16"}, rng.integers(0, 65536, (2, 3), dtype=np.uint16).astype(">u2")),
    ({"id": "f32"}, rng.standard_normal((2, 3, 4, 5)).astype(np.float32)),
    ({"id": "scalar"}, np.float32(2.5)),
    ({"id": "empty"}, np.zeros((0, 3), np.uint8)),
    ('{"id":"text", "spaced": 1}', np.arange(4, dtype=np.uint16)[::2]),
]
with open("py.frames", "wb") as f:
    for rec, arr in frames:
        mf.write_frame(f, rec, arr)
for (rec, arr), (back, got) in zip(frames, mf.read_frames("py.frames")):
    want = np.asarray(arr)
    assert got.dtype == want.dtype.newbyteorder("<") and got.shape == want.shape, back
    assert np.array_equal(got, want), back
print("ok")
EOF
    assert_output "ok"
    run -0 medcap-frame-info py.frames
    assert_output "$(printf '%s\n' 'u8	u8	1x5x7	35	ok' 'u16	u16	2x3	12	ok' 'f32	f32	2x3x4x5	480	ok' \
        'scalar	f32	scalar	4	ok' 'empty	u8	0x3	0	ok' 'text	u16	2	4	ok')"
    run -0 medcap-frame-info --meta py.frames
    assert_line --index 0 --partial $'\t{"id":"u8","caption":"caf\xc3\xa9 \\"quoted\\"\\n","n":3,"x":0.1,"big":1e+15,"no":null,"tags":["a",true,false,2.5e-07]}'
    assert_line --index 5 --partial $'\t{"id":"text", "spaced": 1}'
    mkdir npy
    medcap-frame-to-npy --dir npy py.frames
    run -0 "$PY" -c '
import numpy as np, medcap_frames as mf
for rec, arr in mf.read_frames("py.frames"):
    npy = np.load("npy/%s.npy" % rec["id"], allow_pickle=False)
    assert npy.dtype == arr.dtype and npy.shape == arr.shape and np.array_equal(npy, arr), rec
print("same")'
    assert_output "same"
    # images made in Python go through the pipeline like img-resize's
    "$PY" -c '
import numpy as np, medcap_frames as mf, sys
for i in range(2):
    mf.write_frame(sys.stdout.buffer, {"id": "img%d" % i}, np.full((1, 128, 128), 40 * i, np.uint8))
' | medcap-encode-features --model "$MEDCAP_SHARE/model.safetensors" -o pooled > feat.frames
    run -0 medcap-frame-info feat.frames
    assert_line --index 1 --regexp $'^img1\tf32\t256\t1024\tok$'
}

@test "python writer: what medcap's readers refuse is a ValueError, nothing written" {
    run -0 "$PY" - <<'EOF'
import io, numpy as np, medcap_frames as mf
cases = [({"id": "a"}, np.zeros(3), "dtype float64 cannot be a frame"),
         ({"id": "a"}, np.zeros((1,) * 5, np.uint8), "at most 4"),
         ({"name": "a"}, np.zeros(3, np.uint8), 'a string "id"'),
         ({"id": ""}, np.zeros(3, np.uint8), 'a string "id"'),
         ('{"id":"a"} x', np.zeros(3, np.uint8), 'a string "id"'),
         ({"id": "a", "pad": "x" * (16 << 20)}, np.zeros(3, np.uint8), "over the 16777216 cap")]
for rec, arr, words in cases:
    f = io.BytesIO()
    try:
        mf.write_frame(f, rec, arr)
        raise SystemExit("no error for %r" % (words,))
    except ValueError as e:
        assert words in str(e), (words, str(e))
    assert f.getvalue() == b""
print("refused")
EOF
    assert_output "refused"
}

# py_error FILE: the reader's error for FILE ("-" if none)
py_error() {
    "$PY" -c '
import sys, medcap_frames as mf
try:
    for _ in mf.read_frames(sys.argv[1]):
        pass
    print("-")
except mf.FrameError as e:
    assert isinstance(e, ValueError) and e.frame > 0
    print(e)
' "$1"
}

@test "python reader: bad input raises naming the frame, in frame-to-npy's words" {
    # where frames 2 and 3 start, and the length of frame 2's record
    read -r f2 f3 meta2 < <("$PY" -c '
import medcap_frames as mf
f = open("u8.frames", "rb"); starts, lens = [], []
for text, _ in mf.read_frames(f, raw=True):
    starts.append(f.tell()); lens.append(len(text))
print(starts[0], starts[1], lens[1])')
    head -c $((f2 + 40)) u8.frames > cut-header.frames
    head -c $((f2 + 100)) u8.frames > cut-meta.frames
    head -c $((f2 + 64 + meta2 + 1)) u8.frames > cut-padding.frames
    head -c $((f3 - 1000)) u8.frames > cut-payload.frames
    cp u8.frames magic.frames
    printf 'X' | dd of=magic.frames bs=1 seek=$((f3 + 3)) conv=notrunc 2>/dev/null
    cp u8.frames crc-payload.frames
    printf '\377' | dd of=crc-payload.frames bs=1 seek=$((f3 - 4000)) conv=notrunc 2>/dev/null
    cp u8.frames crc-meta.frames
    printf '!' | dd of=crc-meta.frames bs=1 seek=$((f2 + 70)) conv=notrunc 2>/dev/null
    cp u8.frames crc-header.frames
    printf '\001' | dd of=crc-header.frames bs=1 seek=$((f2 + 13)) conv=notrunc 2>/dev/null
    head -c 100 "$ROOT/examples/images/records.ndjson" > text.frames
    [ $(((64 + meta2) % 64)) -ne 0 ] # (cut-padding ends in the padding)
    for f in cut-header cut-meta cut-payload cut-padding magic crc-payload crc-meta crc-header; do
        run -1 --separate-stderr medcap-frame-to-npy --dir . "$f.frames"
        c="${stderr#medcap-frame-to-npy: }"
        run -0 py_error "$f.frames"
        [ "$output" = "$c" ] || { echo "$f: C '$c', Python '$output'"; false; }
    done
    run -0 py_error cut-payload.frames
    assert_output --regexp '^cut-payload.frames: frame 2: truncated frame: payload ends after [0-9]+ of 9216 bytes$'
    run -0 py_error magic.frames
    assert_output "magic.frames: frame 3: not a medcap frame (bad magic)"
    run -0 py_error crc-payload.frames
    assert_output "crc-payload.frames: frame 2: frame payload CRC mismatch"
    run -0 py_error crc-meta.frames
    assert_output "crc-meta.frames: frame 2: frame metadata CRC mismatch"
    run -0 py_error crc-header.frames
    assert_output "crc-header.frames: frame 2: frame header CRC mismatch"
    run -0 py_error text.frames
    assert_output "text.frames: frame 1: input is NDJSON records, not frames"
    # the program goes on past a CRC mismatch as frame-info does, exit 1
    run -1 --separate-stderr "$PY" -m medcap_frames crc-payload.frames
    assert_line --index 1 --regexp $'\tcrc-mismatch$'
    [ "${#lines[@]}" -eq 9 ]
    [[ "$stderr" == *"crc-payload.frames: frame 2: CRC mismatch"* ]]
    run -1 --separate-stderr "$PY" -m medcap_frames cut-meta.frames
    [[ "$stderr" == *"cut-meta.frames: frame 2: truncated frame: metadata ends after"* ]]
}

@test "python reader: header fields checked as the C reader checks them" {
    run -0 "$PY" - <<'EOF'
import io, struct, zlib, numpy as np, medcap_frames as mf
f = io.BytesIO(); mf.write_frame(f, {"id": "a"}, np.zeros((2, 3), np.uint16)); good = f.getvalue()
def bad(offset, fmt, value):
    h = bytearray(good[:64]); struct.pack_into(fmt, h, offset, value)
    struct.pack_into("<I", h, 60, zlib.crc32(bytes(h[:60])))
    try:
        list(mf.read_frames(io.BytesIO(bytes(h) + good[64:])))
    except ValueError as e:
        return str(e)
print(bad(8, "<H", 2)); print(bad(10, "<B", 9)); print(bad(11, "<B", 5))
print(bad(24, "<I", 7)); print(bad(32, "<I", (16 << 20) + 1)); print(bad(40, "<Q", (1 << 32) + 1))
print(bad(40, "<Q", 10)); print(bad(16, "<I", 1 << 31) is not None)
EOF
    assert_output "$(printf '%s\n' '<stream>: frame 1: unsupported frame version 2' '<stream>: frame 1: unknown dtype 9' \
        '<stream>: frame 1: ndim 5 is over 4' '<stream>: frame 1: dimension 2 set beyond ndim 2' \
        '<stream>: frame 1: metadata of 16777217 bytes is over the 16777216 cap' \
        '<stream>: frame 1: payload of 4294967297 bytes is over the cap' \
        '<stream>: frame 1: payload of 10 bytes does not match shape and dtype' 'True')"
}

@test "python reader: an id that is a whole number is its decimal string, as the C readers take it" {
    run -0 "$PY" - <<'EOF2'
import numpy as np, medcap_frames as mf
ids = ['7', '7.0', '-0', '1e3', '9007199254740992', '"s"']
with open("ids.frames", "wb") as f:
    for i in ids:
        mf.write_frame(f, '{"id":%s,"k":1}' % i, np.zeros(1, np.uint8))
print(" ".join(r["id"] for r, _ in mf.read_frames("ids.frames")))
for bad in ['1.5', '9007199254740994', 'true', '""', 'null', '1e400']:
    try:
        mf.write_frame(open("bad.frames", "wb"), '{"id":%s}' % bad, np.zeros(1, np.uint8))
        raise SystemExit("no error for " + bad)
    except ValueError:
        pass
EOF2
    assert_output "7 7 0 1000 9007199254740992 s"
    medcap-frame-info ids.frames > c.txt
    "$PY" -m medcap_frames ids.frames | diff c.txt -
    mkdir d
    medcap-frame-to-npy --dir d ids.frames
    [ -f d/1000.npy ] && [ -f d/0.npy ]
}
