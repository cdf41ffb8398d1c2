# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# e2e lab helpers, sourced by every tests/e2e/test_*.sh.
#
# A lab is two network namespaces, client and server, joined by one veth pair
# (optionally with an 802.1Q sub-interface on each end). Addresses come from
# 198.18.0.0/15 and 2001:db8::/32 only. Names carry this shell's pid and a
# random byte, so two runs never collide. tcpsentry is only ever attached to
# the server's veth, inside the lab, and always driven with `-n NS`; other
# commands run through `nsenter --net=/run/netns/NS` (never `ip netns exec`,
# which remounts /sys and hides the bpffs pins). An EXIT trap removes the
# drivers, the attachments, the pins and the namespaces, even on failure.
#
# Output: "PASS <test>: ...", "FAIL <test>: ..." (details indented), and a
# last line exactly "N passed, N failed".

set -u
trap '' PIPE                      # a dead driver must not kill the test
trap 'exit 130' INT
trap 'exit 143' TERM

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
TCPSENTRY=${TCPSENTRY:-$REPO/tcpsentry}
TCPDRIVE=${TCPDRIVE:-$REPO/build/tcpdrive}
PY=$(command -v /usr/bin/python3 || command -v python3)
STATES="$E2E_DIR/states.py"
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test_}
# E2E_TIME_SCALE: a factor on the bounds below (and the suite's per-test
# bound) for slow kernels: tools/kernels/ sets it under emulation (TCG)
E2E_TIME_SCALE=${E2E_TIME_SCALE:-1}
# S N: a bound of N (seconds, or polls of a wait loop) scaled for this kernel
S() { echo $(($1 * E2E_TIME_SCALE)); }
# Sf X: the same for a duration with decimals (seconds)
Sf() { awk -v x="$1" -v k="$E2E_TIME_SCALE" 'BEGIN { print x * k }'; }
SETTLE_S=${E2E_SETTLE_S:-2}         # how long kernels and tracker get to agree
TS_TIMEOUT=${E2E_TS_TIMEOUT:-$((20 * E2E_TIME_SCALE))}    # bound on any one tcpsentry command
XDP_MODE=${E2E_XDP_MODE:-}          # empty: tcpsentry's default
BPFFS=/sys/fs/bpf/tcpsentry

PASS=0
FAIL=0

# unique per run: pid in hex + a random byte (8 hex digits at most)
ID=$(printf '%x%02x' $$ $((RANDOM % 256)))
CNS=tse2e-$ID-c                 # client namespace
SNS=tse2e-$ID-s                 # server namespace
CIF=tc$ID                       # client veth
SIF=ts$ID                       # server veth (tcpsentry attaches here)
VID=100
CVL=$CIF.$VID                   # 802.1Q sub-interfaces
SVL=$SIF.$VID
C4=198.18.0.2  S4=198.18.0.1  C6=2001:db8::2  S6=2001:db8::1
CV4=198.18.1.2 SV4=198.18.1.1 CV6=2001:db8:1::2 SV6=2001:db8:1::1

LAB_TMP=$(mktemp -d "/tmp/tse2e.$ID.XXXXXX")
LAB_NS=()                       # namespaces we created
LAB_INODES=()                   # their inodes (pin directories)
LAB_ATTACHED=()                 # "NS IFACE" pairs we attached
declare -A DRV_PID DRV_FD DRV_N
DRV_REPLY=""

# ---------------------------------------------------------------- reporting

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }
# sleep_until MS: sleep until now_ms reaches MS (at once if it has): waits
# for a deadline that commands in between (slow under emulation) use up
sleep_until() {
	local left=$(($1 - $(now_ms)))
	[ "$left" -gt 0 ] && sleep "$(awk -v m="$left" 'BEGIN { print m / 1000 }')"
	return 0
}

pass() { PASS=$((PASS + 1)); printf 'PASS %s: %s\n' "$TEST_NAME" "$*"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s: %s\n' "$TEST_NAME" "$*"; }
info() { printf '     %s\n' "$*"; }
# indent a block of detail lines
detail() { sed 's/^/       | /'; }

# skip MESSAGE: the test cannot run here (not a failure)
skip() {
	printf 'SKIP %s: %s\n' "$TEST_NAME" "$*"
	finish
}

# the last line of every test
finish() {
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	[ "$FAIL" -eq 0 ]
	exit $?
}

# ---------------------------------------------------------------- lab

in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

lab_cleanup() {
	local name fd pid i pair
	set +e
	for name in "${!DRV_PID[@]}"; do
		fd=${DRV_FD[$name]:-}
		[ -n "$fd" ] && exec {fd}>&-
		pid=${DRV_PID[$name]}
		kill "$pid" 2>/dev/null
	done
	for name in "${!DRV_PID[@]}"; do
		wait "${DRV_PID[$name]}" 2>/dev/null
	done
	for pair in "${LAB_ATTACHED[@]}"; do
		# shellcheck disable=SC2086
		set -- $pair
		# only if still attached: a detach of nothing is an error anyway
		[ -d "$(pin_dir "$1" "$2")" ] &&
			timeout "$TS_TIMEOUT" "$TCPSENTRY" -n "$1" detach "$2" >/dev/null 2>&1
	done
	for i in "${LAB_INODES[@]}"; do
		[ -n "$i" ] && [ -d "$BPFFS/ns$i" ] && rm -rf "${BPFFS:?}/ns$i"
	done
	for name in "${LAB_NS[@]}"; do
		# a namespace outlives its name while a process is in it: be sure
		for pid in $(ip netns pids "$name" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$name" 2>/dev/null
	done
	if [ -n "${E2E_KEEP:-}" ]; then echo "kept $LAB_TMP" >&2; else rm -rf "$LAB_TMP"; fi
}
trap lab_cleanup EXIT

ns_add() {
	ip netns add "$1" || return 1
	LAB_NS+=("$1")
	LAB_INODES+=("$(stat -L -c %i "/run/netns/$1")")
	ip -n "$1" link set lo up
}

ns_inode() { stat -L -c %i "/run/netns/$1"; }

# pin directory of (namespace, interface), as tcpsentry makes it
pin_dir() { printf '%s/ns%s/%s' "$BPFFS" "$(ns_inode "$1")" "$2"; }

# lab_setup [vlan]: client and server namespaces, one veth pair, addresses
# lab_link: the veth pair between the namespaces, addressed and up (again,
# after a test deleted it: same names, a new ifindex); 1 if it cannot be made
lab_link() {
	ip -n "$CNS" link add "$CIF" type veth peer name "$SIF" netns "$SNS" || return 1
	ip -n "$CNS" addr add "$C4/24" dev "$CIF"
	ip -n "$SNS" addr add "$S4/24" dev "$SIF"
	ip -n "$CNS" addr add "$C6/64" dev "$CIF" nodad
	ip -n "$SNS" addr add "$S6/64" dev "$SIF" nodad
	ip -n "$CNS" link set "$CIF" up
	ip -n "$SNS" link set "$SIF" up
}

lab_setup() {
	ns_add "$CNS" && ns_add "$SNS" || { fail "lab: cannot create namespaces"; finish; }
	lab_link || { fail "lab: cannot create veth pair"; finish; }
	[ "${1:-}" = vlan ] && lab_vlan
	# the pair is usable once both ends have carrier
	local i
	for i in $(seq "$(S 50)"); do
		ip -n "$CNS" link show "$CIF" | grep -q 'LOWER_UP' &&
			ip -n "$SNS" link show "$SIF" | grep -q 'LOWER_UP' && return 0
		sleep 0.1
	done
	fail "lab: veth pair has no carrier"
	finish
}

# lab_vlan: VLAN 100 between the two veths, addresses $CV4/$SV4, $CV6/$SV6.
# With 8021q: a sub-interface on each veth (tx VLAN offload off on the veths,
# so the tag is in the frame where tcpsentry parses it). Without (this
# kernel has neither 8021q nor act_vlan): the VLAN addresses go on the veths
# and tests/e2e/vlan_tag.bpf.c, at tc egress ahead of tcpsentry's filter,
# writes the tag into every frame, and at tc ingress takes it off (dropping
# anything untagged). Sets VLAN_MODE, and VLAN_ATTACH: what `attach` on the
# server veth needs to be told (with the tagger there is no VLAN device for
# auto to find: --vlans any); SKIPs the test when neither works.
lab_vlan() {
	local c=$CVL s=$SVL ns ifc o
	if ip -n "$CNS" link add link "$CIF" name "$CVL" type vlan id "$VID" 2>/dev/null; then
		ip -n "$SNS" link add link "$SIF" name "$SVL" type vlan id "$VID" ||
			{ fail "lab: cannot create $SVL"; finish; }
		for ns in "$CNS" "$SNS"; do
			ifc=$CIF; [ "$ns" = "$SNS" ] && ifc=$SIF
			in_ns "$ns" ethtool -K "$ifc" txvlan off >/dev/null 2>&1
		done
		VLAN_MODE="802.1Q sub-interfaces $CVL, $SVL"
		VLAN_ATTACH=()
	else
		command -v clang >/dev/null || skip "no 8021q in this kernel and no clang to build the tagger"
		for o in PUSH POP; do
			clang -g -O2 -target bpf -Wall -Werror -DVLAN_$o \
				-I"/usr/include/$(gcc -dumpmachine)" \
				-c "$E2E_DIR/vlan_tag.bpf.c" -o "$LAB_TMP/vlan_$o.o" 2>"$LAB_TMP/clang.err" ||
				{ fail "lab: vlan_tag.bpf.c does not build"; detail <"$LAB_TMP/clang.err"; finish; }
		done
		c=$CIF s=$SIF
		for ifc in "$CNS $CIF" "$SNS $SIF"; do
			# shellcheck disable=SC2086
			set -- $ifc
			# no GSO/TSO: every segment is a frame the tagger can grow
			in_ns "$1" ethtool -K "$2" tso off gso off >/dev/null 2>&1
			tc -n "$1" qdisc add dev "$2" clsact &&
			tc -n "$1" filter add dev "$2" egress pref 1 handle 1 \
				bpf da obj "$LAB_TMP/vlan_PUSH.o" sec tc &&
			tc -n "$1" filter add dev "$2" ingress pref 1 handle 1 \
				bpf da obj "$LAB_TMP/vlan_POP.o" sec tc ||
				skip "no 8021q in this kernel and the tc BPF tagger does not load"
		done
		VLAN_MODE="VLAN $VID tagged in-frame by tc BPF on $CIF/$SIF (kernel has no 8021q)"
		VLAN_ATTACH=(--vlans any)
	fi
	ip -n "$CNS" addr add "$CV4/24" dev "$c"
	ip -n "$SNS" addr add "$SV4/24" dev "$s"
	ip -n "$CNS" addr add "$CV6/64" dev "$c" nodad
	ip -n "$SNS" addr add "$SV6/64" dev "$s" nodad
	ip -n "$CNS" link set "$c" up
	ip -n "$SNS" link set "$s" up
	info "vlan: $VLAN_MODE"
}

# ---------------------------------------------------------------- tcpsentry

# ts_run ARGS...: run tcpsentry, bounded; sets TS_RC, TS_OUT, TS_ERR
ts_run() {
	timeout "$TS_TIMEOUT" "$TCPSENTRY" "$@" >"$LAB_TMP/ts.out" 2>"$LAB_TMP/ts.err"
	TS_RC=$?
	TS_OUT=$(cat "$LAB_TMP/ts.out")
	TS_ERR=$(cat "$LAB_TMP/ts.err")
	return "$TS_RC"
}

# ts_attach NS IFACE [OPTS...]: attach (recorded for cleanup); PASS/FAIL
ts_attach() {
	local ns=$1 ifc=$2; shift 2
	local mode=()
	[ -n "$XDP_MODE" ] && mode=(--xdp-mode "$XDP_MODE")
	LAB_ATTACHED+=("$ns $ifc")
	if ts_run -n "$ns" attach "$ifc" "${mode[@]}" "$@"; then
		pass "attach $ifc in $ns${*:+ $*}"
		return 0
	fi
	fail "attach $ifc in $ns${*:+ $*}: exit $TS_RC"
	{ echo "$TS_OUT"; echo "$TS_ERR"; } | detail
	return 1
}

# has_feature NS NAME: true if the kernel has tcpsentry's optional feature
# NAME, as the attachment in NS reports it (`status -j`:
# "features":{"NAME":true})
has_feature() {
	ts_run -n "$1" status -j || { fail "status -j: exit $TS_RC: $TS_ERR"; finish; }
	printf '%s\n' "$TS_OUT" | "$PY" -c '
import json, sys
sys.exit(0 if all(json.loads(l)["features"][sys.argv[1]] for l in sys.stdin if l.strip()) else 1)
' "$2"
}

# need_feature NS NAME WHAT: SKIP the test (with the reason) unless the
# kernel has feature NAME (has_feature); WHAT says what it is
need_feature() {
	has_feature "$1" "$2" && return 0
	skip "Linux $(uname -r) lacks $3"
}

# skip_part WHAT REASON: a SKIP line for a part of the test the kernel
# cannot run (counted by run.sh with the others); the test goes on
skip_part() {
	printf 'SKIP %s: %s: %s\n' "$TEST_NAME" "$1" "$2"
}

# xdp_count_map PROG_ID: the counter map of tests/e2e/xdp_count.bpf.c's
# program (its one map); xdp_count MAP_ID: the frames it counted
xdp_count_map() {
	bpftool prog show id "$1" -j | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["map_ids"][0])'
}
xdp_count() {
	bpftool map lookup id "$1" key 0 0 0 0 -j | "$PY" -c 'import json,sys; d=json.load(sys.stdin); v=d.get("value",d.get("formatted",{}).get("value")); print(int.from_bytes(bytes(int(x,16) for x in v),"little") if isinstance(v,list) else v)'
}

# poke_server: one connection attempt from the client to port 9 (nothing
# listens): frames for another XDP program to count
poke_server() {
	drv_start cli "$CNS" -4 -l "$C4" -p 40200 client "$S4" 9 >/dev/null 2>&1
	drv cli connect >/dev/null 2>&1
	drv_stop cli
}

# after_detach_other_counts: after our detach, the other XDP program (the
# test's `count`) still counts frames, and no pin of ours is left
after_detach_other_counts() {
	local before after
	before=$(count)
	poke_server
	after=$(count)
	[ "${after:-0}" -gt "${before:-0}" ] &&
		pass "the other program still counts after detach ($before -> $after)" ||
		fail "the other program stopped counting after detach"
	[ -d "$(pin_dir "$SNS" "$SIF")" ] && fail "pins left after detach" || pass "no pins left"
}

# ts_conns NS: `conns -j` into $LAB_TMP/conns.json
ts_conns() {
	timeout "$TS_TIMEOUT" "$TCPSENTRY" -n "$1" conns -j >"$LAB_TMP/conns.json" 2>"$LAB_TMP/conns.err"
}

# ts_state NS CLIENT SERVER -> "CLIENT_STATE SERVER_STATE PICKED_UP CONN_STATE"
# (ABSENT when tcpsentry does not list the flow); the JSON line is left in
# $LAB_TMP/conn.line
ts_state() {
	local out
	if ! ts_conns "$1"; then
		echo "ERROR ERROR - -"
		{ echo "conns -j failed:"; cat "$LAB_TMP/conns.err"; } >"$LAB_TMP/conn.line"
		return 1
	fi
	out=$("$PY" "$STATES" ts "$LAB_TMP/conns.json" "$2" "$3")
	sed -n 1p <<<"$out"
	sed -n 2p <<<"$out" >"$LAB_TMP/conn.line"
}

# ts_field NS CLIENT SERVER FIELD -> the field's value in that flow's JSON
ts_field() {
	ts_conns "$1" || { echo ERROR; return 1; }
	"$PY" "$STATES" field "$LAB_TMP/conns.json" "$2" "$3" "$4"
}

# ---------------------------------------------------------------- kernel

# ss_state NS LOCAL REMOTE -> the kernel's state of that 4-tuple, our names
# (CLOSED when ss lists nothing)
ss_state() {
	in_ns "$1" ss -Htan >"$LAB_TMP/ss.$1" 2>/dev/null
	"$PY" "$STATES" ss "$LAB_TMP/ss.$1" "$2" "$3"
}

# ---------------------------------------------------------------- assertions

# expect_states LABEL CLIENT SERVER EXP_CLIENT EXP_SERVER
# The client's kernel state (ss in the client namespace), the server's
# kernel state (ss in the server namespace) and tcpsentry's client_state and
# server_state (conns -j in the server namespace) must all equal the
# expectation; retried for up to $SETTLE_S seconds. When both are expected
# CLOSED, a flow tcpsentry no longer lists counts as CLOSED.
expect_states() {
	local label=$1 c=$2 s=$3 ec=$4 es=$5
	local kc ks tc ts pk cs note deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		kc=$(ss_state "$CNS" "$c" "$s")
		ks=$(ss_state "$SNS" "$s" "$c")
		ts_state "$SNS" "$c" "$s" >"$LAB_TMP/ts.state"
		read -r tc ts pk cs <"$LAB_TMP/ts.state"
		note=""
		if [ "$tc" = ABSENT ] && [ "$ec" = CLOSED ] && [ "$es" = CLOSED ]; then
			tc=CLOSED ts=CLOSED note=" (flow no longer listed)"
		fi
		if [ "$kc" = "$ec" ] && [ "$ks" = "$es" ] && [ "$tc" = "$ec" ] && [ "$ts" = "$es" ]; then
			pass "$label: client $ec, server $es (ss and tcpsentry agree)$note"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.1
	done
	fail "$label: expected client $ec, server $es"
	{
		echo "$c -> $s"
		echo "ss (client ns):   client $kc    ss (server ns): server $ks"
		echo "tcpsentry:        client $tc    server $ts    picked_up $pk conn_state $cs"
		echo "tcpsentry JSON:   $(cat "$LAB_TMP/conn.line")"
		echo "ss -tan client ns: $(grep -F -- "$c" "$LAB_TMP/ss.$CNS" | tr -s ' ')"
		echo "ss -tan server ns: $(grep -F -- "$c" "$LAB_TMP/ss.$SNS" | tr -s ' ')"
		if [ "$tc" = ABSENT ]; then
			echo "all flows tcpsentry lists:"
			head -n 10 "$LAB_TMP/conns.json"
		fi
	} | detail
	return 1
}

# expect_field LABEL CLIENT SERVER FIELD VALUE: one field of the flow's JSON
expect_field() {
	local label=$1 c=$2 s=$3 f=$4 want=$5 got deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		got=$(ts_field "$SNS" "$c" "$s" "$f")
		[ "$got" = "$want" ] && { pass "$label: $f is $want"; return 0; }
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.1
	done
	fail "$label: $f is $got, expected $want"
	{ echo "$c -> $s"; grep -F -- "\"client\":\"$c\"" "$LAB_TMP/conns.json" || echo "(flow not listed)"; } | detail
	return 1
}

# expect_bulk LABEL TUPLES_FILE EXP_CLIENT EXP_SERVER [SECONDS]: as
# expect_states for every "CLIENT SERVER" line of TUPLES_FILE at once
expect_bulk() {
	local label=$1 tuples=$2 ec=$3 es=$4 wait=${5:-$SETTLE_S} deadline out
	deadline=$(($(now_ms) + wait * 1000))
	while :; do
		in_ns "$CNS" ss -Htan >"$LAB_TMP/ss.bulk.c" 2>/dev/null
		in_ns "$SNS" ss -Htan >"$LAB_TMP/ss.bulk.s" 2>/dev/null
		ts_conns "$SNS" || : >"$LAB_TMP/conns.json"
		if out=$("$PY" "$STATES" bulk "$LAB_TMP/ss.bulk.c" "$LAB_TMP/ss.bulk.s" \
			"$LAB_TMP/conns.json" "$tuples" "$ec" "$es"); then
			pass "$label: $(head -n 1 <<<"$out")"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.2
	done
	fail "$label: expected client $ec, server $es"
	detail <<<"$out"
	return 1
}

# expect_rc LABEL WANT_RC ARGS...: tcpsentry ARGS exits WANT_RC; with
# WANT_RC != 0 it must also say something on stderr
expect_rc() {
	local label=$1 want=$2; shift 2
	ts_run "$@"
	if [ "$TS_RC" -ne "$want" ]; then
		fail "$label: 'tcpsentry $*' exited $TS_RC, expected $want"
		{ echo "stdout: $TS_OUT"; echo "stderr: $TS_ERR"; } | head -n 12 | detail
		return 1
	fi
	if [ "$want" -ne 0 ] && [ -z "$TS_ERR" ]; then
		fail "$label: 'tcpsentry $*' exited $want but printed nothing on stderr"
		return 1
	fi
	pass "$label: exit $want${TS_ERR:+ ($(head -n 1 <<<"$TS_ERR"))}"
}

# ---------------------------------------------------------------- drivers

# drv_start NAME NS TCPDRIVE-ARGS...: start tcpdrive in NS, reading commands
# from a FIFO; waits for its "ready" line
drv_start() {
	local name=$1 ns=$2 d fd i; shift 2
	[ -n "${DRV_PID[$name]:-}" ] && drv_stop "$name"
	d=$LAB_TMP/drv.$name
	mkfifo "$d.in" || return 1
	nsenter --net="/run/netns/$ns" "$TCPDRIVE" "$@" <"$d.in" >"$d.out" 2>"$d.err" &
	DRV_PID[$name]=$!
	exec {fd}>"$d.in"
	DRV_FD[$name]=$fd
	DRV_N[$name]=1
	for i in $(seq "$(S 100)"); do
		if [ "$(wc -l <"$d.out")" -ge 1 ]; then
			DRV_REPLY=$(sed -n 1p "$d.out")
			[[ $DRV_REPLY == ready* ]] && return 0
			break
		fi
		kill -0 "${DRV_PID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	fail "driver $name did not start: $(sed -n 1p "$d.out") $(cat "$d.err")"
	return 1
}

# drv NAME COMMAND: send one command, wait (bounded) for its one-line reply
# in DRV_REPLY; status 0 iff the reply starts with "ok"
drv() { drv_post "$1" "$2" && drv_wait "$1"; }

# drv_post NAME COMMAND: send a command without waiting, so that two drivers
# can work at once (e.g. a send larger than the socket buffers and the
# peer's recv); collect the reply with drv_wait
drv_post() {
	local name=$1 cmd=$2
	DRV_N[$name]=$((DRV_N[$name] + 1))
	DRV_REPLY="err $cmd (driver gone)"
	printf '%s\n' "$cmd" 1>&"${DRV_FD[$name]}" 2>/dev/null
}

# drv_wait NAME: the reply to the last command posted to NAME
drv_wait() {
	local name=$1 d n i
	d=$LAB_TMP/drv.$name
	n=${DRV_N[$name]}
	for i in $(seq "$(S 600)"); do     # 30 s; tests keep driver waits (-t) below
		if [ "$(wc -l <"$d.out")" -ge "$n" ]; then
			DRV_REPLY=$(sed -n "${n}p" "$d.out")
			[[ $DRV_REPLY == ok* ]]
			return
		fi
		kill -0 "${DRV_PID[$name]}" 2>/dev/null || { DRV_REPLY="err (driver $name gone)"; return 1; }
		sleep 0.05
	done
	DRV_REPLY="err (no reply from $name in 30 s)"
	return 1
}

# step NAME COMMAND: a driver command that must succeed (FAIL otherwise)
step() {
	drv "$1" "$2" && return 0
	fail "step '$2' on $1: $DRV_REPLY"
	return 1
}

# drv_stop NAME: "exit", then reap
drv_stop() {
	local name=$1 fd
	drv "$name" exit >/dev/null
	fd=${DRV_FD[$name]}
	exec {fd}>&-
	wait "${DRV_PID[$name]}" 2>/dev/null
	unset "DRV_PID[$name]" "DRV_FD[$name]" "DRV_N[$name]"
	rm -f "$LAB_TMP/drv.$name".*
}

# ---------------------------------------------------------------- scenarios

# ep ADDR PORT -> "198.18.0.2:40000" or "[2001:db8::2]:40000"
ep() { case $1 in *:*) printf '[%s]:%s' "$1" "$2" ;; *) printf '%s:%s' "$1" "$2" ;; esac; }

# family flag for tcpdrive
fam() { case $1 in *:*) echo -6 ;; *) echo -4 ;; esac; }

# open_conn TAG CADDR CPORT SADDR SPORT: start a server (srv) and a client
# (cli) driver, connect, accept; sets CEP and SEP
open_conn() {
	local tag=$1 ca=$2 cp=$3 sa=$4 sp=$5 f
	f=$(fam "$ca")
	CEP=$(ep "$ca" "$cp") SEP=$(ep "$sa" "$sp")
	drv_start srv "$SNS" "$f" server "$sa" "$sp" || return 1
	drv_start cli "$CNS" "$f" -l "$ca" -p "$cp" client "$sa" "$sp" || return 1
	step cli connect && step srv accept || return 1
	expect_states "$tag: handshake" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
	step cli "send 100" && step srv "recv 100" &&
		step srv "send 2000" && step cli "recv 2000" || return 1
	expect_states "$tag: data both ways" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
	return 0    # a state mismatch is a FAIL already, not a reason to stop
}

# scenario_client_close TAG CADDR CPORT SADDR SPORT: the client closes
# first; ends client TIME_WAIT, server CLOSED
scenario_client_close() {
	local tag=$1
	open_conn "$@" || return 1
	step cli close || return 1
	expect_states "$tag: client close" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
	step srv close || return 1
	expect_states "$tag: server close" "$CEP" "$SEP" TIME_WAIT CLOSED
	expect_field "$tag: end" "$CEP" "$SEP" conn_state SF
	drv_stop cli
	drv_stop srv
}

# ---------------------------------------------------------------- preflight

[ "$(id -u)" = 0 ] || { echo "SKIP $TEST_NAME: needs root"; echo "0 passed, 0 failed"; exit 0; }
[ -x "$TCPSENTRY" ] || { fail "no tcpsentry binary at $TCPSENTRY"; finish; }
[ -x "$TCPDRIVE" ] || { fail "no tcpdrive binary at $TCPDRIVE (make build/tcpdrive)"; finish; }

# ---------------------------------------------------------------- servers

# listen_bg NS ADDR PORT SECONDS: an accept-read-close server in NS, in the
# background for at most SECONDS, scaled like every bound (the namespace's
# teardown kills it too); returns once it listens
listen_bg() {
	local ns=$1 addr=$2 port=$3 secs=$4 out="$LAB_TMP/listen.$2.$3"
	in_ns "$ns" timeout "$(S "$secs")" "$PY" - "$addr" "$port" >"$out" 2>&1 <<'PY' &
import selectors, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4096); s.setblocking(False)
print("ready", flush=True)
sel = selectors.DefaultSelector(); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select(1):
        if key.fileobj is s:
            try:
                c, _ = s.accept()
            except OSError:
                continue
            c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            c = key.fileobj
            try:
                d = c.recv(4096)
            except OSError:
                d = b""
            if not d:
                sel.unregister(c); c.close()
PY
	local i
	for i in $(seq "$(S 50)"); do grep -q ready "$out" && return 0; sleep 0.1; done
	fail "listener $addr:$port in $ns did not start"; detail <"$out"
	return 1
}

# nginx_bg NS ADDR PORT SECS: nginx (one worker, "ok" to every GET, no
# access log) listening on ADDR:PORT in NS for at most SECS (scaled);
# returns once it listens. Its files are in $LAB_TMP/nginx.
nginx_bg() {
	local ns=$1 addr=$2 port=$3 secs=$4 d="$LAB_TMP/nginx" i
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d; proxy_temp_path $d;
    fastcgi_temp_path $d; uwsgi_temp_path $d; scgi_temp_path $d;
    server {
        listen $addr:$port backlog=4096;
        location / { return 200 "ok\n"; }
    }
}
EOF
	in_ns "$ns" timeout "$(S "$secs")" nginx -c "$d/nginx.conf" -g 'daemon off;' >"$d/out" 2>&1 &
	for i in $(seq "$(S 50)"); do
		in_ns "$ns" ss -Hltn "( sport = :$port )" | grep -q . && return 0
		sleep 0.1
	done
	fail "nginx on $addr:$port in $ns did not start"; detail <"$d/out"
	return 1
}

# connect_n NS SRC DST PORT N [TIMEOUT_S] [SPREAD_S]: tests/e2e/connect.py in
# NS; sets CONN_OK and CONN_FAILED. A handshake bound a check expects to be
# met is given scaled ("$(Sf 0.9)"); a rate-limit check keeps its own.
connect_n() {
	local ns=$1; shift
	in_ns "$ns" timeout "$(S 30)" "$PY" "$E2E_DIR/connect.py" "$@" >"$LAB_TMP/connect.out" 2>&1
	CONN_OK=$(sed -n 's/^ok=\([0-9]*\) .*/\1/p' "$LAB_TMP/connect.out")
	CONN_FAILED=$(sed -n 's/.* failed=\([0-9]*\)$/\1/p' "$LAB_TMP/connect.out")
	CONN_OK=${CONN_OK:--1} CONN_FAILED=${CONN_FAILED:--1}
}

# stats_field NS PYEXPR: evaluate PYEXPR over `stats -j` (first interface) as s
stats_field() {
	ts_run -n "$1" stats -j || { echo "ERROR"; return 1; }
	"$PY" -c 'import json, sys; s = json.loads(sys.stdin.readline()); print(eval(sys.argv[1]))' \
		"$2" <<<"$TS_OUT"
}
