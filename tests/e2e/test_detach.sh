#!/usr/bin/env bash
# detach removes everything attach made: the XDP program, the clsact/tc
# egress hook, the programs and maps themselves, and the pin directory;
# but not the clsact qdisc once another tool's filter sits on it.
. "$(dirname "$0")/lib.sh"
lab_setup

prog_ids() { bpftool prog show -j | "$PY" -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["id"], p.get("name", "?"))'; }
map_ids() { bpftool map show -j | "$PY" -c '
import json, sys
for m in json.load(sys.stdin):
    print(m["id"], m.get("name", "?"))'; }

prog_ids >"$LAB_TMP/progs.before"
map_ids >"$LAB_TMP/maps.before"
ts_attach "$SNS" "$SIF" || finish
prog_ids >"$LAB_TMP/progs.after"
map_ids >"$LAB_TMP/maps.after"
# what appeared with our attach (sort -n: ids are numbers)
join -v 2 <(sort "$LAB_TMP/progs.before") <(sort "$LAB_TMP/progs.after") >"$LAB_TMP/progs.ours"
join -v 2 <(sort "$LAB_TMP/maps.before") <(sort "$LAB_TMP/maps.after") >"$LAB_TMP/maps.ours"
info "programs attach created: $(tr '\n' ' ' <"$LAB_TMP/progs.ours")"
info "maps attach created: $(wc -l <"$LAB_TMP/maps.ours")"

# what should be there while attached
ip -n "$SNS" link show "$SIF" | grep -q 'xdp' &&
	pass "attached: ip link shows XDP on $SIF" ||
	fail "attached: ip link shows no XDP on $SIF: $(ip -n "$SNS" link show "$SIF" | tr -s ' ')"
in_ns "$SNS" bpftool net show dev "$SIF" >"$LAB_TMP/net.attached" 2>&1
grep -q 'tcpsentry_tc' "$LAB_TMP/net.attached" &&
	pass "attached: bpftool net shows the tc egress program" ||
	{ fail "attached: no tc egress program on $SIF"; detail <"$LAB_TMP/net.attached"; }
grep -q 'tcpsentry_' "$LAB_TMP/progs.ours" &&
	pass "attached: bpftool prog lists tcpsentry programs" ||
	fail "attached: bpftool prog lists no new tcpsentry_* program"
[ -d "$(pin_dir "$SNS" "$SIF")" ] &&
	pass "attached: pin directory $(pin_dir "$SNS" "$SIF") exists" ||
	fail "attached: no pin directory $(pin_dir "$SNS" "$SIF"): $(ls -R "$BPFFS" 2>&1 | head -n 5)"

# some flows in the tables, so detach has something to throw away
scenario_client_close "before detach" "$C4" 40000 "$S4" 80

expect_rc "detach" 0 -n "$SNS" detach "$SIF"

# nothing may be left
out=$(ip -n "$SNS" link show "$SIF")
grep -q 'xdp' <<<"$out" && fail "detached: ip link still shows XDP: $out" ||
	pass "detached: no XDP on $SIF"
out=$(tc -n "$SNS" qdisc show dev "$SIF")
grep -q 'clsact' <<<"$out" && fail "detached: clsact qdisc still there: $out" ||
	pass "detached: no clsact qdisc on $SIF"
out=$(in_ns "$SNS" bpftool net show dev "$SIF" 2>&1)
grep -qE 'tcpsentry|xdp_dispatcher|id [0-9]+' <<<"$out" &&
	{ fail "detached: bpftool net still shows programs on $SIF"; detail <<<"$out"; } ||
	pass "detached: bpftool net shows nothing on $SIF"
# programs and maps go once their last reference does (RCU: give it a moment)
for i in $(seq "$(S 30)"); do
	prog_ids >"$LAB_TMP/progs.end"
	map_ids >"$LAB_TMP/maps.end"
	left_p=$(join <(sort "$LAB_TMP/progs.ours") <(sort "$LAB_TMP/progs.end"))
	left_m=$(join <(sort "$LAB_TMP/maps.ours") <(sort "$LAB_TMP/maps.end"))
	[ -z "$left_p$left_m" ] && break
	sleep 0.1
done
[ -z "$left_p" ] && pass "detached: bpftool prog lists none of the programs attach made" ||
	fail "detached: programs still loaded: $(tr '\n' ' ' <<<"$left_p")"
[ -z "$left_m" ] && pass "detached: bpftool map lists none of the maps attach made" ||
	fail "detached: maps still loaded: $(tr '\n' ' ' <<<"$left_m")"
if grep -qE 'tcpsentry_(xdp|tc)' "$LAB_TMP/progs.end"; then
	info "note: tcpsentry programs from elsewhere are loaded: $(grep -E 'tcpsentry_' "$LAB_TMP/progs.end" | tr '\n' ' ')"
fi
[ -e "$(pin_dir "$SNS" "$SIF")" ] &&
	fail "detached: pin directory left: $(ls -R "$(pin_dir "$SNS" "$SIF")" | tr '\n' ' ')" ||
	pass "detached: pin directory gone"
if [ -d "$BPFFS/ns$(ns_inode "$SNS")" ]; then
	info "note: namespace directory $BPFFS/ns$(ns_inode "$SNS") is left (empty: $(ls -A "$BPFFS/ns$(ns_inode "$SNS")" | wc -l) entries)"
fi

# a second detach has nothing to remove: exit 1, and it creates nothing
top_before=no; [ -d "$BPFFS" ] && top_before=yes
expect_rc "detach again" 1 -n "$SNS" detach "$SIF"
[ -e "$BPFFS/ns$(ns_inode "$SNS")" ] &&
	fail "detach again: created $BPFFS/ns$(ns_inode "$SNS")" ||
	pass "detach again: no pin directory for the namespace"
if [ "$top_before" = no ]; then
	[ -e "$BPFFS" ] && { fail "detach again: created an empty $BPFFS (and left it)"; rmdir "$BPFFS"; } ||
		pass "detach again: did not create $BPFFS"
else
	info "note: $BPFFS exists (another attachment?): cannot tell whether detach created it"
fi

# another tool's filter on the clsact qdisc attach made: detach takes
# tcpsentry's filters off and leaves the qdisc, with that filter on it
OBJ=${LOSSY_OBJ:-$REPO/build/lossy.bpf.o}
if [ -f "$OBJ" ]; then
	ts_attach "$SNS" "$SIF" || finish
	if tc -n "$SNS" filter add dev "$SIF" egress pref 1 handle 1 bpf da obj "$OBJ" sec tc \
		2>"$LAB_TMP/tc.err"; then
		ts_run -n "$SNS" detach "$SIF"
		out=$(tc -n "$SNS" filter show dev "$SIF" egress)
		if [ "$TS_RC" -eq 0 ] && grep -q 'lossy' <<<"$out" && ! grep -q tcpsentry <<<"$out"; then
			pass "another tool's filter on the clsact attach made: detach keeps the qdisc and that filter, takes its own off"
		else
			fail "another tool's filter on the clsact attach made: detach exit $TS_RC, egress filters now:"
			detail <<<"$out$TS_ERR"
		fi
		tc -n "$SNS" qdisc del dev "$SIF" clsact
	else
		fail "cannot add a filter of another tool (lossy.bpf.o) at $SIF egress"
		detail <"$LAB_TMP/tc.err"
		ts_run -n "$SNS" detach "$SIF"
	fi
else
	info "note: no $OBJ: the check of another tool's filter on our clsact is left out"
fi
finish
