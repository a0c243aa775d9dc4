// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of virtio_blk against a mock device (virtio_mock), which a
 * work item here plays: it serves reads with zeros until a test tells it
 * to hold what it takes.  Included by virtio_blk.c, so that the tests see
 * its structures; they run when the driver is loaded, and each registers a
 * disk of its own (vd<next free letter>) that the real driver binds.
 */
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/virtio_mock.h>
#include <linux/workqueue.h>

#define VBLKT_SECTORS		2048	/* 1 MiB */
#define VBLKT_QUEUE_SIZE	16
/* With header and status, a request fits in VIRTIO_MOCK_MAX_SEGS. */
#define VBLKT_SEG_MAX		8
#define VBLKT_WAIT		msecs_to_jiffies(5000)

struct vblkt_ctx {
	struct virtio_mock_device *m;
	struct work_struct serve;
	bool serving;		/* answer requests; else leave them on the ring */
	struct completion done;	/* vblkt_end_io() ran */
	blk_status_t status;	/* the bio's, at its end */
	u8 status_at_end;	/* the device status, at the same moment */
};

/* The device: serve every available request, as a read of zeros. */
static void vblkt_serve(struct work_struct *work)
{
	struct vblkt_ctx *ctx = container_of(work, struct vblkt_ctx, serve);
	struct virtio_mock_buf mb;
	unsigned int i;
	bool used = false;

	while (READ_ONCE(ctx->serving) &&
	       !virtio_mock_pop_avail(ctx->m, 0, &mb)) {
		/* Header first, status byte last (§5.2.6). */
		for (i = 1; i + 1 < mb.num; i++)
			if (mb.seg[i].write)
				memset(mb.seg[i].addr, 0, mb.seg[i].len);
		*(u8 *)mb.seg[mb.num - 1].addr = VIRTIO_BLK_S_OK;
		virtio_mock_push_used(ctx->m, 0, mb.head, mb.in_len);
		used = true;
	}
	if (used)
		virtio_mock_interrupt(ctx->m, 0);
}

static void vblkt_on_notify(struct virtio_mock_device *m, unsigned int qidx,
			    void *data)
{
	struct vblkt_ctx *ctx = data;

	/* The probe's first reads come before virtio_mock_create() returns. */
	ctx->m = m;
	/* In the driver's context, under its queue lock: serve later. */
	schedule_work(&ctx->serve);
}

static void vblkt_teardown(void *data)
{
	struct vblkt_ctx *ctx = data;

	/*
	 * Removing the disk does no I/O; a serve that runs meanwhile must not
	 * touch queues on their way out.
	 */
	WRITE_ONCE(ctx->serving, false);
	virtio_mock_destroy(ctx->m);
	cancel_work_sync(&ctx->serve);
}

/* A bound virtio_blk disk on a mock device that serves its reads. */
static struct virtio_blk *vblkt_disk(struct kunit *test,
				     struct vblkt_ctx **out)
{
	/* A VERSION_1 device: config space is little-endian (§2.5). */
	struct virtio_blk_config config = {
		.capacity = (__force __virtio64)cpu_to_le64(VBLKT_SECTORS),
		.seg_max = (__force __virtio32)cpu_to_le32(VBLKT_SEG_MAX),
	};
	struct virtio_mock_params p = {
		.device_id = VIRTIO_ID_BLOCK,
		.features = BIT_ULL(VIRTIO_F_VERSION_1) |
			    BIT_ULL(VIRTIO_BLK_F_SEG_MAX),
		.config = &config,
		.config_len = sizeof(config),
		.num_queues = 1,
		.queue_size = VBLKT_QUEUE_SIZE,
		.on_notify = vblkt_on_notify,
	};
	struct vblkt_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct virtio_device *vdev;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	INIT_WORK(&ctx->serve, vblkt_serve);
	init_completion(&ctx->done);
	ctx->serving = true;
	p.ctx = ctx;
	ctx->m = virtio_mock_create(&p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->m);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vblkt_teardown,
							ctx), 0);
	vdev = virtio_mock_vdev(ctx->m);
	KUNIT_ASSERT_PTR_EQ(test, vdev->dev.driver, &virtblk_driver.driver);
	*out = ctx;
	return vdev->priv;
}

static void vblkt_end_io(struct bio *bio)
{
	struct vblkt_ctx *ctx = bio->bi_private;

	ctx->status_at_end = virtio_mock_status(ctx->m);
	ctx->status = bio->bi_status;
	__free_page(bio_first_page_all(bio));
	bio_put(bio);
	complete(&ctx->done);
}

/* Submit a one-page read of sector 0; vblkt_end_io() reports its end. */
static void vblkt_read(struct kunit *test, struct virtio_blk *vblk,
		       struct vblkt_ctx *ctx)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct bio *bio;

	KUNIT_ASSERT_NOT_NULL(test, page);
	bio = bio_alloc(vblk->disk->part0, 1, REQ_OP_READ, GFP_KERNEL);
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	bio->bi_iter.bi_sector = 0;
	bio->bi_private = ctx;
	bio->bi_end_io = vblkt_end_io;
	reinit_completion(&ctx->done);
	submit_bio(bio);
}

static void vblkt_read_done(struct kunit *test, struct vblkt_ctx *ctx)
{
	KUNIT_ASSERT_GT_MSG(test, wait_for_completion_timeout(&ctx->done,
							      VBLKT_WAIT),
			    0UL, "the read never ended");
}

static void virtio_blk_test_read_is_served_by_the_device(struct kunit *test)
{
	struct vblkt_ctx *ctx;
	struct virtio_blk *vblk = vblkt_disk(test, &ctx);

	vblkt_read(test, vblk, ctx);
	vblkt_read_done(test, ctx);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(ctx->status), 0);
	KUNIT_EXPECT_TRUE(test, ctx->status_at_end &
				VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * The device holds a read, then breaks its queue with a used id that names
 * no buffer.  The read must fail, but only once the device was reset: until
 * then the device may still write the page.
 */
static void
virtio_blk_test_timeout_on_a_broken_queue_resets_the_device_before_failing(struct kunit *test)
{
	unsigned int notified;
	struct vblkt_ctx *ctx;
	struct virtio_blk *vblk = vblkt_disk(test, &ctx);
	struct virtio_mock_buf mb;
	unsigned long end;

	blk_queue_rq_timeout(vblk->disk->queue, msecs_to_jiffies(100));
	WRITE_ONCE(ctx->serving, false);
	flush_work(&ctx->serve);
	notified = virtio_mock_notifications(ctx->m, 0);
	vblkt_read(test, vblk, ctx);
	end = jiffies + VBLKT_WAIT;
	while (virtio_mock_notifications(ctx->m, 0) == notified &&
	       time_before(jiffies, end))
		usleep_range(10000, 20000);
	KUNIT_ASSERT_EQ(test, virtio_mock_pop_avail(ctx->m, 0, &mb), 0);

	virtio_mock_push_used(ctx->m, 0, VBLKT_QUEUE_SIZE, 0);
	virtio_mock_interrupt(ctx->m, 0);
	KUNIT_ASSERT_TRUE(test, virtqueue_is_broken(vblk->vqs[0].vq));

	vblkt_read_done(test, ctx);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(ctx->status), -EIO);
	KUNIT_EXPECT_EQ_MSG(test, ctx->status_at_end, 0,
			    "the read ended before the device was reset");

	/* Later requests fail at once, without a timeout. */
	blk_queue_rq_timeout(vblk->disk->queue, VBLKT_WAIT * 2);
	vblkt_read(test, vblk, ctx);
	vblkt_read_done(test, ctx);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(ctx->status), -EIO);
}

static struct kunit_case virtio_blk_test_cases[] = {
	KUNIT_CASE(virtio_blk_test_read_is_served_by_the_device),
	KUNIT_CASE(virtio_blk_test_timeout_on_a_broken_queue_resets_the_device_before_failing),
	{ }
};

static struct kunit_suite virtio_blk_test_suite = {
	.name = "virtio_blk",
	.test_cases = virtio_blk_test_cases,
};

kunit_test_suite(virtio_blk_test_suite);
