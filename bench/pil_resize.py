"""The baseline medcap-img-resize is measured against: the Python loop a
user would otherwise write with PIL (python3-pil): Image.draft for JPEG
shrink-on-load, convert to grey, a bilinear resize to fit SIZE x SIZE,
paste into a black square (letterbox), raw bytes to stdout.

Usage: python3 pil_resize.py SIZE PATHS.txt > /dev/null
"""
import sys

from PIL import Image


def main():
    size = int(sys.argv[1])
    out = sys.stdout.buffer
    for line in open(sys.argv[2]):
        path = line.strip()
        if not path:
            continue
        with Image.open(path) as im:
            im.draft("L", (size, size))
            im = im.convert("L")
            w, h = im.size
            scale = size / max(w, h)
            tw, th = max(1, round(w * scale)), max(1, round(h * scale))
            im = im.resize((tw, th), Image.BILINEAR)
            square = Image.new("L", (size, size))
            square.paste(im, ((size - tw) // 2, (size - th) // 2))
            out.write(square.tobytes())


if __name__ == "__main__":
    main()
