// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* segspray: send crafted TCP segments out of an interface (AF_PACKET), for
 * the attack tests of the e2e lab (tests/e2e/attacks/).
 *
 *   segspray -i IFACE --dst-mac MAC --src ADDR[/BITS] --dst ADDR [options]
 *
 * What each segment is:
 *   --src ADDR[/BITS]   source address; with /BITS, a random one inside the
 *                       prefix per source (see --per-src)
 *   --dst ADDR          destination
 *   --sport N|rand      source port (default rand, per source)
 *   --dport N[-M]       destination port, or a range walked per source
 *   --flags LETTERS     F S R P A U E C (default S)
 *   --seq N|rand        sequence number (default rand)
 *   --ack N|rand        ack number (default 0, rand: random per segment)
 *   --win N             window (default 64240)
 *   --opts HEX          raw TCP option bytes, e.g. "020305 01" (MSS length 3, NOP)
 *   --len N             payload bytes (zeros)
 *   --bad-csum          TCP checksum off by one (the kernel discards it)
 *   --vlan TCI          an 802.1Q tag (twice: 802.1ad outer, 802.1Q inner)
 *   --frag N            send as two IP fragments, N bytes of TCP in the first
 *   --frag-part P       with --frag: send both (default), or only the first
 *                       or the last fragment ("first", "last")
 *   --ip-id N           IPv4 ID of the first segment, one more for each next
 *                       one (default: a random one per segment)
 *   --sniff MS          first wait up to MS ms for a segment DST:DPORT ->
 *                       SRC:SPORT on IFACE; then seq = its ack + --seq-add
 *                       and ack = its seq + its length + --ack-add (an exact
 *                       in-window segment from SRC's side)
 *   --seq-add N, --ack-add N   offsets for --sniff (default 0)
 * How many and how fast:
 *   --count N           segments (default 1, at most 50,000,000)
 *   --per-src N         segments per source before the next (default 1):
 *                       with a --dport range, a scan of N ports per source
 *   --rate PPS          best effort (default 0: as fast as it goes)
 *   --seconds S         time bound (default 10, at most 60)
 *   --seed N            random seed (default: the time)
 *
 * Lab use only: every address must be inside 198.18.0.0/15 or
 * 2001:db8::/32. Prints "sent N frames in S s: R frames/s" (and, with
 * --sniff, "sniffed seq S ack A" first). Exit 0 ok, 1 failure, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "craft.h"

#define MAX_COUNT 50000000ULL
#define MAX_SECONDS 60.0

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) { return craft_rand(&rng_state); }

struct spray {
	const char *ifname;
	struct craft c;
	uint8_t src_base[16];
	int src_bits;          /* prefix length; -1: one fixed address */
	int sport_rand, seq_rand, ack_rand;
	unsigned dport_lo, dport_hi;
	int have_dmac, frag;
	int frag_part;         /* with frag: 0 both, 1 the first only, 2 the last only */
	int ip_id;             /* -1: random per segment */
	long sniff_ms;
	long long seq_add, ack_add;
	unsigned long long count, per_src;
	double rate, seconds;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: segspray -i IFACE --dst-mac MAC --src ADDR[/BITS] --dst ADDR\n"
		"       [--sport N|rand] [--dport N[-M]] [--flags FSRPAUEC] [--seq N|rand]\n"
		"       [--ack N|rand] [--win N] [--opts HEX] [--len N] [--bad-csum]\n"
		"       [--vlan TCI]... [--frag N] [--frag-part first|last] [--ip-id N]\n"
		"       [--sniff MS] [--seq-add N] [--ack-add N]\n"
		"       [--count N] [--per-src N] [--rate PPS] [--seconds S] [--seed N]\n");
	exit(2);
}

static unsigned long long num(const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max) {
		fprintf(stderr, "segspray: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* a fresh source: random inside the prefix (the network bits kept) */
static void next_source(struct spray *sp)
{
	int alen = sp->c.family == 6 ? 16 : 4, i;

	memcpy(sp->c.saddr, sp->src_base, 16);
	if (sp->src_bits >= 0) {
		for (i = 0; i < alen; i++) {
			int keep = sp->src_bits - i * 8;
			uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

			sp->c.saddr[i] = (uint8_t)((sp->src_base[i] & mask) | ((uint8_t)rnd() & ~mask));
		}
	}
	if (sp->sport_rand)
		sp->c.sport = (uint16_t)(1024 + rnd() % 64000);
}

/* wait for DST:DPORT -> SRC:SPORT; set seq and ack from it */
static int sniff(struct spray *sp)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	double deadline = craft_now() + (double)sp->sniff_ms / 1000.0;
	uint8_t f[CRAFT_FRAME_MAX * 32];
	struct craft_seen s;
	int alen = sp->c.family == 6 ? 16 : 4;

	if (fd < 0) {
		perror("segspray: sniff socket");
		return -1;
	}
	sll.sll_ifindex = (int)if_nametoindex(sp->ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("segspray: sniff bind");
		close(fd);
		return -1;
	}
	printf("sniffing\n");
	fflush(stdout);
	while (!stop && craft_now() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, f, sizeof(f), MSG_TRUNC);
		if (n <= 0)
			continue;
		if ((size_t)n > sizeof(f))
			n = (ssize_t)sizeof(f);
		if (!craft_parse(f, (size_t)n, &s, NULL) || s.family != sp->c.family ||
		    memcmp(s.saddr, sp->c.daddr, (size_t)alen) ||
		    memcmp(s.daddr, sp->c.saddr, (size_t)alen) || s.sport != sp->dport_lo ||
		    s.dport != sp->c.sport || !(s.flags & 0x10))
			continue;
		sp->c.seq = s.ack + (uint32_t)sp->seq_add;
		sp->c.ack = s.seq + s.paylen + ((s.flags & 0x03) ? 1 : 0) + (uint32_t)sp->ack_add;
		printf("sniffed seq %u ack %u\n", sp->c.seq, sp->c.ack);
		close(fd);
		return 0;
	}
	fprintf(stderr, "segspray: no segment of the tuple within %ld ms\n", sp->sniff_ms);
	close(fd);
	return -1;
}

static void parse_args(struct spray *sp, int argc, char **argv)
{
	enum { O_DMAC = 256, O_SRC, O_DST, O_SPORT, O_DPORT, O_FLAGS, O_SEQ, O_ACK, O_WIN,
	       O_OPTS, O_LEN, O_BAD, O_VLAN, O_FRAG, O_SNIFF, O_SEQADD, O_ACKADD, O_COUNT,
	       O_PERSRC, O_RATE, O_SECS, O_SEED, O_FRAGPART, O_IPID };
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' }, { "dst-mac", required_argument, NULL, O_DMAC },
		{ "src", required_argument, NULL, O_SRC }, { "dst", required_argument, NULL, O_DST },
		{ "sport", required_argument, NULL, O_SPORT }, { "dport", required_argument, NULL, O_DPORT },
		{ "flags", required_argument, NULL, O_FLAGS }, { "seq", required_argument, NULL, O_SEQ },
		{ "ack", required_argument, NULL, O_ACK }, { "win", required_argument, NULL, O_WIN },
		{ "opts", required_argument, NULL, O_OPTS }, { "len", required_argument, NULL, O_LEN },
		{ "bad-csum", no_argument, NULL, O_BAD }, { "vlan", required_argument, NULL, O_VLAN },
		{ "frag", required_argument, NULL, O_FRAG }, { "sniff", required_argument, NULL, O_SNIFF },
		{ "seq-add", required_argument, NULL, O_SEQADD },
		{ "ack-add", required_argument, NULL, O_ACKADD },
		{ "count", required_argument, NULL, O_COUNT },
		{ "per-src", required_argument, NULL, O_PERSRC },
		{ "rate", required_argument, NULL, O_RATE }, { "seconds", required_argument, NULL, O_SECS },
		{ "seed", required_argument, NULL, O_SEED }, { "help", no_argument, NULL, 'h' },
		{ "frag-part", required_argument, NULL, O_FRAGPART },
		{ "ip-id", required_argument, NULL, O_IPID },
		{ NULL, 0, NULL, 0 },
	};
	int o, fam_src = 0, fam_dst = 0, f;
	char *slash;

	while ((o = getopt_long(argc, argv, "i:h", lo, NULL)) != -1) {
		switch (o) {
		case 'i': sp->ifname = optarg; break;
		case O_DMAC:
			if (craft_mac(optarg, sp->c.dmac))
				usage();
			sp->have_dmac = 1;
			break;
		case O_SRC:
			slash = strchr(optarg, '/');
			if (slash) {
				*slash = 0;
				sp->src_bits = (int)num(slash + 1, 128);
			}
			fam_src = craft_addr(optarg, sp->src_base);
			break;
		case O_DST: fam_dst = craft_addr(optarg, sp->c.daddr); break;
		case O_SPORT:
			sp->sport_rand = !strcmp(optarg, "rand");
			if (!sp->sport_rand)
				sp->c.sport = (uint16_t)num(optarg, 65535);
			break;
		case O_DPORT:
			slash = strchr(optarg, '-');
			if (slash)
				*slash = 0;
			sp->dport_lo = (unsigned)num(optarg, 65535);
			sp->dport_hi = slash ? (unsigned)num(slash + 1, 65535) : sp->dport_lo;
			if (sp->dport_hi < sp->dport_lo)
				usage();
			break;
		case O_FLAGS:
			f = craft_flags(optarg);
			if (f < 0)
				usage();
			sp->c.flags = (uint8_t)f;
			break;
		case O_SEQ:
			sp->seq_rand = !strcmp(optarg, "rand");
			if (!sp->seq_rand)
				sp->c.seq = (uint32_t)num(optarg, 0xffffffffull);
			break;
		case O_ACK:
			sp->ack_rand = !strcmp(optarg, "rand");
			if (!sp->ack_rand)
				sp->c.ack = (uint32_t)num(optarg, 0xffffffffull);
			break;
		case O_WIN: sp->c.win = (uint16_t)num(optarg, 65535); break;
		case O_OPTS:
			sp->c.optlen = craft_hex(optarg, sp->c.opt, 40);
			if (sp->c.optlen < 0)
				usage();
			break;
		case O_LEN: sp->c.paylen = (int)num(optarg, 1400); break;
		case O_BAD: sp->c.bad_tcp_csum = 1; break;
		case O_VLAN:
			if (sp->c.nvlan == 2)
				usage();
			sp->c.vlan[sp->c.nvlan++] = (uint16_t)num(optarg, 4095);
			break;
		case O_FRAG: sp->frag = (int)num(optarg, 1400); break;
		case O_FRAGPART:
			if (!strcmp(optarg, "first"))
				sp->frag_part = 1;
			else if (!strcmp(optarg, "last"))
				sp->frag_part = 2;
			else if (strcmp(optarg, "both"))
				usage();
			break;
		case O_IPID: sp->ip_id = (int)num(optarg, 65535); break;
		case O_SNIFF: sp->sniff_ms = (long)num(optarg, 60000); break;
		case O_SEQADD: sp->seq_add = strtoll(optarg, NULL, 0); break;
		case O_ACKADD: sp->ack_add = strtoll(optarg, NULL, 0); break;
		case O_COUNT: sp->count = num(optarg, MAX_COUNT); break;
		case O_PERSRC: sp->per_src = num(optarg, MAX_COUNT); break;
		case O_RATE: sp->rate = (double)num(optarg, 100000000); break;
		case O_SECS: sp->seconds = (double)num(optarg, (unsigned long long)MAX_SECONDS); break;
		case O_SEED: rng_state = num(optarg, ~0ull) | 1; break;
		default: usage();
		}
	}
	if (optind != argc || !sp->ifname || !sp->have_dmac || !fam_src || fam_src != fam_dst ||
	    !sp->count || !sp->per_src)
		usage();
	sp->c.family = fam_src;
	if (!craft_in_lab(fam_src, sp->src_base) || !craft_in_lab(fam_dst, sp->c.daddr) ||
	    (sp->src_bits >= 0 && sp->src_bits < (fam_src == 6 ? 32 : 15))) {
		fprintf(stderr, "segspray: lab use only: addresses inside 198.18.0.0/15 or 2001:db8::/32\n");
		exit(2);
	}
	if (sp->frag_part && !sp->frag) {
		fprintf(stderr, "segspray: --frag-part wants --frag\n");
		exit(2);
	}
	if (sp->sniff_ms && (sp->sport_rand || sp->src_bits >= 0 || sp->dport_hi != sp->dport_lo)) {
		fprintf(stderr, "segspray: --sniff wants one tuple (fixed --src, --sport, --dport)\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct spray sp = {
		.src_bits = -1, .sport_rand = 1, .seq_rand = 1, .count = 1, .per_src = 1, .ip_id = -1,
		.seconds = 10, .c = { .flags = 0x02, .win = 64240 },
	};
	uint8_t frame[CRAFT_FRAME_MAX], frags[2][CRAFT_FRAME_MAX];
	size_t len, flen[2];
	struct craft_tx *tx;
	unsigned long long i;
	unsigned dport;
	double t0, t1;
	int e;

	rng_state ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	parse_args(&sp, argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	tx = calloc(1, sizeof(*tx));
	if (!tx || craft_tx_open(tx, sp.ifname))
		return 1;
	memcpy(sp.c.smac, tx->mac, 6);
	next_source(&sp);
	if (sp.sniff_ms && sniff(&sp))
		return 1;
	t0 = craft_now();
	dport = sp.dport_lo;
	for (i = 0; i < sp.count && !stop; i++) {
		if (i && i % sp.per_src == 0) {
			next_source(&sp);
			dport = sp.dport_lo;
		}
		sp.c.dport = (uint16_t)dport;
		if (++dport > sp.dport_hi)
			dport = sp.dport_lo;
		if (sp.seq_rand && !sp.sniff_ms)
			sp.c.seq = (uint32_t)rnd();
		if (sp.ack_rand)
			sp.c.ack = (uint32_t)rnd();
		/* an IPv4 ID of its own per segment: fragments of two runs
		 * must not meet in the receiver's reassembly queue (an overlap
		 * there drops both) */
		sp.c.ip_id = sp.ip_id < 0 ? (uint16_t)rnd() : (uint16_t)(sp.ip_id + i);
		len = craft_build(&sp.c, frame, sizeof(frame));
		if (!len) {
			fprintf(stderr, "segspray: the segment does not fit a frame\n");
			return 2;
		}
		if (sp.frag && craft_fragment(&sp.c, frame, len, sp.frag, frags, flen) == 2) {
			e = sp.frag_part == 2 ? 0 : craft_tx_add(tx, frags[0], flen[0]);
			if (!e && sp.frag_part != 1)
				e = craft_tx_add(tx, frags[1], flen[1]);
		} else {
			e = craft_tx_add(tx, frame, len);
		}
		if (e) {
			fprintf(stderr, "segspray: send: %s\n", strerror(-e));
			return 1;
		}
		if ((i & 63) == 63) {
			double el = craft_now() - t0;

			if (el >= sp.seconds)
				break;
			if (sp.rate > 0 && (double)(i + 1) > sp.rate * el) {
				craft_tx_flush(tx);
				usleep((useconds_t)(((double)(i + 1) / sp.rate - el) * 1e6));
			}
		}
	}
	craft_tx_flush(tx);
	t1 = craft_now() - t0;
	printf("sent %llu frames in %.2f s: %.0f frames/s\n", tx->sent, t1,
	       t1 > 0 ? (double)tx->sent / t1 : 0.0);
	craft_tx_close(tx);
	free(tx);
	return 0;
}
