#!/usr/bin/env bash
# decoder.sh - medcap-train and medcap-decode-caption (sat-lstm, default
# sizes) against the same Show-Attend-Tell decoder in PyTorch
# (bench/decoder_torch.py), on the same synthetic features, vocabulary,
# hyper-parameters, weights and thread count; PyTorch as installed and
# tuned (OpenMP OpenBLAS and the CPU's OpenBLAS core type).
#
#   bench/decoder.sh [N_TRAIN [N_DECODE]]      THREADS=2 by default
#
# Prints samples/s (training, batch 32, one epoch) and captions/s (greedy
# one image at a time, beam 3, 30 steps) for each, and medcap's ratio to
# each.  medcap's decoding is timed as whole runs of the program (loading
# the model included); PyTorch's around its loop only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${MEDCAP_BIN:-$root/bin}
PATH="$BIN:$PATH"
PY=/usr/bin/python3 # Debian's python3-torch
THREADS=${THREADS:-2}
NTRAIN=${1:-192}
NDEC=${2:-32}
BATCH=32
LR=4e-4
SMOOTH=0.1
CLIP=5
WD=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Tuned PyTorch: Debian's OpenMP build of OpenBLAS (its pthreads fight
# torch's own threads) and the CPU's own kernels.
if grep -q avx512f /proc/cpuinfo; then core=SkylakeX; else core=Haswell; fi
tuned=(env OPENBLAS_CORETYPE=$core LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
       OMP_NUM_THREADS=$THREADS)

# 28 words per caption (30 steps with <bos>/<eos>), 4996 distinct words:
# the vocabulary reaches 5,000 tokens when every word is kept.
"$PY" "$here/synth_features.py" "$NTRAIN" "$tmp/train.frames" --seed 1
"$PY" "$here/synth_features.py" "$NDEC" "$tmp/decode.frames" --seed 2

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", n / (b - a) }'; }
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }

# medcap: one epoch; samples/s of the training loop from its metrics log
# (PyTorch's is timed around its loop too: reading the frames is not counted)
medcap-train --threads "$THREADS" --epochs 1 --batch $BATCH --lr $LR --label-smoothing $SMOOTH \
    --clip $CLIP --weight-decay $WD --warmup 0 --min-freq 1 --seed 1 --log "$tmp/log.ndjson" \
    --output "$tmp/model.safetensors" "$tmp/train.frames" 2>/dev/null
mc_train=$(sed -n 's/.*"samples_per_s":\([0-9.]*\).*/\1/p' "$tmp/log.ndjson")
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
t0=$(now)
medcap-decode-caption --threads "$THREADS" --model "$tmp/decoder.safetensors" --max-len 30 \
    "$tmp/decode.frames" >"$tmp/greedy.ndjson"
t1=$(now)
mc_greedy=$(rate "$NDEC" "$t0" "$t1")
t0=$(now)
medcap-decode-caption --threads "$THREADS" --model "$tmp/decoder.safetensors" --max-len 30 \
    --beam 3 "$tmp/decode.frames" >"$tmp/beam.ndjson"
t1=$(now)
mc_beam=$(rate "$NDEC" "$t0" "$t1")

# PyTorch, as installed and tuned, with medcap's vocabulary and weights
torch_run() { # MODE FRAMES MODEL [ENV...] -> per_s
    local mode=$1 frames=$2 model=$3
    shift 3
    "$@" "$PY" "$here/decoder_torch.py" "$mode" "$frames" "$model" \
        --threads "$THREADS" --batch $BATCH --lr $LR --label-smoothing $SMOOTH --clip $CLIP \
        --weight-decay $WD --max-len 30 --beam 3 --captions "$tmp/torch-$mode.ndjson" |
        field per_s
}
for mode in train greedy beam; do
    frames=$tmp/decode.frames model=$tmp/decoder.safetensors
    [ $mode = train ] && frames=$tmp/train.frames model=$tmp/model.safetensors
    declare "pt_$mode=$(torch_run $mode "$frames" "$model")"
    declare "ptt_$mode=$(torch_run $mode "$frames" "$model" "${tuned[@]}")"
done

# the same weights give the same captions; words per caption
same() {
    "$PY" - "$1" "$2" <<'PY'
import json, sys
a = {r["id"]: r["caption"] for r in map(json.loads, open(sys.argv[1]))}
b = {r["id"]: r["caption"] for r in map(json.loads, open(sys.argv[2]))}
words = sum(len(c.split()) for c in a.values()) / len(a)
print(f"{sum(a[k] == b.get(k) for k in a)} of {len(a)}, {words:.1f} words per caption")
PY
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "decoder benchmark: sat-lstm, $NTRAIN training / $NDEC decoding images, 49x512 grid,"
echo "vocabulary $vocab, $THREADS threads, OpenBLAS core for tuned PyTorch: $core"
printf '%-22s %10s %12s %12s %10s %10s\n' "" medcap "torch" "torch-tuned" "vs torch" "vs tuned"
printf '%-22s %10s %12s %12s %10s %10s\n' "train samples/s" "$mc_train" "$pt_train" "$ptt_train" \
    "$(ratio "$mc_train" "$pt_train")" "$(ratio "$mc_train" "$ptt_train")"
printf '%-22s %10s %12s %12s %10s %10s\n' "greedy captions/s" "$mc_greedy" "$pt_greedy" \
    "$ptt_greedy" "$(ratio "$mc_greedy" "$pt_greedy")" "$(ratio "$mc_greedy" "$ptt_greedy")"
printf '%-22s %10s %12s %12s %10s %10s\n' "beam-3 captions/s" "$mc_beam" "$pt_beam" "$ptt_beam" \
    "$(ratio "$mc_beam" "$pt_beam")" "$(ratio "$mc_beam" "$ptt_beam")"
echo "greedy captions identical to PyTorch's: $(same "$tmp/greedy.ndjson" "$tmp/torch-greedy.ndjson")"
echo "beam-3 captions identical to PyTorch's: $(same "$tmp/beam.ndjson" "$tmp/torch-beam.ndjson")"
