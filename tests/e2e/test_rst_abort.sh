#!/usr/bin/env bash
# Abortive close (SO_LINGER {1,0} -> RST), by the client and by the server:
# both endpoints CLOSED.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
tag="ipv4 client abort"
if open_conn "$tag" "$C4" 40000 "$S4" 80; then
	step cli abort &&
		expect_states "$tag: client RST" "$CEP" "$SEP" CLOSED CLOSED
	# the server's socket saw the RST: close() sends nothing
	step srv close &&
		expect_states "$tag: server close() after RST" "$CEP" "$SEP" CLOSED CLOSED
	drv_stop cli
	drv_stop srv
fi
tag="ipv4 server abort"
if open_conn "$tag" "$C4" 40001 "$S4" 81; then
	step srv abort &&
		expect_states "$tag: server RST" "$CEP" "$SEP" CLOSED CLOSED
	step cli close &&
		expect_states "$tag: client close() after RST" "$CEP" "$SEP" CLOSED CLOSED
	drv_stop cli
	drv_stop srv
fi
finish
