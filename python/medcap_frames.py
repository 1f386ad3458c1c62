"""Read and write medcap frame streams (medcap-frame(5)) in Python.

A frame stream is what medcap-img-resize and medcap-encode-features write:
each frame is one tensor (uint8, uint16 or float32, up to 4 dimensions) plus
its JSON record.  This module needs NumPy and nothing else outside the
standard library.

Reading::

    import medcap_frames
    for record, array in medcap_frames.read_frames("x.frames"):
        print(record["id"], array.dtype, array.shape)

``read_frames`` takes a path, ``"-"`` (standard input) or a binary file
object (so ``gzip.open("x.frames.gz")`` works, although the medcap programs
themselves read plain frames only).  It checks exactly what medcap's C
reader checks, in the same order, before reading the metadata and payload:
the magic, the header CRC32, the version, the dtype, ndim of at most 4,
dims past ndim being 0, the shape without 64-bit overflow, metadata of at
most 16 MiB, a payload of at most 4 GiB that matches shape and dtype; then
the metadata and payload CRC32s, and that the metadata is a JSON object with
a non-empty string "id" (as medcap-frame-info and medcap-frame-to-npy do;
an id that is a whole number, as COCO's "id": 1, is taken as its decimal
string "1", in the record dict too, as the C stages take it).  The
metadata must be exactly one JSON object in UTF-8 without NUL bytes, as
medcap-frame-to-npy --npz and the stages that read records require
(medcap-frame-info's parser also lets text after the object pass).
Bad input raises ``FrameError`` (a ``ValueError``) whose message names the
input and the frame number, e.g. ``x.frames: frame 2: frame payload CRC
mismatch`` (the words after the frame number are the C programs').  A
clean end of input before a frame's first byte ends the stream; anything
shorter inside a frame is a truncated frame.

The arrays are writable NumPy arrays of the frame's dtype (``uint8``,
``<u2``, ``<f4``) and shape (``()`` for ndim 0); images are [C, H, W].
``read_frames(src, raw=True)`` yields the record's JSON text as bytes,
untouched, instead of a dict.

Writing::

    with open("mine.frames", "wb") as f:
        medcap_frames.write_frame(f, {"id": "a", "image": "a.png"}, array)

``write_frame`` writes the frame medcap's C writer would write for the same
record text and tensor, byte for byte: a dict record is serialised as
cJSON_PrintUnformatted does (the C stages' own serialiser: no spaces, keys in
order, UTF-8 as is, integral numbers in int range as integers, other floats
as %.15g or %.17g, NaN and infinity as null); a str or bytes record is
written as given.  The array must be uint8, uint16 or float32 (other
dtypes are refused, not cast) with at most 4 dimensions.

As a program, ``python3 medcap_frames.py [FILE...]`` (or ``python3 -m
medcap_frames`` with this folder on PYTHONPATH) prints one line per frame,
as medcap-frame-info does: ID, DTYPE, SHAPE, BYTES, CRC, tab-separated.
"""

import json
import math
import os
import struct
import sys
import zlib

import numpy as np

__all__ = ["FrameError", "read_frames", "write_frame", "dumps_record", "MAGIC"]

MAGIC = b"\x89MCFRAME"
HEADER = 64
VERSION = 1
MAX_META = 16 << 20
MAX_PAYLOAD = 1 << 32
_SIZE_MAX = 1 << 64  # the C reader counts in 64-bit size_t
_DTYPES = {1: np.dtype("u1"), 2: np.dtype("<u2"), 3: np.dtype("<f4")}
_NAMES = {1: "u8", 2: "u16", 3: "f32"}
_CODES = {np.dtype("u1"): 1, np.dtype("<u2"): 2, np.dtype("<f4"): 3}
_ZEROS = bytes(64)


class FrameError(ValueError):
    """A bad frame: .source is the input's name, .frame its number (from 1)."""

    def __init__(self, source, frame, what):
        super().__init__("%s: frame %d: %s" % (source, frame, what))
        self.source, self.frame, self.what = source, frame, what


def _pad64(n):
    return (64 - n % 64) % 64


def _read_full(f, n):
    """Up to n bytes from f: fewer only at the end of input."""
    parts, got = [], 0
    while got < n:
        b = f.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _read_into(f, buf):
    """Fill the writable bytes-like buf from f; the number of bytes read."""
    view, got = memoryview(buf).cast("B"), 0
    readinto = getattr(f, "readinto", None)
    while got < len(view):
        if readinto is not None:
            k = readinto(view[got:])
        else:
            b = f.read(len(view) - got)
            view[got:got + len(b)] = b
            k = len(b)
        if not k:
            break
        got += k
    return got


def _check_header(h):
    """The header fields of the 64 bytes h, or an error text (as frame.c)."""
    if h[:8] != MAGIC:
        return "not a medcap frame (bad magic)"
    if struct.unpack_from("<I", h, 60)[0] != zlib.crc32(h[:60]):
        return "frame header CRC mismatch"
    version, dtype, ndim = struct.unpack_from("<HBB", h, 8)
    if version != VERSION:
        return "unsupported frame version %d" % version
    if dtype not in _DTYPES:
        return "unknown dtype %d" % dtype
    if ndim > 4:
        return "ndim %d is over 4" % ndim
    dims = struct.unpack_from("<4I", h, 16)
    count = 1
    for i in range(4):
        if i < ndim:
            count *= dims[i]
            if count >= _SIZE_MAX:
                return "shape overflows"
        if i >= ndim and dims[i] != 0:
            return "dimension %d set beyond ndim %d" % (i, ndim)
    meta_len, = struct.unpack_from("<I", h, 32)
    payload_len, crc_meta, crc_payload = struct.unpack_from("<QII", h, 40)
    if meta_len > MAX_META:
        return "metadata of %d bytes is over the %d cap" % (meta_len, MAX_META)
    if payload_len > MAX_PAYLOAD:
        return "payload of %d bytes is over the cap" % payload_len
    nbytes = count * _DTYPES[dtype].itemsize
    if nbytes >= _SIZE_MAX or nbytes != payload_len:
        return "payload of %d bytes does not match shape and dtype" % payload_len
    return dtype, dims[:ndim], meta_len, payload_len, crc_meta, crc_payload


def _norm_id(rec):
    """rec's "id" as the C readers take it (mc_record_norm_id): a non-empty
    string, or a whole number of at most 2^53 in size made its decimal
    string (COCO's "id": 1 is "1") in rec; else None."""
    i = rec.get("id")
    if isinstance(i, (int, float)) and not isinstance(i, bool):
        try:
            v = float(i)  # as cJSON holds a number
        except OverflowError:
            return None
        if not abs(v) <= 2.0 ** 53 or v != math.floor(v):
            return None
        i = rec["id"] = "%.0f" % (v + 0.0)  # (-0 is "0")
    return i if isinstance(i, str) and i else None


def _parse_record(meta):
    """The record dict of metadata bytes, or None when it is not one."""
    if b"\0" in meta:
        return None
    try:
        rec = json.loads(meta.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return None
    if not isinstance(rec, dict) or _norm_id(rec) is None:
        return None
    return rec


_NOT_RECORD = 'metadata is not a JSON record with a string "id"'


def _frames(f, name, check_crc):
    """Yield (meta bytes, record or None, array, crc_ok) for each frame of f."""
    no = 0
    while True:
        h = _read_full(f, HEADER)
        if not h:
            return
        no += 1
        if no == 1 and h[:1] == b"{":
            raise FrameError(name, no, "input is NDJSON records, not frames")
        if len(h) < HEADER:
            raise FrameError(name, no, "truncated frame: header ends after %d of 64 bytes" % len(h))
        fields = _check_header(h)
        if isinstance(fields, str):
            raise FrameError(name, no, fields)
        dtype, dims, meta_len, payload_len, crc_meta, crc_payload = fields
        meta = _read_full(f, meta_len)
        if len(meta) < meta_len or len(_read_full(f, _pad64(HEADER + meta_len))) < _pad64(HEADER + meta_len):
            raise FrameError(name, no, "truncated frame: metadata ends after %d of %d bytes"
                             % (len(meta), meta_len))
        arr = np.empty(dims, dtype=_DTYPES[dtype])
        got = _read_into(f, arr) if payload_len else 0
        if got < payload_len or len(_read_full(f, _pad64(payload_len))) < _pad64(payload_len):
            raise FrameError(name, no, "truncated frame: payload ends after %d of %d bytes"
                             % (got, payload_len))
        crc_ok = True
        if zlib.crc32(meta) != crc_meta:
            crc_ok = False
            if check_crc:
                raise FrameError(name, no, "frame metadata CRC mismatch")
        if zlib.crc32(memoryview(arr).cast("B") if payload_len else b"") != crc_payload:
            crc_ok = False
            if check_crc:
                raise FrameError(name, no, "frame payload CRC mismatch")
        rec = _parse_record(meta) if crc_ok else None
        if crc_ok and rec is None:
            raise FrameError(name, no, _NOT_RECORD)
        yield meta, rec, arr, crc_ok


def _open(src):
    """(file object, name for messages, whether to close it)."""
    if src is None or src == "-":
        return sys.stdin.buffer, "-", False
    if isinstance(src, (str, bytes, os.PathLike)):
        return open(src, "rb"), os.fsdecode(src), True
    return src, getattr(src, "name", "<stream>"), False


def read_frames(src="-", raw=False):
    """Yield (record, array) for every frame of src: a path, "-" (standard
    input) or a binary file object.  record is a dict (with raw=True the
    metadata's JSON bytes as written); array a NumPy array of the frame's
    dtype and shape.  Raises FrameError (a ValueError) naming the frame on bad
    input; OSError when src cannot be read."""
    f, name, close = _open(src)
    try:
        for meta, rec, arr, _ in _frames(f, name, True):
            yield (meta if raw else rec), arr
    finally:
        if close:
            f.close()


def _number(x):
    """A number as cJSON_PrintUnformatted prints it (cJSON 1.7)."""
    d = float(x)
    if math.isnan(d) or math.isinf(d):
        return "null"
    clamped = max(-2 ** 31, min(2 ** 31 - 1, int(d)))
    if d == clamped:
        return "%d" % clamped
    s = "%1.15g" % d
    return s if float(s) == d else "%1.17g" % d


_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(s):
    return '"' + "".join(_ESC.get(c) or ("\\u%04x" % ord(c) if c < " " else c) for c in s) + '"'


def _dump(v, out):
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_string(v))
    elif isinstance(v, (int, float, np.integer, np.floating)):
        out.append(_number(v))
    elif isinstance(v, dict):
        out.append("{")
        for i, (k, x) in enumerate(v.items()):
            if not isinstance(k, str):
                raise TypeError("record keys must be strings, not %r" % (k,))
            out.append("," if i else "")
            out.append(_string(k) + ":")
            _dump(x, out)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for i, x in enumerate(v):
            out.append("," if i else "")
            _dump(x, out)
        out.append("]")
    else:
        raise TypeError("cannot write %s in a record" % type(v).__name__)


def dumps_record(record):
    """The JSON text (bytes) medcap's C stages write for a record dict."""
    out = []
    _dump(record, out)
    return "".join(out).encode("utf-8")


def write_frame(f, record, array):
    """Write one frame to the binary file object f: record (a dict, or its
    JSON text as str or bytes, written as given) and array (uint8, uint16 or
    float32, at most 4 dimensions).  Raises ValueError, writing nothing, for
    what medcap's readers would refuse: another dtype, more than 4
    dimensions, metadata over 16 MiB, a payload over 4 GiB, a record that is
    not a JSON object with a non-empty string "id"."""
    if isinstance(record, dict):
        meta = dumps_record(record)
    elif isinstance(record, str):
        meta = record.encode("utf-8")
    else:
        meta = bytes(record)
    if _parse_record(meta) is None:
        raise ValueError(_NOT_RECORD)
    if len(meta) > MAX_META:
        raise ValueError("metadata of %d bytes is over the %d cap" % (len(meta), MAX_META))
    a = np.asarray(array)
    code = _CODES.get(a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype)
    if code is None:
        raise ValueError("dtype %s cannot be a frame: use uint8, uint16 or float32" % a.dtype)
    if a.ndim > 4:
        raise ValueError("%d dimensions: a frame has at most 4" % a.ndim)
    if any(d >= 1 << 32 for d in a.shape):
        raise ValueError("dimension over 2^32 - 1 in shape %s" % (a.shape,))
    a = a.astype(_DTYPES[code], order="C", copy=False)  # (ascontiguousarray makes 0-d 1-d)
    if a.nbytes > MAX_PAYLOAD:
        raise ValueError("payload of %d bytes is over the 4 GiB cap" % a.nbytes)
    payload = memoryview(a.reshape(-1)).cast("B")
    dims = list(a.shape) + [0] * (4 - a.ndim)
    h = MAGIC + struct.pack("<HBBI4IIIQIII", VERSION, code, a.ndim, 0, *dims, len(meta), 0,
                            a.nbytes, zlib.crc32(meta), zlib.crc32(payload), 0)
    h += struct.pack("<I", zlib.crc32(h))
    f.write(h)
    f.write(meta)
    f.write(_ZEROS[:_pad64(HEADER + len(meta))])
    f.write(payload)
    f.write(_ZEROS[:_pad64(a.nbytes)])


def _info_line(meta, rec, arr, crc_ok):
    """A line as medcap-frame-info prints it."""
    if rec is None:  # a CRC mismatch: the id if the damaged text still has one
        try:
            rec = json.loads(meta.split(b"\0")[0].decode("utf-8", "replace"))
        except ValueError:
            rec = None
        if not isinstance(rec, dict) or _norm_id(rec) is None:
            rec = None
    shape = "x".join(str(d) for d in arr.shape) if arr.ndim else "scalar"
    return "%s\t%s\t%s\t%d\t%s" % (rec["id"] if rec else "?", _NAMES[_CODES[arr.dtype]], shape,
                                   arr.nbytes, "ok" if crc_ok else "crc-mismatch")


def main(argv=None):
    """Print medcap-frame-info's line for each frame of each FILE ("-" or
    none: standard input).  Exit status 0, or 1 for bad input (a CRC
    mismatch is reported on its frame's line, as frame-info does), 2 for a
    usage error, 3 when a file cannot be read."""
    argv = sys.argv[1:] if argv is None else argv
    prog = "medcap_frames"
    if argv and argv[0] in ("-h", "--help"):
        print("Usage: python3 -m medcap_frames [FILE...]\n"
              "Print one line per medcap frame: ID, DTYPE, SHAPE, BYTES, CRC (tab-separated),\n"
              "as medcap-frame-info does.  Reads standard input when no FILE (or '-') is given.")
        return 0
    opts = [a for a in argv if a.startswith("-") and a != "-"]
    if opts:
        print("%s: unknown option '%s'" % (prog, opts[0]), file=sys.stderr)
        return 2
    bad = 0
    for src in argv or ["-"]:
        try:
            f, name, close = _open(src)
        except OSError as e:
            print("%s: %s: cannot open: %s" % (prog, src, e.strerror), file=sys.stderr)
            return 3
        try:
            for no, (meta, rec, arr, crc_ok) in enumerate(_frames(f, name, False), 1):
                if not crc_ok:
                    bad += 1
                    sys.stdout.flush()
                    print("%s: %s: frame %d: CRC mismatch" % (prog, name, no), file=sys.stderr)
                print(_info_line(meta, rec, arr, crc_ok))
        except FrameError as e:
            sys.stdout.flush()
            print("%s: %s" % (prog, e), file=sys.stderr)
            return 1
        finally:
            if close:
                f.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
