#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# initramfs.sh ROOT KVER OUT: a small initramfs for a matrix kernel: the
# static busybox, our stage-1 init, and the guest kernel's own modules that
# mounting the host's root needs (virtio PCI, 9p over virtio, overlayfs),
# decompressed, with the order to insmod them in (dependencies first).
set -euo pipefail
root=$1 kver=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mods=$root/lib/modules/$kver
bb=$(command -v busybox) || { echo "initramfs: busybox (busybox-static) is missing" >&2; exit 1; }
! ldd "$bb" >/dev/null 2>&1 ||
	{ echo "initramfs: $bb is not static (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,lower,upper,newroot,mods}
cp "$bb" "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init"

# dependency closure from modules.dep, in load order; builtins are absent
awk -v want="virtio_pci 9pnet_virtio 9p overlay" '
	function name(p,  n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n); gsub(/-/, "_", n); return n }
	function visit(n,  i, k, d) {
		if (n in done || !(n in path)) return
		done[n] = 1
		k = split(deps[n], d, " ")
		for (i = k; i >= 1; i--) visit(name(d[i]))
		print path[n]
	}
	{ p = $1; sub(/:$/, "", p); n = name(p); path[n] = p; $1 = ""; deps[n] = $0 }
	END { k = split(want, w, " "); for (i = 1; i <= k; i++) visit(w[i]) }
' "$mods/modules.dep" >"$work/order.paths"
: >"$work/modules"
while read -r p; do
	b=$(basename "$p"); b=${b%.xz}; b=${b%.zst}; b=${b%.gz}
	case $p in
	*.xz) xz -dc "$mods/$p" >"$work/mods/$b" ;;
	*.zst) zstd -qdc "$mods/$p" >"$work/mods/$b" ;;
	*.gz) gzip -dc "$mods/$p" >"$work/mods/$b" ;;
	*) cp "$mods/$p" "$work/mods/$b" ;;
	esac
	echo "$b" >>"$work/modules"
done <"$work/order.paths"
rm "$work/order.paths"
(cd "$work" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
