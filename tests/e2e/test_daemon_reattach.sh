#!/usr/bin/env bash
# The daemon follows its interface: `run` checks each attachment against
# the live interface every sweep. Delete the server veth: the log says the
# attachment is stale and tcpsentry_attached says 0; create it again under
# the same name: `run` attaches the new one (XDP on it, its connections
# tracked, `status` live, tcpsentry_attached 1) with the policy the old one
# had in force, runtime edits included (a setting, an allow entry, a deny
# entry with what is left of its TTL: the denied client still cannot
# connect). On SIGINT it detaches the new one: nothing left.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"

lab_setup
listen_bg "$SNS" "$S4" 80 120 || finish
listen_bg "$SNS" "$S6" 80 120 || finish
run_start || finish
ts_run -n "$SNS" policy set mode=enforce port_scan.ports=7 &&
	ts_run -n "$SNS" policy allow add 198.18.6.0/24 &&
	ts_run -n "$SNS" policy deny add "$C6" --ttl 3600 ||
	{ fail "policy edits at run time: $TS_ERR"; finish; }

# wait_log PATTERN: until run's stderr has a line matching it (bounded)
wait_log() {
	for _ in $(seq "$(S 50)"); do
		grep -q "$1" "$LAB_TMP/run.err" && return 0
		sleep 0.1
	done
	return 1
}
xdp_on() { ip -n "$SNS" link show dev "$SIF" | grep -q 'prog/xdp'; }
# the client's connections: IPv4 open, IPv6 denied (dropped: none completes)
reach() {
	local tag=$1
	connect_n "$CNS" "$C4" "$S4" 80 3 "$(Sf 0.9)"
	[ "$CONN_OK" = 3 ] && pass "$tag: IPv4 client connects (3 of 3)" ||
		{ fail "$tag: IPv4 client: ok=$CONN_OK failed=$CONN_FAILED"; detail <"$LAB_TMP/connect.out"; }
	connect_n "$CNS" "$C6" "$S6" 80 3 "$(Sf 0.5)"
	[ "$CONN_OK" = 0 ] && pass "$tag: the denied IPv6 client does not (0 of 3)" ||
		{ fail "$tag: the denied IPv6 client connects: ok=$CONN_OK"; detail <"$LAB_TMP/connect.out"; }
}
reach "before"

# ---- the interface deleted: stale, said, the gauge 0
ip -n "$CNS" link del "$CIF"
wait_log "$SIF: the attachment is stale"
grep -q "$SIF: the attachment is stale: there is no interface $SIF" "$LAB_TMP/run.err" &&
	pass "interface deleted: run says the attachment is stale" ||
	{ fail "interface deleted: run does not say stale"; detail <"$LAB_TMP/run.err"; }
wait_sample "interface deleted" "tcpsentry_attached{iface=\"$SIF\"}" == 0 5
kill -0 "$RUN_PID" 2>/dev/null && pass "interface deleted: run keeps running" ||
	{ fail "interface deleted: run exited"; detail <"$LAB_TMP/run.err"; finish; }

# ---- created again, same name and addresses: attached again
lab_link
wait_log "$SIF: attached again"
newidx=$(ip -n "$SNS" -o link show dev "$SIF" | cut -d: -f1)
if grep -q "$SIF: attached again, ifindex $newidx" "$LAB_TMP/run.err" && xdp_on; then
	pass "interface created again: run attached it (ifindex $newidx, XDP on it)"
else
	fail "interface created again: not attached (XDP: $(xdp_on && echo yes || echo no))"
	detail <"$LAB_TMP/run.err"
fi
wait_sample "created again" "tcpsentry_attached{iface=\"$SIF\"}" == 1 5
ts_run -n "$SNS" status
grep -q "live" <<<"$TS_OUT" && ! grep -qi "stale" <<<"$TS_OUT$TS_ERR" &&
	pass "created again: status says live" ||
	{ fail "created again: status does not say live"; detail <<<"$TS_OUT$TS_ERR"; }

# the policy carried over: the setting, the lists, the TTL's rest
ts_run -n "$SNS" policy show -j
printf '%s\n' "$TS_OUT" >"$LAB_TMP/policy.json"
carried=$("$PY" - "$LAB_TMP/policy.json" "$C6" <<'PY'
import json, sys
doc = json.loads(open(sys.argv[1]).readline())
deny = {e["cidr"]: e.get("seconds_left", 0) for e in doc.get("deny", [])}
allow = [e["cidr"] for e in doc.get("allow", [])]
left = deny.get(sys.argv[2], deny.get(sys.argv[2] + "/128", 0))
ok = doc.get("mode") == "enforce" and doc.get("port_scan.ports") == 7 and \
    "198.18.6.0/24" in allow and 3000 < left <= 3600
print(("ok" if ok else "bad"), "mode", doc.get("mode"), "port_scan.ports",
      doc.get("port_scan.ports"), "allow", allow, "deny", deny)
PY
)
[ "${carried%% *}" = ok ] && pass "created again: the policy carried over (${carried#ok })" ||
	{ fail "created again: the policy was not carried over: $carried"; detail <"$LAB_TMP/policy.json"; }
reach "created again"
# a connection over the new interface is tracked from its SYN on
(scenario_client_close "created again" "$C4" 40000 "$S4" 8080) >"$LAB_TMP/scenario" 2>&1
grep -q '^PASS.*end: conn_state is SF' "$LAB_TMP/scenario" &&
	pass "created again: a connection over it is tracked (SF)" ||
	{ fail "created again: a connection over it is not tracked"; grep FAIL "$LAB_TMP/scenario" | head -n 3 | detail; }

# ---- SIGINT: the new attachment detached, nothing left
run_stop INT
[ "$RUN_RC" = 0 ] && [ ! -e "$(pin_dir "$SNS" "$SIF")" ] && ! xdp_on &&
	! tc -n "$SNS" qdisc show dev "$SIF" | grep -q clsact &&
	pass "SIGINT: exit 0; no pins, XDP or clsact left on the new $SIF" ||
	{ fail "SIGINT: exit $RUN_RC, pins $([ -e "$(pin_dir "$SNS" "$SIF")" ] && echo left || echo gone), XDP $(xdp_on && echo on || echo off)"; detail <"$LAB_TMP/run.err"; }

# ---- --policy FILE: the file as last reloaded is what the new one gets
printf 'mode = enforce\n[deny]\ncidr = %s\n' "$C4" >"$LAB_TMP/p.ini"
: >"$LAB_TMP/run.err"
run_start --policy "$LAB_TMP/p.ini" || finish
printf 'mode = enforce\n[deny]\ncidr = %s\n' "$C6" >"$LAB_TMP/p.ini"
kill -HUP "$RUN_PID"
# (the start said "policy from ... in force" once; the reload says it again)
for _ in $(seq "$(S 50)"); do
	[ "$(grep -c 'p.ini in force' "$LAB_TMP/run.err")" -ge 2 ] && break
	sleep 0.1
done
ip -n "$CNS" link del "$CIF"
wait_log "$SIF: the attachment is stale"
lab_link
wait_log "$SIF: attached again" && pass "--policy: attached again" ||
	{ fail "--policy: not attached again"; detail <"$LAB_TMP/run.err"; }
reach "--policy, reloaded, created again"
run_stop INT
[ "$RUN_RC" = 0 ] && [ ! -e "$(pin_dir "$SNS" "$SIF")" ] && ! xdp_on &&
	pass "--policy: SIGINT: exit 0, nothing left" ||
	{ fail "--policy: SIGINT: exit $RUN_RC"; detail <"$LAB_TMP/run.err"; }

# ---- someone removes our tc filter from the same interface: said, not fought
: >"$LAB_TMP/run.err"
run_start || finish
tc -n "$SNS" filter del dev "$SIF" egress
wait_log "$SIF: the attachment is stale: its tc egress filter is gone" &&
	pass "tc filter removed: run says stale ($(grep -o 'stale: [^;]*' "$LAB_TMP/run.err" | head -n 1))" ||
	{ fail "tc filter removed: run does not say stale"; detail <"$LAB_TMP/run.err"; }
wait_sample "tc filter removed" "tcpsentry_attached{iface=\"$SIF\"}" == 0 5
sleep "$(Sf 2)"
! tc -n "$SNS" filter show dev "$SIF" egress | grep -q bpf && ! grep -q "attached again" "$LAB_TMP/run.err" &&
	pass "tc filter removed: run does not put it back (no fight over the hook)" ||
	{ fail "tc filter removed: run took the hook back"; detail <"$LAB_TMP/run.err"; }
run_stop INT
[ "$RUN_RC" = 0 ] && [ ! -e "$(pin_dir "$SNS" "$SIF")" ] && ! xdp_on &&
	pass "tc filter removed: SIGINT: exit 0, nothing left" ||
	{ fail "tc filter removed: SIGINT: exit $RUN_RC"; detail <"$LAB_TMP/run.err"; }
finish
