/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced into the base tree's virtio_ring.c (-include): what it gets in
 * the kernel through headers it does not name.  Only the benchmark builds
 * that file; it runs single-threaded.
 */
#ifndef _SHIM_BASE_H
#define _SHIM_BASE_H
#include <linux/types.h>
#include <linux/list.h>
#include <linux/interrupt.h>

struct cpumask;
#define synchronize_rcu() do { } while (0)

#endif
