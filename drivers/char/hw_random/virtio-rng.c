// SPDX-License-Identifier: GPL-2.0-only
/*
 * hw_random driver for the virtio entropy device (VIRTIO 1.2 §5.4).
 *
 * One driver-owned buffer goes back and forth on the requestq: posted
 * device-writable, returned holding some random bytes, handed out to
 * hw_random reads until used up, then posted again at once so that the
 * next read usually finds bytes waiting.
 */
#include <linux/completion.h>
#include <linux/hw_random.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ids.h>

#define VIRTRNG_BUF_SIZE	64U

static DEFINE_IDA(virtrng_index_ida);

struct virtrng {
	struct hwrng hwrng;
	struct virtqueue *vq;
	spinlock_t lock;		/* vq operations and the fields below */
	struct completion filled;	/* the device returned the buffer */
	bool posted;			/* the buffer belongs to the device */
	bool gone;			/* removed, or not restored: reads fail */
	bool frozen;			/* no requestq: reads wait */
	unsigned int avail;		/* unread bytes in buf, from off */
	unsigned int off;
	int index;
	char name[24];
	u8 *buf;			/* DMA-able: not on the stack */
};

static bool virtrng_done(struct virtqueue *vq)
{
	struct virtrng *vr = vq->vdev->priv;
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&vr->lock, flags);
	do {
		while (vq->vq_ops->get_buf(vq, &len)) {
			/*
			 * §5.4.6.1: the used length is the number of random
			 * bytes, but never more than was posted.
			 */
			vr->avail = min(len, VIRTRNG_BUF_SIZE);
			vr->off = 0;
			vr->posted = false;
			complete(&vr->filled);
		}
	} while (!vq->vq_ops->restart(vq));
	spin_unlock_irqrestore(&vr->lock, flags);
	return true;
}

/* Give the buffer to the device.  Called with vr->lock held. */
static int virtrng_post(struct virtrng *vr)
{
	struct scatterlist sg;
	int err;

	/* §5.4.6.1: never a device-readable buffer. */
	sg_init_one(&sg, vr->buf, VIRTRNG_BUF_SIZE);
	err = vr->vq->vq_ops->add_buf(vr->vq, &sg, 0, 1, vr);
	if (err)
		return err;
	vr->posted = true;
	reinit_completion(&vr->filled);
	vr->vq->vq_ops->kick(vr->vq);
	return 0;
}

static int virtrng_read(struct hwrng *hwrng, void *data, size_t max,
			bool wait)
{
	struct virtrng *vr = container_of(hwrng, struct virtrng, hwrng);
	unsigned int n;
	int err;

	spin_lock_irq(&vr->lock);
	while (!vr->avail) {
		err = vr->gone ? -ENODEV : 0;
		/* Frozen: virtrng_restore() posts and wakes us. */
		if (!err && !vr->posted && !vr->frozen)
			err = virtrng_post(vr);
		spin_unlock_irq(&vr->lock);
		if (err || !wait)
			return err;

		/* Interruptible: the device may never answer. */
		err = wait_for_completion_interruptible(&vr->filled);
		if (err)
			return err;
		spin_lock_irq(&vr->lock);
	}

	n = min_t(size_t, max, vr->avail);
	memcpy(data, vr->buf + vr->off, n);
	vr->off += n;
	vr->avail -= n;
	/* On failure the next read posts again and reports the error. */
	if (!vr->avail && !vr->gone && !vr->frozen)
		virtrng_post(vr);
	spin_unlock_irq(&vr->lock);
	return n;
}

/* §5.4.2: a single queue, requestq. */
static int virtrng_find_vq(struct virtio_device *vdev)
{
	struct virtqueue_info info = {
		.name = "requestq", .seed_callback = virtrng_done,
	};
	struct virtrng *vr = vdev->priv;
	struct virtqueue *vq;
	int err;

	err = virtio_find_vqs(vdev, 1, &vq, &info, NULL);
	if (err) {
		dev_err(&vdev->dev, "cannot set up requestq: %d\n", err);
		return err;
	}
	spin_lock_irq(&vr->lock);
	vr->vq = vq;
	spin_unlock_irq(&vr->lock);
	return 0;
}

/*
 * Reset the device, then take back and free the requestq.  Callers have
 * made sure no read posts meanwhile (gone or frozen).
 */
static void virtrng_del_vq(struct virtrng *vr)
{
	struct virtio_device *vdev = vr->vq->vdev;

	virtio_reset_device(vdev);
	spin_lock_irq(&vr->lock);
	vr->vq->vq_ops->shutdown(vr->vq);
	/* The only token is vr itself: nothing to free with it. */
	while (vr->vq->vq_ops->detach_unused_buf(vr->vq))
		;
	vr->posted = false;
	vr->vq = NULL;
	spin_unlock_irq(&vr->lock);
	vdev->config->del_vqs(vdev);
}

static int virtrng_probe(struct virtio_device *vdev)
{
	struct virtrng *vr;
	int err;

	vr = kzalloc(sizeof(*vr), GFP_KERNEL);
	if (!vr)
		return -ENOMEM;
	spin_lock_init(&vr->lock);
	init_completion(&vr->filled);
	vdev->priv = vr;

	/* Its own allocation: the device writes it by DMA. */
	vr->buf = kmalloc(VIRTRNG_BUF_SIZE, GFP_KERNEL);
	if (!vr->buf) {
		err = -ENOMEM;
		goto out_free;
	}

	err = ida_alloc(&virtrng_index_ida, GFP_KERNEL);
	if (err < 0)
		goto out_free;
	vr->index = err;
	/* hw_random refuses two sources of the same name. */
	snprintf(vr->name, sizeof(vr->name), "virtio_rng.%d", vr->index);

	err = virtrng_find_vq(vdev);
	if (err)
		goto out_free_index;

	vr->hwrng.name = vr->name;
	vr->hwrng.read = virtrng_read;

	/* hwrng_register() may start reading at once: DRIVER_OK first. */
	virtio_device_ready(vdev);

	err = hwrng_register(&vr->hwrng);
	if (err) {
		dev_err(&vdev->dev, "cannot register %s: %d\n", vr->name, err);
		goto out_del_vq;
	}
	return 0;

out_del_vq:
	virtrng_del_vq(vr);
out_free_index:
	ida_free(&virtrng_index_ida, vr->index);
out_free:
	kfree(vr->buf);
	kfree(vr);
	return err;
}

static void virtrng_remove(struct virtio_device *vdev)
{
	struct virtrng *vr = vdev->priv;

	/*
	 * A reader waiting for the device holds a reference that
	 * hwrng_unregister() waits for: wake it and turn it away.
	 */
	spin_lock_irq(&vr->lock);
	vr->gone = true;
	complete(&vr->filled);
	spin_unlock_irq(&vr->lock);

	hwrng_unregister(&vr->hwrng);
	/* None after a restore that failed. */
	if (vr->vq)
		virtrng_del_vq(vr);
	ida_free(&virtrng_index_ida, vr->index);
	kfree(vr->buf);
	kfree(vr);
}

/*
 * Suspend: a read that finds no bytes waits (its buffer was taken back
 * with the reset) until virtrng_restore() posts the buffer again.  Bytes
 * the device gave before are still handed out.
 */
static int virtrng_freeze(struct virtio_device *vdev)
{
	struct virtrng *vr = vdev->priv;

	spin_lock_irq(&vr->lock);
	vr->frozen = true;
	spin_unlock_irq(&vr->lock);
	virtrng_del_vq(vr);
	return 0;
}

static int virtrng_restore(struct virtio_device *vdev)
{
	struct virtrng *vr = vdev->priv;
	int err;

	err = virtrng_find_vq(vdev);
	if (err) {
		spin_lock_irq(&vr->lock);
		vr->gone = true;
		complete(&vr->filled);
		spin_unlock_irq(&vr->lock);
		return err;
	}
	virtio_device_ready(vdev);
	spin_lock_irq(&vr->lock);
	vr->frozen = false;
	/* A reader may be waiting for it. */
	if (!vr->avail && !vr->gone)
		virtrng_post(vr);
	spin_unlock_irq(&vr->lock);
	return 0;
}

static const struct virtio_device_id virtrng_id_table[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(virtio, virtrng_id_table);

static struct virtio_driver virtrng_driver = {
	.driver.name	= KBUILD_MODNAME,
	.id_table	= virtrng_id_table,
	.probe		= virtrng_probe,
	.remove		= virtrng_remove,
	.freeze		= virtrng_freeze,
	.restore	= virtrng_restore,
};
module_virtio_driver(virtrng_driver);

MODULE_DESCRIPTION("Virtio entropy device driver");
MODULE_LICENSE("GPL");
