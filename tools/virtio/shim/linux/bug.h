/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: WARN*() count every hit (shim_warnings) and print one line; the
 * harnesses assert the count stays zero.  BUG() aborts.
 */
#ifndef _SHIM_LINUX_BUG_H
#define _SHIM_LINUX_BUG_H
#include <stdlib.h>
#include <linux/compiler.h>

void shim_warn(const char *file, int line, const char *what);

#define WARN(cond, ...) ({						\
	int __c = !!(cond);						\
	if (unlikely(__c))						\
		shim_warn(__FILE__, __LINE__, #cond);			\
	unlikely(__c);							\
})
#define WARN_ON(cond)		WARN(cond, "")
#define WARN_ONCE(cond, ...)	WARN(cond, "")
#define WARN_ON_ONCE(cond)	WARN(cond, "")
#define BUG()			abort()
#define BUG_ON(cond)		do { if (unlikely(cond)) abort(); } while (0)

#endif
