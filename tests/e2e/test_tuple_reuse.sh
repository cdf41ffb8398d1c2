#!/usr/bin/env bash
# The server closes first and holds TIME_WAIT; the client, CLOSED, connects
# again from the same port: the server's kernel takes the SYN on the
# TIME_WAIT tuple (RFC 6191) and tcpsentry must start a new connection.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
tag="tuple reuse"
open_conn "$tag: first" "$C4" 40000 "$S4" 80 || finish
step srv close || finish
expect_states "$tag: first, server close" "$CEP" "$SEP" CLOSE_WAIT FIN_WAIT_2
step cli close || finish
expect_states "$tag: first, client close" "$CEP" "$SEP" CLOSED TIME_WAIT
step cli connect && step srv accept || finish
expect_states "$tag: second handshake on the TIME_WAIT tuple" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
expect_field "$tag: second" "$CEP" "$SEP" picked_up false
step cli "send 500" && step srv "recv 500" && step srv "send 500" && step cli "recv 500" || finish
expect_states "$tag: second, data" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
step cli close || finish
expect_states "$tag: second, client close" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
step srv close || finish
expect_states "$tag: second, server close" "$CEP" "$SEP" TIME_WAIT CLOSED
expect_field "$tag: second, end" "$CEP" "$SEP" conn_state SF
finish
