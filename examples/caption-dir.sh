#!/usr/bin/env bash
# caption-dir.sh - the nightly job: caption the images in DIR that have no
# caption yet and append their records to DIR/captions.ndjson.
#
#   examples/caption-dir.sh DIR
#
# Safe to run from cron:
#   - a lock (flock on DIR/.captions.lock) makes a second run that starts while
#     one is still going exit at once (status 0, nothing done);
#   - a record's id is its image's file name (scan.png and scan.jpg are two
#     images); an image whose file name is already the "image" of a record
#     in captions.ndjson is not captioned again (records written before ids
#     kept the extension have the same "image");
#   - new captions are written to a temporary file and joined to
#     captions.ndjson by an atomic rename, so a run killed half-way loses
#     nothing already there and leaves no partial line; the next run redoes
#     the unfinished images.
# Images: .png .jpg .jpeg .tif .tiff .pgm .ppm .webp directly in DIR.
#
# Crontab line (every night at 02:30, log kept beside the captions):
#   30 2 * * * /usr/local/share/medcap/examples/caption-dir.sh /data/studies/new >>/data/studies/new/captions.log 2>&1
#
# Environment: MEDCAP_BIN (programs folder), MEDCAP_MODEL (model file, default
# the shipped one), SIZE (image side the model was trained at, default 128).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="${MEDCAP_BIN:-$here/../bin}:$PATH"
dir=${1:?usage: caption-dir.sh DIR}
[ -d "$dir" ] || { echo "caption-dir.sh: $dir: not a directory" >&2; exit 2; }
model_args=()
[ -n "${MEDCAP_MODEL:-}" ] && model_args=(--model "$MEDCAP_MODEL")
out=$dir/captions.ndjson

exec 9> "$dir/.captions.lock"
if ! flock -n 9; then
    echo "caption-dir.sh: another run holds $dir/.captions.lock; nothing to do" >&2
    exit 0
fi

tmp=$(mktemp "$dir/.captions.XXXXXX")
trap 'rm -f "$tmp" "$tmp.new" "$tmp.list"' EXIT

# Images already captioned, then the images not among them.
touch "$out"
jq -r '.image // .id' "$out" | sort -u > "$tmp.list"
find "$dir" -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \
        -o -iname '*.tif' -o -iname '*.tiff' -o -iname '*.pgm' -o -iname '*.ppm' -o -iname '*.webp' \) \
        -printf '%f\n' | sort \
    | awk -v done="$tmp.list" 'BEGIN { while ((getline f < done) > 0) seen[f] = 1 }
          !($0 in seen)' > "$tmp.new"
n=$(wc -l < "$tmp.new")
if [ "$n" -eq 0 ]; then
    echo "caption-dir.sh: no new images in $dir" >&2
    exit 0
fi

# Caption them; a bad image is skipped and reported (exit 5 from img-resize),
# the others are still captioned.
set +e
jq -R -c '{id: ., image: .}' < "$tmp.new" \
    | medcap img-resize --keep-going --root "$dir" --size "${SIZE:-128}" \
    | medcap encode-features "${model_args[@]}" \
    | medcap decode-caption "${model_args[@]}" --beam 3 > "$tmp"
status=("${PIPESTATUS[@]}")
set -e
for s in "${status[@]}"; do
    if [ "$s" -ne 0 ] && [ "$s" -ne 5 ]; then
        echo "caption-dir.sh: captioning failed (statuses ${status[*]}); $out unchanged" >&2
        exit 1
    fi
done
cat "$out" "$tmp" > "$tmp.new"
mv "$tmp.new" "$out"
echo "caption-dir.sh: captioned $(wc -l < "$tmp") of $n new images in $dir" >&2
[ "${status[1]}" -eq 0 ] || exit 5 # img-resize skipped some
