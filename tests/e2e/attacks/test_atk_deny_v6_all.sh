#!/usr/bin/env bash
# Issue 11, smaller defect: IPv4 lives in the datapath as v4-mapped IPv6
# (::ffff:0:0/96), so a deny of ::/0 ("all IPv6") also denied all IPv4.
# Enforce mode: after `policy deny add ::/0`, the IPv6 client is refused
# and the IPv4 client still connects; control: after `policy deny add
# 0.0.0.0/0` instead, the IPv4 client is refused and IPv6 connects.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
listen_bg "$SNS" "$S4" 80 60 || finish
listen_bg "$SNS" "$S6" 80 60 || finish

check() {
	local label=$1 want4=$2 want6=$3 got4=no got6=no
	connects "$CNS" "$C4" "$S4" 80 && got4=yes
	connects "$CNS" "$C6" "$S6" 80 && got6=yes
	[ "$got4" = "$want4" ] && pass "$label: IPv4 connects: $got4" ||
		fail "$label: IPv4 connects: $got4, want $want4"
	[ "$got6" = "$want6" ] && pass "$label: IPv6 connects: $got6" ||
		fail "$label: IPv6 connects: $got6, want $want6"
}
ts_run -n "$SNS" policy deny add ::/0 || fail "policy deny add ::/0: $TS_ERR"
check "deny ::/0" yes no
ts_run -n "$SNS" policy deny del ::/0
ts_run -n "$SNS" policy deny add 0.0.0.0/0 || fail "policy deny add 0.0.0.0/0: $TS_ERR"
check "control: deny 0.0.0.0/0" no yes
finish
