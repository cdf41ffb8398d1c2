// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The lossy link's receiving half, for tc ingress (test_flow_quality.sh
 * attaches it in the client namespace): ~1% of IPv4 TCP segments dropped,
 * nothing held or swapped. */
#define LOSSY_DROP_ONLY
#include "lossy.bpf.c"
