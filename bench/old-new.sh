#!/usr/bin/env bash
# bench/old-new.sh - two builds of medcap side by side on the same inputs:
# encode-features (ResNet-18, 224 px, batch 1 and 16), decode-caption
# (greedy and beam 3 on MedPix 2.0 dev images' features, shipped model),
# medcap-train (one epoch of synthetic features) and medcap-score (100,000
# synthetic pairs), each a whole process, old and new interleaved, best of
# REPEAT wall times, with the ratio old/new (above 1: new faster).
#
#   bash bench/old-new.sh OLD_BIN NEW_BIN      (REPEAT=3; DATA=../shared/data)
# Copy each build's bin/ first (cp -rL bin /tmp/new): bin/ is relinked by builds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OLD="${1:?usage: bench/old-new.sh OLD_BIN NEW_BIN}" NEW="${2:?usage: bench/old-new.sh OLD_BIN NEW_BIN}"
DATA="${DATA:-$ROOT/../shared/data}" REPEAT="${REPEAT:-3}" PY=/usr/bin/python3
MODEL="$ROOT/share/medcap/model.safetensors"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# inputs: ResNet-18 frames and weights, MedPix dev features, synthetic
# training features, score pairs
"$PY" "$ROOT/tests/encoder_helper.py" images 32 3 224 224 > "$tmp/img.fr"
"$PY" -c "
import importlib.util, torchvision
spec = importlib.util.spec_from_file_location('exp', '$ROOT/examples/export-torchvision.py')
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
m.write('$tmp/w.safetensors', torchvision.models.resnet18(weights=None).state_dict(), {'arch': 'resnet18'})"
ls "$DATA/medpix2/dev" | grep -i '\.png$' | head -200 |
    awk '{ printf "{\"id\":\"r%05d\",\"image\":\"dev/%s\"}\n", NR, $0 }' > "$tmp/recs.ndjson"
"$NEW/medcap-img-resize" --model "$MODEL" --root "$DATA/medpix2" "$tmp/recs.ndjson" |
    "$NEW/medcap-encode-features" --model "$MODEL" > "$tmp/feats.fr"
"$PY" "$ROOT/bench/synth_features.py" 1024 "$tmp/train.frames" --seed 1 > /dev/null
"$PY" - "$ROOT/tests/data/medpix2-descriptions-dev-80.jsonl" 100000 "$tmp" <<'PY'
import json, random, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = [w for l in open(src, encoding="utf-8") if l.strip()
         for w in (json.loads(l)["Description"]["Caption"] or "").split()]
rng = random.Random(1)
with open(out + "/refs.ndjson", "w") as r, open(out + "/preds.ndjson", "w") as p:
    for i in range(n):
        ref = " ".join(rng.choice(words) for _ in range(rng.randint(6, 24)))
        pred = " ".join(w if rng.random() < 0.6 else rng.choice(words) for w in ref.split())
        r.write(json.dumps({"id": str(i), "caption": ref}) + "\n")
        p.write(json.dumps({"id": str(i), "caption": pred}) + "\n")
PY

secs() { # CMD...: wall seconds of one run
    local s
    s="$(date +%s.%N)"
    "$@" > /dev/null 2>&1
    awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
}
row() { # NAME CMD (with @BIN@ for the build's folder)
    local name="$1" cmd="$2" o=() n=()
    for _ in $(seq "$REPEAT"); do
        o+=("$(secs bash -c "${cmd//@BIN@/$OLD}")")
        n+=("$(secs bash -c "${cmd//@BIN@/$NEW}")")
    done
    awk -v n="$name" -v o="$(printf '%s\n' "${o[@]}" | sort -g | head -1)" \
        -v w="$(printf '%s\n' "${n[@]}" | sort -g | head -1)" \
        'BEGIN { printf "%-46s %8.3f s %8.3f s %7.2fx\n", n, o, w, o / w }'
}

echo "old: $OLD; new: $NEW; $(nproc) cores, OpenBLAS core $("$NEW/medcap-decode-caption" --version | sed 's/.*core \(.*\))/\1/')"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-46s %10s %10s %8s\n' run old new old/new
row "encode-features resnet18 224 px, 32, batch 1" "@BIN@/medcap-encode-features --model $tmp/w.safetensors -j2 --batch 1 $tmp/img.fr"
row "encode-features resnet18 224 px, 32, batch 16" "@BIN@/medcap-encode-features --model $tmp/w.safetensors -j2 --batch 16 $tmp/img.fr"
row "decode-caption greedy, 200 MedPix, -j 2" "@BIN@/medcap-decode-caption --model $MODEL -j2 $tmp/feats.fr"
row "decode-caption beam 3, 200 MedPix, -j 2" "@BIN@/medcap-decode-caption --model $MODEL -j2 --beam 3 $tmp/feats.fr"
row "decode-caption greedy, 200 MedPix, -j 1" "@BIN@/medcap-decode-caption --model $MODEL -j1 $tmp/feats.fr"
row "train 1 epoch, 1,024 synthetic, batch 32, -j 2" "@BIN@/medcap-train -j2 --epochs 1 --batch 32 --warmup 0 --min-freq 1 --seed 1 -q --output $tmp/m.st $tmp/train.frames"
row "score 100,000 pairs" "@BIN@/medcap-score --refs $tmp/refs.ndjson $tmp/preds.ndjson"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
