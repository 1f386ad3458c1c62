#!/usr/bin/python3
"""dicom_peer.py - medcap-img-resize against pydicom on pydicom's own test files.

Usage: dicom_peer.py BIN_DIR TEST_FILES_DIR WORK_DIR

For every .dcm file: when pydicom decodes it (pixel_array, then the
modality LUT; YBR converted to RGB), medcap-img-resize --size 0 --float
--window none --frame all must give the same array: exactly for lossless
transfer syntaxes, within a codec's tolerance for lossy ones.  When pydicom
rejects it (no pixel data, a truncated file, ...), medcap must reject it
too, exit 1 with a message naming the file.  KNOWN lists the files where
GDCM and pydicom part ways, with the reason; they are checked to still
behave as listed.  Prints one line per file and a summary; exits 1 on any
mismatch.
"""
import concurrent.futures
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space

LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.91",
         "1.2.840.10008.1.2.4.81"}

# file -> (what medcap does, why)
KNOWN = {
    "ExplVR_BigEndNoMeta.dcm": ("rejects", "no preamble or file meta: GDCM finds no data set"),
    "ExplVR_LitEndNoMeta.dcm": ("rejects", "no preamble or file meta: GDCM finds no data set"),
    "liver_1frame.dcm": ("rejects", "1 bit allocated (a segmentation mask), not an image"),
    "liver_expb_1frame.dcm": ("rejects", "1 bit allocated (a segmentation mask), not an image"),
    "SC_rgb_rle_16bit.dcm": ("rejects", "16-bit colour RLE: GDCM 3.0.21 mixes the bytes"),
    "SC_rgb_rle_16bit_2frame.dcm": ("rejects", "16-bit colour RLE: GDCM 3.0.21 mixes the bytes"),
    "SC_rgb_rle_32bit.dcm": ("rejects", "32-bit colour RLE: GDCM 3.0.21 mixes the bytes"),
    "SC_rgb_rle_32bit_2frame.dcm": ("rejects", "32-bit colour RLE: GDCM 3.0.21 mixes the bytes"),
    "JPEG2000-embedded-sequence-delimiter.dcm": (
        "rejects", "OpenJPEG in GDCM refuses the stream pydicom's Pillow reads"),
    "rtdose_1frame.dcm": ("skipped", "GDCM 3.0.21 aborts on its Number of Frames (an assert)"),
    "rtdose_expb_1frame.dcm": ("skipped", "GDCM 3.0.21 aborts on its Number of Frames (an assert)"),
    "rtdose_rle_1frame.dcm": ("skipped", "GDCM 3.0.21 aborts on its Number of Frames (an assert)"),
}


def peer(path):
    """pydicom's frames (list of float64 arrays, H x W or H x W x 3) and the
    transfer syntax, or None when pydicom cannot decode the file."""
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception:
        return None, None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    spp = int(getattr(ds, "SamplesPerPixel", 1))
    if frames == 1:
        arr = arr[np.newaxis]
    pi = str(getattr(ds, "PhotometricInterpretation", ""))
    # GDCM takes an RT dose's Dose Grid Scaling for its rescale slope
    scale = float(ds.DoseGridScaling) if ds.get("Modality") == "RTDOSE" and "DoseGridScaling" in ds else 1.0
    out = []
    for f in arr:
        if spp == 1:
            out.append(np.asarray(apply_modality_lut(f, ds), dtype=np.float64) * scale)
        else:
            if pi in ("YBR_FULL", "YBR_FULL_422"):
                f = convert_color_space(f, pi, "RGB")
            out.append(f.astype(np.float64))
    ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in ds.file_meta else ""
    return out, ts


def medcap(bindir, path, channels, work):
    """medcap's frames as float64 arrays, or (None, stderr) when it fails."""
    frames = os.path.join(work, "out.frames")
    with open(frames, "wb") as out:
        p = subprocess.run([os.path.join(bindir, "medcap-img-resize"), "--size", "0", "--float",
                            "--window", "none", "--frame", "all", "--channels", str(channels)],
                           input=(path + "\n").encode(), stdout=out, stderr=subprocess.PIPE)
    if p.returncode != 0:
        return None, p.stderr.decode(errors="replace"), p.returncode
    res = []
    n = 1
    while True:
        q = subprocess.run([os.path.join(bindir, "medcap-frame-to-npy"), "-n", str(n), frames],
                           capture_output=True)
        if q.returncode != 0:
            break
        npy = os.path.join(work, "f.npy")
        with open(npy, "wb") as f:
            f.write(q.stdout)
        a = np.load(npy).astype(np.float64)  # C x H x W
        res.append(a[0] if channels == 1 else np.transpose(a, (1, 2, 0)))
        n += 1
    return res, p.stderr.decode(errors="replace"), 0


def check(bindir, tdir, name, work):
    """One file: (status, counted, line); status is the counts key the file
    adds to (None for none), counted whether it matched."""
    path = os.path.join(tdir, name)
    if KNOWN.get(name, ("",))[0] == "skipped":
        return "known", True, f"known   {name}: {KNOWN[name][1]}"
    ref, ts = peer(path)
    spp = 1
    if ref is not None and ref[0].ndim == 3:
        spp = 3
    got, err, rc = medcap(bindir, path, spp, work)
    if name in KNOWN:
        ok = got is None and rc == 1 and name in err
        return "known", ok, f"{'known  ' if ok else 'CHANGED'} {name}: {KNOWN[name][1]}"
    if ref is None:
        ok = got is None and rc == 1 and name in err
        return "rejected", ok, f"{'reject ' if ok else 'WRONG  '} {name}: {err.strip() if got is None else 'medcap decoded it'}"
    if got is None:
        return None, False, f"FAILED  {name}: {err.strip()}"
    if len(got) != len(ref) or any(g.shape != r.shape for g, r in zip(got, ref)):
        return None, False, f"SHAPE   {name}: {[g.shape for g in got]} vs pydicom {[r.shape for r in ref]}"
    diff = max(float(np.abs(g - r.astype(np.float32).astype(np.float64)).max()) for g, r in zip(got, ref))
    span = max(float(r.max() - r.min()) for r in ref) or 1.0
    if ts in LOSSY:
        mean = max(float(np.abs(g - r).mean()) for g, r in zip(got, ref))
        ok = mean <= 0.01 * span and diff <= 0.1 * span
        return "close", ok, f"{'close  ' if ok else 'DIFFERS'} {name}: lossy {ts}, max |diff| {diff:g}, mean {mean:g}, range {span:g}"
    ok = diff == 0.0
    return "equal", ok, f"{'equal  ' if ok else 'DIFFERS'} {name}: {ts}, max |diff| {diff:g}"


def main():
    bindir, tdir, work = sys.argv[1:4]
    names = [n for n in sorted(os.listdir(tdir)) if n.endswith(".dcm")]
    # The files are independent and the time goes to the medcap processes
    # (GDCM takes seconds on some files): one worker per CPU, each in its own
    # folder; the lines print in file order whatever the order they end in.
    def one(i):
        d = os.path.join(work, "peer%03d" % i)
        os.makedirs(d, exist_ok=True)
        return check(bindir, tdir, names[i], d)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(one, range(len(names))))
    bad = 0
    counts = {"equal": 0, "close": 0, "rejected": 0, "known": 0}
    for status, ok, line in results:
        print(line)
        if status is not None:
            counts[status] += ok
        bad += not ok
    print("summary: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f", mismatches {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
