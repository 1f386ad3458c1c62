#!/usr/bin/python3
"""encode_torch.py - the PyTorch CPU baseline of bench/encode-features.sh:
torchvision ARCH up to layer4 (the encoder grid), inference mode, on the
images of a medcap frame file, normalised as medcap does.

  encode_torch.py FRAMES ARCH BATCH THREADS [LAYOUT]   -> prints images per second

LAYOUT is contiguous (the default) or channels_last (model and input).
"""
import struct
import sys
import time

import torch
import torchvision


def read_images(path):
    with open(path, "rb") as f:
        buf = f.read()
    pos, out = 0, []
    while pos < len(buf):
        ndim = buf[pos + 11]
        dims = struct.unpack("<4I", buf[pos + 16:pos + 32])[:ndim]
        mlen, = struct.unpack("<I", buf[pos + 32:pos + 36])
        plen, = struct.unpack("<Q", buf[pos + 40:pos + 48])
        pos += 64 + (mlen + 63) // 64 * 64
        t = torch.frombuffer(bytearray(buf[pos:pos + plen]), dtype=torch.uint8).reshape(dims)
        out.append(t)
        pos += (plen + 63) // 64 * 64
    return out


def main():
    path, arch, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    layout = sys.argv[5] if len(sys.argv) > 5 else "contiguous"
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    torch.set_num_threads(threads)
    model = getattr(torchvision.models, arch)(weights=None).eval()
    body = torch.nn.Sequential(*list(model.children())[:-2]).to(memory_format=fmt)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    imgs = read_images(path)
    with torch.inference_mode():
        body((((torch.stack(imgs[:batch]).float() / 255.0) - mean) / std).contiguous(memory_format=fmt))  # warm-up
        t0 = time.perf_counter()
        for i in range(0, len(imgs), batch):
            x = (((torch.stack(imgs[i:i + batch]).float() / 255.0) - mean) / std).contiguous(memory_format=fmt)
            body(x)
        dt = time.perf_counter() - t0
    print("%.2f" % (len(imgs) / dt))


if __name__ == "__main__":
    main()
