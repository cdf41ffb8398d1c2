# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Helpers for the tests of `tcpsentry run` (sourced after lib.sh): start
# and stop the daemon inside the server namespace, fetch its /metrics from
# inside that namespace, read one sample. The daemon (and anything else
# registered in DAEMON_PIDS) is killed before the lab is taken down.

DAEMON_PIDS=()
RUN_PID=""
METRICS_PORT=19464

daemon_cleanup() {
	local p
	for p in "${DAEMON_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	lab_cleanup
}
trap daemon_cleanup EXIT

# run_start [ARGS...]: `tcpsentry -n $SNS run $SIF --metrics 127.0.0.1:PORT
# ARGS` in the background (stdout $LAB_TMP/run.out, stderr run.err, both
# appended); waits until /metrics answers. Sets RUN_PID.
run_start() {
	local i
	LAB_ATTACHED+=("$SNS $SIF")
	"$TCPSENTRY" -n "$SNS" run "$SIF" --metrics "127.0.0.1:$METRICS_PORT" "$@" \
		>>"$LAB_TMP/run.out" 2>>"$LAB_TMP/run.err" &
	RUN_PID=$!
	DAEMON_PIDS+=("$RUN_PID")
	for i in $(seq "$(S 100)"); do
		metrics_get >/dev/null 2>&1 && return 0
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "run did not start serving metrics"
	detail <"$LAB_TMP/run.err"
	return 1
}

# run_stop SIGNAL: signal the daemon, wait (bounded) for it; sets RUN_RC
run_stop() {
	local i
	kill "-$1" "$RUN_PID" 2>/dev/null
	for i in $(seq "$(S 100)"); do
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$RUN_PID" 2>/dev/null && { kill -9 "$RUN_PID"; RUN_RC=timeout; wait "$RUN_PID" 2>/dev/null; return 1; }
	wait "$RUN_PID"
	RUN_RC=$?
}

# http_get URL: the body, fetched from inside the server namespace
http_get() {
	in_ns "$SNS" "$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}

metrics_get() { http_get "http://127.0.0.1:$METRICS_PORT/metrics"; }

# sample FILE SERIES: the value of the sample line "SERIES VALUE" (empty if none)
sample() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

# wait_sample LABEL SERIES OP WANT [SECONDS]: poll /metrics until the
# sample's value OP WANT (python comparison operator); PASS or FAIL
wait_sample() {
	local label=$1 series=$2 op=$3 want=$4 secs=${5:-5} deadline got
	# gauges follow the sweeper's passes: slower under emulation
	deadline=$(($(now_ms) + secs * E2E_TIME_SCALE * 1000))
	while :; do
		metrics_get >"$LAB_TMP/scrape" 2>/dev/null
		got=$(sample "$LAB_TMP/scrape" "$series")
		if [ -n "$got" ] && "$PY" -c "import sys; sys.exit(0 if float('$got') $op float('$want') else 1)"; then
			pass "$label: $series = $got"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.2
	done
	fail "$label: $series = '${got}', expected $op $want"
	grep -F "${series%%\{*}" "$LAB_TMP/scrape" | head -n 20 | detail
	return 1
}
