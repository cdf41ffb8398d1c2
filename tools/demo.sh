#!/bin/bash
# make demo: a throw-away lab of two network namespaces joined by a veth,
# tcpsentry attached on the server side, three real connections (one closed
# by each side, one refused), then `conns` and the events it saw, then a
# deny of the client in observe mode (counted) and enforce mode (dropped).
# Removes the lab on every exit, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."
TS=./tcpsentry
DRIVE=build/tcpdrive
id=$$
SRV=tsdemo-srv-$id CLI=tsdemo-cli-$id
VS=tsd${id}s VC=tsd${id}c
EVLOG=$(mktemp)

cleanup() {
	set +e
	[ -n "${evpid:-}" ] && kill "$evpid" 2>/dev/null
	$TS -n "$SRV" detach "$VS" >/dev/null 2>&1
	ip netns del "$SRV" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	rm -f "$EVLOG"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "make demo needs root (it creates network namespaces)"; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

echo "== lab: $CLI (198.18.0.2) <-> veth <-> $SRV (198.18.0.1)"
ip netns add "$SRV"
ip netns add "$CLI"
ip link add "$VS" type veth peer name "$VC"
ip link set "$VS" netns "$SRV"
ip link set "$VC" netns "$CLI"
ip -n "$SRV" addr add 198.18.0.1/24 dev "$VS"
ip -n "$CLI" addr add 198.18.0.2/24 dev "$VC"
for ns in "$SRV" "$CLI"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link set "$VS" up
ip -n "$CLI" link set "$VC" up

echo "== tcpsentry -n $SRV attach $VS"
$TS -n "$SRV" attach "$VS" --max-flows 65536 --max-embryonic 16384
$TS -n "$SRV" events --timeout 120 > "$EVLOG" &
evpid=$!
sleep 0.3

in_srv() { nsenter --net="/run/netns/$SRV" "$@"; }
in_cli() { nsenter --net="/run/netns/$CLI" "$@"; }
# until the server listens on port $1 (10 s at most: an emulated kernel is slow)
listening() {
	local _
	for _ in $(seq 100); do
		[ -n "$(in_srv ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.1
	done
	echo "demo: nothing listens on port $1 after 10 s" >&2
	return 1
}

echo "== 1: the client closes first (port 8080, echo server)"
in_srv $DRIVE -n 1 -b echo server 198.18.0.1 8080 >/dev/null &
listening 8080
printf 'connect\nsend 100\nrecv 100\nclose\nexit\n' |
	in_cli $DRIVE -l 198.18.0.2 -p 40001 client 198.18.0.1 8080 >/dev/null
wait $! || true

echo "== 2: the server closes first (port 8081)"
in_srv $DRIVE -n 1 -b close-first server 198.18.0.1 8081 >/dev/null &
listening 8081
printf 'connect\nrecv 100\nwait-eof\nclose\nexit\n' |
	in_cli $DRIVE -l 198.18.0.2 -p 40002 client 198.18.0.1 8081 >/dev/null
wait $! || true

echo "== 3: refused (nothing listens on port 8082)"
printf 'connect\nsleep 200\nexit\n' |
	in_cli $DRIVE -l 198.18.0.2 -p 40003 client 198.18.0.1 8082 >/dev/null || true
sleep 0.5

echo
echo "== tcpsentry conns (the kernels' own view, ss -tan, below it)"
$TS -n "$SRV" conns
echo "-- ss -tan in $CLI:"; in_cli ss -tan | sed 1d
echo "-- ss -tan in $SRV:"; in_srv ss -tan | sed 1d
echo
echo "== tcpsentry events (state transitions, both endpoints)"
kill "$evpid" 2>/dev/null || true # it may have timed out already
wait "$evpid" 2>/dev/null || true
evpid=
cat "$EVLOG"
echo
echo "== 4: enforcement: observe first, then enforce a deny of the client"
in_srv $DRIVE -n 2 -b echo server 198.18.0.1 8083 >/dev/null &
srvpid=$!
listening 8083
$TS -n "$SRV" policy deny add 198.18.0.2
echo "   observe mode: the client still connects; the drop is only counted"
printf 'connect\nsend 10\nrecv 10\nclose\nexit\n' |
	in_cli $DRIVE -t 2000 -l 198.18.0.2 -p 40004 client 198.18.0.1 8083 >/dev/null &&
	echo "   connected (would_drop.deny: $($TS -n "$SRV" stats -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["would_drop"]["deny"])'))"
$TS -n "$SRV" policy set mode=enforce
echo "   enforce mode: XDP drops the client's SYNs"
reply=$(printf 'connect\nexit\n' |
	in_cli $DRIVE -t 2000 -l 198.18.0.2 -p 40005 client 198.18.0.1 8083 2>&1 | grep connect || true)
echo "   tcpdrive: ${reply:-?} (dropped.deny: $($TS -n "$SRV" stats -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["dropped"]["deny"])'))"
$TS -n "$SRV" policy set mode=observe
$TS -n "$SRV" policy deny del 198.18.0.2
kill "$srvpid" 2>/dev/null || true # it may have ended already
wait "$srvpid" 2>/dev/null || true
echo
echo "== tcpsentry stats (non-zero)"
$TS -n "$SRV" stats | awk '$NF != 0'
echo
echo "== detach"
$TS -n "$SRV" detach "$VS"
