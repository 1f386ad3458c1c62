#!/usr/bin/env bats
# medcap-report: the review page (rendered in a real browser, Debian's
# chromium headless), its safety against hostile text, bad input, --dir and
# the attention overlay PNG.
load common

# The example images captioned with the shipped model (with attention),
# scored against their references: the run every page test starts from.
setup_file() {
    local d="$BATS_FILE_TMPDIR" img="$BATS_TEST_DIRNAME/../examples/images"
    export RUN="$d/captions.ndjson" IMG="$img"
    PATH="${MEDCAP_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
    medcap-img-resize --root "$img" --size 128 < "$img/records.ndjson" \
        | OPENBLAS_NUM_THREADS=1 medcap-encode-features > "$d/features.frames"
    OPENBLAS_NUM_THREADS=1 medcap-decode-caption --beam 3 --attention "$d/features.frames" > "$RUN"
    jq -c '.caption = .reference' "$img/records.ndjson" > "$d/refs.ndjson"
    medcap-score --refs "$d/refs.ndjson" --per-item "$d/per-item.ndjson" "$RUN" > "$d/scores.json"
    # neighbours: the example images indexed, each query finding the others
    medcap-index -o "$d/examples.idx" "$d/features.frames" 2>/dev/null
    jq -c 'select(.case_id) | {U_id: .case_id, Case: {Title: ("case " + .case_id), Findings: .reference}}' \
        "$img/records.ndjson" > "$d/kb.jsonl"
    OPENBLAS_NUM_THREADS=1 medcap-retrieve -i "$d/examples.idx" -n 3 --kb "$d/kb.jsonl" \
        "$d/features.frames" 2>/dev/null | jq -c '{id, neighbors}' > "$d/neighbors.ndjson"
    printf '%s\n' '{"epoch":1,"loss":4.1,"val_loss":3.9,"val_bleu4":0.02}' \
        '{"epoch":2,"loss":3.2,"val_loss":3.3,"val_bleu4":0.05,"val_cider":0.11}' \
        '{"epoch":3,"loss":2.8,"val_loss":3.1,"val_bleu4":0.07,"val_cider":0.18}' > "$d/train.log"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# chromium headless with a fresh profile: "browse ARGS... URL"; stderr (the
# console messages) goes to browser.err, the network log to net.json.
browse() {
    rm -rf profile
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$PWD/profile" \
        --enable-logging=stderr --v=0 --log-net-log="$PWD/net.json" "$@" 2> browser.err
}

need_chromium() {
    command -v chromium >/dev/null ||
        skip "chromium is not installed (apt-get install chromium): the browser tests cannot run"
}

# No console message and no request the page made other than file: and data:
# (the browser's own service requests have no page as initiator).
assert_quiet_page() {
    if grep -a 'CONSOLE' browser.err; then
        echo "the page wrote to the console"
        return 1
    fi
    run -0 python3 - net.json <<'PY'
import json, sys
text = open(sys.argv[1]).read().rstrip().rstrip(',')
if not text.endswith('}'):
    text += ']}'
events = json.loads(text)['events']
bad = sorted({e['params']['url'] for e in events
              if e.get('params', {}).get('initiator', 'not an origin') != 'not an origin'
              and 'url' in e['params'] and not e['params']['url'].startswith(('file:', 'data:'))})
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
}

@test "report: the page of the example run renders in chromium with each item, caption, field, neighbour and score" {
    need_chromium
    run -0 medcap-report --root "$IMG" --scores "$BATS_FILE_TMPDIR/scores.json" --per-item "$BATS_FILE_TMPDIR/per-item.ndjson" \
        --log "$BATS_FILE_TMPDIR/train.log" --neighbor-images "$IMG/records.ndjson" -o page.html \
        "$RUN" "$BATS_FILE_TMPDIR/neighbors.ndjson"
    # one browser start: the screenshot and the DOM of the same page load
    browse --window-size=1280,2000 --screenshot="$PWD/shot.png" --dump-dom "file://$PWD/page.html" > dom.html
    assert_quiet_page
    # not blank: many distinct grey levels, not one colour
    run -0 python3 -c "import sys, zlib, struct
d = open('shot.png','rb').read()
w, h = struct.unpack('>II', d[16:24])
idat = b''; p = 8
while p < len(d):
    n, = struct.unpack('>I', d[p:p+4]); t = d[p+4:p+8]
    if t == b'IDAT': idat += d[p+8:p+8+n]
    p += 12 + n
raw = zlib.decompress(idat)
print(w, h, len(set(raw[::97])))"
    read -r w h levels <<< "$output"
    [ "$w" -eq 1280 ] && [ "$levels" -gt 40 ]
    [ "$(grep -c '<article class="item"' dom.html)" -eq 9 ]
    while read -r id; do
        grep -q "data-id=\"$id\"" dom.html || { echo "no item $id"; return 1; }
    done < <(jq -r .id "$RUN")
    # each caption, word by word in its attention spans; fields; neighbours; scores
    run -0 python3 - dom.html "$RUN" <<'PY'
import html, json, re, sys
dom = open(sys.argv[1]).read()
arts = re.findall(r'<article class="item".*?</article>', dom, re.S)
for rec, art in zip(map(json.loads, open(sys.argv[2])), arts):
    assert 'data-id="%s"' % rec['id'] in art, rec['id']
    cap = re.search(r'<p class="caption"[^>]*>(.*?)</p>', art, re.S).group(1)
    assert html.unescape(re.sub(r'<[^>]+>', '', cap)) == rec['caption'], (cap, rec['caption'])
    assert len(re.findall(r'class="w[ "]', cap)) == len(rec['attention']), rec['id']
    assert '<ul class="fields"' in art and 'modality</span>: <span class="v">' in art, rec['id']
    assert len(re.findall(r'<li class="nb">', art)) == 3, rec['id']
    assert '<table class="scores"' in art and 'cider_d' in art, rec['id']
    assert 'Research software, not a diagnosis' in dom
print(len(arts))
PY
    assert_output 9
    grep -q '<summary>MedPix case MPX1009: case MPX1009</summary>' dom.html
    grep -q '<cite>quoted from MedPix case MPX1009</cite>' dom.html
    grep -q '<output id="count">9 of 9 items shown</output>' dom.html
    grep -q 'modality: 9 of 9 items right' dom.html
    grep -q 'aria-label="Loss per epoch"' dom.html
}

@test "report: hovering a word draws its attention map (deep link #item-N/wK), no console error" {
    need_chromium
    medcap-report --root "$IMG" -o page.html "$RUN"
    browse --dump-dom "file://$PWD/page.html#item-1/w3" > dom.html
    assert_quiet_page
    grep -q '<canvas height="224" width="224" aria-hidden="true">' dom.html
    grep -Eq '<p class="legend">attention of “[^”]+”: peak [0-9.]+× uniform</p>' dom.html
}

@test "report: sorting and filtering in the page (controls preset in the HTML, as a person would set them)" {
    need_chromium
    medcap-report --root "$IMG" --per-item "$BATS_FILE_TMPDIR/per-item.ndjson" -o page.html "$RUN"
    grep -q '<option value="s:cider_d">cider_d</option>' page.html
    sed -e 's|<option value="s:cider_d">|<option value="s:cider_d" selected>|' \
        -e 's|<option value="desc">|<option value="desc" selected>|' page.html > sorted.html
    browse --dump-dom "file://$PWD/sorted.html" > dom.html
    assert_quiet_page
    run -0 python3 -c "import re, sys
v = [float(x) for x in re.findall(r'<article [^>]*data-s-cider_d=\"([^\"]+)\"', open('dom.html').read())]
print(len(v), v == sorted(v, reverse=True), v[0] > v[-1])"
    assert_output "9 True True"
    sed -e 's|<input type="search" id="q"|<input type="search" id="q" value="mpx1074"|' page.html > found.html
    browse --dump-dom "file://$PWD/found.html" > dom.html
    grep -q '<output id="count">1 of 9 items shown</output>' dom.html
    [ "$(grep -c '<article class="item"[^>]*hidden' dom.html)" -eq 8 ]
    grep '<article class="item"[^>]*data-id="MPX1074_synpic24653"' dom.html | grep -vq hidden
    sed -e 's|<option value="x:modality">|<option value="x:plane" selected>|' page.html > wrong.html
    browse --dump-dom "file://$PWD/wrong.html" > dom.html
    # plane predicted wrong: the items whose true and predicted planes differ
    want=$(jq -r 'select(.plane != null) | .id as $id | (.caption | capture("plane: (?<p>[^,]+)").p) as $p | select($p != .plane) | $id' "$RUN" | wc -l)
    grep -q "<output id=\"count\">$want of 9 items shown</output>" dom.html
}

@test "report: hostile ids, captions, knowledge and file names are shown as text, never run" {
    need_chromium
    jq -c 'select(.id == "19abe1f3")' "$RUN" > one.ndjson
    cat > hostile.ndjson <<'EOF2'
{"id":"x\"><img src=x onerror=\"document.body.setAttribute('data-pwned','id')\">","caption":"<img src=x onerror=document.body.setAttribute('data-pwned','img')>","reference":"</script><script>document.body.setAttribute('data-pwned','ref')</script>","fields":{"modality":{"value":"<b>mr</b>","p":0.5},"x\" onclick=\"y":{"value":"v","p":0.1}},"neighbors":[{"id":"<svg onload=alert(1)>","case_id":"<i>c</i>","caption":"</textarea><script>document.body.setAttribute('data-pwned','nb')</script>","knowledge":{"diagnosis":"<iframe src=javascript:alert(1)>","</dt><script>x</script>":"y"}}],"interpretation":"<script>document.body.setAttribute('data-pwned','interp')</script>","image":"<img src=x>.png"}
EOF2
    printf '%s\n' '{"id":"x\"><img src=x onerror=\"document.body.setAttribute('"'"'data-pwned'"'"','"'"'id'"'"')\">","</style><script>z</script>":1,"cider_d":0.5}' > per.ndjson
    run -5 --separate-stderr medcap-report --keep-going --root "$IMG" --per-item per.ndjson --title '</title><script>alert(1)</script>' \
        -o page.html one.ndjson hostile.ndjson
    [[ "$stderr" == *"<img src=x>.png"* ]]
    grep -c '<script' page.html | grep -qx 1  # our own script only
    browse --dump-dom "file://$PWD/page.html" > dom.html
    assert_quiet_page
    run -1 grep -q '<body[^>]*data-pwned' dom.html  # the hostile text names the attribute; the body must not carry it
    [ "$(grep -c '<script' dom.html)" -eq 1 ]
    run -1 grep -Eq '<(img|svg|iframe|b|i) [^>]*(src=x|onload|javascript)' dom.html
    run -1 grep -q '<b>mr</b>' dom.html
    # the text the page shows is the data's text
    run -0 python3 - dom.html hostile.ndjson <<'PY'
import html, json, re, sys
dom = open(sys.argv[1]).read()
rec = json.loads(open(sys.argv[2]).read())
def text(pattern):
    return html.unescape(re.sub(r'<[^>]+>', '', re.search(pattern, dom, re.S).group(1)))
art = re.search(r'<article class="item"[^>]*data-order="1".*?</article>', dom, re.S).group(0)
assert text(r'<article class="item"[^>]*data-order="1".*?<h2>(.*?)</h2>') == rec['id']
assert text(r'data-order="1".*?<p class="caption"[^>]*>(.*?)</p>') == rec['caption']
assert text(r'data-order="1".*?<section class="ref">.*?<blockquote>(.*?)</blockquote>') == rec['reference']
assert text(r'<title>(.*?)</title>') == '</title><script>alert(1)</script>'
assert '&lt;iframe src=javascript:alert(1)&gt;' in art
assert '&lt;/textarea&gt;&lt;script&gt;' in art
PY
}

@test "report: --dir writes index.html and the thumbnails as files; the page loads them from file://" {
    need_chromium
    run -0 medcap-report --root "$IMG" --dir out "$RUN"
    [ -f out/index.html ]
    [ "$(ls out/thumbs | wc -l)" -eq 9 ]
    run -1 grep -q 'data:image' out/index.html
    grep -q 'data-src="thumbs/000000.jpg"' out/index.html
    browse --dump-dom "file://$PWD/out/index.html" > dom.html
    assert_quiet_page
    # the script gave the images in view their source
    grep -q '<img loading="lazy" decoding="async" width="[0-9]*" height="[0-9]*" alt="19abe1f3" src="thumbs/000000.jpg">' dom.html
}

@test "report: the page is self-contained: no URL but data: and its own thumbnails, a CSP that allows nothing else" {
    run -0 medcap-report --root "$IMG" -o page.html "$RUN"
    grep -q "default-src 'none'; img-src data: 'self'; style-src 'sha256-" page.html
    run -1 grep -Eq '(src|href)="(https?:|//)' page.html
    run -1 grep -Eq '@import|url\(' page.html
    [ "$(grep -o 'src="data:image/jpeg;base64,' page.html | wc -l)" -eq 9 ]
    grep -q 'loading="lazy"' page.html
    # the CSP hashes are those of the style and the script
    run -0 python3 - page.html <<'PY'
import base64, hashlib, re, sys
s = open(sys.argv[1]).read()
for tag, src in (('style', 'style-src'), ('script', 'script-src')):
    body = re.search(r'<%s>(.*?)</%s>' % (tag, tag), s, re.S).group(1)
    h = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    assert ("%s 'sha256-%s'" % (src, h)) in s, tag
PY
}

@test "report: an unreadable image is an error (exit 1, no page); --keep-going shows a placeholder, exit 5" {
    cp "$IMG"/*.png "$IMG"/*.jpg .
    head -c 300 MPX1009_synpic46283.png > cut.png
    jq -c 'if .id == "MPX1009_synpic46283" then .image = "cut.png" else . end' "$RUN" > run.ndjson
    run -1 --separate-stderr medcap-report --root . -o page.html run.ndjson
    [[ "$stderr" == *"record 'MPX1009_synpic46283': ./cut.png: cannot read image"* ]]
    [ ! -e page.html ]
    run -5 --separate-stderr medcap-report --root . --keep-going -o page.html run.ndjson
    [[ "$stderr" == *"./cut.png: cannot read image"* ]]
    [[ "$stderr" == *"1 image(s) shown as placeholders"* ]]
    [ "$(grep -c '<article class="item"' page.html)" -eq 9 ]
    grep -q 'class="box ph" role="img"' page.html
    run -1 --separate-stderr medcap-report --root nowhere -o page.html run.ndjson
    [[ "$stderr" == *"nowhere/19abe1f3.jpg: cannot open: No such file or directory"* ]]
    # an output that cannot be written fails first, before any image is read
    run -3 --separate-stderr medcap-report --root nowhere -o no/such/page.html run.ndjson
    [[ "$stderr" == *"no/such/page.html.tmp."*"cannot create"* ]]
    [[ "$stderr" != *"cannot open"* ]]
    run -3 --separate-stderr bash -c 'medcap-report --keep-going --root . run.ndjson > /dev/full'
    [[ "$stderr" == *"No space left on device"* ]]
}

@test "report: thumbnails are upright (EXIF orientation) and fit the box" {
    python3 "$ROOT/tests/exif_orientation.py" set "$DATA/images/quadrants.jpg" 6 q6.jpg
    printf '%s\n' '{"id":"q6","image":"q6.jpg"}' '{"id":"q","image":"quadrants.jpg"}' > r.ndjson
    cp "$DATA/images/quadrants.jpg" .
    run -0 medcap-report --root . --thumb 48 -o page.html r.ndjson
    [ "$(grep -o '<img loading="lazy" decoding="async" width="[0-9]*" height="[0-9]*"' page.html | sed 's/.*width="//; s/" height="/x/; s/"//' | tr '\n' ' ')" = "24x48 48x24 " ]
}

@test "report: bad records: malformed JSON, bad fields, attention grids of two shapes; --keep-going leaves them out" {
    jq -c 'select(.id == "19abe1f3")' "$RUN" > one.ndjson
    printf '{"id":"a","caption":"x y"\n' > broken.ndjson
    run -1 --separate-stderr medcap-report broken.ndjson
    [[ "$stderr" == *"broken.ndjson:1: malformed JSON"* ]]
    assert_output ""
    jq -c '.attention[1] = [[0.5, 0.5]]' one.ndjson > att.ndjson
    run -1 --separate-stderr medcap-report att.ndjson
    [[ "$stderr" == *"record '19abe1f3': \"attention\" grids are not all of one shape"* ]]
    # maps for tokens the caption lost (an unknown word is left out of it): no word hover, the mean map stays
    jq -c '.caption = "one two"' one.ndjson > lost.ndjson
    run -0 medcap-report --root "$IMG" lost.ndjson
    [[ "$output" == *'<p class="caption" data-att="4 4 '*'">one two</p>'* ]]
    n=$(jq '.attention | length' one.ndjson)
    [[ "$output" == *"The decoder attended for $n tokens, not all of them in the caption"* ]]
    [[ "$output" == *'class="whole"'* ]]
    echo '{"id":"f","caption":"c","fields":{"modality":{"value":"mr","p":2}}}' > fields.ndjson
    run -1 --separate-stderr medcap-report fields.ndjson
    [[ "$stderr" == *"record 'f': \"fields\".\"modality\" is not {\"value\": string, \"p\": number from 0 to 1}"* ]]
    run -5 --separate-stderr medcap-report --keep-going one.ndjson broken.ndjson fields.ndjson
    [ "$(grep -c '<article class="item"' <<< "$output")" -eq 1 ]
    [[ "$stderr" == *"2 bad record(s) left out"* ]]
    run -1 --separate-stderr medcap-report "$BATS_FILE_TMPDIR/features.frames"
    [[ "$stderr" == *"expected NDJSON records, got binary frames"* ]]
    run -3 --separate-stderr medcap-report no-such-file.ndjson
    run -1 --separate-stderr medcap-report --log broken.ndjson one.ndjson
    [[ "$stderr" == *"broken.ndjson:1: not a training log line"* ]]
}

@test "report: records of the same id in several files are merged; --refs and --per-item join by id" {
    printf '%s\n' '{"id":"a","caption":"axial ct of the chest"}' '{"id":"b","caption":"mr"}' > caps.ndjson
    printf '%s\n' '{"id":"a","image":null,"logprob":-2.5}' > more.ndjson
    printf '%s\n' '{"id":"a","references":["ct of the chest","chest ct"]}' '{"id":"zz","caption":"unused"}' > refs.ndjson
    printf '%s\n' '{"id":"b","prediction":"mr","bleu_4":0.25,"cider_d":1.5}' > per.ndjson
    run -0 medcap-report --refs refs.ndjson --per-item per.ndjson caps.ndjson more.ndjson
    [ "$(grep -c '<article class="item"' <<< "$output")" -eq 2 ]
    [[ "$output" == *'data-id="a" data-s-logprob="-2.5"'* ]]
    [[ "$output" == *'data-id="b" data-s-bleu_4="0.25" data-s-cider_d="1.5"'* ]]
    [[ "$output" == *'<blockquote><mark>ct</mark> <mark>of</mark> <mark>the</mark> <mark>chest</mark></blockquote>'* ]]
    [[ "$output" == *'<blockquote><mark>chest</mark> <mark>ct</mark></blockquote>'* ]]
    [[ "$output" != *unused* ]]
}

@test "report: integer ids (COCO's \"id\": 1) join string ones" {
    printf '%s\n' '{"id":1,"caption":"axial ct of the chest"}' > caps.ndjson
    printf '%s\n' '{"id":"1","references":["chest ct"]}' > refs.ndjson
    run -0 medcap-report --refs refs.ndjson caps.ndjson
    [ "$(grep -c '<article class="item"' <<< "$output")" -eq 1 ]
    [[ "$output" == *'data-id="1"'* ]]
    [[ "$output" == *'<blockquote><mark>chest</mark> <mark>ct</mark></blockquote>'* ]]
}

@test "report --overlay: a PNG of a word's attention over the image; errors name the record" {
    run -0 medcap-report --root "$IMG" --overlay all.png --item MPX1074_synpic24653 "$RUN"
    run -0 vipsheader -f width all.png
    assert_output "$(vipsheader -f width "$IMG/MPX1074_synpic24653.png")"
    run -0 medcap-report --root "$IMG" --overlay w1.png --item MPX1074_synpic24653 --word 1 --size 64 "$RUN"
    run -0 vipsheader -f height w1.png
    assert_output 64
    # the heat map changes the image: the overlay differs from the plain image
    vips colourspace "$IMG/MPX1074_synpic24653.png" plain.v srgb
    run -0 vips subtract all.png plain.v diff.v
    run -0 vips max diff.v
    [ "${output%.*}" -gt 20 ]
    run -1 --separate-stderr medcap-report --root "$IMG" --overlay x.png --item nope "$RUN"
    [[ "$stderr" == *"no record with id 'nope'"* ]]
    run -1 --separate-stderr medcap-report --root "$IMG" --overlay x.png --word 99 "$RUN"
    n=$(jq -s '.[0].attention | length' "$RUN")
    [[ "$stderr" == *"record '19abe1f3': --word 99, but it has $n attention maps"* ]]
    jq -c 'del(.attention)' "$RUN" > noatt.ndjson
    run -1 --separate-stderr medcap-report --root "$IMG" --overlay x.png noatt.ndjson
    [[ "$stderr" == *"has no attention maps"* ]]
    [ ! -e x.png ]
}

@test "report: usage errors exit 2" {
    run -2 --separate-stderr medcap-report -o a.html --dir d
    [[ "$stderr" == *"--output and --dir cannot both be given"* ]]
    run -2 --separate-stderr medcap-report --word 2
    run -2 --separate-stderr medcap-report --fit wide
    run -2 --separate-stderr medcap-report --thumb 9
    check_cli_contract medcap-report
}

@test "report: 300 items with attention in a few seconds, the page grows linearly" {
    jq -c 'select(.id == "MPX1074_synpic24653")' "$RUN" > one.ndjson
    jq -c 'range(1; 301) as $i | .id += "-" + ($i | tostring)' one.ndjson > many.ndjson  # ids one-1 .. one-300
    start=$(date +%s%N)
    run -0 medcap-report --root "$IMG" -o many.html many.ndjson
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "300 items: $ms ms"
    [ "$ms" -lt 20000 ]
    [ "$(grep -c '<article class="item"' many.html)" -eq 300 ]
}

@test "report: empty input is exit 0 with nothing written" {
    run -0 --separate-stderr medcap-report -o page.html < /dev/null
    [[ "$stderr" == *"no records in the input: no page written"* ]]
    [ ! -e page.html ]
    run -0 --separate-stderr medcap-report -q < /dev/null
    [ -z "$output" ] && [ -z "$stderr" ]
}
