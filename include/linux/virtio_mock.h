/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_VIRTIO_MOCK_H
#define _LINUX_VIRTIO_MOCK_H
/*
 * A virtio transport with no hardware behind it, for KUnit tests.  The test
 * plays the device: it chooses the features and config space offered,
 * watches the status the driver writes, takes available buffers off the
 * rings and returns them used -- or breaks the rules on purpose to see the
 * driver survive it.  See Documentation/driver-api/virtio/virtio.rst.
 */
#include <linux/types.h>

struct virtio_device;
struct virtio_mock_device;

/**
 * struct virtio_mock_params - the device a test wants
 * @device_id: virtio device id (VIRTIO_ID_*), matched against drivers.
 * @vendor_id: vendor id.
 * @features: feature bits the device offers.
 * @config: initial device config space; may be NULL.
 * @config_len: bytes of @config (at most 256).
 * @num_queues: how many virtqueues the device has (at most 8).
 * @queue_size: entries in each queue; a power of two.
 * @refuse_features_ok: the device refuses FEATURES_OK, as a device does
 *	that cannot work with the features the driver accepted.
 * @on_notify: called when the driver notifies a queue, in the driver's
 *	context; the device may use buffers from it.  May be NULL.
 * @ctx: passed to @on_notify.
 */
struct virtio_mock_params {
	u32 device_id;
	u32 vendor_id;
	u64 features;
	const void *config;
	unsigned int config_len;
	unsigned int num_queues;
	unsigned int queue_size;
	bool refuse_features_ok;
	void (*on_notify)(struct virtio_mock_device *m, unsigned int qidx,
			  void *ctx);
	void *ctx;
};

/**
 * struct virtio_mock_buf - one available buffer, as the device sees it
 * @head: the id to return in the used ring.
 * @num: descriptors in the chain.
 * @out_len: bytes the device may read.
 * @in_len: bytes the device may write.
 * @seg: each descriptor: kernel address, length, device-writable or not.
 */
struct virtio_mock_buf {
	u16 head;
	unsigned int num;
	u32 out_len;
	u32 in_len;
	struct {
		void *addr;
		u32 len;
		bool write;
	} seg[16];
};

struct virtio_mock_device *virtio_mock_create(const struct virtio_mock_params *p);
void virtio_mock_destroy(struct virtio_mock_device *m);
struct virtio_device *virtio_mock_vdev(struct virtio_mock_device *m);

int virtio_mock_activate(struct virtio_mock_device *m, u64 features);
u8 virtio_mock_status(struct virtio_mock_device *m);
unsigned int virtio_mock_status_log(struct virtio_mock_device *m,
				    const u8 **log);
u64 virtio_mock_driver_features(struct virtio_mock_device *m);
void virtio_mock_set_config(struct virtio_mock_device *m, unsigned int offset,
			    const void *buf, unsigned int len);

unsigned int virtio_mock_notifications(struct virtio_mock_device *m,
				       unsigned int qidx);
int virtio_mock_pop_avail(struct virtio_mock_device *m, unsigned int qidx,
			  struct virtio_mock_buf *buf);
void virtio_mock_push_used(struct virtio_mock_device *m, unsigned int qidx,
			   u32 id, u32 len);
void virtio_mock_write_used(struct virtio_mock_device *m, unsigned int qidx,
			    u16 slot, u32 id, u32 len);
void virtio_mock_set_used_idx(struct virtio_mock_device *m, unsigned int qidx,
			      u16 idx);
u16 virtio_mock_avail_flags(struct virtio_mock_device *m, unsigned int qidx);
void virtio_mock_set_used_flags(struct virtio_mock_device *m,
				unsigned int qidx, u16 flags);
int virtio_mock_interrupt(struct virtio_mock_device *m, unsigned int qidx);

#endif /* _LINUX_VIRTIO_MOCK_H */
