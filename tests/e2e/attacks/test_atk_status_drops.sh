#!/usr/bin/env bash
# Issue 11, smaller defect: `status` printed a drops struct it never read
# (uninitialised stack). After 5 denied SYNs, every drop figure `status -j`
# shows must equal the one `stats -j` shows (a status without drop figures
# is fine too).
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
ts_run -n "$SNS" policy deny add "$C4" || { fail "policy deny add: $TS_ERR"; finish; }
spray --src "$C4" --dst "$S4" --dport 80 --flags S --count 5
sleep 0.3
ts_run -n "$SNS" stats -j; echo "$TS_OUT" >"$LAB_TMP/stats.json"
ts_run -n "$SNS" status -j; echo "$TS_OUT" >"$LAB_TMP/status.json"
if out=$("$PY" - "$LAB_TMP/stats.json" "$LAB_TMP/status.json" <<'PY'
import json, sys
st, su = (json.loads(open(p).readline()) for p in sys.argv[1:3])
bad = []
for k in ("dropped", "would_drop"):
    for r, v in su.get(k, {}).items():
        if st[k].get(r) != v:
            bad.append("%s.%s: status %s, stats %s" % (k, r, v, st[k].get(r)))
for k in ("bans_written", "ban_failed", "allowlisted"):
    if k in su and su[k] != st[k]:
        bad.append("%s: status %s, stats %s" % (k, su[k], st[k]))
print("stats dropped.deny %s; status shows %d drop figures%s" % (
    st["dropped"].get("deny"), len(su.get("dropped", {})) + len(su.get("would_drop", {})),
    ", %d differ" % len(bad) if bad else ", all equal"))
print("\n".join(bad[:8]))
sys.exit(1 if bad or st["dropped"].get("deny") != 5 else 0)
PY
); then
	pass "status -j drop figures: ${out%%$'\n'*}"
else
	fail "status -j drop figures: ${out%%$'\n'*}"
	detail <<<"$(tail -n +2 <<<"$out")"
fi
finish
