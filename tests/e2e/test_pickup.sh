#!/usr/bin/env bash
# A connection opened before `attach` is picked up mid-stream (picked_up
# true, both ESTABLISHED) and tracked through its close.
. "$(dirname "$0")/lib.sh"
lab_setup
tag="pickup"
CEP=$(ep "$C4" 40000) SEP=$(ep "$S4" 80)
drv_start srv "$SNS" -4 server "$S4" 80 || finish
drv_start cli "$CNS" -4 -l "$C4" -p 40000 client "$S4" 80 || finish
step cli connect && step srv accept && step cli "send 100" && step srv "recv 100" || finish
ts_attach "$SNS" "$SIF" || finish
st=$(ts_state "$SNS" "$CEP" "$SEP")
info "before any packet after attach, tcpsentry has: $st"
step cli "send 100" && step srv "recv 100" && step srv "send 100" && step cli "recv 100" || finish
expect_states "$tag: traffic after attach" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
expect_field "$tag" "$CEP" "$SEP" picked_up true
step cli close || finish
expect_states "$tag: client close" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
step srv close || finish
expect_states "$tag: server close" "$CEP" "$SEP" TIME_WAIT CLOSED
expect_field "$tag: end" "$CEP" "$SEP" picked_up true
finish
