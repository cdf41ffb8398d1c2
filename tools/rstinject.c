// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rstinject: forge one RST into a live IPv4 connection, for the e2e tests.
 *
 *   rstinject [-o OFFSET] [-t MS] [-d MS] [-g FILE] SRC SPORT DST DPORT
 *
 * Run in the namespace of SRC. Waits (up to -t ms, default 3000) for a
 * segment DST:DPORT -> SRC:SPORT on a raw socket, takes its ACK number as
 * SRC's next sequence number (what an exact RST would carry), then sends
 * SRC:SPORT -> DST:DPORT an RST with seq = that + OFFSET (default 2^30:
 * far outside any window), -d ms after it saw that segment (default 0: at
 * once; a delay lets the connection go quiet, so a test can tell the RST's
 * effect on the peer's counters from the segment's own ACK). With -g FILE
 * it sends only once FILE exists (within -t ms): the test says when it has
 * read the counters, whatever the kernel's speed (an emulated one is slow).
 * Prints "expected E got G" and exits 0.
 * Lab use only: both addresses must be inside 198.18.0.0/15.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint16_t csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;

	for (; n > 1; n -= 2, b += 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (n)
		sum += (uint32_t)(b[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int in_lab(struct in_addr a)
{
	return (ntohl(a.s_addr) & 0xfffe0000u) == 0xc6120000u; /* 198.18.0.0/15 */
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	uint32_t offset = 1u << 30, expected;
	long timeout = 3000, delay = 0;
	struct in_addr src, dst;
	uint16_t sport, dport;
	long long deadline;
	const char *go = NULL;
	int c, rx, tx, one = 1, found = 0;

	while ((c = getopt(argc, argv, "o:t:d:g:")) != -1) {
		switch (c) {
		case 'g': go = optarg; break;
		case 'd': delay = strtol(optarg, NULL, 10); break;
		case 'o': offset = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': timeout = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (argc - optind != 4)
		goto usage;
	if (!inet_pton(AF_INET, argv[optind], &src) || !inet_pton(AF_INET, argv[optind + 2], &dst))
		goto usage;
	if (!in_lab(src) || !in_lab(dst)) {
		fprintf(stderr, "rstinject: addresses must be inside 198.18.0.0/15\n");
		return 2;
	}
	sport = (uint16_t)atoi(argv[optind + 1]);
	dport = (uint16_t)atoi(argv[optind + 3]);

	rx = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	tx = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (rx < 0 || tx < 0 || setsockopt(tx, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("rstinject: raw socket");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	deadline = now_ms() + timeout;
	while (!found && now_ms() < deadline) {
		struct pollfd pfd = { .fd = rx, .events = POLLIN };
		uint8_t buf[2048];
		struct iphdr *ip = (struct iphdr *)buf;
		struct tcphdr *th;
		ssize_t n;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		n = recv(rx, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(*ip) || n < ip->ihl * 4 + (ssize_t)sizeof(*th))
			continue;
		th = (struct tcphdr *)(buf + ip->ihl * 4);
		if (ip->saddr != dst.s_addr || ip->daddr != src.s_addr ||
		    ntohs(th->source) != dport || ntohs(th->dest) != sport || !th->ack)
			continue;
		expected = ntohl(th->ack_seq);
		found = 1;
	}
	if (!found) {
		fprintf(stderr, "rstinject: no segment from the peer within %ld ms\n", timeout);
		return 1;
	}
	printf("seen\n");
	fflush(stdout);
	if (delay > 0)
		usleep((useconds_t)(delay > 10000 ? 10000 : delay) * 1000);
	deadline = now_ms() + timeout;
	while (go && access(go, F_OK) && now_ms() < deadline)
		usleep(10000);
	if (go && access(go, F_OK)) {
		fprintf(stderr, "rstinject: no %s within %ld ms\n", go, timeout);
		return 1;
	}
	{
		uint8_t pkt[40] = { 0 }, ph[12 + 20];
		struct iphdr *ip = (struct iphdr *)pkt;
		struct tcphdr *th = (struct tcphdr *)(pkt + 20);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };

		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(sizeof(pkt));
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->saddr = src.s_addr;
		ip->daddr = dst.s_addr;
		ip->check = htons(csum(pkt, 20, 0));
		th->source = htons(sport);
		th->dest = htons(dport);
		th->seq = htonl(expected + offset);
		th->doff = 5;
		th->rst = 1;
		memcpy(ph, &ip->saddr, 4);
		memcpy(ph + 4, &ip->daddr, 4);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		ph[10] = 0;
		ph[11] = 20;
		memcpy(ph + 12, th, 20);
		th->check = htons(csum(ph, sizeof(ph), 0));
		if (sendto(tx, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("rstinject: sendto");
			return 1;
		}
	}
	printf("expected %u got %u\n", expected, expected + offset);
	return 0;
usage:
	fprintf(stderr, "usage: rstinject [-o OFFSET] [-t MS] [-d MS] [-g FILE] SRC SPORT DST DPORT\n");
	return 2;
}
