/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: struct work_struct as a type only. */
#ifndef _SHIM_LINUX_WORKQUEUE_H
#define _SHIM_LINUX_WORKQUEUE_H

struct work_struct {
	void (*func)(struct work_struct *work);
};

#endif
