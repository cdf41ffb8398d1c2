/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The frames events carry (struct ts_event_sampled) written as pcap with
 * libpcap, so tcpdump and Wireshark open them: one file (`events --pcap`),
 * or a directory of files rotated by size (`run --pcap-dir`). Every record
 * is flushed as it is written: a writer killed at any moment leaves a file
 * that is valid up to its last whole record.
 */
#ifndef TCPSENTRY_PCAP_OUT_H
#define TCPSENTRY_PCAP_OUT_H

#include <stddef.h>
#include <linux/types.h>

struct ts_pcap;

/* A new file at path (replacing one that is there). NULL with the reason
 * in err. */
struct ts_pcap *ts_pcap_open_file(const char *path, char *err, size_t n);
/* Files DIR/PREFIX-YYYYmmdd-HHMMSS[-N].pcap: a new one once the current
 * one passes max_bytes; at most keep of them (the oldest go). NULL with
 * the reason in err. */
struct ts_pcap *ts_pcap_open_dir(const char *dir, const char *prefix, __u64 max_bytes,
				 unsigned keep, char *err, size_t n);
/* The frame of one ring-buffer event (data, len as the ring gave them):
 * 1 written, 0 the event carries none, -1 the write failed (errno).
 * wall_off: CLOCK_REALTIME - CLOCK_MONOTONIC, to date it. */
int ts_pcap_write(struct ts_pcap *w, const void *data, size_t len, __s64 wall_off);
void ts_pcap_close(struct ts_pcap *w);

#endif /* TCPSENTRY_PCAP_OUT_H */
