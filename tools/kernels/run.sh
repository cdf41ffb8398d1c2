#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# run.sh [-t SECONDS] [-o OUTDIR] SERIES COMMAND...: boot a matrix kernel
# (6.1, 6.12, ...) under qemu and run COMMAND (a bash command line) in this
# repository inside it; exit with COMMAND's status.
#
# The guest sees this machine's root read-only over 9p with a tmpfs overlay
# (so it runs the built tree as it is) and OUTDIR (default
# build/kernels/run/<kver>) read-write, where it writes COMMAND's status
# (`rc`); the serial console is OUTDIR/console.log and streams to stdout.
# KVM where it can run a stock kernel (probed once per kernel), else TCG.
# A hard timeout (default 1800 s) ends the guest; qemu never outlives this
# script, whatever ends it. Exit 124: timed out; 125: the guest never
# reported a status (boot failure: see the console log).
#   KERNELS_ACCEL=kvm|tcg  skip the probe     KERNELS_MEM  guest MiB (3072)
#   KERNELS_SMP  guest CPUs (2)               KERNELS_QUIET=1  no console stream
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/kernels/lib.sh
. "$REPO/tools/kernels/lib.sh"

secs=1800 out=
while getopts t:o: o; do
	case $o in
	t) secs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-o OUTDIR] SERIES COMMAND..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-t SECONDS] [-o OUTDIR] SERIES COMMAND..." >&2; exit 2; }
series=$1; shift
command -v qemu-system-x86_64 >/dev/null || kdie "qemu-system-x86_64 is missing (make deps)"
[ "$(id -u)" = 0 ] || kdie "needs root (the guest reads this machine's whole root over 9p)"

kdir=$(kernel_prepare "$series") || exit 1
kver=$(basename "$kdir")
out=${out:-$KROOT/run/$kver}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/rc" "$out/console.log"

qpid='' tailpid=''
# qpid is timeout(1)'s: TERM makes it end qemu and exit; KILL only if not
cleanup() {
	local _
	if [ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null; then
		for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	[ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null && wait "$tailpid" 2>/dev/null
	qpid='' tailpid=''
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# boot(ACCEL SECONDS CMD): one guest run, its status in $out/rc
boot() {
	local accel=$1 t=$2 cpu=max
	[ "$accel" = kvm ] && cpu=host
	printf '%s\n' "$3" >"$out/cmd"
	rm -f "$out/rc"
	timeout --kill-after=10 "$t" qemu-system-x86_64 \
		-accel "$accel" -cpu "$cpu" -smp "${KERNELS_SMP:-2}" -m "${KERNELS_MEM:-3072}" \
		-display none -monitor none -serial stdio -no-reboot \
		-kernel "$kdir/root/boot/vmlinuz-$kver" -initrd "$kdir/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 ts.tree=$REPO ts.kroot=$KROOT ts.out=$out" \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev local,id=tsout,path="$out",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=tsout,mount_tag=tsout \
		-device virtio-rng-pci -nic none \
		</dev/null >>"$out/console.log" 2>&1 &
	qpid=$!
	wait "$qpid"
	local rc=$?
	qpid=
	return $rc
}

# KVM only where it boots a stock kernel (this VM's paravirtual /dev/kvm
# does not): a probe boot, its verdict kept per kernel
accel=${KERNELS_ACCEL:-}
if [ -z "$accel" ]; then
	if [ -f "$KROOT/accel-$kver" ]; then
		accel=$(<"$KROOT/accel-$kver")
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		accel=tcg
		if boot kvm 90 'exit 0' >/dev/null 2>&1 && [ "$(cat "$out/rc" 2>/dev/null)" = 0 ]; then
			accel=kvm
		fi
		echo "$accel" >"$KROOT/accel-$kver"
		rm -f "$out/console.log"
	else
		accel=tcg
	fi
fi
how=$accel; [ "$accel" = tcg ] && how="tcg: emulated, 10-15x slower"
echo "kernels: booting Linux $kver ($how), timeout ${secs}s"

: >"$out/console.log"
if [ "${KERNELS_QUIET:-0}" != 1 ]; then
	tail -n +1 -f "$out/console.log" &
	tailpid=$!
fi
start=$SECONDS
boot "$accel" "$secs" "$*"
qrc=$?
sleep 0.3
cleanup
if [ -f "$out/rc" ]; then
	rc=$(<"$out/rc")
	echo "kernels: Linux $kver: exit $rc after $((SECONDS - start)) s"
	exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "kernels: Linux $kver: timed out after ${secs}s (console: $out/console.log)"
	exit 124
fi
echo "kernels: Linux $kver: the guest reported no status (qemu exit $qrc; console: $out/console.log)"
tail -n 20 "$out/console.log"
exit 125
