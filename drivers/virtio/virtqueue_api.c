// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Linux 6.12 driver API's virtqueue calls, beside the seed's
 * struct virtqueue_ops, so that the base tree's drivers run on our rings
 * unmodified.  Each call is a thin wrapper over the same ring layouts
 * (struct vring_layout); no ring logic lives here.
 *
 * Where the two APIs differ (Documentation/driver-api/virtio/virtio.rst
 * has the full table):
 *  - virtqueue_enable_cb() always turns callbacks on and returns false
 *    when used buffers already wait; the seed's restart refuses and
 *    leaves them off.
 *  - virtqueue_detach_unused_buf() works straight after a reset, without
 *    the seed's shutdown: the driver vouches that the device no longer
 *    uses the buffers.
 *  - A queue created with a void callback (struct virtqueue_info.callback)
 *    has it called whenever used buffers wait: see vring_interrupt().
 */
#include <linux/module.h>
#include "virtio_ring_internal.h"

static bool vring_stopped(const struct vring_virtqueue *vvq)
{
	return unlikely(READ_ONCE(vvq->broken) || vvq->shut_down);
}

static int vring_add_lists(struct virtqueue *vq, struct scatterlist *lists[],
			   unsigned int out_num, unsigned int in_num,
			   void *data, void *ctx, gfp_t gfp)
{
	struct vring_virtqueue *vvq = to_vvq(vq);
	struct vring_sg_iter it = { .sg = lists[0], .lists = lists };

	return vvq->layout->add(vvq, it, out_num, in_num, data, ctx, gfp);
}

/**
 * virtqueue_add_sgs - expose a buffer made of several scatterlists
 * @vq: the queue
 * @sgs: @out_sgs device-readable lists, then @in_sgs device-writable
 *	ones, each ending at sg_is_last()
 * @out_sgs: how many readable lists
 * @in_sgs: how many writable lists
 * @data: the token get_buf hands back (not NULL)
 * @gfp: how to allocate an indirect table
 *
 * The caller serializes operations on the queue.  Kick to tell the device.
 *
 * Return: 0, -ENOSPC when the ring is full, -ENOMEM when the buffer cannot
 * be mapped, -EIO when the queue is broken.
 */
int virtqueue_add_sgs(struct virtqueue *vq, struct scatterlist *sgs[],
		      unsigned int out_sgs, unsigned int in_sgs, void *data,
		      gfp_t gfp)
{
	unsigned int i, n[2] = { 0, 0 };
	struct scatterlist *sg;

	for (i = 0; i < out_sgs + in_sgs; i++)
		for (sg = sgs[i]; sg; sg = sg_next(sg))
			n[i >= out_sgs]++;
	return vring_add_lists(vq, sgs, n[0], n[1], data, NULL, gfp);
}
EXPORT_SYMBOL_GPL(virtqueue_add_sgs);

/**
 * virtqueue_add_outbuf - expose a device-readable buffer
 * @vq: the queue
 * @sg: a scatterlist of at least @num entries
 * @num: how many of them
 * @data: the token get_buf hands back (not NULL)
 * @gfp: how to allocate an indirect table
 *
 * Return: as virtqueue_add_sgs().
 */
int virtqueue_add_outbuf(struct virtqueue *vq, struct scatterlist *sg,
			 unsigned int num, void *data, gfp_t gfp)
{
	return vring_add_lists(vq, &sg, num, 0, data, NULL, gfp);
}
EXPORT_SYMBOL_GPL(virtqueue_add_outbuf);

/**
 * virtqueue_add_inbuf - expose a device-writable buffer
 * @vq: the queue
 * @sg: a scatterlist of at least @num entries
 * @num: how many of them
 * @data: the token get_buf hands back (not NULL)
 * @gfp: how to allocate an indirect table
 *
 * Return: as virtqueue_add_sgs().
 */
int virtqueue_add_inbuf(struct virtqueue *vq, struct scatterlist *sg,
			unsigned int num, void *data, gfp_t gfp)
{
	return vring_add_lists(vq, &sg, 0, num, data, NULL, gfp);
}
EXPORT_SYMBOL_GPL(virtqueue_add_inbuf);

/**
 * virtqueue_add_inbuf_ctx - expose a device-writable buffer with a context
 * @vq: the queue
 * @sg: a scatterlist of at least @num entries
 * @num: how many of them
 * @data: the token get_buf hands back (not NULL)
 * @ctx: handed back by virtqueue_get_buf_ctx() with @data
 * @gfp: how to allocate an indirect table
 *
 * Return: as virtqueue_add_sgs().
 */
int virtqueue_add_inbuf_ctx(struct virtqueue *vq, struct scatterlist *sg,
			    unsigned int num, void *data, void *ctx, gfp_t gfp)
{
	return vring_add_lists(vq, &sg, 0, num, data, ctx, gfp);
}
EXPORT_SYMBOL_GPL(virtqueue_add_inbuf_ctx);

/**
 * virtqueue_kick_prepare - publish added buffers; does the device want to know?
 * @vq: the queue
 *
 * Under the driver's lock; virtqueue_notify() may then run outside it.
 *
 * Return: true when virtqueue_notify() must be called.
 */
bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	return vvq->layout->kick_prepare(vvq);
}
EXPORT_SYMBOL_GPL(virtqueue_kick_prepare);

/**
 * virtqueue_notify - notify the device after virtqueue_kick_prepare()
 * @vq: the queue
 *
 * Return: false when the queue is broken or the notification failed
 * (which breaks it).
 */
bool virtqueue_notify(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	if (unlikely(READ_ONCE(vvq->broken)))
		return false;
	vring_notify(vvq);
	return !READ_ONCE(vvq->broken);
}
EXPORT_SYMBOL_GPL(virtqueue_notify);

/**
 * virtqueue_kick - publish added buffers and notify the device if it asks
 * @vq: the queue
 *
 * The seed's vq_ops->kick, returning whether the queue still works.
 *
 * Return: false when the queue is broken.
 */
bool virtqueue_kick(struct virtqueue *vq)
{
	if (virtqueue_kick_prepare(vq))
		return virtqueue_notify(vq);
	return !virtqueue_is_broken(vq);
}
EXPORT_SYMBOL_GPL(virtqueue_kick);

/**
 * virtqueue_get_buf_ctx - take back a used buffer and its context
 * @vq: the queue
 * @len: set to the bytes the device wrote (never more than it could hold)
 * @ctx: set to the context of virtqueue_add_inbuf_ctx(), NULL otherwise
 *
 * Return: the buffer's token, or NULL when none is used (or the queue is
 * broken).
 */
void *virtqueue_get_buf_ctx(struct virtqueue *vq, unsigned int *len,
			    void **ctx)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	return vvq->layout->get(vvq, len, ctx);
}
EXPORT_SYMBOL_GPL(virtqueue_get_buf_ctx);

/**
 * virtqueue_get_buf - take back a used buffer
 * @vq: the queue
 * @len: set to the bytes the device wrote (never more than it could hold)
 *
 * The seed's vq_ops->get_buf.
 *
 * Return: the buffer's token, or NULL.
 */
void *virtqueue_get_buf(struct virtqueue *vq, unsigned int *len)
{
	return virtqueue_get_buf_ctx(vq, len, NULL);
}
EXPORT_SYMBOL_GPL(virtqueue_get_buf);

/**
 * virtqueue_disable_cb - ask the device not to signal used buffers
 * @vq: the queue
 *
 * Only a hint: the device may still signal, and a void callback then runs.
 */
void virtqueue_disable_cb(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	WRITE_ONCE(vvq->cb_enabled, false);
	vvq->layout->disable_cb(vvq);
}
EXPORT_SYMBOL_GPL(virtqueue_disable_cb);

/**
 * virtqueue_enable_cb_prepare - turn callbacks on, to poll later
 * @vq: the queue
 *
 * Return: an opaque position for virtqueue_poll(), which tells whether
 * buffers were used since.
 */
unsigned int virtqueue_enable_cb_prepare(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	return vvq->layout->enable_cb_prepare(vvq, false);
}
EXPORT_SYMBOL_GPL(virtqueue_enable_cb_prepare);

/**
 * virtqueue_poll - were buffers used since virtqueue_enable_cb_prepare()?
 * @vq: the queue
 * @last: what virtqueue_enable_cb_prepare() returned
 *
 * Return: true when used buffers wait; false when none do or the queue is
 * broken (none ever will).
 */
bool virtqueue_poll(struct virtqueue *vq, unsigned int last)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	if (vring_stopped(vvq))
		return false;
	return vvq->layout->poll(vvq, last);
}
EXPORT_SYMBOL_GPL(virtqueue_poll);

/**
 * virtqueue_enable_cb - turn callbacks on, and check for used buffers
 * @vq: the queue
 *
 * Unlike the seed's restart, callbacks stay on even when it returns false.
 *
 * Return: false when used buffers already wait: the caller takes them
 * (and usually calls this again), since the device may not signal them.
 */
bool virtqueue_enable_cb(struct virtqueue *vq)
{
	return !virtqueue_poll(vq, virtqueue_enable_cb_prepare(vq));
}
EXPORT_SYMBOL_GPL(virtqueue_enable_cb);

/**
 * virtqueue_enable_cb_delayed - turn callbacks on, for most outstanding buffers
 * @vq: the queue
 *
 * With VIRTIO_RING_F_EVENT_IDX the device is asked to signal once three
 * quarters of the outstanding buffers are used; otherwise as
 * virtqueue_enable_cb().
 *
 * Return: false when used buffers already wait.
 */
bool virtqueue_enable_cb_delayed(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	return !virtqueue_poll(vq, vvq->layout->enable_cb_prepare(vvq, true));
}
EXPORT_SYMBOL_GPL(virtqueue_enable_cb_delayed);

/**
 * virtqueue_detach_unused_buf - take back a buffer the device did not use
 * @vq: the queue, whose device has been reset (or, by a device-specific
 *	rule, no longer uses these buffers)
 *
 * Unlike the seed's detach_unused_buf, no shutdown is needed first.  With
 * virtqueue_get_buf() this returns every token exactly once.
 *
 * Return: a token, or NULL when no buffer is left.
 */
void *virtqueue_detach_unused_buf(struct virtqueue *vq)
{
	return vring_detach_one(to_vvq(vq));
}
EXPORT_SYMBOL_GPL(virtqueue_detach_unused_buf);

/**
 * virtqueue_dma_dev - the device that maps this queue's buffers
 * @vq: the queue
 *
 * Return: the DMA device when buffers go through the DMA API
 * (VIRTIO_F_ACCESS_PLATFORM), NULL when the device gets physical addresses.
 */
struct device *virtqueue_dma_dev(struct virtqueue *vq)
{
	struct vring_virtqueue *vvq = to_vvq(vq);

	return vvq->dma_api ? vvq->dma_dev : NULL;
}
EXPORT_SYMBOL_GPL(virtqueue_dma_dev);
