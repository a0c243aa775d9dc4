// SPDX-License-Identifier: GPL-2.0-only
/*
 * The split virtqueue (VIRTIO 1.2 §2.7) behind struct virtqueue_ops.
 *
 * The ring lives in memory the device reads and writes.  The driver keeps
 * its own copy of everything it put in the descriptor table (struct
 * vring_desc_extra) and never reads the table back; everything the device
 * writes -- the used index, used ids and lengths -- is read once, in
 * vring_next_used(), and checked there.  A device that breaks the rules
 * breaks the queue: every later operation fails with -EIO or returns
 * nothing, and no device-written value is ever used as an index or a
 * pointer unchecked.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

/* What the driver remembers of one descriptor it wrote. */
struct vring_desc_extra {
	dma_addr_t addr;
	u32 len;
	u16 flags;
	u16 next;	/* chain link while in use, free-list link otherwise */
};

/* What the driver remembers of one buffer, indexed by its head. */
struct vring_desc_state {
	void *data;	/* the driver's token; NULL unless this is a head */
	u16 ndescs;	/* descriptors in the chain */
	u16 last;	/* last descriptor of the chain */
	u32 in_len;	/* bytes the device may write: bounds the used len */
};

struct vring_virtqueue {
	struct virtqueue vq;

	/* Ring memory shared with the device (§2.7.5, §2.7.6, §2.7.8). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	void *ring;
	dma_addr_t ring_dma;
	size_t ring_bytes;
	unsigned int num;

	struct device *dma_dev;
	bool (*notify)(struct virtqueue *vq);
	bool weak_barriers;	/* no VIRTIO_F_ORDER_PLATFORM: SMP barriers do */

	bool broken;
	bool shut_down;
	bool cb_enabled;	/* the driver wants callbacks */

	/* Driver-side indexes, free-running modulo 2^16. */
	u16 avail_idx;		/* next avail ring slot to fill */
	u16 avail_published;	/* what avail->idx last told the device */
	u16 last_used_idx;	/* next used ring slot to read */
	u16 used_idx_seen;	/* used->idx as last read and checked */
	u16 avail_flags;	/* shadow of avail->flags */

	u16 free_head;
	unsigned int num_free;
	struct vring_desc_state *state;
	struct vring_desc_extra *extra;
};

#define to_vvq(_vq) container_of(_vq, struct vring_virtqueue, vq)

static const struct virtqueue_ops vring_split_ops;

/*
 * Barriers (§2.7.13): a device in a hypervisor is another CPU, so SMP
 * barriers suffice; with VIRTIO_F_ORDER_PLATFORM the device is real
 * hardware and the DMA barriers are needed.
 */
static inline void vring_wmb(const struct vring_virtqueue *vvq)
{
	if (vvq->weak_barriers) {
		/* A device in the hypervisor is just another CPU. */
		virt_wmb();
	} else {
		/* Real hardware sees memory as a DMA master does. */
		dma_wmb();
	}
}

static inline void vring_rmb(const struct vring_virtqueue *vvq)
{
	if (vvq->weak_barriers) {
		/* A device in the hypervisor is just another CPU. */
		virt_rmb();
	} else {
		/* Real hardware sees memory as a DMA master does. */
		dma_rmb();
	}
}

static inline void vring_mb(const struct vring_virtqueue *vvq)
{
	if (vvq->weak_barriers) {
		/* A device in the hypervisor is just another CPU. */
		virt_mb();
	} else {
		/* Real hardware sees memory as a DMA master does. */
		mb();
	}
}

static void vring_break(struct vring_virtqueue *vvq, const char *why)
{
	if (!READ_ONCE(vvq->broken))
		dev_err(&vvq->vq.vdev->dev, "virtqueue %s broken: %s\n",
			vvq->vq.name, why);
	WRITE_ONCE(vvq->broken, true);
}

/**
 * virtqueue_break - mark a virtqueue broken
 * @vq: the queue
 *
 * Used by the core when a device is gone; see virtio_break_device().
 */
void virtqueue_break(struct virtqueue *vq)
{
	WRITE_ONCE(to_vvq(vq)->broken, true);
}
EXPORT_SYMBOL_GPL(virtqueue_break);

/**
 * virtqueue_is_broken - has the queue been marked broken?
 * @vq: the queue
 *
 * A queue breaks when its device breaks a rule of the ring or goes away.
 * Drivers check it to fail requests that will never complete.
 */
bool virtqueue_is_broken(const struct virtqueue *vq)
{
	return READ_ONCE(to_vvq(vq)->broken);
}
EXPORT_SYMBOL_GPL(virtqueue_is_broken);

/**
 * virtqueue_get_vring_size - the number of descriptors in the ring
 * @vq: the queue
 */
unsigned int virtqueue_get_vring_size(const struct virtqueue *vq)
{
	return to_vvq(vq)->num;
}
EXPORT_SYMBOL_GPL(virtqueue_get_vring_size);

/* The ring features this implementation negotiates (none optional yet). */
u64 vring_transport_features(void)
{
	return 0;
}
EXPORT_SYMBOL_GPL(vring_transport_features);

/*
 * Next scatterlist entry of a buffer.  Drivers hand add_buf a flat array
 * of out_num + in_num entries (whose end marks do not matter), or a table
 * chained with sg_chain().
 */
static struct scatterlist *vring_sg_next(struct scatterlist *sg)
{
	sg++;
	if (sg_is_chain(sg))
		sg = sg_chain_ptr(sg);
	return sg;
}

static void vring_unmap_one(const struct vring_virtqueue *vvq, u16 i)
{
	const struct vring_desc_extra *x = &vvq->extra[i];

	dma_unmap_page(vvq->dma_dev, x->addr, x->len,
		       x->flags & VRING_DESC_F_WRITE ? DMA_FROM_DEVICE :
						       DMA_TO_DEVICE);
}

static int vring_split_add_buf(struct virtqueue *vq, struct scatterlist sg[],
			       unsigned int out_num, unsigned int in_num,
			       void *data)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	struct virtio_device *vdev = vq->vdev;
	unsigned int total = out_num + in_num;
	struct scatterlist *s = sg;
	u16 head, i, prev = 0;
	u32 in_len = 0;
	unsigned int n;

	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down))
		return -EIO;
	if (WARN_ON_ONCE(!data || !total || total > vvq->num))
		return -EINVAL;
	if (total > vvq->num_free)
		return -ENOSPC;

	head = vvq->free_head;
	i = head;
	for (n = 0; n < total; n++) {
		bool in = n >= out_num;
		struct vring_desc_extra *x = &vvq->extra[i];
		dma_addr_t addr;

		addr = dma_map_page(vvq->dma_dev, sg_page(s), s->offset,
				    s->length,
				    in ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
		if (unlikely(dma_mapping_error(vvq->dma_dev, addr)))
			goto unmap;

		x->addr = addr;
		x->len = s->length;
		x->flags = in ? VRING_DESC_F_WRITE : 0;
		if (in)
			in_len += s->length;
		if (n) {
			vvq->extra[prev].flags |= VRING_DESC_F_NEXT;
			vvq->desc[prev].flags =
				cpu_to_virtio16(vdev, vvq->extra[prev].flags);
		}
		vvq->desc[i].addr = cpu_to_virtio64(vdev, addr);
		vvq->desc[i].len = cpu_to_virtio32(vdev, x->len);
		vvq->desc[i].flags = cpu_to_virtio16(vdev, x->flags);
		vvq->desc[i].next = cpu_to_virtio16(vdev, x->next);
		prev = i;
		i = x->next;
		/* Never look past the last entry: it may end the array. */
		if (n + 1 < total)
			s = vring_sg_next(s);
	}

	vvq->state[head] = (struct vring_desc_state) {
		.data = data, .ndescs = total, .last = prev, .in_len = in_len,
	};
	vvq->free_head = i;
	vvq->num_free -= total;

	/* Visible to the device once kick publishes avail->idx (§2.7.13.2). */
	vvq->avail->ring[vvq->avail_idx & (vvq->num - 1)] =
		cpu_to_virtio16(vdev, head);
	vvq->avail_idx++;
	return 0;

unmap:
	for (i = head; n--; i = vvq->extra[i].next)
		vring_unmap_one(vvq, i);
	return -ENOMEM;
}

static void vring_split_kick(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	struct virtio_device *vdev = vq->vdev;

	if (unlikely(READ_ONCE(vvq->broken)) ||
	    vvq->avail_idx == vvq->avail_published)
		return;

	/* Descriptors and avail ring entries before the index (§2.7.13.2). */
	vring_wmb(vvq);
	vvq->avail->idx = cpu_to_virtio16(vdev, vvq->avail_idx);
	vvq->avail_published = vvq->avail_idx;

	/* The index before the device's flags (§2.7.13.4). */
	vring_mb(vvq);
	if (READ_ONCE(vvq->used->flags) &
	    cpu_to_virtio16(vdev, VRING_USED_F_NO_NOTIFY))
		return;

	/* Pairs with the release in virtio_device_ready(). */
	if (WARN_ONCE(!smp_load_acquire(&vdev->ready),
		      "%s: %s kicked before DRIVER_OK\n",
		      dev_name(&vdev->dev), vq->name))
		return;
	if (!vvq->notify(vq))
		vring_break(vvq, "notification failed");
}

/*
 * Read the used index and check it: it may only move forward, by at most
 * the ring size (§2.7.8).  Returns true when an element is waiting.
 * Called with the driver's lock held, so it may update used_idx_seen.
 */
static bool vring_more_used(struct vring_virtqueue *vvq)
{
	u16 last = READ_ONCE(vvq->last_used_idx);
	u16 idx;

	if (vvq->used_idx_seen != last)
		return true;
	idx = virtio16_to_cpu(vvq->vq.vdev, READ_ONCE(vvq->used->idx));
	if (idx == last)
		return false;
	if (unlikely((u16)(idx - last) > vvq->num)) {
		vring_break(vvq, "used index jumped");
		return false;
	}
	vvq->used_idx_seen = idx;
	return true;
}

/* Give a chain back to the free list and drop its DMA mappings. */
static void *vring_detach(struct vring_virtqueue *vvq, u16 head)
{
	struct vring_desc_state *st = &vvq->state[head];
	void *data = st->data;
	u16 i = head;
	unsigned int n;

	for (n = 0; n < st->ndescs; n++, i = vvq->extra[i].next)
		vring_unmap_one(vvq, i);
	vvq->extra[st->last].next = vvq->free_head;
	vvq->free_head = head;
	vvq->num_free += st->ndescs;
	st->data = NULL;
	return data;
}

/*
 * The one place device-written used elements are read.  An id must name
 * the head of a buffer the device has not returned yet; a length beyond
 * what the buffer can hold is clamped (§2.7.8.2).
 */
static void *vring_split_get_buf(struct virtqueue *vq, unsigned int *len)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	struct virtio_device *vdev = vq->vdev;
	const struct vring_used_elem *elem;
	struct vring_desc_state *st;
	u32 id, used_len;

	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down) ||
	    !vring_more_used(vvq))
		return NULL;

	/* The index before the element it covers (§2.7.13). */
	vring_rmb(vvq);
	elem = &vvq->used->ring[vvq->last_used_idx & (vvq->num - 1)];
	id = virtio32_to_cpu(vdev, READ_ONCE(elem->id));
	used_len = virtio32_to_cpu(vdev, READ_ONCE(elem->len));

	if (unlikely(id >= vvq->num || !vvq->state[id].data)) {
		vring_break(vvq, id >= vvq->num ? "used id out of range" :
						  "used id not outstanding");
		return NULL;
	}
	st = &vvq->state[id];
	if (unlikely(used_len > st->in_len)) {
		dev_warn_ratelimited(&vdev->dev,
				     "virtqueue %s: used len %u > %u posted\n",
				     vq->name, used_len, st->in_len);
		used_len = st->in_len;
	}

	WRITE_ONCE(vvq->last_used_idx, vvq->last_used_idx + 1);
	*len = used_len;
	return vring_detach(vvq, id);
}

static void vring_set_avail_flags(struct vring_virtqueue *vvq, u16 flags)
{
	vvq->avail_flags = flags;
	WRITE_ONCE(vvq->avail->flags, cpu_to_virtio16(vvq->vq.vdev, flags));
}

/*
 * Re-enable callbacks; refuse (and stay quiet) when buffers are already
 * waiting, since the device may have used them before it saw the flag.
 */
static bool vring_split_restart(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	/* Nothing will ever be pending again: don't make callers loop. */
	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down))
		return true;

	vring_set_avail_flags(vvq, vvq->avail_flags &
				   ~VRING_AVAIL_F_NO_INTERRUPT);
	WRITE_ONCE(vvq->cb_enabled, true);
	/* The flag before the used index (§2.7.13, §2.7.10). */
	vring_mb(vvq);
	if (vring_more_used(vvq)) {
		WRITE_ONCE(vvq->cb_enabled, false);
		vring_set_avail_flags(vvq, vvq->avail_flags |
					   VRING_AVAIL_F_NO_INTERRUPT);
		return false;
	}
	return true;
}

/*
 * The device has been reset and no longer touches the ring: stop every
 * operation but detach_unused_buf, which hands the tokens back.
 */
static void vring_split_shutdown(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	WARN_ON_ONCE(READ_ONCE(vq->vdev->ready));
	vvq->shut_down = true;
	WRITE_ONCE(vvq->cb_enabled, false);
}

static void *vring_split_detach_unused_buf(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	unsigned int i;

	if (WARN_ON_ONCE(!vvq->shut_down))
		return NULL;
	for (i = 0; i < vvq->num; i++)
		if (vvq->state[i].data)
			return vring_detach(vvq, i);
	return NULL;
}

static const struct virtqueue_ops vring_split_ops = {
	.add_buf = vring_split_add_buf,
	.kick = vring_split_kick,
	.get_buf = vring_split_get_buf,
	.restart = vring_split_restart,
	.shutdown = vring_split_shutdown,
	.detach_unused_buf = vring_split_detach_unused_buf,
};

/**
 * vring_interrupt - the device signalled a virtqueue
 * @irq: the interrupt, unused
 * @vq: the struct virtqueue
 *
 * Calls the driver's callback when used buffers are waiting and callbacks
 * are on; a callback returning false turns them off until restart.
 *
 * Return: IRQ_NONE when nothing was waiting (a shared line), else
 * IRQ_HANDLED.
 */
irqreturn_t vring_interrupt(int irq, void *vq)
{
	struct vring_virtqueue *vvq = to_vvq((struct virtqueue *)vq);

	if (unlikely(READ_ONCE(vvq->broken)))
		return IRQ_HANDLED;
	/*
	 * Only a look: the driver may be in get_buf on another CPU, and the
	 * checked copy of the used index is its to update.
	 */
	if (virtio16_to_cpu(vvq->vq.vdev, READ_ONCE(vvq->used->idx)) ==
	    READ_ONCE(vvq->last_used_idx))
		return IRQ_NONE;
	if (!READ_ONCE(vvq->cb_enabled) || !vvq->vq.callback)
		return IRQ_HANDLED;
	if (!vvq->vq.callback(&vvq->vq)) {
		WRITE_ONCE(vvq->cb_enabled, false);
		vring_set_avail_flags(vvq, vvq->avail_flags |
					   VRING_AVAIL_F_NO_INTERRUPT);
	}
	return IRQ_HANDLED;
}
EXPORT_SYMBOL_GPL(vring_interrupt);

/* Bytes of a split ring of @num entries with the used ring @align'ed. */
static size_t vring_split_bytes(unsigned int num, unsigned int align,
				size_t *used_off)
{
	size_t avail_end = sizeof(struct vring_desc) * num +
			   struct_size_t(struct vring_avail, ring, num + 1);

	*used_off = ALIGN(avail_end, align);
	return *used_off + struct_size_t(struct vring_used, ring, num) +
	       sizeof(__virtio16);
}

/**
 * vring_create_virtqueue - create a split virtqueue for a transport
 * @vdev: the device, with features already negotiated
 * @p: size, layout, DMA device, notify hook and the driver's callback
 *
 * Return: the queue, or an ERR_PTR(): -EINVAL for a size that is not a
 * power of two up to 32768, -ENOMEM when memory is short.
 */
struct virtqueue *vring_create_virtqueue(struct virtio_device *vdev,
					 const struct vring_params *p)
{
	struct vring_virtqueue *vvq;
	size_t used_off;
	unsigned int i;

	if (!p->num || !is_power_of_2(p->num) || p->num > 32768 ||
	    !is_power_of_2(p->align)) {
		dev_err(&vdev->dev, "virtqueue %s: bad size %u or align %u\n",
			p->name, p->num, p->align);
		return ERR_PTR(-EINVAL);
	}

	vvq = kzalloc(sizeof(*vvq), GFP_KERNEL);
	if (!vvq)
		return ERR_PTR(-ENOMEM);
	vvq->state = kcalloc(p->num, sizeof(*vvq->state), GFP_KERNEL);
	vvq->extra = kcalloc(p->num, sizeof(*vvq->extra), GFP_KERNEL);
	if (!vvq->state || !vvq->extra)
		goto err;

	vvq->ring_bytes = vring_split_bytes(p->num, max(p->align, 4U), &used_off);
	vvq->ring = dma_alloc_coherent(p->dma_dev, vvq->ring_bytes,
				       &vvq->ring_dma, GFP_KERNEL);
	if (!vvq->ring)
		goto err;

	vvq->num = p->num;
	vvq->desc = vvq->ring;
	vvq->avail = vvq->ring + sizeof(struct vring_desc) * p->num;
	vvq->used = vvq->ring + used_off;
	vvq->dma_dev = p->dma_dev;
	vvq->notify = p->notify;
	vvq->weak_barriers = !virtio_has_feature(vdev, VIRTIO_F_ORDER_PLATFORM);
	vvq->cb_enabled = true;
	vvq->num_free = p->num;
	for (i = 0; i < p->num - 1; i++)
		vvq->extra[i].next = i + 1;

	vvq->vq = (struct virtqueue) {
		.callback = p->callback,
		.vdev = vdev,
		.vq_ops = &vring_split_ops,
		.priv = p->priv,
		.index = p->index,
		.name = p->name,
	};
	list_add_tail(&vvq->vq.list, &vdev->vqs);
	return &vvq->vq;

err:
	kfree(vvq->extra);
	kfree(vvq->state);
	kfree(vvq);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(vring_create_virtqueue);

/**
 * vring_del_virtqueue - free a virtqueue
 * @vq: the queue; its device must be reset
 *
 * Buffers the driver did not take back are unmapped, with a warning: their
 * tokens are lost to the driver.
 */
void vring_del_virtqueue(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	unsigned int i, left = 0;

	for (i = 0; i < vvq->num; i++) {
		if (vvq->state[i].data) {
			vring_detach(vvq, i);
			left++;
		}
	}
	WARN(left, "%s: virtqueue %s freed with %u buffers outstanding\n",
	     dev_name(&vq->vdev->dev), vq->name, left);

	list_del(&vq->list);
	dma_free_coherent(vvq->dma_dev, vvq->ring_bytes, vvq->ring,
			  vvq->ring_dma);
	kfree(vvq->extra);
	kfree(vvq->state);
	kfree(vvq);
}
EXPORT_SYMBOL_GPL(vring_del_virtqueue);

/**
 * virtqueue_get_desc_addr - bus address of the descriptor table
 * @vq: the queue
 */
dma_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq)
{
	return to_vvq(vq)->ring_dma;
}
EXPORT_SYMBOL_GPL(virtqueue_get_desc_addr);

/**
 * virtqueue_get_avail_addr - bus address of the available ring
 * @vq: the queue
 */
dma_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq)
{
	const struct vring_virtqueue *vvq = to_vvq(vq);

	return vvq->ring_dma + ((void *)vvq->avail - vvq->ring);
}
EXPORT_SYMBOL_GPL(virtqueue_get_avail_addr);

/**
 * virtqueue_get_used_addr - bus address of the used ring
 * @vq: the queue
 */
dma_addr_t virtqueue_get_used_addr(const struct virtqueue *vq)
{
	const struct vring_virtqueue *vvq = to_vvq(vq);

	return vvq->ring_dma + ((void *)vvq->used - vvq->ring);
}
EXPORT_SYMBOL_GPL(virtqueue_get_used_addr);

MODULE_DESCRIPTION("Virtio split virtqueues");
MODULE_LICENSE("GPL");
