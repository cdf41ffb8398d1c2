#!/usr/bin/env bash
# Another tool's XDP program is already on the interface (attached by
# netlink, as `ip link set ... xdp` does): tcpsentry takes its place, runs
# it after itself through a tail call, so both keep working; detach puts the
# other program back, still working. A second attach of tcpsentry on top is
# refused.
. "$(dirname "$0")/lib.sh"
OBJ=${XDP_COUNT_OBJ:-$REPO/build/xdp_count.bpf.o}
[ -f "$OBJ" ] || { fail "no $OBJ (make build/xdp_count.bpf.o)"; finish; }

lab_setup
# the other tool's program, native mode, before tcpsentry
if ip -n "$SNS" link set dev "$SIF" xdpdrv obj "$OBJ" sec xdp 2>"$LAB_TMP/ip.err"; then
	pass "another XDP program attached by netlink"
else
	fail "cannot attach the stand-in XDP program"; detail <"$LAB_TMP/ip.err"; finish
fi
xdp_id() { ip -n "$SNS" -d link show "$SIF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1; }
OTHER=$(xdp_id)
# its counter map: the one map of that program
MAPID=$(xdp_count_map "$OTHER")
count() { xdp_count "$MAPID"; }

ts_attach "$SNS" "$SIF" || finish
if [[ $TS_OUT == *"already ran XDP program id $OTHER"* ]]; then
	pass "attach says it chained program $OTHER"
else
	fail "attach did not report chaining program $OTHER"; echo "$TS_OUT" | detail
fi
ts_run -n "$SNS" status -j
cid=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1].splitlines()[0])["chained_prog_id"])' "$TS_OUT")
[ "$cid" = "$OTHER" ] && pass "status names the chained program ($cid)" ||
	fail "status chained_prog_id is '$cid', expected $OTHER"

before=$(count)
scenario_client_close "chained" "$C4" 40100 "$S4" 8080
after=$(count)
if [ "$after" -gt "$before" ]; then
	pass "the other XDP program kept counting while tcpsentry tracked ($before -> $after frames)"
else
	fail "the other XDP program saw nothing while chained ($before -> $after)"
fi

ts_run -n "$SNS" detach "$SIF"
now=$(xdp_id)
[ "$now" = "$OTHER" ] && pass "detach put program $OTHER back" ||
	fail "after detach the interface runs XDP id '$now', expected $OTHER"
after_detach_other_counts
ip -n "$SNS" link set dev "$SIF" xdpdrv off
finish
