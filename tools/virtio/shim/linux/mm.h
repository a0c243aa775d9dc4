/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: the page model (a page pointer is its page-aligned address). */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)	ALIGN(x, PAGE_SIZE)

struct page;

static inline struct page *virt_to_page(const void *addr)
{
	return (struct page *)((uintptr_t)addr & PAGE_MASK);
}

static inline unsigned long offset_in_page(const void *addr)
{
	return (uintptr_t)addr & ~PAGE_MASK;
}

static inline void *page_address(const struct page *page)
{
	return (void *)page;
}

static inline phys_addr_t virt_to_phys(const void *addr)
{
	return (phys_addr_t)(uintptr_t)addr;
}

static inline void *phys_to_virt(phys_addr_t addr)
{
	return (void *)(uintptr_t)addr;
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return (phys_addr_t)(uintptr_t)page;
}

/* Page allocations for rings that bypass the DMA API. */
static inline void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	void *p = aligned_alloc(PAGE_SIZE, PAGE_ALIGN(size));

	if (p)
		memset(p, 0, size);
	return p;
}

static inline void free_pages_exact(void *p, size_t size)
{
	free(p);
}

#endif
