/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: see spinlock.h. */
#ifndef _SHIM_LINUX_MUTEX_H
#define _SHIM_LINUX_MUTEX_H

struct mutex { int unused; };

#endif
