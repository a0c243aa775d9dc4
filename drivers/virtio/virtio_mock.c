// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock virtio transport: a device played by a KUnit test.
 *
 * It registers a real struct virtio_device on the virtio bus, so drivers
 * bind to it exactly as they do to a PCI device, and it creates real rings
 * through vring_create_virtqueue(): split, or packed when the driver
 * negotiated VIRTIO_F_RING_PACKED.  The device side of those rings is done
 * here, by reading and writing the ring memory the way a device does
 * (VIRTIO 1.2 §2.7, §2.8), indirect tables and event suppression included:
 * the test decides what the device does and when.  Taking a buffer, the
 * mock checks the rules of the ring a driver must keep, and refuses a
 * buffer that breaks one.
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

#define MOCK_AVAIL	BIT(VRING_PACKED_DESC_F_AVAIL)
#define MOCK_USED	BIT(VRING_PACKED_DESC_F_USED)
#define MOCK_WRAP	BIT(VRING_PACKED_EVENT_F_WRAP_CTR)

/* The device's side of one split ring (§2.7). */
struct mock_split {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 last_avail;		/* next avail ring entry to take */
	u16 used_idx;		/* used->idx as last published */
	u16 signalled;		/* used_idx at the last interrupt decision */
};

/* A position in a packed ring and the wrap counter that goes with it. */
struct mock_pos {
	u16 pos;
	bool wrap;
};

/* The device's side of one packed ring (§2.8). */
struct mock_packed {
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver;	/* the driver writes */
	struct vring_packed_desc_event *device;	/* we write */
	struct mock_pos avail;	/* next descriptor to look at */
	struct mock_pos used;	/* next descriptor to write used */
	struct mock_pos signalled;	/* used at the last interrupt decision */
	unsigned int unsignalled;	/* descriptors used since then */
	u16 *ndescs;		/* by buffer id: ring descriptors; 0: not popped */
};

struct virtio_mock_queue {
	struct virtqueue *vq;
	unsigned int num;
	bool is_packed;
	unsigned int notifications;
	union {
		struct mock_split split;
		struct mock_packed packed;
	};
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

	if (offset + len > m->p.config_len || offset + len < offset)
		memset(buf, 0, len);
	else
		memcpy(buf, m->config + offset, len);
	if (m->p.on_config_get)
		m->p.on_config_get(m, offset, len, m->p.ctx);
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
	if (m->p.reset_never_finishes &&
	    (m->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		/* What a transport does when status never reads back 0. */
		virtio_reset_failed(vdev);
		return;
	}
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
		struct virtio_mock_queue *q = &m->q[i];

		if (q->vq)
			vring_del_virtqueue(q->vq);
		if (q->is_packed)
			kfree(q->packed.ndescs);
		memset(q, 0, sizeof(*q));
	}
}

/* Find the parts of a new ring, as a device learns them from the driver. */
static int mock_setup_queue(struct virtio_mock_device *m,
			    struct virtio_mock_queue *q, unsigned int num)
{
	void *desc = mock_addr(m, virtqueue_get_desc_addr(q->vq));
	void *driver = mock_addr(m, virtqueue_get_avail_addr(q->vq));
	void *device = mock_addr(m, virtqueue_get_used_addr(q->vq));

	q->num = num;
	q->is_packed = virtio_has_feature(&m->vdev, VIRTIO_F_RING_PACKED);
	if (!q->is_packed) {
		q->split.desc = desc;
		q->split.avail = driver;
		q->split.used = device;
		return 0;
	}

	q->packed.desc = desc;
	q->packed.driver = driver;
	q->packed.device = device;
	q->packed.ndescs = kcalloc(num, sizeof(*q->packed.ndescs), GFP_KERNEL);
	if (!q->packed.ndescs)
		return -ENOMEM;
	/* Both wrap counters start at 1 (§2.8.1). */
	q->packed.avail.wrap = true;
	q->packed.used.wrap = true;
	q->packed.signalled.wrap = true;
	return 0;
}

static int mock_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			 struct virtqueue *vqs[], struct virtqueue_info info[],
			 struct irq_affinity *desc)
{
	struct virtio_mock_device *m = to_mock(vdev);
	unsigned int i, next = 0;
	int err;

	if (nvqs > m->p.num_queues)
		return -ENOENT;
	for (i = 0; i < nvqs; i++) {
		unsigned int index = virtqueue_info_index(&info[i], &next);
		struct virtio_mock_queue *q = &m->q[index];
		struct vring_params p = {
			.index = index,
			.num = m->p.queue_size,
			.align = 4,
			.dma_dev = m->parent,
			.notify = mock_notify,
			.callback = info[i].callback,
			.seed_callback = info[i].seed_callback,
			.name = info[i].name,
		};

		vqs[i] = NULL;
		if (!info[i].name)
			continue;
		q->vq = vring_create_virtqueue(vdev, &p);
		if (IS_ERR(q->vq)) {
			err = PTR_ERR(q->vq);
			q->vq = NULL;
			goto fail;
		}
		err = mock_setup_queue(m, q, p.num);
		if (err)
			goto fail;
		vqs[i] = q->vq;
	}
	return 0;

fail:
	mock_del_vqs(vdev);
	return err;
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
 * virtio_mock_needs_reset - the device fails and asks for a reset
 * @m: the mock device
 *
 * Sets DEVICE_NEEDS_RESET in the device status and sends a config-change
 * notice, as a device does that has hit an error it cannot recover from
 * by itself (VIRTIO 1.2 §2.1.2, §2.5).  A reset clears the bit.  The
 * driver hears of it later, from a work item: flush_work() on the device's
 * config_work waits for it.
 */
void virtio_mock_needs_reset(struct virtio_mock_device *m)
{
	m->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	virtio_config_changed(&m->vdev);
}
EXPORT_SYMBOL_GPL(virtio_mock_needs_reset);

/**
 * virtio_mock_set_config - change config space and notify the driver
 * @m: the device
 * @offset: where
 * @buf: new bytes, in the device's byte order
 * @len: how many
 *
 * Bumps the config generation (§2.5.1) and raises a config-change
 * notification.  May be called from &virtio_mock_params.on_config_get:
 * the notice only schedules the driver's config_changed() for later.
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

/**
 * virtio_mock_get_config - the config space bytes as the device holds them
 * @m: the device
 * @offset: where
 * @buf: filled with the bytes, in the device's byte order; with zeroes when
 *	the range is outside the config space
 * @len: how many
 *
 * The device's own view: for checking what the driver wrote, without a
 * config read the driver would make (&virtio_mock_params.on_config_get is
 * not called).
 */
void virtio_mock_get_config(struct virtio_mock_device *m, unsigned int offset,
			    void *buf, unsigned int len)
{
	if (WARN_ON(offset + len > m->p.config_len || offset + len < offset)) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, m->config + offset, len);
}
EXPORT_SYMBOL_GPL(virtio_mock_get_config);

/* --- the device side of the ring ------------------------------------------ */

static struct virtio_mock_queue *mock_queue(struct virtio_mock_device *m,
					    unsigned int qidx)
{
	if (WARN_ON(qidx >= MOCK_MAX_QUEUES || !m->q[qidx].vq))
		return NULL;
	return &m->q[qidx];
}

/* For the helpers of one layout: a queue of the other one is a test bug. */
static struct virtio_mock_queue *mock_split_queue(struct virtio_mock_device *m,
						  unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (q && WARN(q->is_packed, "virtio_mock: queue %u is packed\n", qidx))
		return NULL;
	return q;
}

static struct virtio_mock_queue *
mock_packed_queue(struct virtio_mock_device *m, unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (q && WARN(!q->is_packed, "virtio_mock: queue %u is split\n", qidx))
		return NULL;
	return q;
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

/*
 * One more segment of the buffer being taken.  Device-readable segments
 * come first (§2.7.4.2, §2.8.17); -EIO when they don't, or when @buf is
 * full.
 */
static int mock_add_seg(struct virtio_mock_device *m,
			struct virtio_mock_buf *buf, u64 addr, u32 len,
			bool write)
{
	if (buf->num >= ARRAY_SIZE(buf->seg))
		return -EIO;
	if (!write && buf->num && buf->seg[buf->num - 1].write)
		return -EIO;
	buf->seg[buf->num].addr = mock_addr(m, addr);
	buf->seg[buf->num].len = len;
	buf->seg[buf->num].write = write;
	if (write)
		buf->in_len += len;
	else
		buf->out_len += len;
	buf->num++;
	return 0;
}

/* A descriptor may be indirect only when the feature was negotiated. */
static bool mock_indirect_ok(struct virtio_mock_device *m)
{
	return virtio_has_feature(&m->vdev, VIRTIO_RING_F_INDIRECT_DESC);
}

/*
 * A split indirect table (§2.7.5.3): entries chained by next from entry 0,
 * none of them indirect.
 */
static int mock_split_indirect(struct virtio_mock_device *m,
			       struct virtio_mock_buf *buf, u64 addr, u32 len)
{
	struct virtio_device *vdev = &m->vdev;
	const struct vring_desc *table = mock_addr(m, addr);
	unsigned int count = len / sizeof(*table), n;
	u16 i = 0, flags;
	int err;

	if (!count || len % sizeof(*table))
		return -EIO;
	buf->indirect = true;
	for (n = 0; n < count && i < count; n++) {
		flags = virtio16_to_cpu(vdev, table[i].flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return -EIO;
		err = mock_add_seg(m, buf, virtio64_to_cpu(vdev, table[i].addr),
				   virtio32_to_cpu(vdev, table[i].len),
				   flags & VRING_DESC_F_WRITE);
		if (err)
			return err;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = virtio16_to_cpu(vdev, table[i].next);
	}
	return -EIO;	/* out of the table, or a loop */
}

static int mock_split_pop(struct virtio_mock_device *m,
			  struct virtio_mock_queue *q,
			  struct virtio_mock_buf *buf)
{
	struct virtio_device *vdev = &m->vdev;
	struct mock_split *s = &q->split;
	unsigned int n;
	u16 i, flags;
	int err;

	if (virtio16_to_cpu(vdev, READ_ONCE(s->avail->idx)) == s->last_avail)
		return -ENOENT;
	/* The index before the entry it covers, as a device must (§2.7.14). */
	virt_rmb();
	i = virtio16_to_cpu(vdev, s->avail->ring[s->last_avail % q->num]);
	s->last_avail++;

	buf->head = i;
	for (n = 0; n < q->num && i < q->num; n++) {
		const struct vring_desc *d = &s->desc[i];
		u64 addr = virtio64_to_cpu(vdev, d->addr);
		u32 len = virtio32_to_cpu(vdev, d->len);

		flags = virtio16_to_cpu(vdev, d->flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			/* May end a chain, never continue one (§2.7.5.3). */
			if (!mock_indirect_ok(m) || (flags & VRING_DESC_F_NEXT))
				return -EIO;
			return mock_split_indirect(m, buf, addr, len);
		}
		err = mock_add_seg(m, buf, addr, len, flags & VRING_DESC_F_WRITE);
		if (err)
			return err;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = virtio16_to_cpu(vdev, d->next);
	}
	return -EIO;	/* out of the table, or a loop */
}

/* Available in the lap of wrap counter @wrap: AVAIL == @wrap != USED. */
static bool mock_packed_avail(u16 flags, bool wrap)
{
	return !!(flags & MOCK_AVAIL) == wrap && !!(flags & MOCK_USED) != wrap;
}

/* Move @at on by @n descriptors; crossing the end flips its wrap counter. */
static void mock_packed_step(struct mock_pos *at, unsigned int n,
			     unsigned int num)
{
	unsigned int pos = at->pos + n;

	if (pos >= num) {
		pos -= num;
		at->wrap = !at->wrap;
	}
	at->pos = pos;
}

/*
 * A packed indirect table (§2.8.7): len / 16 entries in order, whose only
 * valid flag is WRITE (§2.8.19).
 */
static int mock_packed_indirect(struct virtio_mock_device *m,
				struct virtio_mock_buf *buf, u64 addr, u32 len)
{
	const struct vring_packed_desc *table = mock_addr(m, addr);
	unsigned int count = len / sizeof(*table), i;
	u16 flags;
	int err;

	if (!count || len % sizeof(*table))
		return -EIO;
	buf->indirect = true;
	for (i = 0; i < count; i++) {
		flags = le16_to_cpu(table[i].flags);
		if (flags & ~VRING_DESC_F_WRITE)
			return -EIO;
		err = mock_add_seg(m, buf, le64_to_cpu(table[i].addr),
				   le32_to_cpu(table[i].len),
				   flags & VRING_DESC_F_WRITE);
		if (err)
			return err;
	}
	return 0;
}

static int mock_packed_pop(struct virtio_mock_device *m,
			   struct virtio_mock_queue *q,
			   struct virtio_mock_buf *buf)
{
	struct mock_packed *pk = &q->packed;
	struct mock_pos at = pk->avail;
	const struct vring_packed_desc *d = &pk->desc[at.pos];
	u16 flags = le16_to_cpu(READ_ONCE(d->flags)), id = 0;
	unsigned int n;
	int err;

	if (!mock_packed_avail(flags, at.wrap))
		return -ENOENT;
	/* The flags before the descriptors they publish (§2.8.21.1). */
	virt_rmb();
	for (n = 1; ; n++) {
		u64 addr = le64_to_cpu(d->addr);
		u32 len = le32_to_cpu(d->len);

		if (flags & VRING_DESC_F_INDIRECT) {
			/* A list is one indirect descriptor or none (§2.8.5). */
			if (!mock_indirect_ok(m) || n > 1 ||
			    (flags & VRING_DESC_F_NEXT))
				return -EIO;
			err = mock_packed_indirect(m, buf, addr, len);
		} else {
			err = mock_add_seg(m, buf, addr, len,
					   flags & VRING_DESC_F_WRITE);
		}
		if (err)
			return err;
		id = le16_to_cpu(d->id);
		mock_packed_step(&at, 1, q->num);
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		/*
		 * No list is longer than the ring (§2.8.17), and each of its
		 * descriptors is available in its own lap (§2.8.6).
		 */
		if (n == q->num)
			return -EIO;
		d = &pk->desc[at.pos];
		flags = le16_to_cpu(d->flags);
		if (!mock_packed_avail(flags, at.wrap))
			return -EIO;
	}
	/*
	 * The buffer id is the last descriptor's (§2.8.6).  The mock keeps
	 * the list's length by id, so ids are below the queue size, and an
	 * id the device still holds may not come again.
	 */
	if (id >= q->num || pk->ndescs[id])
		return -EIO;
	pk->ndescs[id] = n;
	pk->avail = at;
	buf->head = id;
	return 0;
}

/**
 * virtio_mock_pop_avail - take the next available buffer, as a device does
 * @m: the device
 * @qidx: the queue
 * @buf: filled with the buffer's segments
 *
 * Follows the chain (across the end of a packed ring) and, with
 * VIRTIO_RING_F_INDIRECT_DESC, an indirect table.  Checks the rules the
 * driver must keep: device-readable segments first, no loops, no list
 * longer than the ring, indirect descriptors only when negotiated and never
 * chained on, and on a packed ring every descriptor available in its lap
 * and a buffer id the device does not hold already.
 *
 * Return: 0, -ENOENT when the driver has made nothing available, or -EIO
 * when the buffer breaks a rule or has more than %VIRTIO_MOCK_MAX_SEGS
 * segments.  After -EIO the queue is as good as broken.
 */
int virtio_mock_pop_avail(struct virtio_mock_device *m, unsigned int qidx,
			  struct virtio_mock_buf *buf)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (!q)
		return -EINVAL;
	memset(buf, 0, sizeof(*buf));
	if (q->is_packed)
		return mock_packed_pop(m, q, buf);
	return mock_split_pop(m, q, buf);
}
EXPORT_SYMBOL_GPL(virtio_mock_pop_avail);

/**
 * virtio_mock_write_used - write a used element without publishing it
 * @m: the device
 * @qidx: the queue, split
 * @slot: used ring slot (taken modulo the queue size)
 * @id: the id to report, valid or not
 * @len: the length to report, true or not
 */
void virtio_mock_write_used(struct virtio_mock_device *m, unsigned int qidx,
			    u16 slot, u32 id, u32 len)
{
	struct virtio_mock_queue *q = mock_split_queue(m, qidx);

	if (!q)
		return;
	q->split.used->ring[slot % q->num].id = cpu_to_virtio32(&m->vdev, id);
	q->split.used->ring[slot % q->num].len = cpu_to_virtio32(&m->vdev, len);
}
EXPORT_SYMBOL_GPL(virtio_mock_write_used);

/**
 * virtio_mock_set_used_idx - publish a used index, whatever it is
 * @m: the device
 * @qidx: the queue, split
 * @idx: the new used->idx
 */
void virtio_mock_set_used_idx(struct virtio_mock_device *m, unsigned int qidx,
			      u16 idx)
{
	struct virtio_mock_queue *q = mock_split_queue(m, qidx);

	if (!q)
		return;
	virt_wmb();	/* elements before the index (§2.7.8) */
	q->split.used_idx = idx;
	WRITE_ONCE(q->split.used->idx, cpu_to_virtio16(&m->vdev, idx));
}
EXPORT_SYMBOL_GPL(virtio_mock_set_used_idx);

/* Write a packed descriptor as the device does: its flags last (§2.8.15). */
static void mock_packed_write(struct virtio_mock_queue *q, u16 pos, u16 id,
			      u32 len, u16 flags)
{
	struct vring_packed_desc *d = &q->packed.desc[pos % q->num];

	d->id = cpu_to_le16(id);
	d->len = cpu_to_le32(len);
	virt_wmb();	/* id and length before the flags that publish them */
	WRITE_ONCE(d->flags, cpu_to_le16(flags));
}

/* A used descriptor at the device's position, which moves past @n (§2.8.6). */
static void mock_packed_put(struct virtio_mock_queue *q, u16 id, u32 len,
			    unsigned int n)
{
	struct mock_packed *pk = &q->packed;
	u16 flags = virtio_mock_packed_used_flags(pk->used.wrap);

	/* WRITE tells the driver that len counts (§2.8.3, §2.8.4). */
	if (len)
		flags |= VRING_DESC_F_WRITE;
	mock_packed_write(q, pk->used.pos, id, len, flags);
	mock_packed_step(&pk->used, n, q->num);
	pk->unsignalled += n;
}

/**
 * virtio_mock_push_used - return a buffer used, as a well-behaved device
 * @m: the device
 * @qidx: the queue
 * @id: the head from virtio_mock_pop_avail()
 * @len: bytes written into the buffer
 *
 * Split: writes the next used element and publishes it.  Packed: writes a
 * used descriptor at the device's position and moves that on by as many
 * descriptors as the buffer took when it was popped (by one for an id the
 * device does not hold, which a driver must refuse).
 */
void virtio_mock_push_used(struct virtio_mock_device *m, unsigned int qidx,
			   u32 id, u32 len)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);
	unsigned int n = 1;

	if (!q)
		return;
	if (!q->is_packed) {
		virtio_mock_write_used(m, qidx, q->split.used_idx, id, len);
		virtio_mock_set_used_idx(m, qidx, q->split.used_idx + 1);
		return;
	}
	if (id < q->num && q->packed.ndescs[id]) {
		n = q->packed.ndescs[id];
		q->packed.ndescs[id] = 0;
	}
	mock_packed_put(q, id, len, n);
}
EXPORT_SYMBOL_GPL(virtio_mock_push_used);

/**
 * virtio_mock_write_packed_desc - write a packed descriptor, any at all
 * @m: the device
 * @qidx: the queue, packed
 * @pos: ring position (taken modulo the queue size)
 * @id: the buffer id to report, valid or not
 * @len: the length to report, true or not
 * @flags: the flags, written last; virtio_mock_packed_used_flags() gives
 *	those of a used descriptor, any other value is a lie
 *
 * For a hostile device: the device's own position does not move.
 */
void virtio_mock_write_packed_desc(struct virtio_mock_device *m,
				   unsigned int qidx, u16 pos, u16 id, u32 len,
				   u16 flags)
{
	struct virtio_mock_queue *q = mock_packed_queue(m, qidx);

	if (q)
		mock_packed_write(q, pos, id, len, flags);
}
EXPORT_SYMBOL_GPL(virtio_mock_write_packed_desc);

/**
 * virtio_mock_avail_flags - the driver's avail->flags (§2.7.7)
 * @m: the device
 * @qidx: the queue, split
 */
u16 virtio_mock_avail_flags(struct virtio_mock_device *m, unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_split_queue(m, qidx);

	return q ? virtio16_to_cpu(&m->vdev, READ_ONCE(q->split.avail->flags)) :
		   0;
}
EXPORT_SYMBOL_GPL(virtio_mock_avail_flags);

/**
 * virtio_mock_set_used_flags - set the device's used->flags (§2.7.10)
 * @m: the device
 * @qidx: the queue, split
 * @flags: e.g. VRING_USED_F_NO_NOTIFY
 */
void virtio_mock_set_used_flags(struct virtio_mock_device *m,
				unsigned int qidx, u16 flags)
{
	struct virtio_mock_queue *q = mock_split_queue(m, qidx);

	if (q)
		WRITE_ONCE(q->split.used->flags,
			   cpu_to_virtio16(&m->vdev, flags));
}
EXPORT_SYMBOL_GPL(virtio_mock_set_used_flags);

/**
 * virtio_mock_used_event - the driver's used_event (§2.7.7)
 * @m: the device
 * @qidx: the queue, split
 *
 * Return: with VIRTIO_RING_F_EVENT_IDX, the index of the used element
 * whose writing the driver wants to be told of.
 */
u16 virtio_mock_used_event(struct virtio_mock_device *m, unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_split_queue(m, qidx);

	return q ? virtio16_to_cpu(&m->vdev,
				   READ_ONCE(q->split.avail->ring[q->num])) : 0;
}
EXPORT_SYMBOL_GPL(virtio_mock_used_event);

/**
 * virtio_mock_set_avail_event - set the device's avail_event (§2.7.10)
 * @m: the device
 * @qidx: the queue, split
 * @idx: with VIRTIO_RING_F_EVENT_IDX, the driver is to notify once it
 *	makes the avail ring entry of this index available
 *
 * The mock never moves avail_event by itself: it starts at 0, so a driver
 * notifies once, then again only after each call that asks for it.
 */
void virtio_mock_set_avail_event(struct virtio_mock_device *m,
				 unsigned int qidx, u16 idx)
{
	struct virtio_mock_queue *q = mock_split_queue(m, qidx);
	__virtio16 *event;

	if (!q)
		return;
	event = (__virtio16 *)&q->split.used->ring[q->num];
	WRITE_ONCE(*event, cpu_to_virtio16(&m->vdev, idx));
	/* Before the device's next look at the avail index (§2.7.10). */
	virt_mb();
}
EXPORT_SYMBOL_GPL(virtio_mock_set_avail_event);

/**
 * virtio_mock_driver_event - the driver event suppression structure (§2.8.10)
 * @m: the device
 * @qidx: the queue, packed
 * @off_wrap: set to its descriptor offset and wrap counter (bit 15) when
 *	not NULL
 *
 * Return: its flags: VRING_PACKED_EVENT_FLAG_ENABLE, _DISABLE or _DESC.
 */
u16 virtio_mock_driver_event(struct virtio_mock_device *m, unsigned int qidx,
			     u16 *off_wrap)
{
	struct virtio_mock_queue *q = mock_packed_queue(m, qidx);

	if (!q)
		return 0;
	if (off_wrap)
		*off_wrap = le16_to_cpu(READ_ONCE(q->packed.driver->off_wrap));
	return le16_to_cpu(READ_ONCE(q->packed.driver->flags));
}
EXPORT_SYMBOL_GPL(virtio_mock_driver_event);

/**
 * virtio_mock_set_device_event - set the device event suppression structure
 * @m: the device
 * @qidx: the queue, packed
 * @flags: VRING_PACKED_EVENT_FLAG_ENABLE, _DISABLE, or _DESC (which only
 *	counts with VIRTIO_RING_F_EVENT_IDX)
 * @off_wrap: for _DESC, the descriptor offset, with the wrap counter in
 *	bit %VRING_PACKED_EVENT_F_WRAP_CTR, whose making available the
 *	driver is to notify
 *
 * The structure starts as zeroes: notify always (§2.8.10).
 */
void virtio_mock_set_device_event(struct virtio_mock_device *m,
				  unsigned int qidx, u16 flags, u16 off_wrap)
{
	struct virtio_mock_queue *q = mock_packed_queue(m, qidx);

	if (!q)
		return;
	WRITE_ONCE(q->packed.device->off_wrap, cpu_to_le16(off_wrap));
	virt_wmb();	/* the offset before the flags that make it count */
	WRITE_ONCE(q->packed.device->flags, cpu_to_le16(flags));
	/* Before the device's next look at the ring. */
	virt_mb();
}
EXPORT_SYMBOL_GPL(virtio_mock_set_device_event);

/* §2.7.7.2: signal unless the driver asked not to, or used_event not met. */
static bool mock_split_should_interrupt(struct virtio_mock_device *m,
					struct virtio_mock_queue *q)
{
	struct virtio_device *vdev = &m->vdev;
	struct mock_split *s = &q->split;
	u16 old = s->signalled, new = s->used_idx, event;

	s->signalled = new;
	if (old == new)
		return false;
	/* The driver's flags or used_event after our used index. */
	virt_mb();
	if (!virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX))
		return !(virtio16_to_cpu(vdev, READ_ONCE(s->avail->flags)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	/* Was the element of index used_event among those written? */
	event = virtio16_to_cpu(vdev, READ_ONCE(s->avail->ring[q->num]));
	return (u16)(event - old) < (u16)(new - old);
}

/*
 * §2.8.10: signal unless the driver disabled it, or, with _DESC, unless
 * none of the descriptors used since the last decision is the one named.
 */
static bool mock_packed_should_interrupt(struct virtio_mock_device *m,
					 struct virtio_mock_queue *q)
{
	struct mock_packed *pk = &q->packed;
	struct mock_pos at = pk->signalled;
	unsigned int n = min(pk->unsignalled, 2 * q->num);
	u16 flags, off_wrap;

	pk->signalled = pk->used;
	pk->unsignalled = 0;
	if (!n)
		return false;
	/* The driver's event structure after our descriptors. */
	virt_mb();
	flags = le16_to_cpu(READ_ONCE(pk->driver->flags));
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC) {
		WARN_ON_ONCE(flags != VRING_PACKED_EVENT_FLAG_ENABLE);
		return true;
	}
	if (WARN_ON_ONCE(!virtio_has_feature(&m->vdev,
					     VIRTIO_RING_F_EVENT_IDX)))
		return true;
	off_wrap = le16_to_cpu(READ_ONCE(pk->driver->off_wrap));
	/* Walk the descriptors used, looking for the one named. */
	for (; n; n--) {
		if (at.pos == (off_wrap & ~MOCK_WRAP) &&
		    at.wrap == !!(off_wrap & MOCK_WRAP))
			return true;
		mock_packed_step(&at, 1, q->num);
	}
	return false;
}

/**
 * virtio_mock_should_interrupt - must the device signal the driver now?
 * @m: the device
 * @qidx: the queue
 *
 * The device's rule for used buffer notifications (§2.7.7.2, §2.8.10),
 * applied to the buffers returned used since the previous call, or since
 * the queue was set up: call it after each virtio_mock_push_used() to
 * judge that one, or after several to judge them as one batch.  It reads
 * the driver's avail->flags or used_event (split) or its event suppression
 * structure (packed), as the negotiated features say.  On a split ring
 * every used index published counts, virtio_mock_set_used_idx()'s too; on
 * a packed ring, descriptors from virtio_mock_write_packed_desc() do not.
 *
 * Return: true when a device would send a used buffer notification;
 * false when the driver asked not to be told, or nothing was used.
 */
bool virtio_mock_should_interrupt(struct virtio_mock_device *m,
				  unsigned int qidx)
{
	struct virtio_mock_queue *q = mock_queue(m, qidx);

	if (!q)
		return false;
	if (q->is_packed)
		return mock_packed_should_interrupt(m, q);
	return mock_split_should_interrupt(m, q);
}
EXPORT_SYMBOL_GPL(virtio_mock_should_interrupt);

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
