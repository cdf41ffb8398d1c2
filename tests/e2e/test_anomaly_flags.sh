#!/usr/bin/env bash
# Forged segments end to end, through the real veth into XDP: each bad flag
# set (NULL, SYN+FIN, SYN+RST, XMAS, FIN without ACK, PSH without ACK), an
# RST for no connection and an ACK for no connection sent again after the
# 1 s grace with no answer. They go from the client namespace by AF_PACKET
# to the server veth's MAC but to an address the server does not hold
# (198.18.0.99), so no kernel answers them and nothing else is counted.
. "$(dirname "$0")/lib.sh"
FAKE=198.18.0.99

lab_setup
ts_attach "$SNS" "$SIF" || finish
SMAC=$(ip -n "$SNS" -j link show "$SIF" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
"$TCPSENTRY" -n "$SNS" events -j --timeout "$(S 15)" >"$LAB_TMP/events" 2>"$LAB_TMP/events.err" &
evpid=$!
sleep 0.5

in_ns "$CNS" timeout "$(S 10)" "$PY" - "$CIF" "$SMAC" "$C4" "$FAKE" >"$LAB_TMP/send" 2>&1 <<'PY'
import socket, struct, sys, time
ifc, dmac, src, dst = sys.argv[1:5]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
smac = s.getsockname()[4]
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def seg(sport, flags, seq=1000, ack=0, dport=80):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ps = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(ps + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(bytes.fromhex(dmac.replace(":", "")) + smac + b"\x08\x00" + ip + tcp)
FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32
for i, f in enumerate([0, SYN | FIN, SYN | RST, FIN | PSH | URG, FIN, PSH]):
    seg(30001 + i, f)
seg(30100, RST | ACK, 5000, 7000)          # RST for no connection
seg(30200, ACK, 9000, 8000)                # ACK for no connection ...
time.sleep(1.3)
seg(30200, ACK, 9000, 8000)                # ... again, never answered
print("sent 9 forged segments")
PY
info "$(cat "$LAB_TMP/send")"
sleep 0.5
kill -TERM "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null

ts_run -n "$SNS" stats -j
"$PY" - "$TS_OUT" "$LAB_TMP/events" >"$LAB_TMP/check" 2>&1 <<'PY'
import json, sys
a = json.loads(sys.argv[1].splitlines()[0])["anomalies"]
ev = [e for e in map(json.loads, filter(str.strip, open(sys.argv[2]))) if e.get("type") == "anomaly"]
kinds = sorted(e["kind"] for e in ev)
want = {"bad_flags": 6, "rst_no_conn": 1, "ack_no_conn": 1}
others = {k: v for k, v in a.items() if k not in want and v}
ok = all(a.get(k) == v for k, v in want.items()) and not others and \
     kinds.count("bad_flags") == 6 and kinds.count("rst_no_conn") == 1 and kinds.count("ack_no_conn") == 1
print(("OK " if ok else "BAD ") + "stats: %s; other kinds: %s; events: %s" %
      ({k: a.get(k) for k in want}, others, kinds))
PY
if grep -q '^OK' "$LAB_TMP/check"; then
	pass "each bad flag set, an RST and an ACK for no connection are flagged once: $(cat "$LAB_TMP/check")"
else
	fail "forged segments: $(cat "$LAB_TMP/check")"
	detail <"$LAB_TMP/events"
fi
finish
