// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the split virtqueue (drivers/virtio/virtio_ring_split.c
 * and the layout-independent virtqueue.c).
 *
 * The "virtio_ring" suite gives every case a ring of VRT_QUEUE_SIZE entries
 * with no ring features: a well-behaved device for most cases, a hostile
 * one for the last few.  The "virtio_ring_event_idx" suite negotiates
 * VIRTIO_RING_F_EVENT_IDX and checks both sides of the event index
 * (§2.7.7, §2.7.10), including across the wrap of the 16-bit indexes.
 * The fixture and helpers are in virtio_ring_test.h.
 */
#include <linux/interrupt.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include "virtio_ring_test.h"

#define VRT_QUEUE_SIZE	4

/* Buffers in flight per round, and rounds to run the indexes past 65535. */
#define VRT_WRAP_BATCH	3
#define VRT_WRAP_ROUNDS	(65536 / VRT_WRAP_BATCH + 2 * VRT_QUEUE_SIZE)

static int vrt_init(struct kunit *test)
{
	return vrt_start(test, 0, VRT_QUEUE_SIZE);
}

/* Play a device that reports a used id no descriptor has. */
static void vrt_break_queue(struct kunit *test, struct vrt_ctx *ctx)
{
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);
	virtio_mock_write_used(ctx->m, 0, 0, VRT_QUEUE_SIZE, 0);
	virtio_mock_set_used_idx(ctx->m, 0, 1);
	KUNIT_ASSERT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_ASSERT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static bool vrt_no_interrupt(struct vrt_ctx *ctx)
{
	return virtio_mock_avail_flags(ctx->m, 0) & VRING_AVAIL_F_NO_INTERRUPT;
}

/* --- buffers ------------------------------------------------------------- */

/*
 * A driver's scatterlist may end exactly after out_num + in_num entries.
 * Nothing visible goes wrong when add_buf reads past it, so this case
 * relies on KASAN (which only reports the first bad access of a boot
 * unless kasan_multi_shot is given: keep it first).
 */
static void
virtio_ring_test_add_buf_reads_no_entry_past_the_sg_list(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct scatterlist *sg;

	sg = kunit_kzalloc(test, sizeof(*sg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sg);
	sg_init_one(sg, ctx->buf[0], VRT_BUF_LEN);

	KUNIT_EXPECT_EQ(test, ctx->ops->add_buf(ctx->vq, sg, 0, 1, ctx->buf[0]),
			0);
}

static void
virtio_ring_test_used_buffer_returns_token_and_length(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len = 0;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 40);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 40U);
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
}

static void virtio_ring_test_get_buf_follows_used_ids(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len = 0;
	u16 head0, head1;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_post(test, ctx, ctx->buf[1]);
	head0 = vrt_pop(test, ctx);
	head1 = vrt_pop(test, ctx);
	KUNIT_ASSERT_NE(test, head0, head1);

	/* The device finishes the second buffer first. */
	virtio_mock_push_used(ctx->m, 0, head1, 11);
	virtio_mock_push_used(ctx->m, 0, head0, 22);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[1]);
	KUNIT_EXPECT_EQ(test, len, 11U);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 22U);
}

static void
virtio_ring_test_device_sees_out_then_in_segments(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf mb;
	struct scatterlist sg[3];

	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], ctx->buf[0], 16);
	sg_set_buf(&sg[1], ctx->buf[1], 24);
	sg_set_buf(&sg[2], ctx->buf[2], VRT_BUF_LEN);
	KUNIT_ASSERT_EQ(test, ctx->ops->add_buf(ctx->vq, sg, 2, 1, ctx->buf[0]),
			0);
	ctx->ops->kick(ctx->vq);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &mb), 0);
	KUNIT_ASSERT_EQ(test, mb.num, 3U);
	KUNIT_EXPECT_PTR_EQ(test, mb.seg[0].addr, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, mb.seg[0].len, 16U);
	KUNIT_EXPECT_FALSE(test, mb.seg[0].write);
	KUNIT_EXPECT_PTR_EQ(test, mb.seg[1].addr, ctx->buf[1]);
	KUNIT_EXPECT_EQ(test, mb.seg[1].len, 24U);
	KUNIT_EXPECT_FALSE(test, mb.seg[1].write);
	KUNIT_EXPECT_PTR_EQ(test, mb.seg[2].addr, ctx->buf[2]);
	KUNIT_EXPECT_EQ(test, mb.seg[2].len, (u32)VRT_BUF_LEN);
	KUNIT_EXPECT_TRUE(test, mb.seg[2].write);
	KUNIT_EXPECT_EQ(test, mb.out_len, 40U);
	KUNIT_EXPECT_EQ(test, mb.in_len, (u32)VRT_BUF_LEN);
}

static void virtio_ring_test_buffer_is_invisible_until_kick(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf mb;

	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[0]), 0);
	KUNIT_EXPECT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &mb), -ENOENT);

	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &mb), 0);
}

/* --- notifications ------------------------------------------------------- */

static void virtio_ring_test_kick_notifies_once_per_batch(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 0U);

	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
	for (i = 0; i < 3; i++)
		vrt_pop(test, ctx);
}

static void
virtio_ring_test_kick_without_new_buffers_does_not_notify(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 0U);

	vrt_post(test, ctx, ctx->buf[0]);
	KUNIT_ASSERT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
}

static void
virtio_ring_test_kick_respects_device_no_notify(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf mb;

	virtio_mock_set_used_flags(ctx->m, 0, VRING_USED_F_NO_NOTIFY);
	vrt_post(test, ctx, ctx->buf[0]);

	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 0U);
	/* Not notified, but published all the same. */
	KUNIT_EXPECT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &mb), 0);
}

/* --- ring space ---------------------------------------------------------- */

static void virtio_ring_test_full_ring_refuses_with_enospc(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < VRT_QUEUE_SIZE; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);

	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[VRT_QUEUE_SIZE]),
			-ENOSPC);
}

static void
virtio_ring_test_chain_longer_than_free_space_is_refused(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct scatterlist sg[2];
	unsigned int i;

	for (i = 0; i < VRT_QUEUE_SIZE - 1; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);

	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], ctx->buf[VRT_QUEUE_SIZE], VRT_BUF_LEN);
	sg_set_buf(&sg[1], ctx->buf[VRT_QUEUE_SIZE + 1], VRT_BUF_LEN);
	KUNIT_EXPECT_EQ(test, ctx->ops->add_buf(ctx->vq, sg, 0, 2,
						ctx->buf[VRT_QUEUE_SIZE]),
			-ENOSPC);
}

static void virtio_ring_test_get_buf_frees_room_for_add_buf(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int i, len;

	for (i = 0; i < VRT_QUEUE_SIZE; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[VRT_QUEUE_SIZE]),
			-ENOSPC);

	vrt_use(test, ctx, 0);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);

	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[VRT_QUEUE_SIZE]), 0);
}

/* Drivers add buffers from interrupt handlers and under spinlocks. */
static void
virtio_ring_test_add_buf_works_with_irqs_off_under_a_lock(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	spinlock_t lock;	/* stands for a driver's queue lock */
	struct virtio_mock_buf mb;
	unsigned long flags;
	int err;

	spin_lock_init(&lock);
	spin_lock_irqsave(&lock, flags);
	err = vrt_add_in(ctx, ctx->buf[0]);
	if (!err)
		ctx->ops->kick(ctx->vq);
	spin_unlock_irqrestore(&lock, flags);

	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &mb), 0);
	KUNIT_EXPECT_PTR_EQ(test, mb.seg[0].addr, ctx->buf[0]);
}

/*
 * More than 65536 buffers through a ring of four: the free-running 16-bit
 * avail and used indexes wrap.  The device returns each batch in reverse,
 * so tokens must follow the used ids, not the order they were added in.
 */
static void virtio_ring_test_indexes_wrap_past_65535(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	u16 heads[VRT_WRAP_BATCH];
	unsigned int round, i, j, len;

	for (round = 0; round < VRT_WRAP_ROUNDS; round++) {
		for (i = 0; i < VRT_WRAP_BATCH; i++)
			KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
		ctx->ops->kick(ctx->vq);
		for (i = 0; i < VRT_WRAP_BATCH; i++)
			heads[i] = vrt_pop(test, ctx);
		for (i = 0; i < VRT_WRAP_BATCH; i++) {
			j = VRT_WRAP_BATCH - 1 - i;
			virtio_mock_push_used(ctx->m, 0, heads[j], j + 1);
		}
		for (i = 0; i < VRT_WRAP_BATCH; i++) {
			j = VRT_WRAP_BATCH - 1 - i;
			KUNIT_ASSERT_PTR_EQ_MSG(test,
						ctx->ops->get_buf(ctx->vq, &len),
						ctx->buf[j], "round %u", round);
			KUNIT_ASSERT_EQ_MSG(test, len, j + 1, "round %u",
					    round);
		}
		KUNIT_ASSERT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
		if (!(round % 1024))
			cond_resched();
	}
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_test_get_buf_without_used_returns_null(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);

	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

/* --- callbacks ----------------------------------------------------------- */

static void
virtio_ring_test_restart_succeeds_when_nothing_is_pending(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	/* Outstanding, but not used yet. */
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);

	KUNIT_EXPECT_TRUE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_FALSE(test, vrt_no_interrupt(ctx));
}

static void
virtio_ring_test_restart_fails_while_a_used_buffer_waits(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);

	KUNIT_EXPECT_FALSE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_TRUE(test, vrt_no_interrupt(ctx));
}

static void
virtio_ring_test_interrupt_calls_callback_that_returns_true(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_EQ(test, virtio_mock_interrupt(ctx->m, 0), (int)IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_ASSERT_NOT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));

	vrt_post(test, ctx, ctx->buf[1]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_EQ(test, virtio_mock_interrupt(ctx->m, 0), (int)IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 2U);
	KUNIT_EXPECT_FALSE(test, vrt_no_interrupt(ctx));
}

static void
virtio_ring_test_callback_runs_again_for_buffers_used_meanwhile(struct kunit *test)
{
	vrt_check_callback_runs_again(test, test->priv);
}

static void
virtio_ring_test_false_from_callback_suppresses_callbacks(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	ctx->cb_ret = false;
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_EXPECT_TRUE(test, vrt_no_interrupt(ctx));
	KUNIT_ASSERT_NOT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));

	vrt_post(test, ctx, ctx->buf[1]);
	vrt_use(test, ctx, 0);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 1U);
}

static void virtio_ring_test_restart_reenables_callbacks(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	ctx->cb_ret = false;
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_ASSERT_NOT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_FALSE(test, vrt_no_interrupt(ctx));
	vrt_post(test, ctx, ctx->buf[1]);
	vrt_use(test, ctx, 0);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 2U);
}

static void
virtio_ring_test_interrupt_with_nothing_used_is_not_handled(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);

	KUNIT_EXPECT_EQ(test, virtio_mock_interrupt(ctx->m, 0), (int)IRQ_NONE);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 0U);
}

/* --- shutdown ------------------------------------------------------------ */

static void
virtio_ring_test_detach_returns_each_outstanding_token_once(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	bool seen[VRT_NBUFS] = {};
	u16 heads[VRT_QUEUE_SIZE];
	unsigned int i, len;

	for (i = 0; i < VRT_QUEUE_SIZE; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	for (i = 0; i < VRT_QUEUE_SIZE; i++)
		heads[i] = vrt_pop(test, ctx);
	/* buf[0] is used and taken back; buf[1] is used but not taken. */
	virtio_mock_push_used(ctx->m, 0, heads[0], 0);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	virtio_mock_push_used(ctx->m, 0, heads[1], 0);

	KUNIT_EXPECT_EQ(test, vrt_detach_all(test, ctx, seen),
			VRT_QUEUE_SIZE - 1U);
	KUNIT_EXPECT_FALSE(test, seen[0]);
	for (i = 1; i < VRT_QUEUE_SIZE; i++)
		KUNIT_EXPECT_TRUE_MSG(test, seen[i], "buf[%u] never came back",
				      i);
	KUNIT_EXPECT_NULL(test, ctx->ops->detach_unused_buf(ctx->vq));
}

static void virtio_ring_test_add_buf_after_shutdown_fails(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	virtio_reset_device(ctx->vdev);
	ctx->ops->shutdown(ctx->vq);

	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[0]), -EIO);
}

/* --- a hostile device ---------------------------------------------------- */

static void
virtio_ring_test_used_id_out_of_range_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);
	/* Ids run 0..VRT_QUEUE_SIZE - 1. */
	virtio_mock_write_used(ctx->m, 0, 0, VRT_QUEUE_SIZE, 0);
	virtio_mock_set_used_idx(ctx->m, 0, 1);

	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_test_used_id_returned_twice_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;
	u16 head;

	/* buf[1] stays outstanding: the queue is not empty. */
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_post(test, ctx, ctx->buf[1]);
	head = vrt_pop(test, ctx);
	vrt_pop(test, ctx);
	virtio_mock_push_used(ctx->m, 0, head, 0);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);

	virtio_mock_push_used(ctx->m, 0, head, 0);
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_test_used_id_not_a_posted_head_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct scatterlist sg[2];
	unsigned int len;
	u16 head;

	/* One buffer of two descriptors: only its head is a valid id. */
	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], ctx->buf[0], VRT_BUF_LEN);
	sg_set_buf(&sg[1], ctx->buf[1], VRT_BUF_LEN);
	KUNIT_ASSERT_EQ(test, ctx->ops->add_buf(ctx->vq, sg, 0, 2, ctx->buf[0]),
			0);
	ctx->ops->kick(ctx->vq);
	head = vrt_pop(test, ctx);

	virtio_mock_push_used(ctx->m, 0, (head + 1) % VRT_QUEUE_SIZE, 0);
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_test_used_len_beyond_in_buffers_is_clamped(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct scatterlist sg[2];
	unsigned int len = 0;

	/* 16 bytes out, VRT_BUF_LEN in: the device may write VRT_BUF_LEN. */
	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], ctx->buf[0], 16);
	sg_set_buf(&sg[1], ctx->buf[1], VRT_BUF_LEN);
	KUNIT_ASSERT_EQ(test, ctx->ops->add_buf(ctx->vq, sg, 1, 1, ctx->buf[0]),
			0);
	ctx->ops->kick(ctx->vq);
	vrt_use(test, ctx, 1000);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, (unsigned int)VRT_BUF_LEN);
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_test_used_idx_jump_beyond_ring_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);
	virtio_mock_set_used_idx(ctx->m, 0, VRT_QUEUE_SIZE + 1);

	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void virtio_ring_test_broken_queue_refuses_add_buf(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	vrt_break_queue(test, ctx);

	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[1]), -EIO);
}

static void
virtio_ring_test_interrupt_on_broken_queue_skips_callback(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	/* Leaves used->idx ahead of the driver: a live queue would call. */
	vrt_break_queue(test, ctx);

	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 0U);
}

static void virtio_ring_test_break_device_breaks_its_queues(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	KUNIT_ASSERT_FALSE(test, virtqueue_is_broken(ctx->vq));
	virtio_break_device(ctx->vdev);

	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[0]), -EIO);
}

/* --- the event index (VIRTIO_RING_F_EVENT_IDX) --------------------------- */

#define VRE_QUEUE_SIZE	8

/* Where the wrap case leaves the indexes before it looks closely. */
#define VRE_NEAR_WRAP	65532

static int vre_init(struct kunit *test)
{
	return vrt_start(test, VRT_EVENT_IDX, VRE_QUEUE_SIZE);
}

/*
 * Move the indexes on by @count buffers, a ring's worth per kick, each
 * used in order and taken back.
 */
static void vre_run(struct kunit *test, struct vrt_ctx *ctx,
		    unsigned int count)
{
	unsigned int i, n, len;

	while (count) {
		n = min(count, ctx->num);
		for (i = 0; i < n; i++)
			KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
		ctx->ops->kick(ctx->vq);
		for (i = 0; i < n; i++)
			vrt_use(test, ctx, i);
		for (i = 0; i < n; i++) {
			KUNIT_ASSERT_PTR_EQ(test,
					    ctx->ops->get_buf(ctx->vq, &len),
					    ctx->buf[i]);
			KUNIT_ASSERT_EQ(test, len, i);
		}
		count -= n;
		cond_resched();
	}
}

static void
virtio_ring_event_idx_test_kick_notifies_when_avail_event_is_passed(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int i;

	/* avail_event starts at 0: the first buffer is worth a notification. */
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_ASSERT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);

	/* Entries 1, 2, 3 one per kick: only entry 2 is asked for. */
	virtio_mock_set_avail_event(ctx->m, 0, 2);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 2U);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 2U);

	/* Entries 4..7 in one kick stop short of entry 8; entry 8 is it. */
	virtio_mock_set_avail_event(ctx->m, 0, 8);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 2U);
	vrt_post(test, ctx, ctx->buf[4]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 3U);
}

/* §2.7.10.1: with EVENT_IDX the driver ignores the device's flags. */
static void
virtio_ring_event_idx_test_kick_ignores_device_no_notify(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;

	virtio_mock_set_used_flags(ctx->m, 0, VRING_USED_F_NO_NOTIFY);
	vrt_post(test, ctx, ctx->buf[0]);

	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
}

/*
 * The avail index runs to VRE_NEAR_WRAP with avail_event left at 0, then
 * avail_event is set around 65535 -> 0 and buffers cross it: the driver
 * must compare in 16-bit arithmetic (§2.7.10).
 */
static void
virtio_ring_event_idx_test_kick_follows_avail_event_across_the_wrap(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int i, len;

	vre_run(test, ctx, VRE_NEAR_WRAP);
	/* avail_event 0 was passed by the first kick only. */
	KUNIT_ASSERT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);

	/* Entries 65532..65534 stop short of entry 0 of the next round. */
	virtio_mock_set_avail_event(ctx->m, 0, 0);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
	for (i = 0; i < 3; i++)
		vrt_use(test, ctx, 0);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_NOT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));

	/* Entries 65535 and 0: the index wraps, passing avail_event. */
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 2U);
	for (i = 0; i < 2; i++)
		vrt_use(test, ctx, 0);
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_NOT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));

	/* 65535 is behind now: entry 1 is not worth a notification... */
	virtio_mock_set_avail_event(ctx->m, 0, 65535);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 2U);

	/* ...and entry 2, asked for, is. */
	virtio_mock_set_avail_event(ctx->m, 0, 2);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 3U);
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_event_idx_test_get_buf_with_callbacks_on_moves_used_event(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int i, len;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	for (i = 0; i < 3; i++)
		vrt_use(test, ctx, 0);
	/* used_event 0: the first of the three was worth an interrupt. */
	KUNIT_ASSERT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));

	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len),
				    ctx->buf[i]);
		KUNIT_EXPECT_EQ(test, virtio_mock_used_event(ctx->m, 0), i + 1);
	}
	/* So the device signals the very next buffer it uses. */
	vrt_post(test, ctx, ctx->buf[3]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
}

/* §2.7.7.1: flags stay 0; used_event, left behind, keeps the device quiet. */
static void
virtio_ring_event_idx_test_false_from_callback_quiets_the_device(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	ctx->cb_ret = false;
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	KUNIT_ASSERT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);

	vrt_post(test, ctx, ctx->buf[1]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_FALSE(test, virtio_mock_should_interrupt(ctx->m, 0));
	KUNIT_EXPECT_EQ(test, virtio_mock_avail_flags(ctx->m, 0), 0);
}

static void
virtio_ring_event_idx_test_restart_sets_used_event_to_last_used(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len;

	/* Callbacks go off after the first buffer; two are taken back. */
	ctx->cb_ret = false;
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[0]), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[1]), 0);
	ctx->ops->kick(ctx->vq);
	vrt_use(test, ctx, 0);
	KUNIT_ASSERT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	vrt_use(test, ctx, 0);
	KUNIT_ASSERT_FALSE(test, virtio_mock_should_interrupt(ctx->m, 0));
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[1]);
	KUNIT_ASSERT_NE(test, virtio_mock_used_event(ctx->m, 0), 2);

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_EQ(test, virtio_mock_used_event(ctx->m, 0), 2);
	vrt_post(test, ctx, ctx->buf[2]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
}

/*
 * restart_delayed with VRE_QUEUE_SIZE buffers outstanding: the device is
 * to signal only once more than three quarters of them are used.
 */
static void
virtio_ring_event_idx_test_restart_delayed_waits_for_three_quarters(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	u16 heads[VRE_QUEUE_SIZE];
	unsigned int i;

	for (i = 0; i < VRE_QUEUE_SIZE; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	for (i = 0; i < VRE_QUEUE_SIZE; i++)
		heads[i] = vrt_pop(test, ctx);

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart_delayed(ctx->vq));
	for (i = 0; i < VRE_QUEUE_SIZE; i++) {
		virtio_mock_push_used(ctx->m, 0, heads[i], 0);
		if (virtio_mock_should_interrupt(ctx->m, 0))
			break;
	}
	/* i buffers were used before the one that asked for the interrupt. */
	KUNIT_EXPECT_GE(test, i, VRE_QUEUE_SIZE * 3 / 4);
	KUNIT_EXPECT_LT(test, i, VRE_QUEUE_SIZE);
}

static struct kunit_case virtio_ring_test_cases[] = {
	/* First: it can only fail on the first KASAN report of the boot. */
	KUNIT_CASE(virtio_ring_test_add_buf_reads_no_entry_past_the_sg_list),
	KUNIT_CASE(virtio_ring_test_used_buffer_returns_token_and_length),
	KUNIT_CASE(virtio_ring_test_get_buf_follows_used_ids),
	KUNIT_CASE(virtio_ring_test_device_sees_out_then_in_segments),
	KUNIT_CASE(virtio_ring_test_buffer_is_invisible_until_kick),
	KUNIT_CASE(virtio_ring_test_kick_notifies_once_per_batch),
	KUNIT_CASE(virtio_ring_test_kick_without_new_buffers_does_not_notify),
	KUNIT_CASE(virtio_ring_test_kick_respects_device_no_notify),
	KUNIT_CASE(virtio_ring_test_full_ring_refuses_with_enospc),
	KUNIT_CASE(virtio_ring_test_chain_longer_than_free_space_is_refused),
	KUNIT_CASE(virtio_ring_test_get_buf_frees_room_for_add_buf),
	KUNIT_CASE(virtio_ring_test_add_buf_works_with_irqs_off_under_a_lock),
	KUNIT_CASE_SLOW(virtio_ring_test_indexes_wrap_past_65535),
	KUNIT_CASE(virtio_ring_test_get_buf_without_used_returns_null),
	KUNIT_CASE(virtio_ring_test_restart_succeeds_when_nothing_is_pending),
	KUNIT_CASE(virtio_ring_test_restart_fails_while_a_used_buffer_waits),
	KUNIT_CASE(virtio_ring_test_interrupt_calls_callback_that_returns_true),
	KUNIT_CASE(virtio_ring_test_callback_runs_again_for_buffers_used_meanwhile),
	KUNIT_CASE(virtio_ring_test_false_from_callback_suppresses_callbacks),
	KUNIT_CASE(virtio_ring_test_restart_reenables_callbacks),
	KUNIT_CASE(virtio_ring_test_interrupt_with_nothing_used_is_not_handled),
	KUNIT_CASE(virtio_ring_test_detach_returns_each_outstanding_token_once),
	KUNIT_CASE(virtio_ring_test_add_buf_after_shutdown_fails),
	KUNIT_CASE(virtio_ring_test_used_id_out_of_range_breaks_queue),
	KUNIT_CASE(virtio_ring_test_used_id_returned_twice_breaks_queue),
	KUNIT_CASE(virtio_ring_test_used_id_not_a_posted_head_breaks_queue),
	KUNIT_CASE(virtio_ring_test_used_len_beyond_in_buffers_is_clamped),
	KUNIT_CASE(virtio_ring_test_used_idx_jump_beyond_ring_breaks_queue),
	KUNIT_CASE(virtio_ring_test_broken_queue_refuses_add_buf),
	KUNIT_CASE(virtio_ring_test_interrupt_on_broken_queue_skips_callback),
	KUNIT_CASE(virtio_ring_test_break_device_breaks_its_queues),
	{}
};

static struct kunit_suite virtio_ring_test_suite = {
	.name = "virtio_ring",
	.init = vrt_init,
	.test_cases = virtio_ring_test_cases,
};

static struct kunit_case virtio_ring_event_idx_test_cases[] = {
	KUNIT_CASE(virtio_ring_event_idx_test_kick_notifies_when_avail_event_is_passed),
	KUNIT_CASE(virtio_ring_event_idx_test_kick_ignores_device_no_notify),
	KUNIT_CASE_SLOW(virtio_ring_event_idx_test_kick_follows_avail_event_across_the_wrap),
	KUNIT_CASE(virtio_ring_event_idx_test_get_buf_with_callbacks_on_moves_used_event),
	KUNIT_CASE(virtio_ring_event_idx_test_false_from_callback_quiets_the_device),
	KUNIT_CASE(virtio_ring_event_idx_test_restart_sets_used_event_to_last_used),
	KUNIT_CASE(virtio_ring_event_idx_test_restart_delayed_waits_for_three_quarters),
	{}
};

static struct kunit_suite virtio_ring_event_idx_test_suite = {
	.name = "virtio_ring_event_idx",
	.init = vre_init,
	.test_cases = virtio_ring_event_idx_test_cases,
};

kunit_test_suites(&virtio_ring_test_suite, &virtio_ring_event_idx_test_suite);

MODULE_DESCRIPTION("KUnit tests for the virtio split ring");
MODULE_LICENSE("GPL");
