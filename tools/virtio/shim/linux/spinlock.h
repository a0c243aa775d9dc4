/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: the ring code takes no locks (the driver serialises calls), so
 * locks here are empty; harnesses use pthreads for their own locking.
 */
#ifndef _SHIM_LINUX_SPINLOCK_H
#define _SHIM_LINUX_SPINLOCK_H

typedef struct { int unused; } spinlock_t;
#define spin_lock_init(l)		do { (void)(l); } while (0)
#define spin_lock(l)			do { (void)(l); } while (0)
#define spin_unlock(l)			do { (void)(l); } while (0)
#define spin_lock_irqsave(l, f)		do { (void)(l); (f) = 0; } while (0)
#define spin_unlock_irqrestore(l, f)	do { (void)(l); (void)(f); } while (0)

#endif
