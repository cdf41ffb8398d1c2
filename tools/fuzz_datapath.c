// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fuzz_datapath: a differential fuzzer of tcpsentry's tracker against two
 * real kernels (issue 11). Run by tests/e2e/attacks/test_atk_fuzz_datapath.sh,
 * which builds the lab and attaches tcpsentry to the server veth.
 *
 *   fuzz_datapath --client-ns NS --server-ns NS --client-if IF --server-mac MAC
 *                 --c4 A --s4 A --c6 A --s6 A --oracle CMD [--port P]
 *                 [--conns N] [--segments N] [--batch N] [--seconds S]
 *                 [--seed N] [--repro DIR] [--max-repro N] [--exclude-flags F..]
 *                 [--no-fragments]
 *
 * N live connections (half IPv4, half IPv6, client ports from 20000 up)
 * between the client and the server namespace carry data both ways. The
 * attacker sends crafted segments out of the client veth into the server's
 * XDP, batch after batch, each into one of the live 4-tuples: spoofing the
 * client (most), or "reflected" (the server's own address as the source,
 * which the server's kernel discards); flags, sequence and ack numbers
 * exact, near, inside, at the edge of and far outside the window
 * (relative to what the sniffer on the client veth saw last); TCP options
 * valid and malformed (lengths the kernel skips or stops at, timestamps
 * old and new); payloads; good and bad TCP checksums; IPv4 header options,
 * a bad IPv4 header checksum, lying IP lengths, an IPv6 hop-by-hop header;
 * two IP fragments; one or two VLAN tags.
 *
 * After every batch: the data written is read and acknowledged (bounded
 * wait), then the kernel's state of every connection (TCP_INFO, the source
 * ss reads) is compared with tcpsentry's (CMD, `tcpsentry conns -j`):
 * the server's kernel with tcpsentry's server_state always; the client's
 * with client_state while the server's kernel still holds the connection
 * ESTABLISHED (once the server's kernel accepted a spoofed FIN or RST, the
 * client's kernel cannot know: an off-path attacker who guessed exactly is
 * out of the scope). Once the fuzzer's server socket is closed, a
 * half-open request the kernel made for a later spoofed SYN on the tuple
 * (ss, SYN_RECV) is the server's state. A disagreement is retried for the settle time
 * before it counts. A connection both kernels hold ESTABLISHED whose data
 * did not arrive is a stall (tcpsentry dropped a real segment, or the
 * kernel took injected data: that one is "tainted" and only replaced).
 * Connections the attack closed or tainted are replaced.
 *
 * Each disagreement is minimised on fresh connections: first each of the
 * tuple's segments of that batch alone, then the whole sequence; the
 * reproducer (segments, relative and as frames) goes to DIR/repro-K.txt.
 * Prints progress lines and a last line
 *   "segments N, batches B, seconds S (R segments/s), disagreements D, stalls T, ..."
 * Exit 0 if no disagreement and no stall, 1 otherwise, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "craft.h"

#define MAX_CONNS 256
#define MAX_BATCH 100000
#define INJECT_TTL 61     /* marks our frames: the sniffer ignores them */
#define PUMP_BYTES 64
#define SEG_LOG_MAX 1024  /* segments kept per connection per batch: all of a 20,000 batch over 32, so a minimised reproducer has every segment */

/* ---------------------------------------------------------------- rng */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) { return craft_rand(&rng); }
static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

/* ---------------------------------------------------------------- options */

static struct {
	const char *cns, *sns, *cif, *oracle, *repro;
	uint8_t smac[6];
	char c4[64], s4[64], c6[64], s6[64];
	unsigned port, nconns, batch, max_repro;
	uint8_t exclude;   /* flags no generated segment carries */
	int no_frag;       /* no segment is sent as IP fragments */
	unsigned long long segments;
	double seconds, settle;
} opt = { .port = 80, .nconns = 32, .batch = 2000, .segments = 100000, .seconds = 1800,
	  .settle = 1.0, .max_repro = 8, .repro = "." };

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz_datapath: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

/* ---------------------------------------------------------------- namespaces */

static int ns_fd(const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "/run/netns/%s", name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s: %s\n", p, strerror(errno));
	return fd;
}
static int cns_fd, sns_fd;
static void enter(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns: %s\n", strerror(errno));
}

/* ---------------------------------------------------------------- connections */

struct seen_dir {
	uint32_t nxt;    /* sender's next sequence number (seq + len + SYN/FIN) */
	uint32_t ack;    /* the last ack it sent */
	uint16_t win;
	uint32_t tsval;  /* its last timestamp value (0: none seen) */
	int valid;
};

struct fseg;

struct conn {
	int live;
	int family;
	int cfd, sfd;
	uint16_t cport;
	uint8_t ca[16], sa[16];
	char cstr[64], sstr[64];      /* tcpsentry's endpoint strings */
	struct seen_dir dir[2];       /* 0: client -> server, 1: server -> client */
	unsigned long long cw, cr, sw, sr; /* bytes written / read per side */
	unsigned nlog;
	struct fseg *log;             /* this batch's segments into it */
	/* this batch's SYN, FIN or RST sent as a "tiny" IPv4 first fragment,
	 * shorter than the TCP header (RFC 1858): no TCP header for XDP to
	 * parse, while the kernel reassembles it (IPv6 drops such a first
	 * fragment, RFC 7112). The default policy drops it
	 * (action.tiny_fragment): a disagreement after one is labelled so,
	 * it means that drop failed (or the policy passes them). */
	unsigned tiny_frag;
};

static struct conn conns[MAX_CONNS];
static int lfd4 = -1, lfd6 = -1;
static uint16_t next_port = 20000;
static uint8_t ca4[16], sa4[16], ca6[16], sa6[16];

static void endpoint(char *out, size_t n, int family, const uint8_t *a, uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, s, sizeof(s));
	if (family == 6)
		snprintf(out, n, "[%s]:%u", s, port);
	else
		snprintf(out, n, "%s:%u", s, port);
}

static int listener(int family, const char *addr)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd, one = 1;

	enter(sns_fd);
	fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)opt.port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)opt.port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1024))
		die("listen on %s port %u: %s\n", addr, opt.port, strerror(errno));
	return fd;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* open connection slot i: connect from the client namespace, accept in
 * the server's; 0 on success */
static int conn_open(int i, int family)
{
	struct conn *c = &conns[i];
	struct sockaddr_storage l = {}, r = {};
	socklen_t len;
	int fd, one = 1, tries;
	const char *ca = family == 6 ? opt.c6 : opt.c4, *sa = family == 6 ? opt.s6 : opt.s4;

	memset(c, 0, sizeof(*c));
	c->family = family;
	c->cfd = c->sfd = -1;
	memcpy(c->ca, family == 6 ? ca6 : ca4, 16);
	memcpy(c->sa, family == 6 ? sa6 : sa4, 16);
	for (tries = 0; tries < 64; tries++) {
		c->cport = next_port++;
		if (next_port > 60000)
			next_port = 20000;
		enter(cns_fd);
		fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == 6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l, *b = (struct sockaddr_in6 *)&r;

			a->sin6_family = b->sin6_family = AF_INET6;
			a->sin6_port = htons(c->cport);
			b->sin6_port = htons((uint16_t)opt.port);
			inet_pton(AF_INET6, ca, &a->sin6_addr);
			inet_pton(AF_INET6, sa, &b->sin6_addr);
			len = sizeof(*a);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&l, *b = (struct sockaddr_in *)&r;

			a->sin_family = b->sin_family = AF_INET;
			a->sin_port = htons(c->cport);
			b->sin_port = htons((uint16_t)opt.port);
			inet_pton(AF_INET, ca, &a->sin_addr);
			inet_pton(AF_INET, sa, &b->sin_addr);
			len = sizeof(*a);
		}
		if (bind(fd, (struct sockaddr *)&l, len) == 0 &&
		    connect(fd, (struct sockaddr *)&r, len) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return -1;
	c->cfd = fd;
	{
		struct pollfd p = { .fd = family == 6 ? lfd6 : lfd4, .events = POLLIN };

		if (poll(&p, 1, 2000) <= 0)
			return -1;
		c->sfd = accept4(p.fd, NULL, NULL, SOCK_CLOEXEC);
	}
	if (c->sfd < 0)
		return -1;
	setsockopt(c->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* an injected URG pulls a byte out of the stream: keep it in, so
	 * that the byte counts only tell lost data */
	setsockopt(c->cfd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	setsockopt(c->sfd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	set_nonblock(c->cfd);
	set_nonblock(c->sfd);
	endpoint(c->cstr, sizeof(c->cstr), family, c->ca, c->cport);
	endpoint(c->sstr, sizeof(c->sstr), family, c->sa, (uint16_t)opt.port);
	c->live = 1;
	return 0;
}

static void conn_close(struct conn *c)
{
	struct linger lg = { 1, 0 };

	/* an abort: no TIME_WAIT left to linger over the next tuple */
	if (c->cfd >= 0) {
		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->cfd);
	}
	if (c->sfd >= 0)
		close(c->sfd);
	c->cfd = c->sfd = -1;
	c->live = 0;
}

static int tcp_state(int fd)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 7; /* TCP_CLOSE */
	return ti.tcpi_state;
}

/* bytes written and not yet acknowledged (sent or not) */
static int tcp_pending(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &n))
		return 0;
	return n;
}

/* the kernel's state, as tcpsentry names states */
static const char *kname(int st)
{
	static const char *const n[] = {
		"CLOSED", "ESTABLISHED", "SYN_SENT", "SYN_RCVD", "FIN_WAIT_1", "FIN_WAIT_2",
		"TIME_WAIT", "CLOSED", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	};

	return st >= 0 && st < (int)(sizeof(n) / sizeof(n[0])) ? n[st] : "UNKNOWN";
}

/* ---------------------------------------------------------------- data */

static void pump_write(struct conn *c)
{
	uint8_t b[PUMP_BYTES];
	ssize_t n;

	memset(b, 'd', sizeof(b));
	n = send(c->cfd, b, sizeof(b), MSG_NOSIGNAL);
	if (n > 0)
		c->cw += (unsigned long long)n;
	n = send(c->sfd, b, sizeof(b), MSG_NOSIGNAL);
	if (n > 0)
		c->sw += (unsigned long long)n;
}

static void pump_read(struct conn *c)
{
	uint8_t b[65536];
	ssize_t n;

	while ((n = recv(c->cfd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		c->cr += (unsigned long long)n;
	while ((n = recv(c->sfd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		c->sr += (unsigned long long)n;
}

/* ---------------------------------------------------------------- sniffer */

static int sniff_fd = -1;

static void sniff_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int big = 16 << 20;

	enter(cns_fd);
	sniff_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (sniff_fd < 0)
		die("sniffer: %s\n", strerror(errno));
	setsockopt(sniff_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	sll.sll_ifindex = (int)if_nametoindex(opt.cif);
	if (bind(sniff_fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("sniffer bind: %s\n", strerror(errno));
}

/* read what the sniffer holds: the latest of each direction per connection */
static void sniff_drain(void)
{
	uint8_t f[70000];
	struct craft_seen s;
	ssize_t n;
	int i;

	while ((n = recv(sniff_fd, f, sizeof(f), MSG_DONTWAIT)) > 0) {
		uint8_t ttl = 0;

		if (!craft_parse(f, (size_t)n, &s, &ttl) || ttl == INJECT_TTL)
			continue; /* not TCP, or ours */
		for (i = 0; i < (int)opt.nconns; i++) {
			struct conn *c = &conns[i];
			int alen = c->family == 6 ? 16 : 4, d;
			struct seen_dir *sd;

			if (!c->live || c->family != s.family)
				continue;
			if (!memcmp(s.saddr, c->ca, (size_t)alen) && s.sport == c->cport &&
			    s.dport == opt.port)
				d = 0;
			else if (!memcmp(s.daddr, c->ca, (size_t)alen) && s.dport == c->cport &&
				 s.sport == opt.port)
				d = 1;
			else
				continue;
			sd = &c->dir[d];
			sd->nxt = s.seq + s.paylen + ((s.flags & 0x03) ? 1 : 0);
			sd->ack = s.ack;
			sd->win = s.win;
			sd->tsval = s.tsval;
			sd->valid = 1;
			break;
		}
	}
}

/* ---------------------------------------------------------------- segments */

/* a segment relative to the connection it goes into (so that it can be
 * replayed into a fresh one) */
struct fseg {
	uint8_t reflected;  /* server -> client addresses, arriving at the server */
	uint8_t flags;
	int64_t seq_off;    /* from the sender's next sequence number */
	int64_t ack_off;    /* from the receiver's next sequence number */
	uint16_t win;
	uint8_t opt[40];
	uint8_t optlen;
	uint8_t ts_mode;    /* 0 none, 1 TSval = sender's last + 1, 2 old (last - 2^30), 3 random */
	uint16_t paylen;
	uint8_t bad_csum, bad_ip_csum, ip_ext, len_lie, frag, nvlan;
};

static const int64_t offsets[] = {
	0, 0, 0, 1, -1, 2, -2, 100, -100, 1000, -1000, 30000, -30000, 65535, -65535,
	70000, -70000, 1 << 20, -(1 << 20), 1 << 24, -(1 << 24), 1 << 30, -(1 << 30),
	(int64_t)1 << 31, ((int64_t)1 << 31) + 1, ((int64_t)1 << 31) - 1,
};

static int64_t pick_off(void)
{
	if (pick(16) == 0)
		return (int64_t)(uint32_t)rnd();
	return offsets[pick(sizeof(offsets) / sizeof(offsets[0]))];
}

static void pick_options(struct fseg *g)
{
	static const char *const valid[] = {
		"020405b4", "0101080a", "01030307", "0402", "020405b40402", "01010402",
		"0101050a0000000000000000", /* SACK block (bogus edges) */
	};
	static const char *const malformed[] = {
		"02030501",          /* MSS length 3 */
		"020405b4fe0a0000",  /* an option running past the end */
		"020405b4fd010000",  /* length 1 */
		"fd000000",          /* length 0 */
		"080900000000000000000000", /* timestamps of length 9 */
		"0503000000000000",  /* SACK of length 3 */
		"03020000",          /* window scale of length 2 */
		"1e04000000000000",  /* MPTCP, short */
	};
	unsigned r = pick(10);

	g->optlen = 0;
	if (r < 5)
		return;
	if (r < 8) {
		g->optlen = (uint8_t)craft_hex(valid[pick(sizeof(valid) / sizeof(valid[0]))], g->opt, 40);
		if (pick(2))
			g->ts_mode = (uint8_t)(1 + pick(3));
		return;
	}
	g->optlen = (uint8_t)craft_hex(malformed[pick(sizeof(malformed) / sizeof(malformed[0]))],
				       g->opt, 40);
}

static void pick_segment(struct fseg *g)
{
	static const uint8_t flagset[] = {
		0x10, 0x10, 0x18, 0x18, 0x02, 0x12, 0x04, 0x14, 0x04, 0x01, 0x11, 0x19, 0x00,
		0x29, 0x03, 0x06, 0x05, 0x12, 0x50, 0x90,
	};

	memset(g, 0, sizeof(*g));
	g->reflected = pick(10) == 0;
	g->flags = (uint8_t)((pick(8) ? flagset[pick(sizeof(flagset))] : (uint8_t)rnd()) & ~opt.exclude);
	g->seq_off = pick_off();
	g->ack_off = pick_off();
	g->win = pick(4) ? (uint16_t)(1 + pick(4) * 8192) : (uint16_t)rnd();
	pick_options(g);
	if (pick(4) == 0)
		g->paylen = (uint16_t)(1 + pick(200));
	g->bad_csum = pick(7) == 0;
	switch (pick(40)) {
	case 0: g->bad_ip_csum = 1; break;
	case 1: g->ip_ext = 1; break;
	case 2: g->len_lie = 1; break;
	case 3: g->len_lie = 2; break;
	case 4: case 5: g->frag = opt.no_frag ? 0 : (uint8_t)(8 + 8 * pick(4)); break;
	case 6: g->nvlan = 1; break;
	case 7: g->nvlan = 2; break;
	default: break;
	}
}

/* the frame(s) of g for connection c; returns how many (0, 1, 2) */
static int build(const struct fseg *g, const struct conn *c,
		 uint8_t out[2][CRAFT_FRAME_MAX], size_t len[2])
{
	static uint8_t payload[256];
	struct craft k = {};
	const struct seen_dir *snd = &c->dir[g->reflected], *rcv = &c->dir[!g->reflected];
	size_t n;

	k.family = c->family;
	memcpy(k.dmac, opt.smac, 6);
	memcpy(k.saddr, g->reflected ? c->sa : c->ca, 16);
	memcpy(k.daddr, g->reflected ? c->ca : c->sa, 16);
	k.sport = g->reflected ? (uint16_t)opt.port : c->cport;
	k.dport = g->reflected ? c->cport : (uint16_t)opt.port;
	k.seq = snd->nxt + (uint32_t)g->seq_off;
	k.ack = rcv->nxt + (uint32_t)g->ack_off;
	k.flags = g->flags;
	k.win = g->win;
	memcpy(k.opt, g->opt, g->optlen);
	k.optlen = g->optlen;
	if (g->ts_mode && ((k.optlen + 3) & ~3) + 12 <= 40) {
		/* NOPs up to a word, then NOP NOP TS(10): TSval by mode, TSecr
		 * the receiver's last TSval */
		uint32_t v = g->ts_mode == 1 ? snd->tsval + 1 :
			     g->ts_mode == 2 ? snd->tsval - (1u << 30) : (uint32_t)rnd();
		int at = (k.optlen + 3) & ~3;
		uint8_t *o = k.opt + at;

		memset(k.opt + k.optlen, 1, (size_t)(at - k.optlen));
		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		o[4] = (uint8_t)(v >> 24);
		o[5] = (uint8_t)(v >> 16);
		o[6] = (uint8_t)(v >> 8);
		o[7] = (uint8_t)v;
		o[8] = (uint8_t)(rcv->tsval >> 24);
		o[9] = (uint8_t)(rcv->tsval >> 16);
		o[10] = (uint8_t)(rcv->tsval >> 8);
		o[11] = (uint8_t)rcv->tsval;
		k.optlen = at + 12;
	}
	memset(payload, 'X', sizeof(payload));
	k.payload = payload;
	k.paylen = g->paylen;
	k.bad_tcp_csum = g->bad_csum;
	k.bad_ip_csum = g->bad_ip_csum;
	k.ip_ext = g->ip_ext ? (c->family == 6 ? 8 : 4) : 0;
	k.len_delta = g->len_lie == 1 ? 4 : g->len_lie == 2 ? -4 : 0;
	k.ttl = INJECT_TTL;
	k.nvlan = g->nvlan;
	k.vlan[0] = 100;
	k.vlan[1] = 200;
	k.ip_id = (uint16_t)rnd();
	n = craft_build(&k, out[0], CRAFT_FRAME_MAX);
	if (!n)
		return 0;
	len[0] = n;
	if (g->frag && craft_fragment(&k, out[0], n, g->frag, out, len) == 2)
		return 2;
	return 1;
}

static void describe(FILE *f, const struct fseg *g)
{
	int i;

	fprintf(f, "%s flags=0x%02x seq=nxt%+lld ack=peer_nxt%+lld win=%u paylen=%u opts=",
		g->reflected ? "reflected(server->client)" : "spoofed(client->server)", g->flags,
		(long long)g->seq_off, (long long)g->ack_off, g->win, g->paylen);
	for (i = 0; i < g->optlen; i++)
		fprintf(f, "%02x", g->opt[i]);
	if (!g->optlen)
		fprintf(f, "-");
	if (g->ts_mode)
		fprintf(f, " +timestamps(%s)", g->ts_mode == 1 ? "fresh" : g->ts_mode == 2 ? "old" : "random");
	if (g->bad_csum)
		fprintf(f, " bad-tcp-csum");
	if (g->bad_ip_csum)
		fprintf(f, " bad-ipv4-csum");
	if (g->ip_ext)
		fprintf(f, " ip-options/hop-by-hop");
	if (g->len_lie)
		fprintf(f, " ip-length%s", g->len_lie == 1 ? "+4" : "-4");
	if (g->frag)
		fprintf(f, " fragments(first %u bytes of TCP)", g->frag);
	if (g->nvlan)
		fprintf(f, " vlan-tags=%u", g->nvlan);
}

/* ---------------------------------------------------------------- oracle */

struct ts_view {
	char client[64], server[64], cst[24], sst[24];
};
static struct ts_view *view;
static int nview, capview;

static int oracle_read(void)
{
	char line[8192];
	FILE *p;

	nview = 0;
	p = popen(opt.oracle, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		struct json_object *o = json_tokener_parse(line), *v;
		struct ts_view *t;

		if (!o)
			continue;
		if (nview == capview) {
			capview = capview ? capview * 2 : 256;
			view = realloc(view, sizeof(*view) * (size_t)capview);
			if (!view)
				die("out of memory\n");
		}
		t = &view[nview];
		memset(t, 0, sizeof(*t));
		if (json_object_object_get_ex(o, "client", &v))
			snprintf(t->client, sizeof(t->client), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "server", &v))
			snprintf(t->server, sizeof(t->server), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "client_state", &v))
			snprintf(t->cst, sizeof(t->cst), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "server_state", &v))
			snprintf(t->sst, sizeof(t->sst), "%s", json_object_get_string(v));
		json_object_put(o);
		nview++;
	}
	return pclose(p) == 0 ? 0 : -1;
}

static const struct ts_view *oracle_find(const struct conn *c)
{
	int i;

	for (i = 0; i < nview; i++)
		if (!strcmp(view[i].client, c->cstr) && !strcmp(view[i].server, c->sstr))
			return &view[i];
	return NULL;
}

/* ---------------------------------------------------------------- verdicts */

enum verdict { V_OK, V_DISAGREE, V_STALL, V_RECYCLE };

struct judged {
	enum verdict v;
	char why[512];
	char symptom[128]; /* the four states: one reproducer per symptom */
};

/* wait until the data written on connection `only` (-1: every live one) is
 * read and acknowledged, or the deadline */
static void quiesce(int only, double secs)
{
	double end = craft_now() + secs;
	int i, busy;

	do {
		busy = 0;
		usleep(2000);
		for (i = 0; i < (int)opt.nconns; i++) {
			struct conn *c = &conns[i];

			if (!c->live || (only >= 0 && i != only))
				continue;
			pump_read(c);
			if (tcp_pending(c->cfd) || tcp_pending(c->sfd) || c->cr < c->sw || c->sr < c->cw)
				busy = 1;
		}
	} while (busy && craft_now() < end);
	usleep(20000); /* the last ACKs cross the hooks */
}

/*
 * Does the server's kernel hold a request socket (SYN_RECV) for c's tuple?
 * A spoofed SYN on a tuple whose connection the attack already closed
 * makes one, and tcpsentry tracks it (server SYN_RCVD); the fuzzer's own
 * server socket, closed, cannot show it (TCP_INFO), the kernel's socket
 * table can (ss, in the server's namespace).
 */
static unsigned long long n_request_agree; /* judgements that found one */
static int server_request(const struct conn *c)
{
	char cmd[512], line[256];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd),
		 "nsenter --net=/run/netns/%s ss -Htn state syn-recv "
		 "'( sport = :%u and dport = :%u )' dst '%s%s%s' 2>/dev/null",
		 opt.sns, opt.port, c->cport, c->family == 6 ? "[" : "",
		 c->family == 6 ? opt.c6 : opt.c4, c->family == 6 ? "]" : "");
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		n++;
	pclose(p);
	return n > 0;
}

static void judge(struct conn *c, struct judged *j)
{
	int kc = tcp_state(c->cfd), ks = tcp_state(c->sfd);
	const struct ts_view *t = oracle_find(c);
	const char *tc = t ? t->cst : "ABSENT", *ts = t ? t->sst : "ABSENT";
	int server_ok;

	/* the fuzzer's server socket is gone; a spoofed SYN on the tuple
	 * since made a half-open request: that is the kernel's state */
	if (ks == 7 && server_request(c)) {
		ks = 3; /* TCP_SYN_RECV */
		n_request_agree++;
	}
	server_ok = !strcmp(kname(ks), ts);
	int client_judged = ks == 1; /* TCP_ESTABLISHED */
	int client_ok = !client_judged || !strcmp(kname(kc), tc);

	if (!t && strcmp(kname(ks), "ESTABLISHED") && strcmp(kname(kc), "ESTABLISHED"))
		server_ok = client_ok = 1; /* both gone: a forgotten flow is fine */

	snprintf(j->why, sizeof(j->why),
		 "%s -> %s: kernel client %s server %s; tcpsentry client %s server %s; data c>s %llu/%llu s>c %llu/%llu",
		 c->cstr, c->sstr, kname(kc), kname(ks), tc, ts, c->sr, c->cw, c->cr, c->sw);
	snprintf(j->symptom, sizeof(j->symptom), "%s/%s vs %s/%s%s", kname(kc), kname(ks), tc, ts,
		 c->tiny_frag ? " (after a tiny IPv4 fragment)" : "");
	if (!server_ok || !client_ok) {
		j->v = V_DISAGREE;
		return;
	}
	if (c->sr > c->cw || c->cr > c->sw) {
		j->v = V_RECYCLE; /* the kernel took injected data */
		return;
	}
	if (kc != 1 || ks != 1) {
		j->v = V_RECYCLE; /* the attack closed it, as the kernels agree */
		return;
	}
	j->v = (c->sr < c->cw || c->cr < c->sw) ? V_STALL : V_OK;
}

/* ---------------------------------------------------------------- main loop */

static struct craft_tx *tx;
static unsigned long long total_segs, total_frames, n_disagree, n_stall, n_recycled, n_minimised;
static unsigned n_repro;
static char symptoms[64][128];
static unsigned long long symptom_n[64];
static unsigned nsymptoms;

/* count a symptom; 1 the first time it is seen (then it gets a reproducer) */
static int new_symptom(const char *sym)
{
	unsigned k;

	for (k = 0; k < nsymptoms; k++)
		if (!strcmp(symptoms[k], sym)) {
			symptom_n[k]++;
			return 0;
		}
	if (nsymptoms < 64) {
		symptom_n[nsymptoms] = 1;
		snprintf(symptoms[nsymptoms++], sizeof(symptoms[0]), "%s", sym);
	}
	return 1;
}
static unsigned long long seed;

static void inject(struct conn *c, const struct fseg *g)
{
	uint8_t f[2][CRAFT_FRAME_MAX];
	size_t len[2];
	int n = build(g, c, f, len), k;

	for (k = 0; k < n; k++) {
		memcpy(f[k] + 6, tx->mac, 6);
		craft_tx_add(tx, f[k], len[k]);
		total_frames++;
	}
	if (c->nlog < SEG_LOG_MAX)
		c->log[c->nlog] = *g;
	c->nlog++;
	if (n == 2 && c->family == 4 && g->frag < 20 && (g->flags & 0x07))
		c->tiny_frag++;
}

/* one fresh connection in slot i (same family), primed with data both ways */
static int fresh(int i, int family)
{
	struct conn *c = &conns[i];
	struct fseg *log = c->log;

	sniff_drain(); /* room for this connection's frames */
	if (conn_open(i, family)) {
		fprintf(stderr, "fuzz_datapath: slot %d: cannot connect (%s)\n", i, strerror(errno));
		c->log = log;
		return -1;
	}
	c->log = log;
	pump_write(c);
	quiesce(i, 1.0);
	sniff_drain();
	if (c->dir[0].valid && c->dir[1].valid)
		return 0;
	fprintf(stderr, "fuzz_datapath: slot %d: the sniffer saw no segment of %s both ways\n", i,
		c->cstr);
	return -1;
}

/* replay segs[0..n) into a fresh connection in slot i; 1 if it ends in a
 * disagreement (j filled) */
static int replay(int i, int family, const struct fseg *segs, unsigned n, struct judged *j)
{
	struct conn *c = &conns[i];
	double end;
	unsigned k;

	conn_close(c);
	if (fresh(i, family))
		return 0;
	c->nlog = 0;
	c->tiny_frag = 0;
	for (k = 0; k < n; k++) {
		inject(c, &segs[k]);
		craft_tx_flush(tx);
		usleep(200);
		sniff_drain(); /* the next segment is relative to what this one did */
	}
	pump_write(c);
	quiesce(i, opt.settle);
	end = craft_now() + opt.settle;
	do {
		oracle_read();
		judge(c, j);
		if (j->v != V_DISAGREE)
			return 0;
		usleep(100000);
	} while (craft_now() < end);
	return 1;
}

/* a reproducer (batch 0), or the whole batch that ended in the
 * disagreement it reproduces (batch 1: what the minimised one came from,
 * read when a replay on a fresh connection finds another disagreement) */
static void save_repro(const struct conn *orig, const struct judged *j, const struct fseg *segs,
		       unsigned n, const char *how, int batch)
{
	char path[512];
	FILE *f;
	unsigned k, id = batch ? n_repro + 1 : ++n_repro;

	snprintf(path, sizeof(path), "%s/%s-%u.txt", opt.repro, batch ? "batch" : "repro", id);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "# fuzz_datapath %s %u (%s)\n# seed %llu\n# %s\n",
		batch ? "batch of reproducer" : "reproducer", id, how, seed, j->why);
	fprintf(f, "# segments into one live %s connection, in order; seq/ack relative to the\n"
		   "# sender's / receiver's next sequence number as the sniffer saw it\n",
		orig->family == 6 ? "IPv6" : "IPv4");
	for (k = 0; k < n; k++) {
		uint8_t fr[2][CRAFT_FRAME_MAX];
		size_t len[2];
		int m = build(&segs[k], orig, fr, len), q;
		size_t b;

		fprintf(f, "seg %u: ", k + 1);
		describe(f, &segs[k]);
		fprintf(f, "\n");
		for (q = 0; q < m; q++) {
			fprintf(f, "  frame%s ", m > 1 ? (q ? "(2nd fragment)" : "(1st fragment)") : "");
			for (b = 14 + 4 * (size_t)segs[k].nvlan; b < len[q]; b++)
				fprintf(f, "%02x", fr[q][b]);
			fprintf(f, "\n");
		}
	}
	fclose(f);
	if (!batch)
		printf("reproducer %s: %s\n", path, j->why);
}

/* a disagreement: minimise it on fresh connections in slot i, save it */
static void minimise(int i, const struct judged *first)
{
	struct conn *c = &conns[i];
	unsigned n = c->nlog < SEG_LOG_MAX ? c->nlog : SEG_LOG_MAX, k;
	struct fseg *segs = malloc(sizeof(*segs) * (n ? n : 1));
	struct conn orig = *c;
	struct judged j;
	int family = c->family;

	if (!segs)
		return;
	memcpy(segs, c->log, sizeof(*segs) * n);
	n_minimised++;
	save_repro(&orig, first, segs, n, "every segment of the batch, as sent", 1);
	for (k = 0; k < n; k++) {
		if (replay(i, family, &segs[k], 1, &j)) {
			save_repro(&conns[i], &j, &segs[k], 1, "one segment alone reproduces it", 0);
			goto out;
		}
	}
	if (n && replay(i, family, segs, n, &j)) {
		struct judged jr = j;
		unsigned chunk, at, budget = 60;

		/* drop chunks of the sequence while it still reproduces:
		 * halves, then quarters, ... then single segments */
		for (chunk = n / 2; chunk >= 1 && budget; chunk /= 2) {
			for (at = 0; at + chunk <= n && budget && n > 1;) {
				struct fseg *t = malloc(sizeof(*t) * n);
				unsigned m = 0, q;

				if (!t)
					break;
				for (q = 0; q < n; q++)
					if (q < at || q >= at + chunk)
						t[m++] = segs[q];
				budget--;
				if (m && replay(i, family, t, m, &j)) {
					memcpy(segs, t, sizeof(*t) * m);
					n = m;
					jr = j;
				} else {
					at += chunk;
				}
				free(t);
			}
		}
		save_repro(&conns[i], &jr, segs, n, budget ? "the sequence, reduced" :
			   "the sequence, partly reduced (replay budget spent)", 0);
	} else {
		save_repro(&orig, first, segs, n, "not reproduced on a fresh connection: timing?", 0);
	}
out:
	free(segs);
	conn_close(&conns[i]);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz_datapath --client-ns NS --server-ns NS --client-if IF --server-mac MAC\n"
		"         --c4 A --s4 A --c6 A --s6 A --oracle CMD [--port P] [--conns N]\n"
		"         [--segments N] [--batch N] [--seconds S] [--settle S] [--seed N]\n"
		"         [--repro DIR] [--max-repro N] [--exclude-flags FSRPAUEC] [--no-fragments]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	enum { O_CNS = 256, O_SNS, O_CIF, O_SMAC, O_C4, O_S4, O_C6, O_S6, O_ORACLE, O_PORT,
	       O_CONNS, O_SEGS, O_BATCH, O_SECS, O_SETTLE, O_SEED, O_REPRO, O_MAXREPRO, O_EXFLAGS,
	       O_NOFRAG };
	static const struct option lo[] = {
		{ "client-ns", required_argument, NULL, O_CNS },
		{ "server-ns", required_argument, NULL, O_SNS },
		{ "client-if", required_argument, NULL, O_CIF },
		{ "server-mac", required_argument, NULL, O_SMAC },
		{ "c4", required_argument, NULL, O_C4 }, { "s4", required_argument, NULL, O_S4 },
		{ "c6", required_argument, NULL, O_C6 }, { "s6", required_argument, NULL, O_S6 },
		{ "oracle", required_argument, NULL, O_ORACLE },
		{ "port", required_argument, NULL, O_PORT },
		{ "conns", required_argument, NULL, O_CONNS },
		{ "segments", required_argument, NULL, O_SEGS },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "seconds", required_argument, NULL, O_SECS },
		{ "settle", required_argument, NULL, O_SETTLE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "repro", required_argument, NULL, O_REPRO },
		{ "max-repro", required_argument, NULL, O_MAXREPRO },
		{ "exclude-flags", required_argument, NULL, O_EXFLAGS },
		{ "no-fragments", no_argument, NULL, O_NOFRAG },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case O_CNS: opt.cns = optarg; break;
		case O_SNS: opt.sns = optarg; break;
		case O_CIF: opt.cif = optarg; break;
		case O_SMAC: if (craft_mac(optarg, opt.smac)) usage(); break;
		case O_C4: snprintf(opt.c4, sizeof(opt.c4), "%s", optarg); break;
		case O_S4: snprintf(opt.s4, sizeof(opt.s4), "%s", optarg); break;
		case O_C6: snprintf(opt.c6, sizeof(opt.c6), "%s", optarg); break;
		case O_S6: snprintf(opt.s6, sizeof(opt.s6), "%s", optarg); break;
		case O_ORACLE: opt.oracle = optarg; break;
		case O_PORT: opt.port = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_CONNS: opt.nconns = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_SEGS: opt.segments = strtoull(optarg, NULL, 0); break;
		case O_BATCH: opt.batch = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_SECS: opt.seconds = strtod(optarg, NULL); break;
		case O_SETTLE: opt.settle = strtod(optarg, NULL); break;
		case O_SEED:
			rng = strtoull(optarg, NULL, 0);
			if (!(rng & 1))
				fprintf(stderr, "fuzz_datapath: seeds are odd: %llu runs as %llu\n",
					(unsigned long long)rng, (unsigned long long)(rng | 1));
			rng |= 1;
			break;
		case O_REPRO: opt.repro = optarg; break;
		case O_MAXREPRO: opt.max_repro = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_NOFRAG: opt.no_frag = 1; break;
		case O_EXFLAGS:
			o = craft_flags(optarg);
			if (o < 0)
				usage();
			opt.exclude = (uint8_t)o;
			break;
		default: usage();
		}
	}
	if (optind != argc || !opt.cns || !opt.sns || !opt.cif || !opt.oracle || !opt.c4[0] ||
	    !opt.s4[0] || !opt.c6[0] || !opt.s6[0] || opt.nconns < 2 || opt.nconns > MAX_CONNS ||
	    !opt.batch || opt.batch > MAX_BATCH || !opt.port || opt.port > 65535)
		usage();
	if (craft_addr(opt.c4, ca4) != 4 || craft_addr(opt.s4, sa4) != 4 ||
	    craft_addr(opt.c6, ca6) != 6 || craft_addr(opt.s6, sa6) != 6 ||
	    !craft_in_lab(4, ca4) || !craft_in_lab(4, sa4) || !craft_in_lab(6, ca6) ||
	    !craft_in_lab(6, sa6)) {
		fprintf(stderr, "fuzz_datapath: lab addresses only (198.18.0.0/15, 2001:db8::/32)\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	double t0, last_report;
	unsigned long long batches = 0;
	int i;

	rng ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	parse_args(argc, argv);
	seed = rng;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cns_fd = ns_fd(opt.cns);
	sns_fd = ns_fd(opt.sns);
	lfd4 = listener(4, opt.s4);
	lfd6 = listener(6, opt.s6);
	sniff_open();
	enter(cns_fd);
	tx = calloc(1, sizeof(*tx));
	if (!tx || craft_tx_open(tx, opt.cif))
		die("cannot send on %s\n", opt.cif);
	/* straight to the driver: faster, and the sniffer does not see ours */
	i = 1;
	setsockopt(tx->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &i, sizeof(i));
	for (i = 0; i < (int)opt.nconns; i++) {
		conns[i].log = calloc(SEG_LOG_MAX, sizeof(struct fseg));
		if (!conns[i].log || fresh(i, i & 1 ? 6 : 4))
			die("cannot open connection %d\n", i);
	}
	printf("seed %llu: %u connections (%s:%u, %s:%u), %llu segments in batches of %u\n",
	       seed, opt.nconns, opt.s4, opt.port, opt.s6, opt.port, opt.segments, opt.batch);
	t0 = last_report = craft_now();
	while (total_segs < opt.segments && craft_now() - t0 < opt.seconds) {
		unsigned b, n = opt.batch;

		if (opt.segments - total_segs < n)
			n = (unsigned)(opt.segments - total_segs);
		sniff_drain();
		for (i = 0; i < (int)opt.nconns; i++) {
			conns[i].nlog = 0;
			conns[i].tiny_frag = 0;
			if (conns[i].live)
				pump_write(&conns[i]);
		}
		for (b = 0; b < n; b++) {
			struct conn *c = &conns[pick(opt.nconns)];
			struct fseg g;

			if (!c->live || !c->dir[0].valid || !c->dir[1].valid)
				continue;
			pick_segment(&g);
			inject(c, &g);
			total_segs++;
			if (b == n / 2) {
				craft_tx_flush(tx);
				for (i = 0; i < (int)opt.nconns; i++)
					if (conns[i].live)
						pump_write(&conns[i]);
			}
		}
		craft_tx_flush(tx);
		batches++;
		quiesce(-1, opt.settle);
		sniff_drain();
		/* judge, retrying disagreements for the settle time */
		{
			struct judged j[MAX_CONNS];
			double end = craft_now() + opt.settle;
			int again;

			do {
				again = 0;
				if (oracle_read())
					die("the oracle failed: %s\n", opt.oracle);
				for (i = 0; i < (int)opt.nconns; i++) {
					if (!conns[i].live)
						continue;
					pump_read(&conns[i]);
					judge(&conns[i], &j[i]);
					again |= j[i].v == V_DISAGREE || j[i].v == V_STALL;
				}
				if (again)
					usleep(100000);
			} while (again && craft_now() < end);
			for (i = 0; i < (int)opt.nconns; i++) {
				if (!conns[i].live)
					continue;
				switch (j[i].v) {
				case V_OK:
					continue;
				case V_DISAGREE:
					n_disagree++;
					printf("disagreement after batch %llu: %s%s\n", batches, j[i].why,
					       conns[i].tiny_frag ? " (after a SYN/FIN/RST in a tiny IPv4 fragment)" : "");
					if (new_symptom(j[i].symptom) && n_repro < opt.max_repro)
						minimise(i, &j[i]);
					break;
				case V_STALL:
					n_stall++;
					printf("stall after batch %llu: %s\n", batches, j[i].why);
					break;
				case V_RECYCLE:
					n_recycled++;
					break;
				}
				conn_close(&conns[i]);
				if (fresh(i, conns[i].family ? conns[i].family : 4))
					die("cannot replace connection %d\n", i);
			}
		}
		if (craft_now() - last_report >= 10) {
			last_report = craft_now();
			printf("progress: %llu segments, %llu batches, %.0f s, %llu disagreements, %llu stalls\n",
			       total_segs, batches, last_report - t0, n_disagree, n_stall);
		}
	}
	{
		double el = craft_now() - t0;

		printf("segments %llu, frames %llu, batches %llu, seconds %.1f (%.0f segments/s), "
		       "disagreements %llu, stalls %llu, connections replaced %llu, reproducers %u\n",
		       total_segs, total_frames, batches, el, el > 0 ? (double)total_segs / el : 0,
		       n_disagree, n_stall, n_recycled, n_repro);
		if (n_request_agree)
			printf("half-open requests the kernel held on a closed tuple (ss, SYN_RECV), "
			       "judged as the server's state: %llu judgements\n", n_request_agree);
		/* by symptom (kernel client/server vs tcpsentry client/server) */
		for (i = 0; i < (int)nsymptoms; i++)
			printf("symptom %s: %llu\n", symptoms[i], symptom_n[i]);
	}
	return n_disagree || n_stall ? 1 : 0;
}
