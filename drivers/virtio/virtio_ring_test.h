/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the virtqueue KUnit suites share: virtio_ring_test.c (the split
 * ring and its event index), virtio_ring_packed_test.c (the packed ring)
 * and virtio_ring_indirect_test.c (indirect descriptors on both).
 *
 * A case gets one real ring on a driverless mock device, of the size and
 * with the features it asks for.  The test is the driver, through struct
 * virtqueue_ops, and plays the device through the mock's ring helpers.
 * KUnit actions take the ring, the device and the buffers down in that
 * order, so a failed assertion never leaks one into the next case.
 *
 * Buffers hold VRT_BUF_LEN bytes, each kmalloc'ed on a cache line of its
 * own (128 bytes on ppc64), so that no two buffers the device may write
 * share one: dma-debug reports overlapping DMA_FROM_DEVICE mappings.  A
 * buffer is also the token of the request it starts.
 */
#ifndef _DRIVERS_VIRTIO_RING_TEST_H
#define _DRIVERS_VIRTIO_RING_TEST_H

#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/interrupt.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mock.h>
#include <linux/virtio_ring.h>

#define VRT_DEVICE_ID	0xfffe	/* claimed by no driver */
#define VRT_MAX_QUEUE	8	/* the largest ring a case asks for */
#define VRT_NBUFS	(2 * VRT_MAX_QUEUE + 2)
#define VRT_BUF_LEN	64

#define VRT_PACKED	BIT_ULL(VIRTIO_F_RING_PACKED)
#define VRT_EVENT_IDX	BIT_ULL(VIRTIO_RING_F_EVENT_IDX)
#define VRT_INDIRECT	BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)

struct vrt_ctx {
	struct virtio_mock_device *m;
	struct virtio_device *vdev;
	struct virtqueue *vq;
	const struct virtqueue_ops *ops;
	unsigned int num;	/* the ring's size */
	void *buf[VRT_NBUFS];
	bool cb_ret;		/* what the queue callback returns */
	bool (*cb_fn)(struct vrt_ctx *ctx);	/* if set, called instead */
	unsigned int cb_calls;
	u16 meanwhile;		/* for vrt_take_one_and_use_another() */
	/*
	 * Scratch space for helpers and cases, off the stack that KASAN
	 * inflates; vrt_pop() and vrt_add_chain() overwrite it.
	 */
	struct virtio_mock_buf mb;
	struct scatterlist sg[VRT_MAX_QUEUE];
};

static inline bool vrt_callback(struct virtqueue *vq)
{
	struct vrt_ctx *ctx = vq->vdev->priv;

	ctx->cb_calls++;
	return ctx->cb_fn ? ctx->cb_fn(ctx) : ctx->cb_ret;
}

static inline void vrt_destroy(void *m)
{
	virtio_mock_destroy(m);
}

/* What a driver's remove does: reset, shut down, take every buffer back. */
static inline void vrt_teardown(void *data)
{
	struct vrt_ctx *ctx = data;
	void *token;

	virtio_reset_device(ctx->vdev);
	ctx->ops->shutdown(ctx->vq);
	do {
		token = ctx->ops->detach_unused_buf(ctx->vq);
	} while (token);
	ctx->vdev->config->del_vqs(ctx->vdev);
}

/*
 * Set up a case: a mock device offering and negotiating VERSION_1 and
 * @features, with one ring of @num entries, in test->priv.  Usable as a
 * suite's init.
 */
static inline int vrt_start(struct kunit *test, u64 features, unsigned int num)
{
	struct virtio_mock_params p = {
		.device_id = VRT_DEVICE_ID,
		.features = features | BIT_ULL(VIRTIO_F_VERSION_1),
		.num_queues = 1,
		.queue_size = num,
	};
	struct virtqueue_info info = {
		.name = "vrt", .seed_callback = vrt_callback,
	};
	struct vrt_ctx *ctx;
	unsigned int i;
	int err;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	ctx->num = num;
	ctx->cb_ret = true;

	/* Allocated first so they are freed last, after the ring is gone. */
	for (i = 0; i < VRT_NBUFS; i++) {
		/* kmalloc's power-of-two sizes are aligned to their size. */
		ctx->buf[i] = kunit_kzalloc(test, max(VRT_BUF_LEN, L1_CACHE_BYTES),
					    GFP_KERNEL);
		if (!ctx->buf[i])
			return -ENOMEM;
	}

	ctx->m = virtio_mock_create(&p);
	if (IS_ERR(ctx->m))
		return PTR_ERR(ctx->m);
	err = kunit_add_action_or_reset(test, vrt_destroy, ctx->m);
	if (err)
		return err;
	ctx->vdev = virtio_mock_vdev(ctx->m);
	ctx->vdev->priv = ctx;

	err = virtio_mock_activate(ctx->m, p.features);
	if (err)
		return err;
	err = virtio_find_vqs(ctx->vdev, 1, &ctx->vq, &info, NULL);
	if (err)
		return err;
	ctx->ops = ctx->vq->vq_ops;
	return kunit_add_action_or_reset(test, vrt_teardown, ctx);
}

/* vrt_start() for a case that chooses its own ring. */
static inline struct vrt_ctx *vrt_new(struct kunit *test, u64 features,
				      unsigned int num)
{
	KUNIT_ASSERT_LE(test, num, VRT_MAX_QUEUE);
	KUNIT_ASSERT_EQ(test, vrt_start(test, features, num), 0);
	return test->priv;
}

/* Offer @buf as a single device-writable segment, with itself as token. */
static inline int vrt_add_in(struct vrt_ctx *ctx, void *buf)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, VRT_BUF_LEN);
	return ctx->ops->add_buf(ctx->vq, &sg, 0, 1, buf);
}

/*
 * Offer one buffer of @out device-readable then @in device-writable
 * segments: buf[@first] onwards, whole, with buf[@first] as token.
 */
static inline int vrt_add_chain(struct vrt_ctx *ctx, unsigned int first,
				unsigned int out, unsigned int in)
{
	struct scatterlist *sg = ctx->sg;
	unsigned int i;

	if (WARN_ON(out + in > ARRAY_SIZE(ctx->sg) ||
		    first + out + in > VRT_NBUFS))
		return -EINVAL;
	sg_init_table(sg, out + in);
	for (i = 0; i < out + in; i++)
		sg_set_buf(&sg[i], ctx->buf[first + i], VRT_BUF_LEN);
	return ctx->ops->add_buf(ctx->vq, sg, out, in, ctx->buf[first]);
}

/* Offer @buf and kick: the device can see it. */
static inline void vrt_post(struct kunit *test, struct vrt_ctx *ctx, void *buf)
{
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, buf), 0);
	ctx->ops->kick(ctx->vq);
}

/* Play the device: take the next available buffer; return its id. */
static inline u16 vrt_pop(struct kunit *test, struct vrt_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &ctx->mb), 0);
	return ctx->mb.head;
}

/* Play the device: take the next available buffer and return it used. */
static inline void vrt_use(struct kunit *test, struct vrt_ctx *ctx, u32 len)
{
	virtio_mock_push_used(ctx->m, 0, vrt_pop(test, ctx), len);
}

/* One buffer all the way round: post, use, and take it back. */
static inline void vrt_cycle(struct kunit *test, struct vrt_ctx *ctx,
			     void *buf)
{
	unsigned int len = 0;

	vrt_post(test, ctx, buf);
	vrt_use(test, ctx, VRT_BUF_LEN / 2);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), buf);
	KUNIT_ASSERT_EQ(test, len, VRT_BUF_LEN / 2U);
}

/*
 * A queue callback that takes one used buffer and, on its first call,
 * plays the device using buffer ctx->meanwhile, as if it came in while the
 * callback ran.  Returns true: it consumed what it took.
 */
static inline bool vrt_take_one_and_use_another(struct vrt_ctx *ctx)
{
	unsigned int len;

	/* The case finds out if it took nothing: the buffer stays behind. */
	ctx->ops->get_buf(ctx->vq, &len);
	if (ctx->cb_calls == 1)
		virtio_mock_push_used(ctx->m, 0, ctx->meanwhile, 0);
	return true;
}

/*
 * A callback that took buffers and returns true is called again for one
 * the device used while it ran: the interrupt looks at the ring again
 * after re-arming callbacks, which a device that had passed the event
 * would never interrupt for.
 */
static inline void vrt_check_callback_runs_again(struct kunit *test,
						 struct vrt_ctx *ctx)
{
	unsigned int len;
	u16 first;

	ctx->cb_fn = vrt_take_one_and_use_another;
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_post(test, ctx, ctx->buf[1]);
	first = vrt_pop(test, ctx);
	ctx->meanwhile = vrt_pop(test, ctx);
	virtio_mock_push_used(ctx->m, 0, first, 0);

	KUNIT_EXPECT_EQ(test, virtio_mock_interrupt(ctx->m, 0),
			(int)IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 2U);
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
}

static inline int vrt_buf_index(struct vrt_ctx *ctx, const void *token)
{
	int i;

	for (i = 0; i < VRT_NBUFS; i++)
		if (ctx->buf[i] == token)
			return i;
	return -1;
}

/*
 * Reset the device and shut the queue down, then take back what is left
 * with detach_unused_buf, marking each token in @seen (VRT_NBUFS entries);
 * a token twice or a stranger fails the case.  Returns how many came back.
 */
static inline unsigned int vrt_detach_all(struct kunit *test,
					  struct vrt_ctx *ctx, bool *seen)
{
	unsigned int n;
	void *token;
	int idx;

	virtio_reset_device(ctx->vdev);
	ctx->ops->shutdown(ctx->vq);
	for (n = 0; n <= ctx->num; n++) {
		token = ctx->ops->detach_unused_buf(ctx->vq);
		if (!token)
			break;
		idx = vrt_buf_index(ctx, token);
		KUNIT_ASSERT_GE_MSG(test, idx, 0, "unexpected token %p", token);
		KUNIT_EXPECT_FALSE_MSG(test, seen[idx],
				       "buf[%d] came back twice", idx);
		seen[idx] = true;
	}
	return n;
}

#endif /* _DRIVERS_VIRTIO_RING_TEST_H */
