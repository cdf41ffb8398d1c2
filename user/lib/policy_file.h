/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Policy files (`policy load FILE`, `attach --policy FILE`): an INI file
 * parsed into a validated document, applying nothing. The format is in
 * README ("policy file"). Pure (no BPF): the CLI, the unit tests and the
 * fuzz target share it.
 */
#ifndef TCPSENTRY_POLICY_FILE_H
#define TCPSENTRY_POLICY_FILE_H

#include <stddef.h>
#include "policy_keys.h"

#define TS_POLICY_FILE_MAX_BYTES (16u << 20) /* a larger file is refused */
#define TS_POLICY_FILE_MAX_LINE 4096         /* bytes per line, without the newline */
#define TS_POLICY_FILE_MAX_ENTRIES 1000000   /* allow + deny entries */
#define TS_POLICY_FILE_MAX_TTL 31536000      /* a deny entry's ttl: 1 s to 365 days */

struct ts_policy_doc {
	struct ts_policy pol;          /* ts_policy_defaults() + the file's settings */
	struct ts_cidr *allow;         /* in file order, no duplicates */
	size_t n_allow;
	struct ts_cidr *deny;          /* ts_cidr.ttl from an optional ttl=, else 0 */
	size_t n_deny;
};

/*
 * Parse `len` bytes of `buf` (need not be NUL-terminated; may hold any
 * bytes). `name` names the file in messages. Returns 0 and fills *doc
 * (free it with ts_policy_doc_free), or -1 with "NAME:LINE: problem" in err
 * ("NAME: problem" for the whole file: empty, too large) and *doc not
 * written: any error rejects the whole file.
 */
int ts_policy_doc_parse(const char *buf, size_t len, const char *name, struct ts_policy_doc *doc,
			char *err, size_t errlen);

/* Read `path` (at most TS_POLICY_FILE_MAX_BYTES) and parse it; messages
 * name the path. Same contract as ts_policy_doc_parse. */
int ts_policy_doc_load(const char *path, struct ts_policy_doc *doc, char *err, size_t errlen);

/* Free the lists and zero *doc. Safe on a zeroed doc. */
void ts_policy_doc_free(struct ts_policy_doc *doc);

#endif /* TCPSENTRY_POLICY_FILE_H */
