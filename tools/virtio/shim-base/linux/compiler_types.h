/* SPDX-License-Identifier: GPL-2.0 */
/* Shim (base ring): see linux/compiler.h. */
#include <linux/compiler.h>
