/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The VLAN IDs an attached interface takes (the datapath's `vlans` map,
 * struct ts_vlans): the kernel drops an ingress frame tagged with a VID the
 * interface has no VLAN device for, so the datapath must not track it.
 * attach --vlans says where they come from: auto (the interface's VLAN
 * devices, by an RTM_GETLINK dump; `run` keeps the map so), any (a
 * program takes the tag off before the stack), or a list of VIDs.
 */
#ifndef TCPSENTRY_VLANS_H
#define TCPSENTRY_VLANS_H

#include <stddef.h>
#include <tcpsentry/abi.h>

/* attach --vlans */
enum ts_vlans_mode { TS_VLANS_AUTO = 0, TS_VLANS_ANY, TS_VLANS_LIST };
struct ts_vlans_sel {
	int mode;               /* enum ts_vlans_mode */
	struct ts_vlans list;   /* TS_VLANS_LIST: the VIDs given, in both sets */
};
#define TS_VLANS_HINT "auto, any, or VLAN IDs 1-4094 separated by commas"

/* TS_OPT_PARSE: "auto", "any" or "ID[,ID...]" into a struct ts_vlans_sel;
 * 0, or -1 (a word, an ID out of 1-4094, a sign, an empty item) */
int ts_vlans_parse(const char *arg, void *field);

/* set / test one VID's bit in set (enum ts_vlan_set) */
void ts_vlans_set(struct ts_vlans *v, int set, unsigned int vid);
int ts_vlans_has(const struct ts_vlans *v, int set, unsigned int vid);
/* every bit: nothing is judged by its tag */
void ts_vlans_all(struct ts_vlans *v);

/*
 * What auto finds on ifindex (in this namespace), into out: the VIDs of the
 * VLAN devices whose lower device it is (the outer sets), and of those
 * whose lower device is one of them (the inner sets), per tag protocol.
 * Every bit of a depth when something else takes the frames there before
 * the kernel's VLAN check would drop them (a master: bridge, bond; a
 * macvlan or ipvlan on the device), with the reason in why (else why is
 * ""). 0 or -errno.
 */
int ts_vlans_probe(int ifindex, struct ts_vlans *out, char *why, size_t n);

/* The map's contents for sel on ifindex (auto: ts_vlans_probe); 0 or -errno */
int ts_vlans_for(const struct ts_vlans_sel *sel, int ifindex, struct ts_vlans *out, char *why,
		 size_t n);

/* auto's map (map_fd, the `vlans` pin) made to match ifindex's VLAN
 * devices now: 1 if it changed (what it holds now in buf, as
 * ts_vlans_str), 0 if not, -errno */
int ts_vlans_refresh(int map_fd, int ifindex, char *buf, size_t n);

/* "any", or the VIDs of the outer sets as "100,200,ad:300" (a VID of the
 * 802.1ad set only with "ad:"), then the inner ones as "inner:10" (or
 * "inner:any"); "none" when empty; cut to n with "..." */
void ts_vlans_str(const struct ts_vlans *v, char *buf, size_t n);

#endif /* TCPSENTRY_VLANS_H */
