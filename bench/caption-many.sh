#!/usr/bin/env bash
# caption-many.sh - captions per second of medcap-caption-many against the
# serial pipe (img-resize | encode-features -j 1 | decode-caption -j 1) on the
# same records, all in this run: 1 and 2 local workers, and two "machines"
# that are ssh logins to this one (an sshd on a loopback port with throw-away
# keys, when run as root with openssh-server and rsync installed).
#
#   bench/caption-many.sh [N_RECORDS [SHARD]]     default 600 records, shards of 100
#
# Records: the MedPix 2.0 dev images of ../shared/data/medpix2 (Siragusa et
# al., 2025), repeated with new ids up to N.  Every run's output is checked
# to be byte-identical to the serial pipe's.  Prints the OpenBLAS core and
# the load average; speeds are only comparable within one run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${MEDCAP_BIN:-$root/bin}
export MEDCAP_BIN=$BIN PATH="$BIN:$PATH"
DATA=${DATA:-$root/../shared/data/medpix2}
N=${1:-600}
SHARD=${2:-100}
tmp=$(mktemp -d)
cleanup() {
    [ -f "$tmp/sshd.pid" ] && kill "$(cat "$tmp/sshd.pid")" 2> /dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
[ -d "$DATA/dev" ] || { echo "caption-many.sh: no MedPix 2.0 images in $DATA (set DATA)" >&2; exit 1; }
ls "$DATA/dev" | grep -i '\.png$' > "$tmp/names"
i=0
while [ $i -lt "$N" ]; do
    while read -r f && [ $i -lt "$N" ]; do
        printf '{"id":"r%05d","image":"dev/%s"}\n' "$i" "$f"
        i=$((i + 1))
    done < "$tmp/names"
done > "$tmp/recs.ndjson"

# time_run NAME CMD...: run CMD (output to $tmp/NAME), print its wall time
time_run() {
    local name=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    "$@" > "$tmp/$name"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
serial() {
    medcap-img-resize -j 1 --root "$DATA" "$tmp/recs.ndjson" | medcap-encode-features -j 1 \
        | medcap-decode-caption -j 1
}
rate() { awk -v n="$N" -v s="$1" 'BEGIN { printf "%.1f", n / s }'; }
row() { # NAME SECONDS BASELINE_SECONDS
    cmp -s "$tmp/serial" "$tmp/$1" || { echo "caption-many.sh: $1 differs from the serial pipe" >&2; exit 1; }
    printf '%-34s %7.2f s %8s captions/s %6sx serial\n' "$1" "$2" "$(rate "$2")" \
        "$(awk -v a="$3" -v b="$2" 'BEGIN { printf "%.2f", a / b }')"
}

echo "caption-many: $N records, shards of $SHARD; OpenBLAS core $(medcap-encode-features --version | sed 's/.*core \([^)]*\)).*/\1/'); load $(cut -d' ' -f1-3 /proc/loadavg)"
s=$(time_run serial serial)
row serial "$s" "$s"
t=$(time_run local-1 medcap-caption-many --root "$DATA" --shard "$SHARD" -j 1 "$tmp/recs.ndjson")
row local-1 "$t" "$s"
t=$(time_run local-2 medcap-caption-many --root "$DATA" --shard "$SHARD" -j 2 "$tmp/recs.ndjson")
row local-2 "$t" "$s"

if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/sshd ] && command -v rsync > /dev/null; then
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
    ssh-keygen -q -t ed25519 -N '' -f "$tmp/userkey"
    printf '%s\n' "Port $port" "ListenAddress 127.0.0.1" "HostKey $tmp/hostkey" \
        "AuthorizedKeysFile $tmp/userkey.pub" "PermitRootLogin yes" "StrictModes no" "UsePAM no" \
        "PasswordAuthentication no" "PidFile $tmp/sshd.pid" > "$tmp/sshd_config"
    printf '%s\n' "Host m1 m2" "  HostName 127.0.0.1" "  Port $port" "  User root" \
        "  IdentityFile $tmp/userkey" "  StrictHostKeyChecking no" "  UserKnownHostsFile /dev/null" \
        "  LogLevel ERROR" "  BatchMode yes" > "$tmp/ssh_config"
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$tmp/sshd_config"
    sleep 0.5
    export PARALLEL_SSH="ssh -F $tmp/ssh_config"
    t=$(time_run ssh-2-machines-x1 medcap-caption-many --root "$DATA" --shard "$SHARD" -j 1 \
        --sshlogin m1 --sshlogin m2 "$tmp/recs.ndjson")
    row ssh-2-machines-x1 "$t" "$s"
    t=$(time_run frames-ssh-2-machines-x1 bash -c 'medcap-img-resize -j 1 --root "$1" "$2" \
        | medcap-caption-many --frames --shard "$3" -j 1 --sshlogin m1 --sshlogin m2' _ \
        "$DATA" "$tmp/recs.ndjson" "$SHARD")
    row frames-ssh-2-machines-x1 "$t" "$s"
else
    echo "(no loopback machines: needs root, openssh-server and rsync)"
fi
