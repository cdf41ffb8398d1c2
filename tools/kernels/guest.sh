#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Stage 2 of a matrix guest (PID 1 in the overlaid host root): mount what
# a Debian system has (proc, sys, dev, bpffs, tmpfs /run and /tmp),
# let the kernel autoload its own modules (the unpacked package's tree is
# bind-mounted at /lib/modules/<kver>, busybox's modprobe does the loading),
# mount the shared results directory, run its `cmd` script in the tree and
# write its exit status to `rc`, then power off. Never returns.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root TERM=dumb LANG=C.UTF-8
off() { sync; exec 2>/dev/null; echo o >/proc/sysrq-trigger; sleep 10; }
mount -t proc proc /proc
mount -t sysfs sys /sys
tree='' out='' kroot='' kver=$(uname -r)
for a in $(</proc/cmdline); do
	case $a in
	ts.tree=*) tree=${a#ts.tree=} ;;
	ts.out=*) out=${a#ts.out=} ;;
	ts.kroot=*) kroot=${a#ts.kroot=} ;;
	esac
done
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
# what udev would add: bash's process substitution needs /dev/fd
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
# a tree checked out under /tmp (CI clones there) must stay visible: keep
# the overlay's /tmp (writable, its upper layer is tmpfs) instead of an
# empty one over it
case "$tree/" in
/tmp/*) ;;
*) mount -t tmpfs -o mode=1777 tmpfs /tmp ;;
esac
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
exec </dev/null >/dev/console 2>&1

if [ -d "$kroot/$kver/root/lib/modules/$kver" ]; then
	mkdir -p "/lib/modules/$kver"
	mount --bind "$kroot/$kver/root/lib/modules/$kver" "/lib/modules/$kver"
	# the kernel's request_module() runs this; busybox's modprobe reads
	# modules.dep/.alias and decompresses .ko.xz itself
	printf '#!/bin/sh\nexec /bin/busybox modprobe "$@"\n' >/run/modprobe
	chmod 755 /run/modprobe
	echo /run/modprobe >/proc/sys/kernel/modprobe
	for m in virtio_rng veth sch_ingress cls_bpf 8021q inet_diag tcp_diag; do
		/run/modprobe "$m" 2>/dev/null
	done
fi
mkdir -p "$out"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tsout "$out" || {
	echo "guest: cannot mount the results directory at $out"; off; }
hostname tsguest
ip link set lo up
sysctl -qw kernel.panic_on_oops=1 kernel.bpf_stats_enabled=0 2>/dev/null
echo "guest: Linux $kver up ($(nproc) CPUs), running $out/cmd"
cd "$tree" && setsid bash "$out/cmd" </dev/null
echo $? >"$out/rc"
off
