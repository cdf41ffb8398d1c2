#!/usr/bin/env bash
# Forged RSTs against a live connection, observe vs enforce, with the
# server kernel's own counters as the oracle (nstat in its namespace):
# - an out-of-window RST: in observe mode it reaches the server's kernel
#   (TcpInSegs moves) and is reported as would_drop; in enforce mode XDP
#   drops it (TcpInSegs does not move) and it is counted as dropped;
# - an in-window inexact RST (RFC 5961: the kernel answers a challenge ACK)
#   with action.rst_in_window_inexact=drop: observe -> the kernel's
#   TcpExtTCPChallengeACK moves; enforce -> it does not.
# Both ways the connection survives and carries data after.
. "$(dirname "$0")/lib.sh"
RSTINJECT=${RSTINJECT:-$REPO/build/rstinject}
[ -x "$RSTINJECT" ] || make -C "$REPO" --no-print-directory build/rstinject >/dev/null ||
	{ fail "cannot build $RSTINJECT"; finish; }
lab_setup
ts_attach "$SNS" "$SIF" || finish
ts_run -n "$SNS" policy set action.rst_in_window_inexact=drop || fail "policy set: $TS_ERR"

# nstat_get NAME: the server namespace's absolute counter (no history file)
nstat_get() { in_ns "$SNS" nstat -asz "$1" 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'; }

# inject MODE KIND OFFSET CPORT: one forged RST on a fresh, then idle,
# connection; sets D_INSEGS and D_CHALLENGE (the server kernel's deltas)
inject() {
	local mode=$1 kind=$2 off=$3 cport=$4 tag="$1 $2" rc a0 c0
	D_INSEGS=x D_CHALLENGE=x
	ts_run -n "$SNS" policy set mode="$mode" || { fail "$tag: set mode: $TS_ERR"; return 1; }
	open_conn "$tag" "$C4" "$cport" "$S4" 80 || return 1
	# the RST goes once the counters are read (the go file), not after a
	# fixed delay that a slow (emulated) kernel overruns
	rm -f "$LAB_TMP/go"
	in_ns "$CNS" timeout $((10 * E2E_TIME_SCALE)) "$RSTINJECT" -o "$off" -t $((8000 * E2E_TIME_SCALE)) \
		-g "$LAB_TMP/go" "$C4" "$cport" "$S4" 80 >"$LAB_TMP/inject" 2>"$LAB_TMP/inject.err" &
	local injpid=$!
	for _ in $(seq "$(S 50)"); do grep -q listening "$LAB_TMP/inject" && break; sleep 0.1; done
	step srv "send 10" && step cli "recv 10"
	for _ in $(seq "$(S 50)"); do grep -q seen "$LAB_TMP/inject" && break; sleep 0.05; done
	sleep 0.3   # the client's ACK of those 10 bytes has arrived: quiet now
	a0=$(nstat_get TcpInSegs) c0=$(nstat_get TcpExtTCPChallengeACK)
	touch "$LAB_TMP/go"
	wait "$injpid"; rc=$?
	sleep 0.3
	D_INSEGS=$(($(nstat_get TcpInSegs) - a0))
	D_CHALLENGE=$(($(nstat_get TcpExtTCPChallengeACK) - ${c0:-0}))
	[ "$rc" -eq 0 ] || { fail "$tag: rstinject exit $rc"; detail <"$LAB_TMP/inject.err"; }
	info "$tag: $(grep expected "$LAB_TMP/inject"); server TcpInSegs +$D_INSEGS, TcpExtTCPChallengeACK +$D_CHALLENGE"
	expect_states "$tag: connection survives" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
	step cli "send 100" && step srv "recv 100" && pass "$tag: data still flows"
	step cli close && step srv close
	drv_stop cli
	drv_stop srv
}

inject observe rst_out_of_window $((1 << 30)) 40001
[ "$D_INSEGS" = 1 ] && pass "observe: the out-of-window RST reached the server's kernel (TcpInSegs +1)" ||
	fail "observe: TcpInSegs +$D_INSEGS, expected +1"
w=$(stats_field "$SNS" 's["would_drop"]["rst_out_of_window"], s["dropped"]["rst_out_of_window"]')
[ "$w" = "(1, 0)" ] && pass "observe: would_drop 1, dropped 0" || fail "observe: would_drop, dropped = $w"

inject enforce rst_out_of_window $((1 << 30)) 40002
[ "$D_INSEGS" = 0 ] && [ "$D_CHALLENGE" = 0 ] &&
	pass "enforce: the out-of-window RST never reached the server's kernel (TcpInSegs +0, challenge ACKs +0)" ||
	fail "enforce: TcpInSegs +$D_INSEGS, challenge ACKs +$D_CHALLENGE, expected +0 +0"
w=$(stats_field "$SNS" 's["would_drop"]["rst_out_of_window"], s["dropped"]["rst_out_of_window"]')
[ "$w" = "(1, 1)" ] && pass "enforce: dropped 1" || fail "enforce: would_drop, dropped = $w"

# in window: 100 bytes past the exact sequence
inject observe rst_in_window_inexact 100 40003
[ "$D_CHALLENGE" = 1 ] && pass "observe: the inexact RST got the kernel's challenge ACK (+1)" ||
	fail "observe: challenge ACKs +$D_CHALLENGE, expected +1"
inject enforce rst_in_window_inexact 100 40004
[ "$D_CHALLENGE" = 0 ] && [ "$D_INSEGS" = 0 ] &&
	pass "enforce: the inexact RST never reached the kernel (no challenge ACK, TcpInSegs +0)" ||
	fail "enforce: challenge ACKs +$D_CHALLENGE, TcpInSegs +$D_INSEGS, expected +0 +0"
a=$(stats_field "$SNS" 's["anomalies"]["rst_out_of_window"], s["anomalies"]["rst_in_window_inexact"]')
[ "$a" = "(2, 2)" ] && pass "all four reported as anomalies in both modes" || fail "anomalies: $a, expected (2, 2)"
finish
