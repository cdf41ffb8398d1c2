#!/usr/bin/env bash
# Server closes first: the server ends in TIME_WAIT, the client CLOSED.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
tag="ipv4 server-first"
if open_conn "$tag" "$C4" 40000 "$S4" 80; then
	step srv close &&
		expect_states "$tag: server close" "$CEP" "$SEP" CLOSE_WAIT FIN_WAIT_2 &&
		step cli close &&
		expect_states "$tag: client close" "$CEP" "$SEP" CLOSED TIME_WAIT &&
		expect_field "$tag: end" "$CEP" "$SEP" conn_state SF
fi
finish
