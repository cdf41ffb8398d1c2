#!/usr/bin/env bash
# The handshake, data and both closes over IPv6.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
scenario_client_close "ipv6 client-first" "$C6" 40000 "$S6" 80
expect_field "ipv6" "$(ep "$C6" 40000)" "$(ep "$S6" 80)" family ipv6
tag="ipv6 server-first"
if open_conn "$tag" "$C6" 40001 "$S6" 80; then
	step srv close &&
		expect_states "$tag: server close" "$CEP" "$SEP" CLOSE_WAIT FIN_WAIT_2 &&
		step cli close &&
		expect_states "$tag: client close" "$CEP" "$SEP" CLOSED TIME_WAIT
fi
finish
