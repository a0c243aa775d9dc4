/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: kmalloc and friends on malloc, counting live allocations; a
 * harness can make GFP_ATOMIC allocations fail (shim_fail_hook).
 * SHIM_BENCH builds call malloc directly.
 */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <linux/gfp.h>

#ifdef SHIM_BENCH
static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return gfp & __GFP_ZERO ? calloc(1, size) : malloc(size);
}
static inline void kfree(const void *p) { free((void *)p); }
#else
void *kmalloc(size_t size, gfp_t gfp);
void kfree(const void *p);
#endif

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc(n * size, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc(n * size, gfp | __GFP_ZERO);
}

#endif
