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
