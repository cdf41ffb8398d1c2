// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The policy keys: see policy_keys.h. One table drives set, show and keys. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tcpsentry/sketch.h>
#include "args.h"
#include "format.h"
#include "policy_keys.h"

enum key_type { K_U32, K_MODE, K_ACTION_PD, K_COOKIES, K_PORTS };

static const struct pkey {
	const char *key;
	enum key_type type;
	size_t off;          /* K_U32, K_ACTION_PD: field offset */
	__u64 min, max;      /* K_U32 */
	const char *what;
} keys[] = {
	{ "mode", K_MODE, 0, 0, 0, "observe (count would_drop, drop nothing) or enforce" },
	{ "ban_seconds", K_U32, offsetof(struct ts_policy, ban_seconds), 1, 604800,
	  "how long a ban lasts" },
	{ "syn.rate_per_source", K_U32, offsetof(struct ts_policy, syn_rate_per_source), 0,
	  100000000, "SYN/s one source may send, 0: no limit" },
	{ "syn.burst_per_source", K_U32, offsetof(struct ts_policy, syn_burst_per_source), 0,
	  1000000, "SYNs a source may send at once above its rate" },
	{ "syn.rate_per_port", K_U32, offsetof(struct ts_policy, syn_rate_per_port), 0, 100000000,
	  "SYN/s to one destination port, 0: no limit" },
	{ "syn_flood.rate", K_U32, offsetof(struct ts_policy, syn_flood_rate), 10, 100000000,
	  "SYN/s to one port (or host-wide) that makes a flood" },
	{ "syn_flood.complete_pct", K_U32, offsetof(struct ts_policy, syn_flood_complete_pct), 1,
	  100, "a flood completes fewer than this share of handshakes (%)" },
	{ "port_scan.ports", K_U32, offsetof(struct ts_policy, scan_ports), 2, 128,
	  "distinct ports from one source in 5 s that make a scan" },
	{ "backscatter.rate", K_U32, offsetof(struct ts_policy, backscatter_rate), 10, 100000000,
	  "RST/s this host sends to unknown peers that make a backscatter burst" },
	{ "ack_flood.rate", K_U32, offsetof(struct ts_policy, ack_flood_rate), 10, 100000000,
	  "ACK/s arriving for unknown connections that make an ACK flood" },
	{ "action.fragment", K_ACTION_PD, offsetof(struct ts_policy, action_fragment), 0, 0,
	  "non-first fragments of TCP (no TCP header to judge): pass or drop" },
	{ "action.unparsed", K_ACTION_PD, offsetof(struct ts_policy, action_unparsed), 0, 0,
	  "IPv6 extension chains longer than the parser follows: pass or drop" },
	{ "action.tiny_fragment", K_ACTION_PD, offsetof(struct ts_policy, action_tiny_fragment),
	  0, 0,
	  "first IP fragments too short for the TCP header (RFC 1858; the kernel would act on "
	  "flags no filter can read): drop (default) or pass" },
	{ "syn.cookies", K_COOKIES, 0, 0, 0,
	  "SYN cookies answered from XDP for syn.cookie_ports: off, auto (while a syn_flood "
	  "is on at the port) or on" },
	{ "syn.cookie_ports", K_PORTS, 0, 0, 0,
	  "the ports SYN cookies protect: up to 4, comma-separated (e.g. 80,443); empty: none" },
	/* action.<kind> for every kind: generated in find_key() */
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const action_names[] = { "pass", "drop", "ban" };

/* A ban names an address, so it needs proof the address is real: only
 * port_scan has one (the ACK of a probe cookie, bpf/track.h). Any other
 * kind's segment may be spoofed, and a ban there would hit bystanders;
 * kinds with no packet to act on take no action at all. */
static int action_max(unsigned kind)
{
	switch (kind) {
	case TS_A_HALF_OPEN_TIMEOUT: return TS_ACT_PASS; /* raised by the sweeper */
	case TS_A_PORT_SCAN: return TS_ACT_BAN;
	default: return TS_ACT_DROP;
	}
}

static void msg(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!err || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

void ts_policy_defaults(struct ts_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = TS_MODE_OBSERVE;
	p->ban_seconds = 300;
	p->syn_burst_per_source = 5;
	p->syn_flood_rate = TS_DEF_SYN_FLOOD_RATE;
	p->syn_flood_complete_pct = TS_DEF_SYN_FLOOD_COMPLETE_PCT;
	p->scan_ports = TS_DEF_SCAN_PORTS;
	p->backscatter_rate = TS_DEF_BACKSCATTER_RATE;
	p->ack_flood_rate = TS_DEF_ACK_FLOOD_RATE;
	p->action[TS_A_BAD_FLAGS] = TS_ACT_DROP;
	p->action[TS_A_RST_NO_CONN] = TS_ACT_DROP;
	p->action[TS_A_RST_OUT_OF_WINDOW] = TS_ACT_DROP;
	p->action[TS_A_ACK_NO_CONN] = TS_ACT_DROP;
	p->action[TS_A_PORT_SCAN] = TS_ACT_BAN;
	/* no stack sends them; a SYN, FIN or RST hidden in one moves the
	 * kernel and nothing else (SECURITY.md) */
	p->action_tiny_fragment = TS_ACT_DROP;
}

/* "action.<kind>" -> kind, or -1 */
static int action_kind(const char *key)
{
	unsigned k;

	if (strncmp(key, "action.", 7))
		return -1;
	for (k = 1; k < TS_A_MAX; k++) {
		const char *n = ts_anomaly_name(k);

		if (n && !strcmp(key + 7, n))
			return (int)k;
	}
	return -1;
}

static const struct pkey *find_key(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

int ts_policy_is_key(const char *key)
{
	return find_key(key) || action_kind(key) >= 0;
}

static const char *const cookies_names[] = { "off", "auto", "on" };

/* syn.cookie_ports: "80,443" (up to TS_COOKIE_PORTS, 1 to 65535, no
 * repeats), "" or "none" for none */
static int parse_ports(struct ts_policy *p, const char *key, const char *value, char *err,
		       size_t errlen)
{
	__u16 ports[TS_COOKIE_PORTS] = {};
	char buf[128], *tok, *save = NULL;
	unsigned n = 0, i;
	__u64 v;

	if (strlen(value) >= sizeof(buf)) {
		msg(err, errlen, "bad value for %s (too long)", key);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	if (strcmp(buf, "none")) {
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (ts_parse_u64(tok, 1, 65535, &v)) {
				msg(err, errlen, "bad port '%s' in %s (1 to 65535)", tok, key);
				return -1;
			}
			for (i = 0; i < n; i++)
				if (ports[i] == v) {
					msg(err, errlen, "port %llu twice in %s",
					    (unsigned long long)v, key);
					return -1;
				}
			if (n == TS_COOKIE_PORTS) {
				msg(err, errlen, "too many ports in %s (at most %d)", key,
				    TS_COOKIE_PORTS);
				return -1;
			}
			ports[n++] = (__u16)v;
		}
	}
	memcpy(p->cookie_ports, ports, sizeof(ports));
	p->cookie_nports = (__u8)n;
	return 0;
}

static int parse_action(const char *v, int max)
{
	int a;

	for (a = 0; a <= max; a++)
		if (!strcmp(v, action_names[a]))
			return a;
	return -1;
}

int ts_policy_set(struct ts_policy *p, const char *key, const char *value, char *err,
		  size_t errlen)
{
	const struct pkey *k = find_key(key);
	int kind = action_kind(key), a;
	__u64 v;

	if (!k && kind < 0) {
		msg(err, errlen, "unknown key '%s' (tcpsentry policy keys lists them)", key);
		return -1;
	}
	if (kind >= 0) {
		a = parse_action(value, action_max((unsigned)kind));
		if (a < 0) {
			msg(err, errlen, "bad value '%s' for %s (%s)", value, key,
			    action_max((unsigned)kind) == TS_ACT_BAN ? "pass, drop or ban" :
			    action_max((unsigned)kind) == TS_ACT_DROP ?
								  "pass or drop: a ban needs proof its source is real" :
								  "pass only: no packet to act on");
			return -1;
		}
		p->action[kind] = (__u8)a;
		return 0;
	}
	switch (k->type) {
	case K_MODE:
		if (!strcmp(value, "observe"))
			p->mode = TS_MODE_OBSERVE;
		else if (!strcmp(value, "enforce"))
			p->mode = TS_MODE_ENFORCE;
		else {
			msg(err, errlen, "bad value '%s' for mode (observe or enforce)", value);
			return -1;
		}
		return 0;
	case K_COOKIES:
		for (a = 0; a < 3; a++)
			if (!strcmp(value, cookies_names[a]))
				break;
		if (a == 3) {
			msg(err, errlen, "bad value '%s' for %s (off, auto or on)", value, key);
			return -1;
		}
		p->syn_cookies = (__u8)a;
		return 0;
	case K_PORTS:
		return parse_ports(p, key, value, err, errlen);
	case K_ACTION_PD:
		a = parse_action(value, TS_ACT_DROP);
		if (a < 0) {
			msg(err, errlen, "bad value '%s' for %s (pass or drop)", value, key);
			return -1;
		}
		*((__u8 *)p + k->off) = (__u8)a;
		return 0;
	case K_U32:
		if (ts_parse_u64(value, k->min, k->max, &v)) {
			msg(err, errlen, "bad value '%s' for %s (a whole number, %llu to %llu)", value,
			    key, (unsigned long long)k->min, (unsigned long long)k->max);
			return -1;
		}
		*(__u32 *)((char *)p + k->off) = (__u32)v;
		return 0;
	}
	return -1;
}

static void print_one(FILE *out, int json, int *first, const char *key, const char *sval,
		      unsigned long long nval)
{
	if (json) {
		fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
		if (sval)
			fprintf(out, "\"%s\"", sval);
		else
			fprintf(out, "%llu", nval);
	} else if (sval) {
		fprintf(out, "  %-28s %s\n", key, sval);
	} else {
		fprintf(out, "  %-28s %llu\n", key, nval);
	}
	*first = 0;
}

void ts_policy_print(FILE *out, const struct ts_policy *p, int json)
{
	int first = 1;
	unsigned k;
	size_t i;
	char name[48];

	for (i = 0; i < NKEYS; i++) {
		const struct pkey *q = &keys[i];
		__u8 a;

		switch (q->type) {
		case K_MODE:
			print_one(out, json, &first, q->key,
				  p->mode == TS_MODE_ENFORCE ? "enforce" : "observe", 0);
			break;
		case K_COOKIES:
			print_one(out, json, &first, q->key,
				  cookies_names[p->syn_cookies <= TS_COOKIES_ON ? p->syn_cookies : 0],
				  0);
			break;
		case K_PORTS: {
			char ports[TS_COOKIE_PORTS * 6 + 1] = "";
			size_t len = 0;
			unsigned j;

			for (j = 0; j < p->cookie_nports && j < TS_COOKIE_PORTS; j++)
				len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%u",
							j ? "," : "", p->cookie_ports[j]);
			print_one(out, json, &first, q->key, ports, 0);
			break;
		}
		case K_ACTION_PD:
			a = *((const __u8 *)p + q->off);
			print_one(out, json, &first, q->key, action_names[a <= TS_ACT_BAN ? a : 0],
				  0);
			break;
		case K_U32:
			print_one(out, json, &first, q->key, NULL,
				  *(const __u32 *)((const char *)p + q->off));
			break;
		}
	}
	for (k = 1; k < TS_A_MAX; k++) {
		const char *n = ts_anomaly_name(k);

		if (!n)
			continue;
		snprintf(name, sizeof(name), "action.%s", n);
		print_one(out, json, &first, name,
			  action_names[p->action[k] <= TS_ACT_BAN ? p->action[k] : 0], 0);
	}
}

void ts_policy_print_keys(FILE *out)
{
	unsigned k;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct pkey *q = &keys[i];

		if (q->type == K_U32)
			fprintf(out, "  %-28s %s (%llu to %llu)\n", q->key, q->what,
				(unsigned long long)q->min, (unsigned long long)q->max);
		else
			fprintf(out, "  %-28s %s\n", q->key, q->what);
	}
	for (k = 1; k < TS_A_MAX; k++) {
		const char *n = ts_anomaly_name(k);
		int m = action_max(k);

		if (!n)
			continue;
		fprintf(out, "  action.%-21s what enforce does to a %s segment: %s\n", n, n,
			m == TS_ACT_BAN ? "pass, drop or ban" : m == TS_ACT_DROP ? "pass or drop" :
										   "pass");
	}
}

int ts_cidr_parse(const char *s, struct ts_cidr *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	struct ts_cidr c = {};
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	__u64 plen;
	unsigned i, maxlen;

	if (alen == 0 || alen >= sizeof(buf)) {
		msg(err, errlen, "bad CIDR '%s' (want ADDRESS[/PREFIX])", s);
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET, buf, c.addr + 12) == 1) {
		c.family = 4;
		c.addr[10] = c.addr[11] = 0xff;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = 6;
		maxlen = 128;
	} else {
		msg(err, errlen, "bad CIDR '%s' ('%s' is not an IPv4 or IPv6 address)", s, buf);
		return -1;
	}
	plen = maxlen;
	if (slash && ts_parse_u64(slash + 1, 0, maxlen, &plen)) {
		msg(err, errlen, "bad CIDR '%s' (prefix length must be 0 to %u)", s, maxlen);
		return -1;
	}
	c.plen = (__u8)(plen + (c.family == 4 ? 96 : 0));
	for (i = c.plen; i < 128; i++) {
		if (c.addr[i / 8] & (0x80 >> (i % 8))) {
			msg(err, errlen, "bad CIDR '%s' (address bits set past the /%llu prefix)", s,
			    (unsigned long long)plen);
			return -1;
		}
	}
	*out = c;
	return 0;
}

char *ts_cidr_format(char *buf, size_t n, const struct ts_cidr *c)
{
	char a[INET6_ADDRSTRLEN];

	ts_fmt_ip(a, sizeof(a), c->addr, c->family);
	snprintf(buf, n, "%s/%u", a, c->family == 4 ? c->plen - 96u : c->plen);
	return buf;
}
