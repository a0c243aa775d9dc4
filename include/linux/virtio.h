/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_VIRTIO_H
#define _LINUX_VIRTIO_H
/*
 * Everything a virtio driver needs to work with any virtio transport.
 *
 * The interface is the original virtio design: a bus on the driver core,
 * drivers matched to devices by struct virtio_device_id, a generic config
 * space (<linux/virtio_config.h>) and virtqueues driven through
 * struct virtqueue_ops.  Extensions to that design are marked "Extension:"
 * and documented in Documentation/driver-api/virtio/virtio.rst.
 */
#include <linux/types.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/workqueue.h>

struct virtqueue_ops;
struct irq_affinity;

/**
 * struct virtqueue - a queue to register buffers for sending or receiving.
 * @callback: the function to call when buffers are consumed (can be NULL).
 *	If this returns false, callbacks are suppressed until vq_ops->restart
 *	is called.  Return true only if no other context consumes the queue
 *	meanwhile: the ring re-enables callbacks after this returns.
 * @vdev: the virtio device this queue was created for.
 * @vq_ops: the operations for this virtqueue (see below).
 * @priv: a pointer for the transport that created the queue to use.
 * @index: Extension: the queue's index on its device (VIRTIO 1.2 §2.6).
 * @name: Extension: the name the driver gave the queue, for messages.
 * @list: Extension: entry in the device's list of queues, owned by the
 *	ring implementation.
 * @num_free: Extension (Linux 6.12): descriptors free right now; read
 *	only, under the driver's lock.
 * @num_max: Extension (Linux 6.12): the largest size the device allows.
 * @reset: Extension (Linux 6.12): always false: queues are not reset
 *	one at a time.
 *
 * A queue created for the seed API (struct virtqueue_info.seed_callback)
 * has @callback; one created for the Linux 6.12 API, whose callback
 * returns nothing, has it NULL and the ring keeps the void callback.
 */
struct virtqueue {
	bool (*callback)(struct virtqueue *vq);
	struct virtio_device *vdev;
	const struct virtqueue_ops *vq_ops;
	void *priv;
	unsigned int index;
	const char *name;
	struct list_head list;
	unsigned int num_free;
	unsigned int num_max;
	bool reset;
};

/**
 * struct virtqueue_ops - operations for virtqueue abstraction layer
 * @add_buf: expose buffer to other end
 *	vq: the struct virtqueue we're talking about.
 *	sg: the description of the buffer(s).
 *	out_num: the number of sg readable by other side
 *	in_num: the number of sg which are writable (after readable ones)
 *	data: the token identifying the buffer (must not be NULL).
 *	Returns 0, -ENOSPC when the ring has no room for the buffer, -ENOMEM
 *	when it cannot be mapped for DMA, or -EIO once the queue is broken.
 * @kick: update after add_buf
 *	vq: the struct virtqueue
 *	After one or more add_buf calls, invoke this to kick the other side.
 * @get_buf: get the next used buffer
 *	vq: the struct virtqueue we're talking about.
 *	len: the length written into the buffer
 *	Returns NULL or the "data" token handed to add_buf.
 * @restart: restart callbacks after callback returned false.
 *	vq: the struct virtqueue we're talking about.
 *	This returns "false" (and doesn't re-enable) if there are pending
 *	buffers in the queue, to avoid a race.
 * @shutdown: "unadd" all buffers.
 *	vq: the struct virtqueue we're talking about.
 *	Remove everything from the queue.  The device must have been reset
 *	first, so that it no longer touches the ring.
 * @restart_delayed: Extension: like @restart, but the device is asked to
 *	signal only once most outstanding buffers are used (with
 *	VIRTIO_RING_F_EVENT_IDX; plain @restart otherwise).  For transmit
 *	queues that reclaim in batches.
 * @detach_unused_buf: Extension: after @shutdown, hand back the token of
 *	one buffer the device never used, or NULL when none is left.  With
 *	@get_buf this returns every token exactly once.
 *
 * Locking rules are straightforward: the driver is responsible for
 * locking.  No two operations may be invoked simultaneously.
 *
 * All operations can be called in any context.
 */
struct virtqueue_ops {
	int (*add_buf)(struct virtqueue *vq,
		       struct scatterlist sg[],
		       unsigned int out_num,
		       unsigned int in_num,
		       void *data);
	void (*kick)(struct virtqueue *vq);
	void *(*get_buf)(struct virtqueue *vq, unsigned int *len);
	bool (*restart)(struct virtqueue *vq);
	bool (*restart_delayed)(struct virtqueue *vq);
	void (*shutdown)(struct virtqueue *vq);
	void *(*detach_unused_buf)(struct virtqueue *vq);
};

bool virtqueue_is_broken(const struct virtqueue *vq);
unsigned int virtqueue_get_vring_size(const struct virtqueue *vq);
unsigned int virtqueue_num_free(const struct virtqueue *vq);
size_t virtio_max_dma_size(const struct virtio_device *vdev);

/*
 * Extension: the Linux 6.12 driver API's virtqueue calls, thin wrappers
 * over the same rings (drivers/virtio/virtqueue_api.c), for the base
 * tree's drivers.  Documentation/driver-api/virtio/virtio.rst maps each
 * to the seed operation it wraps.
 */
int virtqueue_add_sgs(struct virtqueue *vq, struct scatterlist *sgs[],
		      unsigned int out_sgs, unsigned int in_sgs, void *data,
		      gfp_t gfp);
int virtqueue_add_outbuf(struct virtqueue *vq, struct scatterlist *sg,
			 unsigned int num, void *data, gfp_t gfp);
int virtqueue_add_inbuf(struct virtqueue *vq, struct scatterlist *sg,
			unsigned int num, void *data, gfp_t gfp);
int virtqueue_add_inbuf_ctx(struct virtqueue *vq, struct scatterlist *sg,
			    unsigned int num, void *data, void *ctx, gfp_t gfp);
bool virtqueue_kick(struct virtqueue *vq);
bool virtqueue_kick_prepare(struct virtqueue *vq);
bool virtqueue_notify(struct virtqueue *vq);
void *virtqueue_get_buf(struct virtqueue *vq, unsigned int *len);
void *virtqueue_get_buf_ctx(struct virtqueue *vq, unsigned int *len,
			    void **ctx);
void virtqueue_disable_cb(struct virtqueue *vq);
bool virtqueue_enable_cb(struct virtqueue *vq);
unsigned int virtqueue_enable_cb_prepare(struct virtqueue *vq);
bool virtqueue_poll(struct virtqueue *vq, unsigned int last);
bool virtqueue_enable_cb_delayed(struct virtqueue *vq);
void *virtqueue_detach_unused_buf(struct virtqueue *vq);
struct device *virtqueue_dma_dev(struct virtqueue *vq);

/**
 * struct virtio_device - representation of a device using virtio
 * @index: unique position on the virtio bus
 * @dev: underlying device.
 * @id: the device type identification (used to match it with a driver).
 * @config: the configuration ops for this device.
 * @priv: private pointer for the driver's use.
 * @features: Extension: the feature bits negotiated with the device
 *	(VIRTIO 1.2 §2.2), valid from the driver's probe on.
 * @vqs: Extension: the device's virtqueues.
 * @vqs_lock: Extension: protects @vqs, which a transport's remove walks
 *	(virtio_break_device()) while the driver may add or delete queues.
 * @ready: Extension: DRIVER_OK has been set; notifications are allowed.
 * @reset_failed: Extension: the last reset did not finish, and the device
 *	may still use its queues' memory (virtio_reset_failed()).
 * @config_lock: Extension: protects @config_enabled, @config_pending.
 * @config_enabled: Extension: config-change notices go to the driver.
 * @config_pending: Extension: a notice arrived while they were held back.
 * @config_work: Extension: runs the driver's config_changed().
 */
struct virtio_device {
	int index;
	struct device dev;
	struct virtio_device_id id;
	const struct virtio_config_ops *config;
	void *priv;
	u64 features;
	struct list_head vqs;
	spinlock_t vqs_lock;	/* see above */
	bool ready;
	bool reset_failed;
	spinlock_t config_lock;	/* see above */
	bool config_enabled;
	bool config_pending;
	struct work_struct config_work;
};

#define dev_to_virtio(_dev)	container_of_const(_dev, struct virtio_device, dev)

int register_virtio_device(struct virtio_device *dev);
void unregister_virtio_device(struct virtio_device *dev);
bool is_virtio_device(struct device *dev);
int virtio_device_freeze(struct virtio_device *dev);
int virtio_device_restore(struct virtio_device *dev);

/**
 * virtio_device_for_each_vq - iterate over a device's virtqueues
 * @vdev: the device
 * @vq: a struct virtqueue pointer, set to each queue in turn
 *
 * Extension (Linux 6.12).  Not while queues are created or deleted.
 */
#define virtio_device_for_each_vq(vdev, vq) \
	list_for_each_entry(vq, &(vdev)->vqs, list)

void virtio_device_ready(struct virtio_device *dev);
void virtio_reset_device(struct virtio_device *dev);
void virtio_config_changed(struct virtio_device *dev);
void virtio_break_device(struct virtio_device *dev);
void virtio_reset_failed(struct virtio_device *dev);

/**
 * struct virtio_feature_dep - Extension: a feature bit and what it needs
 * @fbit: the feature bit
 * @needs: the bits of which at least one must be negotiated for @fbit to
 *	be usable (VIRTIO 1.2 §2.2); for a bit that needs two others, two
 *	entries.
 *
 * For virtio_drop_unmet_features(), from a driver's validate.
 */
struct virtio_feature_dep {
	unsigned int fbit;
	u64 needs;
};

void virtio_drop_unmet_features(struct virtio_device *dev,
				const struct virtio_feature_dep *deps,
				unsigned int n);

/**
 * struct virtio_driver - operations for a virtio I/O driver
 * @driver: underlying device driver (populate name and owner).
 * @id_table: the ids serviced by this driver.
 * @feature_table: Extension: the feature bits the driver understands.
 * @feature_table_size: Extension: number of entries in @feature_table.
 * @feature_table_legacy: Extension (Linux 6.12): the bits the driver
 *	understands on a legacy device (no VIRTIO_F_VERSION_1), instead of
 *	@feature_table when given.
 * @feature_table_size_legacy: Extension: entries in @feature_table_legacy.
 * @validate: Extension (Linux 6.12 name), optional: called with the
 *	features the device offers and @feature_table lists in
 *	@dev->features, before they are written to the device.  It may clear
 *	bits whose dependencies are missing (VIRTIO 1.2 §2.2: a driver must
 *	not accept a feature without the ones it depends on), or return a
 *	negative errno to refuse the device.  Config space may be read;
 *	queues do not exist yet.
 * @probe: the function to call when a device is found.  Returns 0 or a
 *	negative errno.  Feature negotiation is complete when it runs; it may
 *	call virtio_device_ready() to use its queues before it returns.
 * @scan: Extension (Linux 6.12), optional: called after @probe, once the
 *	device is DRIVER_OK.
 * @remove: the function when a device is removed.  It must reset the
 *	device (virtio_reset_device()) before it frees the queues' buffers.
 * @config_changed: Extension: the device's configuration changed.  Called
 *	in process context, never while @probe or @remove runs.
 * @freeze: Extension (Linux 6.12), optional: the guest suspends; reset the
 *	device and delete its queues.  See virtio_device_freeze().
 * @restore: Extension (Linux 6.12), optional: the guest resumed; features
 *	are negotiated again, set the queues up again.
 */
struct virtio_driver {
	struct device_driver driver;
	const struct virtio_device_id *id_table;
	const unsigned int *feature_table;
	unsigned int feature_table_size;
	const unsigned int *feature_table_legacy;
	unsigned int feature_table_size_legacy;
	int (*validate)(struct virtio_device *dev);
	int (*probe)(struct virtio_device *dev);
	void (*scan)(struct virtio_device *dev);
	void (*remove)(struct virtio_device *dev);
	void (*config_changed)(struct virtio_device *dev);
	int (*freeze)(struct virtio_device *dev);
	int (*restore)(struct virtio_device *dev);
};

#define drv_to_virtio(__drv)	container_of_const(__drv, struct virtio_driver, driver)

int __register_virtio_driver(struct virtio_driver *drv, struct module *owner);
void unregister_virtio_driver(struct virtio_driver *drv);

/**
 * register_virtio_driver - register a driver with the virtio bus
 * @drv: the driver; its owner is set to the calling module.
 *
 * Return: 0 or a negative errno from driver_register().
 */
#define register_virtio_driver(drv) \
	__register_virtio_driver(drv, THIS_MODULE)

/**
 * module_virtio_driver - register a virtio driver for the module's lifetime
 * @__virtio_driver: the struct virtio_driver
 */
#define module_virtio_driver(__virtio_driver) \
	module_driver(__virtio_driver, register_virtio_driver, \
		      unregister_virtio_driver)

#endif /* _LINUX_VIRTIO_H */
