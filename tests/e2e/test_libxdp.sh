#!/usr/bin/env bash
# XDP through libxdp's dispatcher, where the kernel lets it host
# tcpsentry's program (Debian 12's 6.1; SKIP elsewhere, with the reason):
# attach goes in at priority 10 and `status` says so; another program
# loaded with xdp-loader joins the same dispatcher at priority 50 and
# `xdp-loader status` lists both; real connections are tracked while the
# other program keeps counting frames; detach takes only tcpsentry out, the
# other program stays and still counts.
. "$(dirname "$0")/lib.sh"
OBJ=${XDP_COUNT_OBJ:-$REPO/build/xdp_count.bpf.o}
[ -f "$OBJ" ] || { fail "no $OBJ (make build/xdp_count.bpf.o)"; finish; }
command -v xdp-loader >/dev/null || skip "no xdp-loader (xdp-tools; make deps)"

lab_setup
# the other program leaves with the lab: xdp-loader's own pins too
trap 'timeout "$TS_TIMEOUT" "$TCPSENTRY" -n "$SNS" detach "$SIF" >/dev/null 2>&1
      in_ns "$SNS" xdp-loader unload -a "$SIF" >/dev/null 2>&1; lab_cleanup' EXIT
ts_attach "$SNS" "$SIF" || finish
need_feature "$SNS" prog_ext "freplace (BPF_PROG_TYPE_EXT), which libxdp's dispatcher needs"
need_feature "$SNS" ext_pkt_change "freplace of a packet-keeping function by tcpsentry's packet-changing program (libxdp 1.3.1's dispatcher)"

ts_run -n "$SNS" status -j
chain=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1].splitlines()[0])["xdp_chaining"])' "$TS_OUT")
[ "$chain" = libxdp ] && pass "status: xdp_chaining libxdp" || fail "status: xdp_chaining '$chain', want libxdp"

if in_ns "$SNS" xdp-loader load -m native "$SIF" "$OBJ" >"$LAB_TMP/xl.out" 2>&1; then
	pass "xdp-loader loads another program beside tcpsentry"
else
	fail "xdp-loader load"; detail <"$LAB_TMP/xl.out"; finish
fi
in_ns "$SNS" xdp-loader status "$SIF" >"$LAB_TMP/xs.out" 2>&1
if grep -Eq '=> +10 +tcpsentry_xdp' "$LAB_TMP/xs.out" && grep -Eq '=> +50 +xdp_count' "$LAB_TMP/xs.out"; then
	pass "xdp-loader status lists tcpsentry_xdp (priority 10) and xdp_count (priority 50)"
else
	fail "xdp-loader status"; detail <"$LAB_TMP/xs.out"
fi
OTHER=$(sed -n 's/.*=> *50 *xdp_count *\([0-9]*\).*/\1/p' "$LAB_TMP/xs.out")
MAPID=$(xdp_count_map "${OTHER:-0}" 2>/dev/null)
count() { xdp_count "$MAPID"; }

before=$(count)
scenario_client_close "dispatcher" "$C4" 40100 "$S4" 8080
after=$(count)
[ "${after:-0}" -gt "${before:-0}" ] &&
	pass "the other program counted frames while tcpsentry tracked ($before -> $after)" ||
	fail "the other program saw nothing ($before -> $after)"

ts_run -n "$SNS" detach "$SIF" || fail "detach: $TS_ERR"
in_ns "$SNS" xdp-loader status "$SIF" >"$LAB_TMP/xs.out" 2>&1
if ! grep -q tcpsentry_xdp "$LAB_TMP/xs.out" && grep -Eq '=> +50 +xdp_count' "$LAB_TMP/xs.out"; then
	pass "detach took tcpsentry out of the dispatcher, xdp_count stays"
else
	fail "after detach"; detail <"$LAB_TMP/xs.out"
fi
after_detach_other_counts
finish
