#!/usr/bin/env bash
# tcpsentry on the veth itself, traffic on its 802.1Q sub-interface (VLAN 100):
# the frames tcpsentry sees carry a VLAN tag in both directions.
. "$(dirname "$0")/lib.sh"
lab_setup vlan
ts_attach "$SNS" "$SIF" "${VLAN_ATTACH[@]}" || finish
scenario_client_close "vlan ipv4" "$CV4" 40000 "$SV4" 80
scenario_client_close "vlan ipv6" "$CV6" 40001 "$SV6" 80
finish
