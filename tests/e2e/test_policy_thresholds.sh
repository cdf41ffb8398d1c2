#!/usr/bin/env bash
# Detection thresholds at run time: `policy show` reads them, `policy set`
# changes them in the running datapath, a bad pair is rejected whole (exit
# 2, nothing changed). Proof that a change takes effect: 8 closed ports from
# one source are below the default port_scan threshold (20) and raise
# nothing; after `policy set port_scan.ports=5` the same scan from another
# source raises port_scan.
. "$(dirname "$0")/lib.sh"
C4B=198.18.0.3

lab_setup
ip -n "$CNS" addr add "$C4B/24" dev "$CIF"
ts_attach "$SNS" "$SIF" || finish

pol() { ts_run -n "$SNS" policy show -j && "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$TS_OUT" "$1"; }
[ "$(pol port_scan.ports)" = 20 ] && pass "policy show: port_scan.ports is the default 20" ||
	fail "policy show: port_scan.ports is '$(pol port_scan.ports)', expected 20"

scan8() { # scan8 SRC: SYNs to 8 closed ports
	in_ns "$CNS" timeout "$(S 10)" "$PY" - "$1" "$S4" <<'PY'
import socket, sys, time
socks = []
for p in range(21001, 21009):
    s = socket.socket(); s.bind((sys.argv[1], 0)); s.setblocking(False)
    s.connect_ex((sys.argv[2], p)); socks.append(s)
time.sleep(0.3)
PY
}
scans() { ts_run -n "$SNS" stats -j && "$PY" -c 'import json,sys; d=json.loads(sys.argv[1].splitlines()[0]); print(d["anomalies"]["port_scan"])' "$TS_OUT"; }

scan8 "$C4"
n=$(scans)
[ "$n" = 0 ] && pass "8 ports under the default threshold: no port_scan" ||
	fail "8 ports under the default threshold raised port_scan=$n"

expect_rc "policy set with one bad key" 2 -n "$SNS" policy set port_scan.ports=5 no.such.key=1
[ "$(pol port_scan.ports)" = 20 ] && pass "rejected set changed nothing" ||
	fail "rejected set changed port_scan.ports to $(pol port_scan.ports)"
expect_rc "policy set out of range" 2 -n "$SNS" policy set port_scan.ports=500
expect_rc "policy set port_scan.ports=5" 0 -n "$SNS" policy set port_scan.ports=5
[ "$(pol port_scan.ports)" = 5 ] && pass "policy show: port_scan.ports is now 5" ||
	fail "policy show: port_scan.ports is '$(pol port_scan.ports)', expected 5"

scan8 "$C4B"
n=$(scans)
[ "$n" -ge 1 ] 2>/dev/null && pass "the same 8-port scan after the change: port_scan=$n" ||
	fail "the 8-port scan after policy set raised port_scan='$n'"
finish
