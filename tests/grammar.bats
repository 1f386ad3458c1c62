#!/usr/bin/env bats
# The option grammar of medcap(7) ("OPTIONS EVERY PROGRAM SHARES") against
# every program's --help: a short option means the same thing everywhere,
# an option of the table is spelled with the table's short letter, and
# every program has -h/--help, --version and -q/--quiet.
load common

@test "grammar: man/medcap.7's table matches every program's --help" {
    local bin="${MEDCAP_BIN:-$ROOT/bin}"
    for p in "$bin"/medcap-*; do
        "$p" --help > "$BATS_TEST_TMPDIR/$(basename "$p").help"
    done
    run /usr/bin/python3 - "$ROOT/man/medcap.7" "$BATS_TEST_TMPDIR" <<'PY'
import os, re, sys
man = open(sys.argv[1]).read()
sec = man.split(".SH OPTIONS EVERY PROGRAM SHARES", 1)[1]
rows = sec.split(".TS", 1)[1].split(".TE", 1)[0].strip().split("\n")[1:]
short_of, long_of = {}, {}
for r in rows:
    s, l = [c.replace("\\-", "-") for c in r.split("\t")[:2]]
    l = l[2:]
    if s != "-":
        assert s[1:] not in long_of, "letter %s twice in the table" % s
        long_of[s[1:]] = l
        short_of[l] = s[1:]
bad = []
for name in sorted(os.listdir(sys.argv[2])):
    prog = name[:-len(".help")]
    text = open(os.path.join(sys.argv[2], name)).read()
    shorts = dict(re.findall(r"^\s+-(\w), --([a-z][a-z-]*)", text, re.M))
    longs = set(re.findall(r"^\s+(?:-\w, )?--([a-z][a-z-]*)", text, re.M))
    for s, l in shorts.items():
        if long_of.get(s) != l:
            bad.append("%s: -%s is --%s, the grammar says %s" % (prog, s, l, "--" + long_of[s] if s in long_of else "no -" + s))
    for l in longs:
        if l in short_of and shorts.get(short_of[l]) != l:
            bad.append("%s: --%s without its short option -%s" % (prog, l, short_of[l]))
    for need in ("help", "version", "quiet"):
        if need not in longs:
            bad.append("%s: no --%s" % (prog, need))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "grammar: every deprecated spelling of medcap(7) is still recognised (the warnings: each program's tests)" {
    run -0 /usr/bin/python3 - "$ROOT/man/medcap.7" <<'PY'
import sys
man = open(sys.argv[1]).read()
sec = man.split(".SH OPTIONS EVERY PROGRAM SHARES", 1)[1].split(".SH", 1)[0]
table = sec.split(".TS")[2].split(".TE")[0].strip().split("\n")[2:]
for r in table:
    print("\t".join(c.replace("\\-", "-") for c in r.split("\t")))
PY
    [ "${#lines[@]}" -ge 15 ]
    local bin="${MEDCAP_BIN:-$ROOT/bin}" prog old
    while IFS=$'\t' read -r prog old _; do
        old=${old%% *}; old=${old%,}
        # the old spelling is known to the program: not "unknown option"
        run --separate-stderr "$bin/medcap-$prog" "$old" 2>&1 < /dev/null
        [[ "$stderr" != *"unknown option"* ]] || { echo "medcap-$prog $old: $stderr"; false; }
    done <<<"$output"
}
