# common.bash - loaded by every bats file: paths, bats-assert, helpers.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
MEDCAP_BIN="${MEDCAP_BIN:-$ROOT/bin}"
PATH="$MEDCAP_BIN:$PATH"
DATA="$ROOT/tests/data"
export OPENBLAS_NUM_THREADS=1
export MEDCAP_SHARE="${MEDCAP_SHARE:-$ROOT/share/medcap}"
# python3 is Debian's (numpy, pydicom: what make deps installs), as the
# helper scripts' #!/usr/bin/python3 says, also where a version manager's
# shim comes first on PATH (pyenv's costs seconds a call on a busy machine).
if [ -x /usr/bin/python3 ]; then
    python3() { /usr/bin/python3 "$@"; }
    export -f python3
fi
# A pipeline fails when any of its commands fails, not only the last: a
# program that dies in `prog | jq -e ...` fails the test.  (A bare `! cmd`
# in the middle of a test never fails it: write `run -1 cmd` or `run ! cmd`.)
set -o pipefail

# Shared checks every program must pass: --help on stdout with exit 0,
# --version, and a usage error with exit 2 and nothing on stdout.
check_cli_contract() {
    local prog=$1
    run -0 "$prog" --help
    assert_output --partial "Usage: $prog"
    run -0 "$prog" --version
    assert_output --partial "$prog"
    run -2 --separate-stderr "$prog" --no-such-option
    assert_output ""
    [[ "$stderr" == *"$prog:"* ]]
}

# damage_frame IN N OUT: IN with one byte of frame N's payload flipped (its
# CRC no longer matches; the stream stays in step), written to OUT.
damage_frame() {
    /usr/bin/python3 - "$@" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
at, n = 0, int(sys.argv[2])
pad = lambda x: (x + 63) // 64 * 64
for i in range(1, n + 1):
    meta_len, = struct.unpack_from("<I", b, at + 32)
    payload_len, = struct.unpack_from("<Q", b, at + 40)
    if i == n:
        b[at + 64 + pad(meta_len)] ^= 0xff
    at += 64 + pad(meta_len) + pad(payload_len)
open(sys.argv[3], "wb").write(b)
PY
}
