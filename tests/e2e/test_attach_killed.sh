#!/usr/bin/env bash
# An attach killed at any step (SIGKILL at a chosen bpf() or netlink
# sendto() call, by strace's fault injection) is cleaned up: `status`
# still works, and (at every other point) the next `attach` clears what it
# left and works (exit 0, XDP on the interface) and that attachment's
# `detach` leaves nothing, or (the others) a `detach` alone leaves
# nothing: no XDP program of ours, no tc filter, no clsact qdisc, no pin.
# The kill points (kill_points below): the steps that leave something
# behind, and each link creation (libxdp's dispatcher, on kernels where it
# can host tcpsentry, attaches before the record exists); the numbers come
# from a reference run, so a point may land a call or two off the step it
# names, on another step. Twice: alone on the interface, and after another
# tool's XDP program (chained: after the detach that program is back on
# the hook and still counts).
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "no strace (tools/deps.sh installs it)"
OBJ=${XDP_COUNT_OBJ:-$REPO/build/xdp_count.bpf.o}
[ -f "$OBJ" ] || { fail "no $OBJ (make build/xdp_count.bpf.o)"; finish; }
# LeakSanitizer refuses to run under ptrace
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

lab_setup
LAB_ATTACHED+=("$SNS $SIF")

xdp_ids() { ip -n "$SNS" -d link show dev "$SIF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
ts_filters() {
	{ tc -n "$SNS" filter show dev "$SIF" egress; tc -n "$SNS" filter show dev "$SIF" ingress; } \
		2>/dev/null | grep -c tcpsentry
}
clsact_on() { tc -n "$SNS" qdisc show dev "$SIF" | grep -q clsact; }
npins() { ls "$(pin_dir "$SNS" "$SIF")" 2>/dev/null | wc -l; }
# what of tcpsentry is on the interface now: "xdp ids, filters, clsact, pins"
left() {
	echo "xdp [$(xdp_ids | tr '\n' ' ')], tcpsentry filters $(ts_filters)," \
		"clsact $(clsact_on && echo yes || echo no), pins $(npins)"
}

# kill_points TRACE [few]: "SYSCALL N" for each kill point of a reference
# trace (N counts that syscall's calls, as strace's when= does): each link
# creation, the first two updates of the record once the maps are pinned
# (after the link, before the qdisc) and the last (the commit), and every
# netlink request that changes something (NLM_F_ACK: the tc qdisc and
# filters, XDP by netlink); not the queries, which change nothing. few:
# the first record update and the first two netlink changes (the chained
# run: the swap, the first filter; its other steps the first run covers)
kill_points() {
	awk -v few="${2:-}" '
	{ sc = $2; sub(/\(.*/, "", sc) }
	sc == "bpf" {
		nb++
		if ($0 ~ /BPF_OBJ_PIN/ && $0 ~ /\/xdp_chain"/) lastmap = nb
		if (lastmap && nb > lastmap && $0 ~ /BPF_MAP_UPDATE_ELEM/) {
			upd++
			if (upd <= (few ? 1 : 2)) print "bpf " nb
			last = nb
		}
		if ($0 ~ /BPF_LINK_CREATE/ && !few) print "bpf " nb
	}
	sc == "sendto" { ns++; if ($0 ~ /NLM_F_ACK/ && (!few || ++nack <= 2)) print "sendto " ns }
	END { if (!few && last) print "bpf " last }
	' "$1" | sort -u -k1,1 -k2,2n
}

# clean OTHER_ID: nothing of ours on the interface or in bpffs, and the
# other tool's program (or none) on the XDP hook; a link whose holder was
# killed goes a moment after the process
clean() {
	local i
	for i in $(seq "$(S 20)"); do
		[ "$(ts_filters)" -eq 0 ] && [ "$(npins)" -eq 0 ] && ! clsact_on &&
			[ "$(xdp_ids)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# scenario LABEL OTHER_ID: kill attach at every point, then (every other
# point) attach and detach, or detach alone; OTHER_ID: the other tool's
# program (or empty)
scenario() {
	local label=$1 other=$2 sc n i=0 ok=0 bad=0 at st how
	strace -f -qq -o "$LAB_TMP/strace.ref" -e trace=bpf,sendto "$TCPSENTRY" -n "$SNS" attach "$SIF" \
		>/dev/null 2>&1 || { fail "$label: reference attach under strace"; return; }
	ts_run -n "$SNS" detach "$SIF" || { fail "$label: reference detach: $TS_ERR"; return; }
	kill_points "$LAB_TMP/strace.ref" ${other:+few} >"$LAB_TMP/points"
	info "$label: $(wc -l <"$LAB_TMP/points") kill points of $(grep -c 'bpf(' "$LAB_TMP/strace.ref") bpf() and $(grep -c 'sendto(' "$LAB_TMP/strace.ref") sendto() calls"
	while read -r sc n; do
		i=$((i + 1))
		strace -f -qq -o /dev/null -e trace=bpf,sendto -e "inject=$sc:signal=KILL:when=$n" \
			"$TCPSENTRY" -n "$SNS" attach "$SIF" >/dev/null 2>&1
		at="$(left)"
		ts_run -n "$SNS" status
		st=$TS_RC
		if [ $((i % 2)) -eq 1 ]; then
			how="attach and detach"
			ts_run -n "$SNS" attach "$SIF"
			if [ "$TS_RC" -ne 0 ] || [ -z "$(xdp_ids)" ] || [ "$st" -ne 0 ]; then
				fail "$label: killed at $sc call $n ($at): status exit $st, the next attach exit $TS_RC"
				detail <<<"$TS_ERR"
				bad=$((bad + 1))
				ts_run -n "$SNS" detach "$SIF"
				continue
			fi
			ts_run -n "$SNS" detach "$SIF" ||
				{ fail "$label: killed at $sc call $n: detach: $TS_ERR"; bad=$((bad + 1)); continue; }
		else
			# detach alone (exit 1 if the kill came before anything was made)
			how="detach"
			ts_run -n "$SNS" detach "$SIF"
			[ "$st" -eq 0 ] || { fail "$label: killed at $sc call $n ($at): status exit $st"; bad=$((bad + 1)); }
		fi
		if ! clean "$other"; then
			fail "$label: killed at $sc call $n ($at): after $how: $(left) (want xdp [${other:+$other }])"
			detail <<<"$TS_ERR"
			bad=$((bad + 1))
		else
			ok=$((ok + 1))
		fi
	done <"$LAB_TMP/points"
	[ "$bad" -eq 0 ] && pass "$label: killed at each of $ok points: the next attach works and its detach, or a detach alone, leaves nothing"
	[ -z "$other" ] || after_detach_other_counts
}

scenario "alone" ""

ip -n "$SNS" link set dev "$SIF" xdpdrv obj "$OBJ" sec xdp 2>"$LAB_TMP/ip.err" ||
	{ fail "cannot attach the stand-in XDP program"; detail <"$LAB_TMP/ip.err"; finish; }
OTHER=$(xdp_ids)
MAPID=$(xdp_count_map "$OTHER")
count() { xdp_count "$MAPID"; }
scenario "after another XDP program" "$OTHER"
ip -n "$SNS" link set dev "$SIF" xdpdrv off
finish
