// SPDX-License-Identifier: GPL-2.0-only
/*
 * The packed virtqueue (VIRTIO 1.2 §2.8): one ring of descriptors that the
 * driver makes available and the device marks used in place, told apart
 * by the AVAIL and USED flag bits and a wrap counter on each side.
 *
 * Packed rings exist only for VERSION_1 devices, so everything in them is
 * little-endian.  Buffer ids index the driver's own record of each buffer;
 * the device's used descriptors are read in packed_get_buf() and
 * packed_take_used() and checked against that record before use.
 */
#include <linux/slab.h>
#include "virtio_ring_internal.h"

#define PACKED_AVAIL	BIT(VRING_PACKED_DESC_F_AVAIL)
#define PACKED_USED	BIT(VRING_PACKED_DESC_F_USED)
#define PACKED_WRAP	BIT(VRING_PACKED_EVENT_F_WRAP_CTR)

/* Ring position and wrap counter in one value, as event off_wrap has them. */
static u16 packed_pos_wrap(u16 pos, bool wrap)
{
	return pos | (wrap ? PACKED_WRAP : 0);
}

static void packed_write_desc(struct vring_packed_desc *d, dma_addr_t addr,
			      u32 len, u16 id)
{
	d->addr = cpu_to_le64(addr);
	d->len = cpu_to_le32(len);
	d->id = cpu_to_le16(id);
}

/* Step the avail position; crossing the end flips the wrap counter. */
static void packed_advance(struct vring_virtqueue *vvq)
{
	struct vring_packed *p = &vvq->packed;

	if (++p->next_avail == vvq->num) {
		p->next_avail = 0;
		p->avail_wrap = !p->avail_wrap;
		p->avail_used_flags ^= PACKED_AVAIL | PACKED_USED;
	}
}

static __always_inline int packed_add(struct vring_virtqueue *vvq,
				      struct vring_sg_iter it,
				      unsigned int out_num, unsigned int in_num,
				      void *data, void *ctx, gfp_t gfp)
{
	struct vring_packed *p = &vvq->packed;
	unsigned int total = out_num + in_num, n;
	struct vring_indirect *ind = NULL;
	u16 id = vvq->free_head, i = id, prev = id;
	u16 head_pos = p->next_avail, head_flags = 0;
	u32 in_len = 0;
	int err = -ENOSPC;

	if (!vring_check_add(vvq, total, data, &err))
		return err;
	if (!vvq->vq.num_free)
		return -ENOSPC;

	if (vring_want_indirect(vvq, total)) {
		ind = vring_indirect_alloc(vvq, it, out_num, in_num, &in_len,
					   gfp);
		if (ind) {
			struct vring_packed_desc *table = ind->table;

			/* §2.8.7: table entries carry only the WRITE flag. */
			for (n = 0; n < total; n++) {
				packed_write_desc(&table[n], ind->seg[n].addr,
						  ind->seg[n].len, 0);
				table[n].flags = cpu_to_le16(ind->seg[n].flags);
			}
			if (!vring_indirect_map(vvq, ind)) {
				vring_indirect_free(vvq, ind);
				ind = NULL;
			}
		}
	}

	if (ind) {
		packed_write_desc(&p->desc[head_pos], ind->table_dma,
				  total * sizeof(struct vring_packed_desc), id);
		head_flags = VRING_DESC_F_INDIRECT | p->avail_used_flags;
		packed_advance(vvq);
		i = vvq->extra[id].next;
		total = 1;
	} else {
		struct vring_desc_extra *extra = vvq->extra;
		struct vring_packed_desc *desc = p->desc;
		u16 pos = head_pos, avail_used = p->avail_used_flags;
		bool wrap = p->avail_wrap;

		if (total > vvq->vq.num_free)
			return -ENOSPC;
		/*
		 * Map it all first: a failure must leave nothing in the ring
		 * that a later, shorter chain would not overwrite.
		 */
		in_len = 0;
		for (n = 0; n < total; n++) {
			bool in = n >= out_num;

			if (vring_map_one(vvq, it.sg, in, &extra[i]))
				goto unmap;
			if (in)
				in_len += it.sg->length;
			if (n + 1 < total)
				vring_sg_next(&it);
			prev = i;
			i = extra[i].next;
		}
		/*
		 * The position and wrap state live in locals while the ring is
		 * written: the compiler cannot tell those stores from *p and
		 * would reload them after each one.
		 */
		for (n = 0, i = id; n < total; n++) {
			const struct vring_desc_extra *x = &extra[i];
			u16 flags = x->flags | avail_used |
				    (n + 1 < total ? VRING_DESC_F_NEXT : 0);

			packed_write_desc(&desc[pos], x->addr, x->len, id);
			/* The head's flags go last: they publish the chain. */
			if (n)
				desc[pos].flags = cpu_to_le16(flags);
			else
				head_flags = flags;
			i = x->next;
			if (unlikely(++pos == vvq->num)) {
				pos = 0;
				wrap = !wrap;
				avail_used ^= PACKED_AVAIL | PACKED_USED;
			}
		}
		p->next_avail = pos;
		p->avail_wrap = wrap;
		p->avail_used_flags = avail_used;
	}

	vvq->state[id] = (struct vring_desc_state) {
		.data = data, .indirect = ind, .ndescs = total, .last = prev,
		.in_len = in_len, .ctx = ctx,
	};
	vvq->free_head = i;
	vvq->vq.num_free -= total;
	p->added += total;

	/* The rest of the chain before its first descriptor (§2.8.21.1). */
	vring_wmb(vvq);
	WRITE_ONCE(p->desc[head_pos].flags, cpu_to_le16(head_flags));
	return 0;

unmap:
	for (i = id; n--; i = vvq->extra[i].next)
		vring_unmap_one(vvq, &vvq->extra[i]);
	return -ENOMEM;
}

static int packed_add_buf(struct virtqueue *vq, struct scatterlist sg[],
			  unsigned int out_num, unsigned int in_num, void *data)
{
	return packed_add(to_vvq(vq), (struct vring_sg_iter){ .sg = sg },
			  out_num, in_num, data, NULL, GFP_ATOMIC);
}

static int packed_add_any(struct vring_virtqueue *vvq, struct vring_sg_iter it,
			  unsigned int out_num, unsigned int in_num, void *data,
			  void *ctx, gfp_t gfp)
{
	return packed_add(vvq, it, out_num, in_num, data, ctx, gfp);
}

/*
 * Positions are modulo the ring size, with a wrap counter; the event
 * check of §2.7.10 works in 16-bit arithmetic, so express each position
 * relative to the current lap before applying it.
 */
static bool packed_need_event(const struct vring_virtqueue *vvq, u16 off_wrap,
			      u16 new, u16 old, bool old_wrap)
{
	const struct vring_packed *p = &vvq->packed;
	u16 event = off_wrap & ~PACKED_WRAP;

	if (!!(off_wrap & PACKED_WRAP) != p->avail_wrap)
		event -= vvq->num;
	if (old_wrap != p->avail_wrap)
		old -= vvq->num;
	return vring_need_event(event, new, old);
}

/* Publish what add_buf wrote; true when the device wants to be told. */
static bool packed_kick_prepare(struct vring_virtqueue *vvq)
{
	struct vring_packed *p = &vvq->packed;
	u16 old = p->published, new = p->next_avail, flags, off_wrap;
	bool old_wrap = p->published_wrap, wrapped;

	/*
	 * Not by position: 2 * num descriptors since the last kick bring
	 * both the position and the wrap counter back to where they were.
	 */
	if (unlikely(READ_ONCE(vvq->broken)) || !p->added)
		return false;
	p->published = new;
	p->published_wrap = p->avail_wrap;
	/* A lap or more since the last kick: positions no longer compare. */
	wrapped = p->added >= vvq->num;
	p->added = 0;

	/* Descriptors before the device's event structure (§2.8.21.3). */
	vring_mb(vvq);
	off_wrap = le16_to_cpu(READ_ONCE(p->device->off_wrap));
	flags = le16_to_cpu(READ_ONCE(p->device->flags));
	if (flags == VRING_PACKED_EVENT_FLAG_DESC && vvq->event && !wrapped)
		return packed_need_event(vvq, off_wrap, new, old, old_wrap);
	return flags != VRING_PACKED_EVENT_FLAG_DISABLE;
}

static void packed_kick(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	if (packed_kick_prepare(vvq))
		vring_notify(vvq);
}

/*
 * Is the descriptor at @pos_wrap used by the device, in that lap?  Both
 * AVAIL and USED then equal the wrap counter (§2.8.1).
 */
static bool packed_is_used(const struct vring_virtqueue *vvq, u16 pos_wrap)
{
	u16 flags = le16_to_cpu(READ_ONCE(vvq->packed.desc[pos_wrap &
						~PACKED_WRAP].flags));
	u16 want = pos_wrap & PACKED_WRAP ? PACKED_AVAIL | PACKED_USED : 0;

	return (flags & (PACKED_AVAIL | PACKED_USED)) == want;
}

static bool packed_pending(const struct vring_virtqueue *vvq)
{
	return packed_is_used(vvq, READ_ONCE(vvq->packed.last_used));
}

/*
 * The part of get_buf past the check that a buffer is waiting: out of
 * line, so that the frequent empty poll returns without the register
 * saves that checking and detaching a buffer need.
 */
static noinline void *packed_take_used(struct vring_virtqueue *vvq,
				       u16 last, unsigned int *len, void **ctx)
{
	struct vring_packed *p = &vvq->packed;
	u16 pos = last & ~PACKED_WRAP;
	bool wrap = last & PACKED_WRAP;
	u32 id, used_len;

	/* The flags before the id and length they cover (§2.8.22). */
	vring_rmb(vvq);
	id = le16_to_cpu(READ_ONCE(p->desc[pos].id));
	/*
	 * Devices (QEMU among them) do not set WRITE on used descriptors,
	 * so len is taken as written; vring_check_used() bounds it.
	 */
	used_len = le32_to_cpu(READ_ONCE(p->desc[pos].len));
	if (!vring_check_used(vvq, id, &used_len))
		return NULL;

	/* A used buffer stands for all the descriptors it was made of. */
	pos += vvq->state[id].ndescs;
	if (pos >= vvq->num) {
		pos -= vvq->num;
		wrap = !wrap;
	}
	last = packed_pos_wrap(pos, wrap);
	WRITE_ONCE(p->last_used, last);

	/* With callbacks on, ask to hear of the next one (§2.8.10). */
	if (vvq->event && READ_ONCE(vvq->cb_enabled) &&
	    p->event_flags == VRING_PACKED_EVENT_FLAG_DESC) {
		WRITE_ONCE(p->driver->off_wrap, cpu_to_le16(last));
		vring_mb(vvq);
	}
	*len = used_len;
	if (ctx)
		*ctx = vvq->state[id].ctx;
	return vring_detach(vvq, id);
}

static void *packed_get(struct vring_virtqueue *vvq, unsigned int *len,
			void **ctx)
{
	u16 last = vvq->packed.last_used;

	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down) ||
	    !packed_is_used(vvq, last))
		return NULL;
	return packed_take_used(vvq, last, len, ctx);
}

static void *packed_get_buf(struct virtqueue *vq, unsigned int *len)
{
	return packed_get(to_vvq(vq), len, NULL);
}

static void packed_set_event(struct vring_virtqueue *vvq, u16 flags)
{
	vvq->packed.event_flags = flags;
	WRITE_ONCE(vvq->packed.driver->flags, cpu_to_le16(flags));
}

static void packed_disable_cb(struct vring_virtqueue *vvq)
{
	packed_set_event(vvq, VRING_PACKED_EVENT_FLAG_DISABLE);
}

/* Callbacks on, at @event; the caller orders this before its next look. */
static void packed_set_cb(struct vring_virtqueue *vvq, u16 event)
{
	if (vvq->event) {
		WRITE_ONCE(vvq->packed.driver->off_wrap, cpu_to_le16(event));
		/* The offset before the flags that make it count. */
		vring_wmb(vvq);
		packed_set_event(vvq, VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		packed_set_event(vvq, VRING_PACKED_EVENT_FLAG_ENABLE);
	}
	WRITE_ONCE(vvq->cb_enabled, true);
}

static void packed_enable_cb(struct vring_virtqueue *vvq, u16 event)
{
	packed_set_cb(vvq, event);
	/* The event structure before the next descriptor's flags. */
	vring_mb(vvq);
}

/* Ask for a notification at @event (position and wrap), or any. */
static bool packed_arm(struct virtqueue *vq, u16 event)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	/* Nothing will ever be pending again: don't make callers loop. */
	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down))
		return true;

	packed_enable_cb(vvq, event);
	if (packed_pending(vvq)) {
		WRITE_ONCE(vvq->cb_enabled, false);
		packed_disable_cb(vvq);
		return false;
	}
	return true;
}

static void packed_rearm(struct vring_virtqueue *vvq)
{
	u16 last = READ_ONCE(vvq->packed.last_used);

	packed_set_cb(vvq, last);
	/*
	 * The barrier keeps a look that finds nothing used from passing
	 * the event.  With EVENT_IDX it is not needed while the buffer at
	 * the event is used already, as it is when the callback took
	 * nothing: the device has passed the event and will not signal
	 * it, a look finds that buffer, and the get_buf that takes it
	 * moves the event on with a barrier of its own.  Without EVENT_IDX
	 * get_buf has no barrier, so this one stays.
	 */
	if (!vvq->event || !packed_is_used(vvq, last))
		vring_mb(vvq);
}

static bool packed_restart(struct virtqueue *vq)
{
	return packed_arm(vq, to_vvq(vq)->packed.last_used);
}

/* Where three quarters of the outstanding buffers will have been used. */
static u16 packed_delayed_event(const struct vring_virtqueue *vvq)
{
	u16 last = vvq->packed.last_used;
	bool wrap = last & PACKED_WRAP;
	u32 pos = (last & ~PACKED_WRAP) + (vvq->num - vvq->vq.num_free) * 3 / 4;

	if (pos >= vvq->num) {
		pos -= vvq->num;
		wrap = !wrap;
	}
	return packed_pos_wrap(pos, wrap);
}

static bool packed_restart_delayed(struct virtqueue *vq)
{
	return packed_arm(vq, packed_delayed_event(to_vvq(vq)));
}

/*
 * Upstream's enable_cb family: callbacks stay on even when buffers are
 * already waiting; the caller polls and takes them.
 */
static unsigned int packed_enable_cb_prepare(struct vring_virtqueue *vvq,
					     bool delayed)
{
	u16 last = vvq->packed.last_used;

	packed_set_cb(vvq, delayed ? packed_delayed_event(vvq) : last);
	return last;
}

static bool packed_poll(const struct vring_virtqueue *vvq, unsigned int last)
{
	/* The event structure before the descriptor's flags (§2.8.21). */
	vring_mb(vvq);
	return packed_is_used(vvq, last);
}

static irqreturn_t packed_interrupt(struct vring_virtqueue *vvq)
{
	return vring_interrupt_body(vvq, packed_pending, packed_disable_cb,
				    packed_rearm);
}

static size_t packed_bytes(unsigned int num, unsigned int align,
			   size_t offsets[3])
{
	/* §2.8.10: the ring, then the driver and device event structures. */
	offsets[0] = 0;
	offsets[1] = sizeof(struct vring_packed_desc) * num;
	offsets[2] = ALIGN(offsets[1] + sizeof(struct vring_packed_desc_event),
			   align);
	return offsets[2] + sizeof(struct vring_packed_desc_event);
}

static void packed_init(struct vring_virtqueue *vvq)
{
	struct vring_packed *p = &vvq->packed;

	p->desc = vvq->ring;
	p->driver = vvq->ring + (vvq->addr[1] - vvq->ring_dma);
	p->device = vvq->ring + (vvq->addr[2] - vvq->ring_dma);
	/* Both wrap counters start at 1 (§2.8.1). */
	p->avail_wrap = true;
	p->published_wrap = true;
	p->last_used = packed_pos_wrap(0, true);
	p->avail_used_flags = PACKED_AVAIL;
	p->event_flags = VRING_PACKED_EVENT_FLAG_ENABLE;
}

const struct vring_layout vring_packed_layout = {
	.ops = {
		.add_buf = packed_add_buf,
		.kick = packed_kick,
		.get_buf = packed_get_buf,
		.restart = packed_restart,
		.restart_delayed = packed_restart_delayed,
		.shutdown = vring_shutdown,
		.detach_unused_buf = vring_detach_unused_buf,
	},
	.add = packed_add_any,
	.get = packed_get,
	.kick_prepare = packed_kick_prepare,
	.pending = packed_pending,
	.disable_cb = packed_disable_cb,
	.enable_cb_prepare = packed_enable_cb_prepare,
	.poll = packed_poll,
	.interrupt = packed_interrupt,
	.init = packed_init,
	.bytes = packed_bytes,
};
