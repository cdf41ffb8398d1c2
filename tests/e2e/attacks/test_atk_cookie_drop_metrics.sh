#!/usr/bin/env bash
# Issue 11, smaller defect: ACKs dropped for a bad SYN cookie were counted
# as passed in tcpsentry_packets_total. syn.cookies=on for port 80, nothing
# listening there: 10 ACKs with wrong cookies from a spoofed source are
# dropped (syncookies_failed +10) and /metrics must count them under
# verdict="drop" (+10), not "pass".
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/daemon_lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
run_start --sweep-interval 1 || finish
need_feature "$SNS" syn_cookie_handover "the bpf_sk_assign_tcp_reqsk kfunc (Linux 6.9+): SYN cookies are off"
enforce syn.cookies=on syn.cookie_ports=80
P="tcpsentry_packets_total{iface=\"$SIF\",direction=\"ingress\",verdict="
metrics_get >"$LAB_TMP/m0"
f0=$(counter syncookies_failed)
spray --src 198.18.0.77 --dst "$S4" --dport 80 --flags A --ack rand --count 10
sleep 0.5
metrics_get >"$LAB_TMP/m1"
f1=$(counter syncookies_failed)
d0=$(sample "$LAB_TMP/m0" "${P}\"drop\"}") d1=$(sample "$LAB_TMP/m1" "${P}\"drop\"}")
p0=$(sample "$LAB_TMP/m0" "${P}\"pass\"}") p1=$(sample "$LAB_TMP/m1" "${P}\"pass\"}")
info "syncookies_failed +$((f1 - f0)); verdict=drop ${d0:-absent} -> ${d1:-absent}; verdict=pass ${p0:-absent} -> ${p1:-absent}"
[ $((f1 - f0)) -eq 10 ] || fail "the 10 forged ACKs were not all dropped as bad cookies (syncookies_failed +$((f1 - f0)))"
[ $(( ${d1:-0} - ${d0:-0} )) -eq 10 ] &&
	pass "10 bad-cookie drops counted in tcpsentry_packets_total{verdict=\"drop\"}" ||
	fail "10 bad-cookie drops: tcpsentry_packets_total{verdict=\"drop\"} +$(( ${d1:-0} - ${d0:-0} )), want +10 (pass +$(( ${p1:-0} - ${p0:-0} )))"
run_stop INT
finish
