/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: the DMA API as an identity mapping (bus address = virtual
 * address).  Each mapping is recorded (shim.c) so that harnesses find
 * leaks, unmaps of what was never mapped, and can check that a device
 * only touches mapped memory in the mapped direction; a harness can make
 * mappings fail (shim_fail_hook).  SHIM_BENCH builds keep no records.
 */
#ifndef _SHIM_LINUX_DMA_MAPPING_H
#define _SHIM_LINUX_DMA_MAPPING_H
#include <stdint.h>
#include <linux/types.h>
#include <linux/mm.h>
#include <linux/device.h>

enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,
	DMA_FROM_DEVICE = 2,
	DMA_NONE = 3,
};

#define DMA_MAPPING_ERROR		(~(dma_addr_t)0)
#define DMA_ATTR_SKIP_CPU_SYNC		(1UL << 5)

void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *handle,
			 gfp_t gfp);
void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
		       dma_addr_t handle);

#ifdef SHIM_BENCH
static inline dma_addr_t shim_dma_map(struct device *dev, void *ptr,
				      size_t size,
				      enum dma_data_direction dir)
{
	return (dma_addr_t)(uintptr_t)ptr;
}
static inline void shim_dma_unmap(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir)
{
}
#else
dma_addr_t shim_dma_map(struct device *dev, void *ptr, size_t size,
			enum dma_data_direction dir);
void shim_dma_unmap(struct device *dev, dma_addr_t addr, size_t size,
		    enum dma_data_direction dir);
#endif

static inline dma_addr_t dma_map_page_attrs(struct device *dev,
					    struct page *page, size_t offset,
					    size_t size,
					    enum dma_data_direction dir,
					    unsigned long attrs)
{
	return shim_dma_map(dev, (char *)page_address(page) + offset, size,
			    dir);
}

static inline dma_addr_t dma_map_page(struct device *dev, struct page *page,
				      size_t offset, size_t size,
				      enum dma_data_direction dir)
{
	return dma_map_page_attrs(dev, page, offset, size, dir, 0);
}

static inline void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr,
					size_t size,
					enum dma_data_direction dir,
					unsigned long attrs)
{
	shim_dma_unmap(dev, addr, size, dir);
}

static inline void dma_unmap_page(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir)
{
	shim_dma_unmap(dev, addr, size, dir);
}

static inline dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr,
					      size_t size,
					      enum dma_data_direction dir,
					      unsigned long attrs)
{
	return shim_dma_map(dev, ptr, size, dir);
}

static inline dma_addr_t dma_map_single(struct device *dev, void *ptr,
					size_t size,
					enum dma_data_direction dir)
{
	return shim_dma_map(dev, ptr, size, dir);
}

static inline void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr,
					  size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	shim_dma_unmap(dev, addr, size, dir);
}

static inline void dma_unmap_single(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	shim_dma_unmap(dev, addr, size, dir);
}

static inline int dma_mapping_error(struct device *dev, dma_addr_t addr)
{
	return addr == DMA_MAPPING_ERROR;
}

/* Cache-coherent identity mapping: nothing ever needs syncing. */
static inline bool dma_need_sync(struct device *dev, dma_addr_t addr)
{
	return false;
}

static inline void dma_sync_single_range_for_cpu(struct device *dev,
						 dma_addr_t addr,
						 unsigned long offset,
						 size_t size,
						 enum dma_data_direction dir)
{
}

static inline void dma_sync_single_range_for_device(struct device *dev,
						    dma_addr_t addr,
						    unsigned long offset,
						    size_t size,
						    enum dma_data_direction dir)
{
}

static inline size_t dma_max_mapping_size(struct device *dev)
{
	return SIZE_MAX;
}

static inline size_t dma_opt_mapping_size(struct device *dev)
{
	return SIZE_MAX;
}

#endif
