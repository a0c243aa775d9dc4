/* SPDX-License-Identifier: GPL-2.0 */
/* Shim (base ring): irqreturn_t is in linux/interrupt.h. */
#include <linux/interrupt.h>
