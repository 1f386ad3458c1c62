#!/usr/bin/env bash
# decoder.sh - medcap-train and medcap-decode-caption (sat-lstm, default
# sizes) against the same Show-Attend-Tell decoder in PyTorch
# (bench/decoder_torch.py), on the same synthetic features, vocabulary,
# hyper-parameters, weights and thread count; PyTorch as installed and
# tuned with what exists on this machine: torch.set_num_threads and
# set_num_interop_threads, OMP_NUM_THREADS and OPENBLAS_NUM_THREADS (and
# MKL_NUM_THREADS when torch has MKL), the OpenBLAS core medcap uses
# (OPENBLAS_CORETYPE as set, else the CPU's), Debian's OpenMP OpenBLAS when
# it is installed, and decoding under torch.inference_mode.
#
#   bench/decoder.sh [N_TRAIN [N_DECODE]]      THREADS=2 REPEAT=3 by default
#
# Prints samples/s (training, batch 32, one epoch) and captions/s (greedy
# one image at a time, beam 3, 30 steps) for each, the best of REPEAT runs
# of each side, and medcap's speed ratio to each (above 1: medcap faster).
# medcap's decoding is timed as whole runs of the program (loading the
# model included); PyTorch's around its loop only.  Records the OpenBLAS
# core of each side and the load average at start and end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${MEDCAP_BIN:-$root/bin}
PATH="$BIN:$PATH"
PY=/usr/bin/python3 # Debian's python3-torch
THREADS=${THREADS:-2}
NTRAIN=${1:-192}
NDEC=${2:-32}
REPEAT=${REPEAT:-3}
BATCH=32
LR=4e-4
SMOOTH=0.1
CLIP=5
WD=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Tuned PyTorch: the threads everywhere they can be set, the OpenBLAS core
# medcap uses, and Debian's OpenMP build of OpenBLAS (its pthreads fight
# torch's own threads) where it is installed.
core=$(medcap-train --version | sed -n 's/.*OpenBLAS core \(.*\))$/\1/p')
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -q avx512f /proc/cpuinfo; then core=SkylakeX; else core=Haswell; fi
fi
tuned=(env OPENBLAS_CORETYPE="$core" OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS")
omp_blas=/usr/lib/x86_64-linux-gnu/openblas-openmp
torch_blas="OpenBLAS as installed (pthreads)"
if [ -d "$omp_blas" ]; then
    tuned+=(LD_LIBRARY_PATH="$omp_blas")
    torch_blas="OpenMP OpenBLAS ($omp_blas)"
fi
if "$PY" -c 'import sys, torch; sys.exit(not torch.backends.mkl.is_available())' 2>/dev/null; then
    tuned+=(MKL_NUM_THREADS="$THREADS")
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# 28 words per caption (30 steps with <bos>/<eos>), 4996 distinct words:
# the vocabulary reaches 5,000 tokens when every word is kept.
"$PY" "$here/synth_features.py" "$NTRAIN" "$tmp/train.frames" --seed 1
"$PY" "$here/synth_features.py" "$NDEC" "$tmp/decode.frames" --seed 2

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", n / (b - a) }'; }
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }

# best RATE...: the largest of the rates given
best() { printf '%s\n' "$@" | sort -g | tail -1; }

# medcap: one epoch, REPEAT times; samples/s of the training loop from its
# metrics log (PyTorch's is timed around its loop too: reading the frames is
# not counted)
runs=()
for _ in $(seq "$REPEAT"); do
    rm -f "$tmp/log.ndjson"
    medcap-train --threads "$THREADS" --epochs 1 --batch $BATCH --lr $LR --label-smoothing $SMOOTH \
        --clip $CLIP --weight-decay $WD --warmup 0 --min-freq 1 --seed 1 --log "$tmp/log.ndjson" \
        --output "$tmp/model.safetensors" "$tmp/train.frames" 2>/dev/null
    runs+=("$(sed -n 's/.*"samples_per_s":\([0-9.]*\).*/\1/p' "$tmp/log.ndjson")")
done
mc_train=$(best "${runs[@]}")
# Decoding uses the initial weights (--lr 0) with the same vocabulary: an
# untrained decoder hardly ever picks <eos>, so every caption runs the full
# 30 steps (the issue's reference sizes), on both sides.
medcap-train --threads "$THREADS" --epochs 1 --batch $BATCH --lr 0 --warmup 0 --min-freq 1 \
    --seed 1 --output "$tmp/decoder.safetensors" "$tmp/train.frames" 2>/dev/null
vocab=$("$PY" - "$tmp/model.safetensors" <<'PY'
import json, struct, sys
f = open(sys.argv[1], "rb")
meta = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))["__metadata__"]
print(len(json.loads(meta["vocab"])))
PY
)
# mc_decode OUT [OPTION...]: captions/s of the best of REPEAT whole runs
mc_decode() {
    local out=$1 t0 t1 rates=()
    shift
    for _ in $(seq "$REPEAT"); do
        t0=$(now)
        medcap-decode-caption --threads "$THREADS" --model "$tmp/decoder.safetensors" --max-len 30 \
            --no-repeat-ngram 0 "$@" "$tmp/decode.frames" >"$out"
        t1=$(now)
        rates+=("$(rate "$NDEC" "$t0" "$t1")")
    done
    best "${rates[@]}"
}
mc_greedy=$(mc_decode "$tmp/greedy.ndjson")
mc_beam=$(mc_decode "$tmp/beam.ndjson" --beam 3)

# PyTorch, as installed and tuned, with medcap's vocabulary and weights
torch_run() { # MODE FRAMES MODEL [--tuned ENV...] -> per_s, best of REPEAT runs
    local mode=$1 frames=$2 model=$3 flag="" rates=()
    shift 3
    if [ "${1:-}" = --tuned ]; then flag=--tuned; shift; fi
    for _ in $(seq "$REPEAT"); do
        rates+=("$("$@" "$PY" "$here/decoder_torch.py" "$mode" "$frames" "$model" $flag \
            --threads "$THREADS" --batch $BATCH --lr $LR --label-smoothing $SMOOTH --clip $CLIP \
            --weight-decay $WD --max-len 30 --beam 3 --captions "$tmp/torch-$mode.ndjson" |
            field per_s)")
    done
    best "${rates[@]}"
}
for mode in train greedy beam; do
    frames=$tmp/decode.frames model=$tmp/decoder.safetensors
    [ $mode = train ] && frames=$tmp/train.frames model=$tmp/model.safetensors
    declare "pt_$mode=$(torch_run $mode "$frames" "$model")"
    declare "ptt_$mode=$(torch_run $mode "$frames" "$model" --tuned "${tuned[@]}")"
done

# the same weights give the same captions (medcap without its n-gram
# blocking, which the PyTorch loop does not have); words per caption
same() {
    "$PY" - "$1" "$2" <<'PY'
import json, sys
a = {r["id"]: r["caption"] for r in map(json.loads, open(sys.argv[1]))}
b = {r["id"]: r["caption"] for r in map(json.loads, open(sys.argv[2]))}
words = sum(len(c.split()) for c in a.values()) / len(a)
# medcap stops at its model's length (28 words here), PyTorch's loop at 30
same = sum(b.get(k, "").split()[:len(v.split())] == v.split() for k, v in a.items())
print(f"{same} of {len(a)} (PyTorch's cut to medcap's length), {words:.1f} words per caption")
PY
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "decoder benchmark: sat-lstm, $NTRAIN training / $NDEC decoding images, 49x512 grid,"
echo "vocabulary $vocab, $THREADS threads, best of $REPEAT runs of each side"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$(medcap-train --version)${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}"
echo "tuned PyTorch: ${tuned[*]:1}; $torch_blas; interop threads and inference_mode set"
echo "load average at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %10s %12s %12s %10s %10s\n' "" medcap "torch" "torch-tuned" "vs torch" "vs tuned"
printf '%-22s %10s %12s %12s %10s %10s\n' "train samples/s" "$mc_train" "$pt_train" "$ptt_train" \
    "$(ratio "$mc_train" "$pt_train")" "$(ratio "$mc_train" "$ptt_train")"
printf '%-22s %10s %12s %12s %10s %10s\n' "greedy captions/s" "$mc_greedy" "$pt_greedy" \
    "$ptt_greedy" "$(ratio "$mc_greedy" "$pt_greedy")" "$(ratio "$mc_greedy" "$ptt_greedy")"
printf '%-22s %10s %12s %12s %10s %10s\n' "beam-3 captions/s" "$mc_beam" "$pt_beam" "$ptt_beam" \
    "$(ratio "$mc_beam" "$pt_beam")" "$(ratio "$mc_beam" "$ptt_beam")"
echo "greedy captions identical to PyTorch's: $(same "$tmp/greedy.ndjson" "$tmp/torch-greedy.ndjson")"
echo "beam-3 captions identical to PyTorch's: $(same "$tmp/beam.ndjson" "$tmp/torch-beam.ndjson")"
