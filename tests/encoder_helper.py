#!/usr/bin/python3
"""encoder_helper.py - test helper for medcap-encode-features (standard
library only): writes image frames and cnn-small weight files, and compares
feature frames.

  encoder_helper.py images N C H W [--dtype u8|u16|f32] [--seed S] [--ndim D] [--no-id]
      N image frames (layout of model/io/frame.h) to stdout, records
      {"id": "imgNNN", "caption": "test image N"}; --ndim 1 writes a
      flattened (bad) frame, --no-id a record without "id"
  encoder_helper.py weights IN_CH OUT [--prefix P] [--caption-model] [--bad-shape] [--seed S]
      cnn-small weights as .safetensors (F32); --caption-model adds the
      medcap-caption-model metadata (use with --prefix encoder.)
  encoder_helper.py compare A B TOL
      exit 0 if both files hold the same frames (records equal, tensors
      within TOL relative error), else print the first difference and exit 1
"""
import json
import random
import struct
import sys
import zlib

MAGIC = b"\x89MCFRAME"
DTYPES = {"u8": (1, "B", 1), "u16": (2, "H", 2), "f32": (3, "f", 4)}


def pad(n):
    return b"\0" * ((64 - n % 64) % 64)


def frame(meta, values, dims, dtype):
    code, fmt, _ = DTYPES[dtype]
    m = json.dumps(meta, separators=(",", ":")).encode()
    data = struct.pack("<%d%s" % (len(values), fmt), *values)
    d = list(dims) + [0] * (4 - len(dims))
    head = MAGIC + struct.pack("<HBBI4IIIQII", 1, code, len(dims), 0, *d, len(m), 0, len(data),
                               zlib.crc32(m), zlib.crc32(data))
    head += struct.pack("<I", 0)
    head += struct.pack("<I", zlib.crc32(head))
    return head + m + pad(len(m)) + data + pad(len(data))


def read_frames(path):
    out = []
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0
    while pos < len(buf):
        code, ndim = buf[pos + 10], buf[pos + 11]
        dims = struct.unpack("<4I", buf[pos + 16:pos + 32])[:ndim]
        mlen, = struct.unpack("<I", buf[pos + 32:pos + 36])
        plen, = struct.unpack("<Q", buf[pos + 40:pos + 48])
        pos += 64
        meta = json.loads(buf[pos:pos + mlen])
        pos += mlen + len(pad(mlen))
        fmt = {1: "B", 2: "H", 3: "f"}[code]
        size = {1: 1, 2: 2, 3: 4}[code]
        vals = struct.unpack("<%d%s" % (plen // size, fmt), buf[pos:pos + plen])
        pos += plen + len(pad(plen))
        out.append((meta, dims, vals))
    return out


def images(args):
    n, c, h, w = (int(a) for a in args[:4])
    opts = dict(zip(args[4::2], args[5::2]))
    no_id = "--no-id" in args
    if no_id:
        opts = dict(zip([a for a in args[4:] if a != "--no-id"][::2],
                        [a for a in args[4:] if a != "--no-id"][1::2]))
    dtype = opts.get("--dtype", "u8")
    rng = random.Random(int(opts.get("--seed", "1")))
    top = {"u8": 255, "u16": 65535, "f32": 1.0}[dtype]
    for i in range(n):
        vals = []
        for k in range(c * h * w):
            y, x = (k // w) % h, k % w
            v = (0.5 + 0.4 * ((x * (i + 1) + y * 3) % 17) / 17.0 - 0.2 * rng.random())
            vals.append(round(v * top) if dtype != "f32" else v)
        meta = {"caption": "test image %d" % i}
        if not no_id:
            meta = {"id": "img%03d" % i, "caption": "test image %d" % i}
        dims = [c, h, w]
        if opts.get("--ndim") == "1":
            dims = [c * h * w]
        sys.stdout.buffer.write(frame(meta, vals, dims, dtype))


def weights(args):
    in_ch, out = int(args[0]), args[1]
    opts = dict(zip(args[2::2], args[3::2]))
    flags = set(a for a in args[2:] if a in ("--caption-model", "--bad-shape"))
    prefix = opts.get("--prefix", "")
    rng = random.Random(int(opts.get("--seed", "7")))
    tensors = []
    ci = in_ch
    for i, co in enumerate([32, 64, 128, 256, 256]):
        shape = [co, ci + (1 if (i == 2 and "--bad-shape" in flags) else 0), 3, 3]
        n = shape[0] * shape[1] * 9
        sd = (2.0 / (co * 9)) ** 0.5
        tensors.append(("stages.%d.conv.weight" % i, shape, [rng.gauss(0, sd) for _ in range(n)]))
        tensors.append(("stages.%d.bn.weight" % i, [co], [1.0 + 0.1 * rng.random() for _ in range(co)]))
        tensors.append(("stages.%d.bn.bias" % i, [co], [0.1 * rng.random() for _ in range(co)]))
        tensors.append(("stages.%d.bn.running_mean" % i, [co], [0.1 * rng.random() for _ in range(co)]))
        tensors.append(("stages.%d.bn.running_var" % i, [co], [1.0 + rng.random() for _ in range(co)]))
        ci = co
    meta = {"arch": "cnn-small"}
    if "--caption-model" in flags:
        meta = {"format": "medcap-caption-model", "encoder_arch": "cnn-small"}
    header, data, pos = {"__metadata__": meta}, b"", 0
    for name, shape, vals in tensors:
        blob = struct.pack("<%df" % len(vals), *vals)
        header[prefix + name] = {"dtype": "F32", "shape": shape, "data_offsets": [pos, pos + len(blob)]}
        data += blob
        pos += len(blob)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def compare(args):
    a, b, tol = read_frames(args[0]), read_frames(args[1]), float(args[2])
    if len(a) != len(b):
        print("frame counts differ: %d and %d" % (len(a), len(b)))
        return 1
    for i, ((ma, da, va), (mb, db, vb)) in enumerate(zip(a, b)):
        if ma != mb or da != db:
            print("frame %d: records or shapes differ" % (i + 1))
            return 1
        scale = max(max(abs(v) for v in va), 1e-6)
        worst = max(abs(x - y) for x, y in zip(va, vb)) / scale
        if worst > tol:
            print("frame %d: relative difference %.3g > %g" % (i + 1, worst, tol))
            return 1
    return 0


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "images":
        images(rest)
    elif cmd == "weights":
        weights(rest)
    elif cmd == "compare":
        sys.exit(compare(rest))
    else:
        sys.exit("unknown command " + cmd)
