// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio bus: matches drivers to devices by struct virtio_device_id,
 * walks the device status through initialization (VIRTIO 1.2 §3.1),
 * negotiates features and routes config-change notices to drivers.
 *
 * Transports (PCI, the KUnit mock device, ...) find devices and register
 * them here; drivers never see which transport they sit on.
 */
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/virtio.h>
#include <linux/virtio_anchor.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

static DEFINE_IDA(virtio_index_ida);

/*
 * Feature bits the core and the ring handle on behalf of every driver
 * (VIRTIO 1.2 §6): the driver's own table never lists them.
 */
static u64 virtio_core_features(void)
{
	/* ANY_LAYOUT: transitional drivers must accept it (§6.1). */
	return BIT_ULL(VIRTIO_F_ANY_LAYOUT) |
	       BIT_ULL(VIRTIO_F_VERSION_1) |
	       BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
	       BIT_ULL(VIRTIO_F_ORDER_PLATFORM) |
	       vring_transport_features();
}

static void virtio_add_status(struct virtio_device *vdev, u8 status)
{
	might_sleep();
	vdev->config->set_status(vdev, vdev->config->get_status(vdev) | status);
}

/* --- sysfs ------------------------------------------------------------ */

static ssize_t device_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", dev_to_virtio(d)->id.device);
}
static DEVICE_ATTR_RO(device);

static ssize_t vendor_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", dev_to_virtio(d)->id.vendor);
}
static DEVICE_ATTR_RO(vendor);

static ssize_t status_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	struct virtio_device *vdev = dev_to_virtio(d);

	return sysfs_emit(buf, "0x%02x\n", vdev->config->get_status(vdev));
}
static DEVICE_ATTR_RO(status);

static ssize_t modalias_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct virtio_device *vdev = dev_to_virtio(d);

	return sysfs_emit(buf, "virtio:d%08Xv%08X\n",
			  vdev->id.device, vdev->id.vendor);
}
static DEVICE_ATTR_RO(modalias);

/* One character per feature bit, '1' when negotiated: bit 0 first. */
static ssize_t features_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct virtio_device *vdev = dev_to_virtio(d);
	char bits[65];
	unsigned int i;

	for (i = 0; i < 64; i++)
		bits[i] = virtio_has_feature(vdev, i) ? '1' : '0';
	bits[64] = '\0';
	return sysfs_emit(buf, "%s\n", bits);
}
static DEVICE_ATTR_RO(features);

static struct attribute *virtio_dev_attrs[] = {
	&dev_attr_device.attr,
	&dev_attr_vendor.attr,
	&dev_attr_status.attr,
	&dev_attr_modalias.attr,
	&dev_attr_features.attr,
	NULL,
};
ATTRIBUTE_GROUPS(virtio_dev);

/* --- matching ---------------------------------------------------------- */

static bool virtio_id_matches(const struct virtio_device *vdev,
			      const struct virtio_device_id *id)
{
	if (id->device != vdev->id.device && id->device != VIRTIO_DEV_ANY_ID)
		return false;
	return id->vendor == VIRTIO_DEV_ANY_ID || id->vendor == vdev->id.vendor;
}

static int virtio_dev_match(struct device *d, const struct device_driver *drv)
{
	const struct virtio_device_id *id = drv_to_virtio(drv)->id_table;
	struct virtio_device *vdev = dev_to_virtio(d);

	/* The table ends with an entry whose device is 0 (no device has it). */
	for (; id && id->device; id++)
		if (virtio_id_matches(vdev, id))
			return 1;
	return 0;
}

static int virtio_uevent(const struct device *d, struct kobj_uevent_env *env)
{
	const struct virtio_device *vdev =
		container_of(d, struct virtio_device, dev);

	return add_uevent_var(env, "MODALIAS=virtio:d%08Xv%08X",
			      vdev->id.device, vdev->id.vendor);
}

/* --- config changes ---------------------------------------------------- */

/*
 * §2.1.2: a device that sets DEVICE_NEEDS_RESET has stopped working and
 * wants a reset.  A driver that can suspend and resume can also be taken
 * through a reset while the guest runs: freeze, then restore with the same
 * features.  Any other driver's queues are broken instead, so that its users
 * get -EIO rather than wait for a device that will never answer.
 */
static void virtio_needs_reset(struct virtio_device *vdev,
			       struct virtio_driver *drv)
{
	int err;

	if (!drv->freeze || !drv->restore) {
		dev_err(&vdev->dev,
			"device needs a reset, which driver %s cannot do: failing its queues\n",
			drv->driver.name);
		virtio_break_device(vdev);
		return;
	}
	dev_warn(&vdev->dev, "device needs a reset: resetting it\n");
	err = virtio_device_freeze(vdev);
	if (!err)
		err = virtio_device_restore(vdev);
	if (err) {
		dev_err(&vdev->dev, "reset after DEVICE_NEEDS_RESET failed: %d\n",
			err);
		virtio_break_device(vdev);
	}
}

static void virtio_config_work(struct work_struct *work)
{
	struct virtio_device *vdev =
		container_of(work, struct virtio_device, config_work);
	struct virtio_driver *drv;

	/*
	 * The device lock keeps probe and remove out while the driver
	 * handles the change; config_enabled is re-checked under it.
	 */
	device_lock(&vdev->dev);
	spin_lock_irq(&vdev->config_lock);
	if (!vdev->config_enabled) {
		spin_unlock_irq(&vdev->config_lock);
		device_unlock(&vdev->dev);
		return;
	}
	spin_unlock_irq(&vdev->config_lock);

	drv = vdev->dev.driver ? drv_to_virtio(vdev->dev.driver) : NULL;
	if (drv && (vdev->config->get_status(vdev) &
		    VIRTIO_CONFIG_S_NEEDS_RESET))
		virtio_needs_reset(vdev, drv);
	else if (drv && drv->config_changed)
		drv->config_changed(vdev);
	device_unlock(&vdev->dev);
}

/**
 * virtio_config_changed - a transport reports a config-change notification
 * @vdev: the device whose config space changed (VIRTIO 1.2 §2.5)
 *
 * Callable from interrupt context.  The driver's config_changed() runs
 * later in process context; a notice that arrives while the driver is being
 * probed or removed is held back and delivered once probe has finished.
 * A device that set DEVICE_NEEDS_RESET is reset and set up again through
 * its driver's freeze and restore instead, or, if the driver has none, has
 * its queues broken (VIRTIO 1.2 §2.1.2).
 */
void virtio_config_changed(struct virtio_device *vdev)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->config_lock, flags);
	if (vdev->config_enabled)
		schedule_work(&vdev->config_work);
	else
		vdev->config_pending = true;
	spin_unlock_irqrestore(&vdev->config_lock, flags);
}
EXPORT_SYMBOL_GPL(virtio_config_changed);

static void virtio_config_enable(struct virtio_device *vdev)
{
	spin_lock_irq(&vdev->config_lock);
	vdev->config_enabled = true;
	if (vdev->config_pending)
		schedule_work(&vdev->config_work);
	vdev->config_pending = false;
	spin_unlock_irq(&vdev->config_lock);
}

static void virtio_config_disable(struct virtio_device *vdev)
{
	spin_lock_irq(&vdev->config_lock);
	vdev->config_enabled = false;
	spin_unlock_irq(&vdev->config_lock);
}

/* --- config space -------------------------------------------------------- */

/**
 * virtio_config_read - read device config space without tearing
 * @vdev: the device
 * @offset: where in the device's config structure
 * @buf: where to put the bytes
 * @len: how many
 *
 * A field wider than the transport's access size can change between two
 * accesses; the read is repeated until the config generation counter is
 * the same before and after it (VIRTIO 1.2 §2.5.1).  A device whose counter
 * changes on every read would keep the guest here for good: after
 * %VIRTIO_CONFIG_READ_TRIES reads it is broken (virtio_break_device()),
 * and @buf reads as zeros rather than as bytes torn between two states.
 */
void virtio_config_read(struct virtio_device *vdev, unsigned int offset,
			void *buf, unsigned int len)
{
	const struct virtio_config_ops *ops = vdev->config;
	unsigned int tries = VIRTIO_CONFIG_READ_TRIES;
	u32 before, after;

	if (!ops->generation) {
		ops->get(vdev, offset, buf, len);
		return;
	}
	after = ops->generation(vdev);
	do {
		if (!tries--) {
			dev_err_ratelimited(&vdev->dev,
					    "config generation still changing after %u reads: device broken\n",
					    VIRTIO_CONFIG_READ_TRIES);
			virtio_break_device(vdev);
			memset(buf, 0, len);
			return;
		}
		before = after;
		ops->get(vdev, offset, buf, len);
		after = ops->generation(vdev);
	} while (before != after);
}
EXPORT_SYMBOL_GPL(virtio_config_read);

/* --- status -------------------------------------------------------------- */

/**
 * virtio_device_ready - tell the device the driver is ready (DRIVER_OK)
 * @vdev: the device
 *
 * A driver that uses its queues during probe (a disk's partition scan, say)
 * calls this first: the device may not be notified before DRIVER_OK
 * (VIRTIO 1.2 §3.1.1).  Otherwise the core sets DRIVER_OK after probe.  A
 * kick that came before is held back and sent from here.
 */
void virtio_device_ready(struct virtio_device *vdev)
{
	u8 status = vdev->config->get_status(vdev);
	struct virtqueue *vq;

	if (WARN_ON(status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	vdev->config->set_status(vdev, status | VIRTIO_CONFIG_S_DRIVER_OK);
	/* Pairs with the acquire in the ring's notify check. */
	smp_store_release(&vdev->ready, true);
	/* Kicks that came too early (upstream drivers' probe) go out now. */
	virtio_device_for_each_vq(vdev, vq)
		vring_notify_deferred(vq);
}
EXPORT_SYMBOL_GPL(virtio_device_ready);

/**
 * virtio_reset_device - reset the device so it stops using its queues
 * @vdev: the device
 *
 * Returns once the device reads back status 0 (VIRTIO 1.2 §2.1.2): from then
 * on it neither reads nor writes the rings or buffers, and the driver may
 * shut the queues down and free what they held.
 */
void virtio_reset_device(struct virtio_device *vdev)
{
	WRITE_ONCE(vdev->ready, false);
	/* A reset that finishes ends whatever an earlier failed one left. */
	WRITE_ONCE(vdev->reset_failed, false);
	vdev->config->reset(vdev);
}
EXPORT_SYMBOL_GPL(virtio_reset_device);

/**
 * virtio_reset_failed - for transports: the device did not finish a reset
 * @vdev: the device, which still answers but never read back status 0
 *
 * Extension.  Such a device may go on reading and writing its rings and
 * the buffers on them, so they must never be handed back to the allocator:
 * every queue is marked broken (virtio_break_device()), buffers detached
 * from then on keep their DMA mappings, and deleting a queue keeps its ring
 * memory (see vring_del_virtqueue()).  Drivers still get every token back
 * and fail the requests: with an IOMMU or bounce buffers the device only
 * reaches the mappings kept for it; without, it could write anywhere in
 * memory anyway.  A device that is gone (surprise removal) cannot reach
 * memory at all: its transport only breaks it.
 */
void virtio_reset_failed(struct virtio_device *vdev)
{
	WRITE_ONCE(vdev->reset_failed, true);
	virtio_break_device(vdev);
}
EXPORT_SYMBOL_GPL(virtio_reset_failed);

/**
 * virtio_break_device - mark every queue of a device broken
 * @vdev: the device, which is gone or misbehaving
 *
 * Every later virtqueue operation fails with -EIO or returns nothing, so
 * drivers fail their requests instead of waiting for a dead device.
 */
void virtio_break_device(struct virtio_device *vdev)
{
	struct virtqueue *vq;
	unsigned long flags;

	spin_lock_irqsave(&vdev->vqs_lock, flags);
	list_for_each_entry(vq, &vdev->vqs, list)
		virtqueue_break(vq);
	spin_unlock_irqrestore(&vdev->vqs_lock, flags);
}
EXPORT_SYMBOL_GPL(virtio_break_device);

/*
 * The last steps of feature negotiation (VIRTIO 1.2 §3.1.1 steps 5-6):
 * write vdev->features to the device and check it agreed by reading
 * FEATURES_OK back.
 */
static int virtio_features_ok(struct virtio_device *vdev, u64 offered)
{
	int err;

	/*
	 * Where the platform restricts what memory a device may reach
	 * (encrypted guests: SEV, TDX, protected s390 guests), every buffer
	 * must go through the DMA API, i.e. VIRTIO_F_ACCESS_PLATFORM, which
	 * only a VERSION_1 device can offer (§6.1).  The platform says so
	 * through the base tree's virtio_anchor hook.
	 */
	if (virtio_check_mem_acc_cb(vdev) &&
	    (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ||
	     !virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM))) {
		dev_err(&vdev->dev,
			"restricted memory access: the device must offer VERSION_1 and ACCESS_PLATFORM (offered 0x%llx)\n",
			offered);
		return -ENODEV;
	}

	err = vdev->config->finalize_features(vdev);
	if (err)
		return err;

	/* Legacy devices have no FEATURES_OK step (§2.2.2 legacy note). */
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return 0;

	virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		dev_err(&vdev->dev,
			"device refused features 0x%llx (offered 0x%llx)\n",
			vdev->features, offered);
		return -ENODEV;
	}
	return 0;
}

/*
 * Feature negotiation (VIRTIO 1.2 §2.2, §3.1.1 steps 4-6): accept only bits
 * the device offers and the driver or the core understands.  A legacy
 * device gets the driver's legacy table when it has one.
 */
static int virtio_negotiate_features(struct virtio_device *vdev,
				     const struct virtio_driver *drv)
{
	u64 offered = vdev->config->get_features(vdev);
	const unsigned int *table = drv->feature_table;
	unsigned int i, n = drv->feature_table_size;
	u64 wanted = virtio_core_features();
	int err;

	if (!(offered & BIT_ULL(VIRTIO_F_VERSION_1)) &&
	    drv->feature_table_legacy) {
		table = drv->feature_table_legacy;
		n = drv->feature_table_size_legacy;
	}
	for (i = 0; i < n; i++) {
		unsigned int fbit = table[i];

		if (WARN_ON(fbit >= 64))
			continue;
		wanted |= BIT_ULL(fbit);
	}
	vdev->features = offered & wanted;
	if (drv->validate) {
		err = drv->validate(vdev);
		if (err)
			return err;
		/* Clearing is all it may do. */
		vdev->features &= offered & wanted;
	}
	return virtio_features_ok(vdev, offered);
}

/**
 * virtio_drop_unmet_features - give up features whose dependencies are missing
 * @vdev: the device, during its driver's validate
 * @deps: which bits need which, in an order where an entry comes after
 *	those for the bits it needs: a bit dropped early counts as missing
 *	for later entries
 * @n: entries in @deps
 *
 * A device offering a feature without the ones it depends on breaks
 * VIRTIO 1.2 §2.2; the driver must not accept such a feature.  Each bit
 * dropped is logged.
 */
void virtio_drop_unmet_features(struct virtio_device *vdev,
				const struct virtio_feature_dep *deps,
				unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (deps[i].fbit >= 64 ||
		    !(vdev->features & BIT_ULL(deps[i].fbit)) ||
		    (vdev->features & deps[i].needs))
			continue;
		dev_warn(&vdev->dev,
			 "feature %u offered without any of 0x%llx: not used\n",
			 deps[i].fbit, deps[i].needs);
		vdev->features &= ~BIT_ULL(deps[i].fbit);
	}
}
EXPORT_SYMBOL_GPL(virtio_drop_unmet_features);

/* --- probe and remove ---------------------------------------------------- */

static int virtio_dev_probe(struct device *d)
{
	struct virtio_device *vdev = dev_to_virtio(d);
	struct virtio_driver *drv = drv_to_virtio(d->driver);
	int err;

	/* The device may have been used by another driver: start afresh. */
	virtio_reset_device(vdev);
	/* Probe reads the config anyway: older notices are moot. */
	spin_lock_irq(&vdev->config_lock);
	vdev->config_pending = false;
	spin_unlock_irq(&vdev->config_lock);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);

	err = virtio_negotiate_features(vdev, drv);
	if (err)
		goto failed;

	err = drv->probe(vdev);
	if (err) {
		dev_err(d, "probe of %s failed: %d\n", drv->driver.name, err);
		goto failed;
	}

	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
		virtio_device_ready(vdev);
	virtio_config_enable(vdev);
	if (drv->scan)
		drv->scan(vdev);
	return 0;

failed:
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	vdev->features = 0;
	return err;
}

static void virtio_dev_remove(struct device *d)
{
	struct virtio_device *vdev = dev_to_virtio(d);
	struct virtio_driver *drv = drv_to_virtio(d->driver);

	virtio_config_disable(vdev);
	/* Not under the device lock: the work takes it and bails out. */
	drv->remove(vdev);

	/*
	 * A driver that forgot to reset leaves the device using freed memory;
	 * one whose reset failed did reset, and the memory was kept.
	 */
	if (!vdev->reset_failed &&
	    WARN(vdev->config->get_status(vdev),
		 "%s: driver %s left the device running\n",
		 dev_name(d), drv->driver.name))
		virtio_reset_device(vdev);
	WARN(!list_empty(&vdev->vqs), "%s: driver %s left virtqueues behind\n",
	     dev_name(d), drv->driver.name);

	vdev->features = 0;
	/* Acknowledge again so the device can be rebound (§3.1.1 step 2). */
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
}

static const struct bus_type virtio_bus = {
	.name = "virtio",
	.match = virtio_dev_match,
	.uevent = virtio_uevent,
	.probe = virtio_dev_probe,
	.remove = virtio_dev_remove,
	.dev_groups = virtio_dev_groups,
};

/**
 * is_virtio_device - is this a virtio device?
 * @dev: any device
 *
 * Extension (Linux 6.12).
 *
 * Return: true when @dev is embedded in a struct virtio_device.
 */
bool is_virtio_device(struct device *dev)
{
	return dev->bus == &virtio_bus;
}
EXPORT_SYMBOL_GPL(is_virtio_device);

/* --- suspend and resume -------------------------------------------------- */

/**
 * virtio_device_freeze - the guest suspends: quiesce a device
 * @vdev: the device; its transport calls this from its dev_pm_ops
 *
 * Extension (Linux 6.12).  Config-change notices are held back and the
 * driver's freeze, which resets the device and deletes its queues, runs.
 * A device whose driver has no freeze is left as it is, running, and
 * virtio_device_restore() leaves it alone too.
 *
 * Return: 0 or the driver's error, which aborts the suspend.
 */
int virtio_device_freeze(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->dev.driver ?
				    drv_to_virtio(vdev->dev.driver) : NULL;
	int err;

	if (!drv || !drv->freeze)
		return 0;
	virtio_config_disable(vdev);
	err = drv->freeze(vdev);
	if (err) {
		virtio_config_enable(vdev);
		return err;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_device_freeze);

/**
 * virtio_device_restore - the guest resumed: bring a frozen device back
 * @vdev: the device
 *
 * Extension (Linux 6.12).  The device is reset and initialized again with
 * the features negotiated at probe (§3.1.1), then the driver's restore
 * sets its queues up again.  Config-change notices held back meanwhile are
 * delivered.
 *
 * Return: 0 or a negative errno; the device is marked FAILED then.
 */
int virtio_device_restore(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->dev.driver ?
				    drv_to_virtio(vdev->dev.driver) : NULL;
	u64 features = vdev->features;
	int err;

	if (!drv || !drv->freeze)
		return 0;
	virtio_reset_device(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	vdev->features = features & vdev->config->get_features(vdev);
	if (vdev->features != features) {
		dev_err(&vdev->dev, "features 0x%llx lost over suspend\n",
			features & ~vdev->features);
		err = -ENODEV;
		goto failed;
	}
	err = virtio_features_ok(vdev, features);
	if (err)
		goto failed;
	if (drv->restore) {
		err = drv->restore(vdev);
		if (err)
			goto failed;
	}
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
		virtio_device_ready(vdev);
	virtio_config_enable(vdev);
	return 0;

failed:
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	return err;
}
EXPORT_SYMBOL_GPL(virtio_device_restore);

/**
 * __register_virtio_driver - register a driver with the virtio bus
 * @drv: the driver, with name, id_table, probe and remove filled in
 * @owner: the module that provides it
 *
 * Use register_virtio_driver() or module_virtio_driver() instead.
 *
 * Return: 0 or a negative errno.
 */
int __register_virtio_driver(struct virtio_driver *drv, struct module *owner)
{
	if (WARN_ON(!drv->probe || !drv->remove || !drv->id_table))
		return -EINVAL;
	drv->driver.bus = &virtio_bus;
	drv->driver.owner = owner;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__register_virtio_driver);

/**
 * unregister_virtio_driver - unregister a virtio driver
 * @drv: the driver; it is unbound from every device first
 */
void unregister_virtio_driver(struct virtio_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(unregister_virtio_driver);

/**
 * register_virtio_device - add a device found by a transport to the bus
 * @vdev: the device; the transport sets id, config, dev.parent and
 *	dev.release before the call
 *
 * Resets the device and sets ACKNOWLEDGE (VIRTIO 1.2 §3.1.1 steps 1-2),
 * then adds it to the bus, where a matching driver is probed.
 *
 * Return: 0 or a negative errno.  On failure the caller still owns a
 * reference and must drop it with put_device(&vdev->dev).
 */
int register_virtio_device(struct virtio_device *vdev)
{
	int err;

	device_initialize(&vdev->dev);
	vdev->dev.bus = &virtio_bus;
	INIT_LIST_HEAD(&vdev->vqs);
	spin_lock_init(&vdev->vqs_lock);
	spin_lock_init(&vdev->config_lock);
	INIT_WORK(&vdev->config_work, virtio_config_work);
	vdev->config_enabled = false;
	vdev->config_pending = false;
	vdev->features = 0;

	err = ida_alloc(&virtio_index_ida, GFP_KERNEL);
	if (err < 0)
		return err;
	vdev->index = err;
	err = dev_set_name(&vdev->dev, "virtio%u", vdev->index);
	if (err)
		goto out_ida;

	virtio_reset_device(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);

	err = device_add(&vdev->dev);
	if (err)
		goto out_failed;
	return 0;

out_failed:
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
out_ida:
	ida_free(&virtio_index_ida, vdev->index);
	return err;
}
EXPORT_SYMBOL_GPL(register_virtio_device);

/**
 * unregister_virtio_device - remove a device from the bus
 * @vdev: the device; its driver, if any, is removed first
 *
 * Drops the reference register_virtio_device() took; the transport's
 * release() runs once the last user is gone.
 */
void unregister_virtio_device(struct virtio_device *vdev)
{
	int index = vdev->index;

	device_del(&vdev->dev);
	cancel_work_sync(&vdev->config_work);
	put_device(&vdev->dev);
	ida_free(&virtio_index_ida, index);
}
EXPORT_SYMBOL_GPL(unregister_virtio_device);

static int __init virtio_init(void)
{
	return bus_register(&virtio_bus);
}

static void __exit virtio_exit(void)
{
	bus_unregister(&virtio_bus);
	ida_destroy(&virtio_index_ida);
}

core_initcall(virtio_init);
module_exit(virtio_exit);

MODULE_DESCRIPTION("Virtio bus core");
MODULE_LICENSE("GPL");
