#!/usr/bin/env bash
# Client closes first: ESTABLISHED -> FIN_WAIT_2/CLOSE_WAIT -> TIME_WAIT/CLOSED,
# tcpsentry on the server's veth agreeing with ss on both sides at every step.
. "$(dirname "$0")/lib.sh"
lab_setup
ts_attach "$SNS" "$SIF" || finish
scenario_client_close "ipv4 client-first" "$C4" 40000 "$S4" 80
finish
