/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * craft: build whole Ethernet frames carrying one TCP segment, exactly as
 * asked (flags, sequence and ack numbers, raw option bytes, payload, good or
 * bad checksums, IPv4 options or an IPv6 hop-by-hop header, 802.1Q tags),
 * split them into IP fragments, and send them out of an interface with
 * AF_PACKET. For the attack tools of the e2e lab (tools/segspray.c,
 * tools/fuzz_datapath.c): nothing here checks that a frame is sane, on
 * purpose.
 */
#ifndef TCPSENTRY_TOOLS_CRAFT_H
#define TCPSENTRY_TOOLS_CRAFT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CRAFT_FRAME_MAX 2048
#define CRAFT_TX_BATCH 64

struct craft {
	int family;             /* 4 or 6 */
	uint8_t smac[6], dmac[6];
	uint16_t vlan[2];       /* TCIs, outermost first */
	int nvlan;
	uint8_t saddr[16], daddr[16]; /* IPv4: the first 4 bytes */
	uint16_t sport, dport;  /* host order */
	uint32_t seq, ack;
	uint8_t flags;          /* TCP flag byte */
	uint16_t win;
	uint8_t opt[40];        /* raw option bytes */
	int optlen;             /* padded with EOL up to a multiple of 4 */
	const uint8_t *payload; /* NULL: paylen zero bytes */
	int paylen;
	int bad_tcp_csum;       /* TCP checksum off by one */
	int bad_ip_csum;        /* IPv4 header checksum off by one */
	int ip_ext;             /* IPv4: bytes of NOP options (multiple of 4, at most 40);
				 * IPv6: bytes of a hop-by-hop header of PadN (multiple of 8) */
	int len_delta;          /* added to IPv4 tot_len / IPv6 payload_len (a lie) */
	uint8_t ttl;            /* 0: 64 */
	uint16_t ip_id;
};

/* the frame of c into buf; its length, or 0 if it does not fit */
size_t craft_build(const struct craft *c, uint8_t *buf, size_t cap);

/*
 * Split a frame craft_build made from c into IP fragments: the first
 * carries `first` bytes of what follows the IP header (rounded down to a
 * multiple of 8, at least 8), the second the rest. Returns the number of
 * frames written (2), or 0 if the frame is too short to split.
 */
int craft_fragment(const struct craft *c, const uint8_t *frame, size_t len, int first,
		   uint8_t out[2][CRAFT_FRAME_MAX], size_t outlen[2]);

/* "198.18.0.1" or "2001:db8::1" into 16 bytes; returns the family (4, 6) or 0 */
int craft_addr(const char *s, uint8_t a[16]);
/* "aa:bb:cc:dd:ee:ff"; 0 on success */
int craft_mac(const char *s, uint8_t m[6]);
/* flag letters (F S R P A U E C, any order) into the flag byte; -1 on a bad letter */
int craft_flags(const char *s);
/* hex digits (blanks allowed) into at most 40 option bytes; the count, or -1 */
int craft_hex(const char *s, uint8_t *out, int cap);
/* 1 if the address is one the lab may use: 198.18.0.0/15, 2001:db8::/32 */
int craft_in_lab(int family, const uint8_t a[16]);

/* batched AF_PACKET transmission out of one interface */
struct craft_tx {
	int fd;
	int ifindex;
	uint8_t mac[6];         /* the interface's own address */
	int n;
	unsigned long long sent;
	struct mmsghdr msg[CRAFT_TX_BATCH];
	struct iovec iov[CRAFT_TX_BATCH];
	uint8_t buf[CRAFT_TX_BATCH][CRAFT_FRAME_MAX];
};

/* -errno on failure (message printed) */
int craft_tx_open(struct craft_tx *t, const char *ifname);
/* queue a frame (sent when the batch is full) */
int craft_tx_add(struct craft_tx *t, const uint8_t *frame, size_t len);
int craft_tx_flush(struct craft_tx *t);
void craft_tx_close(struct craft_tx *t);

/* a TCP segment seen on the wire, for the tools that sniff */
struct craft_seen {
	int family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint32_t paylen;
	uint32_t tsval;         /* the timestamps option's TSval, 0 without one */
};

/* parse a received frame (VLAN tags skipped); 1 if it is TCP. ttl: its
 * IPv4 TTL or IPv6 hop limit, if not NULL */
int craft_parse(const uint8_t *f, size_t len, struct craft_seen *s, uint8_t *ttl);

/* xorshift64*: fast, seeded, reproducible; state never 0 */
uint64_t craft_rand(uint64_t *state);
/* CLOCK_MONOTONIC in seconds */
double craft_now(void);

#endif /* TCPSENTRY_TOOLS_CRAFT_H */
