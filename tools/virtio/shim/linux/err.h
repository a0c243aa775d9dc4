/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: errno values (libc's) and ERR_PTR() live in compiler.h. */
#include <linux/compiler.h>
