/* SPDX-License-Identifier: GPL-2.0 */
/* Shim (base ring): no KMSAN in userspace. */
#ifndef _SHIM_LINUX_KMSAN_H
#define _SHIM_LINUX_KMSAN_H

#define kmsan_handle_dma(page, offset, size, dir) do { } while (0)

#endif
