# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# The kernel matrix's shared pieces, sourced by run.sh and matrix.sh.
#
# A matrix kernel is named by its series ("6.1", "6.12"). It comes from
# Debian's linux-image-<version>-amd64-unsigned package, fetched with
# `apt-get download` into build/kernels/cache/ (a second run downloads
# nothing), unpacked with `dpkg-deb -x` under build/kernels/<version>/ and
# never installed: the host's /boot and /lib/modules are not touched.

KROOT=${KROOT:-$REPO/build/kernels}
KCACHE=$KROOT/cache
# the kernels `make test-kernels` boots; the host's own kernel (6.18 here)
# is what every other test runs on
KERNELS=${KERNELS:-6.1 6.12}

kdie() { echo "kernels: $*" >&2; exit 1; }

# the newest linux-image-*-unsigned package of a series in apt's lists
# (Debian 12 has 6.1 in main and 6.12 as linux-image-6.12.*+deb12)
kernel_pkg() {
	local series=$1 var pat
	var=KERNEL_PKG_${series//./_}
	if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
	case $series in
	6.1) pat='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
	*) pat="^linux-image-${series//./\\.}\\.[0-9]+\\+deb12-amd64-unsigned\$" ;;
	esac
	apt-cache pkgnames "linux-image-$series" 2>/dev/null | grep -E "$pat" | sort -V | tail -n 1
}

# kernel version (uname -r) of a package name
pkg_kver() { local v=${1#linux-image-}; echo "${v%-unsigned}"; }

# fetch + unpack + depmod + initramfs, once; prints the kernel's directory
kernel_prepare() {
	local series=$1 pkg kver dir deb
	pkg=$(kernel_pkg "$series")
	[ -n "$pkg" ] || kdie "no linux-image-*-unsigned package of series $series in apt's lists (apt-get update?)"
	kver=$(pkg_kver "$pkg")
	dir=$KROOT/$kver
	if [ ! -f "$dir/.ready" ]; then
		mkdir -p "$KCACHE"
		deb=$(ls "$KCACHE/${pkg}_"*.deb 2>/dev/null | head -n 1)
		if [ -z "$deb" ]; then
			echo "kernels: apt-get download $pkg" >&2
			# stale lists name a package the mirror dropped: update once
			(cd "$KCACHE" && { apt-get download -q -o APT::Sandbox::User=root "$pkg" ||
				{ apt-get update -qq && apt-get download -q -o APT::Sandbox::User=root "$pkg"; }; } >&2) ||
				kdie "cannot download $pkg"
			deb=$(ls "$KCACHE/${pkg}_"*.deb | head -n 1)
		fi
		echo "kernels: unpacking $(basename "$deb")" >&2
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir/root" || kdie "cannot unpack $deb"
		# modules.dep and modules.alias (busybox's depmod reads .ko.xz):
		# the guest's modprobe (and the kernel's autoload through it) need them
		busybox depmod -b "$dir/root" "$kver" || kdie "depmod failed for $kver"
		"$REPO/tools/kernels/initramfs.sh" "$dir/root" "$kver" "$dir/initramfs.cpio.gz" ||
			kdie "cannot build the initramfs for $kver"
		touch "$dir/.ready"
	fi
	echo "$dir"
}
