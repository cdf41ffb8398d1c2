// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tcpdrive: a small, step-gated TCP driver for the e2e tests.
 *
 *   tcpdrive [-4|-6] [-n N] [-t MS] [-q BACKLOG] [-b BEHAVIOUR] server ADDR PORT
 *   tcpdrive [-4|-6] [-n N] [-t MS] [-l LOCALADDR] [-p LOCALPORT] client ADDR PORT
 *
 * The process reads commands from stdin, one per line, and answers each with
 * exactly one line on stdout ("ok CMD ..." or "err CMD ERRNONAME text"), so a
 * test can check both kernels' TCP states between any two steps. The first
 * line printed is "ready ..." (server: after listen()) or "err ...".
 *
 * Commands (each applies to every open connection of this process):
 *   connect [N]     client: open N (default -n) connections, non-blocking, from
 *                   LOCALPORT, LOCALPORT+1, ... (or ephemeral ports if -p 0)
 *   accept [N]      server: accept N (default -n) connections
 *   send BYTES      write BYTES bytes on each connection
 *   recv [BYTES]    read until BYTES more arrived on each connection; without
 *                   BYTES, drain what arrives within 100 ms
 *   wait-eof        read until the peer's FIN on each connection
 *   echo            echo what arrives back until the peer's FIN on each
 *   shutdown        shutdown(SHUT_WR) each connection
 *   close           drain pending input (so the kernel sends FIN, not RST),
 *                   then close each connection
 *   abort           SO_LINGER {1, 0} then close: the kernel sends RST
 *   info            "ok info LOCAL>PEER ..." for each open connection
 *   sleep MS        sleep (bounded to 10 s)
 *   exit            close everything and exit 0 (also on end of input)
 *
 * -b runs a server behaviour unattended after "ready", then exits:
 *   echo        accept N, echo until FIN, close
 *   close-first accept N, send 100 bytes, close first
 *   half-close  accept N, wait for the client's FIN, send 1000 bytes, close
 *
 * -q sets the listen() backlog (default 4096).
 *
 * Every wait is bounded by -t (default 5000 ms).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "format.h" /* ts_fmt_sockaddr: the endpoints as ss and tcpsentry print them */

#define MAX_CONNS 4096
#define LINE_MAX_LEN 256

struct conn {
	int fd;
	int eof;            /* peer's FIN seen */
	unsigned long long rx, tx;
};

static struct {
	int family;
	int is_server;
	int count;
	int timeout_ms;
	const char *behaviour;
	struct sockaddr_storage remote;     /* client: server address; server: listen address */
	socklen_t remote_len;
	struct sockaddr_storage local;      /* client: local bind address */
	socklen_t local_len;
	int have_local;
	unsigned local_port;
	int lfd;
	int backlog;
	struct conn *conns;
	int nconns;
} g = { .family = AF_INET, .count = 1, .timeout_ms = 5000, .lfd = -1,
      .backlog = MAX_CONNS };

static void usage(void)
{
	fprintf(stderr,
		"usage: tcpdrive [-4|-6] [-n N] [-t MS] [-q BACKLOG] [-b echo|close-first|half-close]\n"
		"                server ADDR PORT\n"
		"       tcpdrive [-4|-6] [-n N] [-t MS] [-l LOCALADDR] [-p LOCALPORT] client ADDR PORT\n"
		"commands on stdin: connect [N], accept [N], send BYTES, recv [BYTES], wait-eof,\n"
		"  echo, shutdown, close, abort, info, sleep MS, exit\n");
	exit(2);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long long deadline)
{
	long long r = deadline - now_ms();

	return r < 0 ? 0 : (int)r;
}

static void reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void reply_err(const char *cmd, int err, const char *what)
{
	const char *name = strerrorname_np(err);

	reply("err %s %s %s%s%s", cmd, name ? name : "E?", what ? what : "",
	      what ? ": " : "", strerror(err));
}

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int make_addr(const char *addr, unsigned port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (g.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -1;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -1;
		*len = sizeof(*s4);
	}
	return 0;
}

static void set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_all(void)
{
	for (int i = 0; i < g.nconns; i++)
		if (g.conns[i].fd >= 0)
			close(g.conns[i].fd);
	g.nconns = 0;
}

static int open_count(void)
{
	int n = 0;

	for (int i = 0; i < g.nconns; i++)
		n += g.conns[i].fd >= 0;
	return n;
}

static int do_listen(void)
{
	int one = 1;

	g.lfd = socket(g.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g.lfd < 0)
		return -1;
	setsockopt(g.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (g.family == AF_INET6)
		setsockopt(g.lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(g.lfd, (struct sockaddr *)&g.remote, g.remote_len) < 0 ||
	    listen(g.lfd, g.backlog) < 0 || set_nonblock(g.lfd) < 0)
		return -1;
	return 0;
}

static void cmd_connect(long n)
{
	long long deadline = now_ms() + g.timeout_ms;
	int first = g.nconns, one = 1, pending;
	char b1[64], b2[64];

	if (g.nconns + n > MAX_CONNS) {
		reply_err("connect", E2BIG, "too many connections");
		return;
	}
	for (long i = 0; i < n; i++) {
		struct conn *c = &g.conns[g.nconns];
		int fd = socket(g.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0) {
			reply_err("connect", errno, "socket");
			return;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		g.nconns++;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (g.have_local || g.local_port) {
			struct sockaddr_storage l;
			socklen_t ll;

			if (g.have_local) {
				l = g.local;
				ll = g.local_len;
			} else {
				memset(&l, 0, sizeof(l));
				l.ss_family = g.family;
				ll = g.family == AF_INET6 ? sizeof(struct sockaddr_in6)
							  : sizeof(struct sockaddr_in);
			}
			set_port(&l, g.local_port ? g.local_port + (first + i) : 0);
			if (bind(fd, (struct sockaddr *)&l, ll) < 0) {
				reply_err("connect", errno, ts_fmt_sockaddr(b1, sizeof(b1), &l));
				return;
			}
		}
		if (connect(fd, (struct sockaddr *)&g.remote, g.remote_len) < 0 &&
		    errno != EINPROGRESS) {
			reply_err("connect", errno, NULL);
			return;
		}
	}
	/* wait for every handshake to finish or fail */
	do {
		pending = 0;
		for (int i = first; i < g.nconns; i++) {
			struct pollfd p = { .fd = g.conns[i].fd, .events = POLLOUT };
			int err = 0;
			socklen_t el = sizeof(err);

			if (poll(&p, 1, 0) < 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP))) {
				pending++;
				continue;
			}
			getsockopt(g.conns[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err) {
				reply_err("connect", err, NULL);
				close(g.conns[i].fd);
				g.conns[i].fd = -1;
				return;
			}
		}
		if (pending && remaining(deadline) == 0) {
			reply_err("connect", ETIMEDOUT, "handshake");
			return;
		}
		if (pending)
			usleep(2000);
	} while (pending);
	{
		struct sockaddr_storage l;
		socklen_t ll = sizeof(l);

		getsockname(g.conns[first].fd, (struct sockaddr *)&l, &ll);
		reply("ok connect %ld %s %s", n, ts_fmt_sockaddr(b1, sizeof(b1), &l),
		      ts_fmt_sockaddr(b2, sizeof(b2), &g.remote));
	}
}

static void cmd_accept(long n)
{
	long long deadline = now_ms() + g.timeout_ms;
	int first = g.nconns;
	char b1[64], b2[64];

	if (g.nconns + n > MAX_CONNS) {
		reply_err("accept", E2BIG, "too many connections");
		return;
	}
	while (g.nconns < first + n) {
		struct pollfd p = { .fd = g.lfd, .events = POLLIN };
		int fd;

		fd = accept4(g.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			memset(&g.conns[g.nconns], 0, sizeof(g.conns[0]));
			g.conns[g.nconns++].fd = fd;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR) {
			reply_err("accept", errno, NULL);
			return;
		}
		if (remaining(deadline) == 0) {
			reply_err("accept", ETIMEDOUT, "accepted fewer than asked");
			return;
		}
		poll(&p, 1, remaining(deadline));
	}
	{
		struct sockaddr_storage l, r;
		socklen_t ll = sizeof(l), rl = sizeof(r);

		getsockname(g.conns[first].fd, (struct sockaddr *)&l, &ll);
		getpeername(g.conns[first].fd, (struct sockaddr *)&r, &rl);
		reply("ok accept %ld %s %s", n, ts_fmt_sockaddr(b1, sizeof(b1), &l),
		      ts_fmt_sockaddr(b2, sizeof(b2), &r));
	}
}

/* Read from c until `want` more bytes (want < 0: until EOF; want == 0: what
 * arrives before the deadline). With `echo`, write everything back. Returns 0
 * when the goal was reached, else an errno. */
static int pump(struct conn *c, long long want, int echo, long long deadline)
{
	char buf[16384];
	long long got = 0;

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t r;

		if (want > 0 && got >= want)
			return 0;
		if (c->eof)
			return want > 0 ? EPIPE : 0;
		r = read(c->fd, buf, sizeof(buf));
		if (r > 0) {
			got += r;
			c->rx += r;
			if (echo) {
				ssize_t off = 0;

				while (off < r) {
					struct pollfd w = { .fd = c->fd, .events = POLLOUT };
					ssize_t s = write(c->fd, buf + off, r - off);

					if (s > 0) {
						off += s;
						c->tx += s;
					} else if (s < 0 && errno != EAGAIN) {
						return errno;
					} else if (remaining(deadline) == 0) {
						return ETIMEDOUT;
					} else {
						poll(&w, 1, remaining(deadline));
					}
				}
			}
			continue;
		}
		if (r == 0) {
			c->eof = 1;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return errno;
		if (remaining(deadline) == 0)
			return want == 0 ? 0 : ETIMEDOUT;
		poll(&p, 1, remaining(deadline));
	}
}

static void cmd_read(const char *cmd, long long want, int echo)
{
	long long deadline = now_ms() + (want == 0 ? 100 : g.timeout_ms);
	unsigned long long total = 0;
	int eofs = 0;

	for (int i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];
		unsigned long long before = c->rx;
		int err;

		if (c->fd < 0)
			continue;
		err = pump(c, want, echo, deadline);
		total += c->rx - before;
		eofs += c->eof;
		if (err) {
			reply_err(cmd, err, NULL);
			return;
		}
	}
	reply("ok %s %llu eof=%d", cmd, total, eofs);
}

static void cmd_send(long long bytes)
{
	long long deadline = now_ms() + g.timeout_ms;
	char buf[16384];
	unsigned long long total = 0;

	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];
		long long left = bytes;

		if (c->fd < 0)
			continue;
		while (left > 0) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };
			ssize_t s = write(c->fd, buf, left < (long long)sizeof(buf) ? left
									: (long long)sizeof(buf));

			if (s > 0) {
				left -= s;
				c->tx += s;
				total += s;
				continue;
			}
			if (s < 0 && errno != EAGAIN && errno != EINTR) {
				reply_err("send", errno, NULL);
				return;
			}
			if (remaining(deadline) == 0) {
				reply_err("send", ETIMEDOUT, NULL);
				return;
			}
			poll(&p, 1, remaining(deadline));
		}
	}
	reply("ok send %llu", total);
}

static void cmd_shutdown(void)
{
	int n = 0;

	for (int i = 0; i < g.nconns; i++) {
		if (g.conns[i].fd < 0)
			continue;
		if (shutdown(g.conns[i].fd, SHUT_WR) < 0) {
			reply_err("shutdown", errno, NULL);
			return;
		}
		n++;
	}
	reply("ok shutdown %d", n);
}

static void cmd_close(int abort_conn)
{
	const char *cmd = abort_conn ? "abort" : "close";
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int n = 0;

	for (int i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];

		if (c->fd < 0)
			continue;
		if (abort_conn) {
			if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
				reply_err(cmd, errno, "SO_LINGER");
				return;
			}
		} else {
			/* unread data at close() turns the FIN into a RST */
			char buf[16384];
			ssize_t r;

			while ((r = read(c->fd, buf, sizeof(buf))) > 0)
				c->rx += r;
			if (r == 0)
				c->eof = 1;
		}
		close(c->fd);
		c->fd = -1;
		n++;
	}
	g.nconns = 0;
	reply("ok %s %d", cmd, n);
}

static void cmd_info(void)
{
	char line[65536];
	size_t off = 0;

	line[0] = 0;
	for (int i = 0; i < g.nconns && off < sizeof(line) - 160; i++) {
		struct sockaddr_storage l, r;
		socklen_t ll = sizeof(l), rl = sizeof(r);
		char b1[64], b2[64];

		if (g.conns[i].fd < 0)
			continue;
		if (getsockname(g.conns[i].fd, (struct sockaddr *)&l, &ll) < 0)
			continue;
		/* no peer any more once the connection is closed (or TIME_WAIT) */
		off += snprintf(line + off, sizeof(line) - off, " %s>%s",
				ts_fmt_sockaddr(b1, sizeof(b1), &l),
				getpeername(g.conns[i].fd, (struct sockaddr *)&r, &rl) < 0
					? "-" : ts_fmt_sockaddr(b2, sizeof(b2), &r));
	}
	reply("ok info %d%s", open_count(), line);
}

/* returns 1 on "exit" */
static int run_command(char *line)
{
	char *cmd, *arg, *save = NULL;
	long v;

	cmd = strtok_r(line, " \t\r\n", &save);
	if (!cmd)
		return 0;
	arg = strtok_r(NULL, " \t\r\n", &save);
	if (!strcmp(cmd, "exit")) {
		close_all();
		reply("ok exit");
		return 1;
	} else if (!strcmp(cmd, "connect") && !g.is_server) {
		if (arg && parse_num(arg, 1, MAX_CONNS, &v))
			goto bad;
		cmd_connect(arg ? v : g.count);
	} else if (!strcmp(cmd, "accept") && g.is_server) {
		if (arg && parse_num(arg, 1, MAX_CONNS, &v))
			goto bad;
		cmd_accept(arg ? v : g.count);
	} else if (!strcmp(cmd, "send")) {
		if (parse_num(arg, 0, 1L << 30, &v))
			goto bad;
		cmd_send(v);
	} else if (!strcmp(cmd, "recv")) {
		if (arg && parse_num(arg, 1, 1L << 30, &v))
			goto bad;
		cmd_read("recv", arg ? v : 0, 0);
	} else if (!strcmp(cmd, "wait-eof")) {
		cmd_read("wait-eof", -1, 0);
	} else if (!strcmp(cmd, "echo")) {
		cmd_read("echo", -1, 1);
	} else if (!strcmp(cmd, "shutdown")) {
		cmd_shutdown();
	} else if (!strcmp(cmd, "close")) {
		cmd_close(0);
	} else if (!strcmp(cmd, "abort")) {
		cmd_close(1);
	} else if (!strcmp(cmd, "info")) {
		cmd_info();
	} else if (!strcmp(cmd, "sleep")) {
		if (parse_num(arg, 0, 10000, &v))
			goto bad;
		usleep((useconds_t)v * 1000);
		reply("ok sleep %ld", v);
	} else {
		goto bad;
	}
	return 0;
bad:
	reply("err %s EINVAL bad command or argument", cmd);
	return 0;
}

static void run_behaviour(const char *b)
{
	char s1[] = "accept", s2[16], s3[] = "close", s4[] = "wait-eof", s5[] = "echo";

	run_command(s1);
	if (!strcmp(b, "echo")) {
		run_command(s5);
	} else if (!strcmp(b, "close-first")) {
		snprintf(s2, sizeof(s2), "send 100");
		run_command(s2);
	} else {
		run_command(s4);
		snprintf(s2, sizeof(s2), "send 1000");
		run_command(s2);
	}
	run_command(s3);
}

int main(int argc, char **argv)
{
	const char *laddr = NULL;
	char line[LINE_MAX_LEN];
	long v;
	int opt;

	while ((opt = getopt(argc, argv, "+46n:t:q:b:l:p:h")) != -1) {
		switch (opt) {
		case '4':
			g.family = AF_INET;
			break;
		case '6':
			g.family = AF_INET6;
			break;
		case 'n':
			if (parse_num(optarg, 1, MAX_CONNS, &v))
				usage();
			g.count = (int)v;
			break;
		case 't':
			if (parse_num(optarg, 1, 600000, &v))
				usage();
			g.timeout_ms = (int)v;
			break;
		case 'q':
			if (parse_num(optarg, 1, 65535, &v))
				usage();
			g.backlog = (int)v;
			break;
		case 'b':
			g.behaviour = optarg;
			break;
		case 'l':
			laddr = optarg;
			break;
		case 'p':
			if (parse_num(optarg, 0, 65535, &v))
				usage();
			g.local_port = (unsigned)v;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if (!strcmp(argv[optind], "server"))
		g.is_server = 1;
	else if (strcmp(argv[optind], "client"))
		usage();
	if (parse_num(argv[optind + 2], 1, 65535, &v) ||
	    make_addr(argv[optind + 1], (unsigned)v, &g.remote, &g.remote_len))
		usage();
	if (laddr) {
		if (make_addr(laddr, 0, &g.local, &g.local_len))
			usage();
		g.have_local = 1;
	}
	if (g.local_port && g.local_port + g.count - 1 > 65535)
		usage();
	if (g.behaviour && (!g.is_server || (strcmp(g.behaviour, "echo") &&
					     strcmp(g.behaviour, "close-first") &&
					     strcmp(g.behaviour, "half-close"))))
		usage();

	signal(SIGPIPE, SIG_IGN);
	g.conns = calloc(MAX_CONNS, sizeof(*g.conns));
	if (!g.conns)
		return 1;

	if (g.is_server) {
		char b[64];

		if (do_listen() < 0) {
			reply_err("listen", errno, ts_fmt_sockaddr(b, sizeof(b), &g.remote));
			return 1;
		}
		reply("ready server %s", ts_fmt_sockaddr(b, sizeof(b), &g.remote));
	} else {
		reply("ready client");
	}

	if (g.behaviour) {
		run_behaviour(g.behaviour);
		close_all();
		return 0;
	}
	while (fgets(line, sizeof(line), stdin))
		if (run_command(line))
			return 0;
	close_all();
	return 0;
}
