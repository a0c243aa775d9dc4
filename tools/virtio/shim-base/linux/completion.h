/* SPDX-License-Identifier: GPL-2.0 */
/* Shim (base ring): the type only. */
#ifndef _SHIM_LINUX_COMPLETION_H
#define _SHIM_LINUX_COMPLETION_H

struct completion { unsigned int done; };

#endif
