#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# suite.sh OUTDIR STAGE...: what the kernel matrix runs inside a guest (or
# on this machine's own kernel), from the repository's root: each stage's
# output goes to OUTDIR/<stage>.log, its verdict to OUTDIR/<stage>.result
# ("PASS ...", "FAIL ...", "SKIP ..."), one line on stdout. Exit 1 if a
# stage failed. Stages:
#   load      `tcpsentry attach` on a veth in a namespace, status, detach
#   verifier  the verifier's processed instructions per program
#   bpftest   build/bpftest (BPF_PROG_TEST_RUN cases)
#   demo      tools/demo.sh (make demo's lab)
#   e2e       tests/e2e/run.sh (E2E_TIME_SCALE from the environment)
set -u
out=$1; shift
mkdir -p "$out"
kver=$(uname -r)
failed=0

# verdict STAGE RC LOG: the result line from the stage's closing tally
verdict() {
	local stage=$1 rc=$2 log=$3 tally skips
	tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	skips=$(grep -cE '^(SKIP |.*: SKIP \()' "$log")
	if [ "$rc" -eq 0 ]; then
		[ "$skips" -gt 0 ] && tally="${tally:-done}, $skips SKIP lines in the log"
		echo "PASS $stage on $kver${tally:+: $tally}"
	else
		echo "FAIL $stage on $kver (exit $rc)${tally:+: $tally}"
	fi
}

stage_load() {
	local ns=tskern-$$ rc=0
	ip netns add "$ns" || return 1
	ip -n "$ns" link add tsk0 type veth peer name tsk1 &&
		ip -n "$ns" link set tsk0 up && ip -n "$ns" link set tsk1 up || rc=1
	[ $rc = 0 ] && { ./tcpsentry -n "$ns" attach tsk0 || rc=1; }
	[ $rc = 0 ] && { ./tcpsentry -n "$ns" status | sed -n '1,6p'; ./tcpsentry -n "$ns" status -j || rc=1; }
	[ $rc = 0 ] && { nsenter --net="/run/netns/$ns" xdp-loader status 2>/dev/null | grep -E 'tsk0|=>'; }
	[ $rc = 0 ] && { ./tcpsentry -n "$ns" detach tsk0 || rc=1; }
	ip netns del "$ns"
	return $rc
}

for stage in "$@"; do
	log=$out/$stage.log
	start=$SECONDS
	case $stage in
	load) stage_load >"$log" 2>&1 ;;
	verifier) build/bench --verifier build >"$log" 2>&1 ;;
	bpftest) build/bpftest build >"$log" 2>&1 ;;
	demo) tools/demo.sh >"$log" 2>&1 ;;
	e2e) TCPSENTRY=$PWD/tcpsentry tests/e2e/run.sh >"$log" 2>&1 ;;
	*) echo "suite: no stage $stage" >"$log"; false ;;
	esac
	rc=$?
	v="$(verdict "$stage" "$rc" "$log") [$((SECONDS - start)) s]"
	echo "$v" | tee "$out/$stage.result"
	[ "$rc" -eq 0 ] || failed=1
done
exit $failed
