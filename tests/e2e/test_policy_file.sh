#!/usr/bin/env bash
# Policy files through real kernels:
# - attach --policy FILE puts a whole policy in force (settings and lists);
# - a bad file (policy load, attach --policy) is rejected whole: exit 2,
#   FILE:LINE: problem, and the policy in force is unchanged (policy show -j
#   before and after, and the denied client still cannot connect);
# - a good file replaces settings and lists at once.
. "$(dirname "$0")/lib.sh"
C4B=198.18.0.3

lab_setup
ip -n "$CNS" addr add "$C4B/24" dev "$CIF"
listen_bg "$SNS" "$S4" 80 60 || finish

cat >"$LAB_TMP/bad-attach.ini" <<EOF2
mode = enforce
[deny]
cidr = $C4/24
EOF2
expect_rc "attach --policy with host bits in a CIDR" 2 -n "$SNS" attach "$SIF" --policy "$LAB_TMP/bad-attach.ini"
grep -q "bad-attach.ini:3: bad CIDR" <<<"$TS_ERR" && pass "the message names file and line: $TS_ERR" ||
	fail "attach --policy message: $TS_ERR"
[ ! -d "$(pin_dir "$SNS" "$SIF")" ] && pass "nothing attached after the rejected file" ||
	fail "pins exist after a rejected attach --policy"

cat >"$LAB_TMP/p1.ini" <<EOF2
# enforce, deny one client, allow the other
mode = enforce
ban_seconds = 60
[policy]
syn.rate_per_port = 1000
[allow]
cidr = $C4B
[deny]
cidr = $C4/32
cidr = 2001:db8:ffff::/48 ttl=3600
EOF2
ts_attach "$SNS" "$SIF" --policy "$LAB_TMP/p1.ini" || finish
# policy show -j without what time changes (a TTL's seconds_left)
show_stable() {
	ts_run -n "$SNS" policy show -j
	"$PY" -c 'import json, sys
p = json.loads(sys.stdin.readline())
for d in p["deny"]:
    d.pop("seconds_left", None)
print(json.dumps(p, sort_keys=True))' <<<"$TS_OUT"
}
show_stable >"$LAB_TMP/before.json"
"$PY" - "$C4" "$C4B" "$LAB_TMP/before.json" >"$LAB_TMP/chk" 2>&1 <<'PY'
import json, sys
p = json.load(open(sys.argv[3]))
want = {"mode": "enforce", "ban_seconds": 60, "syn.rate_per_port": 1000,
        "allow": [{"cidr": sys.argv[2] + "/32"}]}
bad = {k: p.get(k) for k in want if p.get(k) != want[k]}
deny = sorted(d["cidr"] for d in p["deny"])
if deny != sorted([sys.argv[1] + "/32", "2001:db8:ffff::/48"]):
    bad["deny"] = p["deny"]
print(bad or "mode enforce, ban_seconds 60, syn.rate_per_port 1000, allow %s, deny %s" % (
    sys.argv[2], deny))
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && pass "attach --policy: $(cat "$LAB_TMP/chk")" || fail "attach --policy: $(cat "$LAB_TMP/chk")"
connect_n "$CNS" "$C4" "$S4" 80 2 1
[ "$CONN_OK" = 0 ] && pass "the file's deny entry holds: $C4 cannot connect" || fail "$C4 connected $CONN_OK/2"

# every kind of bad file: rejected whole, nothing changes
n=0
bad_file() { # LABEL EXPECTED_MESSAGE_PART CONTENT (printf format)
	n=$((n + 1))
	printf "$3" >"$LAB_TMP/bad$n.ini"
	expect_rc "policy load, $1" 2 -n "$SNS" policy load "$LAB_TMP/bad$n.ini" || return
	grep -qF -- "bad$n.ini$2" <<<"$TS_ERR" && pass "$1: message '$(head -n1 <<<"$TS_ERR")'" ||
		fail "$1: message '$TS_ERR', expected it to contain 'bad$n.ini$2'"
}
bad_file "unknown key after a good change" ":4: unknown key" 'mode = observe\n[deny]\ncidr = 198.18.0.9\nnosuch.key = 1\n'
bad_file "out-of-range number" ":2: bad value" 'mode = observe\nsyn.rate_per_source = 4294967296\n'
bad_file "duplicate key" ":2: duplicate key" 'mode = observe\nmode = enforce\n'
bad_file "bad CIDR" ":2: bad CIDR" '[deny]\ncidr = 198.18.0.0/33\n'
bad_file "empty file" ": empty policy file" ''
bad_file "binary junk" ":2: binary content" 'mode = observe\n\000\001\002junk\n'
show_stable >"$LAB_TMP/after.json"
cmp -s "$LAB_TMP/before.json" "$LAB_TMP/after.json" &&
	pass "policy show -j identical before and after $n rejected files" ||
	{ fail "policy changed by a rejected file"; cat "$LAB_TMP/before.json" "$LAB_TMP/after.json" | detail; }
connect_n "$CNS" "$C4" "$S4" 80 2 1
[ "$CONN_OK" = 0 ] && pass "the old policy is still enforced: $C4 still cannot connect" ||
	fail "$C4 connected $CONN_OK/2 after a rejected file"

# a good file replaces settings and lists at once
cat >"$LAB_TMP/p2.ini" <<EOF2
mode = enforce
[deny]
cidr = $C4B
EOF2
ts_run -n "$SNS" policy load "$LAB_TMP/p2.ini" || fail "policy load p2: exit $TS_RC: $TS_ERR"
show_stable >"$LAB_TMP/p2.json"
"$PY" - "$C4B" "$LAB_TMP/p2.json" >"$LAB_TMP/chk" 2>&1 <<'PY'
import json, sys
p = json.load(open(sys.argv[2]))
ok = p["allow"] == [] and p["deny"] == [{"cidr": sys.argv[1] + "/32"}] and \
    p["ban_seconds"] == 300 and p["syn.rate_per_port"] == 0
print("allow %s, deny %s, ban_seconds %s, syn.rate_per_port %s" % (
    p["allow"], p["deny"], p["ban_seconds"], p["syn.rate_per_port"]))
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] && pass "policy load replaced the whole policy: $(cat "$LAB_TMP/chk")" ||
	fail "after policy load: $(cat "$LAB_TMP/chk")"
connect_n "$CNS" "$C4" "$S4" 80 3 "$(Sf 0.9)"
c1=$CONN_OK
connect_n "$CNS" "$C4B" "$S4" 80 2 1
[ "$c1" = 3 ] && [ "$CONN_OK" = 0 ] && pass "new lists in force: $C4 connects (3/3), $C4B cannot (0/2)" ||
	fail "after policy load: $C4 $c1/3, $C4B $CONN_OK/2"
finish
