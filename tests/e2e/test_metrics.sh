#!/usr/bin/env bash
# `tcpsentry run` serves /metrics; a real Prometheus (started here, inside
# the lab's server namespace, on loopback) scrapes it every second. After N
# real connections: PromQL says tcpsentry_connections_opened_total >= N;
# the scrape is exact (N opened, N handshakes timed, N ESTABLISHED while
# open, N TIME_WAIT after); promtool accepts the scrape and the alert rules,
# and Prometheus loads the rules. The --textfile is well-formed and
# replaced whole. SIGTERM: exit 0, detached.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
N=${E2E_METRICS_CONNS:-20}
PROM_PORT=19090
RULES="$REPO/dist/tcpsentry.rules.yml"

for t in prometheus promtool; do
	command -v "$t" >/dev/null || { fail "no $t (make deps installs Debian's prometheus)"; finish; }
done

if promtool check rules "$RULES" >"$LAB_TMP/rules.out" 2>&1; then
	pass "promtool check rules dist/tcpsentry.rules.yml: $(grep -o '[0-9]* rules found' "$LAB_TMP/rules.out")"
else
	fail "promtool check rules dist/tcpsentry.rules.yml"; detail <"$LAB_TMP/rules.out"
fi
# the alerts on synthetic series: each fires when it should, not before
if promtool test rules "$REPO/tests/prom/tcpsentry.rules_test.yml" >"$LAB_TMP/rules_test.out" 2>&1; then
	pass "promtool test rules tests/prom/tcpsentry.rules_test.yml: $(grep -c SUCCESS "$LAB_TMP/rules_test.out") file passed"
else
	fail "promtool test rules tests/prom/tcpsentry.rules_test.yml"; detail <"$LAB_TMP/rules_test.out"
fi

lab_setup
mkdir -p "$LAB_TMP/textfile" "$LAB_TMP/prom"
run_start --textfile "$LAB_TMP/textfile" --log "$LAB_TMP/events.log" || finish
pass "run: serving http://127.0.0.1:$METRICS_PORT/metrics in $SNS"
[ -d "$(pin_dir "$SNS" "$SIF")" ] && pass "run: attached $SIF (pins present)" ||
	fail "run: no pins for $SIF"

cat >"$LAB_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: tcpsentry
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
YML
in_ns "$SNS" prometheus --config.file="$LAB_TMP/prometheus.yml" \
	--storage.tsdb.path="$LAB_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
	--log.level=warn >"$LAB_TMP/prom.log" 2>&1 &
DAEMON_PIDS+=("$!")
PROM="http://127.0.0.1:$PROM_PORT"
for i in $(seq "$(S 150)"); do
	http_get "$PROM/-/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
http_get "$PROM/-/ready" >/dev/null 2>&1 && pass "prometheus ready on 127.0.0.1:$PROM_PORT in $SNS" ||
	{ fail "prometheus did not become ready"; tail -n 20 "$LAB_TMP/prom.log" | detail; finish; }

# promql QUERY -> the first result's value ("" if none)
promql() {
	http_get "$PROM/api/v1/query?query=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")" |
		"$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}

# ---- N connections, held open
drv_start srv "$SNS" -4 -n "$N" server "$S4" 80 || finish
drv_start cli "$CNS" -4 -n "$N" -l "$C4" -p 42000 client "$S4" 80 || finish
step cli connect && step srv accept || finish
wait_sample "$N open" "tcpsentry_connections{iface=\"$SIF\",state=\"ESTABLISHED\"}" == "$N" 5
wait_sample "$N open" "tcpsentry_connections_opened_total{iface=\"$SIF\"}" == "$N" 3
wait_sample "$N open" "tcpsentry_flow_table_entries{iface=\"$SIF\",table=\"flows\"}" == "$N" 3
wait_sample "$N open" "tcpsentry_handshake_seconds_count{iface=\"$SIF\"}" == "$N" 3
wait_sample "$N open" "tcpsentry_handshake_seconds_bucket{iface=\"$SIF\",le=\"+Inf\"}" == "$N" 3
wait_sample "$N open" "tcpsentry_handshake_seconds_sum{iface=\"$SIF\"}" '>' 0 3
wait_sample "$N open" "tcpsentry_packets_total{iface=\"$SIF\",direction=\"ingress\",verdict=\"pass\"}" '>=' $((2 * N)) 3
wait_sample "$N open" "tcpsentry_packets_total{iface=\"$SIF\",direction=\"egress\",verdict=\"pass\"}" '>=' "$N" 3

# ---- every frame counted once, under its verdict: the packets_total series
# of a direction sum to the frames its hook saw (stats, read just before and
# just after the scrape; a round with any frame in between is tried again)
verdict_sums() {
	local s1 s2 i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		s1=$(stats_field "$SNS" 's["counters"]["packets_ingress"], s["counters"]["packets_egress"]')
		metrics_get >"$LAB_TMP/vscrape.prom"
		s2=$(stats_field "$SNS" 's["counters"]["packets_ingress"], s["counters"]["packets_egress"]')
		[ "$s1" = "$s2" ] && { echo "$s1"; return 0; }
		sleep 0.3
	done
	return 1
}
if seen=$(verdict_sums); then
	read -r in_seen out_seen < <(tr -d '(),' <<<"$seen")
	# dir_sum DIRECTION: the sum of the scrape's packets_total{iface,direction}
	dir_sum() {
		awk -v p="tcpsentry_packets_total{iface=\"$SIF\",direction=\"$1\"," \
			'index($1, p) == 1 { n += $2 } END { print n + 0 }' "$LAB_TMP/vscrape.prom"
	}
	in_sum=$(dir_sum ingress)
	out_sum=$(dir_sum egress)
	[ "$in_sum" = "$in_seen" ] && [ "$out_sum" = "$out_seen" ] &&
		pass "packets_total sums to the frames seen: ingress $in_sum = $in_seen, egress $out_sum = $out_seen" ||
		{ fail "packets_total: ingress $in_sum vs $in_seen seen, egress $out_sum vs $out_seen";
		  grep '^tcpsentry_packets_total' "$LAB_TMP/vscrape.prom" | detail; }
else
	fail "packets_total sums: traffic never paused for a consistent read"
fi

# ---- PromQL through Prometheus's HTTP API
deadline=$(($(now_ms) + 15000))
while :; do
	got=$(promql 'tcpsentry_connections_opened_total' 2>/dev/null)
	[ -n "$got" ] && [ "${got%.*}" -ge "$N" ] && break
	[ "$(now_ms)" -ge "$deadline" ] && break
	sleep 0.5
done
if [ -n "$got" ] && [ "${got%.*}" -ge "$N" ]; then
	pass "PromQL tcpsentry_connections_opened_total = $got (>= $N)"
else
	fail "PromQL tcpsentry_connections_opened_total = '$got', expected >= $N"
	http_get "$PROM/api/v1/targets" | head -c 2000 | detail
fi
got=$(promql "sum(tcpsentry_connections{state=\"ESTABLISHED\"})")
[ "$got" = "$N" ] && pass "PromQL sum(tcpsentry_connections{state=\"ESTABLISHED\"}) = $got" ||
	fail "PromQL sum(tcpsentry_connections{state=\"ESTABLISHED\"}) = '$got', expected $N"
got=$(promql "histogram_quantile(0.5, tcpsentry_handshake_seconds_bucket)")
"$PY" -c "import sys; v = float('${got:-nan}'); sys.exit(0 if 0 < v < 1 else 1)" &&
	pass "PromQL median handshake time: ${got} s" ||
	fail "PromQL histogram_quantile(0.5, tcpsentry_handshake_seconds_bucket) = '$got'"
# the rules loaded and evaluate (no flood, nothing lost: none firing)
http_get "$PROM/api/v1/rules" >"$LAB_TMP/rules.json"
if "$PY" - "$LAB_TMP/rules.json" >"$LAB_TMP/rules.chk" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))["data"]["groups"]
rules = [r for g in d for r in g["rules"]]
names = sorted(r["name"] for r in rules)
bad = [r["name"] + ": " + r.get("lastError", "") for r in rules if r.get("health") != "ok"]
firing = [r["name"] for r in rules if r.get("state") == "firing"]
print(" ".join(names))
sys.exit(1 if bad or firing or len(names) < 4 else 0)
PY
	pass "prometheus evaluates the rules, none firing: $(cat "$LAB_TMP/rules.chk")"
else
	fail "prometheus rules"; head -c 3000 "$LAB_TMP/rules.json" | detail
fi

# ---- promtool on a scrape
metrics_get >"$LAB_TMP/scrape.prom"
if promtool check metrics <"$LAB_TMP/scrape.prom" >"$LAB_TMP/lint" 2>&1; then
	pass "promtool check metrics: a scrape is clean ($(grep -vc '^#' "$LAB_TMP/scrape.prom") samples)"
else
	fail "promtool check metrics"; detail <"$LAB_TMP/lint"
fi
# never an address or a port as a label
if grep -E '198\.18\.|2001:db8|port="|addr' "$LAB_TMP/scrape.prom" | grep -v '^#' | grep -q .; then
	fail "an address or port in a label"; grep -E '198\.18\.|2001:db8|port="' "$LAB_TMP/scrape.prom" | detail
else
	pass "no address or port in any label"
fi

# ---- dist/: every query of the Grafana dashboard runs in this Prometheus,
# and every metric it and the alert rules name is one `run` serves (the
# drop families only exist with a policy-capable datapath)
if in_ns "$SNS" "$PY" - "$REPO/dist/grafana-tcpsentry.json" "$RULES" "$LAB_TMP/scrape.prom" "$PROM" \
	>"$LAB_TMP/dash.chk" <<'PY'; then
import json, re, sys, urllib.parse, urllib.request
dash, rules, scrape, prom = sys.argv[1:5]
served = set(re.findall(r"^# TYPE (\S+)", open(scrape).read(), re.M))
optional = {"tcpsentry_dropped_packets_total", "tcpsentry_would_drop_packets_total"}
exprs = [t["expr"] for p in json.load(open(dash))["panels"] for t in p["targets"]]
exprs += re.findall(r"expr: >-\n((?:\s{10}.*\n)+)|expr: (.*)", open(rules).read())
exprs = [e if isinstance(e, str) else (e[0] or e[1]) for e in exprs]
bad = []
for e in exprs:
    for name in set(re.findall(r"tcpsentry_[a-z_]+", e)):
        base = re.sub(r"_(bucket|sum|count)$", "", name) if "handshake" in name else name
        if base not in served and base not in optional:
            bad.append("not served: " + name)
    q = e.replace("$instance", ".*").replace("$iface", ".*")
    r = json.load(urllib.request.urlopen(prom + "/api/v1/query?query=" + urllib.parse.quote(q), timeout=5))
    if r.get("status") != "success":
        bad.append("query failed: %s: %s" % (q, r))
print("%d expressions checked" % len(exprs))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	pass "dist: dashboard and rules: $(head -n 1 "$LAB_TMP/dash.chk"), all run, all name served metrics"
else
	fail "dist: dashboard or rules"; detail <"$LAB_TMP/dash.chk"
fi
if command -v systemd-analyze >/dev/null; then
	sed "s#/usr/local/sbin/tcpsentry#$TCPSENTRY#" "$REPO/dist/tcpsentry.service" >"$LAB_TMP/tcpsentry.service"
	if systemd-analyze verify "$LAB_TMP/tcpsentry.service" >"$LAB_TMP/verify" 2>&1 && [ ! -s "$LAB_TMP/verify" ]; then
		pass "dist: systemd-analyze verify tcpsentry.service: clean"
	else
		fail "dist: systemd-analyze verify tcpsentry.service"; detail <"$LAB_TMP/verify"
	fi
else
	info "no systemd-analyze here: tcpsentry.service not verified"
fi

# ---- close: the gauges follow (client closes first: client TIME_WAIT)
step cli close && step srv close || finish
wait_sample "$N closed" "tcpsentry_connections{iface=\"$SIF\",state=\"TIME_WAIT\"}" == "$N" 5
wait_sample "$N closed" "tcpsentry_connections{iface=\"$SIF\",state=\"ESTABLISHED\"}" == 0 3
wait_sample "$N closed" "tcpsentry_connections_opened_total{iface=\"$SIF\"}" == "$N" 3
drv_stop cli
drv_stop srv

# ---- the textfile: well-formed, and replaced whole (a new inode each time)
tf="$LAB_TMP/textfile/tcpsentry.prom"
if [ -f "$tf" ] && promtool check metrics <"$tf" >"$LAB_TMP/lint" 2>&1 &&
	grep -q "^tcpsentry_connections_opened_total{iface=\"$SIF\"} $N\$" "$tf"; then
	pass "textfile: promtool-clean, opened_total $N"
else
	fail "textfile $tf"; { cat "$LAB_TMP/lint" 2>/dev/null; head -n 20 "$tf" 2>/dev/null; } | detail
fi
if "$PY" - "$tf" >"$LAB_TMP/atomic" <<'PY'; then
import os, sys, time
path = sys.argv[1]
inodes, reads, bad = set(), 0, []
end = time.time() + 3.5
while time.time() < end:
    try:
        with open(path) as f:
            st = os.fstat(f.fileno())
            text = f.read()
    except FileNotFoundError:
        bad.append("missing for a moment")
        continue
    reads += 1
    inodes.add(st.st_ino)
    # whole: ends with a newline, has the first and the last family
    if not text.endswith("\n") or "tcpsentry_build_info{" not in text \
            or "tcpsentry_sweep_duration_seconds{" not in text:
        bad.append("partial read (%d bytes)" % len(text))
print("%d reads, %d inodes, %d bad" % (reads, len(inodes), len(bad)))
for b in bad[:5]:
    print(b)
sys.exit(0 if not bad and len(inodes) >= 2 else 1)
PY
	pass "textfile replaced atomically: $(head -n 1 "$LAB_TMP/atomic")"
else
	fail "textfile not replaced atomically"; detail <"$LAB_TMP/atomic"
fi
ls -a "$LAB_TMP/textfile" | grep -q '\.tmp$' && sleep 0.5
ls -a "$LAB_TMP/textfile" | grep -q '\.tmp$' && fail "textfile: temporary file left behind" ||
	pass "textfile: no temporary file left behind"

# ---- the event log: JSON lines, our connections' transitions
if "$PY" - "$LAB_TMP/events.log" "$SIF" "$N" >"$LAB_TMP/ev.chk" <<'PY'; then
import json, sys
path, iface, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
est, lines = set(), 0
for line in open(path):
    lines += 1
    e = json.loads(line)
    assert e["iface"] == iface, line
    if e.get("type") == "state" and e.get("side") == "server" and e.get("to") == "ESTABLISHED":
        est.add(e["client"])
print("%d lines, %d servers went ESTABLISHED" % (lines, len(est)))
sys.exit(0 if len(est) == n else 1)
PY
	pass "event log: $(cat "$LAB_TMP/ev.chk")"
else
	fail "event log"; { cat "$LAB_TMP/ev.chk"; head -n 5 "$LAB_TMP/events.log"; } | detail
fi

# ---- SIGTERM: clean exit, detached
run_stop TERM
[ "$RUN_RC" = 0 ] && pass "SIGTERM: run exits 0" || { fail "SIGTERM: run exit $RUN_RC"; detail <"$LAB_TMP/run.err"; }
[ -d "$(pin_dir "$SNS" "$SIF")" ] && fail "SIGTERM: pins still there" || pass "SIGTERM: detached, pins removed"
finish
