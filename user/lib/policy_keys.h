/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The policy keys: names, ranges and defaults of struct ts_policy's
 * settable fields, and the CIDR syntax of the allow/deny lists. Pure (no
 * BPF, no I/O but the FILE * given): `policy set`, `policy load`, the unit
 * tests and the fuzz target share it.
 */
#ifndef TCPSENTRY_POLICY_KEYS_H
#define TCPSENTRY_POLICY_KEYS_H

#include <stdio.h>
#include <stddef.h>
#include <tcpsentry/abi.h>

/* The policy in force after attach: observe mode, the detection defaults,
 * the enforce-mode actions of the policy issue (drop bad_flags, rst_no_conn,
 * rst_out_of_window, ack_no_conn during an ack_flood; ban port_scan). */
void ts_policy_defaults(struct ts_policy *p);

/* Set KEY to VALUE in *p. On error returns -1, leaves *p as it was and
 * writes a message naming the problem (no file or line: the caller adds
 * them) to err. */
int ts_policy_set(struct ts_policy *p, const char *key, const char *value, char *err,
		  size_t errlen);

/* 1 if KEY names a policy key (valid or not, before its value is read) */
int ts_policy_is_key(const char *key);

/* Every key with its value: text (one "key value" line each, indented) or
 * one JSON object body (no braces: "key":value,...). */
void ts_policy_print(FILE *out, const struct ts_policy *p, int json);

/* The `policy keys` listing: key, meaning, values. */
void ts_policy_print_keys(FILE *out);

/* One allow/deny entry. */
struct ts_cidr {
	__u8 addr[16];      /* v4-mapped for IPv4; host bits cleared */
	__u8 plen;          /* prefix length in the 128-bit space (IPv4 /n: 96 + n) */
	__u8 family;        /* 4 or 6 */
	__u8 pad[2];
	__u32 ttl;          /* seconds, 0: none (deny only) */
};

/* "198.18.0.0/15", "2001:db8::/32", or an address alone (a host route).
 * Host bits set past the prefix are an error (a typo more often than not).
 * Returns 0, or -1 with a message in err. */
int ts_cidr_parse(const char *s, struct ts_cidr *out, char *err, size_t errlen);
/* "198.18.0.0/15" / "2001:db8::/32" */
char *ts_cidr_format(char *buf, size_t n, const struct ts_cidr *c);

#endif /* TCPSENTRY_POLICY_KEYS_H */
