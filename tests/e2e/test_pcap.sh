#!/usr/bin/env bash
# The frames of anomalies and drops as pcap, read back by tcpdump. Forged
# segments go from the client namespace by AF_PACKET to the server veth's
# MAC: each bad flag set (IPv4 and IPv6) to addresses the server does not
# hold (no kernel answers them), and SYNs from a denied source (enforce:
# XDP drops them). `events --pcap FILE` must hold each of them once, and
# `tcpdump -r` must read back the same addresses, ports and flags. Then
# `run --pcap-dir` is killed with -9 while frames keep coming: every file
# it leaves ends on a whole record and tcpdump reads it without complaint.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
command -v tcpdump >/dev/null || skip "no tcpdump (make deps)"
CHK="$E2E_DIR/pcap_check.py"
FAKE4=198.18.0.99 FAKE6=2001:db8::99 DENY4=198.18.0.77 DENY6=2001:db8::77

lab_setup
ts_attach "$SNS" "$SIF" || finish
SMAC=$(ip -n "$SNS" -j link show "$SIF" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
ts_run -n "$SNS" policy set mode=enforce || fail "policy set mode=enforce: exit $TS_RC: $TS_ERR"
for c in "$DENY4/32" "$DENY6/128"; do
	ts_run -n "$SNS" policy deny add "$c" || fail "deny add $c: exit $TS_RC: $TS_ERR"
done

# ---- events --pcap: every flagged or dropped frame once, as it was sent
"$TCPSENTRY" -n "$SNS" events -j --pcap "$LAB_TMP/ev.pcap" --timeout "$(S 15)" \
	>"$LAB_TMP/events" 2>"$LAB_TMP/events.err" &
evpid=$!
sleep "$(Sf 0.5)"
# one source port per segment: the ports tell them apart in the file
specs=() port=32000
for f in none SF SR FPU F P; do
	specs+=("$C4,$port,$FAKE4,80,$f" "$C6,$((port + 1)),$FAKE6,443,$f")
	port=$((port + 2))
done
specs+=("$DENY4,40000,$S4,8080,S,5" "$DENY6,40000,$S6,8080,S,5")
in_ns "$CNS" timeout "$(S 10)" "$PY" "$CHK" send "$CIF" "$SMAC" "${specs[@]}" \
	>"$LAB_TMP/sent" 2>"$LAB_TMP/send.err" || fail "send: $(cat "$LAB_TMP/send.err")"
info "sent $(wc -l <"$LAB_TMP/sent") forged segments (bad flags v4 and v6, denied SYNs v4 and v6)"
sleep "$(Sf 1)"
kill -TERM "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null

nev=$("$PY" -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if l.strip() and json.loads(l).get("type") in ("anomaly", "drop")))' \
	"$LAB_TMP/events")
if out=$("$PY" "$CHK" check --all "$LAB_TMP/sent" "$LAB_TMP/ev.pcap"); then
	pass "events --pcap: $out"
else
	fail "events --pcap: $out"
	detail <"$LAB_TMP/events"
fi
w=$("$PY" "$CHK" walk "$LAB_TMP/ev.pcap")
[ "$w" = "ok $nev" ] && pass "events --pcap: one record per anomaly or drop event ($nev), ending on a whole record" ||
	fail "events --pcap: $w, $nev anomaly and drop events"
ts_run -n "$SNS" stats -j
"$PY" -c 'import json, sys
s = json.loads(sys.argv[1].splitlines()[0])
d = s["dropped"]["deny"]; b = s["anomalies"]["bad_flags"]
print(d, b); sys.exit(0 if d == 10 and b == 12 else 1)' "$TS_OUT" >"$LAB_TMP/st" 2>&1 &&
	pass "stats: dropped.deny 10, anomalies.bad_flags 12 (what was sent)" ||
	fail "stats: dropped.deny, anomalies.bad_flags: $(cat "$LAB_TMP/st")"

# ---- run --pcap-dir killed with -9 mid-stream
mkdir -p "$LAB_TMP/pcaps"
run_start --pcap-dir "$LAB_TMP/pcaps" --log "$LAB_TMP/run.log" || finish
in_ns "$CNS" timeout "$(S 30)" "$PY" "$CHK" send "$CIF" "$SMAC" "$C4,50000,$FAKE4,80,SF,300,20" \
	>"$LAB_TMP/sent2" 2>"$LAB_TMP/send2.err" &
spid=$!
# kill once frames are being written: 20 segments out, a record on disk
for _ in $(seq "$(S 200)"); do
	[ "$(wc -l <"$LAB_TMP/sent2")" -ge 20 ] &&
		[ "$(cat "$LAB_TMP"/pcaps/*.pcap 2>/dev/null | wc -c)" -gt 40 ] && break
	sleep 0.1
done
kill -9 "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
at_kill=$(wc -l <"$LAB_TMP/sent2")
wait "$spid"
total=$(wc -l <"$LAB_TMP/sent2")
[ "$at_kill" -gt 0 ] && [ "$at_kill" -lt "$total" ] &&
	pass "run killed with -9 mid-stream (after $at_kill of $total segments)" ||
	fail "the kill was not mid-stream: $at_kill of $total segments sent"
n=0; files=("$LAB_TMP"/pcaps/*.pcap)
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	w=$("$PY" "$CHK" walk "$f")
	case $w in
	"ok "[0-9]*) [[ $w == *cut* ]] && fail "after kill -9: $(basename "$f"): $w" || n=$((n + ${w#ok })) ;;
	*) fail "after kill -9: $(basename "$f"): $w" ;;
	esac
done
if out=$("$PY" "$CHK" check "$LAB_TMP/sent2" "${files[@]}") && [ "$n" -gt 0 ]; then
	pass "after kill -9: ${#files[@]} file(s), $n whole records, nothing after the last; tcpdump -r: ${out#OK }"
else
	fail "after kill -9: $n records; $out"
fi
finish
