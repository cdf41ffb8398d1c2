/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands: each parses its own options (getopt_long) and returns
 * the exit status: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef TCPSENTRY_CMDS_H
#define TCPSENTRY_CMDS_H

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* print "usage: ..." for a command to stderr and return 2 */
int ts_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* the attachments a read command acts on: one named, or all in this
 * namespace; returns the count, prints an error and returns -1 if the
 * named one is not attached */
int ts_select_ifaces(const char *iface, char names[][16], int max);

struct ts_policy_doc;
/* Put a parsed policy file (`file`: its name, for messages) in force on
 * the attachment of ifname, atomically. 0, or 1 with a message. */
int ts_policy_apply_doc(const char *ifname, const struct ts_policy_doc *doc, const char *file);
/* Load a policy file and put it in force on iface, or on every attached
 * interface of the namespace when iface is NULL (`policy load`, the
 * daemon's --policy and SIGHUP). 0; 1 runtime failure; 2 a bad file, the
 * policy in force unchanged. Messages on stderr. */
int ts_policy_load_file(const char *path, const char *iface);

#endif /* TCPSENTRY_CMDS_H */
