/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: allocation flags; only "atomic" and "zero" mean anything here. */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H

#define __GFP_ZERO	0x1u
#define __GFP_NOWARN	0x2u
#define __GFP_ATOMIC	0x4u
#define GFP_KERNEL	0x10u
#define GFP_ATOMIC	(__GFP_ATOMIC | 0x20u)
#define GFP_NOWAIT	0x40u
#define __GFP_HIGHMEM	0x80u

#endif
