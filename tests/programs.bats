#!/usr/bin/env bats
# Contracts every installed program keeps: a man page, --help, --version,
# exit 2 on a usage error.
load common

programs() {
    local p
    for p in "$MEDCAP_BIN"/medcap-*; do
        [ -x "$p" ] && basename "$p"
    done
}

@test "every program has a man page that renders without warnings" {
    local p out
    for p in $(programs) medcap; do
        [ -f "$ROOT/man/$p.1" ] || { echo "missing man/$p.1"; return 1; }
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$ROOT/man/$p.1" 2>&1 >/dev/null)
        [ -z "$out" ] || { echo "$p.1: $out"; return 1; }
    done
}

@test "every man page documents the exit statuses" {
    local p
    for p in $(programs); do
        grep -q '^\.SH EXIT STATUS' "$ROOT/man/$p.1" || { echo "$p.1 has no EXIT STATUS"; return 1; }
    done
}

@test "every program keeps the command-line contract" {
    local p
    for p in $(programs); do
        check_cli_contract "$p"
    done
}
