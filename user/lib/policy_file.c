// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The policy file parser: see policy_file.h, and README ("policy file")
 * for the format and for why this is a small line parser and not libinih.
 *
 * Two passes over the buffer: the first refuses anything that is not text
 * (a NUL, a control character, a byte that is not UTF-8), so a binary file
 * is always reported as such; the second reads line by line, stops at the
 * first error and names its line. Nothing reaches the caller's document
 * unless the whole file is good.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "args.h"
#include "policy_file.h"

enum section { SEC_TOP, SEC_POLICY, SEC_ALLOW, SEC_DENY };
enum { L_ALLOW, L_DENY };

static const char *const section_names[] = { "", "policy", "allow", "deny" };

struct list {
	struct ts_cidr *v;
	unsigned *line;      /* where each entry was read, for duplicate messages */
	size_t n, cap;
};

struct seen_key {
	char key[48];        /* every valid key is shorter */
	unsigned line;
};

struct parser {
	const char *name;
	unsigned line;       /* 1-based line being read */
	enum section sec;
	struct ts_policy pol;
	struct list l[2];    /* L_ALLOW, L_DENY */
	/* duplicate finder over both lists: open addressing, a slot holds
	 * (list << 31) | (index + 1), 0 is empty; hcap a power of two */
	__u32 *hash;
	size_t hcap;
	struct seen_key seen[64]; /* settings read so far */
	unsigned nseen;
	char *err;
	size_t errlen;
};

/* "NAME:LINE: problem" (line 0: the whole file, "NAME: problem") */
static int fail(struct parser *p, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen) {
		if (p->line)
			snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, m);
		else
			snprintf(p->err, p->errlen, "%s: %s", p->name, m);
	}
	return -1;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Pass 1: text only. Tab, LF, and CR before LF (or at the end) are the
 * only control characters a policy file holds. */
static int check_text(struct parser *p, const unsigned char *s, size_t n)
{
	size_t i = 0, col = 1, k;

	p->line = 1;
	while (i < n) {
		unsigned char c = s[i];

		if (c == '\n') {
			p->line++;
			col = 1;
			i++;
			continue;
		}
		if (c == 0)
			return fail(p, "binary content: a NUL byte at column %zu (a policy file is text)",
				    col);
		if ((c < 0x20 && c != '\t' && !(c == '\r' && (i + 1 == n || s[i + 1] == '\n'))) ||
		    c == 0x7f)
			return fail(p,
				    "binary content: control character 0x%02x at column %zu (a policy file is text)",
				    c, col);
		k = 1;
		if (c >= 0x80 && !(k = utf8_len(s + i, n - i)))
			return fail(p,
				    "binary content: byte 0x%02x at column %zu is not UTF-8 (a policy file is text)",
				    c, col);
		i += k;
		col++;
	}
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* trim blanks in place; returns the new start */
static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		s[--n] = 0;
	return s;
}

/* '#' or ';' at the start of a line or after a blank starts a comment */
static void cut_comment(char *s)
{
	char *c;

	for (c = s; *c; c++) {
		if ((*c == '#' || *c == ';') && (c == s || is_blank(c[-1]))) {
			*c = 0;
			return;
		}
	}
}

static __u32 hash_cidr(const struct ts_cidr *c, unsigned list)
{
	__u32 h = 2166136261u ^ list;
	unsigned i;

	for (i = 0; i < 16; i++)
		h = (h ^ c->addr[i]) * 16777619u;
	h = (h ^ c->plen) * 16777619u;
	return h ^ (h >> 15);
}

/* the slot holding an entry equal to c in list, or the empty slot where it goes */
static __u32 *hash_slot(struct parser *p, const struct ts_cidr *c, unsigned list)
{
	size_t mask = p->hcap - 1, i = hash_cidr(c, list) & mask;

	for (;; i = (i + 1) & mask) {
		__u32 s = p->hash[i];
		const struct ts_cidr *e;

		if (!s)
			return &p->hash[i];
		if ((s >> 31) != list)
			continue;
		e = &p->l[list].v[(s & 0x7fffffff) - 1];
		/* the trie's key: v4-mapped address and prefix length, so
		 * 1.2.3.4 and ::ffff:1.2.3.4 are one entry */
		if (e->plen == c->plen && !memcmp(e->addr, c->addr, 16))
			return &p->hash[i];
	}
}

static int hash_grow(struct parser *p)
{
	size_t ncap = p->hcap ? p->hcap * 2 : 1024, i, j;
	__u32 *old = p->hash;
	size_t ocap = p->hcap;

	p->hash = calloc(ncap, sizeof(*p->hash));
	if (!p->hash) {
		p->hash = old;
		return -1;
	}
	p->hcap = ncap;
	for (i = 0; i < ocap; i++) {
		__u32 s = old[i];

		if (!s)
			continue;
		j = hash_cidr(&p->l[s >> 31].v[(s & 0x7fffffff) - 1], s >> 31) & (ncap - 1);
		while (p->hash[j])
			j = (j + 1) & (ncap - 1);
		p->hash[j] = s;
	}
	free(old);
	return 0;
}

static int add_entry(struct parser *p, unsigned list, const struct ts_cidr *c)
{
	struct list *l = &p->l[list];
	char a[INET6_ADDRSTRLEN + 8];
	__u32 *slot;

	if (p->l[L_ALLOW].n + p->l[L_DENY].n >= TS_POLICY_FILE_MAX_ENTRIES)
		return fail(p, "too many list entries (at most %u in [allow] and [deny])",
			    TS_POLICY_FILE_MAX_ENTRIES);
	/* keep the table at most half full */
	if ((p->l[L_ALLOW].n + p->l[L_DENY].n + 1) * 2 > p->hcap && hash_grow(p))
		return fail(p, "out of memory");
	slot = hash_slot(p, c, list);
	if (*slot) {
		size_t first = (*slot & 0x7fffffff) - 1;

		return fail(p, "duplicate CIDR %s in [%s] (first on line %u)",
			    ts_cidr_format(a, sizeof(a), c), section_names[SEC_ALLOW + list],
			    l->line[first]);
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct ts_cidr *v = realloc(l->v, ncap * sizeof(*v));
		unsigned *ln;

		if (!v)
			return fail(p, "out of memory");
		l->v = v;
		ln = realloc(l->line, ncap * sizeof(*ln));
		if (!ln)
			return fail(p, "out of memory");
		l->line = ln;
		l->cap = ncap;
	}
	l->v[l->n] = *c;
	l->line[l->n] = p->line;
	l->n++;
	*slot = (list << 31) | (__u32)l->n;
	return 0;
}

/* [allow] / [deny]: cidr = ADDRESS[/PREFIX], and on deny lines [ttl=SECONDS] */
static int list_line(struct parser *p, const char *key, char *value)
{
	unsigned list = p->sec == SEC_ALLOW ? L_ALLOW : L_DENY;
	const char *want = list == L_DENY ? "cidr = ADDRESS[/PREFIX] [ttl=SECONDS]" :
					    "cidr = ADDRESS[/PREFIX]";
	struct ts_cidr c;
	char m[256], *rest = value;
	__u64 ttl;

	if (strcmp(key, "cidr"))
		return fail(p, "unknown key '%s' in [%s] (want %s)", key, section_names[p->sec],
			    want);
	while (*rest && !is_blank(*rest))
		rest++;
	if (*rest)
		*rest++ = 0;
	rest = trim(rest);
	if (ts_cidr_parse(value, &c, m, sizeof(m)))
		return fail(p, "%s", m);
	if (*rest) {
		char *num;

		if (strncmp(rest, "ttl", 3))
			return fail(p, "junk after the CIDR: '%s' (want %s)", rest, want);
		num = rest + 3;
		while (is_blank(*num))
			num++;
		if (*num != '=')
			return fail(p, "junk after the CIDR: '%s' (want %s)", rest, want);
		if (list != L_DENY)
			return fail(p, "a ttl is for [deny] entries only");
		num = trim(num + 1);
		if (ts_parse_u64(num, 1, TS_POLICY_FILE_MAX_TTL, &ttl))
			return fail(p, "bad ttl '%s' (a whole number of seconds, 1 to %u)", num,
				    TS_POLICY_FILE_MAX_TTL);
		c.ttl = (__u32)ttl;
	}
	return add_entry(p, list, &c);
}

/* top level and [policy]: KEY = VALUE, each key once */
static int setting_line(struct parser *p, const char *key, const char *value)
{
	char m[256];
	unsigned i;

	if (!strcmp(key, "cidr"))
		return fail(p, "cidr lines belong in [allow] or [deny]");
	for (i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i].key, key))
			return fail(p, "duplicate key '%s' (first set on line %u)", key,
				    p->seen[i].line);
	if (ts_policy_set(&p->pol, key, value, m, sizeof(m)))
		return fail(p, "%s", m);
	/* only valid keys get here: fewer than there are slots, each short */
	if (p->nseen < sizeof(p->seen) / sizeof(p->seen[0]) &&
	    strlen(key) < sizeof(p->seen[0].key)) {
		snprintf(p->seen[p->nseen].key, sizeof(p->seen[0].key), "%s", key);
		p->seen[p->nseen++].line = p->line;
	}
	return 0;
}

static int section_line(struct parser *p, char *s)
{
	size_t n = strlen(s);
	unsigned i;
	char *name;

	if (s[n - 1] != ']')
		return fail(p, "bad section header '%s' (want [policy], [allow] or [deny])", s);
	s[n - 1] = 0;
	name = trim(s + 1);
	for (i = SEC_POLICY; i <= SEC_DENY; i++) {
		if (!strcmp(name, section_names[i])) {
			p->sec = (enum section)i;
			return 0;
		}
	}
	return fail(p, "unknown section [%s] (want [policy], [allow] or [deny])", name);
}

/* One line, without its newline (and CR), known to be text. */
static int one_line(struct parser *p, const char *text, size_t n)
{
	char buf[TS_POLICY_FILE_MAX_LINE + 1], *s, *eq, *key, *value;

	if (n > TS_POLICY_FILE_MAX_LINE)
		return fail(p, "line too long (%zu bytes, at most %u)", n,
			    TS_POLICY_FILE_MAX_LINE);
	memcpy(buf, text, n);
	buf[n] = 0;
	cut_comment(buf);
	s = trim(buf);
	if (!*s)
		return 0;
	if (*s == '[')
		return section_line(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, "not a KEY = VALUE line: '%s'", s);
	*eq = 0;
	key = trim(s);
	value = trim(eq + 1);
	if (!*key)
		return fail(p, "no key before '='");
	if (p->sec == SEC_ALLOW || p->sec == SEC_DENY)
		return list_line(p, key, value);
	return setting_line(p, key, value);
}

static void parser_free(struct parser *p)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		free(p->l[i].v);
		free(p->l[i].line);
	}
	free(p->hash);
}

int ts_policy_doc_parse(const char *buf, size_t len, const char *name, struct ts_policy_doc *doc,
			char *err, size_t errlen)
{
	struct parser p = { .name = name ? name : "-", .err = err, .errlen = errlen };
	const char *s, *end, *nl;

	if (len > TS_POLICY_FILE_MAX_BYTES)
		return fail(&p, "file too large (more than %u bytes)", TS_POLICY_FILE_MAX_BYTES);
	if (!buf || !len) {
		buf = "";
		len = 0;
	}
	s = buf;
	end = buf + len;
	ts_policy_defaults(&p.pol);
	if (check_text(&p, (const unsigned char *)buf, len))
		return -1;
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3; /* a UTF-8 byte order mark, as some editors write */
	for (p.line = 1; s < end; p.line++) {
		size_t n;

		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl ? nl : end) - s);
		if (n && s[n - 1] == '\r')
			n--;
		if (one_line(&p, s, n)) {
			parser_free(&p);
			return -1;
		}
		s = nl ? nl + 1 : end;
	}
	p.line = 0;
	if (!p.nseen && !p.l[L_ALLOW].n && !p.l[L_DENY].n) {
		parser_free(&p);
		return fail(&p, "empty policy file (no settings and no list entries)");
	}
	free(p.hash);
	free(p.l[L_ALLOW].line);
	free(p.l[L_DENY].line);
	doc->pol = p.pol;
	doc->allow = p.l[L_ALLOW].n ? p.l[L_ALLOW].v : NULL;
	doc->n_allow = p.l[L_ALLOW].n;
	doc->deny = p.l[L_DENY].n ? p.l[L_DENY].v : NULL;
	doc->n_deny = p.l[L_DENY].n;
	if (!doc->allow)
		free(p.l[L_ALLOW].v);
	if (!doc->deny)
		free(p.l[L_DENY].v);
	return 0;
}

int ts_policy_doc_load(const char *path, struct ts_policy_doc *doc, char *err, size_t errlen)
{
	struct parser p = { .name = path, .err = err, .errlen = errlen };
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(&p, "%s", strerror(errno));
	/* read one byte past the limit, so the parser can tell it was passed
	 * (works for pipes and /dev/stdin too: no size from fstat) */
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > TS_POLICY_FILE_MAX_BYTES + 1ul)
				ncap = TS_POLICY_FILE_MAX_BYTES + 1ul;
			if (ncap == cap)
				break;
			nb = realloc(buf, ncap);
			if (!nb) {
				rc = fail(&p, "out of memory");
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail(&p, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = ts_policy_doc_parse(buf, len, path, doc, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

void ts_policy_doc_free(struct ts_policy_doc *doc)
{
	if (!doc)
		return;
	free(doc->allow);
	free(doc->deny);
	memset(doc, 0, sizeof(*doc));
}
