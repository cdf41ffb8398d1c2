#!/usr/bin/env bash
# port_scan end to end: one source ($C4) sends SYNs to 50 distinct closed
# ports quickly (each refused by the server's RST) -> exactly one port_scan
# event, for that source; a normal client ($C4B) making 20 connections to
# one listening port in the same test is not flagged.
. "$(dirname "$0")/lib.sh"
C4B=198.18.0.3

lab_setup
ip -n "$CNS" addr add "$C4B/24" dev "$CIF"
ts_attach "$SNS" "$SIF" || finish
# a listener that accepts and closes, bounded in connections and time
in_ns "$SNS" timeout "$(S 20)" "$PY" - "$S4" 80 20 >"$LAB_TMP/srv" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(128); print("ready", flush=True)
for _ in range(int(sys.argv[3])):
    c, _ = s.accept(); c.recv(100); c.close()
PY
srvpid=$!
for _ in $(seq "$(S 50)"); do grep -q ready "$LAB_TMP/srv" && break; sleep 0.1; done
"$TCPSENTRY" -n "$SNS" events -j --timeout "$(S 20)" >"$LAB_TMP/events" 2>"$LAB_TMP/events.err" &
evpid=$!
sleep 0.5   # let it open the ring buffer

# the normal client: 20 connections to port 80, used and closed
in_ns "$CNS" timeout "$(S 20)" "$PY" - "$C4B" "$S4" <<'PY' >"$LAB_TMP/normal" 2>&1
import socket, sys
for i in range(20):
    c = socket.create_connection((sys.argv[2], 80), 2, (sys.argv[1], 0))
    c.sendall(b"hello"); c.close()
print("20 connections")
PY
info "normal client: $(cat "$LAB_TMP/normal")"
# the scanner: 50 closed ports, non-blocking connects, all at once
in_ns "$CNS" timeout "$(S 20)" "$PY" - "$C4" "$S4" <<'PY' >"$LAB_TMP/scan" 2>&1
import socket, sys, time, errno
socks = []
for p in range(20001, 20051):
    s = socket.socket(); s.bind((sys.argv[1], 0)); s.setblocking(False)
    s.connect_ex((sys.argv[2], p)); socks.append(s)
time.sleep(0.5)
refused = sum(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED for s in socks)
print("50 ports scanned, %d refused" % refused)
PY
info "scanner: $(cat "$LAB_TMP/scan")"
sleep 0.5
kill -TERM "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
wait "$srvpid" 2>/dev/null

"$PY" - "$LAB_TMP/events" "$C4" "$C4B" >"$LAB_TMP/check" 2>&1 <<'PY'
import json, sys
path, scanner, normal = sys.argv[1:4]
an = [e for e in map(json.loads, filter(str.strip, open(path))) if e.get("type") == "anomaly"]
ps = [e for e in an if e.get("kind") == "port_scan"]
mine = [e for e in ps if json.dumps(e).count('"%s:' % scanner)]
norm = [e for e in an if json.dumps(e).count('"%s:' % normal)]
ok = len(ps) == 1 and len(mine) == 1 and not norm
print("%d port_scan events (%d from %s), %d anomaly events naming %s; all anomalies: %s" % (
    len(ps), len(mine), scanner, len(norm), normal, an))
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] && pass "$(cat "$LAB_TMP/check")" ||
	{ fail "$(cat "$LAB_TMP/check")"; detail <"$LAB_TMP/events"; }
if ts_run -n "$SNS" stats -j; then
	got=$("$PY" -c 'import json,sys; a=json.loads(sys.stdin.readline())["anomalies"]; print(a.get("port_scan"), sum(a.values()))' <<<"$TS_OUT")
	[ "$got" = "1 1" ] && pass "stats -j: port_scan 1, anomalies in all 1" ||
		{ fail "stats -j: port_scan / all: $got, expected 1 1"; detail <<<"$TS_OUT"; }
else
	fail "stats -j: exit $TS_RC: $TS_ERR"
fi
finish
