// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Frame building and AF_PACKET sending for the lab's attack tools: see craft.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "craft.h"

#define ETH_HLEN_ 14
#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* one's complement sum of big-endian 16-bit words */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; n -= 2, p += 2)
		s += get16(p);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* the TCP checksum of l4 (l4len bytes) between saddr and daddr */
static uint16_t tcp_csum(int family, const uint8_t *sa, const uint8_t *da, const uint8_t *l4,
			 size_t l4len)
{
	int alen = family == 6 ? 16 : 4;
	uint32_t s = 0;

	s = sum16(sa, (size_t)alen, s);
	s = sum16(da, (size_t)alen, s);
	s += 6; /* IPPROTO_TCP */
	s += (uint32_t)(l4len & 0xffff) + (uint32_t)(l4len >> 16);
	s = sum16(l4, l4len, s);
	return fold(s);
}

size_t craft_build(const struct craft *c, uint8_t *buf, size_t cap)
{
	int optlen = (c->optlen + 3) & ~3;
	int ext = c->ip_ext, i;
	size_t l4len = (size_t)(TCP_HLEN + optlen + c->paylen);
	size_t l2 = ETH_HLEN_ + 4 * (size_t)c->nvlan;
	size_t l3 = (c->family == 6 ? IP6_HLEN : IP4_HLEN) + (size_t)ext;
	size_t len = l2 + l3 + l4len;
	uint8_t *p, *ip, *th;
	uint16_t ck;

	if (optlen > 40 || c->nvlan > 2 || len > cap || (c->family == 4 && ext > 40))
		return 0;
	memset(buf, 0, len);
	memcpy(buf, c->dmac, 6);
	memcpy(buf + 6, c->smac, 6);
	p = buf + 12;
	for (i = 0; i < c->nvlan; i++, p += 4) {
		put16(p, i == 0 && c->nvlan == 2 ? ETH_P_8021AD : ETH_P_8021Q);
		put16(p + 2, c->vlan[i]);
	}
	put16(p, c->family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	ip = buf + l2;
	th = ip + l3;
	if (c->family == 6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(l3 - IP6_HLEN + l4len + (size_t)c->len_delta));
		ip[6] = ext ? 0 : 6; /* hop-by-hop, or TCP */
		ip[7] = c->ttl ? c->ttl : 64;
		memcpy(ip + 8, c->saddr, 16);
		memcpy(ip + 24, c->daddr, 16);
		if (ext) {
			uint8_t *h = ip + IP6_HLEN;

			h[0] = 6;
			h[1] = (uint8_t)(ext / 8 - 1);
			h[2] = 1; /* PadN covering the rest */
			h[3] = (uint8_t)(ext - 4);
		}
	} else {
		ip[0] = (uint8_t)(0x40 | (l3 / 4));
		put16(ip + 2, (uint16_t)(l3 + l4len + (size_t)c->len_delta));
		put16(ip + 4, c->ip_id);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = c->ttl ? c->ttl : 64;
		ip[9] = 6;
		memcpy(ip + 12, c->saddr, 4);
		memcpy(ip + 16, c->daddr, 4);
		for (i = IP4_HLEN; i < (int)l3; i++)
			ip[i] = 1; /* NOP options */
		ck = fold(sum16(ip, l3, 0));
		put16(ip + 10, (uint16_t)(ck + (c->bad_ip_csum ? 1 : 0)));
	}
	put16(th, c->sport);
	put16(th + 2, c->dport);
	put32(th + 4, c->seq);
	put32(th + 8, c->ack);
	th[12] = (uint8_t)(((TCP_HLEN + optlen) / 4) << 4);
	th[13] = c->flags;
	put16(th + 14, c->win);
	memcpy(th + TCP_HLEN, c->opt, (size_t)c->optlen); /* the rest stays EOL */
	if (c->payload)
		memcpy(th + TCP_HLEN + optlen, c->payload, (size_t)c->paylen);
	ck = tcp_csum(c->family, c->saddr, c->daddr, th, l4len);
	put16(th + 16, (uint16_t)(ck + (c->bad_tcp_csum ? 1 : 0)));
	return len;
}

int craft_fragment(const struct craft *c, const uint8_t *frame, size_t len, int first,
		   uint8_t out[2][CRAFT_FRAME_MAX], size_t outlen[2])
{
	size_t l2 = ETH_HLEN_ + 4 * (size_t)c->nvlan, rest, hl;
	static uint8_t copy[CRAFT_FRAME_MAX];
	const uint8_t *ip;
	static uint32_t frag_id = 0x7a5e0000;

	/* the frame may be out[0] itself (fuzz_datapath builds in place):
	 * the IPv6 fragment header written after the fixed header would
	 * overwrite the TCP header's first 8 bytes before they are copied */
	if (len > sizeof(copy))
		return 0;
	memcpy(copy, frame, len);
	frame = copy;
	ip = frame + l2;

	first &= ~7;
	if (first < 8)
		first = 8;
	if (c->family == 4) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		if (len < l2 + hl + (size_t)first + 1)
			return 0;
		rest = len - l2 - hl - (size_t)first;
		/* first: headers + `first` bytes, MF */
		memcpy(out[0], frame, l2 + hl + (size_t)first);
		put16(out[0] + l2 + 2, (uint16_t)(hl + (size_t)first));
		put16(out[0] + l2 + 6, 0x2000);
		out[0][l2 + 10] = out[0][l2 + 11] = 0;
		put16(out[0] + l2 + 10, fold(sum16(out[0] + l2, hl, 0)));
		outlen[0] = l2 + hl + (size_t)first;
		/* second: headers + the rest at offset first/8 */
		memcpy(out[1], frame, l2 + hl);
		memcpy(out[1] + l2 + hl, ip + hl + first, rest);
		put16(out[1] + l2 + 2, (uint16_t)(hl + rest));
		put16(out[1] + l2 + 6, (uint16_t)(first / 8));
		out[1][l2 + 10] = out[1][l2 + 11] = 0;
		put16(out[1] + l2 + 10, fold(sum16(out[1] + l2, hl, 0)));
		outlen[1] = l2 + hl + rest;
		return 2;
	}
	/* IPv6: a fragment header after the fixed header (no other extension) */
	hl = IP6_HLEN;
	if (c->ip_ext || len < l2 + hl + (size_t)first + 1 || len + 8 > CRAFT_FRAME_MAX)
		return 0;
	rest = len - l2 - hl - (size_t)first;
	frag_id++;
	for (int k = 0; k < 2; k++) {
		size_t body = k ? rest : (size_t)first;
		uint8_t *o = out[k], *fh = o + l2 + hl;

		memcpy(o, frame, l2 + hl);
		o[l2 + 6] = 44; /* fragment header */
		put16(o + l2 + 4, (uint16_t)(8 + body));
		fh[0] = 6;
		fh[1] = 0;
		put16(fh + 2, (uint16_t)(k ? (first & ~7) : 1)); /* offset << 3 | M */
		put32(fh + 4, frag_id);
		memcpy(fh + 8, ip + hl + (k ? first : 0), body);
		outlen[k] = l2 + hl + 8 + body;
	}
	return 2;
}

int craft_addr(const char *s, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

int craft_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

int craft_flags(const char *s)
{
	static const char letters[] = "FSRPAUEC";
	int f = 0;

	for (; *s; s++) {
		const char *l = strchr(letters, *s);

		if (!l || !*s)
			return -1;
		f |= 1 << (l - letters);
	}
	return f;
}

int craft_hex(const char *s, uint8_t *out, int cap)
{
	int n = 0, half = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == ':' || *s == '-')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (half < 0) {
			half = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(half << 4 | v);
		half = -1;
	}
	return half < 0 ? n : -1;
}

int craft_in_lab(int family, const uint8_t a[16])
{
	if (family == 4)
		return a[0] == 198 && (a[1] & 0xfe) == 18;
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8;
}

int craft_tx_open(struct craft_tx *t, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	int e;

	memset(t, 0, sizeof(*t));
	t->ifindex = (int)if_nametoindex(ifname);
	if (!t->ifindex) {
		fprintf(stderr, "no interface '%s' here\n", ifname);
		return -ENODEV;
	}
	t->fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only */
	if (t->fd < 0) {
		e = errno;
		fprintf(stderr, "AF_PACKET socket: %s\n", strerror(e));
		return -e;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(t->fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(t->mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = t->ifindex;
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		e = errno;
		fprintf(stderr, "bind to %s: %s\n", ifname, strerror(e));
		close(t->fd);
		return -e;
	}
	for (int i = 0; i < CRAFT_TX_BATCH; i++) {
		t->iov[i].iov_base = t->buf[i];
		t->msg[i].msg_hdr.msg_iov = &t->iov[i];
		t->msg[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

int craft_tx_add(struct craft_tx *t, const uint8_t *frame, size_t len)
{
	if (len > CRAFT_FRAME_MAX)
		return -EMSGSIZE;
	memcpy(t->buf[t->n], frame, len);
	t->iov[t->n].iov_len = len;
	if (++t->n == CRAFT_TX_BATCH)
		return craft_tx_flush(t);
	return 0;
}

int craft_tx_flush(struct craft_tx *t)
{
	int off = 0;

	while (off < t->n) {
		int r = sendmmsg(t->fd, t->msg + off, (unsigned)(t->n - off), 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(100);
				continue;
			}
			t->n = 0;
			return -errno;
		}
		off += r;
		t->sent += (unsigned long long)r;
	}
	t->n = 0;
	return 0;
}

void craft_tx_close(struct craft_tx *t)
{
	craft_tx_flush(t);
	close(t->fd);
}

/* the TSval of a TCP header's timestamps option (thl bytes), 0 if none */
static uint32_t tcp_tsval(const uint8_t *th, size_t thl)
{
	size_t i = 20;

	while (i < thl) {
		uint8_t k = th[i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= thl || th[i + 1] < 2 || i + th[i + 1] > thl)
			break;
		if (k == 8 && th[i + 1] == 10)
			return get32(th + i + 2);
		i += th[i + 1];
	}
	return 0;
}

int craft_parse(const uint8_t *f, size_t len, struct craft_seen *s, uint8_t *ttl)
{
	size_t off = 12, hl, tot, thl;
	uint16_t proto;
	const uint8_t *ip, *th;

	if (len < 14)
		return 0;
	proto = get16(f + off);
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && off + 6 <= len) {
		off += 4;
		proto = get16(f + off);
	}
	off += 2;
	ip = f + off;
	memset(s, 0, sizeof(*s));
	if (proto == ETH_P_IP) {
		if (len < off + 20 || ip[9] != 6 || (get16(ip + 6) & 0x3fff))
			return 0;
		hl = (size_t)(ip[0] & 0xf) * 4;
		tot = get16(ip + 2);
		s->family = 4;
		if (ttl)
			*ttl = ip[8];
		memcpy(s->saddr, ip + 12, 4);
		memcpy(s->daddr, ip + 16, 4);
	} else if (proto == ETH_P_IPV6) {
		if (len < off + 40 || ip[6] != 6)
			return 0;
		hl = 40;
		tot = 40 + (size_t)get16(ip + 4);
		s->family = 6;
		if (ttl)
			*ttl = ip[7];
		memcpy(s->saddr, ip + 8, 16);
		memcpy(s->daddr, ip + 24, 16);
	} else {
		return 0;
	}
	if (tot > len - off)
		tot = len - off; /* GSO: the wire length is the frame's */
	if (tot < hl + 20)
		return 0;
	th = ip + hl;
	thl = (size_t)(th[12] >> 4) * 4;
	if (thl < 20 || hl + thl > tot)
		return 0;
	s->sport = get16(th);
	s->dport = get16(th + 2);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	s->win = get16(th + 14);
	s->paylen = (uint32_t)(tot - hl - thl);
	s->tsval = tcp_tsval(th, thl);
	return 1;
}

uint64_t craft_rand(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ull;
}

double craft_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
