/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Number and name parsers for the command line: errno reset, whole-string
 * match, range checked. Each returns 0 or -1 and writes *out only on 0. */
#ifndef TCPSENTRY_ARGS_H
#define TCPSENTRY_ARGS_H

#include <linux/types.h>

int ts_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out);
/* 1..65535 */
int ts_parse_port(const char *s, __u16 *out);
/* an interface name that fits IFNAMSIZ and has no '/' or whitespace */
int ts_valid_ifname(const char *s);

#endif /* TCPSENTRY_ARGS_H */
