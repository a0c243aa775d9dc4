// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtqueues: what does not depend on the ring layout.
 *
 * A virtqueue is a split ring (§2.7, virtio_ring_split.c) or a packed ring
 * (§2.8, virtio_ring_packed.c) behind the same struct virtqueue_ops.  This
 * file creates and frees them, builds indirect tables, routes the device's
 * interrupts to the driver and returns unused buffers at shutdown.  The
 * per-buffer helpers both layouts share on their hot paths (DMA mapping,
 * the driver's private record of every buffer it posted, the check of what
 * the device reports used against that record) are inline, in
 * virtio_ring_internal.h.
 */
#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "virtio_ring_internal.h"

void vring_break(struct vring_virtqueue *vvq, const char *why)
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

/**
 * virtqueue_num_free - descriptors free for add_buf right now
 * @vq: the queue
 *
 * A buffer of n scatterlist entries needs n descriptors, or one when it
 * goes indirect.  Transmit paths use this to stop their queue before
 * add_buf would fail with -ENOSPC.
 */
unsigned int virtqueue_num_free(const struct virtqueue *vq)
{
	return vq->num_free;
}
EXPORT_SYMBOL_GPL(virtqueue_num_free);

/**
 * vring_transport_features - ring feature bits this implementation offers
 *
 * The bus core accepts these on every driver's behalf (§6).
 */
u64 vring_transport_features(void)
{
	return BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
	       BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
	       BIT_ULL(VIRTIO_F_RING_PACKED);
}
EXPORT_SYMBOL_GPL(vring_transport_features);

/* --- buffers -------------------------------------------------------------- */

/*
 * Without VIRTIO_F_ACCESS_PLATFORM the device reaches guest memory by its
 * physical address (§6.1), past whatever IOMMU or bus offset the platform
 * puts in front of DMA (pseries maps PCI DMA at 2^59): the ring hands it
 * physical addresses then, and uses the DMA API only with the feature.
 */
static bool vring_use_dma_api(const struct virtio_device *vdev)
{
	return virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM);
}

/**
 * virtio_max_dma_size - the largest segment a buffer of this device may have
 * @vdev: the device, its features negotiated
 *
 * Extension (the Linux 6.12 name).  With physical addresses nothing limits
 * a segment.  With VIRTIO_F_ACCESS_PLATFORM each one is mapped through the
 * DMA API for the transport's device, which may bounce it through swiotlb
 * and then cannot map more than dma_max_mapping_size() at once: a larger
 * segment would fail to map every time it is tried.
 *
 * Return: the limit in bytes, SIZE_MAX when there is none.
 */
size_t virtio_max_dma_size(const struct virtio_device *vdev)
{
	if (!vring_use_dma_api(vdev))
		return SIZE_MAX;
	return dma_max_mapping_size(vdev->dev.parent);
}
EXPORT_SYMBOL_GPL(virtio_max_dma_size);

/*
 * Map every entry of a buffer into a new indirect table's shadow.  The
 * layout fills the table itself from the shadow, then maps it with
 * vring_indirect_map().  NULL on failure, when the caller falls back to
 * a direct chain.
 */
struct vring_indirect *vring_indirect_alloc(struct vring_virtqueue *vvq,
					    struct vring_sg_iter it,
					    unsigned int out_num,
					    unsigned int in_num, u32 *in_len,
					    gfp_t gfp)
{
	unsigned int total = out_num + in_num, n;
	struct vring_indirect *ind;

	/* No warning: a direct chain is the fallback. */
	ind = kmalloc(struct_size(ind, seg, total) + 16 * total,
		      gfp | __GFP_NOWARN);
	if (!ind)
		return NULL;
	ind->num = total;
	ind->table = &ind->seg[total];
	ind->table_dma = DMA_MAPPING_ERROR;
	*in_len = 0;

	for (n = 0; n < total; n++) {
		bool in = n >= out_num;

		if (vring_map_one(vvq, it.sg, in, &ind->seg[n]))
			goto unmap;
		if (in)
			*in_len += it.sg->length;
		if (n + 1 < total)
			vring_sg_next(&it);
	}
	return ind;

unmap:
	while (n--)
		vring_unmap_one(vvq, &ind->seg[n]);
	kfree(ind);
	return NULL;
}

/* Map a filled-in table for the device to read; false on failure. */
bool vring_indirect_map(struct vring_virtqueue *vvq, struct vring_indirect *ind)
{
	if (!vvq->dma_api) {
		ind->table_dma = virt_to_phys(ind->table);
		return true;
	}
	ind->table_dma = dma_map_single(vvq->dma_dev, ind->table,
					16 * ind->num, DMA_TO_DEVICE);
	if (unlikely(dma_mapping_error(vvq->dma_dev, ind->table_dma))) {
		ind->table_dma = DMA_MAPPING_ERROR;
		return false;
	}
	return true;
}

void vring_indirect_free(const struct vring_virtqueue *vvq,
			 struct vring_indirect *ind)
{
	unsigned int n;

	if (vvq->dma_api && ind->table_dma != DMA_MAPPING_ERROR)
		dma_unmap_single(vvq->dma_dev, ind->table_dma, 16 * ind->num,
				 DMA_TO_DEVICE);
	for (n = 0; n < ind->num; n++)
		vring_unmap_one(vvq, &ind->seg[n]);
	kfree(ind);
}

/* The device wrote more than the buffer holds: warn, and clamp. */
u32 __cold vring_used_len_clamp(struct vring_virtqueue *vvq, u32 len, u32 max)
{
	/*
	 * Once per queue: a device that does it (QEMU's virtio-scsi counts
	 * a write's data in the used length) does it for every buffer.
	 */
	if (!vvq->len_clamped) {
		vvq->len_clamped = true;
		dev_warn(&vvq->vq.vdev->dev,
			 "virtqueue %s: used len %u > %u posted; clamped, and not reported again\n",
			 vvq->vq.name, len, max);
	}
	return max;
}

/*
 * vring_notify() before DRIVER_OK, which the device may not be told of
 * yet (§3.1.1).  Upstream drivers do it (virtio_balloon kicks its stats
 * queue in probe, before virtio_device_ready()): the notification is held
 * back and sent by vring_notify_deferred() once the device is ready.
 */
void __cold vring_notify_early(struct vring_virtqueue *vvq)
{
	WRITE_ONCE(vvq->notify_deferred, true);
	/*
	 * Our flag, then the device's readiness; virtio_device_ready() sets
	 * them the other way round with a full barrier in between, so one
	 * of us sees the other's write and the notification is not lost.
	 */
	smp_mb();
	if (READ_ONCE(vvq->vq.vdev->ready))
		vring_notify_deferred(&vvq->vq);
}

/**
 * vring_notify_deferred - send a notification held back until DRIVER_OK
 * @vq: the queue
 *
 * The core calls this for every queue once the device is DRIVER_OK (see
 * vring_notify_early()).  At most one notification is sent, and one sent
 * twice is harmless.
 */
void vring_notify_deferred(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	/* The device's readiness, then our flag: see vring_notify_early(). */
	smp_mb();
	if (!READ_ONCE(vvq->notify_deferred))
		return;
	WRITE_ONCE(vvq->notify_deferred, false);
	if (!READ_ONCE(vvq->broken) && !vvq->notify(vq))
		vring_break(vvq, "notification failed");
}
EXPORT_SYMBOL_GPL(vring_notify_deferred);

/*
 * shutdown: the device has been reset and no longer touches the ring.
 * Every operation but detach_unused_buf stops.
 */
void vring_shutdown(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	WARN_ON_ONCE(READ_ONCE(vq->vdev->ready));
	vvq->shut_down = true;
	WRITE_ONCE(vvq->cb_enabled, false);
}

/*
 * Take back buffer @id of a device that did not finish its reset
 * (virtio_reset_failed()): it may still use the buffer, so the DMA mappings
 * and the indirect table stay as they are, for good, and only the token
 * goes back.  The queue is broken, so its free list is never used again.
 */
static void *vring_forget(struct vring_virtqueue *vvq, u16 id)
{
	struct vring_desc_state *st = &vvq->state[id];
	void *data = st->data;

	if (st->indirect)
		kmemleak_not_leak(st->indirect);	/* kept on purpose */
	st->data = NULL;
	st->indirect = NULL;
	return data;
}

/* Take back one buffer the device has not returned, or NULL. */
void *vring_detach_one(struct vring_virtqueue *vvq)
{
	bool keep = READ_ONCE(vvq->vq.vdev->reset_failed);
	unsigned int i;

	for (i = 0; i < vvq->num; i++) {
		if (!vvq->state[i].data)
			continue;
		return keep ? vring_forget(vvq, i) : vring_detach(vvq, i);
	}
	return NULL;
}

void *vring_detach_unused_buf(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	if (WARN_ON_ONCE(!vvq->shut_down))
		return NULL;
	return vring_detach_one(vvq);
}

/* --- interrupts ----------------------------------------------------------- */

/**
 * vring_interrupt - the device signalled a virtqueue
 * @irq: the interrupt, unused
 * @vq: the struct virtqueue
 *
 * Calls the driver's callback when used buffers are waiting.  A seed-API
 * queue's callback runs only while callbacks are on, and returning false
 * turns them off until restart.  An upstream-API queue's void callback
 * runs whenever buffers wait, as in Linux 6.12: disable_cb is only a hint
 * to the device.
 *
 * Return: IRQ_NONE when nothing was waiting (a shared line), else
 * IRQ_HANDLED.
 */
irqreturn_t vring_interrupt(int irq, void *vq)
{
	struct vring_virtqueue *vvq = to_vvq((struct virtqueue *)vq);

	if (unlikely(READ_ONCE(vvq->broken)))
		return IRQ_HANDLED;
	if (vvq->callback) {
		if (!vvq->layout->pending(vvq))
			return IRQ_NONE;
		vvq->callback(&vvq->vq);
		return IRQ_HANDLED;
	}
	return vvq->layout->interrupt(vvq);
}
EXPORT_SYMBOL_GPL(vring_interrupt);

/* --- creation ------------------------------------------------------------- */

/**
 * vring_create_virtqueue - create a virtqueue for a transport
 * @vdev: the device, with features already negotiated
 * @p: size, layout, DMA device, notify hook and the driver's callback:
 *	@p->seed_callback for the seed API's semantics, @p->callback for
 *	upstream's (at most one)
 *
 * The ring is packed when VIRTIO_F_RING_PACKED was negotiated, split
 * otherwise.
 *
 * Return: the queue, or an ERR_PTR(): -EINVAL for a bad size (split: a
 * power of two up to 32768; packed: up to 32768), -ENOMEM.
 */
struct virtqueue *vring_create_virtqueue(struct virtio_device *vdev,
					 const struct vring_params *p)
{
	bool packed = virtio_has_feature(vdev, VIRTIO_F_RING_PACKED);
	struct vring_virtqueue *vvq;
	unsigned long flags;
	size_t offsets[3];
	unsigned int i;

	if (!p->num || p->num > 32768 || !is_power_of_2(p->align) ||
	    (!packed && !is_power_of_2(p->num))) {
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

	vvq->layout = packed ? &vring_packed_layout : &vring_split_layout;
	/*
	 * What the device writes (split: the used ring; packed: its event
	 * structure) goes on a cache line of its own.  Modern transports
	 * need 4-byte alignment only (§2.7, §2.8.10); sharing a line with
	 * what the driver writes would bounce it between the two sides.
	 */
	vvq->ring_bytes = vvq->layout->bytes(p->num,
					     max_t(unsigned int, p->align,
						   SMP_CACHE_BYTES),
					     offsets);
	vvq->dma_api = vring_use_dma_api(vdev);
	if (vvq->dma_api) {
		vvq->ring = dma_alloc_coherent(p->dma_dev, vvq->ring_bytes,
					       &vvq->ring_dma, GFP_KERNEL);
	} else {
		vvq->ring = alloc_pages_exact(vvq->ring_bytes,
					      GFP_KERNEL | __GFP_ZERO);
		if (vvq->ring)
			vvq->ring_dma = virt_to_phys(vvq->ring);
	}
	if (!vvq->ring)
		goto err;
	for (i = 0; i < 3; i++)
		vvq->addr[i] = vvq->ring_dma + offsets[i];

	vvq->num = p->num;
	vvq->dma_dev = p->dma_dev;
	vvq->notify = p->notify;
	vvq->callback = p->callback;
	vvq->weak_barriers = !virtio_has_feature(vdev, VIRTIO_F_ORDER_PLATFORM);
	vvq->event = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vvq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	vvq->cb_enabled = true;
	for (i = 0; i + 1 < p->num; i++)
		vvq->extra[i].next = i + 1;

	vvq->vq = (struct virtqueue) {
		.callback = p->seed_callback,
		.vdev = vdev,
		.vq_ops = &vvq->layout->ops,
		.priv = p->priv,
		.index = p->index,
		.name = p->name,
		.num_free = p->num,
		.num_max = max(p->num_max, p->num),
	};
	vvq->layout->init(vvq);
	spin_lock_irqsave(&vdev->vqs_lock, flags);
	list_add_tail(&vvq->vq.list, &vdev->vqs);
	spin_unlock_irqrestore(&vdev->vqs_lock, flags);
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
 * Buffers the driver did not take back are unmapped; their tokens stay the
 * driver's, as in Linux 6.12's del_vqs() (virtio_scsi leaves its event
 * buffers, which it does not allocate one by one).  The ring memory and
 * any buffer's mappings of a device that did not finish its reset are kept
 * instead, never freed (virtio_reset_failed()).
 */
void vring_del_virtqueue(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	bool keep = READ_ONCE(vq->vdev->reset_failed);
	unsigned int i, left = 0;
	unsigned long flags;

	for (i = 0; i < vvq->num; i++) {
		if (vvq->state[i].data) {
			if (keep)
				vring_forget(vvq, i);
			else
				vring_detach(vvq, i);
			left++;
		}
	}
	if (left)
		dev_dbg(&vq->vdev->dev, "virtqueue %s freed with %u buffers outstanding\n",
			vq->name, left);

	spin_lock_irqsave(&vq->vdev->vqs_lock, flags);
	list_del(&vq->list);
	spin_unlock_irqrestore(&vq->vdev->vqs_lock, flags);
	if (keep)
		dev_warn(&vq->vdev->dev,
			 "virtqueue %s: keeping its %zu ring bytes, which the device may still use\n",
			 vq->name, vvq->ring_bytes);
	else if (vvq->dma_api)
		dma_free_coherent(vvq->dma_dev, vvq->ring_bytes, vvq->ring,
				  vvq->ring_dma);
	else
		free_pages_exact(vvq->ring, vvq->ring_bytes);
	kfree(vvq->extra);
	kfree(vvq->state);
	kfree(vvq);
}
EXPORT_SYMBOL_GPL(vring_del_virtqueue);

/**
 * virtqueue_get_desc_addr - bus address of the descriptor ring
 * @vq: the queue
 */
dma_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq)
{
	return to_vvq(vq)->addr[0];
}
EXPORT_SYMBOL_GPL(virtqueue_get_desc_addr);

/**
 * virtqueue_get_avail_addr - bus address of the driver area
 * @vq: the queue
 *
 * The available ring of a split queue, the driver event suppression
 * structure of a packed one (§2.6).
 */
dma_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq)
{
	return to_vvq(vq)->addr[1];
}
EXPORT_SYMBOL_GPL(virtqueue_get_avail_addr);

/**
 * virtqueue_get_used_addr - bus address of the device area
 * @vq: the queue
 *
 * The used ring of a split queue, the device event suppression structure
 * of a packed one (§2.6).
 */
dma_addr_t virtqueue_get_used_addr(const struct virtqueue *vq)
{
	return to_vvq(vq)->addr[2];
}
EXPORT_SYMBOL_GPL(virtqueue_get_used_addr);

MODULE_DESCRIPTION("Virtio virtqueues: split and packed rings");
MODULE_LICENSE("GPL");
