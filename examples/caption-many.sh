#!/usr/bin/env bash
# caption-many.sh - caption a long stream of records (or of image frames) in
# shards spread over local cores and over other machines with GNU parallel;
# the captions come out in input order, the same bytes a serial pipe writes.
#
#   medcap-caption-many [OPTIONS] [FILE...]    as make install puts it
#   medcap caption-many [OPTIONS] [FILE...]    through the dispatcher
#   examples/caption-many.sh [OPTIONS] [FILE...]   in a checkout
#
# Each shard (--shard N records, default 1000) runs
#   medcap-img-resize | medcap-encode-features | medcap-decode-caption
# (with --frames, only the last two: the input is img-resize's frames) with
# one OpenBLAS thread per stage, as `parallel --pipe --keep-order` job; the
# stages' results for a record do not depend on the shard it is in, so any
# sharding gives the output of `img-resize | encode-features -j 1 |
# decode-caption -j 1` byte for byte.
#
# Other machines (--sshlogin, --slf: GNU parallel's own options) need the
# medcap programs at the same path as here (make install with one PREFIX on
# every machine, or a shared file system) and, for records, the images at the
# same absolute paths (relative "image" paths are taken from --root, default
# the current folder, made absolute).  Without a shared file system, resize
# here and send the frames: `medcap img-resize ... | medcap caption-many
# --frames --sshlogin HOST`.  A --model file is copied to each machine
# (parallel --basefile, needs rsync there) at the same absolute path.
# Byte-identical output needs the same OpenBLAS kernels on every machine:
# OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE), when set here, is set there too.
#
# A shard that fails (a stage's error, a lost ssh connection) is run again up
# to --retries times, on any machine; the output of a failed try is dropped,
# so nothing is lost or written twice.  Without --keep-going, the first shard
# that still fails stops the run: no new shards start, the running ones are
# stopped, the captions of the shards that finished (and of the failed one,
# up to its bad record) are written in input order, and the exit is 1.
#
# Messages of the stages name the record by its line (or frame) number in the
# whole input, not in its shard.
#
# Exit status: 0 done (also when the reader of standard output goes away:
# | head); 5 done, but --keep-going skipped records (named on stderr); 1 a
# shard failed; 2 usage; 3 the medcap programs, GNU parallel or an input file
# not found, or a write error on standard output (a full disk).  Manual:
# man/medcap-caption-many.1.
#
# Environment: MEDCAP_BIN (the programs' folder; default: beside this script
# when installed as medcap-caption-many, else ../bin of it, else
# ../../../bin for PREFIX/share/medcap/examples), PARALLEL_SSH (the ssh
# command parallel runs, e.g. "ssh -F my_config").
set -euo pipefail
export LC_ALL=C
me=medcap-caption-many

here=$(dirname "$(readlink -f "$0")")
bin=${MEDCAP_BIN:-}
if [ -z "$bin" ]; then
    for d in "$here" "$here/../bin" "$here/../../../bin"; do
        if [ -x "$d/medcap-img-resize" ]; then bin=$(cd "$d" && pwd); break; fi
    done
fi

usage() {
    echo "Usage: medcap-caption-many [OPTIONS] [FILE...]"
    echo "Caption NDJSON records (or image frames, --frames) from FILEs or standard input"
    echo "in shards run by GNU parallel on local cores and ssh logins; captions in input"
    echo "order, byte-identical to one serial pipe."
    echo
    echo "Options:"
    echo "  -m, --model FILE     caption model (default: the shipped one); copied to"
    echo "                       each ssh login at the same path"
    echo "  -r, --root DIR       relative image paths start from DIR (default: .)"
    echo "      --frames         the input is medcap-img-resize's frames, not records"
    echo "      --shard N        records (or frames) per shard (default 1000)"
    echo "  -j, --threads N      shards at once on each machine (default: its cores)"
    echo "      --sshlogin LOGIN run shards on LOGIN too (repeatable; ':' is this"
    echo "                       machine, included only when named if any is given)"
    echo "      --slf FILE       ssh logins from FILE, one per line (parallel's --slf)"
    echo "      --retries N      run a failed shard up to N times in all (default 1)"
    echo "      --beam K         decode-caption's beam width (default 1, greedy)"
    echo "      --keep-going     skip bad records (reported), finish, exit 5"
    echo "  -q, --quiet          no notes, only problems"
    echo "  -h, --help           show this help and exit"
    echo "      --version        show the version and exit"
    echo
    echo "Exit status: 0 done, 5 records skipped (--keep-going), 1 a shard failed,"
    echo "2 usage, 3 the programs, GNU parallel or an input file not found, or a"
    echo "write error on standard output."
    echo "See medcap-caption-many(1)."
}
# --help and --version on standard output; a failed write is exit 3.
say() {
    local err
    { err=$("$@" 2>&1 >&3 3>&-); } 3>&1 ||
        { echo "$me: error writing standard output: ${err##*: }" >&2; exit 3; }
    exit 0
}
version() {
    local v=""
    if [ -n "$bin" ]; then v=$("$bin/medcap" --version 2> /dev/null) || v=""; fi
    echo "medcap-caption-many ${v:-medcap}"
}
die_usage() { echo "$me: $*" >&2; usage >&2; exit 2; }
# need_count OPTION VALUE: VALUE is a whole number >= 1
need_count() { [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || die_usage "$1 needs a whole number >= 1, not '$2'"; }

model= root= frames= shard=1000 threads= retries=1 beam=1 keep_going= quiet=
logins=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) say usage ;;
    --version) say version ;;
    -q | --quiet) quiet=1; shift ;;
    --frames) frames=1; shift ;;
    --keep-going) keep_going=1; shift ;;
    -m | --model | -r | --root | --shard | -j | --threads | --sshlogin | --slf | --retries | --beam)
        [ $# -ge 2 ] || die_usage "$1 needs a value"
        case "$1" in
        -m | --model) model=$2 ;;
        -r | --root) root=$2 ;;
        --shard) need_count "$1" "$2"; shard=$2 ;;
        -j | --threads) need_count "$1" "$2"; threads=$2 ;;
        --sshlogin) logins+=(--sshlogin "$2") ;;
        --slf) [ -r "$2" ] || die_usage "--slf $2: cannot read"; logins+=(--slf "$2") ;;
        --retries) need_count "$1" "$2"; retries=$2 ;;
        --beam) need_count "$1" "$2"; beam=$2 ;;
        esac
        shift 2 ;;
    --) shift; break ;;
    -?*) die_usage "unknown option '$1'" ;;
    *) break ;;
    esac
done
for f in "$@"; do
    [ "$f" = - ] || [ -r "$f" ] || { echo "$me: $f: cannot read" >&2; exit 3; }
done
if [ -z "$bin" ] || [ ! -x "$bin/medcap-img-resize" ]; then
    echo "$me: cannot find the medcap programs beside $here; set MEDCAP_BIN" >&2
    exit 3
fi
command -v parallel > /dev/null || { echo "$me: GNU parallel not found (Debian: apt-get install parallel)" >&2; exit 3; }
if [ -t 0 ] && [ $# -eq 0 ]; then
    what=records
    [ -z "$frames" ] || what=frames
    die_usage "standard input is a terminal; give FILEs or pipe the $what in"
fi
[ -z "$model" ] || [ -r "$model" ] || { echo "$me: $model: cannot read the model" >&2; exit 3; }
[ -z "$root" ] || [ -d "$root" ] || die_usage "--root $root: not a directory"

# The stages of one shard, each a shell-quoted command.
q() { printf '%q ' "$@"; }
common=(-j 1)
[ -z "$quiet" ] || common+=(-q)
[ -z "$keep_going" ] || common+=(--keep-going)
[ -z "$model" ] || common+=(--model "$(readlink -f "$model")")
resize=$(q "$bin/medcap-img-resize" "${common[@]}" --root "$(readlink -f "${root:-.}")")
encode=$(q "$bin/medcap-encode-features" "${common[@]}")
decode=$(q "$bin/medcap-decode-caption" "${common[@]}" --beam "$beam")
if [ -n "$frames" ]; then
    stages="$encode | $decode"
    # a shard of frames is read whole: room for 1000 128 px frames without
    # parallel's "record longer than the block" warnings (it grows the block)
    split=(--recstart $'\x89MCFRAME' --recend '' --block 32M)
else
    stages="$resize | $encode | $decode"
    split=()
fi
# The job: shard $1 of $2-record shards.  Its stages' messages name the
# record's number in the whole input; "skipped" lines become one summary
# the driver adds up.  Exit 0 when every stage ended 0 or 5 (--keep-going
# skips), 1 otherwise (parallel then retries the shard).
job='set -o pipefail
err=$(mktemp) || exit 1
trap '\''rm -f "$err"'\'' EXIT
{ '"$stages"'; s=("${PIPESTATUS[@]}"); } 2> "$err"
rc=0
for x in "${s[@]}"; do case $x in 0 | 5) ;; *) rc=1 ;; esac; done
awk -v off=$(( ($1 - 1) * $2 )) -v shard="$1" -v rc=$rc '\''
    /: skipped [0-9]+ of [0-9]+ /  { skipped += $(NF - 3); next }
    { if (match($0, /: -:[0-9]+: /)) {
          n = substr($0, RSTART + 4, RLENGTH - 6) + off
          $0 = substr($0, 1, RSTART - 1) ": -:" n ": " substr($0, RSTART + RLENGTH)
      } else if (match($0, /: -: frame [0-9]+: /)) {
          n = substr($0, RSTART + 11, RLENGTH - 13) + off
          $0 = substr($0, 1, RSTART - 1) ": -: frame " n ": " substr($0, RSTART + RLENGTH)
      }
      print }
    END { if (skipped && !rc) printf "medcap-caption-many: shard %d: skipped %d\n", shard, skipped }'\'' "$err" >&2
if [ $rc -ne 0 ]; then echo "medcap-caption-many: shard $1: stages exited ${s[*]}" >&2; fi
exit $rc'
export MEDCAP_SHARD_JOB=$job

opts=(--will-cite --pipe -N "$shard" --keep-order --retries "$retries" --env MEDCAP_SHARD_JOB)
# (halt "now": parallel 20221122 never ends a --pipe run with "soon")
[ -n "$keep_going" ] || opts+=(--halt now,fail=1)
[ -z "$threads" ] || opts+=(-j "$threads")
if [ ${#logins[@]} -gt 0 ]; then
    opts+=("${logins[@]}")
    # the same OpenBLAS kernels everywhere: the same sums, the same captions
    for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do [ -z "${!v:-}" ] || opts+=(--env "$v"); done
    [ -z "$model" ] || opts+=(--basefile "$(readlink -f "$model")")
fi

# Run; parallel's standard error through a filter that keeps the skip counts,
# its standard output through cat, which sees a write error that parallel
# ignores (fd 4: this script's standard output).  The statuses of parallel
# and of that cat go to $tmp/status (the group is a subshell).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set +e
{ { cat -- "$@" | parallel "${opts[@]}" "${split[@]}" 'bash -c "$MEDCAP_SHARD_JOB" shard {#}' "$shard" 2>&3 3>&- \
        | cat 2> "$tmp/write" >&4 4>&- 3>&-
    echo "${PIPESTATUS[1]} ${PIPESTATUS[2]}" > "$tmp/status"; } 3>&1 \
    | tee "$tmp/err" | grep -v '^medcap-caption-many: shard [0-9]*: skipped [0-9]*$' >&2; } 4>&1
set -e
read -r rc out < "$tmp/status"
case $out in
0) ;;
141) exit 0 ;; # the reader went away (| head): a quiet end, as the stages have
*) reason=$(tail -n 1 "$tmp/write")
    echo "$me: error writing standard output: ${reason##*: }" >&2
    exit 3 ;;
esac
skipped=$(awk '/^medcap-caption-many: shard [0-9]+: skipped [0-9]+$/ { n += $NF } END { print n + 0 }' "$tmp/err")
case $rc in
0) ;;
[1-9] | [1-9][0-9] | 100)
    echo "$me: $rc shard(s) failed, after $retries tries each; the captions of the shards that finished are written" >&2
    exit 1 ;;
*) echo "$me: GNU parallel failed (status $rc)" >&2; exit 1 ;;
esac
if [ "$skipped" -gt 0 ]; then
    echo "$me: skipped $skipped records (--keep-going)" >&2
    exit 5
fi
exit 0
