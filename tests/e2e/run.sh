#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run every tests/e2e/test_*.sh (or those named in $E2E_TESTS, e.g.
# "ipv6 vlan"), and the attack tests (tests/e2e/attacks/, see below), each
# in its own process with its own lab and EXIT trap, and
# print the total as the last line: "N passed, N failed, N skipped" (a
# test that cannot run here says "SKIP <test>: why"; the reasons are listed
# before the total). Exit 1 on any failure. Not root: SKIP, exit 0.
#   TCPSENTRY  the binary under test (default: ./tcpsentry of the repo)
#   TCPDRIVE   the TCP driver (default: build/tcpdrive, built if missing)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export TCPSENTRY=${TCPSENTRY:-$repo/tcpsentry}
export TCPDRIVE=${TCPDRIVE:-$repo/build/tcpdrive}
# E2E_TIME_SCALE: a factor on every bound, for slow (emulated) kernels
per_test_timeout=${E2E_TEST_TIMEOUT:-$((300 * ${E2E_TIME_SCALE:-1}))}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e: needs root (network namespaces, XDP, tc, bpffs)"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! mountpoint -q /sys/fs/bpf; then
	echo "SKIP e2e: bpffs is not mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)"
	echo "0 passed, 0 failed"
	exit 0
fi
missing=""
for t in nsenter ip tc ss bpftool python3 timeout mkfifo; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	echo "e2e: missing tools:$missing (make deps)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$TCPDRIVE" ]; then
	make -C "$repo" --no-print-directory build/tcpdrive >/dev/null || {
		echo "e2e: cannot build $TCPDRIVE"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -x "$TCPSENTRY" ]; then
	echo "e2e: no tcpsentry binary at $TCPSENTRY (make tcpsentry)"
	echo "0 passed, 1 failed"
	exit 1
fi

# The default set: tests/e2e/test_*.sh and the attack tests of issue 11
# (tests/e2e/attacks/test_*.sh), except the differential fuzzer
# (test_atk_fuzz_datapath: `make fuzz-datapath` runs it, with its own
# budget). E2E_ATTACKS=0 leaves the attack tests out, =only runs just them
# (the fuzzer included: `make test-attacks`). Named in E2E_TESTS, any test
# runs.
tests=()
if [ -n "${E2E_TESTS:-}" ]; then
	for n in $E2E_TESTS; do
		n=${n#test_}; n=${n%.sh}
		if [ -f "$here/attacks/test_$n.sh" ]; then
			tests+=("$here/attacks/test_$n.sh")
		else
			tests+=("$here/test_$n.sh")
		fi
	done
elif [ "${E2E_ATTACKS:-1}" = only ]; then
	tests=("$here"/attacks/test_*.sh)
else
	tests=("$here"/test_*.sh)
	if [ "${E2E_ATTACKS:-1}" != 0 ]; then
		for t in "$here"/attacks/test_*.sh; do
			[ "$(basename "$t")" = test_atk_fuzz_datapath.sh ] || tests+=("$t")
		done
	fi
fi

total_pass=0 total_fail=0 failed_tests=() skipped=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "== $name"
	if [ ! -f "$t" ]; then
		echo "FAIL $name: no such test"
		total_fail=$((total_fail + 1)); failed_tests+=("$name")
		continue
	fi
	out=$(mktemp)
	# the test's own output streams through; its last line is its tally
	timeout --signal=TERM --kill-after=30 "$per_test_timeout" bash "$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	mapfile -t -O "${#skipped[@]}" skipped < <(grep -E '^SKIP ' "$out")
	rm -f "$out"
	if [ -z "$tally" ]; then
		why="exit $rc"
		[ "$rc" -eq 124 ] && why="timed out after ${per_test_timeout}s"
		echo "FAIL $name: ended without a tally ($why)"
		total_fail=$((total_fail + 1)); failed_tests+=("$name")
		continue
	fi
	p=${tally%% passed*}
	f=${tally#*, }; f=${f%% failed}
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$f" -gt 0 ]; then
		failed_tests+=("$name")
	elif [ "$rc" -ne 0 ]; then
		echo "FAIL $name: exit $rc with no failed check"
		total_fail=$((total_fail + 1)); failed_tests+=("$name")
	fi
done
echo
[ ${#skipped[@]} -gt 0 ] && printf 'skipped: %s\n' "${skipped[@]}"
[ ${#failed_tests[@]} -gt 0 ] && echo "failed: ${failed_tests[*]}"
echo "$total_pass passed, $total_fail failed, ${#skipped[@]} skipped"
[ "$total_fail" -eq 0 ]
