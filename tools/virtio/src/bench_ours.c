// SPDX-License-Identifier: GPL-2.0
/* The benchmark's side for our ring (see bench.h). */
#include <stdlib.h>
#include "ours.h"
#include "bench.h"

static bool notify(struct virtqueue *vq)
{
	return true;
}

static bool callback(struct virtqueue *vq)
{
	return true;	/* the benchmark collects with get_buf */
}

static void *open_q(bool packed, bool indirect, unsigned int num,
		    uint64_t addr[3])
{
	struct ours_dev *d = malloc(sizeof(*d));

	if (ours_create(d, ours_features(packed, indirect, true), num, notify,
			callback, NULL))
		abort();
	addr[0] = virtqueue_get_desc_addr(d->vq);
	addr[1] = virtqueue_get_avail_addr(d->vq);
	addr[2] = virtqueue_get_used_addr(d->vq);
	return d;
}

static void prep(struct bench_req *r)
{
	sg_init_table(r->sg, 2);
	sg_set_buf(&r->sg[0], r->out, r->olen);
	sg_set_buf(&r->sg[1], r->in, r->ilen);
}

static int add(void *q, struct bench_req *r)
{
	struct virtqueue *vq = ((struct ours_dev *)q)->vq;

	return vq->vq_ops->add_buf(vq, r->sg, 1, 1, r);
}

static void kick(void *q)
{
	struct virtqueue *vq = ((struct ours_dev *)q)->vq;

	vq->vq_ops->kick(vq);
}

static void *get(void *q, unsigned int *len)
{
	struct virtqueue *vq = ((struct ours_dev *)q)->vq;

	return vq->vq_ops->get_buf(vq, len);
}

static void interrupt(void *q)
{
	vring_interrupt(0, ((struct ours_dev *)q)->vq);
}

static void close_q(void *q)
{
	struct ours_dev *d = q;

	smp_store_release(&d->vdev.ready, false);
	d->vq->vq_ops->shutdown(d->vq);
	while (d->vq->vq_ops->detach_unused_buf(d->vq))
		;
	vring_del_virtqueue(d->vq);
	free(d);
}

const struct bench_ring bench_ours = {
	.name = "ours", .open = open_q, .prep = prep, .add = add,
	.kick = kick, .get = get, .interrupt = interrupt, .close = close_q,
};
