#!/usr/bin/env bash
# Attack 4 (issue 11) in IP fragments: what the server's kernel makes of a
# fragmented FIN, tcpsentry must make of it too. The kernel keys an IPv4
# datagram's reassembly by addresses and ID, and starts it over (dropping
# what it held) when more than net.ipv4.ipfrag_max_dist (64) fragments
# from the same source came between two of its own (ip_frag_too_far). A
# last fragment is planted with an ID (a 100-byte data segment's, whose
# first fragment never comes); then N last fragments of other datagrams
# from the client's address; then the exact FIN, 16 bytes of data, in two
# fragments with the planted one's ID:
# - N = 63: its first fragment completes the planted datagram, whose
#   checksum is wrong (TcpInCsumErrors): dropped; its own last fragment
#   waits alone. The server stays ESTABLISHED, and so must tcpsentry;
# - N = 64: the kernel started the datagram over at the FIN's first
#   fragment and takes the FIN once whole: the server goes CLOSE_WAIT, and
#   tcpsentry must follow (on 5a4c057 it took the planted tail for the
#   FIN's, saw a wrong checksum and stayed ESTABLISHED);
# - N = 64, 8 of them last fragments of UDP datagrams (sent from a raw
#   socket in the client namespace): the kernel counts every protocol's
#   fragments, and so must tcpsentry (on 68fc213 it counted TCP's only).
# The distance is the namespace's sysctl, and tcpsentry follows it:
# - set to 16 before an attach: 16 fragments between start the datagram
#   over (CLOSE_WAIT), 15 do not;
# - set to 0 (the kernel's check off) while `run` runs: its next sweep
#   writes it, and 64 fragments between no longer start it over.
# Last, the FIN's own last fragment is planted, then N others, then its
# first fragment: whole unless the kernel started over in between (at 16
# with the distance 16: both stay ESTABLISHED; at 64 with the check off:
# the kernel takes the FIN, CLOSE_WAIT, and so must tcpsentry).
# (On 7bcadff, which assumed 64, the 16 and the 0 cases fail.)
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
. "$E2E_DIR/daemon_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
[ "$(in_ns "$SNS" cat /proc/sys/net/ipv4/ipfrag_max_dist)" = 64 ] ||
	{ fail "net.ipv4.ipfrag_max_dist is not 64 in the server namespace: this test assumes the default"; finish; }
MAXD=64 # the server namespace's net.ipv4.ipfrag_max_dist (0: the check off)

# udp_frags FIRST_ID N: N last fragments of UDP datagrams (offset 32, 40
# bytes) from the client's address to the server's, IDs FIRST_ID on
udp_frags() {
	in_ns "$CNS" "$PY" - "$C4" "$S4" "$1" "$2" <<'PYEOF'
import socket, struct, sys
src, dst, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
body = b"U" * 40
for i in range(n):
    # version/IHL, TOS, length, ID, fragment offset 4 (32 bytes, no MF),
    # TTL, UDP, checksum (the kernel's), addresses
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), (first + i) & 0xffff, 4, 64,
                      17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    s.sendto(hdr + body, (dst, 0))
PYEOF
}

# frag_fin TAG CPORT BETWEEN ID [UDP]: BETWEEN fragments, UDP of them UDP's
frag_fin() {
	local tag=$1 cp=$2 between=$3 id=$4 udp=${5:-0} ce0 ce1
	open_conn "$tag" "$C4" "$cp" "$S4" 80 || return 1
	ce0=$(nstat_get "$SNS" TcpInCsumErrors)
	spray --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags PA --seq 1 --ack 1 \
		--len 100 --frag 24 --frag-part last --ip-id "$id"
	spray --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags PA --seq 1 --ack 1 \
		--len 100 --frag 24 --frag-part last --ip-id $((id + 1000)) --count $((between - udp))
	[ "$udp" -gt 0 ] && { udp_frags $((id + 2000)) "$udp" || fail "$tag: the UDP fragments were not sent"; }
	: >"$LAB_TMP/spray.out"
	spray_bg --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags FA --len 16 --frag 24 \
		--ip-id "$id" --sniff 5000
	for _ in $(seq 50); do grep -q sniffing "$LAB_TMP/spray.out" && break; sleep 0.1; done
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID"
	info "$tag: $(grep sniffed "$LAB_TMP/spray.out" | tail -n 1)"
	sleep 0.3
	ce1=$(nstat_get "$SNS" TcpInCsumErrors)
	if [ "$MAXD" = 0 ] || [ "$between" -lt "$MAXD" ]; then
		[ $((ce1 - ce0)) -ge 1 ] &&
			pass "$tag: the FIN's first fragment completed the planted datagram, which the kernel discarded (TcpInCsumErrors +$((ce1 - ce0)))" ||
			fail "$tag: TcpInCsumErrors did not move: the planted fragment did not meet the FIN's"
		expect_server "$tag" ESTABLISHED
		if step cli "send 1000" && step srv "recv 1000"; then
			pass "$tag: the connection still carries data"
		fi
	else
		[ "$ce1" = "$ce0" ] &&
			pass "$tag: no datagram with a wrong checksum (the kernel dropped the planted fragment)" ||
			fail "$tag: TcpInCsumErrors +$((ce1 - ce0)): the kernel did not start the datagram over"
		expect_server "$tag" CLOSE_WAIT
	fi
	drv_stop cli
	drv_stop srv
}

# frag_own_tail TAG CPORT BETWEEN ID: the FIN's own last fragment, BETWEEN
# others, its first fragment
frag_own_tail() {
	local tag=$1 cp=$2 between=$3 id=$4
	open_conn "$tag" "$C4" "$cp" "$S4" 80 || return 1
	spray --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags FA --len 16 --frag 24 \
		--frag-part last --ip-id "$id"
	spray --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags PA --seq 1 --ack 1 \
		--len 100 --frag 24 --frag-part last --ip-id $((id + 1000)) --count "$between"
	: >"$LAB_TMP/spray.out"
	spray_bg --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags FA --len 16 --frag 24 \
		--frag-part first --ip-id "$id" --sniff 5000
	for _ in $(seq 50); do grep -q sniffing "$LAB_TMP/spray.out" && break; sleep 0.1; done
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID"
	info "$tag: $(grep sniffed "$LAB_TMP/spray.out" | tail -n 1)"
	sleep 0.3
	if [ "$MAXD" = 0 ] || [ "$between" -lt "$MAXD" ]; then
		expect_server "$tag" CLOSE_WAIT
	else
		expect_server "$tag" ESTABLISHED
		if step cli "send 1000" && step srv "recv 1000"; then
			pass "$tag: the connection still carries data"
		fi
	fi
	drv_stop cli
	drv_stop srv
}

frag_fin "63 fragments between" 40100 63 4660
frag_fin "64 fragments between" 40101 64 8756
frag_fin "64 fragments between, 8 of them UDP's" 40102 64 12852 8

# the distance set to 16, then attached again: attach reads it
MAXD=16
in_ns "$SNS" sysctl -qw net.ipv4.ipfrag_max_dist=$MAXD
ts_run -n "$SNS" detach "$SIF" || fail "detach: exit $TS_RC: $TS_ERR"
ts_attach "$SNS" "$SIF" || finish
enforce
frag_fin "ipfrag_max_dist 16, 15 fragments between" 40103 15 16948
frag_fin "ipfrag_max_dist 16, 16 fragments between" 40104 16 21044
frag_own_tail "ipfrag_max_dist 16, the FIN's own tail 16 fragments before" 40106 16 29236

# the distance set to 0 while run runs: its next sweep follows it
MAXD=0
run_start --sweep-interval 1 || finish
in_ns "$SNS" sysctl -qw net.ipv4.ipfrag_max_dist=$MAXD
for _ in $(seq "$(S 50)"); do
	grep -q "ipfrag_max_dist is 0: followed" "$LAB_TMP/run.err" && break
	sleep 0.1
done
grep -q "ipfrag_max_dist is 0: followed" "$LAB_TMP/run.err" &&
	pass "run: its sweep followed net.ipv4.ipfrag_max_dist=0" ||
	{ fail "run did not say it followed net.ipv4.ipfrag_max_dist=0"; detail <"$LAB_TMP/run.err"; }
frag_fin "ipfrag_max_dist 0 (off), 64 fragments between" 40105 64 25140
frag_own_tail "ipfrag_max_dist 0 (off), the FIN's own tail 64 fragments before" 40107 64 33332
finish
