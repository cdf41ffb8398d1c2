#!/usr/bin/env bash
# A VLAN tag with no VLAN device (issue 11): the kernel drops an ingress
# frame tagged with a VLAN ID the interface has no device for (it is not
# this host's), so such a frame must move no tracked state. Enforce mode,
# default policy, connections over VLAN 100 (a real 802.1Q device on the
# server veth, found by attach's default --vlans auto; on a kernel without
# 8021q the tc tagger of lab_vlan stands in for the device of VLAN 100 and
# attach is told --vlans 100):
# - an RST|ACK with the client's exact sequence number, spoofed from the
#   client's 4-tuple but tagged with VLAN 200, IPv4 and IPv6: both kernels
#   keep the connection, so tcpsentry must too (`conns` equals `ss`), and
#   the frame is counted once under vlan_no_device;
# - the same with FIN|ACK, and with two tags (QinQ: 100 outer, 200 inner);
# - control: the same exact RST tagged with VLAN 100 closes the connection
#   in the server's kernel and in tcpsentry (the test makes the segment it
#   means).
# On a build without the VLAN check (or its --vlans option) it fails.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup vlan
vlans=("${VLAN_ATTACH[@]}")
[ ${#vlans[@]} -gt 0 ] && vlans=(--vlans "$VID") # the tagger takes VLAN 100 only
ts_attach "$SNS" "$SIF" "${vlans[@]}" || finish
enforce
ts_run -n "$SNS" status -j
ids=$(printf '%s\n' "$TS_OUT" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline()).get("vlan_ids"))')
[ "$ids" = "$VID" ] && pass "status: VLAN IDs tracked: $ids" ||
	fail "status: VLAN IDs tracked: '$ids', want $VID"

# spoof_exact TAG CADDR CPORT SADDR FLAGS VLAN: open a connection over VLAN
# 100, then FLAGS with the client's exact next sequence number (sniffed
# from the server's next segment), tagged VLAN, from the client's tuple
spoof_exact() {
	local tag=$1 ca=$2 cp=$3 sa=$4 fl=$5 vl=$6
	open_conn "$tag" "$ca" "$cp" "$sa" 80 || return 1
	: >"$LAB_TMP/spray.out"
	# shellcheck disable=SC2086 # VLAN: one TCI, or "TCI --vlan TCI"
	spray_bg --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags "$fl" --vlan $vl \
		--sniff 5000
	for _ in $(seq 50); do grep -q sniffing "$LAB_TMP/spray.out" && break; sleep 0.1; done
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID" || { fail "$tag: segspray: $(tail -n 2 "$LAB_TMP/spray.out")"; return 1; }
	info "$tag: $(grep sniffed "$LAB_TMP/spray.out" | tail -n 1)"
	sleep 0.3
}

# no_device TAG CADDR CPORT SADDR FLAGS [VLAN]: the frame tagged VLAN (200)
# moves nothing
no_device() {
	local tag=$1 ca=$2 n0 n1
	n0=$(counter vlan_no_device)
	spoof_exact "$1" "$2" "$3" "$4" "$5" "${6:-200}" || return
	n1=$(counter vlan_no_device)
	[ "$((n1 - n0))" -ge 1 ] && pass "$tag: counted as vlan_no_device (+$((n1 - n0)))" ||
		fail "$tag: vlan_no_device did not move ($n0 -> $n1)"
	expect_states "$tag: after it" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
	if step cli "send 1000" && step srv "recv 1000" && step srv "send 1000" && step cli "recv 1000"; then
		pass "$tag: the connection still carries 1000 bytes each way"
	fi
	expect_agree "$tag: conns equals ss" 80 "$ca"
	drv_stop cli
	drv_stop srv
}
no_device "exact RST|ACK on VLAN 200, ipv4" "$CV4" 40000 "$SV4" RA
no_device "exact RST|ACK on VLAN 200, ipv6" "$CV6" 40001 "$SV6" RA
no_device "exact FIN|ACK on VLAN 200, ipv4" "$CV4" 40002 "$SV4" FA
# QinQ: VLAN 100 outer (802.1ad), 200 inner: no device for the pair
no_device "exact RST|ACK on VLANs 100+200 (QinQ), ipv4" "$CV4" 40004 "$SV4" RA "$VID --vlan 200"

spoof_exact "control: exact RST|ACK on VLAN $VID" "$CV4" 40003 "$SV4" RA "$VID" &&
	expect_closed "control: exact RST|ACK on VLAN $VID"
finish
