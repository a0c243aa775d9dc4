// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the Linux 6.12 virtqueue API (virtqueue_api.c) where its
 * semantics differ from the seed's struct virtqueue_ops, on both ring
 * layouts: every case runs on a split ring and on a packed one.
 *
 * A case gets a mock device with two queues of VQA_QUEUE_SIZE entries:
 * queue 0 created with an upstream void callback, queue 1 with a seed
 * callback.  The test is the driver, through the upstream calls, and
 * plays the device through the mock's ring helpers.  Teardown is the
 * upstream driver's: reset, detach every unused buffer, delete the queues.
 */
#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mock.h>
#include <linux/virtio_ring.h>

#define VQA_DEVICE_ID	0xfffe	/* claimed by no driver */
#define VQA_QUEUE_SIZE	8
#define VQA_NBUFS	8
#define VQA_BUF_LEN	64

struct vqa_ctx {
	struct virtio_mock_device *m;
	struct virtio_device *vdev;
	struct virtqueue *vq[2];	/* [0]: void callback; [1]: seed's */
	void *buf[VQA_NBUFS];
	unsigned int void_calls, seed_calls;
	bool seed_ret;			/* what the seed callback returns */
	struct virtio_mock_buf mb;	/* off the stack KASAN inflates */
	struct scatterlist sg[4];
};

struct vqa_layout {
	const char *name;
	u64 features;
};

static const struct vqa_layout vqa_layouts[] = {
	{ .name = "split", .features = 0 },
	{ .name = "split-event-idx",
	  .features = BIT_ULL(VIRTIO_RING_F_EVENT_IDX) },
	{ .name = "packed", .features = BIT_ULL(VIRTIO_F_RING_PACKED) },
	{ .name = "packed-event-idx",
	  .features = BIT_ULL(VIRTIO_F_RING_PACKED) |
		      BIT_ULL(VIRTIO_RING_F_EVENT_IDX) },
};

KUNIT_ARRAY_PARAM_DESC(vqa_layout, vqa_layouts, name);

static void vqa_void_callback(struct virtqueue *vq)
{
	struct vqa_ctx *ctx = vq->vdev->priv;

	ctx->void_calls++;
}

static bool vqa_seed_callback(struct virtqueue *vq)
{
	struct vqa_ctx *ctx = vq->vdev->priv;

	ctx->seed_calls++;
	return ctx->seed_ret;
}

static void vqa_destroy(void *m)
{
	virtio_mock_destroy(m);
}

static void vqa_teardown(void *data)
{
	struct vqa_ctx *ctx = data;
	unsigned int i;

	virtio_reset_device(ctx->vdev);
	for (i = 0; i < ARRAY_SIZE(ctx->vq); i++)
		while (virtqueue_detach_unused_buf(ctx->vq[i]))
			;
	ctx->vdev->config->del_vqs(ctx->vdev);
}

static int vqa_init(struct kunit *test)
{
	const struct vqa_layout *layout = test->param_value;
	struct virtio_mock_params p = {
		.device_id = VQA_DEVICE_ID,
		.features = layout->features | BIT_ULL(VIRTIO_F_VERSION_1),
		.num_queues = 2,
		.queue_size = VQA_QUEUE_SIZE,
	};
	struct virtqueue_info info[] = {
		{ .name = "upstream", .callback = vqa_void_callback },
		{ .name = "seed", .seed_callback = vqa_seed_callback },
	};
	struct vqa_ctx *ctx;
	unsigned int i;
	int err;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	ctx->seed_ret = true;
	/* Before the device, so that they are freed after it. */
	for (i = 0; i < VQA_NBUFS; i++) {
		ctx->buf[i] = kunit_kzalloc(test, max(VQA_BUF_LEN, L1_CACHE_BYTES),
					    GFP_KERNEL);
		if (!ctx->buf[i])
			return -ENOMEM;
	}

	ctx->m = virtio_mock_create(&p);
	if (IS_ERR(ctx->m))
		return PTR_ERR(ctx->m);
	err = kunit_add_action_or_reset(test, vqa_destroy, ctx->m);
	if (err)
		return err;
	ctx->vdev = virtio_mock_vdev(ctx->m);
	ctx->vdev->priv = ctx;
	err = virtio_mock_activate(ctx->m, p.features);
	if (err)
		return err;
	err = virtio_find_vqs(ctx->vdev, 2, ctx->vq, info, NULL);
	if (err)
		return err;
	return kunit_add_action_or_reset(test, vqa_teardown, ctx);
}

/* Offer buf[@i] as one device-writable segment on queue @q, and kick. */
static void vqa_post(struct kunit *test, struct vqa_ctx *ctx, unsigned int q,
		     unsigned int i)
{
	sg_init_one(ctx->sg, ctx->buf[i], VQA_BUF_LEN);
	KUNIT_ASSERT_EQ(test, virtqueue_add_inbuf(ctx->vq[q], ctx->sg, 1,
						  ctx->buf[i], GFP_KERNEL), 0);
	KUNIT_ASSERT_TRUE(test, virtqueue_kick(ctx->vq[q]));
}

/* Play the device: use the next available buffer of queue @q. */
static void vqa_use(struct kunit *test, struct vqa_ctx *ctx, unsigned int q)
{
	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, q, &ctx->mb), 0);
	virtio_mock_push_used(ctx->m, q, ctx->mb.head, VQA_BUF_LEN);
}

static void
virtqueue_api_test_enable_cb_returns_false_but_leaves_callbacks_on(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int len;

	vqa_post(test, ctx, 0, 0);
	vqa_post(test, ctx, 0, 1);
	virtqueue_disable_cb(vq);
	vqa_use(test, ctx, 0);
	virtio_mock_should_interrupt(ctx->m, 0);

	KUNIT_EXPECT_FALSE(test, virtqueue_enable_cb(vq));
	/*
	 * The driver takes what waits, and the device signals the next
	 * buffer: the seed's restart would have left callbacks off, and
	 * with the event index get_buf would not have moved it on.
	 */
	KUNIT_ASSERT_PTR_EQ(test, virtqueue_get_buf(vq, &len), ctx->buf[0]);
	vqa_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
}

static void
virtqueue_api_test_enable_cb_returns_true_when_nothing_waits(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int len;

	vqa_post(test, ctx, 0, 0);
	vqa_use(test, ctx, 0);
	KUNIT_ASSERT_PTR_EQ(test, virtqueue_get_buf(vq, &len), ctx->buf[0]);
	virtqueue_disable_cb(vq);
	KUNIT_EXPECT_TRUE(test, virtqueue_enable_cb(vq));
}

static void
virtqueue_api_test_disable_cb_silences_the_device(struct kunit *test)
{
	const struct vqa_layout *layout = test->param_value;
	struct vqa_ctx *ctx = test->priv;

	vqa_post(test, ctx, 0, 0);
	vqa_post(test, ctx, 0, 1);
	virtqueue_disable_cb(ctx->vq[0]);
	vqa_use(test, ctx, 0);
	/*
	 * With the event index the driver stays quiet by leaving the event
	 * where it is; the first buffer used meets it.  Only after that one
	 * does disable_cb show.
	 */
	if (layout->features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX)) {
		virtio_mock_should_interrupt(ctx->m, 0);
		vqa_use(test, ctx, 0);
	}
	KUNIT_EXPECT_FALSE(test, virtio_mock_should_interrupt(ctx->m, 0));
}

static void
virtqueue_api_test_enable_cb_delayed_waits_for_most_buffers(struct kunit *test)
{
	const struct vqa_layout *layout = test->param_value;
	bool event = layout->features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int i;

	for (i = 0; i < 4; i++)
		vqa_post(test, ctx, 0, i);
	virtqueue_disable_cb(vq);
	KUNIT_ASSERT_TRUE(test, virtqueue_enable_cb_delayed(vq));

	/*
	 * The event sits three quarters into the 4 outstanding buffers:
	 * the device signals once it is past it, with the fourth.  Without
	 * the event index every buffer is signalled.
	 */
	for (i = 0; i < 3; i++) {
		vqa_use(test, ctx, 0);
		KUNIT_EXPECT_EQ(test, virtio_mock_should_interrupt(ctx->m, 0),
				!event);
	}
	vqa_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
}

static void
virtqueue_api_test_poll_sees_a_buffer_used_after_prepare(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int last;

	vqa_post(test, ctx, 0, 0);
	last = virtqueue_enable_cb_prepare(vq);
	KUNIT_EXPECT_FALSE(test, virtqueue_poll(vq, last));
	vqa_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtqueue_poll(vq, last));
}

static void
virtqueue_api_test_kick_prepare_then_notify_tells_the_device_once(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int before = virtio_mock_notifications(ctx->m, 0);

	sg_init_one(ctx->sg, ctx->buf[0], VQA_BUF_LEN);
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(vq, ctx->sg, 1, ctx->buf[0],
						   GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, virtqueue_kick_prepare(vq));
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), before);
	KUNIT_EXPECT_TRUE(test, virtqueue_notify(vq));
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), before + 1);
	/* Published by kick_prepare: the device sees the buffer. */
	KUNIT_EXPECT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &ctx->mb), 0);
	/* Nothing new since: no notification wanted. */
	KUNIT_EXPECT_FALSE(test, virtqueue_kick_prepare(vq));
}

static void
virtqueue_api_test_add_sgs_walks_every_list_in_order(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtio_mock_buf *mb = &ctx->mb;
	struct scatterlist *out = &ctx->sg[0], *in = &ctx->sg[2];
	struct scatterlist *sgs[] = { out, in };

	sg_init_table(out, 2);
	sg_set_buf(&out[0], ctx->buf[0], 16);
	sg_set_buf(&out[1], ctx->buf[1], 24);
	sg_init_one(in, ctx->buf[2], VQA_BUF_LEN);
	KUNIT_ASSERT_EQ(test, virtqueue_add_sgs(ctx->vq[0], sgs, 1, 1,
						ctx->buf[0], GFP_KERNEL), 0);
	virtqueue_kick(ctx->vq[0]);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_ASSERT_EQ(test, mb->num, 3U);
	KUNIT_EXPECT_PTR_EQ(test, mb->seg[0].addr, ctx->buf[0]);
	KUNIT_EXPECT_PTR_EQ(test, mb->seg[1].addr, ctx->buf[1]);
	KUNIT_EXPECT_PTR_EQ(test, mb->seg[2].addr, ctx->buf[2]);
	KUNIT_EXPECT_FALSE(test, mb->seg[1].write);
	KUNIT_EXPECT_TRUE(test, mb->seg[2].write);
	KUNIT_EXPECT_EQ(test, mb->out_len, 40U);
	KUNIT_EXPECT_EQ(test, mb->in_len, (u32)VQA_BUF_LEN);
}

static void
virtqueue_api_test_num_free_follows_add_get_and_detach(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int len;

	KUNIT_EXPECT_EQ(test, vq->num_free, VQA_QUEUE_SIZE);
	sg_init_table(ctx->sg, 2);
	sg_set_buf(&ctx->sg[0], ctx->buf[0], VQA_BUF_LEN);
	sg_set_buf(&ctx->sg[1], ctx->buf[1], VQA_BUF_LEN);
	KUNIT_ASSERT_EQ(test, virtqueue_add_inbuf(vq, ctx->sg, 2, ctx->buf[0],
						  GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vq->num_free, VQA_QUEUE_SIZE - 2);
	vqa_post(test, ctx, 0, 2);
	KUNIT_EXPECT_EQ(test, vq->num_free, VQA_QUEUE_SIZE - 3);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(vq), vq->num_free);

	vqa_use(test, ctx, 0);
	KUNIT_ASSERT_PTR_EQ(test, virtqueue_get_buf(vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, vq->num_free, VQA_QUEUE_SIZE - 1);

	virtio_reset_device(ctx->vdev);
	KUNIT_EXPECT_PTR_EQ(test, virtqueue_detach_unused_buf(vq), ctx->buf[2]);
	KUNIT_EXPECT_EQ(test, vq->num_free, VQA_QUEUE_SIZE);
}

static void
virtqueue_api_test_detach_after_reset_needs_no_shutdown(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	unsigned int i, len, seen = 0;
	void *token;

	for (i = 0; i < 3; i++)
		vqa_post(test, ctx, 0, i);
	vqa_use(test, ctx, 0);
	KUNIT_ASSERT_PTR_EQ(test, virtqueue_get_buf(vq, &len), ctx->buf[0]);

	virtio_reset_device(ctx->vdev);
	while ((token = virtqueue_detach_unused_buf(vq))) {
		unsigned int bit = BIT(token == ctx->buf[2]);

		KUNIT_EXPECT_TRUE(test, token == ctx->buf[1] || bit == 2);
		KUNIT_EXPECT_FALSE(test, seen & bit);
		seen |= bit;
	}
	KUNIT_EXPECT_EQ(test, seen, 3U);
}

static void
virtqueue_api_test_get_buf_ctx_hands_back_the_context(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	struct virtqueue *vq = ctx->vq[0];
	void *back = NULL;
	unsigned int len;
	int marker;

	sg_init_one(ctx->sg, ctx->buf[0], VQA_BUF_LEN);
	KUNIT_ASSERT_EQ(test, virtqueue_add_inbuf_ctx(vq, ctx->sg, 1,
						      ctx->buf[0], &marker,
						      GFP_KERNEL), 0);
	virtqueue_kick(vq);
	vqa_use(test, ctx, 0);
	KUNIT_EXPECT_PTR_EQ(test, virtqueue_get_buf_ctx(vq, &len, &back),
			    ctx->buf[0]);
	KUNIT_EXPECT_PTR_EQ(test, back, (void *)&marker);
	KUNIT_EXPECT_EQ(test, len, (unsigned int)VQA_BUF_LEN);
}

static void
virtqueue_api_test_void_and_seed_callbacks_share_a_device(struct kunit *test)
{
	struct vqa_ctx *ctx = test->priv;
	unsigned int len;

	ctx->seed_ret = false;
	vqa_post(test, ctx, 0, 0);
	vqa_post(test, ctx, 1, 1);
	vqa_use(test, ctx, 0);
	vqa_use(test, ctx, 1);
	KUNIT_EXPECT_EQ(test, virtio_mock_interrupt(ctx->m, 0), (int)IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, virtio_mock_interrupt(ctx->m, 1), (int)IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, ctx->void_calls, 1U);
	KUNIT_EXPECT_EQ(test, ctx->seed_calls, 1U);

	/* The void callback runs whenever buffers wait, even disabled... */
	virtqueue_disable_cb(ctx->vq[0]);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_EXPECT_EQ(test, ctx->void_calls, 2U);
	/* ...the seed's not, once it returned false, until restart. */
	virtio_mock_interrupt(ctx->m, 1);
	KUNIT_EXPECT_EQ(test, ctx->seed_calls, 1U);
	KUNIT_ASSERT_PTR_EQ(test, virtqueue_get_buf(ctx->vq[1], &len),
			    ctx->buf[1]);
	KUNIT_EXPECT_TRUE(test, ctx->vq[1]->vq_ops->restart(ctx->vq[1]));
	vqa_post(test, ctx, 1, 2);
	vqa_use(test, ctx, 1);
	virtio_mock_interrupt(ctx->m, 1);
	KUNIT_EXPECT_EQ(test, ctx->seed_calls, 2U);
}

static struct kunit_case virtqueue_api_test_cases[] = {
	KUNIT_CASE_PARAM(virtqueue_api_test_enable_cb_returns_false_but_leaves_callbacks_on,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_enable_cb_returns_true_when_nothing_waits,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_disable_cb_silences_the_device,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_enable_cb_delayed_waits_for_most_buffers,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_poll_sees_a_buffer_used_after_prepare,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_kick_prepare_then_notify_tells_the_device_once,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_add_sgs_walks_every_list_in_order,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_num_free_follows_add_get_and_detach,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_detach_after_reset_needs_no_shutdown,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_get_buf_ctx_hands_back_the_context,
			 vqa_layout_gen_params),
	KUNIT_CASE_PARAM(virtqueue_api_test_void_and_seed_callbacks_share_a_device,
			 vqa_layout_gen_params),
	{}
};

static struct kunit_suite virtqueue_api_test_suite = {
	.name = "virtqueue_api",
	.init = vqa_init,
	.test_cases = virtqueue_api_test_cases,
};

/*
 * find_vqs' numbering, on a driverless mock device of three queues: a
 * NULL name takes no device index unless it asks to keep it.
 */
static void vqa_find_three(struct kunit *test, bool keep_index,
			   unsigned int *index)
{
	struct virtio_mock_params p = {
		.device_id = VQA_DEVICE_ID,
		.features = BIT_ULL(VIRTIO_F_VERSION_1),
		.num_queues = 3,
		.queue_size = VQA_QUEUE_SIZE,
	};
	struct virtqueue_info info[] = {
		{ .name = "a" },
		{ .keep_index = keep_index },
		{ .name = "b" },
	};
	struct virtio_mock_device *m;
	struct virtqueue *vqs[3];
	struct virtio_device *vdev;

	m = virtio_mock_create(&p);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vqa_destroy, m), 0);
	vdev = virtio_mock_vdev(m);
	KUNIT_ASSERT_EQ(test, virtio_mock_activate(m, p.features), 0);
	KUNIT_ASSERT_EQ(test, virtio_find_vqs(vdev, 3, vqs, info, NULL), 0);
	KUNIT_EXPECT_NULL(test, vqs[1]);
	*index = vqs[2]->index;
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
}

static void
virtqueue_api_test_a_null_name_takes_no_queue_index(struct kunit *test)
{
	unsigned int index;

	vqa_find_three(test, false, &index);
	KUNIT_EXPECT_EQ(test, index, 1U);
}

static void
virtqueue_api_test_keep_index_keeps_the_next_queue_in_place(struct kunit *test)
{
	unsigned int index;

	vqa_find_three(test, true, &index);
	KUNIT_EXPECT_EQ(test, index, 2U);
}

static struct kunit_case virtqueue_api_index_test_cases[] = {
	KUNIT_CASE(virtqueue_api_test_a_null_name_takes_no_queue_index),
	KUNIT_CASE(virtqueue_api_test_keep_index_keeps_the_next_queue_in_place),
	{}
};

static struct kunit_suite virtqueue_api_index_test_suite = {
	.name = "virtqueue_api_index",
	.test_cases = virtqueue_api_index_test_cases,
};

kunit_test_suites(&virtqueue_api_test_suite, &virtqueue_api_index_test_suite);

MODULE_DESCRIPTION("KUnit tests for the Linux 6.12 virtqueue API on our rings");
MODULE_LICENSE("GPL");
