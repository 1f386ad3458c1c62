#!/usr/bin/python3
"""knn_frames.py - test helper for medcap-index and medcap-retrieve: writes
feature frames (layout of model/io/frame.h) and computes exact neighbours by
brute force in float64.

  knn_frames.py gen N DIM [--seed S] [--cases M] [--prefix P] [--grid G]
      N random frames of shape [DIM] (or [G,DIM]) to stdout; records
      {"id": P00000, "case_id": "case%03d" (i mod M), "caption": ...}
  knn_frames.py list JSON
      one frame per object of the JSON array: "vec" is the tensor (nested
      lists; its shape is the frame's), "dtype" optional ("f32" or "u8"),
      every other key goes into the record
  knn_frames.py npy FRAMES OUT.npy
      the pooled unit vectors (float32, one row per frame) as a .npy file,
      and their ids, one a line, in OUT.npy.ids
  knn_frames.py brute INDEXFRAMES QUERYFRAMES K [--exclude-same-case]
      for each query: "QID<TAB>ID1 ID2 ..." (cosine of mean-pooled vectors,
      ties by id)
"""
import json
import struct
import sys
import zlib

import numpy as np

MAGIC = b"\x89MCFRAME"
DTYPES = {"u8": (1, np.uint8), "f32": (3, np.float32)}


def pad(n):
    return b"\0" * ((64 - n % 64) % 64)


def frame(meta, arr, dtype="f32"):
    code, npt = DTYPES[dtype]
    arr = np.ascontiguousarray(arr, dtype=npt)
    m = json.dumps(meta, separators=(",", ":")).encode()
    data = arr.tobytes()
    dims = list(arr.shape) + [0] * (4 - arr.ndim)
    h = MAGIC + struct.pack("<HBBI4III", 1, code, arr.ndim, 0, *dims, len(m), 0)
    h += struct.pack("<QIII", len(data), zlib.crc32(m), zlib.crc32(data), 0)
    h += struct.pack("<I", zlib.crc32(h))
    return h + m + pad(64 + len(m)) + data + pad(len(data))


def read_frames(path):
    buf = open(path, "rb").read()
    off, out = 0, []
    while off < len(buf):
        ndim = buf[off + 11]
        dims = struct.unpack_from("<4I", buf, off + 16)[:ndim]
        mlen = struct.unpack_from("<I", buf, off + 32)[0]
        plen = struct.unpack_from("<Q", buf, off + 40)[0]
        meta = json.loads(buf[off + 64:off + 64 + mlen])
        start = off + 64 + mlen + len(pad(64 + mlen))
        arr = np.frombuffer(buf[start:start + plen], dtype=np.float32).reshape(dims)
        out.append((meta, arr))
        off = start + plen + len(pad(plen))
    return out


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        return type(default)(args[i + 1])
    return default


def gen(args):
    n, dim = int(args[0]), int(args[1])
    rng = np.random.default_rng(opt(args, "--seed", 1))
    cases, prefix, grid = opt(args, "--cases", 7), opt(args, "--prefix", "img"), opt(args, "--grid", 0)
    for i in range(n):
        shape = (grid, dim) if grid else (dim,)
        rid = "%s%05d" % (prefix, i)
        meta = {"id": rid, "case_id": "case%03d" % (i % cases), "caption": "caption of " + rid}
        sys.stdout.buffer.write(frame(meta, rng.standard_normal(shape)))


def from_list(args):
    for obj in json.loads(args[0]):
        vec = obj.pop("vec")
        dtype = obj.pop("dtype", "f32")
        sys.stdout.buffer.write(frame(obj, np.array(vec), dtype))


def pooled(arr):
    v = arr.reshape(-1, arr.shape[-1]).astype(np.float64).mean(axis=0)
    return v / np.linalg.norm(v)


def brute(args):
    index, queries, k = read_frames(args[0]), read_frames(args[1]), int(args[2])
    excl = "--exclude-same-case" in args
    for qm, qa in queries:
        q = pooled(qa)
        scored = [(-float(np.dot(q, pooled(a))), m["id"]) for m, a in index
                  if not (excl and m.get("case_id") is not None and m.get("case_id") == qm.get("case_id"))]
        scored.sort()
        print(qm["id"] + "\t" + " ".join(i for _, i in scored[:k]))


def to_npy(args):
    frames = read_frames(args[0])
    np.save(args[1], np.array([pooled(a) for _, a in frames], dtype=np.float32))
    with open(args[1] + ".ids", "w") as f:
        f.writelines(m["id"] + "\n" for m, _ in frames)


if __name__ == "__main__":
    {"gen": gen, "list": from_list, "brute": brute, "npy": to_npy}[sys.argv[1]](sys.argv[2:])
