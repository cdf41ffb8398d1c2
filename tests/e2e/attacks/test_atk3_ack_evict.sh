#!/usr/bin/env bash
# Attack 3 (issue 11): spoofed ACKs of unknown tuples must not evict
# confirmed connections from `flows`, nor get them cut by ack_flood.
# Enforce mode, default policy (ack_no_conn: drop while an ack_flood is on),
# --max-flows 1024 (the smallest table: the attack needs more ACKs against
# the default 1,048,576, nothing else changes). 20 real connections carry
# data, then sit idle; a burst of spoofed ACKs from 198.18.128.0/17 to the
# server's port 80: 20,000 at 4000/s (below ack_flood.rate, 5000/s: the
# table churns, no flood), then 10,000/s for 8 s (an ack_flood). The
# victim's view:
# - after the churn, all 20 are still tracked as the connections they were
#   (not dropped from the table and picked up again);
# - during the burst, the idle connections carry data both ways;
# - after it, tcpsentry's states of all 20 equal ss on both ends.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
N=20

lab_setup
ts_attach "$SNS" "$SIF" --max-flows 1024 || finish
enforce
drv_start srv "$SNS" -4 -n "$N" -t 3000 server "$S4" 80 || finish
drv_start cli "$CNS" -4 -n "$N" -t 3000 -l "$C4" -p 40000 client "$S4" 80 || finish
step cli connect && step srv accept && step cli "send 100" && step srv "recv 100" &&
	step srv "send 100" && step cli "recv 100" || finish
expect_agree "before the burst: $N connections" 80 "$C4"

# phase 1, below ack_flood.rate: churn the table; phase 2, above it
spray --src 198.18.128.0/17 --dst "$S4" --dport 80 --flags A --ack rand \
	--count 20000 --rate 4000 --seconds 6
info "churn: $(tail -n 1 "$LAB_TMP/spray.out")"
ts_conns "$SNS"
kept=$("$PY" - "$LAB_TMP/conns.json" "$C4" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    o = json.loads(l)
    n += o["client"].startswith(sys.argv[2] + ":") and not o.get("picked_up")
print(n)
PY
)
[ "$kept" = "$N" ] && pass "after 20,000 spoofed ACKs at 4000/s: all $N confirmed connections are still tracked (not picked up again)" ||
	fail "after 20,000 spoofed ACKs at 4000/s: $kept of $N confirmed connections are still tracked"
spray_bg --src 198.18.128.0/17 --dst "$S4" --dport 80 --flags A --ack rand \
	--count 80000 --rate 10000 --seconds 9
sleep 3   # the ack_flood is on by now
status_line=$(ts_run -n "$SNS" stats -j; "$PY" -c 'import json,sys; s=json.loads(sys.stdin.readline()); c=s["counters"]
print("evictions %s, ack_untracked_flood %s, dropped ack_no_conn %s" % (c.get("flow_evictions", c.get("evictions")), c.get("ack_untracked_flood"), s["dropped"].get("ack_no_conn")))' <<<"$TS_OUT" 2>&1)
info "3 s into the burst: $status_line"
if drv cli "send 100" && drv srv "recv 100"; then
	pass "during the burst: the $N idle connections carried 100 bytes client -> server"
else
	fail "during the burst: the $N idle connections did not carry 100 bytes client -> server ($DRV_REPLY)"
fi
if drv srv "send 100" && drv cli "recv 100"; then
	pass "during the burst: the $N idle connections carried 100 bytes server -> client"
else
	fail "during the burst: the $N idle connections did not carry 100 bytes server -> client ($DRV_REPLY)"
fi
wait "$SPRAY_PID"
info "burst: $(tail -n 1 "$LAB_TMP/spray.out")"
ts_run -n "$SNS" stats -j
info "after the burst: dropped ack_no_conn $("$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["dropped"].get("ack_no_conn"))' <<<"$TS_OUT")"
# the data that was held back gets through once the burst is over
drv cli "recv" >/dev/null
drv srv "recv" >/dev/null
expect_agree "after the burst: $N connections" 80 "$C4"
drv_stop cli
drv_stop srv
finish
