#!/usr/bin/python3
"""exif_orientation.py - tests of medcap-img-resize's EXIF orientation.

  exif_orientation.py set JPEG N OUT   copy JPEG with an EXIF APP1 segment
                                       whose orientation tag is N (1-8)
  exif_orientation.py quadrants FRAMES  for each U8 [1,S,S] frame, the id,
                                       the content's width and height, and
                                       the mean of each quadrant (TL TR BL BR)
"""
import json
import struct
import sys


def set_orientation(src, n, out):
    d = open(src, "rb").read()
    tiff = (b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
            + struct.pack("<HHIHH", 0x0112, 3, 1, n, 0) + struct.pack("<I", 0))
    payload = b"Exif\x00\x00" + tiff
    open(out, "wb").write(d[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + d[2:])


def quadrants(path):
    f = open(path, "rb")
    while True:
        h = f.read(64)
        if not h:
            return
        ndim = h[11]
        dims = struct.unpack_from("<4I", h, 16)[:ndim]
        ml = struct.unpack_from("<I", h, 32)[0]
        pl = struct.unpack_from("<Q", h, 40)[0]
        meta = json.loads(f.read((ml + 63) // 64 * 64)[:ml])
        data = f.read((pl + 63) // 64 * 64)[:pl]
        s = dims[-1]
        px = [data[i * s:(i + 1) * s] for i in range(s)]
        ys = [y for y in range(s) if max(px[y]) > 5]
        xs = [x for x in range(s) if max(px[y][x] for y in range(s)) > 5]
        y0, y1, x0, x1 = min(ys), max(ys) + 1, min(xs), max(xs) + 1

        def mean(a, b):  # quadrant a (row), b (column), a pixel in from its edges
            yy = range(y0 + (y1 - y0) * a // 2 + 1, y0 + (y1 - y0) * (a + 1) // 2 - 1)
            xx = range(x0 + (x1 - x0) * b // 2 + 1, x0 + (x1 - x0) * (b + 1) // 2 - 1)
            v = [px[y][x] for y in yy for x in xx]
            return round(sum(v) / len(v) / 10) * 10

        print(meta["id"], x1 - x0, y1 - y0, mean(0, 0), mean(0, 1), mean(1, 0), mean(1, 1))


if __name__ == "__main__":
    if sys.argv[1] == "set":
        set_orientation(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        quadrants(sys.argv[2])
