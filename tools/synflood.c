// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* synflood: a bounded spoofed-source SYN flood generator for the e2e lab.
 *
 *   synflood -i IFACE --dst IP --dport PORT [--count N] [--seconds S]
 *            [--rate FPS] [--dst-mac MAC]
 *
 * Runs tools/synflood.bpf.c with BPF_PROG_TEST_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES): the kernel feeds the template SYN to the
 * program again and again, the program gives each copy a new source inside
 * 198.18.128.0/17 (address and port from a counter, correct IPv4 and TCP
 * checksums) and returns XDP_TX, which live mode turns into a transmission
 * out of IFACE. Out of a veth, the frames arrive at its peer: the peer must
 * have NAPI on (GRO enabled, or an XDP program attached), or the kernel
 * refuses the redirect and nothing is sent (the report then shows the
 * interface's tx counter did not move).
 *
 * Run it in the namespace that holds IFACE (nsenter --net=/run/netns/NS).
 * Bounds: --count (default 100000, at most 50,000,000) frames and --seconds
 * (default 10, at most 30); it stops at whichever comes first, or on
 * SIGINT/SIGTERM. --rate caps frames/s, best effort (0, the default: as fast
 * as the kernel goes). The destination MAC is --dst-mac, or the neighbour
 * entry of --dst (resolved by sending one UDP datagram to its port 9).
 * Lab use only: --dst must be inside 198.18.0.0/15.
 *
 * Prints one line:
 *   sent N frames in S s: R frames/s; IFACE tx_packets +T
 * Exit status: 0 ok, 1 runtime failure, 2 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "synflood.skel.h"

#define MAX_COUNT   50000000ULL
#define MAX_SECONDS 30.0
#define CHUNK_MIN   (1u << 14)      /* frames per syscall at full speed: */
#define CHUNK_MAX   (1u << 23)      /* sized to last about CHUNK_S each */
#define CHUNK_S     0.2
#define PACE_S      0.05            /* --rate: one syscall per 50 ms worth */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: synflood -i IFACE --dst IPV4 --dport PORT [--count N] [--seconds S]\n"
		"                [--rate FPS] [--dst-mac MAC]\n"
		"  --count N    frames to send, at most %llu (default 100000)\n"
		"  --seconds S  time bound, at most %.0f (default 10)\n"
		"  --rate FPS   frames per second, best effort (default 0: as fast as possible)\n",
		MAX_COUNT, MAX_SECONDS);
	exit(2);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (m[i] > 255)
			return -1;
		mac[i] = (uint8_t)m[i];
	}
	return 0;
}

/* the complete ARP entry of dst on ifname in this namespace's /proc/net/arp */
static int arp_lookup(const char *ifname, struct in_addr dst, uint8_t mac[6])
{
	char line[256], ip[64], hw[64], dev[IF_NAMESIZE + 8];
	unsigned type, flags;
	struct in_addr a;
	FILE *f = fopen("/proc/net/arp", "r");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %15s", ip, &type, &flags, hw, dev) != 5)
			continue;
		if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr != dst.s_addr ||
		    strcmp(dev, ifname) || !(flags & 0x2))
			continue;
		if (parse_mac(hw, mac) == 0) {
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

static int resolve_mac(const char *ifname, struct in_addr dst, uint8_t mac[6])
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr = dst };
	int i, fd;

	if (arp_lookup(ifname, dst, mac) == 0)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
	for (i = 0; i < 40; i++) {
		if (i % 10 == 0)
			sendto(fd, "", 0, 0, (struct sockaddr *)&sin, sizeof(sin));
		usleep(50000);
		if (arp_lookup(ifname, dst, mac) == 0) {
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -1;
}

static int if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* the interface's tx_packets, from netlink (getifaddrs), so in this namespace */
static long long if_tx_packets(const char *ifname)
{
	struct ifaddrs *ifa, *p;
	long long n = -1;

	if (getifaddrs(&ifa) < 0)
		return -1;
	for (p = ifa; p; p = p->ifa_next) {
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_PACKET && p->ifa_data &&
		    !strcmp(p->ifa_name, ifname)) {
			n = (long long)((struct rtnl_link_stats *)p->ifa_data)->tx_packets;
			break;
		}
	}
	freeifaddrs(ifa);
	return n;
}

/* one's complement sum of 16-bit words as they lie in memory (the BPF
 * program adds its varying words the same way) */
static uint32_t sum16(const void *p, size_t n, uint32_t s)
{
	const uint16_t *w = p;

	for (; n > 1; n -= 2)
		s += *w++;
	return s;
}

static uint32_t fold32(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno || !*s || *end || *s == '-' || *out > max) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dport", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long count = 100000, rate = 0, dport = 0, v, sent = 0, before;
	unsigned long long full = CHUNK_MIN;
	double seconds = 10, t0, t, elapsed;
	struct timespec first;
	const char *ifname = NULL, *dst_s = NULL, *dmac_s = NULL;
	uint8_t frame[14 + 20 + 20], smac[6], dmac[6];
	struct in_addr dst;
	struct synflood *skel;
	struct xdp_md ctx = { 0 };
	long long tx0, tx1;
	unsigned ifindex;
	uint32_t s;
	char *end;
	int c, err, prog_fd;

	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'd': dst_s = optarg; break;
		case 'm': dmac_s = optarg; break;
		case 'p':
			if (parse_u64(optarg, 65535, &dport) || !dport)
				usage();
			break;
		case 'c':
			if (parse_u64(optarg, MAX_COUNT, &count) || !count)
				usage();
			break;
		case 'r':
			if (parse_u64(optarg, 100000000ULL, &rate))
				usage();
			break;
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || !(seconds > 0 && seconds <= MAX_SECONDS))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !ifname || !dst_s || !dport)
		usage();
	if (inet_pton(AF_INET, dst_s, &dst) != 1) {
		fprintf(stderr, "synflood: --dst %s is not an IPv4 address\n", dst_s);
		return 2;
	}
	if ((ntohl(dst.s_addr) & 0xfffe0000u) != 0xc6120000u) {
		fprintf(stderr, "synflood: --dst %s is outside the lab range 198.18.0.0/15\n", dst_s);
		return 2;
	}
	if (dmac_s && parse_mac(dmac_s, dmac)) {
		fprintf(stderr, "synflood: --dst-mac %s is not a MAC address\n", dmac_s);
		return 2;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "synflood: no interface '%s' in this network namespace\n", ifname);
		return 1;
	}
	if (if_mac(ifname, smac)) {
		fprintf(stderr, "synflood: %s: no hardware address: %s\n", ifname, strerror(errno));
		return 1;
	}
	if (!dmac_s && resolve_mac(ifname, dst, dmac)) {
		fprintf(stderr, "synflood: cannot resolve the MAC of %s on %s (give --dst-mac)\n",
			dst_s, ifname);
		return 1;
	}

	/* the template: Ethernet, IPv4 (no options, DF), TCP SYN (no options);
	 * source address, source port, sequence number and both checksums are
	 * the program's */
	memset(frame, 0, sizeof(frame));
	memcpy(frame, dmac, 6);
	memcpy(frame + 6, smac, 6);
	frame[12] = 0x08; frame[13] = 0x00;
	{
		uint8_t *ip = frame + 14, *tcp = frame + 34;
		uint16_t w;

		ip[0] = 0x45;
		w = htons(40); memcpy(ip + 2, &w, 2);
		w = htons(0x4000); memcpy(ip + 6, &w, 2);
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 16, &dst.s_addr, 4);
		w = htons((uint16_t)dport); memcpy(tcp + 2, &w, 2);
		tcp[12] = 5 << 4;
		tcp[13] = 0x02;                         /* SYN */
		w = htons(64240); memcpy(tcp + 14, &w, 2);
	}

	libbpf_set_print(NULL);
	skel = synflood__open();
	if (!skel) {
		fprintf(stderr, "synflood: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	memcpy(skel->bss->tpl, frame, sizeof(frame));
	s = sum16(frame + 14, 20, 0);
	skel->rodata->ip_sum = fold32(s);
	{
		uint16_t pseudo[2];

		pseudo[0] = htons(IPPROTO_TCP);
		pseudo[1] = htons(20);
		s = sum16(&dst.s_addr, 4, 0);
		s = sum16(pseudo, 4, s);
		s = sum16(frame + 34, 20, s);
		skel->rodata->tcp_sum = fold32(s);
	}
	err = synflood__load(skel);
	if (err) {
		fprintf(stderr, "synflood: cannot load the BPF program: %s\n", strerror(-err));
		synflood__destroy(skel);
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.synflood);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ctx.data_end = sizeof(frame);
	ctx.ingress_ifindex = ifindex;
	tx0 = if_tx_packets(ifname);
	clock_gettime(CLOCK_MONOTONIC, &first);
	t0 = now_s();
	while (!stop && sent < count) {
		unsigned long long chunk = count - sent;
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = frame,
			.data_size_in = sizeof(frame),
			.ctx_in = &ctx,
			.ctx_size_in = sizeof(ctx),
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		);

		t = now_s();
		elapsed = t - t0;
		if (elapsed >= seconds)
			break;
		if (rate) {
			/* what the rate allows by now, in steps of 50 ms worth
			 * of frames: each live-frames run costs a fixed setup
			 * (page pool, memory model) of some ms of wall time, so
			 * small steps would never reach the rate */
			unsigned long long step = (unsigned long long)((double)rate * PACE_S);
			double wait;

			if (!step)
				step = 1;
			wait = (double)sent / (double)rate - elapsed;
			if (wait > 0) {
				usleep(wait > 0.01 ? 10000 : (unsigned)(wait * 1e6) + 1);
				continue;
			}
			if (chunk > step)
				chunk = step;
		} else {
			/* each live-frames run has a fixed setup cost: at full
			 * speed, runs as long as the time bound allows */
			double left = (seconds - elapsed) / CHUNK_S;

			if (left < 1 && full * left >= CHUNK_MIN)
				full = (unsigned long long)((double)full * left);
			if (chunk > full)
				chunk = full;
		}
		opts.repeat = (unsigned)chunk;
		before = skel->bss->frames;
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (!rate) {
			double d = now_s() - t, fps = d > 0 ? (double)(skel->bss->frames - before) / d : 0;

			full = (unsigned long long)(fps * CHUNK_S);
			if (full < CHUNK_MIN)
				full = CHUNK_MIN;
			if (full > CHUNK_MAX)
				full = CHUNK_MAX;
		}
		if (err && errno != EINTR) {
			fprintf(stderr, "synflood: BPF_PROG_TEST_RUN (live frames) on %s: %s\n",
				ifname, strerror(errno));
			break;
		}
		sent = skel->bss->frames;
	}
	elapsed = now_s() - t0;
	sent = skel->bss->frames;
	tx1 = if_tx_packets(ifname);
	/* when the first frame went (CLOCK_MONOTONIC, as the datapath's event
	 * times): latency measured from here leaves out our own set-up */
	printf("first frame at %llu ns\n",
	       (unsigned long long)first.tv_sec * 1000000000ull + (unsigned long long)first.tv_nsec);
	printf("sent %llu frames in %.3f s: %.0f frames/s; %s tx_packets +%lld\n",
	       sent, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0, ifname,
	       tx0 >= 0 && tx1 >= 0 ? tx1 - tx0 : -1LL);
	if (tx0 >= 0 && tx1 >= 0 && (unsigned long long)(tx1 - tx0) < sent / 2)
		fprintf(stderr, "synflood: warning: %s tx_packets rose by %lld only (a veth sends "
			"XDP frames only while its peer runs NAPI: GRO on, or an XDP program)\n",
			ifname, tx1 - tx0);
	if (skel->bss->bad)
		fprintf(stderr, "synflood: %llu frames too short for the program\n",
			(unsigned long long)skel->bss->bad);
	v = sent;
	synflood__destroy(skel);
	return (err && errno != EINTR) || !v ? 1 : 0;
}
