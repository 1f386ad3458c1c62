#!/usr/bin/env bash
# bench/score.sh - medcap-score against the Python reference
# (tests/fixtures/score_reference.py: pycocoevalcap's BLEU, ROUGE-L and
# CIDEr-D code transcribed, with NumPy) on N=100,000 synthetic caption pairs
# whose words come from the MedPix 2.0 captions of tests/data (a fifth of the
# items with two references).  Both are timed as whole processes, reading
# the same NDJSON; medcap best of 3 on all cores (its default -j) and best of
# 3 with --threads 1, the reference once.  Prints wall and CPU times, the
# ratios (the reference against medcap, medcap one thread against all), the
# OpenBLAS core of the build and the load average, and checks that both
# give the same BLEU-4, ROUGE-L and CIDEr-D and that medcap's summary is
# the same byte for byte with one thread and with all.
#
#   bench/score.sh [N]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MEDCAP_BIN:-$ROOT/bin}"
N="${1:-100000}"
PY=/usr/bin/python3 # Debian's python3-numpy
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$PY" - "$ROOT/tests/data/medpix2-descriptions-dev-80.jsonl" "$N" "$tmp" <<'PYEOF'
import json, random, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = [w for l in open(src, encoding="utf-8") if l.strip()
         for w in (json.loads(l)["Description"]["Caption"] or "").split()]
rng = random.Random(1)
def caption():
    return " ".join(rng.choice(words) for _ in range(rng.randint(6, 24)))
def perturb(c):
    ws = c.split()
    for i in range(len(ws)):
        if rng.random() < 0.3:
            ws[i] = rng.choice(words)
    return " ".join(ws[:max(1, len(ws) - rng.randint(0, 4))])
with open(out + "/refs.ndjson", "w") as r, open(out + "/preds.ndjson", "w") as p:
    for i in range(n):
        refs = [caption() for _ in range(2 if i % 5 == 0 else 1)]
        rec = {"id": str(i), "references": refs} if len(refs) > 1 else {"id": str(i), "caption": refs[0]}
        r.write(json.dumps(rec) + "\n")
        p.write(json.dumps({"id": str(i), "caption": perturb(refs[0])}) + "\n")
PYEOF

# timed CMD...: "wall cpu" seconds of one run (cpu = user + sys; other
# users of the machine stretch the wall time more than the CPU time).
timed() {
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$@" >"$tmp/out.json"; } 2>&1 )
    echo "$t" | awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }'
}
# best_of NAME ARGS...: medcap-score ARGS three times; sets NAME_wall and
# NAME_cpu to the best wall and CPU times and keeps its output in NAME.json.
best_of() {
    local name=$1 w c bw="" bc=""
    shift
    for _ in 1 2 3; do
        read -r w c < <(timed "$BIN/medcap-score" "$@" --refs "$tmp/refs.ndjson" "$tmp/preds.ndjson")
        if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc)" = 1 ]; then bw=$w; fi
        if [ -z "$bc" ] || [ "$(echo "$c < $bc" | bc)" = 1 ]; then bc=$c; fi
    done
    cp "$tmp/out.json" "$tmp/$name.json"
    printf -v "${name}_wall" %s "$bw"
    printf -v "${name}_cpu" %s "$bc"
}
best_of medcap
best_of one --threads 1
cmp "$tmp/medcap.json" "$tmp/one.json" # the same summary for any number of threads
best=$medcap_wall best_cpu=$medcap_cpu
read -r ref ref_cpu < <(timed "$PY" "$ROOT/tests/fixtures/score_reference.py" "$tmp/refs.ndjson" "$tmp/preds.ndjson")
cp "$tmp/out.json" "$tmp/ref.json"

"$PY" - "$tmp/medcap.json" "$tmp/ref.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for sec, key in (("bleu", "bleu_4"), ("rouge_l", "f"), ("cider_d", "score")):
    x, y = a[sec][key], b[sec][key]
    ok = abs(x - y) <= 1e-9 * max(1.0, abs(y))
    print("%s.%s: medcap %.12f reference %.12f %s" % (sec, key, x, y, "agree" if ok else "DIFFER"))
    if not ok:
        sys.exit(1)
PYEOF
echo "pairs: $N; $(nproc) online cores; OpenBLAS core $("$BIN/medcap-encode-features" --version | sed 's/.*core \([^)]*\)).*/\1/')"
echo "medcap-score (all cores): $best s wall, $best_cpu s CPU (best of 3)"
echo "medcap-score --threads 1: $one_wall s wall, $one_cpu s CPU (best of 3)"
echo "python reference (pycocoevalcap code): $ref s wall, $ref_cpu s CPU"
echo "threads: all cores $(echo "scale=2; $one_wall / $best" | bc)x faster than one (wall)"
echo "speed-up: $(echo "scale=1; $ref / $best" | bc)x wall, $(echo "scale=1; $ref_cpu / $best_cpu" | bc)x CPU"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
