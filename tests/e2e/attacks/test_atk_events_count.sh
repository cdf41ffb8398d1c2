#!/usr/bin/env bash
# Issue 11, smaller defect: `events --count N` printed more than N events
# when one poll of the ring buffer brought more. Ten connections open and
# close (dozens of state events waiting in the ring), then
# `events -j --count 3` must print exactly 3 lines.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
listen_bg "$SNS" "$S4" 80 30 || finish
connect_n "$CNS" "$C4" "$S4" 80 10
sleep 0.5
ts_run -n "$SNS" events -j --count 3 --timeout 5
n=$(grep -c . <<<"$TS_OUT")
[ "$n" = 3 ] && pass "events -j --count 3 printed 3 events" ||
	{ fail "events -j --count 3 printed $n events (connections made: $CONN_OK)"; head -n 5 <<<"$TS_OUT" | detail; }
finish
