# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Helpers of the attack tests (tests/e2e/attacks/test_atk*.sh), sourced
# after ../lib.sh: the attacker is tools/segspray in the client namespace,
# sending crafted frames out of the client veth into the server's XDP; the
# victim is the server namespace (tcpsentry attached to its veth, enforce
# mode, default policy unless a test says otherwise).
#
# These tests state what issue 11 demands after its fixes: on a build
# without them they fail, and say why.

SEGSPRAY=${SEGSPRAY:-$REPO/build/segspray}
AGREE="$E2E_DIR/attacks/agree.py"
[ -x "$SEGSPRAY" ] || { fail "no segspray at $SEGSPRAY (make build/segspray)"; finish; }

# mac_of NS IFACE
mac_of() { ip -n "$1" -j link show dev "$2" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }

# spray ARGS...: segspray out of the client veth towards the server veth;
# its output in $LAB_TMP/spray.out (appended), its status returned
spray() {
	in_ns "$CNS" timeout 70 "$SEGSPRAY" -i "$CIF" --dst-mac "$(mac_of "$SNS" "$SIF")" "$@" \
		>>"$LAB_TMP/spray.out" 2>&1
}

# spray_bg ARGS...: the same in the background; SPRAY_PID
spray_bg() {
	in_ns "$CNS" timeout 70 "$SEGSPRAY" -i "$CIF" --dst-mac "$(mac_of "$SNS" "$SIF")" "$@" \
		>>"$LAB_TMP/spray.out" 2>&1 &
	# shellcheck disable=SC2034 # read by the tests
	SPRAY_PID=$!
}

# spray_sniffing ARGS...: spray_bg ARGS --sniff 5000, returning once it
# listens for the segment whose numbers it adds to (the caller makes the
# server send one, then waits for SPRAY_PID)
spray_sniffing() {
	spray_bg "$@" --sniff 5000
	for _ in $(seq 50); do grep -q sniffing "$LAB_TMP/spray.out" && break; sleep 0.1; done
}

# client_napi: an XDP program on the client veth, so that the frames
# tcpsentry sends back with XDP_TX (SYN cookies) reach it (a veth takes
# XDP frames only while its peer runs NAPI)
client_napi() {
	ip -n "$CNS" link set dev "$CIF" xdpdrv obj "$REPO/build/empty.bpf.o" sec xdp ||
		{ fail "cannot attach an XDP program to the client veth $CIF"; finish; }
}

# enforce [KEY=VALUE...]: mode=enforce plus the given keys
enforce() {
	ts_run -n "$SNS" policy set mode=enforce "$@" ||
		{ fail "policy set mode=enforce $*: exit $TS_RC: $TS_ERR"; finish; }
}

# counter NAME / anomaly KIND: from `stats -j`
counter() { stats_field "$SNS" "s[\"counters\"].get(\"$1\", 0)"; }
# expect_counter_up LABEL NAME BEFORE: the datapath's counter NAME (stats)
# grew past BEFORE
expect_counter_up() {
	local now
	now=$(counter "$2")
	[ "$now" -gt "$3" ] 2>/dev/null && pass "$1 ($2 $3 -> $now)" ||
		fail "$1: $2 did not move ($3 -> $now)"
}
anomaly() { stats_field "$SNS" "s[\"anomalies\"].get(\"$1\", 0)"; }
anomalies_total() { stats_field "$SNS" 'sum(s["anomalies"].values())'; }

# nstat_get NS COUNTER: the kernel's absolute counter
nstat_get() { in_ns "$1" nstat -az "$2" 2>/dev/null | awk -v k="$2" '$1 == k { print $2 + 0 }'; }

# nstat_snap NS FILE: every TCP counter (Tcp*, TcpExt*) of NS's kernel,
# absolute, into FILE ("NAME VALUE" lines; -s: the history file, shared by
# every namespace, is left alone)
nstat_snap() { in_ns "$1" nstat -asz 2>/dev/null | awk '$1 ~ /^Tcp/ { print $1, $2 }' >"$2"; }

# nstat_moved BEFORE AFTER [NAME...]: "NAME+DELTA" for each NAME (without
# names: each counter) that moved between two nstat_snap files, in order
# ("-" if none did)
nstat_moved() {
	local b=$1 a=$2; shift 2
	awk -v want="$*" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = i }
		FNR == NR { before[$1] = $2; next }
		(!n || ($1 in keep)) && $2 != before[$1] { out[n ? keep[$1] : FNR] = $1 "+" ($2 - before[$1]) }
		END { s = ""; for (i = 1; i <= (n ? n : FNR); i++) if (i in out) s = s (s ? " " : "") out[i]
		      print s ? s : "-" }' "$b" "$a"
}

# expect_closed TAG: the server's kernel and tcpsentry both closed the
# connection $CEP-$SEP (the control of a spoofed exact RST: the test makes
# the segment it means), then the drivers stop
expect_closed() {
	local ks ts
	ks=$(ss_state "$SNS" "$SEP" "$CEP")
	read -r _ ts _ < <(ts_state "$SNS" "$CEP" "$SEP")
	[ "$ks" = CLOSED ] && [ "$ts" = CLOSED ] &&
		pass "$1: the server's kernel and tcpsentry closed the connection" ||
		fail "$1: server kernel $ks, tcpsentry server $ts (want CLOSED, CLOSED)"
	drv_stop cli
	drv_stop srv
}

# expect_server TAG STATE: the server's kernel (ss) and tcpsentry's server
# state of $CEP-$SEP are both STATE, within $SETTLE_S seconds (a spoofed
# segment's effect on the server, which the client's kernel never sees)
expect_server() {
	local tag=$1 want=$2 ks ts deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		ks=$(ss_state "$SNS" "$SEP" "$CEP")
		read -r _ ts _ < <(ts_state "$SNS" "$CEP" "$SEP")
		if [ "$ks" = "$want" ] && [ "$ts" = "$want" ]; then
			pass "$tag: the server's kernel and tcpsentry both say $want"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.1
	done
	fail "$tag: server kernel $ks, tcpsentry server $ts (want $want, $want)"
	return 1
}

# syn_recv NS PORT: request sockets of a listener on PORT (ss state syn-recv)
syn_recv() { in_ns "$1" ss -Htan state syn-recv "( sport = :$2 )" | wc -l; }

# expect_agree LABEL PORT CLIENT_ADDR... : tcpsentry's states of every real
# connection to PORT equal ss on both ends (tests/e2e/attacks/agree.py),
# retried for $SETTLE_S seconds
expect_agree() {
	local label=$1 port=$2 deadline out; shift 2
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		in_ns "$CNS" ss -Htan >"$LAB_TMP/agree.c" 2>/dev/null
		in_ns "$SNS" ss -Htan >"$LAB_TMP/agree.s" 2>/dev/null
		ts_conns "$SNS" || : >"$LAB_TMP/conns.json"
		out=$("$PY" "$AGREE" "$LAB_TMP/agree.c" "$LAB_TMP/agree.s" "$LAB_TMP/conns.json" \
			"$port" "$@") && { pass "$label: $out"; return 0; }
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.2
	done
	fail "$label: ${out%%$'\n'*}"
	detail <<<"$out"
	return 1
}

# banned ADDR: 0 if `policy bans -j` lists ADDR
banned() {
	ts_run -n "$SNS" policy bans -j
	grep -q "\"source\":\"$1\"" <<<"$TS_OUT"
}

# connects NS SRC DST PORT: one connect (2 s), 0 on success
connects() {
	in_ns "$1" timeout 5 "$PY" -c 'import socket,sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET)
s.settimeout(2); s.bind((sys.argv[1], 0)); s.connect((sys.argv[2], int(sys.argv[3]))); s.close()' \
		"$2" "$3" "$4" 2>/dev/null
}

# expect_spoofed LABEL CLIENT SERVER EXP_CLIENT EXP_SERVER [PICKED_UP]: for
# a spoofed client (no kernel to ask on its side): the server's kernel
# state (ss) must be EXP_SERVER and tcpsentry's states EXP_CLIENT and
# EXP_SERVER (and picked_up as given); retried for $SETTLE_S seconds
expect_spoofed() {
	local label=$1 c=$2 s=$3 ec=$4 es=$5 epk=${6:-} ks tc ts pk deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		ks=$(ss_state "$SNS" "$s" "$c")
		ts_state "$SNS" "$c" "$s" >"$LAB_TMP/ts.state"
		read -r tc ts pk _ <"$LAB_TMP/ts.state"
		if [ "$ks" = "$es" ] && [ "$tc" = "$ec" ] && [ "$ts" = "$es" ] &&
			{ [ -z "$epk" ] || [ "$pk" = "$epk" ]; }; then
			pass "$label: server kernel $ks; tcpsentry client $tc server $ts${epk:+ picked_up $pk}"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.1
	done
	fail "$label: server kernel $ks; tcpsentry client $tc server $ts picked_up $pk (want kernel $es; tcpsentry $ec $es${epk:+ picked_up $epk})"
	detail <"$LAB_TMP/conn.line"
	return 1
}
