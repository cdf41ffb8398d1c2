#!/usr/bin/env bash
# Allow and deny lists through real kernels: in enforce mode a denied
# client cannot connect while another source can, and connects again after
# `deny del`; a deny entry with a TTL lifts by itself; in observe mode a
# denied client connects and the drop is only counted as would_drop.
. "$(dirname "$0")/lib.sh"
C4B=198.18.0.3

lab_setup
ip -n "$CNS" addr add "$C4B/24" dev "$CIF"
ts_attach "$SNS" "$SIF" || finish
listen_bg "$SNS" "$S4" 80 60 || finish

ts_run -n "$SNS" policy show -j
mode=$("$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["mode"])' <<<"$TS_OUT")
[ "$mode" = observe ] && pass "policy show -j: mode is observe after attach" ||
	fail "policy show -j: mode '$mode', expected observe: $TS_OUT $TS_ERR"

# observe: the denied client still connects; the drop is a would_drop
ts_run -n "$SNS" policy deny add "$C4/32" || fail "deny add: exit $TS_RC: $TS_ERR"
connect_n "$CNS" "$C4" "$S4" 80 5 "$(Sf 0.9)"
[ "$CONN_OK" = 5 ] && pass "observe: denied $C4 still connects (5/5)" ||
	fail "observe: denied $C4 connected $CONN_OK/5"
wd=$(stats_field "$SNS" 's["would_drop"]["deny"]')
dr=$(stats_field "$SNS" 's["dropped"]["deny"]')
[ "$wd" -ge 5 ] 2>/dev/null && [ "$dr" = 0 ] && pass "observe: would_drop.deny $wd, dropped.deny 0" ||
	fail "observe: would_drop.deny '$wd', dropped.deny '$dr'"

# enforce: the denied client cannot connect, the other source can
ts_run -n "$SNS" policy set mode=enforce || fail "set mode=enforce: exit $TS_RC: $TS_ERR"
connect_n "$CNS" "$C4" "$S4" 80 3 1.5
[ "$CONN_OK" = 0 ] && pass "enforce: denied $C4 cannot connect (0/3 in 1.5 s)" ||
	fail "enforce: denied $C4 connected $CONN_OK/3"
connect_n "$CNS" "$C4B" "$S4" 80 5 "$(Sf 0.9)"
[ "$CONN_OK" = 5 ] && pass "enforce: $C4B (not denied) connects (5/5)" ||
	fail "enforce: $C4B connected $CONN_OK/5"
dr=$(stats_field "$SNS" 's["dropped"]["deny"]')
[ "$dr" -ge 3 ] 2>/dev/null && pass "enforce: dropped.deny $dr" || fail "enforce: dropped.deny '$dr'"

# status and stats read one attachment one way (lib/readout.c): the drops
# status shows are the ones stats counts (status once printed a drops
# struct it never read)
drops='print(s["dropped"]["deny"], s["would_drop"]["deny"], s["bans_written"])'
ts_run -n "$SNS" stats -j
sv=$("$PY" -c "import json,sys; s=json.loads(sys.stdin.readline()); $drops" <<<"$TS_OUT")
ts_run -n "$SNS" status -j
st=$("$PY" -c "import json,sys; s=json.loads(sys.stdin.readline()); $drops" <<<"$TS_OUT")
[ -n "$st" ] && [ "$st" = "$sv" ] && [ "${st%% *}" -ge 3 ] &&
	pass "status -j drops equal stats -j drops (dropped.deny, would_drop.deny, bans: $st)" ||
	fail "status -j drops '$st', stats -j drops '$sv'"

ts_run -n "$SNS" policy show -j
"$PY" -c 'import json,sys; d=json.loads(sys.stdin.readline())["deny"]; sys.exit(0 if d == [{"cidr": sys.argv[1] + "/32"}] else 1)' \
	"$C4" <<<"$TS_OUT" && pass "policy show -j lists the deny entry" ||
	fail "policy show -j deny list: $TS_OUT"

# deny del: connects again
ts_run -n "$SNS" policy deny del "$C4/32" || fail "deny del: exit $TS_RC: $TS_ERR"
connect_n "$CNS" "$C4" "$S4" 80 5 "$(Sf 0.9)"
[ "$CONN_OK" = 5 ] && pass "after deny del: $C4 connects (5/5)" ||
	fail "after deny del: $C4 connected $CONN_OK/5"
expect_rc "deny del of an absent entry" 1 -n "$SNS" policy deny del "$C4/32"

# a /24 with a TTL of 3 s covers both clients, then lifts by itself (the
# TTL, the waits and the handshake bounds scale on a slow, emulated kernel)
ttl=$((E2E_TIME_SCALE > 1 ? 10 * E2E_TIME_SCALE : 3))
ttl_end=$(($(now_ms) + ttl * 1000 + 500))
ts_run -n "$SNS" policy deny add 198.18.0.0/24 --ttl "$ttl" || fail "deny add --ttl: exit $TS_RC: $TS_ERR"
connect_n "$CNS" "$C4B" "$S4" 80 2 "$(Sf 0.5)"
[ "$CONN_OK" = 0 ] && pass "deny 198.18.0.0/24 ttl $ttl: $C4B cannot connect" ||
	fail "deny ttl: $C4B connected $CONN_OK/2 while denied"
sleep_until "$ttl_end"
connect_n "$CNS" "$C4B" "$S4" 80 5 "$(Sf 0.9)"
[ "$CONN_OK" = 5 ] && pass "ttl expired: $C4B connects again (5/5)" ||
	fail "ttl expired: $C4B connected $CONN_OK/5"

# IPv6: deny the client's /64, the v6 connection is refused service
ts_run -n "$SNS" policy deny add 2001:db8::/64 || fail "deny add v6: exit $TS_RC: $TS_ERR"
connect_n "$CNS" "$C6" "$S6" 80 2 1 || :
listen_ok=$CONN_OK
[ "$listen_ok" = 0 ] && pass "enforce: denied 2001:db8::/64 cannot connect over IPv6" ||
	fail "IPv6 deny: connected $listen_ok/2"

# bad input changes nothing
ts_run -n "$SNS" policy show -j; before=$TS_OUT
expect_rc "allow add with a bad CIDR" 2 -n "$SNS" policy allow add 198.18.0.1/33
expect_rc "deny add with host bits" 2 -n "$SNS" policy deny add 198.18.0.1/24
expect_rc "--ttl on allow" 2 -n "$SNS" policy allow add 198.18.0.0/24 --ttl 5
ts_run -n "$SNS" policy show -j
[ "$TS_OUT" = "$before" ] && pass "rejected commands left the policy as it was" ||
	{ fail "policy changed by rejected commands"; { echo "$before"; echo "$TS_OUT"; } | detail; }
finish
