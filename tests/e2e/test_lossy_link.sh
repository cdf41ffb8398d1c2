#!/usr/bin/env bash
# The lossy, reordering link of the false-positive runs (tests/e2e/lossy.bpf.c
# at tc egress of the client veth: ~1% of TCP segments dropped, ~2% of the
# rest swapped with the next segment), on its own: no tcpsentry. 200 real
# connections open, carry 20,000 bytes up and 1,000 down each, and close
# (client first); all must complete in both kernels, and the link must have
# dropped and reordered segments that TCP then repaired.
. "$(dirname "$0")/lib.sh"
# fewer under emulation: the client's TIME_WAITs (60 s) must outlast the
# run up to the check, and 200 connections take longer than that there
N=${E2E_LOSSY_CONNS:-$((E2E_TIME_SCALE > 1 ? 60 : 200))}
UP=${E2E_LOSSY_BYTES:-20000}
OBJ=${LOSSY_OBJ:-$REPO/build/lossy.bpf.o}
[ -f "$OBJ" ] || { fail "no $OBJ (make build/lossy.bpf.o)"; finish; }

# lossy_stats as "tcp dropped held swapped swapped_same expired"
lossy_stats() {
	local id map
	id=$(tc -n "$CNS" -j filter show dev "$CIF" egress |
		"$PY" -c 'import json,sys
for f in json.load(sys.stdin):
    p = f.get("options", {}).get("prog", {})
    if p.get("name") == "lossy": print(p["id"]); break')
	map=$(bpftool -j prog show id "$id" | "$PY" -c 'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["map_ids"])))')
	for m in $map; do
		bpftool -j map show id "$m" | grep -q '"name":"lossy_stats"' || continue
		# with BTF the key and value are numbers, without it byte lists
		bpftool -j map dump id "$m" | "$PY" -c 'import json,sys
n = lambda v: v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little")
d = {n(e["key"]): n(e["value"]) for e in json.load(sys.stdin)}
print(" ".join(str(d[k]) for k in sorted(d)))'
	done
}

nstat_get() { in_ns "$1" nstat -asz "$2" 2>/dev/null | awk 'NR > 1 { s += $2 } END { print s + 0 }'; }

lab_setup
# one segment per skb, so every segment can be dropped, held or swapped:
# TCP builds GSO skbs even with TSO/GSO off (segmented after tc egress), so
# cap them at one segment
in_ns "$CNS" ethtool -K "$CIF" tso off gso off >/dev/null 2>&1
ip -n "$CNS" link set dev "$CIF" gso_max_segs 1 ||
	{ fail "cannot set gso_max_segs 1 on $CIF"; finish; }
tc -n "$CNS" qdisc add dev "$CIF" clsact &&
	tc -n "$CNS" filter add dev "$CIF" egress pref 1 handle 1 bpf da obj "$OBJ" sec tc ||
	{ fail "cannot attach lossy.bpf.c at tc egress of $CIF"; finish; }
pass "lossy link on $CIF egress (client namespace)"

retr0=$(nstat_get "$CNS" TcpRetransSegs)
ofo0=$(nstat_get "$SNS" TcpExtTCPOFOQueue)
t0=$(now_ms)
drv_start srv "$SNS" -4 -n "$N" -t 20000 server "$S4" 80 || finish
drv_start cli "$CNS" -4 -n "$N" -t 20000 -l "$C4" -p 41000 client "$S4" 80 || finish
step cli connect && step srv accept || finish
drv_post cli "send $UP"; drv_post srv "recv $UP"
drv_wait cli || fail "send $UP: $DRV_REPLY"
drv_wait srv || { fail "recv $UP: $DRV_REPLY"; finish; }
step srv "send 1000" && step cli "recv 1000" || finish
step cli close || finish
step srv close || finish

# every connection closed on both sides: the client's in TIME_WAIT, the
# server's gone or in TIME_WAIT too (a simultaneous close, when the client's
# FIN was lost or held back); FINs and last ACKs may need a retransmit. A
# client's TIME_WAIT may also be gone: when the server's FIN is sent again
# after the client's last ACK was lost, the TIME_WAIT ACKs it once more,
# the server (CLOSED by the first ACK by then) answers with an RST, and the
# RST ends the TIME_WAIT (RFC 1337's hazard, test_atk7_tw_reset). So: no
# client socket of the run in any other state, none open on the server
deadline=$(($(now_ms) + $(S 20) * 1000))   # a FIN lost twice backs off past 1 s, 3 s, ...
while :; do
	socks=$(in_ns "$CNS" ss -Htan "( sport >= :41000 and sport < :$((41000 + N)) )")
	tw=$(grep -c TIME-WAIT <<<"$socks")
	open=$(grep -v TIME-WAIT <<<"$socks" | grep -c .)
	left=$(in_ns "$SNS" ss -Htan "( sport = :80 )" | grep -Evc 'LISTEN|TIME-WAIT')
	[ "$open" -eq 0 ] && [ "$left" -eq 0 ] && break
	[ "$(now_ms)" -ge "$deadline" ] && break
	sleep 0.2
done
t1=$(now_ms)
if [ "$open" -eq 0 ] && [ "$left" -eq 0 ] && [ "$tw" -gt $((N / 2)) ]; then
	pass "$N connections carried $UP+1000 bytes and closed in $((t1 - t0)) ms: client $tw in TIME_WAIT ($((N - tw)) ended by the server's RST), server none open"
else
	fail "$N connections: client $tw in TIME_WAIT, $open in other states, server $left not closed, $((t1 - t0)) ms after the first connect"
	{ in_ns "$CNS" ss -Htan | grep -v TIME-WAIT | head -n 5; in_ns "$SNS" ss -Htan | head -n 5; } | detail
fi

read -r tcp dropped held swapped same expired <<<"$(lossy_stats)"
retr=$(( $(nstat_get "$CNS" TcpRetransSegs) - retr0 ))
ofo=$(( $(nstat_get "$SNS" TcpExtTCPOFOQueue) - ofo0 ))
info "lossy: ${tcp:-?} TCP segments, ${dropped:-?} dropped, ${held:-?} held, ${swapped:-?} swapped (${same:-?} within one connection), ${expired:-?} expired"
info "client TcpRetransSegs +$retr, server TcpExtTCPOFOQueue +$ofo"
if [ "${dropped:-0}" -gt 0 ] && [ "$retr" -gt 0 ]; then
	pass "segments dropped (${dropped}) and retransmitted (+$retr)"
else
	fail "no drops seen: dropped ${dropped:-?}, TcpRetransSegs +$retr"
fi
if [ "${same:-0}" -gt 0 ] && [ "$ofo" -gt 0 ]; then
	pass "segments reordered within a connection (${same} swaps) and queued out of order by the server (+$ofo)"
else
	fail "no reordering seen: same-connection swaps ${same:-?}, TcpExtTCPOFOQueue +$ofo"
fi
drv_stop cli
drv_stop srv
finish
