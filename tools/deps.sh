#!/bin/sh
# Install what tcpsentry needs to build and test, on Debian 12, with apt-get.
# Quiet and quick when everything is already there.
set -e
pkgs="clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libcmocka-dev libclang-rt-14-dev pkg-config
      gcc make iproute2 util-linux procps python3 ethtool
      libmicrohttpd-dev prometheus tmux nftables
      libxdp-dev xdp-tools qemu-system-x86 busybox-static
      libjson-c-dev nginx-light wrk tcpdump strace
      libfixbuf-dev nettle-dev libpcap-dev nfdump tshark"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
