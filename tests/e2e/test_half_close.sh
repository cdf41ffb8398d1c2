#!/usr/bin/env bash
# Half-close: the client shuts down its sending side, the server keeps
# sending into the half-open connection, then closes.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
tag="ipv4 half-close"
if open_conn "$tag" "$C4" 40000 "$S4" 80; then
	step cli shutdown &&
		expect_states "$tag: client shutdown(SHUT_WR)" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT &&
		step srv wait-eof &&
		step srv "send 5000" && step cli "recv 5000" &&
		expect_states "$tag: server sends after client FIN" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT &&
		step srv "send 100" && step cli "recv 100" &&
		step srv close &&
		expect_states "$tag: server close" "$CEP" "$SEP" TIME_WAIT CLOSED &&
		step cli close &&
		expect_states "$tag: client close() after TIME_WAIT" "$CEP" "$SEP" TIME_WAIT CLOSED &&
		expect_field "$tag: end" "$CEP" "$SEP" conn_state SF
fi
finish
