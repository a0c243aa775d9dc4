/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: BIT() and BIT_ULL() live in compiler.h. */
#include <linux/compiler.h>
