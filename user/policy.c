// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `tcpsentry policy ...`: show, set, load, the allow and deny lists, bans.
 * Every argument (KEY=VALUE, CIDR, file) is checked before anything is
 * written; one bad one rejects the whole command (exit 2, the problem
 * named) and the policy in force is unchanged. Changes reach the datapath
 * atomically (policy_store.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "log.h"
#include "pins.h"
#include "policy_file.h"
#include "policy_store.h"

#define MAX_IFACES 64

static int usage(void)
{
	printf("usage: tcpsentry policy show [-j] [--iface IF]\n"
	       "       tcpsentry policy set KEY=VALUE [KEY=VALUE...] [--iface IF]\n"
	       "       tcpsentry policy load FILE [--iface IF]\n"
	       "       tcpsentry policy allow add|del CIDR [--iface IF]\n"
	       "       tcpsentry policy deny add|del CIDR [--ttl SECONDS] [--iface IF]\n"
	       "       tcpsentry policy bans [-j] [--iface IF]\n"
	       "       tcpsentry policy keys\n"
	       "Policy applies to every attached interface of the namespace unless --iface\n"
	       "names one. A change is whole or nothing, and atomic for the datapath.\n"
	       "keys:\n");
	ts_policy_print_keys(stdout);
	return 0;
}

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
	int e = ts_list_read(a, TS_LIST_DENY, &v, &n);

	if (e) {
		err("cannot read the deny list of %s: %s\n", a->ifname, strerror(-e));
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct ts_list_entry *b = &v[i];
		const char *why = ts_anomaly_name(b->val.reason);

		if (!b->val.reason || (b->val.expires_ns && b->val.expires_ns <= now))
			continue;
		ts_cidr_format(buf, sizeof(buf), &b->cidr);
		*strchr(buf, '/') = 0; /* a ban is one address */
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

/* the lock is held */
static int replace_doc(const struct ts_att *a, const struct ts_policy_doc *doc, const char *file)
{
	int e = ts_policy_replace(a, &doc->pol, doc->allow, doc->n_allow, doc->deny, doc->n_deny);

	if (!e)
		printf("%s: policy from %s in force (%zu allow, %zu deny entries)\n", a->ifname, file,
		       doc->n_allow, doc->n_deny);
	return e;
}

int ts_policy_apply_doc(const char *ifname, const struct ts_policy_doc *doc, const char *file)
{
	struct ts_att a;
	int e = ts_att_open(&a, ifname), lock;

	if (e || a.policy_fd < 0) {
		err("cannot open the policy pins of %s: %s\n", ifname, strerror(e ? -e : ENOENT));
		return 1;
	}
	lock = ts_policy_lock(&a);
	e = lock < 0 ? -errno : replace_doc(&a, doc, file);
	ts_policy_unlock(lock);
	ts_att_close(&a);
	if (e) {
		err("cannot put %s in force on %s: %s\n", file, ifname, strerror(-e));
		return 1;
	}
	return 0;
}

int ts_policy_load_file(const char *path, const char *iface)
{
	struct ts_policy_doc doc;
	char names[MAX_IFACES][16], msg[512];
	int n, i, rc = 0;

	if (ts_policy_doc_load(path, &doc, msg, sizeof(msg))) {
		fprintf(stderr, "tcpsentry policy load: %s\n", msg);
		fprintf(stderr, "the policy in force is unchanged\n");
		return 2;
	}
	n = ts_select_ifaces(iface, names, MAX_IFACES);
	if (n == 0)
		err("nothing is attached in this network namespace\n");
	for (i = 0; i < n; i++)
		if (ts_policy_apply_doc(names[i], &doc, path))
			rc = 1;
	ts_policy_doc_free(&doc);
	return n <= 0 ? 1 : rc;
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

static int run_one(const struct ts_att *a, struct req *r, int json)
{
	struct ts_policy p;
	char buf[64];
	int lock, e = 0, rc = 0;

	if (!strcmp(r->sub, "show"))
		return show(a, json);
	if (!strcmp(r->sub, "bans"))
		return bans(a, json);
	lock = ts_policy_lock(a);
	if (lock < 0) {
		err("cannot lock the policy of %s: %s\n", a->ifname, strerror(errno));
		return 1;
	}
	if (!strcmp(r->sub, "set")) {
		e = ts_policy_read(a, &p);
		if (!e && apply_pairs(&p, r->pairs, r->npairs) == 0)
			e = ts_policy_commit(a, &p);
	} else if (!strcmp(r->sub, "load")) {
		e = replace_doc(a, &r->doc, r->file);
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
	if (e) {
		err("cannot change the policy of %s: %s%s\n", a->ifname, strerror(-e),
		    e == -ENOMEM || e == -E2BIG || e == -ENOSPC ? " (list full)" : "");
		rc = 1;
	}
	ts_policy_unlock(lock);
	return rc;
}

/* check the command line whole; 0 or an exit status */
static int parse_req(struct req *r, int argc, char **argv, int optind_, long ttl)
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
		if (ttl >= 0 && (r->list != TS_LIST_DENY || !r->add))
			return ts_usage_error("policy", "--ttl goes with 'deny add' only");
		r->ttl = ttl > 0 ? (__u32)ttl : 0;
	} else {
		return ts_usage_error("policy", "unknown policy command '%s'", sub);
	}
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "iface", required_argument, NULL, 'i' },
		{ "ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *iface = NULL;
	char names[MAX_IFACES][16];
	struct req r = {};
	int json = 0, c, n, i, rc = 0;
	long ttl = -1;
	__u64 v;

	/* one pass: getopt permutes, so options may stand anywhere and the
	 * subcommand and its arguments are left in order after optind */
	while ((c = getopt_long(argc, argv, "ji:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i': iface = optarg; break;
		case 't':
			if (ts_parse_u64(optarg, 1, 31536000, &v))
				return ts_usage_error("policy", "bad --ttl '%s' (1 to 31536000 seconds)",
						      optarg);
			ttl = (long)v;
			break;
		case 'h': return usage();
		default: return ts_usage_error("policy", NULL);
		}
	}
	if (optind >= argc)
		return ts_usage_error("policy", "missing show, set, load, allow, deny, bans or keys");
	r.sub = argv[optind++];
	if (!strcmp(r.sub, "keys"))
		return usage();
	rc = parse_req(&r, argc, argv, optind, ttl);
	if (rc)
		return rc;

	n = ts_select_ifaces(iface, names, MAX_IFACES);
	if (n <= 0) {
		if (n == 0)
			err("nothing is attached in this network namespace\n");
		ts_policy_doc_free(&r.doc);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct ts_att att;
		int e = ts_att_open(&att, names[i]);

		if (e || att.policy_fd < 0) {
			err("cannot open the policy pins of %s: %s\n", names[i],
			    strerror(e ? -e : ENOENT));
			rc = 1;
			continue;
		}
		if (run_one(&att, &r, json))
			rc = 1;
		ts_att_close(&att);
	}
	ts_policy_doc_free(&r.doc);
	return rc;
}
