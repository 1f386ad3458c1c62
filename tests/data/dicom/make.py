#!/usr/bin/python3
"""make.py - writes the small DICOM test files beside it (Debian's python3-pydicom).

  ct16.dcm      64x48 CT, signed 16-bit, Rescale Intercept -1024, window 40/400,
                axial; HU = 20 * column - 600 (-600 .. 660), rows alike
  xr_mono1.dcm  40x32 DX, MONOCHROME1, 12 bits stored, window 2048/4096, PA chest;
                stored value = 64 * column (0 .. 2496)
  mr_multi.dcm  5-frame 24x24 MR, sagittal; frame k is all 100 * (k + 1)
  identity.dcm  ct16.dcm with recognisable fake identities in every
                identifying attribute (the privacy test looks for them),
                Patient's Sex F and Patient's Age 094Y
  ct_voilut.dcm ct16.dcm with a VOI LUT Sequence besides its window: 1000
                16-bit entries from HU -500 (SS), a square-root curve
                65535 * sqrt(i / 999), rounded
  mixed_vr.dcm  ct16.dcm's data set in implicit VR under the explicit VR
                transfer syntax its file meta names (as pydicom's
                SC_rgb_jpeg.dcm): one of GDCM's fall-back parses takes the
                Image Type's text for a 1.3 GB element length
Run once; the files are committed, so the tests do not need pydicom.
"""
import os

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

HERE = os.path.dirname(os.path.abspath(__file__))


def base(modality, rows, cols, uid_tail):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1.%s.3" % uid_tail
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1.%s.1" % uid_tail
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1.%s.2" % uid_tail
    ds.Modality = modality
    ds.PatientID = "TEST-%s" % uid_tail
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.PixelSpacing = [0.5, 0.5]
    return ds


def save(ds, name, pixels):
    ds.PixelData = pixels.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(HERE, name), write_like_original=False)


def ct():
    ds = base("CT", 48, 64, "1001")
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.BodyPartExamined = "HEAD"
    hu = np.tile(20 * np.arange(64) - 600, (48, 1))
    return ds, (hu + 1024).astype("<i2")


def main():
    ds, px = ct()
    save(ds, "ct16.dcm", px)

    ds = base("DX", 32, 40, "1002")
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.ViewPosition, ds.BodyPartExamined, ds.ImageLaterality = "PA", "CHEST", "R"
    save(ds, "xr_mono1.dcm", np.tile(64 * np.arange(40), (32, 1)).astype("<u2"))

    ds = base("MR", 24, 24, "1003")
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 0
    ds.NumberOfFrames = 5
    ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    ds.BodyPartExamined = "LSPINE"
    frames = np.stack([np.full((24, 24), 100 * (k + 1)) for k in range(5)])
    save(ds, "mr_multi.dcm", frames.astype("<u2"))

    ds, px = ct()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1.777111.3"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1.777222.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1.777333.2"
    ds.PatientName = "Quizzlewick^Orsolya"
    ds.PatientID = "MRN-40417713"
    ds.PatientBirthDate = "19230417"
    ds.PatientSex, ds.PatientAge = "F", "094Y"
    ds.PatientAddress = "17 Nevermore Lane, Gloamshire"
    ds.InstitutionName = "Saint Zebulon Infirmary"
    ds.InstitutionAddress = "99 Fogbound Road, Gloamshire"
    ds.ReferringPhysicianName = "Pemberbrook^Halvard"
    ds.PerformingPhysicianName = "Quillfeather^Ysolde"
    ds.OperatorsName = "Thistlewaite^Mab"
    ds.AccessionNumber = "ACC-66051234"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = "20190311"
    ds.StudyTime = "101112"
    ds.StudyID = "STUDY-8181"
    ds.OtherPatientIDs = "ALT-73920011"
    ds.ImageComments = "Quizzlewick fell at Saint Zebulon"
    ds.StudyDescription = "Quizzlewick head study"
    ds.SeriesDescription = "Quizzlewick series"
    ds.StationName = "GLOAM-CT-7"
    save(ds, "identity.dcm", px)

    ds, px = ct()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1.1004.3"
    lut = Dataset()
    lut.LUTDescriptor = [1000, -500, 16]
    lut.add_new(0x00283006, "US", [int(round(65535 * (i / 999) ** 0.5)) for i in range(1000)])
    lut.LUTExplanation = "SQRT"
    ds.VOILUTSequence = [lut]
    save(ds, "ct_voilut.dcm", px)

    ds, px = ct()
    ds.ImageType = ["DERIVED", "SECONDARY", "OTHER"]
    ds.PixelData = px.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, True
    ds.save_as(os.path.join(HERE, "mixed_vr.dcm"), write_like_original=True)


if __name__ == "__main__":
    main()
