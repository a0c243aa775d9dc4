/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shims' runtime (shim.c) offers the harnesses: counters of
 * warnings, messages, live allocations and DMA mappings, a lookup of live
 * mappings for the simulated device, and a hook to inject failures.
 */
#ifndef _SHIM_H
#define _SHIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum shim_fail_site {
	SHIM_FAIL_KMALLOC_ATOMIC,	/* kmalloc(GFP_ATOMIC) returns NULL */
	SHIM_FAIL_DMA_MAP,		/* dma_map_* returns DMA_MAPPING_ERROR */
};

/* Called before each such allocation or mapping; true makes it fail. */
extern bool (*shim_fail_hook)(enum shim_fail_site site);

extern bool shim_verbose;		/* print dev_err() and friends */
extern bool shim_quiet_warn;		/* don't print WARN lines */
long shim_warnings(void);		/* WARN*() hits */
long shim_errors(void);			/* dev_err()/pr_err() messages */
long shim_warn_msgs(void);		/* dev_warn()/pr_warn() messages */
long shim_allocs_live(void);		/* kmalloc'ed and not yet kfree'd */
long shim_dma_live(void);		/* streaming mappings not unmapped */
long shim_coherent_live(void);		/* dma_alloc_coherent() not freed */
long shim_dma_bad_unmaps(void);		/* unmaps matching no live mapping */
void shim_reset_counters(void);

/*
 * Is [addr, addr + len) inside one live streaming mapping that the device
 * may access that way (@write: device writes, so DMA_FROM_DEVICE or
 * bidirectional; else DMA_TO_DEVICE or bidirectional)?
 */
bool shim_dma_check(uint64_t addr, size_t len, bool write);
/* Live streaming mappings that start at @addr (any length). */
int shim_dma_count_at(uint64_t addr);

#endif
