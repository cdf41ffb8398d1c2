#!/usr/bin/env bash
# The differential fuzzer of issue 11 (tools/fuzz_datapath.c): random and
# mutated segments injected into live connections between the client and
# the server namespace, tcpsentry attached to the server veth in enforce
# mode with the default policy; after every batch tcpsentry's two states
# of each connection must equal the two kernels', and no connection may
# stall. Budget: FUZZ_DATAPATH_SEGMENTS (default 50,000 and 200 s here; `make
# fuzz-datapath` runs 1,000,000), FUZZ_DATAPATH_SEED (default: the time),
# FUZZ_DATAPATH_CONNS (32), FUZZ_DATAPATH_BATCH (2000). Reproducers go to
# FUZZ_DATAPATH_REPRO (default build/fuzz-datapath/), with the fuzzer's
# whole output (fuzz.log: every disagreement, the count per symptom).
# FUZZ_DATAPATH_ARGS: more arguments (--exclude-flags F, --no-fragments).
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
FUZZ=${FUZZ_DATAPATH:-$REPO/build/fuzz_datapath}
SEGS=${FUZZ_DATAPATH_SEGMENTS:-50000}
REPRO=${FUZZ_DATAPATH_REPRO:-$REPO/build/fuzz-datapath}
[ -x "$FUZZ" ] || { fail "no $FUZZ (make build/fuzz_datapath)"; finish; }

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
mkdir -p "$REPRO"
rm -f "$REPRO"/repro-*.txt "$REPRO/fuzz.log"
seed=()
[ -n "${FUZZ_DATAPATH_SEED:-}" ] && seed=(--seed "$FUZZ_DATAPATH_SEED")
"$FUZZ" --client-ns "$CNS" --server-ns "$SNS" --client-if "$CIF" \
	--server-mac "$(mac_of "$SNS" "$SIF")" --c4 "$C4" --s4 "$S4" --c6 "$C6" --s6 "$S6" \
	--oracle "timeout $TS_TIMEOUT $TCPSENTRY -n $SNS conns -j --port 80" --port 80 \
	--conns "${FUZZ_DATAPATH_CONNS:-32}" --batch "${FUZZ_DATAPATH_BATCH:-2000}" \
	--segments "$SEGS" --seconds "${FUZZ_DATAPATH_SECONDS:-200}" --repro "$REPRO" --max-repro "${FUZZ_DATAPATH_MAX_REPRO:-4}" \
	"${seed[@]}" ${FUZZ_DATAPATH_ARGS:-} 2>&1 | tee "$REPRO/fuzz.log" | grep --line-buffered -vE '^(disagreement|stall) after' | sed -u 's/^/     /'
summary=$(grep '^segments ' "$REPRO/fuzz.log" | tail -n 1)
if [ -z "$summary" ]; then
	fail "the fuzzer did not finish"
	tail -n 5 "$REPRO/fuzz.log" | detail
elif grep -q 'disagreements 0, stalls 0,' <<<"$summary"; then
	pass "fuzz_datapath: $summary"
else
	fail "fuzz_datapath: $summary"
	grep -m 10 -E "^(disagreement|stall) after" "$REPRO/fuzz.log" | detail
	grep '^symptom ' "$REPRO/fuzz.log" | detail
	ls "$REPRO"/repro-*.txt 2>/dev/null | detail
fi
finish
