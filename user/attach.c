// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `attach` and `detach`: put the datapath on an interface (lib/loader.c),
 * with a policy file in force from the first packet, and take it off. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "args.h"
#include "cmds.h"
#include "loader.h"
#include "log.h"
#include "opts.h"
#include "pins.h"
#include "policy_file.h"
#include "policy_store.h"
#include "teardown.h"

struct attach_opts {
	struct ts_attach_opts attach;
	const char *policy;
};

static const struct ts_opt attach_options[] = {
	TS_OPT_GROUP_OF(ts_attach_options, struct attach_opts, attach),
	TS_OPT("policy", 0, TS_OPT_STR, struct attach_opts, policy, .arg = "FILE",
	       .help = "a policy file (see `tcpsentry policy`), checked whole before anything "
		       "is attached, in force from the first packet; the threshold options "
		       "above override its values"),
	{}
};

static const struct ts_cmd attach_cmd = {
	.name = "attach",
	.args = "IFACE",
	.min_args = 1,
	.max_args = 1,
	.doc = "Attach to IFACE: XDP on ingress, tc on egress. The pins under\n"
	       TS_PIN_ROOT " keep it attached after this command exits;\n"
	       "`detach` takes it off.\n",
	.opts = attach_options,
	.defaults = &(const struct attach_opts){ .attach = TS_ATTACH_DEFAULTS },
	.size = sizeof(struct attach_opts),
};

int cmd_attach(int argc, char **argv)
{
	struct ts_policy_doc doc = {};
	struct ts_attached made;
	struct attach_opts o;
	const char *ifname;
	char msg[512];
	int first, rc;

	rc = ts_opts_parse(&attach_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	ifname = argv[first];
	if (!ts_valid_ifname(ifname))
		return ts_usage_error("attach", "bad interface name '%s'", ifname);
	if (o.policy) {
		/* the whole file is checked before anything is attached */
		if (ts_policy_doc_load(o.policy, &doc, msg, sizeof(msg))) {
			fprintf(stderr, "tcpsentry attach: %s\n", msg);
			return 2;
		}
		ts_attach_thresholds(&o.attach, &doc.pol);
	}
	rc = ts_attach(ifname, &o.attach, o.policy ? &doc : NULL, &made);
	if (!rc)
		ts_print_attached(stdout, ifname, &made);
	if (!rc && o.policy)
		ts_policy_print_put(stdout, ifname, o.policy, &doc);
	ts_policy_doc_free(&doc);
	return rc;
}

static const struct ts_cmd detach_cmd = {
	.name = "detach",
	.args = "IFACE",
	.min_args = 1,
	.max_args = 1,
	.doc = "Remove the XDP program, the tc filters (and the clsact qdisc if attach made\n"
	       "it and no other tool's filter is on it) and every pin under\n"
	       TS_PIN_ROOT " of IFACE: only what that attachment made, by program\n"
	       "id, and nothing on an IFACE deleted and created again since (its pins\n"
	       "are stale: they are removed).\n",
	.opts = (const struct ts_opt[]){ {} },
	.defaults = &(const int){ 0 },
	.size = 0,
};

int cmd_detach(int argc, char **argv)
{
	struct ts_detached gone;
	int first, rc = ts_opts_parse(&detach_cmd, argc, argv, NULL, &first, stdout);

	if (rc != TS_OPTS_GO)
		return rc;
	if (!ts_valid_ifname(argv[first]))
		return ts_usage_error("detach", "bad interface name '%s'", argv[first]);
	rc = ts_detach(argv[first], &gone);
	if (!rc && gone.state == TS_ATT_LIVE)
		printf("detached from %s\n", argv[first]);
	else if (!rc)
		printf("removed the %s attachment of %s (%s)\n", ts_att_state_name(gone.state),
		       argv[first], gone.why);
	return rc;
}
