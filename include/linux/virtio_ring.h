/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_VIRTIO_RING_H
#define _LINUX_VIRTIO_RING_H
/*
 * The virtqueue implementation as transports see it: create a ring in
 * DMA-able memory, learn where its parts live so the device can be told,
 * forward the device's interrupts, and tear it down.  Transports never
 * look inside the ring; drivers use struct virtqueue_ops.
 */
#include <linux/types.h>
#include <linux/interrupt.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>

struct device;
struct virtio_device;
struct virtqueue;

/**
 * struct vring_params - how a transport wants a virtqueue laid out
 * @index: the queue's index on the device.
 * @num: the queue size; a power of two for the split ring (§2.7).
 * @num_max: the largest size the device allows; 0 when it is @num.
 * @align: alignment of the used ring: 4 for VERSION_1 devices, the
 *	transport's legacy alignment (4096 on PCI) otherwise.
 * @dma_dev: the device that performs DMA on the ring and the buffers.
 * @notify: tell the device there are new available buffers; returns
 *	false when the device is gone, which breaks the queue.
 * @callback: an upstream-API driver's void callback (struct virtqueue_info).
 * @seed_callback: a seed-API driver's callback; at most one of the two.
 * @name: the queue's name.
 * @priv: stored in the queue's priv field for the transport.
 */
struct vring_params {
	unsigned int index;
	unsigned int num;
	unsigned int num_max;
	unsigned int align;
	struct device *dma_dev;
	bool (*notify)(struct virtqueue *vq);
	void (*callback)(struct virtqueue *vq);
	bool (*seed_callback)(struct virtqueue *vq);
	const char *name;
	void *priv;
};

/* Does the driver want to hear of used buffers on this queue? */
static inline bool virtqueue_info_has_callback(const struct virtqueue_info *info)
{
	return info->callback || info->seed_callback;
}

/*
 * Step through find_vqs' entries: returns @info's device queue index and
 * moves *@next past it (see struct virtqueue_info).
 */
static inline unsigned int virtqueue_info_index(const struct virtqueue_info *info,
						unsigned int *next)
{
	unsigned int index = *next;

	if (info->name || info->keep_index)
		(*next)++;
	return index;
}

struct virtqueue *vring_create_virtqueue(struct virtio_device *vdev,
					 const struct vring_params *params);
void vring_del_virtqueue(struct virtqueue *vq);
irqreturn_t vring_interrupt(int irq, void *vq);
u64 vring_transport_features(void);
void virtqueue_break(struct virtqueue *vq);
void vring_notify_deferred(struct virtqueue *vq);

dma_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq);
dma_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq);
dma_addr_t virtqueue_get_used_addr(const struct virtqueue *vq);

#endif /* _LINUX_VIRTIO_RING_H */
