#!/usr/bin/env bash
# Connection records, one per connection, every field checked against what
# crossed the wire: 1,000 connections of every ending (the client or the
# server closing first, aborted, refused, expired by the sweeper, picked up
# mid-stream; IPv4 and IPv6) make exactly 1,000 records in `run --records`;
# each one's states, Zeek conn_state, how it ended, payload bytes (the
# test's own counts), packets and IP bytes each way, times and Community ID
# (Wireshark's, from a capture of the same traffic) are right. Then
# connections still open when tcpsentry detaches get theirs (cause detach).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
command -v tshark >/dev/null && command -v tcpdump >/dev/null && command -v bpftool >/dev/null ||
	skip "needs tshark, tcpdump and bpftool (make deps)"
RPY="$E2E_DIR/records.py"
EXP=$LAB_TMP/expect
REC=$LAB_TMP/records.json
CAP=$LAB_TMP/cap.pcap
: >"$EXP"
lab_setup

# expect CATEGORY FAMILY_ADDR FIRST_PORT N SERVER_ADDR SERVER_PORT BYTES_C2S BYTES_S2C
expect() {
	local i
	for ((i = 0; i < $4; i++)); do
		echo "$1 $(ep "$2" $(($3 + i))) $(ep "$5" "$6") $7 $8"
	done >>"$EXP"
}

# conns NAME CLIENT_ADDR FIRST_PORT N SERVER_ADDR SERVER_PORT: a server and
# a client driver, N connections made and accepted
conns() {
	local f
	f=$(fam "$2")
	drv_start "s$1" "$SNS" "$f" -n "$4" server "$5" "$6" &&
		drv_start "c$1" "$CNS" "$f" -n "$4" -l "$2" -p "$3" client "$5" "$6" &&
		step "c$1" connect && step "s$1" accept
}

# data NAME: 100 bytes up, 2000 down on each connection
data() {
	step "c$1" "send 100" && step "s$1" "recv 100" && step "s$1" "send 2000" &&
		step "c$1" "recv 2000"
}

# picked up: connections that exist before tcpsentry comes
conns pk "$C4" 45000 100 "$S4" 84 || finish
expect pickup "$C4" 45000 100 "$S4" 84 100 2000
# the capture: what crosses the server's veth from now on, which is what
# tcpsentry sees
nsenter --net="/run/netns/$SNS" tcpdump -i "$SIF" -U -n -s 128 -w "$CAP" tcp 2>"$LAB_TMP/tcpdump.err" &
CAP_PID=$!
DAEMON_PIDS+=("$CAP_PID")
for _ in $(seq 50); do grep -q listening "$LAB_TMP/tcpdump.err" && break; sleep 0.1; done
run_start --records "$REC" || finish
pass "run --records $REC"

data pk && step cpk close && step spk close

conns cc "$C4" 41000 200 "$S4" 80 && data cc && step ccc close && step scc close
expect client_close "$C4" 41000 200 "$S4" 80 100 2000
conns sc "$C4" 42000 150 "$S4" 81 && data sc && step ssc close && step csc close
expect server_close "$C4" 42000 150 "$S4" 81 100 2000
conns ab "$C4" 43000 150 "$S4" 82 && step cab "send 100" && step sab "recv 100" &&
	step cab abort && step sab close
expect abort "$C4" 43000 150 "$S4" 82 100 0
# refused: nothing listens on port 85
in_ns "$CNS" "$PY" - "$C4" 46000 100 "$S4" 85 <<'PY' || fail "refused connections"
import socket, sys
a, p0, n, s, sp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
for i in range(n):
    c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((a, p0 + i)); c.settimeout(5)
    try:
        c.connect((s, sp)); sys.exit("connected to a closed port")
    except ConnectionRefusedError:
        pass
    c.close()
PY
expect refused "$C4" 46000 100 "$S4" 85 0 0
conns v6 "$C6" 47000 200 "$S6" 443 && data v6 && step cv6 close && step sv6 close
expect client_close "$C6" 47000 200 "$S6" 443 100 2000
# expired: half-closed, then idle past the timeouts (moved into the past)
conns ex "$C4" 44000 100 "$S4" 83 && step cex "send 100" && step sex "recv 100" && step cex shutdown
expect expired "$C4" 44000 100 "$S4" 83 100 0
sleep 1
grep '^expired' "$EXP" | cut -d' ' -f2,3 >"$LAB_TMP/expired.tuples"
aged=$("$PY" "$RPY" age "$(pin_dir "$SNS" "$SIF")" "$LAB_TMP/expired.tuples" 400)
[ "$aged" = 100 ] && pass "100 half-closed entries aged 400 s" ||
	fail "aged $aged of the 100 half-closed entries"

# every record is in before the check (the sweeper runs each second)
for _ in $(seq 100); do
	[ "$(wc -l <"$REC")" -ge 1000 ] && break
	sleep 0.2
done
sleep 2
kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
"$PY" "$RPY" flows "$CAP" "$LAB_TMP/flows.json" || fail "tshark could not read the capture"
if out=$("$PY" "$RPY" check "$REC" "$EXP" "$LAB_TMP/flows.json"); then
	pass "$(head -n 1 <<<"$out")"
else
	fail "records: $(head -n 1 <<<"$out")"
	tail -n +2 <<<"$out" | detail
fi
ts_run -n "$SNS" stats -j
"$PY" -c 'import json, sys
c = json.loads(sys.argv[1].splitlines()[0])["counters"]
sys.exit(0 if c["records"] == 1000 and c["records_lost"] == 0 else 1)' "$TS_OUT" 2>/dev/null &&
	pass "stats: records 1000, records_lost 0" ||
	fail "stats: records and records_lost: $(grep -o '"records[a-z_]*":[0-9]*' <<<"$TS_OUT" | tr '\n' ' ')"

# still open when tcpsentry goes: recorded by detach
: >"$EXP"
conns dt "$C4" 48000 5 "$S4" 86 && step cdt "send 100" && step sdt "recv 100"
expect detach "$C4" 48000 5 "$S4" 86 100 0
sleep 1
run_stop TERM
tail -n +1001 "$REC" >"$LAB_TMP/detach.json"
n=$("$PY" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for r in rs if r["cause"] == "detach" and r["client_state"] == "ESTABLISHED"
          and r["bytes_c2s"] == 100 and r["server"] == sys.argv[2]), len(rs))' \
	"$LAB_TMP/detach.json" "$(ep "$S4" 86)")
[ "$n" = "5 5" ] && pass "detach: the 5 connections still open were recorded (cause detach)" ||
	fail "detach: $n of 5 detach records (matching, total)"
finish
