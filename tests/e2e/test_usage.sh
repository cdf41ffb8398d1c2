#!/usr/bin/env bash
# Usage errors exit 2 with a message, and attach nothing; runtime failures exit 1.
. "$(dirname "$0")/lib.sh"
lab_setup
N=(-n "$SNS")
expect_rc "no arguments"                2
expect_rc "unknown command"             2 "${N[@]}" frobnicate
expect_rc "unknown global option"       2 --no-such-option status
expect_rc "-n without a namespace"      2 -n
expect_rc "attach without interface"    2 "${N[@]}" attach
expect_rc "detach without interface"    2 "${N[@]}" detach
expect_rc "attach unknown option"       2 "${N[@]}" attach "$SIF" --no-such-option
expect_rc "attach bad --xdp-mode"       2 "${N[@]}" attach "$SIF" --xdp-mode turbo
expect_rc "attach --xdp-mode no value"  2 "${N[@]}" attach "$SIF" --xdp-mode
expect_rc "attach --max-flows abc"      2 "${N[@]}" attach "$SIF" --max-flows abc
expect_rc "attach --max-flows -1"       2 "${N[@]}" attach "$SIF" --max-flows -1
expect_rc "attach --max-flows 0"        2 "${N[@]}" attach "$SIF" --max-flows 0
expect_rc "attach --max-embryonic 1x"   2 "${N[@]}" attach "$SIF" --max-embryonic 1x
expect_rc "attach --vlans 0"            2 "${N[@]}" attach "$SIF" --vlans 0
expect_rc "attach --vlans 4095"         2 "${N[@]}" attach "$SIF" --vlans 4095
expect_rc "attach --vlans 100,,200"     2 "${N[@]}" attach "$SIF" --vlans 100,,200
expect_rc "attach --vlans 100,"         2 "${N[@]}" attach "$SIF" --vlans 100,
expect_rc "attach --vlans +100"         2 "${N[@]}" attach "$SIF" --vlans +100
expect_rc "attach --vlans some"         2 "${N[@]}" attach "$SIF" --vlans some
expect_rc "attach over-long ifname"     2 "${N[@]}" attach abcdefghijklmnopqrstuvwxyz
expect_rc "conns --port 0"              2 "${N[@]}" conns --port 0
expect_rc "conns --port 65536"          2 "${N[@]}" conns --port 65536
expect_rc "conns --port http"           2 "${N[@]}" conns --port http
expect_rc "conns --state BOGUS"         2 "${N[@]}" conns --state BOGUS
expect_rc "events --count abc"          2 "${N[@]}" events --count abc
expect_rc "events --timeout -1"         2 "${N[@]}" events --timeout -1
[ -e "$(pin_dir "$SNS" "$SIF")" ] &&
	fail "a rejected command attached something: $(pin_dir "$SNS" "$SIF") exists" ||
	pass "no rejected command attached anything"
ip -n "$SNS" link show "$SIF" | grep -q xdp &&
	fail "a rejected command left XDP on $SIF" || pass "no XDP on $SIF after the usage errors"

# runtime failures
expect_rc "-n missing namespace"        1 -n "nx$ID" status
# valid commands with nothing attached
expect_rc "status, nothing attached"    0 "${N[@]}" status
if expect_rc "status -j, nothing attached" 0 "${N[@]}" status -j; then
	"$PY" -c 'import json,sys
for l in sys.stdin:
    l = l.strip()
    if l: json.loads(l)' <<<"$TS_OUT" 2>/dev/null &&
		pass "status -j prints JSON" || fail "status -j output is not JSON: $TS_OUT"
fi
finish
