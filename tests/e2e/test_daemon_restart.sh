#!/usr/bin/env bash
# The daemon's life: kill -9 leaves the datapath running and counting; a
# restarted `run` adopts the pins and its counters continue (monotonic);
# SIGHUP without --policy keeps it running; --keep-attached leaves the
# attachment on exit; a second daemon on a busy port fails plainly and
# leaves the running attachment alone; --policy FILE is applied at start
# and again on SIGHUP (a deny entry really drops, and the drop shows in the
# metrics), a bad file is refused whole.
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
timeout "$(S 20)" "$TCPSENTRY" -n "$SNS" run "$SIF" --metrics "127.0.0.1:$METRICS_PORT" \
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

# ---- --policy FILE and SIGHUP: a bad file is refused before anything is
# attached; a deny list in force drops the client's SYNs (counted by reason
# in the metrics); SIGHUP after the file changed lifts it; a bad file on
# SIGHUP leaves the policy in force
pol="$LAB_TMP/policy.ini"
printf 'mode = enforc\n' >"$pol"
timeout "$(S 20)" "$TCPSENTRY" -n "$SNS" run "$SIF" --metrics "127.0.0.1:$METRICS_PORT" \
	--policy "$pol" >"$LAB_TMP/run3.out" 2>"$LAB_TMP/run3.err"
rc=$?
[ "$rc" = 2 ] && grep -q "policy.ini:1: bad value 'enforc'" "$LAB_TMP/run3.err" &&
	pass "--policy with a bad file: exit 2 ($(head -n 1 "$LAB_TMP/run3.err"))" ||
	{ fail "--policy with a bad file: exit $rc"; detail <"$LAB_TMP/run3.err"; }
[ -d "$(pin_dir "$SNS" "$SIF")" ] && fail "--policy bad file: left an attachment" ||
	pass "--policy bad file: nothing attached"

printf 'mode = enforce\n\n[deny]\ncidr = %s\n' "$C4" >"$pol"
run_start --policy "$pol" || finish
grep -q "policy from $pol in force (0 allow, 1 deny entries)" "$LAB_TMP/run.err" &&
	pass "--policy: in force at start (1 deny entry)" ||
	{ fail "--policy: not reported in force"; detail <"$LAB_TMP/run.err"; }
drv_start c4 "$CNS" -4 -t 1500 -n 1 -l "$C4" -p 43300 client "$S4" 80 || finish
if drv c4 connect; then
	fail "deny $C4 in force: the connection went through ($DRV_REPLY)"
else
	pass "deny $C4 in force: connect fails ($DRV_REPLY)"
fi
wait_sample "deny in force" "tcpsentry_dropped_packets_total{iface=\"$SIF\",reason=\"deny\"}" '>=' 1 3
wait_sample "deny in force" "tcpsentry_packets_total{iface=\"$SIF\",direction=\"ingress\",verdict=\"drop\"}" '>=' 1 3
drv_stop c4

printf 'mode = enforce\n' >"$pol"
kill -HUP "$RUN_PID"
for i in $(seq "$(S 30)"); do
	[ "$(grep -c "policy from $pol in force" "$LAB_TMP/run.err")" -ge 2 ] && break
	sleep 0.1
done
grep -q "policy from $pol in force (0 allow, 0 deny entries)" "$LAB_TMP/run.err" &&
	pass "SIGHUP: the changed file is in force (0 deny entries)" ||
	{ fail "SIGHUP: reload not reported"; detail <"$LAB_TMP/run.err"; }
drv_start c5 "$CNS" -4 -t 3000 -n 1 -l "$C4" -p 43400 client "$S4" 80 || finish
step c5 connect && step srv "accept 1" && pass "after SIGHUP: $C4 connects again"

printf 'mode = observe\nban_seconds = -1\n' >"$pol"
kill -HUP "$RUN_PID"
for i in $(seq "$(S 30)"); do
	grep -q "the policy in force is unchanged" "$LAB_TMP/run.err" && break
	sleep 0.1
done
grep -q "policy.ini:2: bad value '-1'" "$LAB_TMP/run.err" && grep -q "the policy in force is unchanged" "$LAB_TMP/run.err" &&
	kill -0 "$RUN_PID" 2>/dev/null &&
	pass "SIGHUP with a bad file: refused with its line, still running" ||
	{ fail "SIGHUP with a bad file"; detail <"$LAB_TMP/run.err"; }
ts_run -n "$SNS" policy show -j
"$PY" -c 'import json, sys; sys.exit(0 if json.loads(sys.stdin.readline())["mode"] == "enforce" else 1)' <<<"$TS_OUT" &&
	pass "SIGHUP with a bad file: mode is still enforce" ||
	{ fail "SIGHUP with a bad file: policy changed"; detail <<<"$TS_OUT"; }
run_stop TERM
[ "$RUN_RC" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RUN_RC"
finish
