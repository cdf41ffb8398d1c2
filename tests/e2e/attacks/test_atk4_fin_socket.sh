#!/usr/bin/env bash
# Attack 4 (issue 11), FINs the server's kernel holds out of order: three
# spoofed FINs from the client's address, exact in sequence (sniffed: an
# on-path attacker's, as the differential fuzzer's at seed 13 were) at
# 50, 80 and 100 bytes past what the client sent. The server's kernel
# queues all three (tcp_data_queue_ofo); the client's next 100 real bytes
# cover the two lower (tcp_ofo_queue drops them) and reach the third,
# which the kernel takes: the server goes CLOSE_WAIT and reads EOF after
# the 100 bytes. tcpsentry's wire model follows the two lowest waiting
# FINs; the third is told by the server's own socket, read at egress as
# it ACKs (ts_fin_by_socket, counted in fin_by_socket): tcpsentry's server
# must be CLOSE_WAIT too. IPv4 and IPv6. (On c2d5390, without the
# socket's word, tcpsentry stays ESTABLISHED.) Control: the usual closes,
# either side first, follow the wire alone (fin_by_socket stays).
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce

# three_fins TAG CADDR CPORT SADDR
three_fins() {
	local tag=$1 ca=$2 cp=$3 sa=$4 line seq ack base n0
	open_conn "$tag" "$ca" "$cp" "$sa" 80 || return 1
	n0=$(counter fin_by_socket)
	: >"$LAB_TMP/spray.out"
	# the first FIN, 50 bytes ahead, once the server's next segment tells
	# the sequence numbers
	spray_sniffing --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags FA --seq-add 50
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID"
	line=$(grep sniffed "$LAB_TMP/spray.out" | tail -n 1)
	read -r _ _ seq _ ack <<<"$line"
	[ -n "$ack" ] || { fail "$tag: no segment sniffed ($line)"; return 1; }
	base=$(((seq - 50) & 0xffffffff))
	info "$tag: the client's next sequence number $base, its ACK $ack"
	spray --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags FA \
		--seq $(((base + 80) & 0xffffffff)) --ack "$ack"
	spray --src "$ca" --sport "$cp" --dst "$sa" --dport 80 --flags FA \
		--seq $(((base + 100) & 0xffffffff)) --ack "$ack"
	sleep 0.2
	expect_server "$tag: three FINs waiting" ESTABLISHED
	# the client's 100 real bytes: the two lower FINs covered, the third taken
	step cli "send 100" && step srv "recv 100" || return 1
	expect_server "$tag: the third FIN taken" CLOSE_WAIT
	expect_counter_up "$tag: told by the server's socket" fin_by_socket "$n0"
	drv_stop cli
	drv_stop srv
}

three_fins "ipv4" "$C4" 40200 "$S4"
three_fins "ipv6" "$C6" 40201 "$S6"

n0=$(counter fin_by_socket)
scenario_client_close "control, the client closes first" "$C4" 40202 "$S4" 80
open_conn "control, the server closes first" "$C6" 40203 "$S6" 80 &&
	step srv close && step cli close &&
	expect_states "control, the server closes first" "$CEP" "$SEP" CLOSED TIME_WAIT
drv_stop cli
drv_stop srv
n1=$(counter fin_by_socket)
[ "$n1" = "$n0" ] && pass "control: the usual closes need no socket's word (fin_by_socket $n1)" ||
	fail "control: fin_by_socket moved on usual closes ($n0 -> $n1)"
finish
