// SPDX-License-Identifier: GPL-2.0
/*
 * The shims' runtime: WARN and message counters, kmalloc accounting and
 * failure injection, and a record of live DMA mappings (a hash table keyed
 * by bus address, under a mutex since the device thread reads it).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/slab.h>
#include <linux/dma-mapping.h>
#include <linux/bug.h>
#include "shim.h"

bool (*shim_fail_hook)(enum shim_fail_site site);
bool shim_verbose;
bool shim_quiet_warn;

static long n_warn, n_log[SHIM_LOG_N], n_alloc, n_coherent, n_bad_unmap;

#define COUNT(v, d) __atomic_add_fetch(&(v), (d), __ATOMIC_RELAXED)
#define GET(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

long shim_warnings(void) { return GET(n_warn); }
long shim_errors(void) { return GET(n_log[SHIM_LOG_ERR]); }
long shim_warn_msgs(void) { return GET(n_log[SHIM_LOG_WARN]); }
long shim_allocs_live(void) { return GET(n_alloc); }
long shim_coherent_live(void) { return GET(n_coherent); }
long shim_dma_bad_unmaps(void) { return GET(n_bad_unmap); }

void shim_warn(const char *file, int line, const char *what)
{
	COUNT(n_warn, 1);
	if (!shim_quiet_warn)
		fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, what);
}

void shim_log(enum shim_log_level level, const char *fmt, ...)
{
	va_list ap;

	COUNT(n_log[level], 1);
	if (!shim_verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static bool should_fail(enum shim_fail_site site)
{
	return shim_fail_hook && shim_fail_hook(site);
}

/* --- slab ---------------------------------------------------------------- */

#ifndef SHIM_BENCH
void *kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if ((gfp & __GFP_ATOMIC) && should_fail(SHIM_FAIL_KMALLOC_ATOMIC))
		return NULL;
	p = gfp & __GFP_ZERO ? calloc(1, size) : malloc(size);
	if (p)
		COUNT(n_alloc, 1);
	return p;
}

void kfree(const void *p)
{
	if (!p)
		return;
	COUNT(n_alloc, -1);
	free((void *)p);
}
#endif

/* --- coherent memory ----------------------------------------------------- */

void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *handle,
			 gfp_t gfp)
{
	void *p = aligned_alloc(PAGE_SIZE, ALIGN(size, PAGE_SIZE));

	if (!p)
		return NULL;
	memset(p, 0, size);
	COUNT(n_coherent, 1);
	*handle = (dma_addr_t)(uintptr_t)p;
	return p;
}

void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
		       dma_addr_t handle)
{
	if (handle != (dma_addr_t)(uintptr_t)cpu_addr)
		COUNT(n_bad_unmap, 1);
	COUNT(n_coherent, -1);
	free(cpu_addr);
}

/* --- streaming mappings -------------------------------------------------- */

#ifndef SHIM_BENCH
struct mapping {
	struct mapping *next;
	dma_addr_t addr;
	size_t size;
	enum dma_data_direction dir;
};

#define NBUCKETS 4096
static struct mapping *buckets[NBUCKETS];
static long n_live;
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

static struct mapping **bucket(dma_addr_t addr)
{
	return &buckets[(addr >> 4) * 0x9E3779B1u % NBUCKETS];
}

long shim_dma_live(void)
{
	long n;

	pthread_mutex_lock(&map_lock);
	n = n_live;
	pthread_mutex_unlock(&map_lock);
	return n;
}

dma_addr_t shim_dma_map(struct device *dev, void *ptr, size_t size,
			enum dma_data_direction dir)
{
	struct mapping *m;

	if (should_fail(SHIM_FAIL_DMA_MAP))
		return DMA_MAPPING_ERROR;
	m = malloc(sizeof(*m));
	if (!m)
		abort();
	m->addr = (dma_addr_t)(uintptr_t)ptr;
	m->size = size;
	m->dir = dir;
	pthread_mutex_lock(&map_lock);
	m->next = *bucket(m->addr);
	*bucket(m->addr) = m;
	n_live++;
	pthread_mutex_unlock(&map_lock);
	return m->addr;
}

/* As dma-debug does: the unmap must match a mapping in all three. */
void shim_dma_unmap(struct device *dev, dma_addr_t addr, size_t size,
		    enum dma_data_direction dir)
{
	struct mapping **pp, *m = NULL;

	pthread_mutex_lock(&map_lock);
	for (pp = bucket(addr); *pp; pp = &(*pp)->next) {
		if ((*pp)->addr == addr && (*pp)->size == size &&
		    (*pp)->dir == dir) {
			m = *pp;
			*pp = m->next;
			n_live--;
			break;
		}
	}
	pthread_mutex_unlock(&map_lock);
	if (!m) {
		COUNT(n_bad_unmap, 1);
		fprintf(stderr, "DMA: unmap of %#llx+%zu dir %d: not mapped\n",
			(unsigned long long)addr, size, dir);
	}
	free(m);
}

/*
 * Mappings are looked up by start address, so a device access must begin
 * where a mapping begins: what a descriptor does, since each maps one
 * scatterlist entry or one table.
 */
bool shim_dma_check(uint64_t addr, size_t len, bool write)
{
	enum dma_data_direction want = write ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	struct mapping *m;
	bool ok = false;

	pthread_mutex_lock(&map_lock);
	for (m = *bucket(addr); m; m = m->next) {
		if (m->addr == addr && len <= m->size &&
		    (m->dir == want || m->dir == DMA_BIDIRECTIONAL)) {
			ok = true;
			break;
		}
	}
	pthread_mutex_unlock(&map_lock);
	return ok;
}

int shim_dma_count_at(uint64_t addr)
{
	struct mapping *m;
	int n = 0;

	pthread_mutex_lock(&map_lock);
	for (m = *bucket(addr); m; m = m->next)
		n += m->addr == addr;
	pthread_mutex_unlock(&map_lock);
	return n;
}
#else
long shim_dma_live(void) { return 0; }
bool shim_dma_check(uint64_t addr, size_t len, bool write) { return true; }
int shim_dma_count_at(uint64_t addr) { return 0; }
#endif

void shim_reset_counters(void)
{
	n_warn = 0;
	memset(n_log, 0, sizeof(n_log));
	n_bad_unmap = 0;
}
