// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for indirect descriptors (VIRTIO_RING_F_INDIRECT_DESC,
 * VIRTIO 1.2 §2.7.5.3, §2.8.7) on both ring layouts: every case runs once
 * on a split ring and once on a packed one, of VRI_QUEUE_SIZE entries.
 *
 * The driver puts a buffer of VRING_INDIRECT_MIN (3) entries or more in a
 * table of its own, and a shorter one too when the ring lacks room for it;
 * the ring then holds one descriptor for the whole buffer.  The fixture
 * and helpers are in virtio_ring_test.h.
 */
#include "virtio_ring_test.h"

#define VRI_QUEUE_SIZE	4

struct vri_layout {
	const char *name;
	u64 features;
};

static const struct vri_layout vri_layouts[] = {
	{ .name = "split", .features = 0 },
	{ .name = "packed", .features = VRT_PACKED },
};

KUNIT_ARRAY_PARAM_DESC(vri_layout, vri_layouts, name);

static int vri_init(struct kunit *test)
{
	const struct vri_layout *layout = test->param_value;

	return vrt_start(test, VRT_INDIRECT | layout->features,
			 VRI_QUEUE_SIZE);
}

static void
virtio_ring_indirect_test_buffer_of_three_takes_one_descriptor(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf *mb = &ctx->mb;

	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 2, 1), 0);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRI_QUEUE_SIZE - 1U);
	ctx->ops->kick(ctx->vq);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_EXPECT_TRUE(test, mb->indirect);
	KUNIT_EXPECT_EQ(test, mb->num, 3U);
}

static void
virtio_ring_indirect_test_device_sees_the_table_in_order(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf *mb = &ctx->mb;
	struct scatterlist *sg = ctx->sg;
	unsigned int len = 0;

	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], ctx->buf[0], 16);
	sg_set_buf(&sg[1], ctx->buf[1], 24);
	sg_set_buf(&sg[2], ctx->buf[2], VRT_BUF_LEN);
	KUNIT_ASSERT_EQ(test, ctx->ops->add_buf(ctx->vq, sg, 2, 1, ctx->buf[0]),
			0);
	ctx->ops->kick(ctx->vq);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_ASSERT_TRUE(test, mb->indirect);
	KUNIT_ASSERT_EQ(test, mb->num, 3U);
	KUNIT_EXPECT_PTR_EQ(test, mb->seg[0].addr, ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, mb->seg[0].len, 16U);
	KUNIT_EXPECT_FALSE(test, mb->seg[0].write);
	KUNIT_EXPECT_PTR_EQ(test, mb->seg[1].addr, ctx->buf[1]);
	KUNIT_EXPECT_EQ(test, mb->seg[1].len, 24U);
	KUNIT_EXPECT_FALSE(test, mb->seg[1].write);
	KUNIT_EXPECT_PTR_EQ(test, mb->seg[2].addr, ctx->buf[2]);
	KUNIT_EXPECT_EQ(test, mb->seg[2].len, (u32)VRT_BUF_LEN);
	KUNIT_EXPECT_TRUE(test, mb->seg[2].write);
	KUNIT_EXPECT_EQ(test, mb->out_len, 40U);
	KUNIT_EXPECT_EQ(test, mb->in_len, (u32)VRT_BUF_LEN);

	virtio_mock_push_used(ctx->m, 0, mb->head, 50);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 50U);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRI_QUEUE_SIZE);
}

static void
virtio_ring_indirect_test_buffer_of_two_stays_direct(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf *mb = &ctx->mb;

	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRI_QUEUE_SIZE - 2U);
	ctx->ops->kick(ctx->vq);

	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_EXPECT_FALSE(test, mb->indirect);
	KUNIT_EXPECT_EQ(test, mb->num, 2U);
}

/*
 * With two descriptors free a buffer of four, as long as the ring, still
 * fits; with one free, so does a buffer of two, which would go direct if
 * there were room.
 */
static void
virtio_ring_indirect_test_buffer_fits_when_the_ring_is_short(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	struct virtio_mock_buf *mb = &ctx->mb;
	unsigned int len;
	u16 four, two;

	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[0]), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[1]), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 2, 1, VRI_QUEUE_SIZE - 1), 0);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), 1U);
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 2 + VRI_QUEUE_SIZE, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), 0U);
	ctx->ops->kick(ctx->vq);

	vrt_pop(test, ctx);
	vrt_pop(test, ctx);
	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_EXPECT_TRUE(test, mb->indirect);
	KUNIT_EXPECT_EQ(test, mb->num, VRI_QUEUE_SIZE);
	four = mb->head;
	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, mb), 0);
	KUNIT_EXPECT_TRUE(test, mb->indirect);
	KUNIT_EXPECT_EQ(test, mb->num, 2U);
	two = mb->head;

	virtio_mock_push_used(ctx->m, 0, two, 0);
	virtio_mock_push_used(ctx->m, 0, four, 0);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len),
			    ctx->buf[2 + VRI_QUEUE_SIZE]);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len),
			    ctx->buf[2]);
}

static void
virtio_ring_indirect_test_used_len_is_clamped_to_the_table(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	unsigned int len = 0;

	/* One segment out and two in: the device may write two buffers. */
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 1, 2), 0);
	ctx->ops->kick(ctx->vq);
	vrt_use(test, ctx, 1000);

	KUNIT_EXPECT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	KUNIT_EXPECT_EQ(test, len, 2U * VRT_BUF_LEN);
	KUNIT_EXPECT_FALSE(test, virtqueue_is_broken(ctx->vq));
}

/*
 * The tables of buffers left at shutdown are freed with them (kmemleak
 * and dma-debug would report them otherwise), the ring is whole again.
 */
static void
virtio_ring_indirect_test_detach_returns_indirect_buffers(struct kunit *test)
{
	struct vrt_ctx *ctx = test->priv;
	bool seen[VRT_NBUFS] = {};
	unsigned int len;
	u16 a, b;

	/* buf[0..2] and buf[3..5] indirect, buf[6] direct. */
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 0, 1, 2), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_chain(ctx, 3, 1, 2), 0);
	KUNIT_ASSERT_EQ(test, vrt_add_in(ctx, ctx->buf[6]), 0);
	ctx->ops->kick(ctx->vq);
	a = vrt_pop(test, ctx);
	b = vrt_pop(test, ctx);
	vrt_pop(test, ctx);
	/* The first is used and taken back, the second used and left. */
	virtio_mock_push_used(ctx->m, 0, a, 0);
	KUNIT_ASSERT_PTR_EQ(test, ctx->ops->get_buf(ctx->vq, &len), ctx->buf[0]);
	virtio_mock_push_used(ctx->m, 0, b, 0);

	KUNIT_EXPECT_EQ(test, vrt_detach_all(test, ctx, seen), 2U);
	KUNIT_EXPECT_TRUE(test, seen[3]);
	KUNIT_EXPECT_TRUE(test, seen[6]);
	KUNIT_EXPECT_EQ(test, virtqueue_num_free(ctx->vq), VRI_QUEUE_SIZE);
}

static struct kunit_case virtio_ring_indirect_test_cases[] = {
	KUNIT_CASE_PARAM(virtio_ring_indirect_test_buffer_of_three_takes_one_descriptor,
			 vri_layout_gen_params),
	KUNIT_CASE_PARAM(virtio_ring_indirect_test_device_sees_the_table_in_order,
			 vri_layout_gen_params),
	KUNIT_CASE_PARAM(virtio_ring_indirect_test_buffer_of_two_stays_direct,
			 vri_layout_gen_params),
	KUNIT_CASE_PARAM(virtio_ring_indirect_test_buffer_fits_when_the_ring_is_short,
			 vri_layout_gen_params),
	KUNIT_CASE_PARAM(virtio_ring_indirect_test_used_len_is_clamped_to_the_table,
			 vri_layout_gen_params),
	KUNIT_CASE_PARAM(virtio_ring_indirect_test_detach_returns_indirect_buffers,
			 vri_layout_gen_params),
	{}
};

static struct kunit_suite virtio_ring_indirect_test_suite = {
	.name = "virtio_ring_indirect",
	.init = vri_init,
	.test_cases = virtio_ring_indirect_test_cases,
};

kunit_test_suite(virtio_ring_indirect_test_suite);

MODULE_DESCRIPTION("KUnit tests for virtio indirect descriptors");
MODULE_LICENSE("GPL");
