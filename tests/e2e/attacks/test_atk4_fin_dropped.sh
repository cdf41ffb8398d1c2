#!/usr/bin/env bash
# Attack 4 (issue 11), a FIN the server's kernel drops for a reason the wire
# model does not follow: a spoofed FIN from the client's address, exact
# at the server's rcv_nxt (sniffed: an on-path attacker's, as the
# differential fuzzer's at seed 31 was), which the server's kernel drops
# - because it carries a TCP MD5 signature option and the socket has no
#   key (TcpExtTCPMD5Unexpected), IPv4 and IPv6;
# - because it comes in IPv6 fragments while the namespace's fragment
#   memory is full (here: net.ipv6.ip6frag_high_thresh 0;
#   Ip6ReasmFails), the fuzzer's own case.
# Then the client sends real bytes that end where the FIN did: the
# server's kernel ACKs it, at the FIN's end, and stays ESTABLISHED. On the
# wire alone that ACK confirmed the FIN (tcpsentry: server CLOSE_WAIT).
# The server's socket, read at egress as it ACKs, is ESTABLISHED: its
# kernel took no FIN, and the waiting one goes (ts_fin_not_taken, counted
# in fin_not_taken_by_socket). The connection then closes as usual, each
# state as the kernels have it. (On a2c0fe9 tcpsentry says CLOSE_WAIT.)
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
MD5_OPT=0101131200000000000000000000000000000000 # NOP NOP, kind 19 len 18, a zero digest

# dropped_fin TAG CADDR CPORT SADDR KCOUNTER BYTES SPRAY_ARGS...: the FIN
# the kernel drops (KCOUNTER moves), BYTES real bytes to its end, then the
# usual close
dropped_fin() {
	local tag=$1 ca=$2 cp=$3 sa=$4 kc=$5 bytes=$6 k0 k1 n0; shift 6
	open_conn "$tag" "$ca" "$cp" "$sa" 80 || return 1
	n0=$(counter fin_not_taken_by_socket)
	k0=$(nstat_get "$SNS" "$kc")
	: >"$LAB_TMP/spray.out"
	# the FIN at the client's next sequence number, once the server's
	# next segment tells it
	spray_sniffing --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags FA --seq-add 0 "$@"
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID"
	grep -q sniffed "$LAB_TMP/spray.out" || { fail "$tag: no segment sniffed"; detail <"$LAB_TMP/spray.out"; return 1; }
	sleep 0.2
	k1=$(nstat_get "$SNS" "$kc")
	[ "${k1:-0}" -gt "${k0:-0}" ] && pass "$tag: the server's kernel dropped the FIN ($kc $k0 -> $k1)" ||
		fail "$tag: $kc did not move ($k0 -> $k1): the FIN was not dropped as planned"
	expect_server "$tag: the FIN dropped" ESTABLISHED
	# real bytes ending where the FIN did: their ACK is at the FIN's end
	step cli "send $bytes" && step srv "recv $bytes" || return 1
	expect_server "$tag: $bytes real bytes to the FIN's end, acknowledged" ESTABLISHED
	expect_counter_up "$tag: told by the server's socket" fin_not_taken_by_socket "$n0"
	# the real close still follows the kernels
	step cli close && expect_states "$tag: the client closes" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
	step srv close && expect_states "$tag: the server closes" "$CEP" "$SEP" TIME_WAIT CLOSED
	drv_stop cli
	drv_stop srv
}

dropped_fin "ipv4, MD5 option" "$C4" 40300 "$S4" TcpExtTCPMD5Unexpected 1 --opts "$MD5_OPT"
dropped_fin "ipv6, MD5 option" "$C6" 40301 "$S6" TcpExtTCPMD5Unexpected 1 --opts "$MD5_OPT"
# no IPv6 datagram is reassembled in the server's namespace any more
in_ns "$SNS" sysctl -qw net.ipv6.ip6frag_low_thresh=0 net.ipv6.ip6frag_high_thresh=0 ||
	{ fail "cannot set the server's ip6frag thresholds"; finish; }
dropped_fin "ipv6, fragment memory full" "$C6" 40302 "$S6" Ip6ReasmFails 17 --len 16 --frag 24
finish
