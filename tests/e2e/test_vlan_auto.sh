#!/usr/bin/env bash
# attach --vlans auto (the default): the VLAN IDs tracked are those of the
# server veth's VLAN devices, and `run` keeps them so as devices come and
# go; a device that takes the veth's frames itself (a macvlan) makes every
# VLAN ID tracked. --vlans LIST and any are taken as given.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
lab_setup

# vlan_ids: `status -j`'s vlans and vlan_ids of the server veth, "MODE IDS"
vlan_ids() {
	ts_run -n "$SNS" status -j || { echo "status-failed: $TS_ERR"; return; }
	printf '%s\n' "$TS_OUT" | "$PY" -c 'import json,sys
s = json.loads(sys.stdin.readline())
print(s.get("vlans"), s.get("vlan_ids"))'
}

# expect_ids LABEL WANT: vlan_ids says WANT ("MODE IDS") within $SETTLE_S
# seconds (run refreshes them every sweep, each second)
expect_ids() {
	local label=$1 want=$2 got deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		got=$(vlan_ids)
		[ "$got" = "$want" ] && { pass "$label: $got"; return 0; }
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.2
	done
	fail "$label: '$got', want '$want'"
	return 1
}

run_start || finish
expect_ids "run, no VLAN device on $SIF" "auto none"
VL=tv$ID
if ip -n "$SNS" link add link "$SIF" name "$VL" type vlan id 300 2>/dev/null; then
	expect_ids "VLAN device $VL (VID 300) added" "auto 300"
	ip -n "$SNS" link add link "$SIF" name "${VL}a" type vlan proto 802.1ad id 400 &&
		expect_ids "802.1ad VLAN device ${VL}a (VID 400) added" "auto 300,ad:400"
	ip -n "$SNS" link add link "$VL" name "${VL}i" type vlan id 30 &&
		expect_ids "VLAN device ${VL}i (VID 30) on $VL added" "auto 300,ad:400,inner:30"
	ip -n "$SNS" link del "${VL}i"
	ip -n "$SNS" link del "${VL}a"
	ip -n "$SNS" link del "$VL"
	expect_ids "VLAN devices removed" "auto none"
else
	info "this kernel has no 8021q: VLAN devices not tried (a macvlan below is)"
fi
MV=mv$ID
if ip -n "$SNS" link add link "$SIF" name "$MV" type macvlan mode bridge 2>/dev/null; then
	expect_ids "a macvlan $MV on $SIF (it takes tagged frames itself)" "auto any"
	ip -n "$SNS" link del "$MV"
	expect_ids "the macvlan removed" "auto none"
else
	info "this kernel has no macvlan: not tried"
fi
grep -q "VLAN IDs tracked now" "$LAB_TMP/run.out" "$LAB_TMP/run.err" &&
	pass "run logged the changes" || fail "run logged no 'VLAN IDs tracked now'"
run_stop TERM

ts_attach "$SNS" "$SIF" --vlans 7,4094 || finish
expect_ids "attach --vlans 7,4094" "list 7,4094"
ts_run -n "$SNS" detach "$SIF" || fail "detach: $TS_ERR"
ts_attach "$SNS" "$SIF" --vlans any || finish
expect_ids "attach --vlans any" "any any"
finish
