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
