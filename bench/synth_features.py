#!/usr/bin/python3
"""synth_features.py - write synthetic grid feature frames with captions
for the decoder benchmarks (bench/decoder.sh).

  synth_features.py N OUT [--grid 7x7] [--channels 512] [--words 4996]
                    [--length 28] [--seed 1]

Each frame is an F32 [G, C] grid (medcap-frame(5)) of non-negative values
like a ReLU encoder's, carrying {"id", "caption", "encoder", "encoder_hash",
"grid", "feature": "grid"}.  Caption i holds LENGTH words taken in turn
from WORDS synthetic words ("w0" ...), so every word appears about
N*LENGTH/WORDS times and the vocabulary reaches WORDS + 4 tokens.
"""
import argparse
import json
import struct
import zlib

import numpy as np


def frame(meta, arr):
    """One medcap frame: 64-byte header, padded metadata, padded payload."""
    m = json.dumps(meta, separators=(",", ":")).encode()
    data = arr.astype("<f4").tobytes()
    dims = list(arr.shape) + [0] * (4 - arr.ndim)
    head = bytearray(64)
    head[0:8] = b"\x89MCFRAME"
    struct.pack_into("<HBB", head, 8, 1, 3, arr.ndim)
    struct.pack_into("<4I", head, 16, *dims)
    struct.pack_into("<I", head, 32, len(m))
    struct.pack_into("<Q", head, 40, len(data))
    struct.pack_into("<II", head, 48, zlib.crc32(m), zlib.crc32(data))
    struct.pack_into("<I", head, 60, zlib.crc32(bytes(head[:60])))
    pad = lambda b: b + b"\0" * (-len(b) % 64)
    return bytes(head) + pad(m) + pad(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--grid", default="7x7")
    ap.add_argument("--channels", type=int, default=512)
    ap.add_argument("--words", type=int, default=4996)
    ap.add_argument("--length", type=int, default=28)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    gh, gw = (int(x) for x in a.grid.split("x"))
    rng = np.random.default_rng(a.seed)
    with open(a.out, "wb") as f:
        for i in range(a.n):
            words = [f"w{(i * a.length + j) % a.words}" for j in range(a.length)]
            meta = {"id": f"synth-{i}", "caption": " ".join(words), "encoder": "cnn-small",
                    "encoder_hash": "00000000", "grid": [gh, gw], "feature": "grid"}
            arr = np.maximum(rng.standard_normal((gh * gw, a.channels), dtype=np.float32), 0)
            f.write(frame(meta, arr))


if __name__ == "__main__":
    main()
