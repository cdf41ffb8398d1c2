#!/usr/bin/env bash
# No false positives from real traffic: 1,000 connections from five sources
# (198.18.0.2-.6), opened, used and closed: a fifth each closed by the client
# first, by the server first, aborted by the client (SO_LINGER 0), aborted by
# the server, and refused (a SYN to a closed port: the server's RST is not
# rst_no_conn) -> stats -j counts ZERO anomalies of every kind, and an
# events -j capture holds no anomaly event. Then the same through the lossy
# link (tests/e2e/lossy.bpf.c at the client's egress: drops, reorders):
# retransmitted and reordered segments must not count as anything.
. "$(dirname "$0")/lib.sh"
N=${E2E_FP_CONNS:-1000}
OBJ=${LOSSY_OBJ:-$REPO/build/lossy.bpf.o}
FPT="$E2E_DIR/fp_traffic.py"
[ -f "$OBJ" ] || { fail "no $OBJ (make build/lossy.bpf.o)"; finish; }
SRCS=$C4,198.18.0.3,198.18.0.4,198.18.0.5,198.18.0.6

# check_zero LABEL: stats -j anomalies all zero, no anomaly event captured
check_zero() {
	local label=$1 got
	if ts_run -n "$SNS" stats -j; then
		got=$("$PY" -c 'import json,sys; a=json.loads(sys.stdin.readline())["anomalies"]
print(" ".join("%s=%d" % kv for kv in sorted(a.items())), "total=%d" % sum(a.values()))' <<<"$TS_OUT")
		case "$got" in
		*" total=0") pass "$label: stats -j anomalies: $got" ;;
		*) fail "$label: stats -j anomalies: $got"; detail <<<"$TS_OUT" ;;
		esac
		# RSTs the lossy link made inexact (a segment lost before the
		# RST), recognised as the peer's own by their ACK: not anomalies
		info "$label: rst_inexact_peer $("$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["counters"].get("rst_inexact_peer"))' <<<"$TS_OUT")"
	else
		fail "$label: stats -j: exit $TS_RC: $TS_ERR"
	fi
	got=$(grep -c '"type":"anomaly"' "$LAB_TMP/events")
	[ "$got" -eq 0 ] && pass "$label: no anomaly events in events -j ($(wc -l <"$LAB_TMP/events") events)" ||
		{ fail "$label: $got anomaly events"; grep '"type":"anomaly"' "$LAB_TMP/events" | head -n 10 | detail; }
}

# run LABEL: N connections, events captured meanwhile
run() {
	local label=$1 out rc evpid srvpid # $2: "lossy" for the lossy run
	ts_attach "$SNS" "$SIF" || finish
	# the server outlives the clients: its lifetime scales with their bound
	in_ns "$SNS" timeout "$(S 60)" "$PY" "$FPT" server "$S4" 80 "$(S 50)" >"$LAB_TMP/srv" 2>&1 &
	srvpid=$!
	for _ in $(seq "$(S 50)"); do grep -q ready "$LAB_TMP/srv" && break; sleep 0.1; done
	"$TCPSENTRY" -n "$SNS" events -j --timeout "$(S 60)" >"$LAB_TMP/events" 2>"$LAB_TMP/events.err" &
	evpid=$!
	sleep 0.5
	t0=$(now_ms)
	out=$(in_ns "$CNS" timeout "$(S 50)" "$PY" "$FPT" client "$S4" 80 81 "$N" 32 "$SRCS" 2>&1)
	rc=$?
	info "$label: $N connections in $(($(now_ms) - t0)) ms: $out"
	[ "$rc" -eq 0 ] && pass "$label: $N connections as intended" ||
		fail "$label: connections: exit $rc"
	sleep 1
	kill -TERM "$evpid" 2>/dev/null; wait "$evpid" 2>/dev/null
	kill -TERM "$srvpid" 2>/dev/null; wait "$srvpid" 2>/dev/null
	check_zero "$label" "${2:-}"
	timeout "$TS_TIMEOUT" "$TCPSENTRY" -n "$SNS" detach "$SIF" >/dev/null 2>&1
}

lab_setup
for a in 3 4 5 6; do ip -n "$CNS" addr add "198.18.0.$a/24" dev "$CIF"; done
run "clean link"

in_ns "$CNS" ethtool -K "$CIF" tso off gso off >/dev/null 2>&1
ip -n "$CNS" link set dev "$CIF" gso_max_segs 1 ||
	{ fail "cannot set gso_max_segs 1 on $CIF"; finish; }
tc -n "$CNS" qdisc add dev "$CIF" clsact &&
	tc -n "$CNS" filter add dev "$CIF" egress pref 1 handle 1 bpf da obj "$OBJ" sec tc ||
	{ fail "cannot attach lossy.bpf.c at tc egress of $CIF"; finish; }
retr0=$(in_ns "$CNS" nstat -asz TcpRetransSegs | awk 'NR > 1 { s += $2 } END { print s + 0 }')
run "lossy link" lossy
retr=$(( $(in_ns "$CNS" nstat -asz TcpRetransSegs | awk 'NR > 1 { s += $2 } END { print s + 0 }') - retr0 ))
info "lossy link: client retransmitted $retr segments"
finish
