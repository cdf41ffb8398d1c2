// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `tcpsentry policy ...`: show, set, load, the allow and deny lists, bans.
 * Every argument (KEY=VALUE, CIDR, file) is checked before anything is
 * written; one bad one rejects the whole command (exit 2, the problem
 * named) and the policy in force is unchanged. Changes reach the datapath
 * atomically (policy_store.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cmds.h"
#include "format.h"
#include "log.h"
#include "opts.h"
#include "pins.h"
#include "policy_file.h"
#include "policy_store.h"

struct policy_opts {
	struct ts_read_opts read;
	__u64 ttl;      /* seconds; 0: none given */
};

static const struct ts_opt policy_options[] = {
	TS_OPT_GROUP_OF(ts_read_options, struct policy_opts, read),
	TS_OPT("ttl", 't', TS_OPT_U64, struct policy_opts, ttl, .arg = "S", .min = 1,
	       .max = 31536000, .unit = "seconds", .help = "deny add: the entry expires after S"),
	{}
};

static void print_keys(FILE *out)
{
	fputs("\nkeys:\n", out);
	ts_policy_print_keys(out);
}

static const struct ts_cmd policy_cmd = {
	.name = "policy",
	.args = "show|set|load|allow|deny|bans|keys ...",
	.max_args = -1,
	.doc = "  tcpsentry policy show [-j] [--iface IF]\n"
	       "  tcpsentry policy set KEY=VALUE [KEY=VALUE...] [--iface IF]\n"
	       "  tcpsentry policy load FILE [--iface IF]\n"
	       "  tcpsentry policy allow add|del CIDR [--iface IF]\n"
	       "  tcpsentry policy deny add|del CIDR [--ttl SECONDS] [--iface IF]\n"
	       "  tcpsentry policy bans [-j] [--iface IF]\n"
	       "  tcpsentry policy keys\n"
	       "Policy applies to every attached interface of the namespace unless --iface\n"
	       "names one. A change is whole or nothing, and atomic for the datapath.\n",
	.opts = policy_options,
	.defaults = &(const struct policy_opts){},
	.size = sizeof(struct policy_opts),
	.more = print_keys,
};

/* whole seconds left until a CLOCK_MONOTONIC expiry */
static unsigned long long secs_left(__u64 expires, __u64 now)
{
	return expires > now ? (expires - now + 999999999ull) / 1000000000ull : 0;
}

static void show_lists(const struct ts_att *a, int json)
{
	struct ts_list_entry *v = NULL;
	size_t n = 0, i, shown = 0;
	__u64 now = ts_now_ns();
	char buf[64];
	int l;

	for (l = TS_LIST_ALLOW; l <= TS_LIST_DENY; l++) {
		const char *name = l == TS_LIST_ALLOW ? "allow" : "deny";

		if (ts_list_read(a, (enum ts_list)l, &v, &n))
			n = 0;
		if (json)
			printf(",\"%s\":[", name);
		else
			printf("  %s:\n", name);
		for (i = 0, shown = 0; i < n; i++) {
			const struct ts_list_entry *e = &v[i];

			if (e->val.reason) /* a ban: `policy bans` shows those */
				continue;
			ts_cidr_format(buf, sizeof(buf), &e->cidr);
			if (json) {
				printf("%s{\"cidr\":\"%s\"", shown ? "," : "", buf);
				if (e->val.expires_ns)
					printf(",\"seconds_left\":%llu", secs_left(e->val.expires_ns, now));
				printf("}");
			} else if (e->val.expires_ns) {
				printf("    %-43s ttl %llus left\n", buf, secs_left(e->val.expires_ns, now));
			} else {
				printf("    %s\n", buf);
			}
			shown++;
		}
		if (json)
			printf("]");
		else if (!shown)
			printf("    (empty)\n");
		free(v);
		v = NULL;
	}
}

static int show(const struct ts_att *a, int json)
{
	struct ts_policy p;
	int e = ts_policy_read(a, &p);

	if (e) {
		err("cannot read the policy of %s: %s\n", a->ifname, strerror(-e));
		return 1;
	}
	if (json) {
		printf("{\"iface\":\"");
		ts_json_str(stdout, a->ifname);
		printf("\",");
		ts_policy_print(stdout, &p, 1);
		show_lists(a, 1);
		printf("}\n");
	} else {
		printf("%s:\n", a->ifname);
		ts_policy_print(stdout, &p, 0);
		show_lists(a, 0);
	}
	return 0;
}

static int bans(const struct ts_att *a, int json)
{
	struct ts_list_entry *v = NULL;
	__u64 now = ts_now_ns();
	size_t n = 0, i;
	char buf[64];
	int e = ts_bans_read(a, &v, &n);

	if (e) {
		err("cannot read the bans of %s: %s\n", a->ifname, strerror(-e));
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct ts_list_entry *b = &v[i];
		const char *why = ts_anomaly_name(b->val.reason);

		if (!b->val.reason || (b->val.expires_ns && b->val.expires_ns <= now))
			continue;
		ts_fmt_ip(buf, sizeof(buf), b->cidr.addr, b->cidr.family); /* a ban: one address */
		if (json) {
			printf("{\"iface\":\"");
			ts_json_str(stdout, a->ifname);
			printf("\",\"source\":\"%s\",\"reason\":\"%s\",\"seconds_left\":%llu}\n", buf,
			       why ? why : "?", secs_left(b->val.expires_ns, now));
		} else {
			printf("%-12s %-40s %-22s %llus\n", a->ifname, buf, why ? why : "?",
			       secs_left(b->val.expires_ns, now));
		}
	}
	free(v);
	return 0;
}

/* the parsed command, checked whole before any attachment is touched */
struct req {
	const char *sub;
	char **pairs;          /* set: KEY=VALUE ... */
	int npairs;
	enum ts_list list;     /* allow/deny */
	int add;               /* allow/deny: add (1) or del (0) */
	struct ts_cidr cidr;
	__u32 ttl;
	struct ts_policy_doc doc; /* load */
	const char *file;
};

static int apply_pairs(struct ts_policy *p, char **pairs, int n)
{
	char err[256], key[128];
	int i;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(pairs[i], '=');
		size_t kl = eq ? (size_t)(eq - pairs[i]) : 0;

		if (!eq || !kl || kl >= sizeof(key))
			return ts_usage_error("policy set", "'%s' is not KEY=VALUE", pairs[i]);
		memcpy(key, pairs[i], kl);
		key[kl] = 0;
		if (ts_policy_set(p, key, eq + 1, err, sizeof(err)))
			return ts_usage_error("policy set", "%s", err);
	}
	return 0;
}

/* e: -errno; returns 1, the exit status */
static int change_failed(const struct ts_att *a, int e)
{
	err("cannot change the policy of %s: %s%s\n", a->ifname, strerror(-e),
	    e == -ENOMEM || e == -E2BIG || e == -ENOSPC ? " (list full)" : "");
	return 1;
}

/* set, allow, deny: a change under the attachment's policy lock */
static int edit(const struct ts_att *a, struct req *r)
{
	struct ts_policy p;
	char buf[64];
	int lock, e = 0, rc = 0;

	lock = ts_policy_lock(a);
	if (lock < 0) {
		err("cannot lock the policy of %s: %s\n", a->ifname, strerror(errno));
		return 1;
	}
	if (!strcmp(r->sub, "set")) {
		e = ts_policy_read(a, &p);
		if (!e && apply_pairs(&p, r->pairs, r->npairs) == 0)
			e = ts_policy_commit(a, &p);
	} else if (r->add) {
		e = ts_list_add(a, r->list, &r->cidr, r->ttl);
	} else {
		e = ts_list_del(a, r->list, &r->cidr);
		if (e == -ENOENT) {
			err("%s is not in the %s list of %s\n", ts_cidr_format(buf, sizeof(buf), &r->cidr),
			    r->list == TS_LIST_ALLOW ? "allow" : "deny", a->ifname);
			rc = 1;
			e = 0;
		}
	}
	ts_policy_unlock(lock);
	return e ? change_failed(a, e) : rc;
}

static int run_one(const struct ts_att *a, struct req *r, int json)
{
	int e;

	if (!strcmp(r->sub, "show"))
		return show(a, json);
	if (!strcmp(r->sub, "bans"))
		return bans(a, json);
	if (strcmp(r->sub, "load"))
		return edit(a, r);
	e = ts_policy_put_doc(a, &r->doc);
	if (e)
		return change_failed(a, e);
	ts_policy_print_put(stdout, a->ifname, r->file, &r->doc);
	return 0;
}

/* check the command line whole; 0 or an exit status */
static int parse_req(struct req *r, int argc, char **argv, int optind_, __u64 ttl)
{
	char err[512];
	const char *sub = r->sub;

	if (!strcmp(sub, "show") || !strcmp(sub, "bans")) {
		if (optind_ < argc)
			return ts_usage_error("policy", "unexpected argument '%s'", argv[optind_]);
	} else if (!strcmp(sub, "set")) {
		struct ts_policy scratch;

		if (optind_ >= argc)
			return ts_usage_error("policy set", "missing KEY=VALUE");
		r->pairs = &argv[optind_];
		r->npairs = argc - optind_;
		ts_policy_defaults(&scratch);
		if (apply_pairs(&scratch, r->pairs, r->npairs))
			return 2;
	} else if (!strcmp(sub, "load")) {
		if (optind_ + 1 != argc)
			return ts_usage_error("policy load", "want exactly one FILE");
		r->file = argv[optind_];
		if (ts_policy_doc_load(r->file, &r->doc, err, sizeof(err))) {
			fprintf(stderr, "tcpsentry policy load: %s\n", err);
			fprintf(stderr, "the policy in force is unchanged\n");
			return 2;
		}
	} else if (!strcmp(sub, "allow") || !strcmp(sub, "deny")) {
		r->list = !strcmp(sub, "allow") ? TS_LIST_ALLOW : TS_LIST_DENY;
		if (optind_ + 2 != argc)
			return ts_usage_error("policy", "want: policy %s add|del CIDR", sub);
		if (!strcmp(argv[optind_], "add"))
			r->add = 1;
		else if (strcmp(argv[optind_], "del"))
			return ts_usage_error("policy", "'%s': want add or del", argv[optind_]);
		if (ts_cidr_parse(argv[optind_ + 1], &r->cidr, err, sizeof(err)))
			return ts_usage_error("policy", "%s", err);
		if (ttl && (r->list != TS_LIST_DENY || !r->add))
			return ts_usage_error("policy", "--ttl goes with 'deny add' only");
		r->ttl = (__u32)ttl;
	} else {
		return ts_usage_error("policy", "unknown policy command '%s'", sub);
	}
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct policy_opts o;
	struct req r = {};
	int first, n, i, rc;

	/* getopt permutes: options may stand anywhere, and the subcommand
	 * and its arguments are left in order from first */
	rc = ts_opts_parse(&policy_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	if (first >= argc)
		return ts_usage_error("policy", "missing show, set, load, allow, deny, bans or keys");
	r.sub = argv[first++];
	if (!strcmp(r.sub, "keys")) {
		ts_opts_help(stdout, &policy_cmd);
		return 0;
	}
	rc = parse_req(&r, argc, argv, first, o.ttl);
	if (rc)
		return rc;
	n = ts_att_open_all(o.read.iface, atts, TS_ATT_MAX);
	if (n == 0)
		err("nothing is attached in this network namespace\n");
	for (i = 0, rc = n > 0 ? 0 : 1; i < n; i++) {
		if (atts[i].policy_fd < 0) {
			err("cannot open the policy pins of %s: %s\n", atts[i].ifname,
			    strerror(ENOENT));
			rc = 1;
		} else if (run_one(&atts[i], &r, o.read.json)) {
			rc = 1;
		}
	}
	if (n > 0)
		ts_att_close_all(atts, n);
	ts_policy_doc_free(&r.doc);
	return rc;
}
