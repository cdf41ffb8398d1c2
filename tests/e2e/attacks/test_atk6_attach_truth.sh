#!/usr/bin/env bash
# Attack 6 (issue 11): tcpsentry must tell the truth about its attachments.
# The server veth is attached, then deleted and created again under the
# same name (a new ifindex, nothing attached to it):
# - `status` reports the attachment as stale;
# - `run IFACE` attaches the new interface (XDP on it, its traffic
#   tracked) instead of adopting the dead pins;
# - `attach IFACE` replaces the stale pins (exit 0, XDP on the interface);
# - `detach IFACE` removes the stale pins and leaves alone the clsact qdisc
#   someone else put on the new interface.
# An attach killed half-way (SIGKILL at a chosen bpf() call: the first
# pin, after the tc filters; the attachment record, after every pin) is
# cleaned up by the next `attach` (exit 0) and that one's `detach`
# (no filters, qdisc or pins left).
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
command -v strace >/dev/null || skip "no strace (tools/deps.sh installs it)"

lab_setup

# recreate: delete the veth pair and make it again, same names and addresses
recreate() {
	ip -n "$CNS" link del "$CIF"
	lab_link
	sleep 0.5
}
# whatever a step left: off the interface, out of bpffs
clean_slate() {
	[ -d "$(pin_dir "$SNS" "$SIF")" ] && timeout 20 "$TCPSENTRY" -n "$SNS" detach "$SIF" >/dev/null 2>&1
	tc -n "$SNS" qdisc del dev "$SIF" clsact 2>/dev/null
	ip -n "$SNS" link set dev "$SIF" xdp off 2>/dev/null
	rm -rf "$(pin_dir "$SNS" "$SIF")"
}
xdp_on() { ip -n "$SNS" link show dev "$SIF" | grep -q 'prog/xdp'; }
clsact_on() { tc -n "$SNS" qdisc show dev "$SIF" | grep -q clsact; }
# stale: attach, then delete and recreate the interface
stale() {
	clean_slate
	ts_run -n "$SNS" attach "$SIF" || { fail "attach (setting up a stale attachment): $TS_ERR"; finish; }
	LAB_ATTACHED+=("$SNS $SIF")
	recreate
}

stale
ts_run -n "$SNS" status
if grep -qi stale <<<"$TS_OUT$TS_ERR"; then
	pass "status after the interface was recreated: reports the attachment as stale"
else
	fail "status after the interface was recreated: does not say stale (XDP on the new $SIF: $(xdp_on && echo yes || echo no))"
	head -n 8 <<<"$TS_OUT$TS_ERR" | detail
fi

# run: attach the new interface, not adopt the dead pins
"$TCPSENTRY" -n "$SNS" run "$SIF" --no-metrics >"$LAB_TMP/run.out" 2>"$LAB_TMP/run.err" &
runpid=$!
# until it runs (it attaches first; under ASan that takes seconds)
for _ in $(seq "$(S 100)"); do
	grep -q 'running on' "$LAB_TMP/run.err" 2>/dev/null && break
	kill -0 "$runpid" 2>/dev/null || break
	sleep 0.2
done
# in a subshell: its PASS/FAIL lines are read below, not counted
(scenario_client_close "run on the recreated interface" "$C4" 40000 "$S4" 80) >"$LAB_TMP/scenario" 2>&1
if xdp_on; then
	pass "run after the interface was recreated: XDP is on the new $SIF"
else
	fail "run after the interface was recreated: no XDP on the new $SIF (it adopted the dead pins)"
	detail <"$LAB_TMP/run.err"
fi
grep -q '^PASS.*end: conn_state is SF' "$LAB_TMP/scenario" &&
	pass "run after the interface was recreated: a connection over it is tracked (SF)" ||
	{ fail "run after the interface was recreated: a connection over it is not tracked"; grep FAIL "$LAB_TMP/scenario" | head -n 3 | detail; }
kill -INT "$runpid"; wait "$runpid"

stale
ts_run -n "$SNS" attach "$SIF"
if [ "$TS_RC" -eq 0 ] && xdp_on; then
	pass "attach after the interface was recreated: exit 0, XDP on the new $SIF"
else
	fail "attach after the interface was recreated: exit $TS_RC, XDP on $SIF: $(xdp_on && echo yes || echo no)"
	detail <<<"$TS_ERR"
fi
ts_run -n "$SNS" detach "$SIF"

stale
tc -n "$SNS" qdisc add dev "$SIF" clsact
ts_run -n "$SNS" detach "$SIF"
[ "$TS_RC" -eq 0 ] && [ ! -e "$(pin_dir "$SNS" "$SIF")" ] &&
	pass "detach of the stale attachment: exit 0, pins gone" ||
	{ fail "detach of the stale attachment: exit $TS_RC, pins left: $(ls "$(pin_dir "$SNS" "$SIF")" 2>/dev/null | wc -l)"; detail <<<"$TS_ERR"; }
clsact_on && pass "detach of the stale attachment: the new $SIF keeps the clsact qdisc someone else made" ||
	fail "detach of the stale attachment removed the clsact qdisc someone else put on the new $SIF"
clean_slate

# an attach killed half-way: where are its bpf() calls? (LeakSanitizer
# refuses to run under ptrace: no leak check in these runs)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
strace -f -qq -o "$LAB_TMP/strace.ref" -e trace=bpf "$TCPSENTRY" -n "$SNS" attach "$SIF" >/dev/null 2>&1 ||
	{ fail "reference attach under strace failed"; finish; }
ts_run -n "$SNS" detach "$SIF"
first_pin=$(grep -n 'BPF_OBJ_PIN' "$LAB_TMP/strace.ref" | head -n 1 | cut -d: -f1)
last_pin=$(grep -n 'BPF_OBJ_PIN' "$LAB_TMP/strace.ref" | tail -n 1 | cut -d: -f1)
info "reference attach: $(wc -l <"$LAB_TMP/strace.ref") bpf() calls, pins from call $first_pin to $last_pin"
for at in "$first_pin:the first pin (tc filters in place)" "$((last_pin + 1)):the attachment record (every pin made)"; do
	n=${at%%:*} what=${at#*:}
	strace -f -qq -o /dev/null -e trace=bpf -e "inject=bpf:signal=KILL:when=$n" \
		"$TCPSENTRY" -n "$SNS" attach "$SIF" >/dev/null 2>&1
	left="filters: $(tc -n "$SNS" filter show dev "$SIF" egress 2>/dev/null | grep -c bpf), pins: $(ls "$(pin_dir "$SNS" "$SIF")" 2>/dev/null | wc -l)"
	ts_run -n "$SNS" attach "$SIF"
	if [ "$TS_RC" -eq 0 ] && xdp_on; then
		pass "attach killed at bpf() call $n, $what ($left left): the next attach works"
	else
		fail "attach killed at bpf() call $n, $what ($left left): the next attach exits $TS_RC"
		detail <<<"$TS_ERR"
	fi
	ts_run -n "$SNS" detach "$SIF"
	if ! clsact_on && [ ! -e "$(pin_dir "$SNS" "$SIF")" ] && ! xdp_on; then
		pass "attach killed at $what: after attach and detach nothing is left"
	else
		fail "attach killed at $what: after attach and detach: clsact $(clsact_on && echo yes || echo no), XDP $(xdp_on && echo yes || echo no), pins $(ls "$(pin_dir "$SNS" "$SIF")" 2>/dev/null | wc -l)"
		detail <<<"$TS_ERR"
	fi
	clean_slate
done
finish
