/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: a struct device with a name and a parent, and its messages. */
#ifndef _SHIM_LINUX_DEVICE_H
#define _SHIM_LINUX_DEVICE_H
#include <linux/types.h>
#include <linux/printk.h>
#include <linux/list.h>

struct module;

struct device {
	const char *name;
	struct device *parent;
	void *driver_data;
};

struct device_driver {
	const char *name;
	struct module *owner;
};

static inline const char *dev_name(const struct device *dev)
{
	return dev->name ? dev->name : "(dev)";
}

#define dev_err(dev, ...)	shim_log(SHIM_LOG_ERR, __VA_ARGS__)
#define dev_warn(dev, ...)	shim_log(SHIM_LOG_WARN, __VA_ARGS__)
#define dev_info(dev, ...)	shim_log(SHIM_LOG_INFO, __VA_ARGS__)
#define dev_dbg(dev, ...)	do { } while (0)
#define dev_err_ratelimited	dev_err
#define dev_warn_ratelimited	dev_warn
#define dev_warn_once		dev_warn

#endif
