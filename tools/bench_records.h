/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TCPSENTRY_BENCH_RECORDS_H
#define TCPSENTRY_BENCH_RECORDS_H

/* connection records/s into the ring, ring to JSON, ring to IPFIX; 0, or 1 on error */
int bench_records(const char *dir, int json);

#endif /* TCPSENTRY_BENCH_RECORDS_H */
