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
#include <uapi/linux/virtio_ring.h>

struct device;
struct virtio_device;
struct virtqueue;

/**
 * struct vring_params - how a transport wants a virtqueue laid out
 * @index: the queue's index on the device.
 * @num: the queue size; a power of two for the split ring (§2.7).
 * @align: alignment of the used ring: 4 for VERSION_1 devices, the
 *	transport's legacy alignment (4096 on PCI) otherwise.
 * @dma_dev: the device that performs DMA on the ring and the buffers.
 * @notify: tell the device there are new available buffers; returns
 *	false when the device is gone, which breaks the queue.
 * @callback: the driver's callback (struct virtqueue_info).
 * @name: the queue's name.
 * @priv: stored in the queue's priv field for the transport.
 */
struct vring_params {
	unsigned int index;
	unsigned int num;
	unsigned int align;
	struct device *dma_dev;
	bool (*notify)(struct virtqueue *vq);
	bool (*callback)(struct virtqueue *vq);
	const char *name;
	void *priv;
};

struct virtqueue *vring_create_virtqueue(struct virtio_device *vdev,
					 const struct vring_params *params);
void vring_del_virtqueue(struct virtqueue *vq);
irqreturn_t vring_interrupt(int irq, void *vq);
u64 vring_transport_features(void);
void virtqueue_break(struct virtqueue *vq);

dma_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq);
dma_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq);
dma_addr_t virtqueue_get_used_addr(const struct virtqueue *vq);

#endif /* _LINUX_VIRTIO_RING_H */
