/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TCPSENTRY_BENCH_SCRAPE_H
#define TCPSENTRY_BENCH_SCRAPE_H

/* time a metrics scrape with 10^6 tracked connections; 0, or 1 on error */
int bench_scrape(const char *dir, int json);

#endif /* TCPSENTRY_BENCH_SCRAPE_H */
