/* SPDX-License-Identifier: GPL-2.0 */
/* Creating one of our virtqueues on a fake device, for the harnesses. */
#ifndef _OURS_H
#define _OURS_H
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include "sim.h"

struct ours_dev {
	struct virtio_device vdev;
	struct device dma_dev;
	struct virtqueue *vq;
};

/* ACCESS_PLATFORM: the ring maps through the DMA API, which shim.c checks. */
static inline u64 ours_features(bool packed, bool indirect, bool event)
{
	return BIT_ULL(VIRTIO_F_VERSION_1) |
	       BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
	       (packed ? BIT_ULL(VIRTIO_F_RING_PACKED) : 0) |
	       (indirect ? BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) : 0) |
	       (event ? BIT_ULL(VIRTIO_RING_F_EVENT_IDX) : 0);
}

/* Returns 0, or the creation error; the device is DRIVER_OK (ready). */
static inline int ours_create(struct ours_dev *d, u64 features,
			      unsigned int num, bool (*notify)(struct virtqueue *),
			      bool (*callback)(struct virtqueue *), void *priv)
{
	struct vring_params p = {
		.index = 0, .num = num, .align = 4, .dma_dev = &d->dma_dev,
		.notify = notify, .seed_callback = callback, .name = "vq0",
		.priv = priv,
	};

	memset(d, 0, sizeof(*d));
	d->vdev.dev.name = "sim0";
	d->dma_dev.name = "sim0-dma";
	d->vdev.features = features;
	INIT_LIST_HEAD(&d->vdev.vqs);
	spin_lock_init(&d->vdev.vqs_lock);
	d->vq = vring_create_virtqueue(&d->vdev, &p);
	if (IS_ERR(d->vq))
		return (int)PTR_ERR(d->vq);
	smp_store_release(&d->vdev.ready, true);
	return 0;
}

static inline void ours_sim_init(struct ours_dev *d, struct sim *s)
{
	sim_init(s, virtio_has_feature(&d->vdev, VIRTIO_F_RING_PACKED),
		 virtio_has_feature(&d->vdev, VIRTIO_RING_F_EVENT_IDX),
		 virtqueue_get_vring_size(d->vq),
		 virtqueue_get_desc_addr(d->vq), virtqueue_get_avail_addr(d->vq),
		 virtqueue_get_used_addr(d->vq));
	s->check_dma = true;
}

#endif
