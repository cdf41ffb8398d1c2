#!/usr/bin/env bash
# Connection records under load: nginx in the server namespace, wrk in the
# client namespace with `Connection: close` (a new connection per request)
# for SECS seconds (default 10), `run --records FILE` reading the ring.
# The kernel is the oracle: every connection the server's kernel accepted
# (TcpPassiveOpens) has exactly one record (records_lost 0), or, if the
# ring overflowed, the records written plus records_lost account for every
# one of them. Then the same with the reader stopped (SIGSTOP): the ring
# fills, and every record that did not fit is counted in records_lost
# (stats and metrics), none silently gone. The rates reached are printed
# (info lines): this shared 2-vCPU lab makes a few thousand connections/s.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
SECS=${E2E_RECORDS_LOAD_SECONDS:-10}
STALL_MAX=${E2E_RECORDS_STALL_MAX_SECONDS:-40}
command -v nginx >/dev/null && command -v wrk >/dev/null ||
	skip "no nginx or wrk (tools/deps.sh installs nginx-light and wrk)"
REC=$LAB_TMP/records.json

lab_setup
ts_attach "$SNS" "$SIF" || finish
in_ns "$CNS" sysctl -qw net.ipv4.tcp_tw_reuse=1
nginx_bg "$SNS" "$S4" 80 $((SECS + STALL_MAX + 120)) || finish
run_start --records "$REC" || finish

passive() { in_ns "$SNS" awk '/^Tcp:/ { if (h) print $7; h = 1 }' /proc/net/snmp; }
# counts: records written, records lost (stats), lines in the records file
counts() {
	ts_run -n "$SNS" stats -j
	"$PY" -c 'import json, sys
c = json.loads(sys.argv[1].splitlines()[0])["counters"]
n = sum(1 for l in open(sys.argv[2]) if l.strip())
print(c["records"], c["records_lost"], n)' "$TS_OUT" "$REC"
}
# load LABEL SECS: wrk for SECS seconds; sets RATE (connections/s)
load() {
	in_ns "$CNS" timeout $(($2 + 30)) wrk -t 2 -c 128 -d "${2}s" -H "Connection: close" \
		"http://$S4:80/" >"$LAB_TMP/wrk.$1" 2>&1
	RATE=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$LAB_TMP/wrk.$1")
	info "$1: wrk: $(grep -E 'requests in|Requests/sec|Socket errors' "$LAB_TMP/wrk.$1" | tr -s ' ' | tr '\n' ' ')"
}
# settle: every connection finished (nothing left but TIME_WAIT)
settle() {
	local i
	for i in $(seq "$(S 50)"); do
		[ "$(in_ns "$SNS" ss -Htan state established state fin-wait-1 state fin-wait-2 \
			state last-ack state closing "( sport = :80 )" | wc -l)" = 0 ] && break
		sleep 0.1
	done
	sleep 1.5 # the last records: read within a poll
}

# ---- the reader keeps up
p0=$(passive)
read -r w0 l0 _ < <(counts)
load live "$SECS"
settle
p1=$(passive)
read -r w1 l1 n1 < <(counts)
acc=$((p1 - p0)) wr=$((w1 - w0)) lo=$((l1 - l0))
info "live: $acc connections accepted in ${SECS} s (wrk: $RATE/s); records $wr, records_lost $lo, lines $n1"
if [ "$acc" -gt 0 ] && [ "$wr" = "$acc" ] && [ "$lo" = 0 ] && [ "$n1" = "$acc" ]; then
	pass "live: $acc connections at $RATE/s, $acc records, none lost"
elif [ "$acc" -gt 0 ] && [ $((wr + lo)) = "$acc" ] && [ "$n1" = "$wr" ]; then
	pass "live: $acc connections at $RATE/s: $wr records, $lo counted lost (the ring overflowed at this rate)"
else
	fail "live: $acc connections accepted, records $wr, lost $lo, lines $n1"
fi
# nginx answers and closes first: SF; only the connections wrk still had
# open when it stopped (at most its 128) may end otherwise
"$PY" -c 'import collections, json, sys
st = collections.Counter(json.loads(l)["conn_state"] for l in open(sys.argv[1]) if l.strip())
other = sum(v for k, v in st.items() if k != "SF")
print(dict(st)); sys.exit(1 if other > 128 else 0)' "$REC" >"$LAB_TMP/sf" 2>&1 &&
	pass "live: every record a whole JSON line; conn_state $(cat "$LAB_TMP/sf")" ||
	fail "live: records not SF (beyond wrk's 128 open at its end) or not JSON: $(tail -c 300 "$LAB_TMP/sf")"

# ---- the reader stalls: the ring fills, what does not fit is counted
kill -STOP "$RUN_PID"
p0=$(passive)
read -r w0 l0 n0 < <(counts)
t=0
while [ "$t" -lt "$STALL_MAX" ]; do
	load stall 5
	t=$((t + 5))
	[ "$(stats_field "$SNS" 's["counters"]["records_lost"]')" -gt "$l0" ] && break
done
kill -CONT "$RUN_PID"
settle
sleep 2
p1=$(passive)
read -r w1 l1 n1 < <(counts)
acc=$((p1 - p0)) wr=$((w1 - w0)) lo=$((l1 - l0)) nn=$((n1 - n0))
info "stalled ${t} s: $acc connections accepted; records $wr, records_lost $lo, lines $nn"
if [ "$lo" -gt 0 ] && [ $((wr + lo)) = "$acc" ] && [ "$nn" = "$wr" ]; then
	pass "reader stalled: $wr records (what the ring held) + $lo counted lost = $acc connections"
elif [ "$lo" = 0 ]; then
	skip "the ring did not fill in $t s at this rate ($acc connections): nothing to count"
else
	fail "reader stalled: $acc connections accepted, records $wr + lost $lo, lines $nn"
fi
lm=$(metrics_get | awk '$1 ~ /^tcpsentry_records_lost_total/ { print $2 }')
[ "$lm" = "$l1" ] && pass "metrics: tcpsentry_records_lost_total $lm, as stats" ||
	fail "metrics: tcpsentry_records_lost_total '$lm', stats $l1"
run_stop TERM
finish
