/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The commands, one file each, named after it: each parses its options
 * from its table (lib/opts.h), calls the services of lib/ and prints.
 * Exit status: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef TCPSENTRY_CMDS_H
#define TCPSENTRY_CMDS_H

int cmd_attach(int argc, char **argv);  /* attach.c */
int cmd_detach(int argc, char **argv);  /* attach.c */
int cmd_status(int argc, char **argv);  /* status.c */
int cmd_conns(int argc, char **argv);   /* conns.c */
int cmd_events(int argc, char **argv);  /* events.c */
int cmd_stats(int argc, char **argv);   /* stats.c */
int cmd_policy(int argc, char **argv);  /* policy.c */
int cmd_run(int argc, char **argv);     /* run.c */
int cmd_top(int argc, char **argv);     /* top.c */

#endif /* TCPSENTRY_CMDS_H */
