#!/usr/bin/env bash
# attach twice, attach to a missing interface, attach without privileges:
# each exits 1 and says why; none disturbs the attachment already there.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish

if expect_rc "attach twice" 1 -n "$SNS" attach "$SIF"; then
	if grep -qiE 'already|attached|exist|busy' <<<"$TS_ERR"; then
		pass "attach twice: the message says why ($(head -n 1 <<<"$TS_ERR"))"
	else
		fail "attach twice: message does not say it is already attached: $TS_ERR"
	fi
fi
[ -d "$(pin_dir "$SNS" "$SIF")" ] && pass "attach twice: the first attachment's pins are still there" ||
	fail "attach twice: $(pin_dir "$SNS" "$SIF") is gone"
# the first attachment still tracks
scenario_client_close "after failed second attach" "$C4" 40000 "$S4" 80

missing=nx$ID
if expect_rc "attach to a missing interface" 1 -n "$SNS" attach "$missing"; then
	grep -qF "$missing" <<<"$TS_ERR" &&
		pass "missing interface: the message names it" ||
		fail "missing interface: the message does not name $missing: $TS_ERR"
fi
[ -e "$(pin_dir "$SNS" "$missing")" ] &&
	fail "missing interface: left $(pin_dir "$SNS" "$missing") behind" ||
	pass "missing interface: no pin directory left behind"

# --checksum: auto takes a veth for the virtual device it is (a checksum
# left for the hardware is taken); full is the wire device's; a bad word
# is refused and changes nothing
csum_of() { ts_run -n "$SNS" status -j && sed -n 's/.*"checksum":"\([a-z]*\)".*/\1/p' <<<"$TS_OUT"; }
c=$(csum_of)
[ "$c" = partial ] && pass "--checksum auto on a veth: status says checksum partial" ||
	fail "--checksum auto on a veth: status says checksum '$c', want partial"
expect_rc "attach --checksum bogus" 2 -n "$SNS" attach "$SIF" --checksum bogus
ts_run -n "$SNS" detach "$SIF" || fail "detach: $TS_ERR"
ts_attach "$SNS" "$SIF" --checksum full || finish
c=$(csum_of)
[ "$c" = full ] && pass "--checksum full: status says checksum full" ||
	fail "--checksum full: status says checksum '$c'"
# a wire device's rule on a veth: the client's SYN with its checksum left
# to the "hardware" (tx offload on) is a crafted frame's (counted, moves
# nothing); with full checksums (tx offload off) it is tracked as ever
csum_errs() { stats_field "$SNS" 's["counters"]["parse_error_checksum"]'; }
in_ns "$CNS" ethtool -K "$CIF" tx on >/dev/null 2>&1
e0=$(csum_errs)
in_ns "$CNS" timeout 5 "$PY" -c 'import socket, sys
s = socket.socket(); s.settimeout(2)
try: s.connect((sys.argv[1], 9))
except OSError: pass' "$S4"
e1=$(csum_errs)
[ "$e1" -gt "$e0" ] && pass "--checksum full: a veth peer's SYN with a partial checksum is parse_error_checksum ($e0 -> $e1)" ||
	fail "--checksum full: a partial-checksum SYN was taken ($e0 -> $e1 parse_error_checksum)"
in_ns "$CNS" ethtool -K "$CIF" tx off >/dev/null 2>&1 || fail "ethtool -K $CIF tx off"
scenario_client_close "--checksum full, full checksums (tx offload off)" "$C4" 40001 "$S4" 80

# not root: no capabilities at all
if command -v setpriv >/dev/null; then
	ts_run_unpriv() {
		timeout "$TS_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all --bounding-set=-all "$TCPSENTRY" "$@" \
			>"$LAB_TMP/ts.out" 2>"$LAB_TMP/ts.err"
		TS_RC=$?
		TS_ERR=$(cat "$LAB_TMP/ts.err")
	}
	# the binary may live under a directory nobody cannot enter
	if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TCPSENTRY"; then
		ts_run_unpriv -n "$SNS" attach "$SIF"
		if [ "$TS_RC" -eq 1 ] && [ -n "$TS_ERR" ]; then
			pass "attach without privileges: exit 1 ($(head -n 1 <<<"$TS_ERR"))"
		else
			fail "attach without privileges: exit $TS_RC, expected 1 with a message: $TS_ERR"
		fi
	else
		info "SKIP attach without privileges: uid 65534 cannot execute $TCPSENTRY"
	fi
fi
finish
