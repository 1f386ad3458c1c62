#!/usr/bin/env python3
"""graft_heads.py - put the classifier heads of one caption model into another.

    examples/graft_heads.py TARGET.safetensors HEADS.safetensors OUT.safetensors

Copies the "heads.*" tensors and the "fields" metadata of HEADS into TARGET
(whose own heads, if any, are dropped) and writes OUT.  Both models must
have grids of the same channel count: the heads read the mean of the grid.
Used by examples/refit-heads.sh.  Standard library only.
"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]


def main():
    th, tdata = read(sys.argv[1])
    hh, hdata = read(sys.argv[2])
    tc = json.loads(th["__metadata__"]["config"])["channels"]
    hc = json.loads(hh["__metadata__"]["config"])["channels"]
    if tc != hc:
        sys.exit("graft_heads: %s has %d channels, %s has %d" % (sys.argv[1], tc, sys.argv[2], hc))
    out, blobs, off = {"__metadata__": dict(th["__metadata__"])}, [], 0
    for src, data in ((th, tdata), (hh, hdata)):
        for name, t in src.items():
            if name == "__metadata__" or name.startswith("heads.") != (src is hh):
                continue
            blob = data[t["data_offsets"][0]:t["data_offsets"][1]]
            out[name] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": [off, off + len(blob)]}
            blobs.append(blob)
            off += len(blob)
    out["__metadata__"]["fields"] = hh["__metadata__"]["fields"]
    head = json.dumps(out, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(sys.argv[3], "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


if __name__ == "__main__":
    main()
