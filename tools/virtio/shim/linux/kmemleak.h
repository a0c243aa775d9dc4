/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: no leak detector in userspace. */
#ifndef _SHIM_LINUX_KMEMLEAK_H
#define _SHIM_LINUX_KMEMLEAK_H

static inline void kmemleak_not_leak(const void *ptr) { (void)ptr; }

#endif
