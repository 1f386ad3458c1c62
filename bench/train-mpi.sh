#!/usr/bin/env bash
# train-mpi.sh - training speed of one process with 2 OpenBLAS threads
# against 2 MPI ranks with 1 thread each (medcap-train-mpi), on this
# machine, in the same run: the default decoder (sat-lstm, embed 256,
# hidden 512, attention 512), --batch 32, on synthetic 7x7x512 feature
# frames with 28-word captions (bench/synth_features.py), so only the
# decoder trains.  Also prints the gradient bytes each step's allreduce
# moves (the model's float count x 4), for docs/scale.md's model.
#
#   bench/train-mpi.sh [N_IMAGES [EPOCHS]]     default 1024 images, 1 epoch
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${MEDCAP_BIN:-$root/bin}
PATH="$BIN:$PATH"
N=${1:-1024}
EPOCHS=${2:-1}
[ -x "$BIN/medcap-train-mpi" ] || { echo "train-mpi.sh: no $BIN/medcap-train-mpi (install libopenmpi-dev, make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_MCA_btl_vader_single_copy_mechanism=none
/usr/bin/python3 "$here/synth_features.py" "$N" "$tmp/train.frames" --seed 1

# rate LOG: mean samples/s over the log's epochs
rate() { awk -F'"samples_per_s":' '{ split($2, a, /[,}]/); s += a[1]; n++ } END { printf "%.1f", s / n }' "$1"; }

echo "train-mpi: $N images, $EPOCHS epoch(s), batch 32, default sat-lstm; OpenBLAS core $(medcap-train --version | sed 's/.*core \([^)]*\)).*/\1/'); load $(cut -d' ' -f1-3 /proc/loadavg)"
medcap-train -q -j 2 -e "$EPOCHS" -b 32 --min-freq 1 --log "$tmp/one.log" -o "$tmp/one.st" \
    "$tmp/train.frames" 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
mpirun --allow-run-as-root --oversubscribe -np 2 "$BIN/medcap-train-mpi" -q -j 1 -e "$EPOCHS" -b 32 \
    --min-freq 1 --log "$tmp/two.log" -o "$tmp/two.st" "$tmp/train.frames" 2> "$tmp/err" \
    || { cat "$tmp/err"; exit 1; }
one=$(rate "$tmp/one.log")
two=$(rate "$tmp/two.log")
floats=$(/usr/bin/python3 -c '
import json, struct, sys
b = open(sys.argv[1], "rb").read(8)
n, = struct.unpack("<Q", b)
h = json.loads(open(sys.argv[1], "rb").read()[8:8 + n])
print(sum((v["data_offsets"][1] - v["data_offsets"][0]) // 4 for k, v in h.items() if k != "__metadata__"))' "$tmp/one.st")
echo "1 rank x 2 threads:  $one samples/s"
echo "2 ranks x 1 thread:  $two samples/s  ($(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", a / b }')x)"
echo "gradient per step:   $floats floats, $(awk -v f="$floats" 'BEGIN { printf "%.1f", f * 4 / 1e6 }') MB"
