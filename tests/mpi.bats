#!/usr/bin/env bats
# medcap-train-mpi: data-parallel training over MPI ranks (Debian OpenMPI).
# Two ranks with half a batch each must reach one process's weights, up to
# float summation order.
load common

setup() {
    T="$BATS_TEST_TMPDIR"
    [ -x "$MEDCAP_BIN/medcap-train-mpi" ] || skip "medcap-train-mpi not built (no mpicc: apt-get install libopenmpi-dev)"
    command -v mpirun > /dev/null || skip "mpirun not installed (openmpi-bin)"
    FR="$DATA/medpix2-16-features.frames"
    # a small decoder: 16 samples, batches of 8, the attention penalty and
    # dropout on, so that every loss term and random stream takes part
    SMALL=(-b 8 --hidden 32 --embed 16 --attn-dim 16 --alpha-c 1 -j 1 -q)
    # containers: no single-copy shared memory (CMA) between the ranks
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    # the sanitized build: OpenMPI's own allocations (and its unloaded
    # plugins') outlive MPI_Finalize; leaks are checked where it matters, in
    # train.bats's runs of the same trainer without MPI (ASan's other checks
    # and UBSan stay on)
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# mpi N ARGS...: medcap-train-mpi on N ranks of this machine
mpi() {
    local n=$1
    shift
    mpirun --allow-run-as-root --oversubscribe -np "$n" "$MEDCAP_BIN/medcap-train-mpi" "$@"
}

# weight_diff A B: the largest absolute difference between two model files'
# tensors (same names and shapes required)
weight_diff() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, struct, sys
import numpy as np
def load(p):
    b = open(p, "rb").read()
    n, = struct.unpack_from("<Q", b, 0)
    h = json.loads(b[8:8 + n])
    return {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], np.float32)
            for k, v in h.items() if k != "__metadata__"}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)
print("%.3g" % max(float(np.abs(a[k] - b[k]).max()) for k in a if a[k].size))
PY
}

@test "mpi: 2 ranks x batch 4 reach 1 process x batch 8's weights after 200 steps (float summation tolerance)" {
    medcap-train "${SMALL[@]}" -e 100 -o "$T/one.st" "$FR" 2> "$T/one.log"
    mpi 2 "${SMALL[@]}" -e 100 -o "$T/two.st" "$FR" 2> "$T/two.log"
    # the same float noise as two OpenBLAS threads instead of one (~1e-3
    # here); batches of 4, or dropout 0.3, move the weights by > 2e-2
    d=$(weight_diff "$T/one.st" "$T/two.st")
    echo "# largest weight difference: $d"
    awk -v d="$d" 'BEGIN { exit !(d < 5e-3) }'
    # rank 0 alone reports: one line per epoch, the same losses
    [ "$(grep -c '^epoch ' "$T/two.log")" -eq 100 ]
    diff <(grep -o 'loss [0-9.]*' "$T/one.log" | tail -3) <(grep -o 'loss [0-9.]*' "$T/two.log" | tail -3)
}

@test "mpi: the same weights differ measurably with another batch (the check above can fail)" {
    medcap-train "${SMALL[@]}" -e 100 -o "$T/one.st" "$FR" 2> /dev/null
    medcap-train "${SMALL[@]}" -b 4 -e 50 -o "$T/b4.st" "$FR" 2> /dev/null
    d=$(weight_diff "$T/one.st" "$T/b4.st")
    awk -v d="$d" 'BEGIN { exit !(d > 5e-3) }'
}

@test "mpi: an interrupted 2-rank run resumes on 2 ranks exactly; 1 process refuses its checkpoint" {
    mpi 2 "${SMALL[@]}" -e 6 -o "$T/full.st" "$FR" 2> /dev/null
    run -0 mpi 2 "${SMALL[@]}" -e 6 -o "$T/part.st" --stop-after 5 --checkpoint "$T/ck" "$FR"
    [ -f "$T/ck" ] && [ ! -f "$T/part.st" ]
    run -2 --separate-stderr medcap-train -q --resume "$T/ck" -o "$T/part.st" "$FR"
    [[ "$stderr" == *"checkpoint was trained by 2 processes; resume it with as many (this run has 1)"* ]]
    mpi 2 -j 1 -q --resume "$T/ck" -o "$T/part.st" "$FR" 2> /dev/null
    cmp "$T/full.st" "$T/part.st"
}

@test "mpi: rank 0 alone writes the model, the checkpoint and the log" {
    cd "$T"
    mpi 2 "${SMALL[@]}" -e 2 -o model.st --log train.log --keep-checkpoint "$FR" 2> /dev/null
    [ -f model.st ] && [ -f model.st.ckpt ]
    [ "$(wc -l < train.log)" -eq 2 ]
    [ -z "$(ls -A | grep -v -x -e model.st -e model.st.ckpt -e train.log)" ]
}

@test "mpi: standard input and the contrastive objective are refused on 2 ranks" {
    run ! --separate-stderr mpi 2 "${SMALL[@]}" -e 1 -o "$T/x.st" - < "$FR"
    [[ "$stderr" == *"with 2 MPI ranks, give the training frames as a file"* ]]
    run ! --separate-stderr mpi 2 -q --objective contrastive -e 1 -o "$T/x.st" "$FR"
    [[ "$stderr" == *"--objective contrastive trains in one process"* ]]
}

@test "mpi: one rank is medcap-train" {
    medcap-train "${SMALL[@]}" -e 3 -o "$T/one.st" "$FR" 2> /dev/null
    mpi 1 "${SMALL[@]}" -e 3 -o "$T/mpi1.st" "$FR" 2> /dev/null
    cmp "$T/one.st" "$T/mpi1.st"
}
