// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CLI argument errors: the real binary, run without root. Every usage error
 * must exit 2 with a message that names the problem, before tcpsentry
 * touches the kernel. $TCPSENTRY names the binary (default ./tcpsentry).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* run the binary with argv (NULL-terminated), capture stdout+stderr */
static int run(char *out, size_t n, const char *const *args)
{
	const char *bin = getenv("TCPSENTRY") ? getenv("TCPSENTRY") : "./tcpsentry";
	int pfd[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[32] = { bin };
		int i;

		for (i = 0; args[i] && i < 30; i++)
			argv[i + 1] = args[i];
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (got + 1 < n && (r = read(pfd[0], out + got, n - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

struct usage_case {
	const char *args[8];
	int status;
	const char *message; /* must appear in the output */
};

static const struct usage_case cases[] = {
	{ { NULL }, 2, "usage: tcpsentry" },
	{ { "frobnicate", NULL }, 2, "unknown command 'frobnicate'" },
	{ { "--bogus", NULL }, 2, "usage: tcpsentry" },
	{ { "attach", NULL }, 2, "missing IFACE" },
	{ { "attach", "a", "b", NULL }, 2, "too many arguments" },
	{ { "attach", "bad/name", NULL }, 2, "bad interface name 'bad/name'" },
	{ { "attach", "averyveryverylongname0", NULL }, 2, "bad interface name" },
	{ { "attach", "eth9", "--xdp-mode", "turbo", NULL }, 2, "bad --xdp-mode 'turbo'" },
	{ { "attach", "eth9", "--max-flows", "5", NULL }, 2, "bad --max-flows '5'" },
	{ { "attach", "eth9", "--max-flows", "-1", NULL }, 2, "bad --max-flows '-1'" },
	{ { "attach", "eth9", "--max-embryonic", "1e6", NULL }, 2, "bad --max-embryonic '1e6'" },
	{ { "attach", "eth9", "--syn-flood-rate", "0", NULL }, 2, "bad --syn-flood-rate '0'" },
	{ { "attach", "eth9", "--syn-flood-rate", "5k", NULL }, 2, "bad --syn-flood-rate '5k'" },
	{ { "attach", "eth9", "--syn-flood-rate", "100000001", NULL }, 2, "bad --syn-flood-rate '100000001'" },
	{ { "attach", "eth9", "--syn-flood-complete-pct", "0", NULL }, 2, "bad --syn-flood-complete-pct '0'" },
	{ { "attach", "eth9", "--syn-flood-complete-pct", "101", NULL }, 2, "bad --syn-flood-complete-pct '101'" },
	{ { "attach", "eth9", "--syn-flood-complete-pct", "-5", NULL }, 2, "bad --syn-flood-complete-pct '-5'" },
	{ { "attach", "eth9", "--scan-ports", "1", NULL }, 2, "bad --scan-ports '1'" },
	{ { "detach", NULL }, 2, "missing IFACE" },
	{ { "detach", "a", "b", NULL }, 2, "too many arguments" },
	{ { "conns", "--state", "HALF_OPEN", NULL }, 2, "bad --state 'HALF_OPEN'" },
	{ { "conns", "--port", "65536", NULL }, 2, "bad --port '65536' (1 to 65535)" },
	{ { "conns", "--port", "0", NULL }, 2, "bad --port '0'" },
	{ { "conns", "extra", NULL }, 2, "unexpected argument 'extra'" },
	{ { "events", "--count", "0", NULL }, 2, "bad --count '0'" },
	{ { "events", "--timeout", "soon", NULL }, 2, "bad --timeout 'soon'" },
	{ { "stats", "--nope", NULL }, 2, "try 'tcpsentry stats --help'" },
	{ { "-n", "no/such", "status", NULL }, 1, "bad network namespace name" },
	{ { "--help", NULL }, 0, "commands:" },
	{ { "attach", "--help", NULL }, 0, "--max-flows" },
	{ { "--version", NULL }, 0, "tcpsentry " },
	{ { "run", NULL }, 2, "missing IFACE" },
	{ { "run", "eth9", "--metrics", "9464", NULL }, 2, "bad --metrics '9464'" },
	{ { "run", "eth9", "--metrics", "::1:9464", NULL }, 2, "bad --metrics '::1:9464'" },
	{ { "run", "eth9", "--metrics", "[::1]:0", NULL }, 2, "bad --metrics '[::1]:0'" },
	{ { "run", "eth9", "--metrics", "localhost:80", NULL }, 2, "bad --metrics 'localhost:80'" },
	{ { "run", "eth9", "--sweep-interval", "0", NULL }, 2, "bad --sweep-interval '0'" },
	{ { "run", "eth9", "eth9", NULL }, 2, "interface 'eth9' given twice" },
	{ { "run", "bad/name", NULL }, 2, "bad interface name 'bad/name'" },
	{ { "run", "eth9", "--xdp-mode", "turbo", NULL }, 2, "bad --xdp-mode 'turbo'" },
	{ { "run", "eth9", "--textfile", "/nonexistent/dir", NULL }, 1, "not a directory" },
	{ { "run", "--help", NULL }, 0, "--keep-attached" },
	{ { "policy", NULL }, 2, "missing show, set, load, allow, deny, bans or keys" },
	{ { "policy", "frob", NULL }, 2, "unknown policy command 'frob'" },
	{ { "policy", "deny", "add", "198.18.0.1", "--ttl", "0", NULL }, 2, "bad --ttl '0'" },
	{ { "policy", "allow", "add", "198.18.0.1", "--ttl", "5", NULL }, 2, "--ttl goes with 'deny add' only" },
	{ { "policy", "deny", "add", "198.18.0.1/33", NULL }, 2, "bad CIDR '198.18.0.1/33'" },
	{ { "policy", "set", "mode=enforc", NULL }, 2, "bad value 'enforc' for mode" },
	{ { "policy", "show", "extra", NULL }, 2, "unexpected argument 'extra'" },
	{ { "policy", "keys", NULL }, 0, "action.port_scan" },
	{ { "policy", "--help", NULL }, 0, "syn.cookie_ports" },
	{ { "status", "--iface", "bad/name", NULL }, 1, "bad interface name 'bad/name'" },
	{ { "detach", "--help", NULL }, 0, "usage: tcpsentry detach IFACE" },
	{ { "run", "--help", NULL }, 0, "--syn-flood-rate" },
	{ { "top", "--count", "0", NULL }, 2, "bad --count '0'" },
	{ { "top", "extra", NULL }, 2, "unexpected argument 'extra'" },
	{ { "top", "--help", NULL }, 0, "q quits" },
};

static void test_usage_errors(void **state)
{
	char out[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = run(out, sizeof(out), cases[i].args);

		if (st != cases[i].status || !strstr(out, cases[i].message))
			fail_msg("case %zu (%s %s): exit %d, want %d; output:\n%s", i,
				 cases[i].args[0] ? cases[i].args[0] : "",
				 cases[i].args[0] && cases[i].args[1] ? cases[i].args[1] : "", st,
				 cases[i].status, out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
