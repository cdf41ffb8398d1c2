#!/usr/bin/env bash
# The daemon's life: kill -9 leaves the datapath running and counting; a
# restarted `run` adopts the pins and its counters continue (monotonic);
# SIGHUP without --policy keeps it running; --keep-attached leaves the
# attachment on exit; a second daemon on a busy port fails plainly and
# leaves the running attachment alone; --policy is refused while this
# build cannot apply policy files.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
K=5

lab_setup
run_start || finish
drv_start srv "$SNS" -4 -n $((3 * K)) server "$S4" 80 || finish
drv_start c1 "$CNS" -4 -n "$K" -l "$C4" -p 43000 client "$S4" 80 || finish
step c1 connect && step srv "accept $K" || finish
wait_sample "first daemon" "tcpsentry_connections_opened_total{iface=\"$SIF\"}" == "$K" 5
in1=$(sample "$LAB_TMP/scrape" "tcpsentry_packets_total{iface=\"$SIF\",direction=\"ingress\",verdict=\"pass\"}")

# ---- kill -9: the datapath keeps running and counting
kill -9 "$RUN_PID"; wait "$RUN_PID" 2>/dev/null
[ -d "$(pin_dir "$SNS" "$SIF")" ] && pass "kill -9: pins still there" || fail "kill -9: pins gone"
ip -n "$SNS" link show "$SIF" | grep -q 'xdp' && pass "kill -9: XDP still attached to $SIF" ||
	{ fail "kill -9: no XDP on $SIF"; ip -n "$SNS" link show "$SIF" | detail; }
drv_start c2 "$CNS" -4 -n "$K" -l "$C4" -p 43100 client "$S4" 80 || finish
step c2 connect && step srv "accept $K" || finish
ts_run -n "$SNS" stats -j
got=$("$PY" -c 'import json, sys
c = json.loads(sys.stdin.readline())["counters"]
print(c.get("promotions", "?"))' <<<"$TS_OUT" 2>/dev/null)
if [ "$got" = $((2 * K)) ]; then
	pass "while the daemon is dead, the datapath counts: $got handshakes promoted"
else
	fail "while the daemon is dead: promoted '$got', expected $((2 * K))"; detail <<<"$TS_OUT"
fi

# ---- restart: adopt, counters continue
run_start --keep-attached || finish
grep -q "adopting the running attachment" "$LAB_TMP/run.err" && pass "restart: adopted the pins" ||
	{ fail "restart: no 'adopting' message"; detail <"$LAB_TMP/run.err"; }
wait_sample "restarted daemon" "tcpsentry_connections_opened_total{iface=\"$SIF\"}" == $((2 * K)) 5
in2=$(sample "$LAB_TMP/scrape" "tcpsentry_packets_total{iface=\"$SIF\",direction=\"ingress\",verdict=\"pass\"}")
[ -n "$in1" ] && [ -n "$in2" ] && [ "$in2" -gt "$in1" ] &&
	pass "restart: ingress packets continue ($in1 before kill -9, $in2 after restart)" ||
	fail "restart: ingress packets '$in1' then '$in2', expected to grow"
wait_sample "restarted daemon" "tcpsentry_connections{iface=\"$SIF\",state=\"ESTABLISHED\"}" == $((2 * K)) 5

# ---- a second daemon on the same port: a plain error, the attachment untouched
timeout 20 "$TCPSENTRY" -n "$SNS" run "$SIF" --metrics "127.0.0.1:$METRICS_PORT" \
	>"$LAB_TMP/run2.out" 2>"$LAB_TMP/run2.err"
rc=$?
[ "$rc" = 1 ] && grep -q "cannot listen on 127.0.0.1:$METRICS_PORT.*in use" "$LAB_TMP/run2.err" &&
	pass "second daemon, same port: exit 1 ($(grep 'cannot listen' "$LAB_TMP/run2.err"))" ||
	{ fail "second daemon, same port: exit $rc"; detail <"$LAB_TMP/run2.err"; }
[ -d "$(pin_dir "$SNS" "$SIF")" ] && kill -0 "$RUN_PID" 2>/dev/null &&
	pass "second daemon: the first one and its attachment are untouched" ||
	fail "second daemon: it broke the running one"

# ---- SIGHUP with no --policy: logged, keeps running
kill -HUP "$RUN_PID"
sleep 0.5
kill -0 "$RUN_PID" 2>/dev/null && grep -q "SIGHUP: no --policy" "$LAB_TMP/run.err" &&
	pass "SIGHUP without --policy: still running, said so" ||
	{ fail "SIGHUP"; detail <"$LAB_TMP/run.err"; }
wait_sample "after SIGHUP" "tcpsentry_connections_opened_total{iface=\"$SIF\"}" == $((2 * K)) 3

# ---- --keep-attached: SIGINT exits 0 and leaves the datapath
run_stop INT
[ "$RUN_RC" = 0 ] && pass "SIGINT: exit 0" || fail "SIGINT: exit $RUN_RC"
[ -d "$(pin_dir "$SNS" "$SIF")" ] && pass "--keep-attached: pins still there" ||
	fail "--keep-attached: detached anyway"
drv_start c3 "$CNS" -4 -n "$K" -l "$C4" -p 43200 client "$S4" 80 || finish
step c3 connect && step srv "accept $K" || finish

# ---- a third daemon adopts again, sees all of them, SIGTERM detaches
run_start || finish
wait_sample "third daemon" "tcpsentry_connections_opened_total{iface=\"$SIF\"}" == $((3 * K)) 5
run_stop TERM
[ "$RUN_RC" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RUN_RC"
[ -d "$(pin_dir "$SNS" "$SIF")" ] && fail "SIGTERM: pins still there" ||
	pass "SIGTERM without --keep-attached: detached (an adopted attachment too)"

# ---- --policy: this build cannot apply policy files; refused, nothing left behind
printf 'mode = observe\n' >"$LAB_TMP/policy.conf"
timeout 20 "$TCPSENTRY" -n "$SNS" run "$SIF" --metrics "127.0.0.1:$METRICS_PORT" \
	--policy "$LAB_TMP/policy.conf" >"$LAB_TMP/run3.out" 2>"$LAB_TMP/run3.err"
rc=$?
[ "$rc" = 1 ] && grep -q "cannot apply policy files" "$LAB_TMP/run3.err" &&
	pass "--policy: refused, exit 1 ($(grep -m1 policy "$LAB_TMP/run3.err"))" ||
	{ fail "--policy: exit $rc"; detail <"$LAB_TMP/run3.err"; }
[ -d "$(pin_dir "$SNS" "$SIF")" ] && fail "--policy refused: left an attachment" ||
	pass "--policy refused: nothing left attached"
finish
