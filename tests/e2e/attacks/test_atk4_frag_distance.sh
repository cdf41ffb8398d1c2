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
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
[ "$(in_ns "$SNS" cat /proc/sys/net/ipv4/ipfrag_max_dist)" = 64 ] ||
	{ fail "net.ipv4.ipfrag_max_dist is not 64 in the server namespace: this test assumes the default"; finish; }

# expect_server TAG STATE: the server's kernel (ss) and tcpsentry's server
# state are both STATE (the client's kernel never sent the spoofed FIN)
expect_server() {
	local tag=$1 want=$2 ks ts deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		ks=$(ss_state "$SNS" "$SEP" "$CEP")
		read -r _ ts _ < <(ts_state "$SNS" "$CEP" "$SEP")
		if [ "$ks" = "$want" ] && [ "$ts" = "$want" ]; then
			pass "$tag: the server's kernel and tcpsentry both say $want"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.1
	done
	fail "$tag: server kernel $ks, tcpsentry server $ts (want $want, $want)"
	return 1
}

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
	if [ "$between" -lt 64 ]; then
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

frag_fin "63 fragments between" 40100 63 4660
frag_fin "64 fragments between" 40101 64 8756
frag_fin "64 fragments between, 8 of them UDP's" 40102 64 12852 8
finish
