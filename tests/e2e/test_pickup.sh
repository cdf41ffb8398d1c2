#!/usr/bin/env bash
# A connection opened before `attach` is picked up mid-stream (picked_up
# true, both ESTABLISHED) and tracked through its close.
. "$(dirname "$0")/lib.sh"
lab_setup
tag="pickup"
CEP=$(ep "$C4" 40000) SEP=$(ep "$S4" 80)
drv_start srv "$SNS" -4 server "$S4" 80 || finish
drv_start cli "$CNS" -4 -l "$C4" -p 40000 client "$S4" 80 || finish
step cli connect && step srv accept && step cli "send 100" && step srv "recv 100" || finish
ts_attach "$SNS" "$SIF" || finish
st=$(ts_state "$SNS" "$CEP" "$SEP")
info "before any packet after attach, tcpsentry has: $st"
step cli "send 100" && step srv "recv 100" && step srv "send 100" && step cli "recv 100" || finish
expect_states "$tag: traffic after attach" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
expect_field "$tag" "$CEP" "$SEP" picked_up true
# answered both ways: confirmed; the client sending again past the 1 s
# grace is no ack_no_conn (nor anything else)
sleep 1.2
step cli "send 100" && step srv "recv 100" || finish
if ts_run -n "$SNS" stats -j; then
	got=$("$PY" -c 'import json,sys; a=json.loads(sys.stdin.readline())["anomalies"]
print("ack_no_conn=%d ack_flood=%d total=%d" % (a["ack_no_conn"], a["ack_flood"], sum(a.values())))' <<<"$TS_OUT" 2>&1)
	[ "$got" = "ack_no_conn=0 ack_flood=0 total=0" ] && pass "$tag: stats anomalies: $got" ||
		{ fail "$tag: stats anomalies: $got"; detail <<<"$TS_OUT"; }
else
	fail "stats -j: exit $TS_RC: $TS_ERR"
fi
step cli close || finish
expect_states "$tag: client close" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
step srv close || finish
expect_states "$tag: server close" "$CEP" "$SEP" TIME_WAIT CLOSED
expect_field "$tag: end" "$CEP" "$SEP" picked_up true
finish
