/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: messages are counted by level and printed only when verbose. */
#ifndef _SHIM_LINUX_PRINTK_H
#define _SHIM_LINUX_PRINTK_H
#include <linux/compiler.h>

enum shim_log_level { SHIM_LOG_ERR, SHIM_LOG_WARN, SHIM_LOG_INFO, SHIM_LOG_N };
void shim_log(enum shim_log_level level, const char *fmt, ...) __printf(2, 3);

#define pr_err(...)	shim_log(SHIM_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	shim_log(SHIM_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	shim_log(SHIM_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	do { } while (0)

#endif
