#!/usr/bin/env bash
# A SYN to a port nobody listens on: the server's kernel answers RST, the
# client's connect() fails with ECONNREFUSED; both endpoints CLOSED.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
CEP=$(ep "$C4" 40000) SEP=$(ep "$S4" 81)
drv_start cli "$CNS" -4 -l "$C4" -p 40000 client "$S4" 81 || finish
if drv cli connect; then
	fail "connect to a closed port succeeded: $DRV_REPLY"
elif [[ $DRV_REPLY == "err connect ECONNREFUSED"* ]]; then
	pass "connect refused: $DRV_REPLY"
else
	fail "connect failed but not with ECONNREFUSED: $DRV_REPLY"
fi
expect_states "ipv4 refused" "$CEP" "$SEP" CLOSED CLOSED
# if tcpsentry still lists the attempt, Zeek calls it REJ
cs=$(ts_field "$SNS" "$CEP" "$SEP" conn_state)
if [ "$cs" = ABSENT ]; then
	info "tcpsentry does not list the refused attempt (nothing more to check)"
elif [ "$cs" = REJ ]; then
	pass "ipv4 refused: conn_state is REJ"
else
	fail "ipv4 refused: conn_state is $cs, expected REJ"
	grep -F -- "$CEP" "$LAB_TMP/conns.json" | detail
fi
# and it did see the attempt: the SYN in, the RST out
if ts_run -n "$SNS" stats -j; then
	got=$("$PY" -c 'import json, sys
c = json.loads(sys.stdin.readline())["counters"]
print("syn=%s rst=%s" % (c.get("syn"), c.get("rst")))' <<<"$TS_OUT" 2>&1)
	[ "$got" = "syn=1 rst=1" ] && pass "ipv4 refused: stats saw it ($got)" ||
		{ fail "ipv4 refused: stats $got, expected syn=1 rst=1"; detail <<<"$TS_OUT"; }
else
	fail "stats -j: exit $TS_RC: $TS_ERR"
fi
finish
