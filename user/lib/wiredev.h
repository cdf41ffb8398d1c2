/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Whether an interface is a wire device: its frames come from a cable,
 * with complete TCP checksums, never the pseudo header's sum alone that a
 * local peer leaves to the hardware (CHECKSUM_PARTIAL). Decides attach's
 * --checksum auto. */
#ifndef TCPSENTRY_WIREDEV_H
#define TCPSENTRY_WIREDEV_H

/* 1: a wire device (a NIC on a bus, not a paravirtual one); 0: virtual
 * (veth, tun, bridge, a paravirtual NIC) or unknown. In the current
 * network namespace. */
int ts_wire_device(const char *ifname);

#endif /* TCPSENTRY_WIREDEV_H */
