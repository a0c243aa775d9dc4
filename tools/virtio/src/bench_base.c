// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's side for the base tree's drivers/virtio/virtio_ring.c,
 * through the upstream API (see bench.h).  VIRTIO_F_ACCESS_PLATFORM is
 * negotiated so that it maps buffers through the DMA API as ours always
 * does (the same identity-mapping shim serves both).
 */
#include <stdlib.h>
#include <string.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include "bench.h"

struct base_dev {
	struct virtio_device vdev;
	struct device dma_dev;
	struct virtqueue *vq;
};

static bool notify(struct virtqueue *vq)
{
	return true;
}

static void callback(struct virtqueue *vq)
{
}

static void *open_q(bool packed, bool indirect, unsigned int num,
		    uint64_t addr[3])
{
	struct base_dev *d = calloc(1, sizeof(*d));

	d->vdev.dev.name = "base0";
	d->vdev.dev.parent = &d->dma_dev;	/* the DMA device */
	d->vdev.features = BIT_ULL(VIRTIO_F_VERSION_1) |
			   BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
			   BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
			   (packed ? BIT_ULL(VIRTIO_F_RING_PACKED) : 0) |
			   (indirect ? BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) : 0);
	INIT_LIST_HEAD(&d->vdev.vqs);
	spin_lock_init(&d->vdev.vqs_list_lock);
	d->vq = vring_create_virtqueue(0, num, 4, &d->vdev, true, false, false,
				       notify, callback, "vq0");
	if (!d->vq || virtqueue_get_vring_size(d->vq) != num)
		abort();
	addr[0] = virtqueue_get_desc_addr(d->vq);
	addr[1] = virtqueue_get_avail_addr(d->vq);
	addr[2] = virtqueue_get_used_addr(d->vq);
	return d;
}

static void prep(struct bench_req *r)
{
	sg_init_one(&r->sg[0], r->out, r->olen);
	sg_init_one(&r->sg[1], r->in, r->ilen);
	r->sgs[0] = &r->sg[0];
	r->sgs[1] = &r->sg[1];
}

static int add(void *q, struct bench_req *r)
{
	return virtqueue_add_sgs(((struct base_dev *)q)->vq, r->sgs, 1, 1, r,
				 GFP_ATOMIC);
}

static void kick(void *q)
{
	virtqueue_kick(((struct base_dev *)q)->vq);
}

static void *get(void *q, unsigned int *len)
{
	return virtqueue_get_buf(((struct base_dev *)q)->vq, len);
}

static void interrupt(void *q)
{
	vring_interrupt(0, ((struct base_dev *)q)->vq);
}

static void close_q(void *q)
{
	struct base_dev *d = q;

	while (virtqueue_detach_unused_buf(d->vq))
		;
	vring_del_virtqueue(d->vq);
	free(d);
}

const struct bench_ring bench_base = {
	.name = "base", .open = open_q, .prep = prep, .add = add,
	.kick = kick, .get = get, .interrupt = interrupt, .close = close_q,
};
