#!/usr/bin/env bats
# medcap-caption-many: shards over cores and (loopback) machines with GNU
# parallel; the output must be the serial pipe's, byte for byte.
load common

# 300 records over the 48 MedPix slice images and the 9 example images
# (ids made unique), and the serial pipe's captions of them, once per file.
setup_file() {
    export MEDCAP_BIN
    local W="$BATS_FILE_TMPDIR" i=0 f
    mkdir -p "$W/img"
    for f in "$DATA"/medpix-slice/train/*.png "$DATA"/medpix-slice/dev/*.png "$ROOT"/examples/images/*.{png,jpg}; do
        cp "$f" "$W/img/"
    done
    ls "$W/img" > "$W/names"
    while [ $i -lt 300 ]; do
        while read -r f && [ $i -lt 300 ]; do
            printf '{"id":"r%03d","image":"%s"}\n' "$i" "$f"
            i=$((i + 1))
        done < "$W/names"
    done > "$W/recs.ndjson"
    medcap-img-resize -j 1 --root "$W/img" "$W/recs.ndjson" > "$W/frames"
    medcap-encode-features -j 1 "$W/frames" | medcap-decode-caption -j 1 > "$W/serial.ndjson"
    head -120 "$W/recs.ndjson" | medcap-img-resize -j 1 --root "$W/img" > "$W/frames120"
}

setup() {
    T="$BATS_TEST_TMPDIR"
    W="$BATS_FILE_TMPDIR"
    command -v parallel > /dev/null || skip "GNU parallel is not installed"
}

@test "caption-many: CLI contract" {
    check_cli_contract medcap-caption-many
    run -0 medcap caption-many --help
    assert_output --partial "Usage: medcap-caption-many"
}

@test "caption-many: 300 records serially, and in shards of 7 and of 100 on 2 workers: byte-identical" {
    [ "$(wc -l < "$W/serial.ndjson")" -eq 300 ]
    medcap-caption-many --root "$W/img" --shard 7 -j 2 "$W/recs.ndjson" > "$T/s7"
    cmp "$W/serial.ndjson" "$T/s7"
    medcap-caption-many --root "$W/img" --shard 100 -j 2 < "$W/recs.ndjson" > "$T/s100"
    cmp "$W/serial.ndjson" "$T/s100"
}

@test "caption-many: --frames shards image frames at their magic; same output" {
    medcap-caption-many --frames --shard 50 -j 2 < "$W/frames120" > "$T/f50"
    head -120 "$W/serial.ndjson" | cmp - "$T/f50"
}

@test "caption-many: --keep-going skips a bad image, names it by its line in the whole input, exit 5" {
    head -40 "$W/recs.ndjson" > "$T/r40"
    sed -i '23s/"image":"[^"]*"/"image":"missing.png"/' "$T/r40"
    run -5 --separate-stderr medcap-caption-many --root "$W/img" --shard 10 --keep-going "$T/r40"
    [ "${#lines[@]}" -eq 39 ]
    [[ "$stderr" == *"medcap-img-resize: -:23: $W/img/missing.png: cannot open"* ]]
    [[ "$stderr" == *"medcap-caption-many: skipped 1 records (--keep-going)"* ]]
    [[ "$stderr" != *"skipped 1 of 10"* ]]
    # the others are the serial captions
    grep -v '"id":"r022"' <(head -40 "$W/serial.ndjson") | cmp - <(printf '%s\n' "${lines[@]}")
}

@test "caption-many: without --keep-going a bad shard stops the run, exit 1, finished shards written" {
    head -40 "$W/recs.ndjson" > "$T/r40"
    sed -i '23s/"image":"[^"]*"/"image":"missing.png"/' "$T/r40"
    run -1 --separate-stderr medcap-caption-many --root "$W/img" --shard 10 -j 1 --retries 2 "$T/r40"
    [[ "$stderr" == *"medcap-img-resize: -:23: "*"missing.png: cannot open"* ]]
    [[ "$stderr" == *"medcap-caption-many: 1 shard(s) failed, after 2 tries each"* ]]
    # shards 1 and 2 whole, in order; nothing after the bad shard (one worker)
    [ "${#lines[@]}" -ge 20 ] && [ "${#lines[@]}" -le 22 ]
    head -20 "$W/serial.ndjson" | cmp - <(printf '%s\n' "${lines[@]:0:20}")
}

@test "caption-many: bad arguments are usage errors; a missing input is exit 3" {
    for bad in "--shard 0" "--shard x" "-j 0" "--retries -1" "--beam" "--root /nonexistent"; do
        run -2 --separate-stderr medcap-caption-many $bad "$W/recs.ndjson"
        assert_output ""
        [[ "$stderr" == "medcap-caption-many: "* ]]
    done
    run -3 --separate-stderr medcap-caption-many "$T/nothing.ndjson"
    [[ "$stderr" == *"$T/nothing.ndjson: cannot read"* ]]
    run -3 --separate-stderr env MEDCAP_BIN="$T" medcap-caption-many "$W/recs.ndjson"
    [[ "$stderr" == *"cannot find the medcap programs"* ]]
}

@test "caption-many: empty input is exit 0 with nothing written; a terminal on standard input is exit 2" {
    run -0 --separate-stderr medcap-caption-many < /dev/null
    assert_output ""
    run -0 --separate-stderr medcap-caption-many --frames < /dev/null
    assert_output ""
    run -2 script -qec "$MEDCAP_BIN/medcap-caption-many --frames" /dev/null
    assert_output --partial "standard input is a terminal"
}

@test "caption-many: | head ends it quietly" {
    head -30 "$W/recs.ndjson" > "$T/r30"
    run -0 --separate-stderr bash -c 'medcap-caption-many --root "$1" --shard 5 "$2" | head -2' _ "$W/img" "$T/r30"
    [ "${#lines[@]}" -eq 2 ]
    [ -z "$stderr" ]
}

@test "caption-many: a write error on standard output is exit 3 with a message" {
    head -10 "$W/recs.ndjson" > "$T/r10"
    run -3 --separate-stderr bash -c 'medcap-caption-many --root "$1" --shard 5 "$2" > /dev/full' _ "$W/img" "$T/r10"
    [ "$stderr" = "medcap-caption-many: error writing standard output: No space left on device" ]
}

# start_sshd: an sshd on a free loopback port with throw-away keys, and
# $T/ssh_config naming two "machines" m1 and m2 that are both this one.
start_sshd() {
    [ "$(id -u)" -eq 0 ] || skip "the loopback sshd test runs as root"
    [ -x /usr/sbin/sshd ] || skip "openssh-server is not installed"
    command -v rsync > /dev/null || skip "rsync is not installed (parallel --basefile)"
    local port
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
    ssh-keygen -q -t ed25519 -N '' -f "$T/userkey"
    cat > "$T/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
AuthorizedKeysFile $T/userkey.pub
PermitRootLogin yes
StrictModes no
UsePAM no
PasswordAuthentication no
PidFile $T/sshd.pid
MaxStartups 100
EOF
    cat > "$T/ssh_config" <<EOF
Host m1 m2
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  IdentityFile $T/userkey
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
EOF
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$T/sshd_config" -E "$T/sshd.log"
    local i
    for i in $(seq 50); do ssh -F "$T/ssh_config" m1 true 2> /dev/null && return 0; sleep 0.1; done
    cat "$T/sshd.log"
    false
}

teardown() {
    if [ -f "${T:-}/sshd.pid" ]; then kill "$(cat "$T/sshd.pid")" 2> /dev/null || true; fi
}

@test "caption-many: two ssh machines and this one; a killed ssh session is retried; same output" {
    start_sshd
    export PARALLEL_SSH="ssh -F $T/ssh_config"
    head -30 "$W/recs.ndjson" > "$T/r30"
    head -30 "$W/serial.ndjson" > "$T/s30"
    cp "$MEDCAP_SHARE/model.safetensors" "$T/model.safetensors"
    medcap-caption-many --root "$W/img" --shard 10 -m "$T/model.safetensors" \
        --sshlogin m1 --sshlogin m2 --sshlogin : "$T/r30" > "$T/ssh.ndjson"
    cmp "$T/s30" "$T/ssh.ndjson"
    # kill -9 the ssh client of a running shard on m1: parallel runs it again
    medcap-caption-many --root "$W/img" --shard 5 --retries 3 -j 1 \
        --sshlogin m1 --sshlogin m2 "$T/r30" > "$T/kill.ndjson" 2> "$T/kill.err" &
    local job=$! pid= i
    for i in $(seq 300); do
        pid=$(pgrep -f -- "^ssh -F $T/ssh_config m1 .*perl" | head -1) || true
        [ -n "$pid" ] && break
        sleep 0.1
    done
    [ -n "$pid" ]
    kill -9 "$pid"
    wait "$job" || { cat "$T/kill.err"; false; }
    cmp "$T/s30" "$T/kill.ndjson"
}
