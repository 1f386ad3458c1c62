#!/usr/bin/env bash
# caption-dir.sh - the nightly job: caption the images under DIR that have no
# caption yet and append their records to DIR/captions.ndjson.
#
#   medcap-caption-dir DIR         as make install puts it in PREFIX/bin
#   medcap caption-dir DIR         the same, through the dispatcher
#   examples/caption-dir.sh DIR    in a checkout (the programs of ../bin)
#
# Crontab line (every night at 02:30, log kept beside the captions); cron's
# PATH (/usr/bin:/bin) is enough:
#   30 2 * * * /usr/local/bin/medcap-caption-dir /data/studies/new >>/data/studies/new/captions.log 2>&1
#
# Images: every file under DIR and its sub-folders ending in .png .jpg .jpeg
# .tif .tiff .pgm .ppm .pnm .webp or .dcm, in any case (img-resize reads a
# file by its content, DICOM included).  A record's "id" and "image" are the
# image's path relative to DIR (p1/scan.png and p2/scan.png are two images,
# scan.png and scan.jpg too).  Names holding a newline are not read (reported
# each night).
#
# Safe to run from cron:
#   - a lock (flock on DIR/.captions.lock) makes a second run that starts while
#     one is still going exit at once (status 0, nothing done);
#   - an image that is already the "image" of a record in captions.ndjson is
#     not captioned again;
#   - new captions are written to a temporary file and joined to
#     captions.ndjson by an atomic rename, so a run killed half-way loses
#     nothing already there and leaves no partial line; the next run redoes
#     the unfinished images (and removes the killed run's temporary files);
#   - an image img-resize cannot read is reported (its path and why) and
#     remembered in DIR/captions.rejects, one NDJSON record per image:
#     {"image", "size", "mtime", "reason"}; later runs leave it alone until
#     the file changes (another size or modification time), and then retry it.
#
# Exit status: 0 done (or nothing new, or another run holds the lock); 5 done,
# but some new images were rejected (named on stderr); 1 captioning failed
# (captions.ndjson unchanged); 2 usage; 3 the medcap programs are not found
# (or --help could not be written).  Manual: man/medcap-caption-dir.1.
#
# Environment: MEDCAP_BIN (programs folder; default: the folder of this
# script when it is installed as medcap-caption-dir, else ../bin of it, else
# ../../../bin for PREFIX/share/medcap/examples), MEDCAP_MODEL (model file,
# default the shipped one, found by the programs in PREFIX/share/medcap),
# SIZE (image side the model was trained at, default 128).
set -euo pipefail
export LC_ALL=C
me=$(basename "$0")   # medcap-caption-dir when installed

# The programs: beside this script when installed, else in the checkout's bin/.
here=$(dirname "$(readlink -f "$0")")
bin=${MEDCAP_BIN:-}
if [ -z "$bin" ]; then
    for d in "$here" "$here/../bin" "$here/../../../bin"; do
        if [ -x "$d/medcap-img-resize" ]; then bin=$(cd "$d" && pwd); break; fi
    done
fi

usage() {
    echo "Usage: medcap-caption-dir [OPTIONS] DIR"
    echo "Caption the images under DIR that have no caption yet; append the records"
    echo "to DIR/captions.ndjson; remember unreadable images in DIR/captions.rejects."
    echo
    echo "Options:"
    echo "  -q, --quiet   no notes (nothing new, captioned N), only problems"
    echo "  -h, --help    show this help and exit"
    echo "      --version show the version and exit"
    echo
    echo "Exit status: 0 done or nothing new, 5 some new images rejected, 1 failed,"
    echo "2 usage, 3 the medcap programs not found (set MEDCAP_BIN).  See"
    echo "medcap-caption-dir(1)."
}
# --help and --version on standard output; a failed write is exit 3.
say() {
    local err
    # the write error of echo (bash says "...: write error: REASON") for the message
    { err=$("$@" 2>&1 >&3 3>&-); } 3>&1 ||
        { echo "$me: error writing standard output: ${err##*: }" >&2; exit 3; }
    exit 0
}
version() {
    local v=""
    if [ -n "$bin" ]; then v=$("$bin/medcap" --version 2> /dev/null) || v=""; fi
    echo "medcap-caption-dir ${v:-medcap}"
}
quiet=
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) say usage ;;
    --version) say version ;;
    -q | --quiet) quiet=1; shift ;;
    --) shift; break ;;
    -?*) echo "$me: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) break ;;
    esac
done
# note MESSAGE: what the run did, on standard error (not with --quiet)
note() { [ -n "$quiet" ] || echo "$me: $*" >&2; }
[ $# -gt 0 ] || { echo "$me: missing DIR" >&2; usage >&2; exit 2; }
[ $# -eq 1 ] || { echo "$me: one DIR only" >&2; usage >&2; exit 2; }
dir=$1
[ -d "$dir" ] || { echo "$me: $dir: not a directory" >&2; exit 2; }
if [ -z "$bin" ] || [ ! -x "$bin/medcap-img-resize" ]; then
    echo "$me: cannot find the medcap programs beside $here; set MEDCAP_BIN" >&2
    exit 3
fi
export PATH="$bin:$PATH"
model_args=()
[ -n "${MEDCAP_MODEL:-}" ] && model_args=(--model "$MEDCAP_MODEL")
out=$dir/captions.ndjson
rejects=$dir/captions.rejects

exec 9> "$dir/.captions.lock"
if ! flock -n 9; then
    note "another run holds $dir/.captions.lock; nothing to do"
    exit 0
fi

# what a killed run left (this run holds the lock: no other run is writing)
rm -f "$dir"/.captions.?????? "$dir"/.captions.??????.*
tmp=$(mktemp "$dir/.captions.XXXXXX")
trap 'rm -f "$tmp" "$tmp".*' EXIT

# Every image as "SIZE<TAB>MTIME<TAB>PATH" (PATH relative to DIR, last so
# that it may hold tabs); those captioned; those rejected and unchanged.
touch "$out" "$rejects"
find -H "$dir" -type f ! -path $'*\n*' \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \
        -o -iname '*.tif' -o -iname '*.tiff' -o -iname '*.pgm' -o -iname '*.ppm' -o -iname '*.pnm' \
        -o -iname '*.webp' -o -iname '*.dcm' \) -printf '%s\t%T@\t%P\n' \
    | sort -t $'\t' -k3 > "$tmp.all"
while IFS= read -r -d '' f; do
    echo "$me: ${f#"$dir"/}: a newline in the name; not captioned" >&2
done < <(find -H "$dir" -type f -path $'*\n*' -print0)
jq -r '.image // .id' "$out" > "$tmp.done" || { echo "$me: $out: not NDJSON records" >&2; exit 1; }
# the rejects as pairs of lines: the record, then its "SIZE<TAB>MTIME<TAB>PATH"
jq -r 'tojson, "\(.size)\t\(.mtime)\t\(.image)"' "$rejects" > "$tmp.rej" \
    || { echo "$me: $rejects: not NDJSON records" >&2; exit 1; }
awk -v done="$tmp.done" -v rej="$tmp.rej" '
    BEGIN { while ((getline l < done) > 0) seen[l] = 1
            while ((getline l < rej) > 0 && (getline l < rej) > 0) bad[l] = 1 }
    { p = substr($0, length($1) + length($2) + 3) }
    !(p in seen) && !($0 in bad)' FS='\t' "$tmp.all" > "$tmp.new"
n=$(wc -l < "$tmp.new")
if [ "$n" -eq 0 ]; then
    note "no new images in $dir"
    exit 0
fi

# Caption them; an image img-resize cannot read is skipped (its exit 5) and
# reported on its stderr as "-:LINE: PATH: why", LINE its line in the list.
set +e
cut -f 3- "$tmp.new" | jq -R -c '{id: ., image: .}' \
    | medcap img-resize --keep-going --root "$dir" --size "${SIZE:-128}" 2> "$tmp.err" \
    | medcap encode-features "${model_args[@]}" \
    | medcap decode-caption "${model_args[@]}" --beam 3 > "$tmp"
status=("${PIPESTATUS[@]}")
set -e
for s in "${status[@]}"; do
    if [ "$s" -ne 0 ] && [ "$s" -ne 5 ]; then
        cat "$tmp.err" >&2
        echo "$me: captioning failed (statuses ${status[*]}); $out unchanged" >&2
        exit 1
    fi
done
grep -v -E '^[^ ]*img-resize: -:[0-9]+: |skipped [0-9]+ of [0-9]+ images$' "$tmp.err" >&2 || true

# The new images that got no caption: SIZE, MTIME, why, PATH.
jq -r '.image' "$tmp" > "$tmp.got"
awk -v got="$tmp.got" -v err="$tmp.err" '
    BEGIN { while ((getline l < got) > 0) ok[l] = 1
            while ((getline l < err) > 0)
                if (match(l, /img-resize: -:[0-9]+: /)) {
                    why[substr(l, RSTART + 14) + 0] = substr(l, RSTART + RLENGTH) } }
    { p = substr($0, length($1) + length($2) + 3) }
    !(p in ok) {
        r = (NR in why) ? why[NR] : "no caption written"
        i = index(r, p ": ")
        if (i > 0) r = substr(r, i + length(p) + 2)
        gsub(/\t/, " ", r)
        print $1 "\t" $2 "\t" r "\t" p }' FS='\t' "$tmp.new" > "$tmp.bad"

cat "$out" "$tmp" > "$tmp.out"
mv "$tmp.out" "$out"
# The rejects file: the unchanged rejects of files still there, then tonight's.
awk -v all="$tmp.all" 'BEGIN { while ((getline l < all) > 0) here[l] = 1 }
    NR % 2 == 1 { rec = $0; next }
    $0 in here { print rec }' "$tmp.rej" > "$tmp.rejects"
jq -R -c 'split("\t") | {image: (.[3:] | join("\t")), size: (.[0] | tonumber), mtime: .[1], reason: .[2]}' \
    "$tmp.bad" >> "$tmp.rejects"
mv "$tmp.rejects" "$rejects"

nbad=$(wc -l < "$tmp.bad")
while IFS=$'\t' read -r _ _ why p; do
    echo "$me: $p: $why; not captioned, listed in $rejects (replace the file to retry)" >&2
done < "$tmp.bad"
note "captioned $(wc -l < "$tmp") of $n new images in $dir"
[ "$nbad" -eq 0 ] || exit 5
