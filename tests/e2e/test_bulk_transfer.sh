#!/usr/bin/env bash
# Megabytes each way (window scaling, GSO/GRO-sized segments, sequence
# numbers far from the ISN) must not knock the tracker out of step: both
# endpoints still ESTABLISHED, then a clean close, and the payload bytes
# tcpsentry counts are the bytes the applications moved.
. "$(dirname "$0")/lib.sh"
MB=${E2E_BULK_MB:-16}
lab_setup
ts_attach "$SNS" "$SIF" || finish
tag="bulk ${MB} MB"
CEP=$(ep "$C4" 40000) SEP=$(ep "$S4" 80)
drv_start srv "$SNS" -4 -t 20000 server "$S4" 80 || finish
drv_start cli "$CNS" -4 -t 20000 -l "$C4" -p 40000 client "$S4" 80 || finish
step cli connect && step srv accept || finish
bytes=$((MB * 1048576))
# one side sends while the other receives: both commands in flight at once
bulk() {    # FROM TO
	drv_post "$1" "send $bytes" && drv_post "$2" "recv $bytes" || return 1
	drv_wait "$1" || { fail "$tag: send on $1: $DRV_REPLY"; return 1; }
	drv_wait "$2" || { fail "$tag: recv on $2: $DRV_REPLY"; return 1; }
	pass "$tag: $1 -> $2 moved $bytes bytes"
}
bulk cli srv || finish
expect_states "$tag: after client -> server" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
bulk srv cli || finish
expect_states "$tag: after server -> client" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
# payload bytes: at least what the application moved, at most what the
# sender's kernel put on the wire (retransmissions included: ss bytes_sent)
ss_bytes_sent() {   # NS LOCAL REMOTE
	in_ns "$1" ss -Htin | awk -v l="$2" -v r="$3" '
		f { for (i = 1; i <= NF; i++) if ($i ~ /^bytes_sent:/) { sub(/^bytes_sent:/, "", $i); print $i }; exit }
		$4 == l && $5 == r { f = 1 }'
}
check_bytes() {     # FIELD SENDER_NS LOCAL REMOTE
	local got sent
	got=$(ts_field "$SNS" "$CEP" "$SEP" "$1")
	sent=$(ss_bytes_sent "$2" "$3" "$4")
	if [[ $got =~ ^[0-9]+$ ]] && [[ $sent =~ ^[0-9]+$ ]] && [ "$got" -ge "$bytes" ] && [ "$got" -le "$sent" ]; then
		pass "$tag: $1 $got (moved $bytes, sender's kernel sent $sent)"
	else
		fail "$tag: $1 is '$got', expected $bytes..$sent (moved .. the sender's bytes_sent)"
		grep -F -- "\"client\":\"$CEP\"" "$LAB_TMP/conns.json" | detail
	fi
}
check_bytes bytes_c2s "$CNS" "$CEP" "$SEP"
check_bytes bytes_s2c "$SNS" "$SEP" "$CEP"
step cli close || finish
expect_states "$tag: client close" "$CEP" "$SEP" FIN_WAIT_2 CLOSE_WAIT
step srv close || finish
expect_states "$tag: server close" "$CEP" "$SEP" TIME_WAIT CLOSED
expect_field "$tag: end" "$CEP" "$SEP" conn_state SF
finish
