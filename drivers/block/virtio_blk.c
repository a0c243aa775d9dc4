// SPDX-License-Identifier: GPL-2.0-only
/*
 * Block driver for the virtio block device (VIRTIO 1.2 §5.2).
 *
 * Each blk-mq hardware queue drives one requestq.  A request travels as
 * one buffer: the request header (device-readable), the data (readable for
 * a write, writable for a read) and the status byte (writable).  Header,
 * status and scatterlist live in the request's pdu, so nothing is
 * allocated per I/O.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_blk.h>
#include <uapi/linux/virtio_ids.h>

/* Minors per disk: the disk and 15 partitions. */
#define VIRTBLK_PART_BITS	4
#define VIRTBLK_MAX_DISKS	(1U << (MINORBITS - VIRTBLK_PART_BITS))

/* Bounds the scatterlist every request carries in its pdu. */
#define VIRTBLK_MAX_SEGMENTS	128U

static int virtblk_major;
static DEFINE_IDA(virtblk_index_ida);

struct virtblk_vq {
	struct virtqueue *vq;
	spinlock_t lock;	/* serialises every operation on @vq */
	char name[24];
} ____cacheline_aligned_in_smp;

struct virtio_blk {
	struct virtio_device *vdev;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	unsigned int index;
	unsigned int num_vqs;
	struct virtblk_vq *vqs;
	/* serialises resets: queue set-up and teardown, virtblk_fail_device() */
	struct mutex reset_lock;
};

struct virtblk_req {
	struct virtio_blk_outhdr out_hdr;
	u8 status;
	blk_status_t result;
	struct scatterlist sg[];	/* header, data segments, status */
};

static blk_status_t virtblk_result(const struct virtblk_req *vbr,
				   unsigned int len)
{
	/*
	 * The used length is not trusted for anything but telling whether
	 * the device wrote the status byte at all (§5.2.6.3 notes that
	 * legacy devices report it inconsistently).
	 */
	if (len < 1)
		return BLK_STS_IOERR;

	switch (vbr->status) {
	case VIRTIO_BLK_S_OK:
		return BLK_STS_OK;
	case VIRTIO_BLK_S_UNSUPP:
		return BLK_STS_NOTSUPP;
	default:
		return BLK_STS_IOERR;
	}
}

static bool virtblk_done(struct virtqueue *vq)
{
	struct virtio_blk *vblk = vq->vdev->priv;
	struct virtblk_vq *bvq = &vblk->vqs[vq->index];
	struct virtblk_req *vbr;
	bool freed = false;
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&bvq->lock, flags);
	do {
		while ((vbr = vq->vq_ops->get_buf(vq, &len))) {
			vbr->result = virtblk_result(vbr, len);
			blk_mq_complete_request(blk_mq_rq_from_pdu(vbr));
			freed = true;
		}
	} while (!vq->vq_ops->restart(vq));
	spin_unlock_irqrestore(&bvq->lock, flags);

	/* queue_rq stopped its queue when the ring was full. */
	if (freed)
		blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
	return true;
}

static blk_status_t virtblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				     const struct blk_mq_queue_data *bd)
{
	struct virtblk_vq *bvq = hctx->driver_data;
	struct virtio_blk *vblk = hctx->queue->queuedata;
	struct virtio_device *vdev = vblk->vdev;
	struct request *req = bd->rq;
	struct virtqueue *vq;
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(req);
	unsigned int nsegs, out = 1, in = 1;
	unsigned long flags;
	sector_t sector = 0;
	u32 type;
	int err;

	switch (req_op(req)) {
	case REQ_OP_READ:
		type = VIRTIO_BLK_T_IN;
		sector = blk_rq_pos(req);
		break;
	case REQ_OP_WRITE:
		type = VIRTIO_BLK_T_OUT;
		sector = blk_rq_pos(req);
		break;
	case REQ_OP_FLUSH:
		/* §5.2.6.1: sector 0 and no data for a flush. */
		type = VIRTIO_BLK_T_FLUSH;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}

	/* Both units are 512 bytes: blk_rq_pos() is the protocol's sector. */
	vbr->out_hdr.type = cpu_to_virtio32(vdev, type);
	vbr->out_hdr.ioprio = 0;	/* "reserved" in §5.2.6 */
	vbr->out_hdr.sector = cpu_to_virtio64(vdev, sector);

	nsegs = blk_rq_nr_phys_segments(req);
	sg_init_table(vbr->sg, nsegs + 2);
	sg_set_buf(&vbr->sg[0], &vbr->out_hdr, sizeof(vbr->out_hdr));
	if (nsegs) {
		nsegs = blk_rq_map_sg(hctx->queue, req, &vbr->sg[1]);
		sg_unmark_end(&vbr->sg[nsegs]);
	}
	sg_set_buf(&vbr->sg[nsegs + 1], &vbr->status, sizeof(vbr->status));
	sg_mark_end(&vbr->sg[nsegs + 1]);

	if (type == VIRTIO_BLK_T_OUT)
		out += nsegs;
	else
		in += nsegs;

	blk_mq_start_request(req);

	spin_lock_irqsave(&bvq->lock, flags);
	vq = bvq->vq;
	/* No queue: the device did not come back from a reset. */
	err = vq ? vq->vq_ops->add_buf(vq, vbr->sg, out, in, vbr) : -EIO;
	if (err == -ENOSPC) {
		/*
		 * Stopped under the lock, so the completion that frees ring
		 * space sees the stopped queue and restarts it.  Earlier
		 * requests of this batch must reach the device regardless.
		 */
		blk_mq_stop_hw_queue(hctx);
		vq->vq_ops->kick(vq);
	} else if (!err && bd->last) {
		vq->vq_ops->kick(vq);
	}
	spin_unlock_irqrestore(&bvq->lock, flags);

	switch (err) {
	case 0:
		return BLK_STS_OK;
	case -ENOSPC:
		return BLK_STS_DEV_RESOURCE;
	case -ENOMEM:
		return BLK_STS_RESOURCE;
	default:
		return BLK_STS_IOERR;	/* -EIO: the queue is broken */
	}
}

static void virtblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct virtblk_vq *bvq = hctx->driver_data;
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	if (bvq->vq)
		bvq->vq->vq_ops->kick(bvq->vq);
	spin_unlock_irqrestore(&bvq->lock, flags);
}

static void virtblk_complete(struct request *req)
{
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(req);

	blk_mq_end_request(req, vbr->result);
}

/* What becomes of a request the device had not finished at a reset. */
enum virtblk_fate {
	VIRTBLK_DROP,		/* nothing: only its token goes */
	VIRTBLK_REQUEUE,	/* runs again once queues are back */
	VIRTBLK_FAIL,		/* ends with an I/O error */
};

/*
 * Reset the device, then take every request it had not finished off its
 * queues, which stay, shut down.  Under reset_lock.
 */
static void virtblk_take_back(struct virtio_blk *vblk, enum virtblk_fate fate)
{
	struct virtblk_req *vbr;
	unsigned int i;

	lockdep_assert_held(&vblk->reset_lock);
	virtio_reset_device(vblk->vdev);
	for (i = 0; i < vblk->num_vqs; i++) {
		struct virtblk_vq *bvq = &vblk->vqs[i];

		spin_lock_irq(&bvq->lock);
		if (bvq->vq) {
			bvq->vq->vq_ops->shutdown(bvq->vq);
			while ((vbr = bvq->vq->vq_ops->detach_unused_buf(bvq->vq))) {
				struct request *req = blk_mq_rq_from_pdu(vbr);

				if (fate == VIRTBLK_REQUEUE) {
					blk_mq_requeue_request(req, false);
				} else if (fate == VIRTBLK_FAIL) {
					vbr->result = BLK_STS_IOERR;
					blk_mq_complete_request(req);
				}
			}
		}
		spin_unlock_irq(&bvq->lock);
	}
}

/*
 * A broken queue gives nothing back, so its requests would wait forever.
 * Ending them while the device may still write their pages would hand
 * those pages back under its feet (and unmapping them would copy stale
 * bounce-buffer data over them): reset the device first, then take every
 * request off every queue and fail it.  The queues stay, shut down, so
 * that new requests fail at once, until remove or a restore replaces them.
 * A device that does not even finish the reset keeps the mappings
 * (virtio_reset_failed()).
 */
static void virtblk_fail_device(struct virtio_blk *vblk)
{
	mutex_lock(&vblk->reset_lock);
	virtblk_take_back(vblk, VIRTBLK_FAIL);
	mutex_unlock(&vblk->reset_lock);
	/* A queue stopped on a full ring must run to fail what waits. */
	blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
}

static enum blk_eh_timer_return virtblk_timeout(struct request *req)
{
	struct virtblk_vq *bvq = req->mq_hctx->driver_data;
	struct virtio_blk *vblk = req->q->queuedata;
	bool broken;

	spin_lock_irq(&bvq->lock);
	broken = !bvq->vq || virtqueue_is_broken(bvq->vq);
	spin_unlock_irq(&bvq->lock);
	/* A working device may just be slow: only give up on a broken one. */
	if (!broken)
		return BLK_EH_RESET_TIMER;

	dev_err(&vblk->vdev->dev,
		"request timed out on a broken queue: resetting the device\n");
	virtblk_fail_device(vblk);
	return BLK_EH_DONE;
}

static int virtblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			     unsigned int hctx_idx)
{
	struct virtio_blk *vblk = data;

	hctx->driver_data = &vblk->vqs[hctx_idx];
	return 0;
}

static const struct blk_mq_ops virtblk_mq_ops = {
	.queue_rq	= virtblk_queue_rq,
	.commit_rqs	= virtblk_commit_rqs,
	.complete	= virtblk_complete,
	.timeout	= virtblk_timeout,
	.init_hctx	= virtblk_init_hctx,
};

static const struct block_device_operations virtblk_fops = {
	.owner	= THIS_MODULE,
};

/* vda..vdz, vdaa..vdzz, vdaaa..: bijective base 26, as sd names disks. */
static void virtblk_name_disk(char *name, unsigned int index)
{
	char rev[8];
	int n = 0;

	do {
		rev[n++] = 'a' + index % 26;
		index /= 26;
	} while (index-- > 0);

	*name++ = 'v';
	*name++ = 'd';
	while (n)
		*name++ = rev[--n];
	*name = '\0';
}

/*
 * Set up the requestqs (§5.2.2: requestq1..N, N = num_queues with
 * VIRTIO_BLK_F_MQ) into vblk->vqs, which lives as long as the disk: blk-mq's
 * hardware contexts point into it.  At probe it is allocated for as many
 * queues as the device has, up to one per CPU; on restore the device must
 * still have that many.
 */
static int __virtblk_find_vqs(struct virtio_blk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	struct virtqueue_info *info;
	struct virtqueue **vqs;
	unsigned int i, nvqs;
	u16 num_queues = 1;
	int err = -ENOMEM;

	virtio_cread_feature(vdev, VIRTIO_BLK_F_MQ, struct virtio_blk_config,
			     num_queues, &num_queues);
	/* More queues than CPUs would never be used. */
	nvqs = clamp_t(unsigned int, num_queues, 1, nr_cpu_ids);
	if (vblk->vqs && nvqs < vblk->num_vqs) {
		dev_err(&vdev->dev, "device has %u queues now, %u before\n",
			nvqs, vblk->num_vqs);
		return -ENODEV;
	}
	if (!vblk->vqs) {
		vblk->vqs = kcalloc(nvqs, sizeof(*vblk->vqs), GFP_KERNEL);
		if (!vblk->vqs)
			return -ENOMEM;
		vblk->num_vqs = nvqs;
		for (i = 0; i < nvqs; i++) {
			spin_lock_init(&vblk->vqs[i].lock);
			snprintf(vblk->vqs[i].name, sizeof(vblk->vqs[i].name),
				 "requestq%u", i + 1);
		}
	}
	nvqs = vblk->num_vqs;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	if (!info || !vqs)
		goto out;
	for (i = 0; i < nvqs; i++) {
		info[i].name = vblk->vqs[i].name;
		info[i].seed_callback = virtblk_done;
	}

	err = virtio_find_vqs(vdev, nvqs, vqs, info, NULL);
	if (err) {
		dev_err(&vdev->dev, "cannot set up %u virtqueue(s): %d\n",
			nvqs, err);
		goto out;
	}
	for (i = 0; i < nvqs; i++)
		vblk->vqs[i].vq = vqs[i];
out:
	kfree(vqs);
	kfree(info);
	return err;
}

static int virtblk_find_vqs(struct virtio_blk *vblk)
{
	int err;

	mutex_lock(&vblk->reset_lock);
	err = __virtblk_find_vqs(vblk);
	mutex_unlock(&vblk->reset_lock);
	return err;
}

/*
 * Reset the device, then take back and free its queues.  A request still
 * on a ring is requeued when @requeue (it runs again once the queues are
 * back, virtblk_restore()), and otherwise only its token is dropped: at
 * remove nothing is in flight, del_gendisk() waited for it, and a request
 * of a disk that was never live was failed by virtblk_fail_device().
 */
static void virtblk_del_vqs(struct virtio_blk *vblk, bool requeue)
{
	unsigned int i;

	mutex_lock(&vblk->reset_lock);
	virtblk_take_back(vblk, requeue ? VIRTBLK_REQUEUE : VIRTBLK_DROP);
	for (i = 0; i < vblk->num_vqs; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		vblk->vqs[i].vq = NULL;
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
	vblk->vdev->config->del_vqs(vblk->vdev);
	mutex_unlock(&vblk->reset_lock);
}

/* Limits, queue depth and pdu size from the device's config (§5.2.4). */
static int virtblk_read_config(struct virtio_blk *vblk,
			       struct queue_limits *lim)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned int i, ring = UINT_MAX, segs;
	u32 v, seg;

	for (i = 0; i < vblk->num_vqs; i++)
		ring = min(ring, virtqueue_get_vring_size(vblk->vqs[i].vq));
	/*
	 * A request takes a descriptor for its header, one per segment and
	 * one for the status, and no chain may be longer than the queue
	 * size (§2.7.5.3.1).
	 */
	if (ring < 3) {
		dev_err(&vdev->dev, "virtqueue of %u entries is too small\n",
			ring);
		return -EINVAL;
	}
	segs = min(ring - 2, VIRTBLK_MAX_SEGMENTS);

	/* seg_max counts data segments, without header and status. */
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SEG_MAX,
				  struct virtio_blk_config, seg_max, &v) && v)
		segs = min(segs, v);
	lim->max_segments = segs;

	/* Without size_max the block layer's 64 KiB default applies. */
	seg = BLK_MAX_SEGMENT_SIZE;
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SIZE_MAX,
				  struct virtio_blk_config, size_max, &v)) {
		if (v < PAGE_SIZE) {
			dev_err(&vdev->dev,
				"size_max %u is below the page size\n", v);
			return -EINVAL;
		}
		seg = v;
	}
	/*
	 * A segment the DMA API cannot map in one piece (swiotlb bounces at
	 * most dma_max_mapping_size()) would fail to map on every retry.
	 */
	lim->max_segment_size = min_t(size_t, seg, virtio_max_dma_size(vdev));
	/* The request format itself has no length limit. */
	lim->max_hw_sectors = UINT_MAX;

	/* §5.2.5: blk_size only tunes performance; sectors stay 512 bytes. */
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_BLK_SIZE,
				  struct virtio_blk_config, blk_size, &v)) {
		if (blk_validate_block_size(v))
			dev_warn(&vdev->dev,
				 "ignoring invalid block size %u, using 512\n",
				 v);
		else
			lim->logical_block_size = v;
	}

	/* §5.2.5.1: FLUSH without CONFIG_WCE means a writeback cache. */
	if (virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH))
		lim->features |= BLK_FEAT_WRITE_CACHE;

	vblk->tag_set.queue_depth = ring;
	vblk->tag_set.cmd_size = struct_size_t(struct virtblk_req, sg,
					       segs + 2);
	return 0;
}

static int virtblk_probe(struct virtio_device *vdev)
{
	struct queue_limits lim = { };
	struct virtio_blk *vblk;
	struct gendisk *disk;
	u64 capacity;
	int err;

	vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	if (!vblk)
		return -ENOMEM;
	vblk->vdev = vdev;
	vdev->priv = vblk;
	mutex_init(&vblk->reset_lock);

	err = ida_alloc_max(&virtblk_index_ida, VIRTBLK_MAX_DISKS - 1,
			    GFP_KERNEL);
	if (err < 0)
		goto out_free_vblk;
	vblk->index = err;

	err = virtblk_find_vqs(vblk);
	if (err)
		goto out_free_vqs;

	err = virtblk_read_config(vblk, &lim);
	if (err)
		goto out_del_vqs;

	vblk->tag_set.ops = &virtblk_mq_ops;
	vblk->tag_set.nr_hw_queues = vblk->num_vqs;
	vblk->tag_set.numa_node = NUMA_NO_NODE;
	vblk->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	vblk->tag_set.driver_data = vblk;
	err = blk_mq_alloc_tag_set(&vblk->tag_set);
	if (err) {
		dev_err(&vdev->dev, "cannot allocate tag set: %d\n", err);
		goto out_del_vqs;
	}

	disk = blk_mq_alloc_disk(&vblk->tag_set, &lim, vblk);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		dev_err(&vdev->dev, "cannot allocate disk: %d\n", err);
		goto out_free_tags;
	}
	vblk->disk = disk;
	disk->major = virtblk_major;
	disk->first_minor = vblk->index << VIRTBLK_PART_BITS;
	disk->minors = 1 << VIRTBLK_PART_BITS;
	disk->fops = &virtblk_fops;
	disk->private_data = vblk;
	virtblk_name_disk(disk->disk_name, vblk->index);

	/* §5.2.4: capacity is in 512-byte sectors, like sector_t. */
	virtio_cread(vdev, struct virtio_blk_config, capacity, &capacity);
	set_capacity(disk, capacity);
	/* §5.2.5: the device fails every write when RO is offered. */
	if (virtio_has_feature(vdev, VIRTIO_BLK_F_RO))
		set_disk_ro(disk, true);

	/* add_disk() reads the partition table: DRIVER_OK first (§3.1.1). */
	virtio_device_ready(vdev);

	err = device_add_disk(&vdev->dev, disk, NULL);
	if (err) {
		dev_err(&vdev->dev, "cannot add disk: %d\n", err);
		goto out_put_disk;
	}
	dev_info(&vdev->dev, "%s: %llu sectors, %u queue(s)\n",
		 disk->disk_name, capacity, vblk->num_vqs);
	return 0;

out_put_disk:
	put_disk(disk);
out_free_tags:
	blk_mq_free_tag_set(&vblk->tag_set);
out_del_vqs:
	virtblk_del_vqs(vblk, false);
out_free_vqs:
	kfree(vblk->vqs);
	ida_free(&virtblk_index_ida, vblk->index);
out_free_vblk:
	kfree(vblk);
	return err;
}

static void virtblk_remove(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = vdev->priv;

	/* Waits for every request, so nothing is in flight afterwards. */
	del_gendisk(vblk->disk);
	virtblk_del_vqs(vblk, false);
	put_disk(vblk->disk);
	blk_mq_free_tag_set(&vblk->tag_set);
	ida_free(&virtblk_index_ida, vblk->index);
	kfree(vblk->vqs);
	kfree(vblk);
}

static void virtblk_config_changed(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = vdev->priv;
	u64 capacity;

	/* A resize: the only change of §5.2.4 this driver acts on. */
	virtio_cread(vdev, struct virtio_blk_config, capacity, &capacity);
	set_capacity_and_notify(vblk->disk, capacity);
}

/*
 * Suspend: no new request reaches the device, the device is reset and what
 * it had not finished goes back to the block layer's requeue list.  Unlike
 * waiting for the requests in flight, this cannot hang on a device that
 * stopped answering, and a request the device completed just before the
 * reset runs once more on restore, which is harmless for a read, a write
 * of the same data or a flush.
 */
static int virtblk_freeze(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = vdev->priv;

	blk_mq_quiesce_queue(vblk->disk->queue);
	virtblk_del_vqs(vblk, true);
	return 0;
}

static int virtblk_restore(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;
	int err;

	err = virtblk_find_vqs(vblk);
	if (err) {
		/* Fail what waits, and what comes, rather than hang it. */
		blk_mark_disk_dead(vblk->disk);
	} else {
		virtio_device_ready(vdev);
	}
	blk_mq_unquiesce_queue(q);
	blk_mq_kick_requeue_list(q);
	return err;
}

static const unsigned int virtblk_features[] = {
	VIRTIO_BLK_F_SIZE_MAX,
	VIRTIO_BLK_F_SEG_MAX,
	VIRTIO_BLK_F_RO,	/* §5.2.6.1: accept it when offered */
	VIRTIO_BLK_F_BLK_SIZE,
	VIRTIO_BLK_F_FLUSH,
	VIRTIO_BLK_F_MQ,
};

static const struct virtio_device_id virtblk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(virtio, virtblk_id_table);

static struct virtio_driver virtblk_driver = {
	.driver.name		= KBUILD_MODNAME,
	.id_table		= virtblk_id_table,
	.feature_table		= virtblk_features,
	.feature_table_size	= ARRAY_SIZE(virtblk_features),
	.probe			= virtblk_probe,
	.remove			= virtblk_remove,
	.config_changed		= virtblk_config_changed,
	.freeze			= virtblk_freeze,
	.restore		= virtblk_restore,
};

static int __init virtblk_init(void)
{
	int err;

	virtblk_major = register_blkdev(0, "virtblk");
	if (virtblk_major < 0)
		return virtblk_major;

	err = register_virtio_driver(&virtblk_driver);
	if (err)
		unregister_blkdev(virtblk_major, "virtblk");
	return err;
}

static void __exit virtblk_exit(void)
{
	unregister_virtio_driver(&virtblk_driver);
	unregister_blkdev(virtblk_major, "virtblk");
}

module_init(virtblk_init);
module_exit(virtblk_exit);

MODULE_DESCRIPTION("Virtio block device driver");
MODULE_LICENSE("GPL");

#if IS_ENABLED(CONFIG_VIRTIO_BLK_KUNIT_TEST)
#include "virtio_blk_test.c"
#endif
