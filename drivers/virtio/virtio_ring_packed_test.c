// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the packed virtqueue (drivers/virtio/virtio_ring_packed.c,
 * VIRTIO 1.2 §2.8).
 *
 * Each case negotiates VIRTIO_F_RING_PACKED, with VIRTIO_RING_F_EVENT_IDX
 * when it is about event suppression by descriptor, and asks for the ring
 * size it needs: small, so that the wrap counters flip often.  The device
 * is well-behaved until the hostile cases at the end.  The fixture and
 * helpers are in virtio_ring_test.h.
 */
#include <linux/interrupt.h>
#include "virtio_ring_test.h"

#define VRP_QUEUE_SIZE	4

static struct vrt_ctx *vrp_new(struct kunit *test, u64 features,
			       unsigned int num)
{
	return vrt_new(test, VRT_PACKED | features, num);
}

/* An event suppression offset with its wrap counter (§2.8.14). */
static u16 vrp_off_wrap(u16 pos, bool wrap)
{
	return pos | (wrap ? BIT(VRING_PACKED_EVENT_F_WRAP_CTR) : 0);
}

static u16 vrp_driver_flags(struct vrt_ctx *ctx)
{
	return virtio_mock_driver_event(ctx->m, 0, NULL);
}

/* Play a device that reports a used id no buffer has. */
static void vrp_break_queue(struct kunit *test, struct vrt_ctx *ctx)
{
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);
	virtio_mock_write_packed_desc(ctx->m, 0, 0, ctx->num, 0,
				      virtio_mock_packed_used_flags(true));
	KUNIT_ASSERT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_ASSERT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

/* --- buffers ------------------------------------------------------------- */

static void
virtio_ring_packed_test_used_buffer_returns_token_and_length(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len = 0;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 40);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 40U);
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
}

static void virtio_ring_packed_test_get_buf_follows_used_ids(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len = 0;
	u16 id0, id1;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_post(test, ctx, ctx->buf[1]);
	id0 = vrt_pop(test, ctx);
	id1 = vrt_pop(test, ctx);
	KUNIT_ASSERT_NE(test, id0, id1);

	/* The device finishes the second buffer first. */
	virtio_mock_push_used(ctx->m, 0, id1, 11);
	virtio_mock_push_used(ctx->m, 0, id0, 22);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[1]);
	KUNIT_EXPECT_EQ(test, len, 11U);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 22U);
}

static void
virtio_ring_packed_test_device_sees_a_chain_out_then_in(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	struct virtio_mock_buf *mb = &ctx->mb;
	unsigned int i, len = 0;

	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 2, 1), 0);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRP_QUEUE_SIZE - 3U);
	ctx->ops->kick(ctx->vq);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_ASSERT_EQ(test, mb->num, 3U);
	KUNIT_EXPECT_FALSE(test, mb->indirect);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_PTR_EQ(test, mb->seg[i].addr, ctx->buf[i]);
		KUNIT_EXPECT_EQ(test, mb->seg[i].len, (u32)VRT_BUF_LEN);
		KUNIT_EXPECT_EQ(test, mb->seg[i].write, i == 2);
	}
	KUNIT_EXPECT_EQ(test, mb->out_len, 2U * VRT_BUF_LEN);
	KUNIT_EXPECT_EQ(test, mb->in_len, (u32)VRT_BUF_LEN);

	virtio_mock_push_used(ctx->m, 0, mb->head, 5);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRP_QUEUE_SIZE);
}

/*
 * A ring of five, not a power of two, and three descriptors a round (a
 * buffer of one and a chain of two, used in reverse): eight rounds run
 * the ring nearly five times round, each starting somewhere else, so both
 * sides flip their wrap counters mid-round and mid-chain.
 */
static void
virtio_ring_packed_test_wrap_counters_flip_over_many_laps(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, 5);
	struct virtio_mock_buf *mb = &ctx->mb;
	unsigned int round, len;
	u16 one, two;

	for (round = 0; round < 8; round++) {
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[0]), 0);
		KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 1, 0, 2), 0);
		ctx->ops->kick(ctx->vq);

		KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
		KUNIT_ASSERT_EQ_MSG(test, mb->num, 1U, "round %u", round);
		KUNIT_ASSERT_PTR_EQ(test, mb->seg[0].addr, ctx->buf[0]);
		one = mb->head;
		KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
		KUNIT_ASSERT_EQ_MSG(test, mb->num, 2U, "round %u", round);
		KUNIT_ASSERT_PTR_EQ(test, mb->seg[1].addr, ctx->buf[2]);
		two = mb->head;

		virtio_mock_push_used(ctx->m, 0, two, round + 1);
		virtio_mock_push_used(ctx->m, 0, one, round);
		KUNIT_ASSERT_PTR_EQ_MSG(test, ctx->ops->get_buf(ctx->vq, &len),
					ctx->buf[1], "round %u", round);
		KUNIT_ASSERT_EQ(test, len, round + 1);
		KUNIT_ASSERT_PTR_EQ_MSG(test, ctx->ops->get_buf(ctx->vq, &len),
					ctx->buf[0], "round %u", round);
		KUNIT_ASSERT_EQ(test, len, round);
		KUNIT_ASSERT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	}
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), 5U);
}

/*
 * §2.8.17 allows a list as long as the queue: it fills the ring, and the
 * next one starts in the other lap.  The last goes round from position 1.
 */
static void
virtio_ring_packed_test_chain_as_long_as_the_ring_goes_through(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	struct virtio_mock_buf *mb = &ctx->mb;
	unsigned int lap, i, len;

	for (lap = 0; lap < 4; lap++) {
		/* From position 1 on the last lap. */
		if (lap == 3)
			vrt_cycle(test, ctx, ctx->buf[VRP_QUEUE_SIZE]);

		KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 1,
						    VRP_QUEUE_SIZE - 1), 0);
		KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), 0U);
		ctx->ops->kick(ctx->vq);

		KUNIT_ASSERT_EQ_MSG(test, virtio_mock_pop_avail(ctx->m, 0, mb),
				    0, "lap %u", lap);
		KUNIT_ASSERT_EQ(test, mb->num, VRP_QUEUE_SIZE);
		for (i = 0; i < VRP_QUEUE_SIZE; i++) {
			KUNIT_EXPECT_PTR_EQ(test, mb->seg[i].addr, ctx->buf[i]);
			KUNIT_EXPECT_EQ(test, mb->seg[i].write, i > 0);
		}
		virtio_mock_push_used(ctx->m, 0, mb->head, mb->in_len);
		KUNIT_ASSERT_PTR_EQ_MSG(test, ctx->ops->get_buf(ctx->vq, &len),
					ctx->buf[0], "lap %u", lap);
		KUNIT_EXPECT_EQ(test, len, (VRP_QUEUE_SIZE - 1U) * VRT_BUF_LEN);
		KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRP_QUEUE_SIZE);
	}
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

static void virtio_ring_packed_test_chain_crosses_the_ring_end(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	struct virtio_mock_buf *mb = &ctx->mb;
	unsigned int i, len;

	/* To the last position: the chain takes it and the first two. */
	for (i = 0; i < VRP_QUEUE_SIZE - 1; i++)
		vrt_cycle(test, ctx, ctx->buf[4]);
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 2, 1), 0);
	ctx->ops->kick(ctx->vq);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_ASSERT_EQ(test, mb->num, 3U);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_PTR_EQ(test, mb->seg[i].addr, ctx->buf[i]);
	virtio_mock_push_used(ctx->m, 0, mb->head, 7);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 7U);

	/* Both sides agree where the next buffer goes, and in which lap. */
	vrt_cycle(test, ctx, ctx->buf[4]);
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

/* --- ring space ---------------------------------------------------------- */

static void
virtio_ring_packed_test_full_ring_refuses_with_enospc(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int i;

	for (i = 0; i < VRP_QUEUE_SIZE; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);

	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[VRP_QUEUE_SIZE]),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), 0U);
}

static void
virtio_ring_packed_test_chain_longer_than_free_space_is_refused(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int i;

	for (i = 0; i < VRP_QUEUE_SIZE - 1; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);

	KUNIT_EXPECT_EQ(test, vrt_add_chain(ctx, VRP_QUEUE_SIZE, 0, 2),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), 1U);
}

/* --- notifications ------------------------------------------------------- */

static void
virtio_ring_packed_test_kick_respects_device_event_disable(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	struct virtio_mock_buf *mb = &ctx->mb;

	virtio_mock_set_device_event(ctx->m, 0, VRING_PACKED_EVENT_FLAG_DISABLE,
				     0);
	vrt_post(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 0U);
	/* Not notified, but available all the same. */
	KUNIT_EXPECT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);

	virtio_mock_set_device_event(ctx->m, 0, VRING_PACKED_EVENT_FLAG_ENABLE,
				     0);
	vrt_post(test, ctx, ctx->buf[1]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 1U);
}

/*
 * With VIRTIO_RING_F_EVENT_IDX the device names the descriptor, and the
 * lap by its wrap counter, whose making available it wants to hear of
 * (§2.8.10): the driver must tell that lap from the one before and after.
 */
static void
virtio_ring_packed_test_kick_follows_device_event_across_the_wrap(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, VRT_EVENT_IDX, VRP_QUEUE_SIZE);
	unsigned int i, len;

	/* The driver's next position: 3, first lap (wrap counter 1). */
	for (i = 0; i < 3; i++)
		vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_ASSERT_EQ(test, virtio_mock_notifications(ctx->m, 0), 3U);

	/* Position 1 of the second lap: not 3 or 0 before it, nor 2 after. */
	virtio_mock_set_device_event(ctx->m, 0, VRING_PACKED_EVENT_FLAG_DESC,
				     vrp_off_wrap(1, false));
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 3U);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 3U);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 4U);
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 4U);

	/* One kick for 3 of the second lap and 0 of the third, asked for. */
	virtio_mock_set_device_event(ctx->m, 0, VRING_PACKED_EVENT_FLAG_DESC,
				     vrp_off_wrap(0, true));
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 5U);
	for (i = 0; i < 2; i++)
		vrt_use(test, ctx, 0);
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_NOT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));

	/* Position 1 of the second lap is long gone: 1 of the third is not it. */
	virtio_mock_set_device_event(ctx->m, 0, VRING_PACKED_EVENT_FLAG_DESC,
				     vrp_off_wrap(1, false));
	vrt_cycle(test, ctx, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, virtio_mock_notifications(ctx->m, 0), 5U);
}

/* --- callbacks ----------------------------------------------------------- */

static void
virtio_ring_packed_test_callback_runs_again_for_buffers_used_meanwhile(struct kunit *test)
{
	vrt_check_callback_runs_again(test, vrp_new(test, 0, VRP_QUEUE_SIZE));
}

static void
virtio_ring_packed_test_false_from_callback_disables_driver_events(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len;

	ctx->cb_ret = false;
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	KUNIT_ASSERT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_EXPECT_EQ(test, vrp_driver_flags(ctx),
			VRING_PACKED_EVENT_FLAG_DISABLE);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);

	vrt_post(test, ctx, ctx->buf[1]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_FALSE(test, virtio_mock_should_interrupt(ctx->m, 0));
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 1U);
}

static void
virtio_ring_packed_test_restart_enables_driver_events(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len;

	ctx->cb_ret = false;
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_EQ(test, ctx->cb_calls, 1U);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_ASSERT_EQ(test, vrp_driver_flags(ctx),
			VRING_PACKED_EVENT_FLAG_DISABLE);

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_EQ(test, vrp_driver_flags(ctx),
			VRING_PACKED_EVENT_FLAG_ENABLE);
	vrt_post(test, ctx, ctx->buf[1]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_EXPECT_EQ(test, ctx->cb_calls, 2U);
}

static void
virtio_ring_packed_test_restart_fails_while_a_used_buffer_waits(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);

	KUNIT_EXPECT_FALSE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_EQ(test, vrp_driver_flags(ctx),
			VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void
virtio_ring_packed_test_restart_names_the_next_used_position(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, VRT_EVENT_IDX, VRP_QUEUE_SIZE);
	unsigned int i;
	u16 off_wrap;

	/* Next used position: 1 of the second lap (wrap counter 0). */
	for (i = 0; i < VRP_QUEUE_SIZE + 1; i++)
		vrt_cycle(test, ctx, ctx->buf[0]);
	/* Events are on: the device signals those. */
	KUNIT_ASSERT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_EQ(test, virtio_mock_driver_event(ctx->m, 0, &off_wrap),
			VRING_PACKED_EVENT_FLAG_DESC);
	KUNIT_EXPECT_EQ(test, off_wrap, vrp_off_wrap(1, false));
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_use(test, ctx, 0);
	KUNIT_EXPECT_TRUE(test, virtio_mock_should_interrupt(ctx->m, 0));
}

static void
virtio_ring_packed_test_get_buf_with_callbacks_on_moves_driver_event(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, VRT_EVENT_IDX, VRP_QUEUE_SIZE);
	unsigned int i, len;
	u16 off_wrap;

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart(ctx->vq));
	/* Across the end of the ring and on into the second lap. */
	for (i = 1; i <= VRP_QUEUE_SIZE + 2; i++) {
		vrt_post(test, ctx, ctx->buf[0]);
		vrt_use(test, ctx, 0);
		KUNIT_EXPECT_TRUE_MSG(test,
				      virtio_mock_should_interrupt(ctx->m, 0),
				      "buffer %u", i);
		KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len),
				    ctx->buf[0]);
		virtio_mock_driver_event(ctx->m, 0, &off_wrap);
		KUNIT_EXPECT_EQ_MSG(test, off_wrap,
				    vrp_off_wrap(i % VRP_QUEUE_SIZE,
						 i < VRP_QUEUE_SIZE),
				    "buffer %u", i);
	}
}

/*
 * restart_delayed with eight buffers outstanding: the device is to signal
 * only once more than three quarters of them are used.
 */
static void
virtio_ring_packed_test_restart_delayed_waits_for_three_quarters(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, VRT_EVENT_IDX, VRT_MAX_QUEUE);
	u16 ids[VRT_MAX_QUEUE];
	unsigned int i;

	for (i = 0; i < VRT_MAX_QUEUE; i++)
		KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[i]), 0);
	ctx->ops->kick(ctx->vq);
	for (i = 0; i < VRT_MAX_QUEUE; i++)
		ids[i] = vrt_pop(test, ctx);

	KUNIT_ASSERT_TRUE(test, ctx->ops->restart_delayed(ctx->vq));
	for (i = 0; i < VRT_MAX_QUEUE; i++) {
		virtio_mock_push_used(ctx->m, 0, ids[i], 0);
		if (virtio_mock_should_interrupt(ctx->m, 0))
			break;
	}
	/* i buffers were used before the one that asked for the interrupt. */
	KUNIT_EXPECT_GE(test, i, VRT_MAX_QUEUE * 3 / 4);
	KUNIT_EXPECT_LT(test, i, VRT_MAX_QUEUE);
}

/* --- shutdown ------------------------------------------------------------ */

static void
virtio_ring_packed_test_detach_returns_each_outstanding_token_once(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	bool seen[VRT_NBUFS] = {};
	unsigned int len;
	u16 chain, one;

	/* A chain of two (buf[0], buf[1]) and buf[2], buf[3]: a full ring. */
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 1, 1), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[2]), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[3]), 0);
	ctx->ops->kick(ctx->vq);
	chain = vrt_pop(test, ctx);
	one = vrt_pop(test, ctx);
	vrt_pop(test, ctx);
	/* buf[2] is used and taken back; the chain is used but not taken. */
	virtio_mock_push_used(ctx->m, 0, one, 0);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[2]);
	virtio_mock_push_used(ctx->m, 0, chain, 0);

	KUNIT_EXPECT_EQ(test, vrt_detach_all(test, ctx, seen), 2U);
	KUNIT_EXPECT_TRUE(test, seen[0]);
	KUNIT_EXPECT_FALSE(test, seen[1]);
	KUNIT_EXPECT_FALSE(test, seen[2]);
	KUNIT_EXPECT_TRUE(test, seen[3]);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRP_QUEUE_SIZE);
	KUNIT_EXPECT_NULL(test, ctx->ops->detach_unused_buf(ctx->vq));
}

/* --- a hostile device ---------------------------------------------------- */

static void
virtio_ring_packed_test_used_id_out_of_range_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len;

	vrt_post(test, ctx, ctx->buf[0]);
	vrt_pop(test, ctx);
	/* Ids run 0..VRP_QUEUE_SIZE - 1. */
	virtio_mock_write_packed_desc(ctx->m, 0, 0, VRP_QUEUE_SIZE, 0,
				      virtio_mock_packed_used_flags(true));

	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_packed_test_used_id_never_posted_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len;
	u16 id;

	vrt_post(test, ctx, ctx->buf[0]);
	id = vrt_pop(test, ctx);
	/* In range, but no buffer of that id is outstanding. */
	virtio_mock_write_packed_desc(ctx->m, 0, 0, (id + 1) % VRP_QUEUE_SIZE,
				      0, virtio_mock_packed_used_flags(true));

	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_packed_test_used_id_returned_twice_breaks_queue(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len;
	u16 id;

	/* buf[1] stays outstanding: the queue is not empty. */
	vrt_post(test, ctx, ctx->buf[0]);
	vrt_post(test, ctx, ctx->buf[1]);
	id = vrt_pop(test, ctx);
	vrt_pop(test, ctx);
	virtio_mock_push_used(ctx->m, 0, id, 0);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);

	virtio_mock_write_packed_desc(ctx->m, 0, 1, id, 0,
				      virtio_mock_packed_used_flags(true));
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(ctx->vq));
}

static void
virtio_ring_packed_test_used_len_beyond_in_buffers_is_clamped(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int len = 0;

	/* VRT_BUF_LEN out, VRT_BUF_LEN in: the device may write VRT_BUF_LEN. */
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 1, 1), 0);
	ctx->ops->kick(ctx->vq);
	vrt_use(test, ctx, 1000);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, (unsigned int)VRT_BUF_LEN);
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

/*
 * In the first lap a used descriptor has AVAIL and USED both set (§2.8.1);
 * any other pair is not one, and must be neither taken nor fatal.
 */
static void
virtio_ring_packed_test_used_desc_with_wrong_wrap_bits_is_not_taken(struct kunit *test)
{
	static const u16 wrong[] = {
		0,					/* used, in the second lap */
		BIT(VRING_PACKED_DESC_F_AVAIL),		/* still available */
		BIT(VRING_PACKED_DESC_F_USED),		/* available, second lap */
	};
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int i, len;
	u16 id;

	vrt_post(test, ctx, ctx->buf[0]);
	id = vrt_pop(test, ctx);
	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		virtio_mock_write_packed_desc(ctx->m, 0, 0, id, 0, wrong[i]);
		KUNIT_EXPECT_NULL_MSG(test, ctx->ops->get_buf(ctx->vq, &len),
				      "flags %#x", wrong[i]);
		KUNIT_EXPECT_EQ_MSG(test, virtio_mock_interrupt(ctx->m, 0),
				    (int)IRQ_NONE, "flags %#x", wrong[i]);
	}
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));

	virtio_mock_write_packed_desc(ctx->m, 0, 0, id, 0,
				      virtio_mock_packed_used_flags(true));
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
}

/* A descriptor still marked used from the lap before is not used now. */
static void
virtio_ring_packed_test_used_desc_of_the_last_lap_is_not_taken(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);
	unsigned int i, len;
	u16 id;

	for (i = 0; i < VRP_QUEUE_SIZE; i++)
		vrt_cycle(test, ctx, ctx->buf[0]);
	/* Second lap: position 0 again, wrap counter 0. */
	vrt_post(test, ctx, ctx->buf[1]);
	id = vrt_pop(test, ctx);

	virtio_mock_write_packed_desc(ctx->m, 0, 0, id, 0,
				      virtio_mock_packed_used_flags(true));
	KUNIT_EXPECT_NULL(test, ctx->ops->get_buf(ctx->vq, &len));
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));

	virtio_mock_write_packed_desc(ctx->m, 0, 0, id, 0,
				      virtio_mock_packed_used_flags(false));
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[1]);
}

static void
virtio_ring_packed_test_broken_queue_refuses_add_buf(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, 0, VRP_QUEUE_SIZE);

	vrp_break_queue(test, ctx);

	KUNIT_EXPECT_EQ(test, vrt_add_in(ctx, ctx->buf[1]), -EIO);
}

/* Nothing will be used again: restart must not make its caller loop. */
static void
virtio_ring_packed_test_broken_queue_restart_returns_true(struct kunit *test)
{
	struct vrt_ctx *ctx = vrp_new(test, VRT_EVENT_IDX, VRP_QUEUE_SIZE);

	vrp_break_queue(test, ctx);

	KUNIT_EXPECT_TRUE(test, ctx->ops->restart(ctx->vq));
	KUNIT_EXPECT_TRUE(test, ctx->ops->restart_delayed(ctx->vq));
}

static struct kunit_case virtio_ring_packed_test_cases[] = {
	KUNIT_CASE(virtio_ring_packed_test_used_buffer_returns_token_and_length),
	KUNIT_CASE(virtio_ring_packed_test_get_buf_follows_used_ids),
	KUNIT_CASE(virtio_ring_packed_test_device_sees_a_chain_out_then_in),
	KUNIT_CASE(virtio_ring_packed_test_wrap_counters_flip_over_many_laps),
	KUNIT_CASE(virtio_ring_packed_test_chain_as_long_as_the_ring_goes_through),
	KUNIT_CASE(virtio_ring_packed_test_chain_crosses_the_ring_end),
	KUNIT_CASE(virtio_ring_packed_test_full_ring_refuses_with_enospc),
	KUNIT_CASE(virtio_ring_packed_test_chain_longer_than_free_space_is_refused),
	KUNIT_CASE(virtio_ring_packed_test_kick_respects_device_event_disable),
	KUNIT_CASE(virtio_ring_packed_test_kick_follows_device_event_across_the_wrap),
	KUNIT_CASE(virtio_ring_packed_test_callback_runs_again_for_buffers_used_meanwhile),
	KUNIT_CASE(virtio_ring_packed_test_false_from_callback_disables_driver_events),
	KUNIT_CASE(virtio_ring_packed_test_restart_enables_driver_events),
	KUNIT_CASE(virtio_ring_packed_test_restart_fails_while_a_used_buffer_waits),
	KUNIT_CASE(virtio_ring_packed_test_restart_names_the_next_used_position),
	KUNIT_CASE(virtio_ring_packed_test_get_buf_with_callbacks_on_moves_driver_event),
	KUNIT_CASE(virtio_ring_packed_test_restart_delayed_waits_for_three_quarters),
	KUNIT_CASE(virtio_ring_packed_test_detach_returns_each_outstanding_token_once),
	KUNIT_CASE(virtio_ring_packed_test_used_id_out_of_range_breaks_queue),
	KUNIT_CASE(virtio_ring_packed_test_used_id_never_posted_breaks_queue),
	KUNIT_CASE(virtio_ring_packed_test_used_id_returned_twice_breaks_queue),
	KUNIT_CASE(virtio_ring_packed_test_used_len_beyond_in_buffers_is_clamped),
	KUNIT_CASE(virtio_ring_packed_test_used_desc_with_wrong_wrap_bits_is_not_taken),
	KUNIT_CASE(virtio_ring_packed_test_used_desc_of_the_last_lap_is_not_taken),
	KUNIT_CASE(virtio_ring_packed_test_broken_queue_refuses_add_buf),
	KUNIT_CASE(virtio_ring_packed_test_broken_queue_restart_returns_true),
	{}
};

static struct kunit_suite virtio_ring_packed_test_suite = {
	.name = "virtio_ring_packed",
	.test_cases = virtio_ring_packed_test_cases,
};

kunit_test_suite(virtio_ring_packed_test_suite);

MODULE_DESCRIPTION("KUnit tests for the virtio packed ring");
MODULE_LICENSE("GPL");
