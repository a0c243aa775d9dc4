/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ring layouts (virtio_ring_split.c, virtio_ring_packed.c) share
 * with the layout-independent part of the virtqueue (virtqueue.c).
 * Private to drivers/virtio.
 */
#ifndef _DRIVERS_VIRTIO_RING_INTERNAL_H
#define _DRIVERS_VIRTIO_RING_INTERNAL_H

#include <linux/cache.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

/* Buffers of at least this many entries go indirect when negotiated. */
#define VRING_INDIRECT_MIN	3

/* What the driver remembers of one descriptor it wrote. */
struct vring_desc_extra {
	dma_addr_t addr;
	u32 len;
	u16 flags;	/* VRING_DESC_F_WRITE and friends, CPU order */
	u16 next;	/* chain or free-list link */
};

/*
 * An indirect table (§2.7.5.3, §2.8.7) and the driver's own copy of it:
 * the table is mapped for the device, which could scribble on it, so the
 * mappings to undo are taken from @seg, never from the table.
 */
struct vring_indirect {
	dma_addr_t table_dma;
	unsigned int num;
	void *table;			/* @num 16-byte descriptors */
	struct vring_desc_extra seg[];
};

/* What the driver remembers of one buffer, indexed by its id. */
struct vring_desc_state {
	void *data;		/* the driver's token; NULL when not in use */
	struct vring_indirect *indirect;	/* or NULL */
	u16 ndescs;		/* ring descriptors the buffer takes */
	u16 last;		/* last descriptor (split) or extra (packed) */
	u32 in_len;		/* device-writable bytes: bounds used len */
	void *ctx;		/* virtqueue_add_inbuf_ctx()'s context */
};

struct vring_virtqueue;

/*
 * A buffer's scatterlist as either API hands it over: the seed's add_buf
 * a flat array of out_num + in_num entries (or a table chained with
 * sg_chain()) whose end marks do not matter; upstream's
 * virtqueue_add_sgs() an array of lists, each ending at sg_is_last().
 */
struct vring_sg_iter {
	struct scatterlist *sg;		/* the current entry */
	struct scatterlist **lists;	/* NULL for a flat array */
};

/*
 * Per layout: what the shared code and the Linux 6.12 API wrappers
 * (virtqueue_api.c) need besides struct virtqueue_ops.
 */
struct vring_layout {
	struct virtqueue_ops ops;
	/* add_buf for both APIs; @ctx comes back from @get. */
	int (*add)(struct vring_virtqueue *vvq, struct vring_sg_iter it,
		   unsigned int out_num, unsigned int in_num, void *data,
		   void *ctx, gfp_t gfp);
	/* get_buf, and the context the buffer was added with. */
	void *(*get)(struct vring_virtqueue *vvq, unsigned int *len,
		     void **ctx);
	/* The first half of kick: publish; true if the device wants a
	 * notification (then vring_notify()).
	 */
	bool (*kick_prepare)(struct vring_virtqueue *vvq);
	/* Used buffers waiting?  A peek, safe against a concurrent get. */
	bool (*pending)(const struct vring_virtqueue *vvq);
	/* Callbacks off: a hint to the device, which may still signal. */
	void (*disable_cb)(struct vring_virtqueue *vvq);
	/*
	 * Callbacks on, from the next used buffer or, @delayed, once most
	 * outstanding ones are used; no barrier.  Returns the position for
	 * @poll.
	 */
	unsigned int (*enable_cb_prepare)(struct vring_virtqueue *vvq,
					  bool delayed);
	/* After a barrier: is a buffer used at or past @pos? */
	bool (*poll)(const struct vring_virtqueue *vvq, unsigned int pos);
	/* vring_interrupt() past the broken check: vring_interrupt_body(). */
	irqreturn_t (*interrupt)(struct vring_virtqueue *vvq);
	/* Lay the ring out in vvq->ring and set the device-visible state. */
	void (*init)(struct vring_virtqueue *vvq);
	/* Bytes of ring memory for @num entries, device area @align'ed. */
	size_t (*bytes)(unsigned int num, unsigned int align,
			size_t offsets[3]);
};

struct vring_split {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 avail_idx;		/* next avail ring slot to fill */
	u16 avail_published;	/* what avail->idx last told the device */
	u16 last_used_idx;	/* next used ring slot to read */
	u16 used_idx_seen;	/* used->idx as last read and checked */
	u16 avail_flags;	/* shadow of avail->flags */
};

struct vring_packed {
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver;	/* we write */
	struct vring_packed_desc_event *device;	/* the device writes */
	u16 next_avail;		/* next ring position to fill */
	u16 last_used;		/* next ring position to check for use */
	u16 published;		/* next_avail at the last kick */
	unsigned int added;	/* descriptors made available since then */
	bool avail_wrap;	/* wrap counter of next_avail (§2.8.1) */
	bool used_wrap;		/* wrap counter of last_used */
	bool published_wrap;
	u16 avail_used_flags;	/* AVAIL/USED bits for avail_wrap */
	u16 event_flags;	/* shadow of driver->flags */
};

struct vring_virtqueue {
	struct virtqueue vq;
	const struct vring_layout *layout;

	void *ring;
	dma_addr_t ring_dma;
	size_t ring_bytes;
	dma_addr_t addr[3];	/* desc, driver area, device area (§2.6) */
	unsigned int num;

	struct device *dma_dev;
	bool dma_api;		/* else physical addresses: vring_use_dma_api() */
	bool (*notify)(struct virtqueue *vq);
	/* An upstream-API queue's callback (vring_params.callback). */
	void (*callback)(struct virtqueue *vq);
	bool weak_barriers;	/* no VIRTIO_F_ORDER_PLATFORM */
	bool event;		/* VIRTIO_F_EVENT_IDX / RING_EVENT_FLAGS_DESC */
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC */

	bool broken;
	bool shut_down;
	bool notify_deferred;	/* kicked before DRIVER_OK: vring_notify_early() */
	bool cb_enabled;	/* the driver wants callbacks */
	bool len_clamped;	/* vring_used_len_clamp() has said so once */

	unsigned int completed;	/* buffers handed back, for vring_interrupt */
	u16 free_head;		/* free list of descriptors (split), ids (packed) */
	struct vring_desc_state *state;
	struct vring_desc_extra *extra;

	union {
		struct vring_split split;
		struct vring_packed packed;
	};
};

#define to_vvq(_vq) container_of_const(_vq, struct vring_virtqueue, vq)

extern const struct vring_layout vring_split_layout;
extern const struct vring_layout vring_packed_layout;

/*
 * Barriers (§2.7.13, §2.8.21): a device in the hypervisor is another CPU,
 * so SMP barriers suffice; with VIRTIO_F_ORDER_PLATFORM it is hardware
 * and sees memory as a DMA master does.
 */
static inline void vring_wmb(const struct vring_virtqueue *vvq)
{
	if (vvq->weak_barriers) {
		/* Ring writes, then the write that publishes them. */
		virt_wmb();
	} else {
		/* The same, as a DMA master sees it. */
		dma_wmb();
	}
}

static inline void vring_rmb(const struct vring_virtqueue *vvq)
{
	if (vvq->weak_barriers) {
		/* The device's index or flag, then what it covers. */
		virt_rmb();
	} else {
		/* The same, as a DMA master wrote it. */
		dma_rmb();
	}
}

static inline void vring_mb(const struct vring_virtqueue *vvq)
{
	if (vvq->weak_barriers) {
		/* Our write before the read of the device's answer. */
		virt_mb();
	} else {
		/* The same, against a DMA master. */
		mb();
	}
}

void vring_break(struct vring_virtqueue *vvq, const char *why);
u32 __cold vring_used_len_clamp(struct vring_virtqueue *vvq, u32 len, u32 max);
void __cold vring_notify_early(struct vring_virtqueue *vvq);
struct vring_indirect *vring_indirect_alloc(struct vring_virtqueue *vvq,
					    struct vring_sg_iter it,
					    unsigned int out_num,
					    unsigned int in_num, u32 *in_len,
					    gfp_t gfp);
bool vring_indirect_map(struct vring_virtqueue *vvq,
			struct vring_indirect *ind);
void vring_indirect_free(const struct vring_virtqueue *vvq,
			 struct vring_indirect *ind);
void vring_shutdown(struct virtqueue *vq);
void *vring_detach_unused_buf(struct virtqueue *vq);
void *vring_detach_one(struct vring_virtqueue *vvq);

/*
 * The helpers below run once or more per buffer on the hot paths of both
 * layouts; they are inline so that each layout gets them without a call
 * and the compiler can keep what they load in registers.
 */

/* Common checks of add_buf; false with *err set when it must fail. */
static inline bool vring_check_add(struct vring_virtqueue *vvq,
				   unsigned int total, void *data, int *err)
{
	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down)) {
		*err = -EIO;
		return false;
	}
	/* No chain may be longer than the queue (§2.7.5.3.1, §2.8.17). */
	if (WARN_ON_ONCE(!data || !total || total > vvq->num)) {
		*err = -EINVAL;
		return false;
	}
	return true;
}

/* Step to the next scatterlist entry; never called past the last one. */
static inline void vring_sg_next(struct vring_sg_iter *it)
{
	if (likely(!it->lists)) {
		it->sg++;
		if (unlikely(sg_is_chain(it->sg)))
			it->sg = sg_chain_ptr(it->sg);
	} else if (sg_is_last(it->sg)) {
		it->sg = *++it->lists;
	} else {
		it->sg = sg_next(it->sg);
	}
}

/*
 * Map one scatterlist entry for the device and record it in @x: a
 * physical address unless the DMA API is in use (vring_use_dma_api()).
 * Leaves @x->next alone: the add paths walk the free list through it.
 */
static inline int vring_map_one(struct vring_virtqueue *vvq,
				struct scatterlist *sg, bool in,
				struct vring_desc_extra *x)
{
	dma_addr_t addr;

	if (!vvq->dma_api) {
		addr = page_to_phys(sg_page(sg)) + sg->offset;
	} else {
		addr = dma_map_page(vvq->dma_dev, sg_page(sg), sg->offset,
				    sg->length,
				    in ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
		if (unlikely(dma_mapping_error(vvq->dma_dev, addr)))
			return -ENOMEM;
	}
	x->addr = addr;
	x->len = sg->length;
	x->flags = in ? VRING_DESC_F_WRITE : 0;
	return 0;
}

static inline void vring_unmap_one(const struct vring_virtqueue *vvq,
				   const struct vring_desc_extra *x)
{
	if (!vvq->dma_api)
		return;
	dma_unmap_page(vvq->dma_dev, x->addr, x->len,
		       x->flags & VRING_DESC_F_WRITE ? DMA_FROM_DEVICE :
						       DMA_TO_DEVICE);
}

/*
 * Indirect tables cost an allocation and a mapping: worth it for long
 * buffers, or when the ring has no room for a direct chain.
 */
static inline bool vring_want_indirect(const struct vring_virtqueue *vvq,
				       unsigned int total)
{
	return vvq->indirect && total > 1 &&
	       (total >= VRING_INDIRECT_MIN || total > vvq->vq.num_free);
}

/*
 * Check a used buffer the device reported (§2.7.8, §2.8.9): @id must name
 * a buffer the device has not returned yet, and the length it wrote is
 * clamped to what the buffer can hold.  Breaks the queue and returns false
 * on a bad id.
 */
static inline bool vring_check_used(struct vring_virtqueue *vvq, u32 id,
				    u32 *len)
{
	const struct vring_desc_state *st;

	if (unlikely(id >= vvq->num)) {
		vring_break(vvq, "used id out of range");
		return false;
	}
	st = &vvq->state[id];
	if (unlikely(!st->data)) {
		vring_break(vvq, "used id not outstanding");
		return false;
	}
	if (unlikely(*len > st->in_len))
		*len = vring_used_len_clamp(vvq, *len, st->in_len);
	return true;
}

/*
 * Hand a buffer's descriptors back to the free list and drop its DMA
 * mappings, all from the driver's own record.  Returns the token.
 */
static inline void *vring_detach(struct vring_virtqueue *vvq, u16 id)
{
	struct vring_desc_state *st = &vvq->state[id];
	struct vring_indirect *ind = st->indirect;
	void *data = st->data;
	u16 i = id;
	unsigned int n;

	if (!ind && vvq->dma_api) {
		for (n = 0; n < st->ndescs; n++, i = vvq->extra[i].next)
			vring_unmap_one(vvq, &vvq->extra[i]);
	}
	vvq->extra[st->last].next = vvq->free_head;
	vvq->free_head = id;
	vvq->vq.num_free += st->ndescs;
	WRITE_ONCE(vvq->completed, vvq->completed + 1);
	st->data = NULL;
	/*
	 * Last, so that little is live across the call.  Safe: the device
	 * is done with the table once the buffer is used, and state[] no
	 * longer reaches it.
	 */
	if (ind) {
		st->indirect = NULL;
		vring_indirect_free(vvq, ind);
	}
	return data;
}

/* Notify the device, which must have been told DRIVER_OK (§3.1.1). */
static inline void vring_notify(struct vring_virtqueue *vvq)
{
	/* Pairs with the release in virtio_device_ready(). */
	if (unlikely(!smp_load_acquire(&vvq->vq.vdev->ready))) {
		vring_notify_early(vvq);
		return;
	}
	if (unlikely(!vvq->notify(&vvq->vq)))
		vring_break(vvq, "notification failed");
}

/*
 * vring_interrupt() for one layout: each layout instantiates it with its
 * own helpers, which the compiler then inlines, and points
 * vring_layout.interrupt at the result.  The queue is not broken.
 *
 * @pending: used buffers waiting?  A peek, safe against a concurrent
 *	get_buf on another CPU.
 * @disable_cb: stop asking the device for used buffer notifications.
 * @rearm: ask for them again from interrupt context, where the driver's
 *	lock is not held; its barrier orders that before a @pending look.
 */
static __always_inline irqreturn_t
vring_interrupt_body(struct vring_virtqueue *vvq,
		     bool (*pending)(const struct vring_virtqueue *vvq),
		     void (*disable_cb)(struct vring_virtqueue *vvq),
		     void (*rearm)(struct vring_virtqueue *vvq))
{
	bool (*callback)(struct virtqueue *vq) = vvq->vq.callback;

	if (!pending(vvq))
		return IRQ_NONE;
	if (!READ_ONCE(vvq->cb_enabled) || !callback)
		return IRQ_HANDLED;
	/*
	 * Callbacks go off before the callback runs, not after it returns
	 * false: it may hand the work to another CPU (NAPI) whose restart
	 * must not be undone by us.  Returning true re-arms them, and
	 * buffers used meanwhile get the callback again.
	 */
	for (;;) {
		unsigned int done = READ_ONCE(vvq->completed);

		WRITE_ONCE(vvq->cb_enabled, false);
		disable_cb(vvq);
		if (!callback(&vvq->vq))
			break;
		rearm(vvq);
		/*
		 * A callback that took nothing left the rest on purpose;
		 * only one that took some is called again for what came
		 * in meanwhile.
		 */
		if (READ_ONCE(vvq->completed) == done || !pending(vvq))
			break;
	}
	return IRQ_HANDLED;
}

#endif /* _DRIVERS_VIRTIO_RING_INTERNAL_H */
