#!/usr/bin/env bash
# `top` in an 80x24 tmux pane while real connections are open: the pane
# shows the connection counts (as `conns` lists them), fits the pane, and
# `q` quits with exit 0.
. "$(dirname "$0")/lib.sh"
K=7
command -v tmux >/dev/null || { fail "no tmux (make deps)"; finish; }
TMUX_SOCK=tse2e-$ID
top_cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	lab_cleanup
}
trap top_cleanup EXIT

lab_setup
ts_attach "$SNS" "$SIF" || finish
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s top -x 80 -y 24 \
	"$TCPSENTRY -n $SNS top; echo \$? >$LAB_TMP/top.rc; sleep 30" ||
	{ fail "tmux new-session"; finish; }
sleep 1.5
drv_start srv "$SNS" -4 -n "$K" server "$S4" 80 || finish
drv_start cli "$CNS" -4 -n "$K" -l "$C4" -p 44000 client "$S4" 80 || finish
step cli connect && step srv accept && step cli "send 100" && step srv "recv 100" || finish

# what the tracker itself lists, to compare with
ts_conns "$SNS"
listed=$(grep -c '"server_state":"ESTABLISHED"' "$LAB_TMP/conns.json")
[ "$listed" = "$K" ] && pass "conns lists $K ESTABLISHED" || fail "conns lists $listed ESTABLISHED, expected $K"

# the pane, redrawn every second: poll until it shows them (bounded)
deadline=$(($(now_ms) + $(S 5000)))
while :; do
	tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$LAB_TMP/pane"
	est=$(awk '$1 == "ESTABLISHED" { print $2 }' "$LAB_TMP/pane")
	tot=$(awk '$1 == "total" { print $2 }' "$LAB_TMP/pane")
	opened=$(grep -o 'opened (total) *[0-9]*' "$LAB_TMP/pane" | awk '{ print $3 }')
	[ "$est" = "$K" ] && [ "$tot" = "$K" ] && [ "$opened" = "$K" ] && break
	[ "$(now_ms)" -ge "$deadline" ] && break
	sleep 0.3
done
if [ "$est" = "$K" ] && [ "$tot" = "$K" ] && [ "$opened" = "$K" ]; then
	pass "top pane: ESTABLISHED $est, total $tot, opened $opened (= conns)"
else
	fail "top pane: ESTABLISHED '$est', total '$tot', opened '$opened', expected $K"
	detail <"$LAB_TMP/pane"
fi
grep -q '^tcpsentry top' "$LAB_TMP/pane" && grep -q '^top SYN sources' "$LAB_TMP/pane" &&
	pass "top fits 80x24: first and last lines in the pane" ||
	{ fail "top does not fit 80x24"; detail <"$LAB_TMP/pane"; }
# close them: the pane follows the kernels. The client closes first, so
# each connection ends in TIME_WAIT on one side (both after a simultaneous
# close), unless a late FIN retransmission drew the closed server's RST,
# which ends the client's TIME_WAIT too: the kernels say how many are left
# (a connection counts as TIME_WAIT when either socket is, as in `top`)
kernel_tw() {
	local i n=0 kc ks
	for i in $(seq 0 $((K - 1))); do
		kc=$(ss_state "$CNS" "$(ep "$C4" $((44000 + i)))" "$(ep "$S4" 80)")
		ks=$(ss_state "$SNS" "$(ep "$S4" 80)" "$(ep "$C4" $((44000 + i)))")
		[ "$kc" = TIME_WAIT ] || [ "$ks" = TIME_WAIT ] && n=$((n + 1))
	done
	echo "$n"
}
step cli close && step srv close || finish
deadline=$(($(now_ms) + $(S 5000)))
while :; do
	tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$LAB_TMP/pane"
	tw=$(awk '$1 == "TIME_WAIT" { print $2 }' "$LAB_TMP/pane")
	est=$(awk '$1 == "ESTABLISHED" { print $2 }' "$LAB_TMP/pane")
	tot=$(awk '$1 == "total" { print $2 }' "$LAB_TMP/pane")
	ktw=$(kernel_tw)
	[ "$tw" = "$ktw" ] && [ "$ktw" -gt 0 ] && [ "$est" = 0 ] && [ "$tot" = "$K" ] && break
	[ "$(now_ms)" -ge "$deadline" ] && break
	sleep 0.3
done
[ "$ktw" = "$K" ] || info "the kernels keep $ktw of $K connections in TIME_WAIT (the others were reset after the close)"
[ "$tw" = "$ktw" ] && [ "$ktw" -gt 0 ] && [ "$est" = 0 ] && [ "$tot" = "$K" ] &&
	pass "top pane after close: TIME_WAIT $tw (= the kernels), ESTABLISHED 0, total $K" ||
	{
		fail "top pane after close: TIME_WAIT '$tw' (kernels: $ktw), ESTABLISHED '$est', total '$tot'"
		{ cat "$LAB_TMP/pane"; echo "ss -tan client ns:"; cat "$LAB_TMP/ss.$CNS"; echo "ss -tan server ns:"; cat "$LAB_TMP/ss.$SNS"; } | detail
	}

# a steady stream of short connections to port 81: the SYN rate per port
# and the new connections per second show
in_ns "$SNS" "$PY" -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$S4"'", 81)); s.listen(512); s.settimeout(0.5)
end = time.time() + 6 * '"$E2E_TIME_SCALE"'
while time.time() < end:
    try:
        c, _ = s.accept(); c.close()
    except socket.timeout:
        pass' &
srv81=$!
for _ in $(seq "$(S 50)"); do # until it listens
	[ -n "$(in_ns "$SNS" ss -Hltn "sport = :81")" ] && break
	sleep 0.1
done
in_ns "$CNS" "$PY" -c 'import socket, time
end = time.time() + 5 * '"$E2E_TIME_SCALE"'
while time.time() < end:
    c = socket.create_connection(("'"$S4"'", 81), timeout=2); c.close()
    time.sleep(0.01)' &
cli81=$!
# (until the pane shows the rates and more than 10 of the stream's SYNs
# counted: the first pane with a rate may come in its first second, CI31)
deadline=$(($(now_ms) + $(S 5000)))
while :; do
	tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$LAB_TMP/pane"
	p81=$(grep -o 'SYN/s by port:.* 81: [0-9]*' "$LAB_TMP/pane" | awk '{ print $NF }')
	ncs=$(awk '/new connections\/s/ { print $NF }' "$LAB_TMP/pane")
	n1=$(sed -n 's/^top SYN sources: [^ ]* \([0-9]*\).*/\1/p' "$LAB_TMP/pane")
	[ -n "$p81" ] && [ "$p81" -gt 0 ] && [ "${ncs%.*}" -gt 0 ] && [ "${n1:-0}" -gt 10 ] \
		2>/dev/null && break
	[ "$(now_ms)" -ge "$deadline" ] && break
	sleep 0.3
done
if [ -n "$p81" ] && [ "$p81" -gt 0 ] && [ "${ncs%.*}" -gt 0 ] 2>/dev/null; then
	pass "top under a connection stream: port 81 at $p81 SYN/s, $ncs new connections/s"
else
	fail "top under a connection stream: port 81 '$p81' SYN/s, '$ncs' new connections/s"
	detail <"$LAB_TMP/pane"
fi
# the stream's source leads the top SYN sources, with a rate
src=$(sed -n 's/^top SYN sources: \([^ ]*\) \([0-9]*\).*/\1 \2/p' "$LAB_TMP/pane")
read -r s1 n1 <<<"$src"
[ "$s1" = "$C4" ] && [ "${n1:-0}" -gt 10 ] 2>/dev/null &&
	pass "top SYN sources: $C4 first, $n1 SYNs counted" ||
	{ fail "top SYN sources: '$src', expected $C4 with more than 10"; detail <"$LAB_TMP/pane"; }
wait "$cli81" "$srv81" 2>/dev/null

# q quits, exit 0
tmux -L "$TMUX_SOCK" send-keys -t top q
for i in $(seq "$(S 30)"); do
	[ -s "$LAB_TMP/top.rc" ] && break
	sleep 0.1
done
rc=$(cat "$LAB_TMP/top.rc" 2>/dev/null)
[ "$rc" = 0 ] && pass "q: top exits 0" || fail "q: top exit '${rc:-still running}'"
finish
