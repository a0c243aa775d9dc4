/* SPDX-License-Identifier: GPL-2.0 */
/* The cache line size the ring aligns its device-written area to. */
#ifndef _SHIM_LINUX_CACHE_H
#define _SHIM_LINUX_CACHE_H

#define L1_CACHE_BYTES	64
#define SMP_CACHE_BYTES	L1_CACHE_BYTES

#endif
