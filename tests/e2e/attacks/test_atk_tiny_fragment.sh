#!/usr/bin/env bash
# Issue 11, parsing parity: RFC 1858's tiny fragment. An RST with the
# client's exact sequence number, spoofed, split into two IPv4 fragments
# whose first holds only 8 bytes of TCP (ports and sequence: no flags, no
# data offset). The server's kernel reassembles it and acts on it; XDP
# sees a first fragment it cannot parse and a later one with no TCP header.
# - default policy (action.tiny_fragment=drop): the first fragment is
#   dropped and counted (dropped.tiny_fragment, parse_error_tiny_fragment);
#   the connection lives on in both kernels and in tcpsentry, and carries
#   data;
# - control, action.tiny_fragment=pass: the same pair closes the
#   connection in the server's kernel (what tcpsentry cannot see: the
#   reason for the default), so the frames are what the test means.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce

# tiny_rst TAG CPORT: a connection, then the exact RST (sniffed from the
# server's next segment) as a tiny first fragment and the rest
tiny_rst() {
	local tag=$1 cp=$2
	open_conn "$tag" "$C4" "$cp" "$S4" 80 || return 1
	: >"$LAB_TMP/spray.out"
	spray_bg --src "$C4" --sport "$cp" --dst "$S4" --dport 80 --flags RA --sniff 5000 --frag 8
	for _ in $(seq 50); do grep -q sniffing "$LAB_TMP/spray.out" && break; sleep 0.1; done
	step srv "send 10" && step cli "recv 10"
	wait "$SPRAY_PID"
	info "$tag: $(grep sniffed "$LAB_TMP/spray.out" | tail -n 1)"
	sleep 0.3
}

d0=$(stats_field "$SNS" 's["dropped"].get("tiny_fragment", 0)')
e0=$(counter parse_error_tiny_fragment)
tiny_rst "tiny fragment, default policy" 40010
d1=$(stats_field "$SNS" 's["dropped"].get("tiny_fragment", 0)')
e1=$(counter parse_error_tiny_fragment)
[ $((d1 - d0)) -eq 1 ] && [ $((e1 - e0)) -eq 1 ] &&
	pass "tiny fragment, default policy: the first fragment dropped and counted (dropped.tiny_fragment +1)" ||
	fail "tiny fragment, default policy: dropped.tiny_fragment +$((d1 - d0)), parse_error_tiny_fragment +$((e1 - e0)), want +1, +1"
expect_states "tiny fragment, default policy: after it" "$CEP" "$SEP" ESTABLISHED ESTABLISHED
if step cli "send 1000" && step srv "recv 1000" && step srv "send 1000" && step cli "recv 1000"; then
	pass "tiny fragment, default policy: the connection still carries 1000 bytes each way"
fi
drv_stop cli
drv_stop srv

enforce action.tiny_fragment=pass
tiny_rst "control: tiny fragment, action.tiny_fragment=pass" 40011
ks=$(ss_state "$SNS" "$SEP" "$CEP")
[ "$ks" = CLOSED ] &&
	pass "control: action.tiny_fragment=pass: the server's kernel reassembled the RST and closed the connection" ||
	fail "control: action.tiny_fragment=pass: server kernel $ks, want CLOSED (the frames are not the attack the test means)"
drv_stop cli
drv_stop srv
finish
