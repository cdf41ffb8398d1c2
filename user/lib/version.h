/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TCPSENTRY_VERSION_H
#define TCPSENTRY_VERSION_H

#define TS_VERSION "0.1.0"

#endif /* TCPSENTRY_VERSION_H */
