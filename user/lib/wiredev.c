// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Whether an interface is a wire device: see wiredev.h. */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "wiredev.h"

/* NICs on a bus whose frames come from a host's stack, which may leave
 * the TCP checksum to the guest (virtio's VIRTIO_NET_HDR_F_NEEDS_CSUM and
 * its kin): taken as virtual */
static const char *const paravirtual[] = { "virtio_net", "xen_netfront", "vif", "hv_netvsc",
					   NULL };

int ts_wire_device(const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd, r, i;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&di;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	r = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	/* no bus (veth, tun, bridge, dummy, ...) or no answer: virtual */
	if (r < 0 || !di.bus_info[0])
		return 0;
	for (i = 0; paravirtual[i]; i++)
		if (!strcmp(di.driver, paravirtual[i]))
			return 0;
	return 1;
}
