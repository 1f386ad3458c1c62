#!/usr/bin/env bats
# DICOM input: img-resize decodes with GDCM (pixels, window, frames, tags),
# csv-clean --format dicom walks folders, nothing identifying leaks, and
# pydicom's own test files decode as pydicom decodes them.
load common

DCM="$DATA/dicom"
SHARED_DCM="$ROOT/../shared/data/dicom"
PYDICOM_FILES=/usr/lib/python3/dist-packages/pydicom/data/test_files

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# The tensor of frame N (1-based) of FILE as numbers, one line, via .npy.
# TYPE: u1 or f4; COUNT: how many values from the end of the .npy.
tensor() {
    medcap-frame-to-npy --nth "$2" "$1" | tail -c "$3" | od -An -v -t "$4" | xargs
}

@test "dicom: MONOCHROME1 is inverted: the shared X-ray and its MONOCHROME1 copy sum to 255" {
    [ -d "$SHARED_DCM" ] || skip "no ../shared/data/dicom"
    # records with their own ids: the copy has the X-ray's SOP UID (one hashed id)
    for f in "$SHARED_DCM"/*.dcm; do jq -cn --arg f "$f" --arg id "${f##*/}" '{id: $id, image: $f}'; done |
        medcap-img-resize --size 16 >xr.frames
    medcap-frame-to-npy --nth 1 xr.frames >a.npy
    medcap-frame-to-npy --nth 2 xr.frames >b.npy
    run -0 /usr/bin/python3 -c "
import numpy as np
a, b = np.load('a.npy').astype(int), np.load('b.npy').astype(int)
assert a.std() > 20, a.std()
print((a + b).min(), (a + b).max())"
    assert_output "255 255"
}

@test "dicom: 16-bit signed CT: rescale and the file's window; --window none keeps Hounsfield units" {
    # HU = 20 * column - 600; window 40/400 maps -160 .. 239 to 0 .. 255
    medcap-img-resize --size 0 <<<"$DCM/ct16.dcm" >ct.frames
    run -0 tensor ct.frames 1 $((48 * 64)) u1
    local row=(${output})
    [ "${row[22]}" -eq 0 ] && [ "${row[23]}" -eq 13 ] && [ "${row[30]}" -eq 102 ] && [ "${row[42]}" -eq 255 ]
    medcap-img-resize --size 0 --window 400,40 <<<"$DCM/ct16.dcm" | cmp - ct.frames
    medcap-img-resize --size 0 --window file <<<"$DCM/ct16.dcm" | cmp - ct.frames
    medcap-img-resize --size 0 --float --window none <<<"$DCM/ct16.dcm" >hu.frames
    run -0 tensor hu.frames 1 $((4 * 64)) f4
    local hu=(${output})
    [ "${hu[0]}" = "-600" ] && [ "${hu[1]}" = "-580" ] && [ "${hu[63]}" = "660" ]
    run -0 medcap-frame-info hu.frames
    assert_output --partial $'f32\t1x48x64'
}

@test "dicom: --window presets and auto differ from the file's window; file without a window" {
    medcap-img-resize --size 0 <<<"$DCM/ct16.dcm" >file.frames
    for w in lung bone brain mediastinum; do
        medcap-img-resize --size 0 --window $w <<<"$DCM/ct16.dcm" >$w.frames
        run -1 cmp -s $w.frames file.frames
    done
    run -0 tensor brain.frames 1 64 u1
    local row=(${output})
    [ "${row[30]}" -eq 0 ] && [ "${row[31]}" -eq 0 ] && [ "${row[32]}" -eq 159 ] && [ "${row[33]}" -eq 255 ]
    # auto: the file's window when it has one
    medcap-img-resize --size 0 --window auto <<<"$DCM/ct16.dcm" | cmp - file.frames
    # the multi-frame MR has no window: auto spans its range, file is an error
    run -1 --separate-stderr medcap-img-resize --window file <<<"$DCM/mr_multi.dcm"
    assert_output ""
    [[ "$stderr" == *"mr_multi.dcm: DICOM file has no VOI LUT or Window Center/Width"* ]]
}

@test "dicom: MONOCHROME1 X-ray with 12 bits stored: bright where values are low" {
    medcap-img-resize --size 0 <<<"$DCM/xr_mono1.dcm" >x.frames
    run -0 tensor x.frames 1 40 u1
    local row=(${output})
    [ "${row[0]}" -eq 255 ] && [ "${row[39]}" -lt "${row[20]}" ] && [ "${row[20]}" -lt "${row[1]}" ]
}

@test "dicom: multi-frame --frame N|middle|all; all writes every slice with its index" {
    medcap-img-resize --size 4 --float --window none --frame all <<<"$DCM/mr_multi.dcm" >all.frames
    run -0 medcap-frame-info all.frames
    [ "${#lines[@]}" -eq 5 ]
    for k in 0 1 2 3 4; do
        run -0 tensor all.frames $((k + 1)) 4 f4
        assert_output "$((100 * (k + 1)))"
        medcap-frame-to-npy --nth $((k + 1)) all.frames >/dev/null
    done
    run -0 bash -c "strings all.frames | grep -o '\"frame\":[0-9]*' | tr '\n' ' '"
    assert_output '"frame":0 "frame":1 "frame":2 "frame":3 "frame":4 '
    medcap-img-resize --size 4 --float --window none <<<"$DCM/mr_multi.dcm" >mid.frames
    run -0 tensor mid.frames 1 4 f4
    assert_output "300"
    medcap-img-resize --size 4 --float --window none --frame 1 <<<"$DCM/mr_multi.dcm" >one.frames
    run -0 tensor one.frames 1 4 f4
    assert_output "200"
    run -1 --separate-stderr medcap-img-resize --frame 5 <<<"$DCM/mr_multi.dcm"
    [[ "$stderr" == *"mr_multi.dcm: no frame 5: the file has 5 (from 0)"* ]]
}

@test "dicom: tags reach the record; a record's own keys win; --salt keys the hashes" {
    printf '%s\n' "$DCM/xr_mono1.dcm" "$DCM/ct16.dcm" "$DCM/mr_multi.dcm" |
        medcap-img-resize --size 8 >t.frames
    run -0 bash -c "strings t.frames | grep -o '{.*}'"
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == *'"modality":"xr","view":"pa","body_part":"chest","laterality":"r","rows":32,"columns":40,"pixel_spacing":[0.5,0.5]'* ]]
    [[ "${lines[1]}" == *'"modality":"ct","plane":"axial","body_part":"head"'* ]]
    [[ "${lines[2]}" == *'"modality":"mr","plane":"sagittal"'* ]]
    [[ "${lines[0]}" =~ \"id\":\"dcm-[0-9a-f]{16}\",\"case_id\":\"dcm-[0-9a-f]{16}\" ]]
    [[ "${lines[0]}" != *patient_id* ]]
    [[ "${lines[1]}" =~ \"id\":\"(dcm-[0-9a-f]{16})\" ]]
    local unsalted=${BASH_REMATCH[1]}
    echo "{\"id\":\"mine\",\"image\":\"$DCM/ct16.dcm\",\"modality\":\"given\"}" |
        medcap-img-resize --size 8 >own.frames
    run -0 bash -c "strings own.frames | grep -o '{.*}'"
    [[ "$output" == *'"id":"mine"'* && "$output" == *'"modality":"given"'* && "$output" == *'"plane":"axial"'* ]]
    medcap-img-resize --size 8 --salt s3cret <<<"$DCM/ct16.dcm" >salted.frames
    run -0 bash -c "strings salted.frames | grep -o '{.*}'"
    [[ "$output" =~ \"patient_id\":\"pt-[0-9a-f]{16}\" ]]
    [[ "$output" =~ \"id\":\"dcm-[0-9a-f]{16}\" && "$output" != *"$unsalted"* ]]
}

@test "dicom: bad input names the file and the problem, exit 1; --keep-going counts them" {
    head -c 5000 "$DCM/ct16.dcm" >cut.dcm
    local at
    at=$(grep -abo $'\xe0\x7f\x10\x00' "$DCM/ct16.dcm" | tail -1 | cut -d: -f1)
    head -c "$at" "$DCM/ct16.dcm" >nopixels.dcm
    /usr/bin/python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
i = b.find(b'1.2.840.10008.1.2.1\x00')
open('syntax.dcm', 'wb').write(b[:i] + b'1.2.840.10008.1.2.4.' + b[i + 20:])
b = bytearray(open(sys.argv[2], 'rb').read())
i = b.find(b'IS\x02\x005 ')  # Number of Frames '5 '
b[i + 4:i + 6] = b'5A'
open('badvr.dcm', 'wb').write(bytes(b))" "$DCM/ct16.dcm" "$DCM/mr_multi.dcm"
    echo "not dicom" >text.dcm
    run -1 --separate-stderr medcap-img-resize <<<"cut.dcm"
    [[ "$stderr" == *"-:1: cut.dcm: DICOM pixel data is cut short (a truncated file)"* ]]
    run -1 --separate-stderr medcap-img-resize <<<"nopixels.dcm"
    [[ "$stderr" == *"-:1: nopixels.dcm: DICOM file without pixel data"* ]]
    run -1 --separate-stderr medcap-img-resize <<<"syntax.dcm"
    [[ "$stderr" == *"-:1: syntax.dcm: not a readable DICOM image"*"unknown transfer syntax"* ]]
    run -1 --separate-stderr medcap-img-resize <<<"badvr.dcm"
    [[ "$stderr" == *"-:1: badvr.dcm: malformed Number of Frames value"* ]]
    run -1 --separate-stderr medcap-img-resize <<<"text.dcm"
    [[ "$stderr" == *"-:1: text.dcm: not a readable DICOM"* ]]
    run -1 --separate-stderr medcap-img-resize --max-pixels 1000 <<<"$DCM/ct16.dcm"
    [[ "$stderr" == *"ct16.dcm: image is 64x48, over --max-pixels 1000"* ]]
    printf '%s\n' cut.dcm "$DCM/ct16.dcm" nopixels.dcm syntax.dcm badvr.dcm text.dcm >mixed.txt
    run -5 --separate-stderr medcap-img-resize -j 3 --keep-going --size 8 mixed.txt
    [[ "$stderr" == *"skipped 5 of 6 images"* ]]
    [ "$(grep -c 'mixed.txt:' <<<"$stderr")" -eq 5 ]
}

@test "dicom: GDCM loads at the first DICOM file; without medcap-dicom.so a DICOM file is bad input saying why, other images as before" {
    # copies of the programs in a folder without lib/: nothing to load
    mkdir alone
    cp "$MEDCAP_BIN/medcap-img-resize" "$MEDCAP_BIN/medcap-csv-clean" alone/
    run -1 --separate-stderr alone/medcap-img-resize --size 8 <<<"$DCM/ct16.dcm"
    [ -z "$output" ]
    [[ "$stderr" == "medcap-img-resize: -:1: $DCM/ct16.dcm: cannot load DICOM support: /"*"/alone/../lib/medcap/medcap-dicom.so: cannot open shared object file: No such file or directory" ]]
    printf '%s\n' "$DCM/ct16.dcm" "$ROOT/examples/images/MPX1007_synpic46719.png" >two.txt
    run -5 --separate-stderr alone/medcap-img-resize --size 8 --keep-going two.txt
    [[ "$stderr" == *"skipped 1 of 2 images"* ]]
    run -1 --separate-stderr alone/medcap-csv-clean --format dicom "$DCM/ct16.dcm"
    [[ "$stderr" == "medcap-csv-clean: $DCM/ct16.dcm: cannot load DICOM support: "*"medcap-dicom.so: cannot open shared object file"* ]]
    # a PNG never loads it: the same frame as with the build's own folder
    alone/medcap-img-resize --size 8 <<<"$ROOT/examples/images/MPX1007_synpic46719.png" >a.frames
    medcap-img-resize --size 8 <<<"$ROOT/examples/images/MPX1007_synpic46719.png" >b.frames
    cmp a.frames b.frames
    run -0 bash -c 'LD_DEBUG=files medcap-img-resize --size 8 <<<"$1" 2>&1 >/dev/null' _ "$ROOT/examples/images/MPX1007_synpic46719.png"
    refute_output --partial gdcm
    run -0 bash -c 'LD_DEBUG=files medcap-img-resize --size 8 <<<"$1" 2>&1 >/dev/null' _ "$DCM/ct16.dcm"
    assert_output --partial "medcap-dicom.so"
    assert_output --partial "libgdcmMSFF"
}

@test "dicom: csv-clean --format dicom walks a tree, headers only; one record per image" {
    mkdir -p tree/study1/series2 tree/other
    cp "$DCM/ct16.dcm" tree/study1/
    cp "$DCM/mr_multi.dcm" tree/study1/series2/IM0001      # no extension: the DICM preamble
    cp "$DCM/xr_mono1.dcm" tree/other/x.DCM
    echo "notes" >tree/other/README                          # no preamble: not read
    echo "a,b" >tree/other/list.csv                          # another extension: not read
    run -0 --separate-stderr medcap-csv-clean --format dicom --stats tree
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == *'"modality":"xr"'*'"image":"other/x.DCM","split":'* ]]
    [[ "${lines[1]}" == *'"modality":"ct","plane":"axial"'*'"image":"study1/ct16.dcm"'* ]]
    [[ "${lines[2]}" == *'"modality":"mr"'*'"image":"study1/series2/IM0001"'* ]]
    [[ "$stderr" == *"rows 3, records 3, dropped 0"* ]]
    # the records feed img-resize with --root
    medcap-csv-clean --format dicom tree | medcap-img-resize --root tree --size 8 >tree.frames
    run -0 medcap-frame-info tree.frames
    [ "${#lines[@]}" -eq 3 ]
    # the same ids from both programs
    run -0 bash -c "medcap-csv-clean --format dicom tree | grep -o '\"id\":\"[^\"]*\"' | xargs"
    local ids=$output
    run -0 bash -c "strings tree.frames | grep -o '\"id\":\"[^\"]*\"' | xargs"
    assert_output "$ids"
    # with a key: patient_id, and the split follows it
    run -0 medcap-csv-clean --format dicom --salt k1 tree
    [[ "${lines[0]}" =~ \"patient_id\":\"pt-[0-9a-f]{16}\" ]]
    run -2 medcap-csv-clean --format dicom
    run -2 medcap-csv-clean --salt k1 "$DATA/csv-clean"
    echo "not dicom" >tree/bad.dcm
    run -1 --separate-stderr medcap-csv-clean --format dicom tree
    [[ "$stderr" == *"tree/bad.dcm: not a readable DICOM file"* ]]
    run -5 --separate-stderr medcap-csv-clean --format dicom --keep-going tree
    [ "${#lines[@]}" -eq 3 ]
}

@test "dicom: privacy: no identifying attribute reaches any output or message of the pipeline" {
    mkdir -p in
    cp "$DCM/identity.dcm" in/
    cp "$DCM/identity.dcm" in/broken.dcm && chmod u+w in/broken.dcm && truncate -s 6000 in/broken.dcm
    MODEL="$MEDCAP_SHARE/model.safetensors"
    {
        # one run each: the copy has the same SOP UID, a repeated id in one run
        # with sex and age (--patient-characteristics): never the birth date
        for f in identity broken; do
            medcap-csv-clean --format dicom --keep-going --salt k --patient-characteristics \
                in/$f.dcm 2>&1 >>records.jsonl
        done
        medcap-csv-clean --format dicom --keep-going --stats in 2>&1
        medcap-img-resize --keep-going --salt k --patient-characteristics records.jsonl 2>&1 >img.frames
        echo "$PWD/in/identity.dcm" | medcap-img-resize --size 0 --float --window none 2>&1
        echo "$PWD/in/broken.dcm" | medcap-img-resize 2>&1
        medcap-encode-features --model "$MODEL" img.frames 2>&1 >feat.frames
        medcap-decode-caption --model "$MODEL" feat.frames 2>&1
        medcap-frame-info img.frames feat.frames 2>&1
    } >everything.out || true
    run -0 medcap-frame-info img.frames
    [ "${#lines[@]}" -eq 1 ]
    cat records.jsonl img.frames feat.frames >>everything.out
    [ -s records.jsonl ] && grep -q caption everything.out
    grep -q '"sex":"female","age":90' records.jsonl
    for secret in Quizzlewick Orsolya MRN-40417713 40417713 19230417 Nevermore Gloamshire \
                  Zebulon Fogbound Pemberbrook Halvard Quillfeather Ysolde Thistlewaite \
                  ACC-66051234 66051234 20190311 101112 STUDY-8181 73920011 GLOAM-CT-7 \
                  777111 777222 777333; do
        if grep -aq -- "$secret" everything.out; then
            echo "leaked: $secret"
            return 1
        fi
    done
}

@test "dicom: pydicom's test files decode as pydicom decodes them (python3-pydicom)" {
    [ -d "$PYDICOM_FILES" ] && /usr/bin/python3 -c "import pydicom, numpy" 2>/dev/null ||
        skip "python3-pydicom is not installed"
    run -0 /usr/bin/python3 "$ROOT/tests/dicom_peer.py" "$MEDCAP_BIN" "$PYDICOM_FILES" "$PWD"
    assert_line --partial "mismatches 0"
    assert_line --regexp "^equal +CT_small.dcm"
    assert_line --regexp "^equal +MR_small_jpeg_ls_lossless.dcm"
    assert_line --regexp "^reject +MR_truncated.dcm"
}

@test "dicom: --help and the man pages document DICOM" {
    run -0 medcap-img-resize --help
    assert_output --partial "--window WIN"
    assert_output --partial "--frame N|middle|all"
    run -0 medcap-csv-clean --help
    assert_output --partial "dicom"
    grep -q 'window' "$ROOT/man/medcap-img-resize.1"
    grep -q 'dicom' "$ROOT/man/medcap-csv-clean.1"
}

@test "dicom: a file cut anywhere is an error naming it, never an abort; --keep-going goes on" {
    mkdir cuts
    local n size
    size=$(stat -c %s "$DCM/ct16.dcm")
    # Debian's GDCM asserts on files cut within their first elements: the
    # header is parsed in a child process first
    for n in 132 200 300 400 600 $((size / 2)) $((size - 1)); do
        head -c "$n" "$DCM/ct16.dcm" > "cuts/c$n.dcm"
    done
    run -1 --separate-stderr bash -c 'echo cuts/c200.dcm | medcap-img-resize --size 32'
    [[ "$stderr" == *"cuts/c200.dcm: not a readable DICOM file (truncated or malformed: GDCM fails on it)"* ]]
    { ls cuts/*.dcm; echo "$DCM/ct16.dcm"; } > list
    run -5 --separate-stderr bash -c 'medcap-img-resize --size 32 --keep-going < list > ok.frames'
    [[ "$stderr" == *"skipped 7 of 8 images"* ]]
    run -0 medcap-frame-info --count ok.frames
    assert_output 1
    run -1 --separate-stderr medcap-csv-clean --format dicom cuts
    [[ "$stderr" != *"Assertion"* ]]
}

@test "dicom: GDCM never allocates an element longer than the file: no 2 GB zero-fill for a 7 KB file" {
    # biglen.dcm: ct16.dcm with its pixel data's length set to 2 GB (43 s
    # and 2.1 GB in img-resize before, 37 s in csv-clean); mixed_vr.dcm:
    # implicit VR under an explicit VR syntax, where a fall-back parse of
    # GDCM's takes the Image Type's text for a 1.3 GB length (26-35 s):
    # the allocation is refused (limit: 8 times the file) and the next
    # parse reads it
    /usr/bin/python3 -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.rfind(b'\xe0\x7f\x10\x00OW\x00\x00')
b[i + 8:i + 12] = (0x7ffffff0).to_bytes(4, 'little')
open('biglen.dcm', 'wb').write(bytes(b))" "$DCM/ct16.dcm"
    run -0 /usr/bin/python3 -c "
import resource, subprocess, sys
def run(args, path, out):
    with open(out, 'wb') as f:
        return subprocess.run(args, input=(path + '\n').encode(), stdout=f, stderr=subprocess.PIPE)
for name in ('ct16', 'mixed_vr'):
    p = run(['medcap-img-resize', '--size', '0'], sys.argv[1] + '/' + name + '.dcm', name + '.frames')
    assert p.returncode == 0, p
p = run(['medcap-img-resize'], 'biglen.dcm', 'big.frames')
print(p.returncode, p.stderr.decode().strip())
p = subprocess.run(['medcap-csv-clean', '--format', 'dicom', 'biglen.dcm'], capture_output=True)
print(p.returncode, p.stderr.decode().strip())
mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print('peak', mib, 'MiB')
assert mib < 400, mib" "$DCM"
    assert_line "1 medcap-img-resize: -:1: biglen.dcm: not a readable DICOM file (an element claims more bytes than the file holds)"
    assert_line --partial "1 medcap-csv-clean: biglen.dcm: not a readable DICOM file (truncated, or a malformed element claiming more bytes than the file holds)"
    [ "$(tensor ct16.frames 1 3072 u1)" = "$(tensor mixed_vr.frames 1 3072 u1)" ]
    run -0 --separate-stderr medcap-csv-clean --format dicom "$DCM/mixed_vr.dcm"
    [[ "$output" == *'"modality":"ct","plane":"axial"'* ]]
}

@test "dicom: a VOI LUT Sequence is applied (before the window) as pydicom's apply_voi_lut, in every encoding" {
    /usr/bin/python3 -c "import pydicom, numpy" 2>/dev/null || skip "python3-pydicom is not installed"
    # ct_voilut.dcm: LUT of 1000 entries from HU -500 (SS) besides a 40/400
    # window; copies in big-endian and implicit VR (where the descriptor's
    # VR comes from the pixel representation)
    run -0 /usr/bin/python3 -c "
import sys, warnings
import numpy as np, pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian
warnings.simplefilter('ignore')
ds = pydicom.dcmread(sys.argv[1])
ref = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds) / 65535.0
np.save('ref.npy', ref.astype(np.float32))
print(ref.min(), ref.max(), len(np.unique(ref)))
px = ds.pixel_array
ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
ds.is_little_endian, ds.is_implicit_VR = False, False
ds.PixelData = px.astype('>i2').tobytes()
ds.save_as('be.dcm', write_like_original=False)
ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
ds.is_little_endian, ds.is_implicit_VR = True, True
ds.PixelData = px.astype('<i2').tobytes()
ds.save_as('implicit.dcm', write_like_original=False)" "$DCM/ct_voilut.dcm"
    assert_output --regexp '^0.0 1.0 [0-9]{2}$'
    for f in "$DCM/ct_voilut.dcm" be.dcm implicit.dcm; do
        for w in file auto; do
            medcap-img-resize --size 0 --float --window $w <<<"$f" >lut.frames
            medcap-frame-to-npy lut.frames >lut.npy
            run -0 /usr/bin/python3 -c "
import numpy as np
got, ref = np.load('lut.npy')[0], np.load('ref.npy')
print(float(np.abs(got - ref).max()))"
            assert_output "0.0"
        done
    done
    # a given window or preset does without the LUT: the 40/400 window's output
    medcap-img-resize --size 0 --window 400,40 <<<"$DCM/ct_voilut.dcm" >given.frames
    medcap-img-resize --size 0 <<<"$DCM/ct16.dcm" >ct16.frames
    [ "$(tensor given.frames 1 3072 u1)" = "$(tensor ct16.frames 1 3072 u1)" ]
    # a LUT Data shorter than its descriptor is an error naming the file
    /usr/bin/python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
i = b.find(b'\x28\x00\x02\x30SS\x06\x00')
open('short.dcm', 'wb').write(b[:i + 8] + (2000).to_bytes(2, 'little') + b[i + 10:])" "$DCM/ct_voilut.dcm"
    run -1 --separate-stderr medcap-img-resize <<<"short.dcm"
    [[ "$stderr" == *"short.dcm: malformed VOI LUT Sequence in the DICOM file"* ]]
    medcap-img-resize --window brain <<<"short.dcm" >/dev/null
    run -0 medcap-img-resize --help
    assert_output --partial "auto (the file's VOI LUT or window,"
    grep -q 'VOI LUT Sequence' "$ROOT/man/medcap-img-resize.1"
}

@test "dicom: sex and age only with --patient-characteristics (the profile's Retain Patient Characteristics option)" {
    # identity.dcm: Patient's Sex F, Patient's Age 094Y (over 89: written as 90)
    run -0 medcap-csv-clean --format dicom "$DCM/identity.dcm"
    [[ "$output" != *'"sex"'* && "$output" != *'"age"'* ]]
    run -0 bash -c "medcap-img-resize --size 8 <<<'$DCM/identity.dcm' | strings | grep -o '{.*}'"
    [[ "$output" != *'"sex"'* && "$output" != *'"age"'* ]]
    run -0 medcap-csv-clean --format dicom --patient-characteristics "$DCM/identity.dcm"
    [[ "$output" == *'"pixel_spacing":[0.5,0.5],"sex":"female","age":90,'* ]]
    run -0 bash -c "medcap-img-resize --size 8 --patient-characteristics <<<'$DCM/identity.dcm' | strings | grep -o '{.*}'"
    [[ "$output" == *'"sex":"female","age":90'* ]]
    # a record's own keys win
    echo "{\"id\":\"x\",\"image\":\"$DCM/identity.dcm\",\"sex\":\"male\",\"age\":7}" |
        medcap-img-resize --size 8 --patient-characteristics >own.frames
    run -0 bash -c "strings own.frames | grep -o '{.*}'"
    [[ "$output" == *'"sex":"male","age":7'* && "$output" != *female* ]]
    # Patient's Age in days, weeks, months and years, to whole years; other
    # values (and sex O) write nothing
    local age sex want
    for age_sex_want in "800D F 2" "200W M 3" "030M F 2" "045Y M 45" "45Y\x20 F 45" "A45Y F -" "0450 O -"; do
        read -r age sex want <<<"$age_sex_want"
        /usr/bin/python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
age = sys.argv[2].encode().decode('unicode_escape').encode()
b = b.replace(b'094Y', age, 1).replace(b'\x10\x00\x40\x00CS\x02\x00F ', b'\x10\x00\x40\x00CS\x02\x00' + sys.argv[3].encode() + b' ', 1)
open('p.dcm', 'wb').write(b)" "$DCM/identity.dcm" "$age" "$sex"
        run -0 medcap-csv-clean --format dicom --patient-characteristics p.dcm
        case $sex in M) [[ "$output" == *'"sex":"male"'* ]] ;; F) [[ "$output" == *'"sex":"female"'* ]] ;;
                     *) [[ "$output" != *'"sex"'* ]] ;; esac
        if [ "$want" = - ]; then [[ "$output" != *'"age"'* ]]; else [[ "$output" == *"\"age\":$want,"* ]]; fi
    done
    # the other formats write sex and age as their data sets give them
    run -2 --separate-stderr medcap-csv-clean --patient-characteristics "$DATA/csv-clean"
    [[ "$stderr" == *"--patient-characteristics applies to --format dicom only"* ]]
    run -0 medcap-csv-clean --help
    assert_output --partial "--patient-characteristics"
    run -0 medcap-img-resize --help
    assert_output --partial "--patient-characteristics"
    grep -q 'Retain Patient Characteristics' "$ROOT/man/medcap-csv-clean.1"
    grep -q 'Retain Patient Characteristics' "$ROOT/man/medcap-img-resize.1"
}
