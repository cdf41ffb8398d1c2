#!/usr/bin/env bash
# SYN cookies from XDP through real kernels (syn.cookies=on, port 80):
# - per round (IPv4 and IPv6, the client veth's transmit checksum offload
#   off and on, then IPv4 over VLAN 100): 100 clients connect one after the
#   other, exchange a line and close; every SYN is answered by XDP (the
#   server's kernel sends no SYN-ACK: TcpExtSyncookiesSent stays 0, no
#   request socket), every handshake is handed over (syncookies_handed_over
#   +100), nothing fails;
# - the server-side sockets negotiated what the clients offered: window
#   scaling (the server's snd_wscale = the client's rcv_wscale, the
#   server's rcv_wscale = 7 as announced), SACK, timestamps, and the same
#   MSS on both ends;
# - two connections held open are ESTABLISHED in ss on both ends and in
#   `tcpsentry conns` (marked "syncookie":true); after the closes ss and
#   tcpsentry agree on TIME_WAIT/CLOSED for all of them;
# - a connection opened before cookies went on keeps working after;
# - a forged ACK (a wrong cookie) is dropped and counted (syncookies_failed).
# The client veth runs an XDP program of its own: a veth delivers XDP_TX
# frames to its peer only while the peer runs NAPI (see README, limits).
. "$(dirname "$0")/lib.sh"
PEER="$E2E_DIR/cookie_peer.py"
EMPTY_XDP="$REPO/build/empty.bpf.o"
N=${E2E_COOKIE_CONNS:-100}

[ -f "$EMPTY_XDP" ] || { fail "no $EMPTY_XDP (make)"; finish; }
lab_setup
ip -n "$CNS" link set dev "$CIF" xdpdrv obj "$EMPTY_XDP" sec xdp ||
	{ fail "cannot attach an XDP program to the client veth $CIF"; finish; }
ts_attach "$SNS" "$SIF" || finish
need_feature "$SNS" syn_cookie_handover "the bpf_sk_assign_tcp_reqsk kfunc (Linux 6.9+): SYN cookies are off"
in_ns "$SNS" sysctl -qw net.ipv4.tcp_syncookies=1

# a connection from before the cookies: held open through the whole test
in_ns "$SNS" timeout "$(S 300)" "$PY" "$PEER" serve "$S4" 8080 "$(S 300)" "$LAB_TMP/old.server" 1 \
	>"$LAB_TMP/old.serve.log" 2>&1 &
for _ in $(seq "$(S 50)"); do grep -q ready "$LAB_TMP/old.serve.log" && break; sleep 0.1; done
mkfifo "$LAB_TMP/old.in"
in_ns "$CNS" timeout "$(S 300)" "$PY" "$PEER" connect "$C4" "$S4" 8080 1 1 \
	<"$LAB_TMP/old.in" >"$LAB_TMP/old.out" 2>&1 &
exec {OLD_FD}>"$LAB_TMP/old.in"
for _ in $(seq "$(S 50)"); do grep -q '^ok=' "$LAB_TMP/old.out" && break; sleep 0.1; done
grep -q '^ok=1 ' "$LAB_TMP/old.out" || { fail "the connection before the cookies"; detail <"$LAB_TMP/old.out"; }

ts_run -n "$SNS" policy set syn.cookies=on syn.cookie_ports=80,8080 ||
	{ fail "policy set syn.cookies=on: exit $TS_RC: $TS_ERR"; finish; }
ts_run -n "$SNS" policy show -j
"$PY" -c 'import json,sys; p=json.loads(sys.stdin.readline()); sys.exit(not (p["syn.cookies"]=="on" and p["syn.cookie_ports"]=="80,8080"))' <<<"$TS_OUT" &&
	pass "policy show: syn.cookies on, syn.cookie_ports 80,8080" ||
	fail "policy show: $TS_OUT"

nstat_get() { in_ns "$1" nstat -az "$2" 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'; }
counter() { stats_field "$SNS" "s[\"counters\"][\"$1\"]"; }

# one round: FAMILY-specific addresses, label; checks everything above
# tuples_of SERVER: the clients' JSON lines on stdin -> "client server" lines
tuples_of() {
	"$PY" -c 'import json,sys
for l in sys.stdin:
    a = json.loads(l)["local"]; h, p = a.rsplit(":", 1)
    print(("[%s]:%s" % (h, p) if ":" in h else a) + " " + sys.argv[1])' "$1"
}

round() {
	local label=$1 src=$2 dst=$3 hold=2 out="$LAB_TMP/round.$1"
	local sent0 ho0 sent1 ho1 failed0 failed1 ksc0 ksc1
	sent0=$(counter syncookies_sent) ho0=$(counter syncookies_handed_over)
	failed0=$(counter syncookies_failed)
	ksc0=$(nstat_get "$SNS" TcpExtSyncookiesSent)
	: >"$out.server"
	in_ns "$SNS" timeout "$(S 60)" "$PY" "$PEER" serve "$dst" 80 "$(S 60)" "$out.server" "$N" \
		>"$out.serve.log" 2>&1 &
	local spid=$!
	for _ in $(seq "$(S 50)"); do grep -q ready "$out.serve.log" && break; sleep 0.1; done
	mkfifo "$out.in"
	in_ns "$CNS" timeout "$(S 90)" "$PY" "$PEER" connect "$src" "$dst" 80 "$N" "$hold" \
		<"$out.in" >"$out.client" 2>&1 &
	local cpid=$!
	exec {HOLD_FD}>"$out.in"
	for _ in $(seq "$(S 600)"); do grep -q '^ok=' "$out.client" && break; sleep 0.1; done
	local ok
	ok=$(sed -n 's/^ok=\([0-9]*\) .*/\1/p' "$out.client")
	[ "${ok:-0}" = "$N" ] && pass "$label: $N of $N clients connected, exchanged a line, closed" ||
		{ fail "$label: ${ok:-0} of $N clients connected"; grep error "$out.client" | sort | uniq -c | head -n 5 | detail; }
	# the clients closed first: client TIME_WAIT, server CLOSED, checked at
	# once (TIME_WAIT lasts 60 s, which the checks below can outlast under
	# emulation)
	grep '"local"' "$out.client" | head -n "-$hold" | tuples_of "$(ep "$dst" 80)" >"$out.tuples"
	expect_bulk "$label the $((N - hold)) closed" "$out.tuples" TIME_WAIT CLOSED "$(S 5)"
	sent1=$(counter syncookies_sent) ho1=$(counter syncookies_handed_over)
	failed1=$(counter syncookies_failed)
	ksc1=$(nstat_get "$SNS" TcpExtSyncookiesSent)
	[ $((sent1 - sent0)) -ge "$N" ] && [ $((ho1 - ho0)) -eq "$N" ] && [ "$failed1" = "$failed0" ] &&
		pass "$label: XDP sent $((sent1 - sent0)) cookies, $((ho1 - ho0)) handed over, none failed" ||
		fail "$label: cookies sent +$((sent1 - sent0)), handed over +$((ho1 - ho0)) (want $N), failed +$((failed1 - failed0))"
	[ "${ksc1:-0}" = "${ksc0:-0}" ] && pass "$label: the server's kernel sent no SYN cookie of its own" ||
		fail "$label: TcpExtSyncookiesSent ${ksc0:-0} -> ${ksc1:-0}"
	# what both ends negotiated
	if "$PY" - "$out.client" "$out.server" <<'PY' >"$out.check" 2>&1
import json, sys
cl = {}
for l in open(sys.argv[1]):
    if l.startswith("{") and "local" in l:
        d = json.loads(l); cl[d["local"]] = d
bad, n = [], 0
for l in open(sys.argv[2]):
    s = json.loads(l); c = cl.get(s["peer"])
    if c is None:
        continue
    n += 1
    want = (7, c["rcv_wscale"], 7, c["maxseg"])
    got = (s["opts"] & 7, s["snd_wscale"], s["rcv_wscale"], s["maxseg"])
    if got != want or c["snd_wscale"] != 7:
        bad.append("%s: server (opts, snd_ws, rcv_ws, mss) %s, want %s; client snd_ws %d"
                   % (s["peer"], got, want, c["snd_wscale"]))
print("%d server sockets matched to clients" % n)
print("\n".join(bad[:5]))
sys.exit(1 if bad or n != len(cl) or n == 0 else 0)
PY
	then
		pass "$label: server sockets negotiated TS, SACK, window scale (7 ours, the client's theirs) and the client's MSS ($(head -n1 "$out.check"))"
	else
		fail "$label: negotiated options differ"; detail <"$out.check"
	fi
	# the held connections: ESTABLISHED everywhere, marked as cookie connections
	local held=() l
	while read -r l; do held+=("$l"); done < <(grep '"local"' "$out.client" | tail -n "$hold" |
		"$PY" -c 'import json,sys
for l in sys.stdin:
    a = json.loads(l)["local"]; h, p = a.rsplit(":", 1)
    print("[%s]:%s" % (h, p) if ":" in h else a)')
	local srv
	srv=$(ep "$dst" 80)
	for l in "${held[@]}"; do
		expect_states "$label held open" "$l" "$srv" ESTABLISHED ESTABLISHED
		expect_field "$label held open" "$l" "$srv" syncookie true
	done
	exec {HOLD_FD}>&-
	wait "$cpid"
	# the held ones closed by the client too: TIME_WAIT, CLOSED
	grep '"local"' "$out.client" | tail -n "$hold" | tuples_of "$srv" >"$out.tuples"
	expect_bulk "$label the $hold held after their close" "$out.tuples" TIME_WAIT CLOSED "$(S 5)"
	grep -q '^held_ok=2$' "$out.client" && pass "$label: the held connections carried another line" ||
		fail "$label: the held connections: $(grep held_ok "$out.client")"
	wait "$spid" 2>/dev/null
}

in_ns "$CNS" ethtool -K "$CIF" tx off >/dev/null 2>&1
round "ipv4 tx-csum off" "$C4" "$S4"
round "ipv6 tx-csum off" "$C6" "$S6"
in_ns "$CNS" ethtool -K "$CIF" tx on >/dev/null 2>&1
info "client $CIF: $(in_ns "$CNS" ethtool -k "$CIF" | grep -E '^tx-checksumming')"
round "ipv4 tx-csum on" "$C4" "$S4"
round "ipv6 tx-csum on" "$C6" "$S6"

# the connection from before: still there, still carries data
exec {OLD_FD}>&-
for _ in $(seq "$(S 50)"); do grep -q '^held_ok=' "$LAB_TMP/old.out" && break; sleep 0.1; done
grep -q '^held_ok=1$' "$LAB_TMP/old.out" &&
	pass "the connection opened before the cookies went on carried a line after 4 rounds of them" ||
	{ fail "the connection before the cookies"; detail <"$LAB_TMP/old.out"; }

# a forged ACK to the cookie port: dropped by XDP, counted
f0=$(counter syncookies_failed)
in_ns "$CNS" timeout "$(S 10)" "$PY" - "$C4" "$S4" <<'PY' >"$LAB_TMP/forge.out" 2>&1
import socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
sport, dport, seq, ack = 45678, 80, 1000, 0x12345678
tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10, 1000, 0, 0)
ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s & 0xffff) + (s >> 16); s += s >> 16
    return ~s & 0xffff
tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
for _ in range(3):
    s.sendto(tcp, (dst, 0))
print("sent")
PY
sleep 0.5
f1=$(counter syncookies_failed)
[ $((f1 - f0)) -eq 3 ] && pass "3 forged ACKs to the cookie port: dropped, syncookies_failed +3" ||
	{ fail "forged ACKs: syncookies_failed +$((f1 - f0)), want 3"; detail <"$LAB_TMP/forge.out"; }

# VLAN 100 (lab_vlan: sub-interfaces, or the tc tagger when the kernel has
# no 8021q, which needs the clsact hook first: attach again after it)
ts_run -n "$SNS" detach "$SIF" || fail "detach before the VLAN round: $TS_ERR"
lab_vlan
ts_attach "$SNS" "$SIF" "${VLAN_ATTACH[@]}" || finish
ts_run -n "$SNS" policy set syn.cookies=on syn.cookie_ports=80 ||
	{ fail "policy set after the VLAN set-up: $TS_ERR"; finish; }
round "ipv4 over vlan $VID" "$CV4" "$SV4"

finish
