#!/usr/bin/python3
"""export-torchvision.py - save a torchvision ResNet's ImageNet weights as a
.safetensors file that medcap-encode-features loads as is.

  python3 examples/export-torchvision.py ARCH OUT.safetensors
      ARCH: resnet18, resnet34 or resnet50.  Downloads the weights through
      torchvision (needs network access once), writes the state_dict with
      its PyTorch names (conv weights OIHW) and the metadata
      {"arch": ARCH, "source": "torchvision ..."}.  Then:
          medcap-encode-features --model OUT.safetensors ...

For users with PyTorch; medcap's build and tests do not need it.  Uses the
safetensors package when installed, else writes the format directly.
"""
import json
import struct
import sys

import torch
import torchvision

WEIGHTS = {"resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights",
           "resnet50": "ResNet50_Weights"}


def write(path, tensors, meta):
    """The safetensors format: u64 header length, JSON header, raw data."""
    header, blobs, pos = {"__metadata__": meta}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        b = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in WEIGHTS:
        sys.exit("usage: export-torchvision.py resnet18|resnet34|resnet50 OUT.safetensors")
    arch, out = sys.argv[1], sys.argv[2]
    weights = getattr(torchvision.models, WEIGHTS[arch]).IMAGENET1K_V1
    model = getattr(torchvision.models, arch)(weights=weights)
    meta = {"arch": arch, "source": "torchvision %s %s" % (torchvision.__version__, weights)}
    sd = model.state_dict()
    try:
        from safetensors.torch import save_file
        save_file(sd, out, metadata=meta)
    except ImportError:
        write(out, sd, meta)
    print("wrote %s (%d tensors)" % (out, len(sd)))


if __name__ == "__main__":
    main()
