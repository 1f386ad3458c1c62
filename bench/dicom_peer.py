#!/usr/bin/python3
"""dicom_peer.py - the Python loop medcap-img-resize is measured against
(bench/dicom.sh), and the header walk csv-clean --format dicom is.

  dicom_peer.py make DIR N_CT N_XR   write N_CT 512x512 signed 16-bit CT slices
                                     and N_XR 2000x2500 12-bit X-rays (uncompressed)
  dicom_peer.py resize LIST S        per file: pydicom pixel_array, modality LUT,
                                     the file's VOI window, PIL bilinear resize
                                     into an S x S letterbox, uint8 bytes
  dicom_peer.py walk DIR             every file under DIR read with
                                     stop_before_pixels=True, a few tags kept
"""
import os
import sys

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
from pydicom.uid import ExplicitVRLittleEndian, generate_uid


def make(out, n_ct, n_xr):
    rng = np.random.default_rng(0)
    os.makedirs(out, exist_ok=True)
    for i in range(n_ct + n_xr):
        ct = i < n_ct
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2" if ct else "1.2.840.10008.5.1.4.1.1.1.1"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
        ds.PatientID = "BENCH%05d" % i
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.BitsAllocated = 1, "MONOCHROME2", 16
        if ct:
            ds.Modality, ds.Rows, ds.Columns = "CT", 512, 512
            ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 1
            ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
            ds.WindowCenter, ds.WindowWidth = 40, 400
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            px = rng.integers(0, 2500, (512, 512), dtype=np.int16)
        else:
            ds.Modality, ds.Rows, ds.Columns = "DX", 2500, 2000
            ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
            ds.WindowCenter, ds.WindowWidth = 2048, 4096
            ds.ViewPosition = "PA"
            px = rng.integers(0, 4096, (2500, 2000), dtype=np.uint16)
        ds.PixelData = px.tobytes()
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(os.path.join(out, "%s%05d.dcm" % ("ct" if ct else "xr", i)), write_like_original=False)


def resize(listfile, size):
    out = open(os.devnull, "wb")
    for path in open(listfile).read().split():
        ds = pydicom.dcmread(path)
        v = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds).astype(np.float32), ds)
        c, w = float(ds.WindowCenter), float(ds.WindowWidth)
        lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
        v = np.clip((v - lo) / (hi - lo), 0, 1).astype(np.float32)
        h, wd = v.shape
        s = size / max(h, wd)
        tw, th = max(1, round(wd * s)), max(1, round(h * s))
        small = np.asarray(Image.fromarray(v, mode="F").resize((tw, th), Image.BILINEAR))
        sq = np.zeros((size, size), np.uint8)
        y, x = (size - th) // 2, (size - tw) // 2
        sq[y:y + th, x:x + tw] = np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)
        out.write(sq.tobytes())


def walk(top):
    n = 0
    for d, _, files in os.walk(top):
        for f in sorted(files):
            ds = pydicom.dcmread(os.path.join(d, f), stop_before_pixels=True)
            _ = (ds.get("Modality"), ds.get("SOPInstanceUID"), ds.get("StudyInstanceUID"),
                 ds.get("ImageOrientationPatient"), ds.get("ViewPosition"), ds.get("Rows"))
            n += 1
    print(n)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "resize":
        resize(sys.argv[2], int(sys.argv[3]))
    else:
        walk(sys.argv[2])
