#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# matrix.sh quick|full|verifier: the kernel matrix. Boots each kernel of
# $KERNELS (default "6.1 6.12": Debian 12's kernel and its 6.12 backport)
# under qemu and runs tools/kernels/suite.sh in it:
#   quick     load + verifier + bpftest            (make test)
#   full      load + verifier + bpftest + demo + e2e  (make test-kernels)
#   verifier  the verifier's instruction counts     (make bench-verifier)
# This machine's own kernel is what every other test runs on. Where qemu
# cannot run (no root, no qemu, no kernel package reachable) it says what it
# skipped and why, and exits 0 for `quick` and `verifier` (1 for `full`).
# Results: build/kernels/results/<kver>/ (or $KERNELS_RESULTS/<kver>/); a
# summary at the end.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1
# shellcheck source=tools/kernels/lib.sh
. "$REPO/tools/kernels/lib.sh"
what=${1:-quick}
case $what in
quick) stages="load verifier bpftest"; per=900 ;;
full) stages="load verifier bpftest demo e2e"; per=${KERNELS_FULL_TIMEOUT:-10800} ;;
verifier) stages="verifier"; per=600 ;;
*) echo "usage: $0 quick|full|verifier" >&2; exit 2 ;;
esac

skip_all() {
	echo "SKIP kernel matrix ($KERNELS): $*"
	echo "0 passed, 0 failed, 1 skipped"
	[ "$what" = full ] && exit 1
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (qemu reads this machine's root over 9p)"
command -v qemu-system-x86_64 >/dev/null || skip_all "no qemu-system-x86_64 (make deps)"
command -v busybox >/dev/null || skip_all "no busybox (busybox-static; make deps)"
[ "$(uname -m)" = x86_64 ] || skip_all "the matrix kernels are Debian's amd64 ones; this is $(uname -m)"

RESULTS=${KERNELS_RESULTS:-$KROOT/results}
summary=() failed=0 t0=$SECONDS
for series in $KERNELS; do
	pkg=$(kernel_pkg "$series")
	if [ -z "$pkg" ]; then
		summary+=("SKIP $series: no linux-image-$series*-amd64-unsigned in apt's lists (apt-get update)")
		[ "$what" = full ] && failed=1
		continue
	fi
	kver=$(pkg_kver "$pkg")
	if ! kernel_prepare "$series" >/dev/null; then
		summary+=("SKIP $series: cannot fetch or unpack $pkg (see above)")
		[ "$what" = full ] && failed=1
		continue
	fi
	res=$RESULTS/$kver
	rm -rf "$res" && mkdir -p "$res"
	# under TCG everything takes 10-15x longer: the e2e suite's bounds
	# scale, and a SYN-cookie round makes 10 connections, not 100, so that
	# a round still ends within the 60 s its first TIME_WAIT lasts
	KERNELS_QUIET=${KERNELS_QUIET:-1} \
		tools/kernels/run.sh -t "$per" -o "$res" "$series" \
		"E2E_TIME_SCALE=${E2E_TIME_SCALE:-4} E2E_COOKIE_CONNS=${E2E_COOKIE_CONNS:-10} tools/kernels/suite.sh $res $stages"
	rc=$?
	for s in $stages; do
		if [ -f "$res/$s.result" ]; then
			summary+=("$(cat "$res/$s.result")")
		else
			summary+=("FAIL $s on $kver: did not run (guest exit $rc; $res/console.log)")
		fi
	done
	[ "$rc" -eq 0 ] || failed=1
done
echo
echo "== kernel matrix ($what, $((SECONDS - t0)) s): logs in $RESULTS/"
printf '%s\n' "${summary[@]}"
echo "(this machine's own kernel, $(uname -r), runs every other test of make test)"
# the closing tally, over the stages of all kernels
printf '%s\n' "${summary[@]}" | awk '/^PASS/ {p++} /^FAIL/ {f++} /^SKIP/ {s++}
	END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
exit $failed
