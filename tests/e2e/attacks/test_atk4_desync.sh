#!/usr/bin/env bash
# Attack 4 (issue 11): a blind attacker must not desynchronise a tracked
# connection. Enforce mode, default policy, one live connection per step:
# - SYN(x), SYN(x + 2^31), RST(x + 2^31 + 1) spoofed from the client's
#   4-tuple (x arbitrary: the attacker sees nothing), IPv4 and IPv6: both
#   kernels keep the connection (a SYN on an established connection gets a
#   challenge ACK, the RST is out of window), so tcpsentry must too, and the
#   real data after it is no out_of_window anomaly;
# - an RST with the exact sequence number but a bad TCP checksum (the
#   kernel discards it: TcpInCsumErrors) leaves the connection as it was;
# - control (passes on main too): the same exact RST with a good checksum
#   closes the connection in the server's kernel and in tcpsentry;
# - both again with the RST in two IP fragments (the checksum is the whole
#   datagram's, which XDP never sees at once): the bad one fails on main.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce

# still_carries TAG: data both ways, then both ends ESTABLISHED everywhere
still_carries() {
	local tag=$1
	if step cli "send 1000" && step srv "recv 1000" && step srv "send 1000" && step cli "recv 1000"; then
		pass "$tag: the connection still carries 1000 bytes each way"
	fi
	expect_states "$tag: after more data" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
}

desync() {
	local tag=$1 ca=$2 cp=$3 sa=$4 x=1000000 o0 o1
	open_conn "$tag" "$ca" "$cp" "$sa" 80 || return
	o0=$(anomaly out_of_window)
	spray --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags S --seq "$x"
	spray --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags S --seq $(((x + (1 << 31)) & 0xffffffff))
	spray --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags R --seq $(((x + (1 << 31) + 1) & 0xffffffff))
	expect_states "$tag: after SYN(x), SYN(x+2^31), RST(x+2^31+1)" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
	still_carries "$tag"
	o1=$(anomaly out_of_window)
	[ "$o1" = "$o0" ] && pass "$tag: the real data after the attack raised no out_of_window" ||
		fail "$tag: the real data after the attack raised out_of_window $o0 -> $o1"
	drv_stop cli
	drv_stop srv
}
desync "ipv4 desync" "$C4" 40000 "$S4"
desync "ipv6 desync" "$C6" 40001 "$S6"

# exact_rst TAG CPORT [--bad-csum]: an RST with the client's exact next
# sequence number (sniffed from the server's next segment), spoofed
exact_rst() {
	local tag=$1 cp=$2; shift 2
	open_conn "$tag" "$C4" "$cp" "$S4" 80 || return 1
	: >"$LAB_TMP/spray.out"
	spray_bg --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags RA --sniff 5000 "$@"
	for _ in $(seq 50); do grep -q sniffing "$LAB_TMP/spray.out" && break; sleep 0.1; done
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID"
	info "$tag: $(grep sniffed "$LAB_TMP/spray.out" | tail -n 1)"
}
ce0=$(nstat_get "$SNS" TcpInCsumErrors)
exact_rst "exact RST, bad checksum" 40002 --bad-csum
sleep 0.3
ce1=$(nstat_get "$SNS" TcpInCsumErrors)
[ $((ce1 - ce0)) -ge 1 ] && pass "exact RST, bad checksum: the server's kernel discarded it (TcpInCsumErrors +$((ce1 - ce0)))" ||
	fail "exact RST, bad checksum: TcpInCsumErrors did not move: the test did not make the segment it meant"
expect_states "exact RST, bad checksum: after it" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
still_carries "exact RST, bad checksum"
drv_stop cli
drv_stop srv

exact_rst "control: exact RST, good checksum" 40003 && sleep 0.3 &&
	expect_closed "control: exact RST, good checksum"

# the same in two IP fragments (24 bytes of TCP in the first, 16 of data
# in all): XDP sees the first fragment's RST, the kernel judges the
# datagram once whole. Its checksum wrong, the kernel drops it
# (TcpInCsumErrors) and nothing may move; right, it closes both
ce0=$(nstat_get "$SNS" TcpInCsumErrors)
exact_rst "exact RST in fragments, bad checksum" 40004 --bad-csum --frag 24 --len 16
sleep 0.3
ce1=$(nstat_get "$SNS" TcpInCsumErrors)
[ $((ce1 - ce0)) -ge 1 ] && pass "exact RST in fragments, bad checksum: the server's kernel discarded the datagram (TcpInCsumErrors +$((ce1 - ce0)))" ||
	fail "exact RST in fragments, bad checksum: TcpInCsumErrors did not move: the test did not make the segment it meant"
expect_states "exact RST in fragments, bad checksum: after it" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
still_carries "exact RST in fragments, bad checksum"
drv_stop cli
drv_stop srv

exact_rst "control: exact RST in fragments, good checksum" 40005 --frag 24 --len 16 && sleep 0.3 &&
	expect_closed "control: exact RST in fragments, good checksum"
finish
