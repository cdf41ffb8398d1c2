#!/usr/bin/env bash
# A forged RST far outside the window (tools/rstinject.c, from the client's
# namespace, with the client's address) hits a real connection: tcpsentry
# flags it as rst_out_of_window with the exact sequence it expected, counts
# it, and the connection survives in both kernels and in the tracker.
. "$(dirname "$0")/lib.sh"
RSTINJECT=${RSTINJECT:-$REPO/build/rstinject}
[ -x "$RSTINJECT" ] || make -C "$REPO" --no-print-directory build/rstinject >/dev/null ||
	{ fail "cannot build $RSTINJECT"; finish; }
lab_setup
ts_attach "$SNS" "$SIF" || finish
"$TCPSENTRY" -n "$SNS" events -j --timeout "$(S 20)" >"$LAB_TMP/events" 2>"$LAB_TMP/events.err" &
evpid=$!
sleep 0.5   # let it open the ring buffer
tag="ipv4 out-of-window RST"
if open_conn "$tag" "$C4" 40000 "$S4" 80; then
	in_ns "$CNS" timeout "$(S 10)" "$RSTINJECT" "$C4" 40000 "$S4" 80 \
		>"$LAB_TMP/inject" 2>"$LAB_TMP/inject.err" &
	injpid=$!
	for _ in $(seq "$(S 50)"); do grep -q listening "$LAB_TMP/inject" && break; sleep 0.1; done
	# a segment from the server tells the injector the client's next seq
	step srv "send 10" && step cli "recv 10"
	wait "$injpid"
	rc=$?
	read -r _ exp _ got < <(grep '^expected' "$LAB_TMP/inject")
	if [ "$rc" -eq 0 ] && [ -n "${exp:-}" ]; then
		pass "$tag: injected seq $got (the exact one is $exp)"
	else
		fail "$tag: rstinject exit $rc"; detail <"$LAB_TMP/inject.err"
	fi
	sleep 0.3
	expect_states "$tag: connection survives" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
	step cli "send 100" && step srv "recv 100" && pass "$tag: data still flows"
	step cli close && step srv close
	drv_stop cli
	drv_stop srv
fi
kill -TERM "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null

# exactly one anomaly event: this RST, with the facts that decided it
"$PY" - "$LAB_TMP/events" "$(ep "$C4" 40000)" "$(ep "$S4" 80)" "${exp:-x}" "${got:-x}" \
	>"$LAB_TMP/check" 2>&1 <<'PY'
import json, sys
path, c, s, exp, got = sys.argv[1:6]
an = [e for e in map(json.loads, filter(str.strip, open(path))) if e.get("type") == "anomaly"]
want = {"kind": "rst_out_of_window", "client": c, "server": s, "side": "client", "src": c,
        "dst": s, "hook": "ingress", "tcp_flags": 4, "suppressed": 0}
if len(an) != 1:
    sys.exit("want 1 anomaly event, got %d: %s" % (len(an), an))
e = an[0]
bad = {k: e.get(k) for k in want if e.get(k) != want[k]}
if str(e.get("expected")) != exp or str(e.get("got")) != got:
    bad["expected/got"] = (e.get("expected"), e.get("got"))
if bad:
    sys.exit("wrong fields %s in %s" % (bad, e))
print("rst_out_of_window expected %s got %s window %s" % (e["expected"], e["got"], e["detail"]))
PY
[ $? -eq 0 ] && pass "events: $(cat "$LAB_TMP/check")" ||
	{ fail "events: $(cat "$LAB_TMP/check")"; detail <"$LAB_TMP/events"; }

if ts_run -n "$SNS" stats -j; then
	got=$("$PY" -c 'import json, sys
a = json.loads(sys.stdin.readline())["anomalies"]
print(" ".join("%s=%s" % kv for kv in sorted(a.items())))' <<<"$TS_OUT" 2>&1)
	want="ack_flood=0 ack_no_conn=0 bad_flags=0 half_open_timeout=0 out_of_window=0 port_scan=0 rst_in_window_inexact=0 rst_no_conn=0 rst_out_of_window=1 syn_data=0 syn_flood=0"
	[ "$got" = "$want" ] && pass "stats anomalies: $got" ||
		{ fail "stats anomalies: $got, expected $want"; detail <<<"$TS_OUT"; }
else
	fail "stats -j: exit $TS_RC: $TS_ERR"
fi
finish
