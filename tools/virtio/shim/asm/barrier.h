/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: memory barriers as C11 fences.  The "device" is another thread,
 * so the mandatory, DMA, SMP and virt_ flavours all become the same
 * fences: full (seq_cst) for mb, release for wmb, acquire for rmb.
 */
#ifndef _SHIM_ASM_BARRIER_H
#define _SHIM_ASM_BARRIER_H

#define mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define dma_rmb()	rmb()
#define dma_wmb()	wmb()
#define smp_mb()	mb()
#define smp_rmb()	rmb()
#define smp_wmb()	wmb()
#define virt_mb()	mb()
#define virt_rmb()	rmb()
#define virt_wmb()	wmb()

#define smp_load_acquire(p)	 __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	 __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define virt_store_mb(var, value) \
	do { WRITE_ONCE(var, value); virt_mb(); } while (0)
#define smp_store_mb(var, value) virt_store_mb(var, value)

#endif
