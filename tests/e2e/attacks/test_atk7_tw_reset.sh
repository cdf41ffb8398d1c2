#!/usr/bin/env bash
# Attack 7's load (issue 11), the one rare end of a connection that it once
# counted as a suppressed state event, replayed with real kernels: the
# client closes first (the server LAST_ACK, the client FIN_WAIT_2), the
# server closes, and its FIN comes to the client again once the server's
# kernel has taken the last ACK (CLOSED): a retransmission that crossed the
# last ACK (a stalled emulated guest's RTO or TLP) or a duplicate. Here the
# copy is sent from the server's address out of its veth (segspray --sniff:
# the FIN's sequence, the client's next byte expected), without timestamps
# (no PAWS in the TIME_WAIT). The client's TIME_WAIT ACKs it again
# (tcp_timewait_state_process), the server's kernel, holding no socket,
# answers with an RST, and that RST kills the TIME_WAIT (rfc1337=0).
# The kernels' view:
# - the client's tuple gone from ss at once (a TIME_WAIT lasts 60 s), the
#   server's RST counted (TcpOutRsts);
# tcpsentry's:
# - both sides CLOSED, as ss says;
# - the client's TIME_WAIT -> CLOSED written as a state event (the RST's,
#   egress), nothing counted in state_events_suppressed or _unproven: the
#   connection was proven long before, nothing of it is an unproven
#   handshake's.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
CP=40000 SP=80

lab_setup
ts_attach "$SNS" "$SIF" || finish
"$TCPSENTRY" -n "$SNS" events -j --timeout "$(S 30)" >"$LAB_TMP/events" 2>&1 &
evpid=$!
sup0=$(counter state_events_suppressed)
unp0=$(counter state_events_unproven)
rst0=$(nstat_get "$SNS" TcpOutRsts)
open_conn "client-first" "$C4" "$CP" "$S4" "$SP" || finish
step cli close || finish
expect_states "client-first: client close" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
# the copy of the server's FIN: after the client's next segment (the last
# ACK), seq = its ACK - 1 (the FIN's own), ack = its seq
: >"$LAB_TMP/spray.out"
in_ns "$SNS" timeout "$(S 20)" "$SEGSPRAY" -i "$SIF" --dst-mac "$(mac_of "$CNS" "$CIF")" \
	--src "$S4" --sport "$SP" --dst "$C4" --dport "$CP" --flags FA --win 502 \
	--sniff "$(($(S 10) > 60 ? 60000 : $(S 10) * 1000))" --seq-add -1 >>"$LAB_TMP/spray.out" 2>&1 &
spid=$!
for _ in $(seq "$(S 100)"); do
	grep -q '^sniffing' "$LAB_TMP/spray.out" && break
	sleep 0.05
done
step srv close || finish
wait "$spid"
info "segspray: $(tr '\n' ' ' <"$LAB_TMP/spray.out")"
grep -q '^sent 1 ' "$LAB_TMP/spray.out" || fail "the FIN's copy was not sent"
# the TIME_WAIT killed: both kernels hold nothing, and tcpsentry agrees
expect_states "client-first: the FIN again, the TIME_WAIT's ACK, the server's RST" \
	"$CEP" "$SEP" CLOSED CLOSED
rst1=$(nstat_get "$SNS" TcpOutRsts)
[ "$rst1" -gt "$rst0" ] && pass "the server's kernel answered the TIME_WAIT's ACK with an RST (TcpOutRsts $rst0 -> $rst1)" ||
	fail "the server's kernel sent no RST (TcpOutRsts $rst0 -> $rst1)"
sup1=$(counter state_events_suppressed)
unp1=$(counter state_events_unproven)
[ "$sup1" = "$sup0" ] && [ "$unp1" = "$unp0" ] && pass "no state event lost or withheld" ||
	fail "state events of a proven connection's end: suppressed $sup0 -> $sup1, unproven $unp0 -> $unp1"
sleep 0.5
kill "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
n=$("$PY" -c 'import json,sys
n = 0
for l in open(sys.argv[1]):
    try: d = json.loads(l)
    except ValueError: continue
    n += (d.get("type") == "state" and d.get("side") == "client" and d.get("from") == "TIME_WAIT"
          and d.get("to") == "CLOSED" and d.get("hook") == "egress" and d.get("tcp_flags") == 4)
print(n)' "$LAB_TMP/events")
[ "$n" = 1 ] && pass "state event: the client's TIME_WAIT -> CLOSED by the server's RST" || {
	fail "$n state events client TIME_WAIT -> CLOSED (egress RST), want 1; the connection's events:"
	grep '"type":"state"' "$LAB_TMP/events" | detail
}
drv_stop cli
drv_stop srv
finish
