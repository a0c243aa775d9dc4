// SPDX-License-Identifier: GPL-2.0-only
/*
 * The split virtqueue (VIRTIO 1.2 §2.7): a descriptor table, an available
 * ring the driver fills and a used ring the device fills.
 *
 * The driver keeps its own copy of every descriptor it writes and never
 * reads the table back.  What the device writes -- the used index, used
 * elements, avail_event -- is read in split_more_used() and
 * split_take_used() and checked before use.
 */
#include <linux/slab.h>
#include "virtio_ring_internal.h"

/* §2.7.6, §2.7.8: each event field follows the other side's ring. */
static __virtio16 *split_used_event(const struct vring_virtqueue *vvq)
{
	return &vvq->split.avail->ring[vvq->num];
}

static __virtio16 *split_avail_event(const struct vring_virtqueue *vvq)
{
	return (__virtio16 *)&vvq->split.used->ring[vvq->num];
}

static void split_write_desc(struct vring_virtqueue *vvq, u16 i,
			     const struct vring_desc_extra *x)
{
	struct virtio_device *vdev = vvq->vq.vdev;
	struct vring_desc *d = &vvq->split.desc[i];

	d->addr = cpu_to_virtio64(vdev, x->addr);
	d->len = cpu_to_virtio32(vdev, x->len);
	d->flags = cpu_to_virtio16(vdev, x->flags);
	d->next = cpu_to_virtio16(vdev, x->next);
}

/* One ring descriptor pointing at a table of @ind->num (§2.7.5.3). */
static int split_add_indirect(struct vring_virtqueue *vvq,
			      struct vring_indirect *ind, u32 in_len,
			      void *data, u16 *headp)
{
	struct virtio_device *vdev = vvq->vq.vdev;
	struct vring_desc *table = ind->table;
	struct vring_desc_extra *x;
	unsigned int n;
	u16 head;

	for (n = 0; n < ind->num; n++) {
		bool more = n + 1 < ind->num;

		table[n].addr = cpu_to_virtio64(vdev, ind->seg[n].addr);
		table[n].len = cpu_to_virtio32(vdev, ind->seg[n].len);
		table[n].flags = cpu_to_virtio16(vdev, ind->seg[n].flags |
						 (more ? VRING_DESC_F_NEXT : 0));
		table[n].next = cpu_to_virtio16(vdev, more ? n + 1 : 0);
	}
	if (!vring_indirect_map(vvq, ind))
		return -ENOMEM;

	head = vvq->free_head;
	x = &vvq->extra[head];
	x->addr = ind->table_dma;
	x->len = ind->num * sizeof(struct vring_desc);
	x->flags = VRING_DESC_F_INDIRECT;
	split_write_desc(vvq, head, x);

	vvq->free_head = x->next;
	vvq->vq.num_free--;
	vvq->state[head] = (struct vring_desc_state) {
		.data = data, .indirect = ind, .ndescs = 1, .last = head,
		.in_len = in_len,
	};
	*headp = head;
	return 0;
}

static int split_add_direct(struct vring_virtqueue *vvq,
			    struct vring_sg_iter it, unsigned int out_num,
			    unsigned int in_num, void *data, u16 *headp)
{
	struct vring_desc_extra *extra = vvq->extra;
	unsigned int total = out_num + in_num, n;
	u16 head = vvq->free_head, i = head, prev = head;
	u32 in_len = 0;

	for (n = 0; n < total; n++) {
		struct vring_desc_extra *x = &extra[i];
		bool in = n >= out_num;

		if (vring_map_one(vvq, it.sg, in, x))
			goto unmap;
		if (in)
			in_len += it.sg->length;
		if (n + 1 < total) {
			x->flags |= VRING_DESC_F_NEXT;
			vring_sg_next(&it);
		}
		split_write_desc(vvq, i, x);
		prev = i;
		i = x->next;
	}

	vvq->state[head] = (struct vring_desc_state) {
		.data = data, .ndescs = total, .last = prev, .in_len = in_len,
	};
	vvq->free_head = i;
	vvq->vq.num_free -= total;
	*headp = head;
	return 0;

unmap:
	for (i = head; n--; i = vvq->extra[i].next)
		vring_unmap_one(vvq, &vvq->extra[i]);
	return -ENOMEM;
}

static __always_inline int split_add(struct vring_virtqueue *vvq,
				     struct vring_sg_iter it,
				     unsigned int out_num, unsigned int in_num,
				     void *data, void *ctx, gfp_t gfp)
{
	unsigned int total = out_num + in_num;
	int err = -ENOSPC;
	u16 head;

	if (!vring_check_add(vvq, total, data, &err))
		return err;
	if (!vvq->vq.num_free)
		return -ENOSPC;

	if (vring_want_indirect(vvq, total)) {
		struct vring_indirect *ind;
		u32 in_len;

		ind = vring_indirect_alloc(vvq, it, out_num, in_num, &in_len,
					   gfp);
		if (ind) {
			err = split_add_indirect(vvq, ind, in_len, data, &head);
			if (err)
				vring_indirect_free(vvq, ind);
		}
	}
	if (err) {
		if (total > vvq->vq.num_free)
			return -ENOSPC;
		err = split_add_direct(vvq, it, out_num, in_num, data, &head);
		if (err)
			return err;
	}
	vvq->state[head].ctx = ctx;

	/* Visible to the device once kick publishes avail->idx (§2.7.13.2). */
	vvq->split.avail->ring[vvq->split.avail_idx & (vvq->num - 1)] =
		cpu_to_virtio16(vvq->vq.vdev, head);
	vvq->split.avail_idx++;
	return 0;
}

static int split_add_buf(struct virtqueue *vq, struct scatterlist sg[],
			 unsigned int out_num, unsigned int in_num, void *data)
{
	return split_add(to_vvq(vq), (struct vring_sg_iter){ .sg = sg },
			 out_num, in_num, data, NULL, GFP_ATOMIC);
}

static int split_add_any(struct vring_virtqueue *vvq, struct vring_sg_iter it,
			 unsigned int out_num, unsigned int in_num, void *data,
			 void *ctx, gfp_t gfp)
{
	return split_add(vvq, it, out_num, in_num, data, ctx, gfp);
}

/* Publish what add_buf wrote; true when the device wants to be told. */
static bool split_kick_prepare(struct vring_virtqueue *vvq)
{
	struct virtio_device *vdev = vvq->vq.vdev;
	u16 old = vvq->split.avail_published, new = vvq->split.avail_idx;

	if (unlikely(READ_ONCE(vvq->broken)) || old == new)
		return false;

	/* Descriptors and avail ring entries before the index (§2.7.13.2). */
	vring_wmb(vvq);
	vvq->split.avail->idx = cpu_to_virtio16(vdev, new);
	vvq->split.avail_published = new;

	/* The index before the device's flags or avail_event (§2.7.13.4). */
	vring_mb(vvq);
	if (vvq->event) {
		u16 event = virtio16_to_cpu(vdev,
					    READ_ONCE(*split_avail_event(vvq)));

		return vring_need_event(event, new, old);
	}
	return !(READ_ONCE(vvq->split.used->flags) &
		 cpu_to_virtio16(vdev, VRING_USED_F_NO_NOTIFY));
}

static void split_kick(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	if (split_kick_prepare(vvq))
		vring_notify(vvq);
}

/*
 * Read the used index and check it: it may only move forward, by at most
 * the ring size (§2.7.8).  Returns true when an element is waiting.
 * Called with the driver's lock held, so it may update used_idx_seen.
 */
static bool split_more_used(struct vring_virtqueue *vvq)
{
	u16 last = vvq->split.last_used_idx;
	u16 idx;

	if (vvq->split.used_idx_seen != last)
		return true;
	idx = virtio16_to_cpu(vvq->vq.vdev, READ_ONCE(vvq->split.used->idx));
	if (idx == last)
		return false;
	if (unlikely((u16)(idx - last) > vvq->num)) {
		vring_break(vvq, "used index jumped");
		return false;
	}
	vvq->split.used_idx_seen = idx;
	return true;
}

/*
 * Only a look, for the interrupt handler: the driver may be in get_buf on
 * another CPU, and the checked copy of the used index is its to update.
 */
static bool split_pending_since(const struct vring_virtqueue *vvq, u16 last)
{
	return virtio16_to_cpu(vvq->vq.vdev, READ_ONCE(vvq->split.used->idx)) !=
	       last;
}

static bool split_pending(const struct vring_virtqueue *vvq)
{
	return split_pending_since(vvq, READ_ONCE(vvq->split.last_used_idx));
}

/*
 * The part of get_buf past the check that an element is waiting: out of
 * line, so that the frequent empty poll returns without the register
 * saves that checking and detaching a buffer need.
 */
static noinline void *split_take_used(struct vring_virtqueue *vvq,
				      unsigned int *len, void **ctx)
{
	struct virtio_device *vdev = vvq->vq.vdev;
	const struct vring_used_elem *elem;
	u16 last = vvq->split.last_used_idx;
	u32 id, used_len;

	/* The index before the element it covers (§2.7.14). */
	vring_rmb(vvq);
	elem = &vvq->split.used->ring[last & (vvq->num - 1)];
	id = virtio32_to_cpu(vdev, READ_ONCE(elem->id));
	used_len = virtio32_to_cpu(vdev, READ_ONCE(elem->len));
	if (!vring_check_used(vvq, id, &used_len))
		return NULL;

	WRITE_ONCE(vvq->split.last_used_idx, last + 1);
	/*
	 * With callbacks on, move used_event along so the device signals
	 * the next buffer; the barrier orders it before any later look at
	 * the used index (§2.7.7).
	 */
	if (vvq->event && READ_ONCE(vvq->cb_enabled)) {
		WRITE_ONCE(*split_used_event(vvq), cpu_to_virtio16(vdev, last + 1));
		vring_mb(vvq);
	}
	*len = used_len;
	if (ctx)
		*ctx = vvq->state[id].ctx;
	return vring_detach(vvq, id);
}

static void *split_get(struct vring_virtqueue *vvq, unsigned int *len,
		       void **ctx)
{
	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down) ||
	    !split_more_used(vvq))
		return NULL;
	return split_take_used(vvq, len, ctx);
}

static void *split_get_buf(struct virtqueue *vq, unsigned int *len)
{
	return split_get(to_vvq(vq), len, NULL);
}

static void split_set_avail_flags(struct vring_virtqueue *vvq, u16 flags)
{
	vvq->split.avail_flags = flags;
	WRITE_ONCE(vvq->split.avail->flags,
		   cpu_to_virtio16(vvq->vq.vdev, flags));
}

/*
 * With EVENT_IDX the flags must stay 0 (§2.7.7.1): used_event, last set
 * to an index the device has already passed, keeps it quiet instead.
 */
static void split_disable_cb(struct vring_virtqueue *vvq)
{
	if (!vvq->event)
		split_set_avail_flags(vvq, vvq->split.avail_flags |
					   VRING_AVAIL_F_NO_INTERRUPT);
}

/* Callbacks on, at @event; the caller orders this before its next look. */
static void split_set_cb(struct vring_virtqueue *vvq, u16 event)
{
	if (vvq->event)
		WRITE_ONCE(*split_used_event(vvq),
			   cpu_to_virtio16(vvq->vq.vdev, event));
	else
		split_set_avail_flags(vvq, vvq->split.avail_flags &
					   ~VRING_AVAIL_F_NO_INTERRUPT);
	WRITE_ONCE(vvq->cb_enabled, true);
}

static void split_enable_cb(struct vring_virtqueue *vvq, u16 event)
{
	split_set_cb(vvq, event);
	/* The flag or event before the used index (§2.7.7). */
	vring_mb(vvq);
}

/* Ask for a notification once used index @event + 1 is reached. */
static bool split_arm(struct virtqueue *vq, u16 event)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	/* Nothing will ever be pending again: don't make callers loop. */
	if (unlikely(READ_ONCE(vvq->broken) || vvq->shut_down))
		return true;

	split_enable_cb(vvq, event);
	if (split_more_used(vvq)) {
		WRITE_ONCE(vvq->cb_enabled, false);
		split_disable_cb(vvq);
		return false;
	}
	return true;
}

static void split_rearm(struct vring_virtqueue *vvq)
{
	u16 last = READ_ONCE(vvq->split.last_used_idx);

	split_set_cb(vvq, last);
	/*
	 * As in packed_rearm(): with EVENT_IDX the barrier can wait while
	 * the used index is past @last already, as it is when the callback
	 * took nothing.  The device has passed used_event then and will not
	 * signal it, a look finds the element, and the get_buf that takes
	 * it moves used_event on with a barrier of its own.
	 */
	if (!vvq->event ||
	    virtio16_to_cpu(vvq->vq.vdev, READ_ONCE(vvq->split.used->idx)) == last)
		vring_mb(vvq);
}

/*
 * Re-enable callbacks; refuse (and stay quiet) when buffers are already
 * waiting, since the device may have used them before it saw the change.
 */
static bool split_restart(struct virtqueue *vq)
{
	return split_arm(vq, to_vvq(vq)->split.last_used_idx);
}

/*
 * Like restart, but with EVENT_IDX ask to be told only once three
 * quarters of the outstanding buffers are used: a transmit queue reclaims
 * in batches instead of taking an interrupt per packet.
 */
static bool split_restart_delayed(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	u16 last = vvq->split.last_used_idx;
	u16 outstanding = vvq->split.avail_published - last;

	return split_arm(vq, last + outstanding * 3 / 4);
}

/*
 * Upstream's enable_cb family: callbacks stay on even when buffers are
 * already waiting; the caller polls and takes them.
 */
static unsigned int split_enable_cb_prepare(struct vring_virtqueue *vvq,
					    bool delayed)
{
	u16 last = vvq->split.last_used_idx;
	u16 outstanding = vvq->split.avail_published - last;

	split_set_cb(vvq, delayed ? last + outstanding * 3 / 4 : last);
	return last;
}

static bool split_poll(const struct vring_virtqueue *vvq, unsigned int last)
{
	/* The flag or event before the used index (§2.7.7). */
	vring_mb(vvq);
	return split_pending_since(vvq, last);
}

static irqreturn_t split_interrupt(struct vring_virtqueue *vvq)
{
	return vring_interrupt_body(vvq, split_pending, split_disable_cb,
				    split_rearm);
}

static size_t split_bytes(unsigned int num, unsigned int align,
			  size_t offsets[3])
{
	/* §2.7: table, avail ring + used_event, used ring + avail_event. */
	offsets[0] = 0;
	offsets[1] = sizeof(struct vring_desc) * num;
	offsets[2] = offsets[1] + struct_size_t(struct vring_avail, ring,
						 num + 1);
	offsets[2] = ALIGN(offsets[2], align);
	return offsets[2] + struct_size_t(struct vring_used, ring, num) +
	       sizeof(__virtio16);
}

static void split_init(struct vring_virtqueue *vvq)
{
	vvq->split.desc = vvq->ring;
	vvq->split.avail = vvq->ring + (vvq->addr[1] - vvq->ring_dma);
	vvq->split.used = vvq->ring + (vvq->addr[2] - vvq->ring_dma);
}

const struct vring_layout vring_split_layout = {
	.ops = {
		.add_buf = split_add_buf,
		.kick = split_kick,
		.get_buf = split_get_buf,
		.restart = split_restart,
		.restart_delayed = split_restart_delayed,
		.shutdown = vring_shutdown,
		.detach_unused_buf = vring_detach_unused_buf,
	},
	.add = split_add_any,
	.get = split_get,
	.kick_prepare = split_kick_prepare,
	.pending = split_pending,
	.disable_cb = split_disable_cb,
	.enable_cb_prepare = split_enable_cb_prepare,
	.poll = split_poll,
	.interrupt = split_interrupt,
	.init = split_init,
	.bytes = split_bytes,
};
