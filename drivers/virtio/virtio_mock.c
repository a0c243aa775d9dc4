// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock virtio transport: a device played by a KUnit test.
 *
 * It registers a real struct virtio_device on the virtio bus, so drivers
 * bind to it exactly as they do to a PCI device, and it creates real split
 * rings through vring_create_virtqueue().  The device side of those rings
 * is done here, by reading and writing the ring memory the way a device
 * does (VIRTIO 1.2 §2.7): the test decides what the device does and when.
 */
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mock.h>
#include <linux/virtio_ring.h>

#define MOCK_MAX_QUEUES		8
#define MOCK_CONFIG_BYTES	256
#define MOCK_STATUS_LOG		32

struct virtio_mock_queue {
	struct virtqueue *vq;
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 last_avail;
	u16 used_idx;
	unsigned int notifications;
};

struct virtio_mock_device {
	struct virtio_device vdev;
	struct device *parent;	/* does the "DMA" */
	struct virtio_mock_params p;
	u8 config[MOCK_CONFIG_BYTES];
	u32 generation;
	u8 status;
	u8 status_log[MOCK_STATUS_LOG];
	unsigned int status_writes;
	u64 driver_features;
	struct virtio_mock_queue q[MOCK_MAX_QUEUES];
};

/* Names the parent device of each mock: several may live at once. */
static atomic_t mock_serial = ATOMIC_INIT(0);

static struct virtio_mock_device *to_mock(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_mock_device, vdev);
}

/* The mock device has no IOMMU: bus addresses are physical addresses. */
static void *mock_addr(struct virtio_mock_device *m, dma_addr_t addr)
{
	return phys_to_virt(dma_to_phys(m->parent, addr));
}

/* --- config ops ----------------------------------------------------------- */

static void mock_get(struct virtio_device *vdev, unsigned int offset,
		     void *buf, unsigned int len)
{
	struct virtio_mock_device *m = to_mock(vdev);

	if (offset + len > m->p.config_len || offset + len < offset) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, m->config + offset, len);
}

static void mock_set(struct virtio_device *vdev, unsigned int offset,
		     const void *buf, unsigned int len)
{
	struct virtio_mock_device *m = to_mock(vdev);

	if (offset + len <= m->p.config_len && offset + len >= offset)
		memcpy(m->config + offset, buf, len);
}

static u32 mock_generation(struct virtio_device *vdev)
{
	return READ_ONCE(to_mock(vdev)->generation);
}

static u8 mock_get_status(struct virtio_device *vdev)
{
	return to_mock(vdev)->status;
}

static void mock_log_status(struct virtio_mock_device *m, u8 status)
{
	if (m->status_writes < MOCK_STATUS_LOG)
		m->status_log[m->status_writes] = status;
	m->status_writes++;
}

static void mock_set_status(struct virtio_device *vdev, u8 status)
{
	struct virtio_mock_device *m = to_mock(vdev);

	mock_log_status(m, status);
	if (m->p.refuse_features_ok)
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	m->status = status;
}

static void mock_reset(struct virtio_device *vdev)
{
	struct virtio_mock_device *m = to_mock(vdev);

	mock_log_status(m, 0);
	m->status = 0;
	m->driver_features = 0;
}

static u64 mock_get_features(struct virtio_device *vdev)
{
	return to_mock(vdev)->p.features;
}

static int mock_finalize_features(struct virtio_device *vdev)
{
	to_mock(vdev)->driver_features = vdev->features;
	return 0;
}

static bool mock_notify(struct virtqueue *vq)
{
	struct virtio_mock_device *m = to_mock(vq->vdev);

	m->q[vq->index].notifications++;
	if (m->p.on_notify)
		m->p.on_notify(m, vq->index, m->p.ctx);
	return true;
}

static void mock_del_vqs(struct virtio_device *vdev)
{
	struct virtio_mock_device *m = to_mock(vdev);
	unsigned int i;

	for (i = 0; i < MOCK_MAX_QUEUES; i++) {
		if (m->q[i].vq)
			vring_del_virtqueue(m->q[i].vq);
		memset(&m->q[i], 0, sizeof(m->q[i]));
	}
}

static int mock_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			 struct virtqueue *vqs[],
			 const struct virtqueue_info info[])
{
	struct virtio_mock_device *m = to_mock(vdev);
	unsigned int i;

	if (nvqs > m->p.num_queues)
		return -ENOENT;
	for (i = 0; i < nvqs; i++) {
		struct virtio_mock_queue *q = &m->q[i];
		struct vring_params p = {
			.index = i,
			.num = m->p.queue_size,
			.align = 4,
			.dma_dev = m->parent,
			.notify = mock_notify,
			.callback = info[i].callback,
			.name = info[i].name,
		};

		vqs[i] = NULL;
		if (!info[i].name)
			continue;
		q->vq = vring_create_virtqueue(vdev, &p);
		if (IS_ERR(q->vq)) {
			int err = PTR_ERR(q->vq);

			q->vq = NULL;
			mock_del_vqs(vdev);
			return err;
		}
		q->num = p.num;
		q->desc = mock_addr(m, virtqueue_get_desc_addr(q->vq));
		q->avail = mock_addr(m, virtqueue_get_avail_addr(q->vq));
		q->used = mock_addr(m, virtqueue_get_used_addr(q->vq));
		vqs[i] = q->vq;
	}
	return 0;
}

static const char *mock_bus_name(struct virtio_device *vdev)
{
	return "virtio_mock";
}

static const struct virtio_config_ops mock_config_ops = {
	.get = mock_get,
	.set = mock_set,
	.generation = mock_generation,
	.get_status = mock_get_status,
	.set_status = mock_set_status,
	.reset = mock_reset,
	.get_features = mock_get_features,
	.finalize_features = mock_finalize_features,
	.find_vqs = mock_find_vqs,
	.del_vqs = mock_del_vqs,
	.bus_name = mock_bus_name,
};

/* --- lifetime ------------------------------------------------------------- */

static void mock_release(struct device *d)
{
	struct virtio_mock_device *m = to_mock(dev_to_virtio(d));

	root_device_unregister(m->parent);
	kfree(m);
}

/**
 * virtio_mock_create - create a mock device and add it to the virtio bus
 * @p: what the device offers; copied
 *
 * A driver whose id table matches @p->device_id is probed before this
 * returns.
 *
 * Return: the device or an ERR_PTR().
 */
struct virtio_mock_device *virtio_mock_create(const struct virtio_mock_params *p)
{
	struct virtio_mock_device *m;
	char name[24];
	int err;

	if (p->config_len > MOCK_CONFIG_BYTES || p->num_queues > MOCK_MAX_QUEUES)
		return ERR_PTR(-EINVAL);

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->p = *p;
	if (p->config)
		memcpy(m->config, p->config, p->config_len);

	snprintf(name, sizeof(name), "virtio_mock.%u",
		 (unsigned int)atomic_inc_return(&mock_serial));
	m->parent = root_device_register(name);
	if (IS_ERR(m->parent)) {
		err = PTR_ERR(m->parent);
		kfree(m);
		return ERR_PTR(err);
	}
	m->parent->coherent_dma_mask = DMA_BIT_MASK(64);
	m->parent->dma_mask = &m->parent->coherent_dma_mask;

	m->vdev.id.device = p->device_id;
	m->vdev.id.vendor = p->vendor_id;
	m->vdev.config = &mock_config_ops;
	m->vdev.dev.parent = m->parent;
	m->vdev.dev.release = mock_release;

	err = register_virtio_device(&m->vdev);
	if (err) {
		put_device(&m->vdev.dev);
		return ERR_PTR(err);
	}
	return m;
}
EXPORT_SYMBOL_GPL(virtio_mock_create);

/**
 * virtio_mock_destroy - remove a mock device from the bus and free it
 * @m: the device; its driver, if any, is removed first
 */
void virtio_mock_destroy(struct virtio_mock_device *m)
{
	unregister_virtio_device(&m->vdev);
}
EXPORT_SYMBOL_GPL(virtio_mock_destroy);

/**
 * virtio_mock_vdev - the struct virtio_device of a mock device
 * @m: the mock device
 */
struct virtio_device *virtio_mock_vdev(struct virtio_mock_device *m)
{
	return &m->vdev;
}
EXPORT_SYMBOL_GPL(virtio_mock_vdev);

/**
 * virtio_mock_activate - bring a driverless mock device up by hand
 * @m: the device, bound to no driver
 * @features: the features to behave as negotiated
 *
 * For tests of the rings themselves: afterwards the test may call
 * virtio_find_vqs() and use the queues as a driver would.
 *
 * Return: 0, or -EBUSY when a driver is bound.
 */
int virtio_mock_activate(struct virtio_mock_device *m, u64 features)
{
	if (m->vdev.dev.driver)
		return -EBUSY;
	m->vdev.features = features;
	m->driver_features = features;
	mock_set_status(&m->vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
				  VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK);
	virtio_device_ready(&m->vdev);
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_mock_activate);

/**
 * virtio_mock_status - the device status byte the driver last wrote
 * @m: the device
 */
u8 virtio_mock_status(struct virtio_mock_device *m)
{
	return m->status;
}
EXPORT_SYMBOL_GPL(virtio_mock_status);

/**
 * virtio_mock_status_log - every status write since creation, in order
 * @m: the device
 * @log: set to the log; a reset is logged as 0
 *
 * Return: the number of writes (the log keeps the first 32).
 */
unsigned int virtio_mock_status_log(struct virtio_mock_device *m,
				    const u8 **log)
{
	*log = m->status_log;
	return min_t(unsigned int, m->status_writes, MOCK_STATUS_LOG);
}
EXPORT_SYMBOL_GPL(virtio_mock_status_log);

/**
 * virtio_mock_driver_features - the features the driver accepted
 * @m: the device
 */
u64 virtio_mock_driver_features(struct virtio_mock_device *m)
{
	return m->driver_features;
}
EXPORT_SYMBOL_GPL(virtio_mock_driver_features);

/**
 * virtio_mock_set_config - change config space and notify the driver
 * @m: the device
 * @offset: where
 * @buf: new bytes, in the device's byte order
 * @len: how many
 *
 * Bumps the config generation (§2.5.1) and raises a config-change
 * notification.
 */
void virtio_mock_set_config(struct virtio_mock_device *m, unsigned int offset,
			    const void *buf, unsigned int len)
{
	if (WARN_ON(offset + len > m->p.config_len || offset + len < offset))
		return;
	WRITE_ONCE(m->generation, m->generation + 1);
	memcpy(m->config + offset, buf, len);
	virtio_config_changed(&m->vdev);
}
EXPORT_SYMBOL_GPL(virtio_mock_set_config);

/* --- the device side of the ring ------------------------------------------ */

static struct virtio_mock_queue *mock_queue(struct virtio_mock_device *m,
					    unsigned int qidx)
{
	if (WARN_ON(qidx >= MOCK_MAX_QUEUES || !m->q[qidx].vq))
		return NULL;
	return &m->q[qidx];
}

/**
 * virtio_mock_notifications - how often the driver notified a queue
 * @m: the device
 * @qidx: the queue
 */
unsigned int virtio_mock_notifications(struct virtio_mock_device *m,
				       unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	return q ? q->notifications : 0;
}
EXPORT_SYMBOL_GPL(virtio_mock_notifications);

/**
 * virtio_mock_pop_avail - take the next available buffer, as a device does
 * @m: the device
 * @qidx: the queue
 * @buf: filled with the buffer's descriptors
 *
 * Return: 0, -ENOENT when the driver has made nothing available, or -EIO
 * when the chain is malformed (loops, or is longer than @buf can hold).
 */
int virtio_mock_pop_avail(struct virtio_mock_device *m, unsigned int qidx,
			  struct virtio_mock_buf *buf)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);
	struct virtio_device *vdev = &m->vdev;
	u16 i, flags;

	if (!q)
		return -EINVAL;
	if (virtio16_to_cpu(vdev, READ_ONCE(q->avail->idx)) == q->last_avail)
		return -ENOENT;
	/* The index before the entry it covers, as a device must (§2.7.13). */
	virt_rmb();
	i = virtio16_to_cpu(vdev, q->avail->ring[q->last_avail % q->num]);
	q->last_avail++;

	memset(buf, 0, sizeof(*buf));
	buf->head = i;
	do {
		struct vring_desc *d;

		if (i >= q->num || buf->num >= ARRAY_SIZE(buf->seg))
			return -EIO;
		d = &q->desc[i];
		flags = virtio16_to_cpu(vdev, d->flags);
		buf->seg[buf->num].addr =
			mock_addr(m, virtio64_to_cpu(vdev, d->addr));
		buf->seg[buf->num].len = virtio32_to_cpu(vdev, d->len);
		buf->seg[buf->num].write = flags & VRING_DESC_F_WRITE;
		if (flags & VRING_DESC_F_WRITE)
			buf->in_len += buf->seg[buf->num].len;
		else
			buf->out_len += buf->seg[buf->num].len;
		buf->num++;
		i = virtio16_to_cpu(vdev, d->next);
	} while (flags & VRING_DESC_F_NEXT);
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_mock_pop_avail);

/**
 * virtio_mock_write_used - write a used element without publishing it
 * @m: the device
 * @qidx: the queue
 * @slot: used ring slot (taken modulo the queue size)
 * @id: the id to report, valid or not
 * @len: the length to report, true or not
 */
void virtio_mock_write_used(struct virtio_mock_device *m, unsigned int qidx,
			    u16 slot, u32 id, u32 len)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (!q)
		return;
	q->used->ring[slot % q->num].id = cpu_to_virtio32(&m->vdev, id);
	q->used->ring[slot % q->num].len = cpu_to_virtio32(&m->vdev, len);
}
EXPORT_SYMBOL_GPL(virtio_mock_write_used);

/**
 * virtio_mock_set_used_idx - publish a used index, whatever it is
 * @m: the device
 * @qidx: the queue
 * @idx: the new used->idx
 */
void virtio_mock_set_used_idx(struct virtio_mock_device *m, unsigned int qidx,
			      u16 idx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (!q)
		return;
	virt_wmb();	/* elements before the index (§2.7.8) */
	q->used_idx = idx;
	WRITE_ONCE(q->used->idx, cpu_to_virtio16(&m->vdev, idx));
}
EXPORT_SYMBOL_GPL(virtio_mock_set_used_idx);

/**
 * virtio_mock_push_used - return a buffer used, as a well-behaved device
 * @m: the device
 * @qidx: the queue
 * @id: the head from virtio_mock_pop_avail()
 * @len: bytes written into the buffer
 */
void virtio_mock_push_used(struct virtio_mock_device *m, unsigned int qidx,
			   u32 id, u32 len)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (!q)
		return;
	virtio_mock_write_used(m, qidx, q->used_idx, id, len);
	virtio_mock_set_used_idx(m, qidx, q->used_idx + 1);
}
EXPORT_SYMBOL_GPL(virtio_mock_push_used);

/**
 * virtio_mock_avail_flags - the driver's avail->flags (§2.7.6)
 * @m: the device
 * @qidx: the queue
 */
u16 virtio_mock_avail_flags(struct virtio_mock_device *m, unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	return q ? virtio16_to_cpu(&m->vdev, READ_ONCE(q->avail->flags)) : 0;
}
EXPORT_SYMBOL_GPL(virtio_mock_avail_flags);

/**
 * virtio_mock_set_used_flags - set the device's used->flags (§2.7.8)
 * @m: the device
 * @qidx: the queue
 * @flags: e.g. VRING_USED_F_NO_NOTIFY
 */
void virtio_mock_set_used_flags(struct virtio_mock_device *m,
				unsigned int qidx, u16 flags)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (q)
		WRITE_ONCE(q->used->flags, cpu_to_virtio16(&m->vdev, flags));
}
EXPORT_SYMBOL_GPL(virtio_mock_set_used_flags);

/**
 * virtio_mock_interrupt - raise the queue's interrupt
 * @m: the device
 * @qidx: the queue
 *
 * Runs the ring's interrupt handler with interrupts off, as a real one
 * would run.
 *
 * Return: what the handler returned (IRQ_NONE or IRQ_HANDLED).
 */
int virtio_mock_interrupt(struct virtio_mock_device *m, unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);
	unsigned long flags;
	irqreturn_t ret;

	if (!q)
		return IRQ_NONE;
	local_irq_save(flags);
	ret = vring_interrupt(0, q->vq);
	local_irq_restore(flags);
	return ret;
}
EXPORT_SYMBOL_GPL(virtio_mock_interrupt);

MODULE_DESCRIPTION("Mock virtio transport for KUnit tests");
MODULE_LICENSE("GPL");
