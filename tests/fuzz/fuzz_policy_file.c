// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target of the policy file parser (`make fuzz`). Besides the
 * sanitizers' findings it traps when the parser's contract breaks: a
 * failure must leave the document unwritten and name the file; a success
 * must hold something, within the limits, every CIDR canonical.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "policy_file.h"

static void check_list(const struct ts_cidr *v, size_t n, int ttl_ok)
{
	size_t i;
	unsigned b;

	if (n && !v)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		const struct ts_cidr *c = &v[i];

		if ((c->family != 4 && c->family != 6) || c->plen > 128 ||
		    (c->family == 4 && c->plen < 96) || (!ttl_ok && c->ttl) ||
		    c->ttl > TS_POLICY_FILE_MAX_TTL)
			__builtin_trap();
		for (b = c->plen; b < 128; b++) /* host bits clear */
			if (c->addr[b / 8] & (0x80 >> (b % 8)))
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ts_policy_doc zero;
	struct ts_policy_doc doc = {};
	char err[256] = "";

	if (ts_policy_doc_parse((const char *)data, size, "fuzz", &doc, err, sizeof(err))) {
		if (memcmp(&doc, &zero, sizeof(doc)) || strncmp(err, "fuzz:", 5))
			__builtin_trap();
		return 0;
	}
	if (doc.n_allow + doc.n_deny > TS_POLICY_FILE_MAX_ENTRIES || doc.pol.mode > TS_MODE_ENFORCE)
		__builtin_trap();
	check_list(doc.allow, doc.n_allow, 0);
	check_list(doc.deny, doc.n_deny, 1);
	ts_policy_doc_free(&doc);
	return 0;
}
