#!/usr/bin/env bash
# Attack 7 (issue 11): legitimate load is not a flood. nginx in the server
# namespace, wrk in the client namespace at full speed for 10 s with
# `Connection: close` (a reverse proxy's pattern: a new connection per
# request), the client with net.ipv4.tcp_tw_reuse=1 (its ports come back
# out of TIME_WAIT: tuples are reused). Enforce mode with
# action.syn_flood=drop (what an operator guarding against floods runs) and
# syn_flood.rate=500: this shared 2-vCPU lab makes 2,000 to 3,500
# connections/s, the issue's ~15,000; a threshold below the load's rate
# asks the same question (are reused tuples' handshakes counted as
# completed?). The client's ephemeral ports are 4096 (a proxy's narrow
# range), so that nearly every connection reuses a tuple at this rate, as
# most did at the issue's.
# The victim's view:
# - wrk saw no socket error and no non-2xx answer;
# - no anomaly of any kind (stats), no syn_flood (status, events);
# - no state event lost or withheld (state_events_suppressed and
#   state_events_unproven stay 0), and the events of every handshake
#   written (the held SYN-ACK's and the final ACK's);
# - tcpsentry's states of every connection equal ss on both ends.
# A rare failure (a slow emulated guest once suppressed 1 event in ~40,000)
# explains itself: what both kernels counted (closes, TIME_WAITs killed or
# reused, resets, retransmissions, listen queue overflows), tcpsentry's
# counters, how its connections ended (history letters) and the kinds of
# state events written.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
SECS=${E2E_ATK_LOAD_SECONDS:-10}
command -v nginx >/dev/null && command -v wrk >/dev/null ||
	skip "no nginx or wrk (tools/deps.sh installs nginx-light and wrk)"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce action.syn_flood=drop syn_flood.rate=500
in_ns "$CNS" sysctl -qw net.ipv4.tcp_tw_reuse=1
in_ns "$CNS" sysctl -qw net.ipv4.ip_local_port_range="32768 36863"
nginx_bg "$SNS" "$S4" 80 $((SECS + 60)) || finish
"$TCPSENTRY" -n "$SNS" events -j --timeout $((SECS + 10)) >"$LAB_TMP/events" 2>&1 &
evpid=$!
sup0=$(counter state_events_suppressed)
unp0=$(counter state_events_unproven)
nstat_snap "$CNS" "$LAB_TMP/nstat.c0"
nstat_snap "$SNS" "$LAB_TMP/nstat.s0"
in_ns "$CNS" timeout $((SECS + 20)) wrk -t 1 -c 64 -d "${SECS}s" -H "Connection: close" \
	"http://$S4:80/" >"$LAB_TMP/wrk" 2>&1
info "wrk: $(grep -E 'requests in|Requests/sec' "$LAB_TMP/wrk" | tr -s ' ' | tr '\n' ' ')"
nstat_snap "$CNS" "$LAB_TMP/nstat.c1"
nstat_snap "$SNS" "$LAB_TMP/nstat.s1"
# the kernels' counters a diagnosis starts from (tests/e2e/attacks/atk_lib.sh)
KERNEL_KEYS="TcpActiveOpens TcpPassiveOpens TcpOutRsts TcpEstabResets TcpAttemptFails
TcpRetransSegs TcpExtTW TcpExtTWRecycled TcpExtTWKilled TcpExtTCPTimeWaitOverflow
TcpExtPAWSActive TcpExtPAWSEstab TcpExtTCPACKSkippedTimeWait TcpExtTCPACKSkippedSynRecv
TcpExtTCPACKSkippedPAWS TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop
TcpExtTCPReqQFullDoCookies TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtTCPSynRetrans
TcpExtTCPLossProbes TcpExtTCPTimeouts TcpExtTCPSpuriousRTOs TcpExtTCPChallengeACK
TcpExtTCPSYNChallenge TcpExtTCPAbortOnData TcpExtTCPAbortOnClose TcpExtTCPAbortFailed
TcpExtTCPDSACKRecv TcpExtTCPDSACKOldSent TcpExtEmbryonicRsts"
# shellcheck disable=SC2086 # a list of names
info "client kernel: $(nstat_moved "$LAB_TMP/nstat.c0" "$LAB_TMP/nstat.c1" $KERNEL_KEYS)"
# shellcheck disable=SC2086
info "server kernel: $(nstat_moved "$LAB_TMP/nstat.s0" "$LAB_TMP/nstat.s1" $KERNEL_KEYS)"
if grep -qE 'Socket errors|Non-2xx' "$LAB_TMP/wrk"; then
	fail "wrk saw errors: $(grep -E 'Socket errors|Non-2xx' "$LAB_TMP/wrk" | tr -s ' ')"
else
	pass "wrk: no socket error, no non-2xx answer"
fi
diag=${E2E_ATK_DIAG:-0} # 1: the diagnosis below even when all passes
ts_run -n "$SNS" stats -j
printf '%s\n' "$TS_OUT" >"$LAB_TMP/stats.json"
"$PY" -c 'import json,sys; s=json.loads(sys.stdin.readline()); c=s["counters"]
print("tuple_reuses %s syn %s state_events_suppressed %s state_events_unproven %s" % (c.get("tuple_reuses"), c.get("syn"), c.get("state_events_suppressed"), c.get("state_events_unproven")))
print(" ".join("%s=%d" % kv for kv in s["anomalies"].items() if kv[1]) or "none")
print(" ".join("%s=%d" % kv for kv in s["dropped"].items() if kv[1]) or "none")' <<<"$TS_OUT" >"$LAB_TMP/stats.sum"
info "counters: $(sed -n 1p "$LAB_TMP/stats.sum")"
an=$(sed -n 2p "$LAB_TMP/stats.sum")
[ "$an" = none ] && pass "no anomaly raised" || {
	fail "anomalies raised under legitimate load: $an"
	diag=1
}
dr=$(sed -n 3p "$LAB_TMP/stats.sum")
[ "$dr" = none ] && pass "nothing dropped" || {
	fail "dropped under legitimate load: $dr"
	diag=1
}
sup1=$(counter state_events_suppressed)
unp1=$(counter state_events_unproven)
[ "$sup1" = "$sup0" ] && [ "$unp1" = "$unp0" ] && pass "no state event lost or withheld" || {
	fail "state events under legitimate load: suppressed $sup0 -> $sup1, unproven $unp0 -> $unp1"
	diag=1
}
ts_run -n "$SNS" status -j
fl=$(grep -o '"syn_floods":\[[^]]*\]' <<<"$TS_OUT")
kill "$evpid" 2>/dev/null; wait "$evpid" 2>/dev/null
fe=$(grep -c '"kind":"syn_flood"' "$LAB_TMP/events")
[ "$fl" = '"syn_floods":[]' ] && [ "$fe" = 0 ] && pass "no syn_flood (status, events)" ||
	fail "syn_flood under legitimate load: status $fl; $fe syn_flood events: $(grep -m1 '"kind":"syn_flood"' "$LAB_TMP/events")"
# every handshake's events were written: the SYN-ACK's (held until the
# final ACK proved the client) and the final ACK's, one of each per
# request at least (the ring may drop some for a slow reader: events_lost)
req=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$LAB_TMP/wrk")
lost=$(counter events_lost)
read -r held est < <("$PY" -c 'import json,sys
h = e = 0
for l in open(sys.argv[1]):
    try: d = json.loads(l)
    except ValueError: continue
    if d.get("type") != "state" or d.get("side") != "server": continue
    h += d.get("from") == "LISTEN" and d.get("to") == "SYN_RCVD"
    e += d.get("from") == "SYN_RCVD" and d.get("to") == "ESTABLISHED"
print(h, e)' "$LAB_TMP/events")
if [ -n "$req" ] && [ $((held + lost)) -ge "$req" ] && [ $((est + lost)) -ge "$req" ]; then
	pass "state events of every handshake: $held LISTEN->SYN_RCVD, $est SYN_RCVD->ESTABLISHED for $req requests ($lost lost by the reader)"
else
	fail "state events missing: $held LISTEN->SYN_RCVD, $est SYN_RCVD->ESTABLISHED for ${req:-?} requests ($lost lost by the reader)"
	diag=1
fi
# what a failure needs to be understood next time, where it happened
if [ "$diag" = 1 ]; then
	info "diagnosis: every TCP counter of the kernels that moved since the load began, client then server"
	nstat_snap "$CNS" "$LAB_TMP/nstat.c2"
	nstat_snap "$SNS" "$LAB_TMP/nstat.s2"
	nstat_moved "$LAB_TMP/nstat.c0" "$LAB_TMP/nstat.c2" | fold -s -w 100 | detail
	nstat_moved "$LAB_TMP/nstat.s0" "$LAB_TMP/nstat.s2" | fold -s -w 100 | detail
	ts_conns "$SNS" || : >"$LAB_TMP/conns.json"
	"$PY" - "$LAB_TMP/stats.json" "$LAB_TMP/conns.json" "$LAB_TMP/events" <<'PY' | detail
import collections, json, sys
def lines(path):
    for l in open(path):
        try: yield json.loads(l)
        except ValueError: pass
for s in lines(sys.argv[1]):
    print("tcpsentry counters: " + " ".join("%s=%s" % kv for kv in sorted(s["counters"].items()) if kv[1]))
    break
ends = collections.Counter((c.get("client_state"), c.get("server_state"), c.get("history"))
                           for c in lines(sys.argv[2]) if "history" in c)
# every kind (the rare ones are the clue), 20 most and 20 least common past 40
kinds = ends.most_common()
print("connections by client state, server state, history (%d kinds):" % len(kinds))
for (cs, ss, h), n in kinds if len(kinds) <= 40 else kinds[:20] + kinds[-20:]:
    print("  %6d  %-11s %-11s %s" % (n, cs, ss, h))
evs = collections.Counter((e.get("side"), e.get("from"), e.get("to"), e.get("hook"), e.get("tcp_flags"))
                          for e in lines(sys.argv[3]) if e.get("type") == "state")
print("state events by side, from, to, hook, TCP flags (%d kinds):" % len(evs))
for (side, fr, to, hook, fl), n in sorted(evs.items(), key=lambda kv: -kv[1]):
    print("  %6d  %-6s %-11s -> %-11s %-7s 0x%02x" % (n, side, fr, to, hook, fl or 0))
PY
fi
# nginx closes first: server TIME_WAIT, client CLOSED (or reused)
SETTLE_S=10 expect_agree "after ${SECS} s of load" 80 "$C4"
finish
