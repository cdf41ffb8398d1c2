#!/usr/bin/env bash
# The pin root must be the user's own, mode 0700: every command trusts
# what is pinned there. In a private mount namespace with a bpffs of its
# own (the host's /sys/fs/bpf/tcpsentry, which other tests use, is never
# touched): a root of mode 0755, one owned by another uid, and a symlink
# are each refused by `attach` and `status` with the reason, nothing
# attached; with no root, `attach` under umask 077 creates it 0700 and
# attaches, and `detach` removes it.
. "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null || skip "no unshare (util-linux)"
lab_setup

xdp_on() { ip -n "$SNS" link show dev "$SIF" | grep -q 'prog/xdp'; }

# in_private SCRIPT: SCRIPT under bash in a mount namespace of its own with
# a fresh bpffs at /sys/fs/bpf; T, NS, IF set for it; its output to
# $LAB_TMP/private.out
in_private() {
	T="$TCPSENTRY" NS="$SNS" IF="$SIF" timeout "$(S 120)" unshare -m --propagation private \
		bash -c 'mount -t bpf bpf /sys/fs/bpf || { echo "MOUNT FAILED"; exit 0; }
R=/sys/fs/bpf/tcpsentry
'"$1" >"$LAB_TMP/private.out" 2>&1
	if grep -q 'MOUNT FAILED' "$LAB_TMP/private.out"; then
		skip "cannot mount a private bpffs"
	fi
}

# refused LABEL SETUP: the root made by SETUP is refused by attach and
# status (exit 1, the reason said), and nothing is attached
refused() {
	local label=$1 setup=$2 why=$3
	in_private "$setup"'
"$T" -n "$NS" attach "$IF"; echo "attach exit $?"
"$T" -n "$NS" status; echo "status exit $?"'
	if grep -q 'attach exit 1' "$LAB_TMP/private.out" && grep -q 'status exit 1' "$LAB_TMP/private.out" &&
		[ "$(grep -c "refusing to use /sys/fs/bpf/tcpsentry: $why" "$LAB_TMP/private.out")" -eq 2 ] &&
		! xdp_on; then
		pass "$label: attach and status refuse it ($why), nothing attached"
	else
		fail "$label: not refused as it should be (XDP on $SIF: $(xdp_on && echo yes || echo no))"
		detail <"$LAB_TMP/private.out"
	fi
}

refused "a root of mode 0755" 'mkdir -m 0755 $R' "its mode is 0755, not 0700"
refused "a root owned by another uid" 'mkdir -m 0700 $R; chown 65534 $R' "it belongs to uid 65534"
refused "a symlink" 'mkdir -m 0700 /sys/fs/bpf/elsewhere; ln -s elsewhere $R' "it is not a directory (a symlink)"

in_private '
umask 077
"$T" -n "$NS" attach "$IF" >/dev/null; echo "attach exit $?"
echo "root $(stat -c "%a %u %F" $R)"
"$T" -n "$NS" detach "$IF" >/dev/null; echo "detach exit $?"
[ -e $R ] && echo "root left" || echo "root gone"'
if grep -q 'attach exit 0' "$LAB_TMP/private.out" && grep -q '^root 700 0 directory' "$LAB_TMP/private.out" &&
	grep -q 'detach exit 0' "$LAB_TMP/private.out" && grep -q 'root gone' "$LAB_TMP/private.out"; then
	pass "no root: attach (umask 077) makes it 0700, owned by root, and attaches; detach removes it"
else
	fail "no root: attach, the root it made, detach:"
	detail <"$LAB_TMP/private.out"
fi
finish
