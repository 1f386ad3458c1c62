#!/usr/bin/env bats
# Crafted caption models and features (issue 17, findings 2-4): a grid whose
# size overflows, metadata that asks for gigabytes the file does not hold,
# non-finite weights and non-finite features are refused with a message
# and the documented exit status, before anything large is allocated.
load common

FEAT="$DATA/medpix2-16-features.frames"

setup_file() {
    medcap-train --min-freq 1 --hidden 16 --embed 8 --attn-dim 8 --epochs 1 --threads 1 \
        -o "$BATS_FILE_TMPDIR/m.st" "$FEAT" 2>/dev/null
}

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# craft IN OUT PYTHON: rewrite safetensors IN as OUT; PYTHON edits the
# header h (a dict), meta (its __metadata__) and data (a bytearray).
craft() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, struct, sys
src, dst, code = sys.argv[1:4]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
meta = h["__metadata__"]
data = bytearray(b[8 + n:])
exec(code)
hj = json.dumps(h).encode()
hj += b" " * (-len(hj) % 8)
open(dst, "wb").write(struct.pack("<Q", len(hj)) + hj + bytes(data))
EOF
}

@test "a grid whose size overflows an int is refused (finding 2)" {
    craft "$BATS_FILE_TMPDIR/m.st" g.st 'meta["grid"] = "[4,1073741825]"'
    run -4 --separate-stderr medcap-decode-caption -m g.st --attention "$FEAT"
    assert_output ""
    [[ "$stderr" == *"g.st: metadata 'grid' is missing or does not match"* ]]
}

@test "metadata that asks for more than the file holds is refused before allocating (finding 3)" {
    # a vocabulary of 2 million tokens and a hidden state of 8000: gigabytes
    # of tensors that the file does not have
    craft "$BATS_FILE_TMPDIR/m.st" big.st '
c = json.loads(meta["config"]); c["hidden"] = 8000; c["vocab"] = 2000000; meta["config"] = json.dumps(c)
meta["vocab"] = json.dumps(json.loads(meta["vocab"]) + ["w%d" % i for i in range(2000000 - len(json.loads(meta["vocab"])))])'
    [ "$(stat -c %s big.st)" -lt 40000000 ]
    # under a 600 MB address-space limit: exit 4 (model), not 70 (out of memory);
    # AddressSanitizer reserves terabytes of address space, so no limit there
    local limit="ulimit -v 600000;"
    [[ "$(ldd "$(command -v medcap-decode-caption)")" != *libasan* ]] || limit=""
    run -4 --separate-stderr bash -c "$limit medcap-decode-caption -m big.st '$FEAT'"
    [[ "$stderr" == *"big.st: tensor 'decoder."*"has shape"*"expected"* ]]
    run -4 --separate-stderr bash -c "$limit medcap-train --init big.st -o x.st '$FEAT'"
    [[ "$stderr" == *"big.st: tensor 'decoder."* ]]
    [ ! -e x.st ]
}

@test "non-finite weights are refused at load (finding 4)" {
    craft "$BATS_FILE_TMPDIR/m.st" nan.st '
t = h["decoder.out.bias"]; o = t["data_offsets"][0]; data[o:o + 4] = struct.pack("<f", float("nan"))'
    run -4 --separate-stderr medcap-decode-caption -m nan.st "$FEAT"
    assert_output ""
    [[ "$stderr" == *"nan.st: tensor 'decoder.out.bias' holds a non-finite value (nan at element 0)"* ]]
    craft "$BATS_FILE_TMPDIR/m.st" inf.st '
t = h["heads.modality.weight"] if "heads.modality.weight" in h else h["decoder.embedding.weight"]
o = t["data_offsets"][0] + 8; data[o:o + 4] = struct.pack("<f", float("-inf"))'
    run -4 --separate-stderr medcap-train --init inf.st -o x.st "$FEAT"
    [[ "$stderr" == *"inf.st: tensor '"*"' holds a non-finite value (-inf at element 2)"* ]]
}

@test "non-finite features are bad input naming the record (finding 4)" {
    python3 - "$FEAT" <<'EOF' > nan.frames
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
meta_len = struct.unpack("<I", b[32:36])[0]
pay_len = struct.unpack("<Q", b[40:48])[0]
p = 64 + (meta_len + 63) // 64 * 64
b[p + 4:p + 8] = struct.pack("<f", float("nan"))
b[52:56] = struct.pack("<I", zlib.crc32(bytes(b[p:p + pay_len])))
b[60:64] = struct.pack("<I", zlib.crc32(bytes(b[0:60])))
sys.stdout.buffer.write(bytes(b))
EOF
    run -1 --separate-stderr medcap-decode-caption -m "$BATS_FILE_TMPDIR/m.st" nan.frames
    assert_output ""
    [[ "$stderr" == *"nan.frames:1: record 'MPX1024_synpic40275': feature value nan at element 1 is not finite"* ]]
    run -1 --separate-stderr medcap-train --epochs 1 -o x.st nan.frames
    [[ "$stderr" == *"nan.frames:1: record 'MPX1024_synpic40275': feature value nan at element 1 is not finite"* ]]
    [ ! -e x.st ]
}
