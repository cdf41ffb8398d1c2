#!/usr/bin/env bash
# 200 concurrent connections, all ESTABLISHED on both sides, then all closed.
. "$(dirname "$0")/lib.sh"
N=${E2E_CONCURRENT:-200}
lab_setup
ts_attach "$SNS" "$SIF" || finish
drv_start srv "$SNS" -4 -n "$N" server "$S4" 80 || finish
drv_start cli "$CNS" -4 -n "$N" -l "$C4" -p 41000 client "$S4" 80 || finish
for ((i = 0; i < N; i++)); do
	echo "$(ep "$C4" $((41000 + i))) $(ep "$S4" 80)"
done >"$LAB_TMP/tuples"
step cli connect && step srv accept || finish
expect_bulk "$N connections: handshake" "$LAB_TMP/tuples" ESTABLISHED ESTABLISHED 5
step cli "send 100" && step srv "recv 100" && step srv "send 1000" && step cli "recv 1000" || finish
expect_bulk "$N connections: data" "$LAB_TMP/tuples" ESTABLISHED ESTABLISHED 5
step cli close || finish
expect_bulk "$N connections: client close" "$LAB_TMP/tuples" FIN_WAIT_2 CLOSE_WAIT 5
step srv close || finish
expect_bulk "$N connections: server close" "$LAB_TMP/tuples" TIME_WAIT CLOSED 5
finish
