/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_VIRTIO_MOCK_H
#define _LINUX_VIRTIO_MOCK_H
/*
 * A virtio transport with no hardware behind it, for KUnit tests.  The test
 * plays the device: it chooses the features and config space offered,
 * watches the status the driver writes, takes available buffers off the
 * rings and returns them used -- or breaks the rules on purpose to see the
 * driver survive it.  See Documentation/driver-api/virtio/virtio.rst.
 *
 * Both ring layouts are played: split (VIRTIO 1.2 §2.7) and, when
 * VIRTIO_F_RING_PACKED was negotiated, packed (§2.8); each with indirect
 * descriptors and the event index when the driver negotiated them.
 */
#include <linux/bits.h>
#include <linux/types.h>
#include <uapi/linux/virtio_ring.h>

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
 * @queue_size: entries in each queue; a power of two for split rings, any
 *	size up to 32768 for packed ones.
 * @refuse_features_ok: the device refuses FEATURES_OK, as a device does
 *	that cannot work with the features the driver accepted.
 * @reset_never_finishes: once the driver set DRIVER_OK, a reset leaves the
 *	status as it was, as a device does that hangs while it runs: the mock,
 *	as a transport would, gives up on it with virtio_reset_failed().
 * @on_notify: called when the driver notifies a queue, in the driver's
 *	context; the device may use buffers from it.  May be NULL.
 * @on_config_get: called each time the driver reads config space, in the
 *	driver's context, with the offset and length of the read, after the
 *	mock copied the bytes; the device may change config from it
 *	(virtio_mock_set_config()), as a device that updates a field between
 *	two of the driver's accesses (§2.5.1).  May be NULL.
 * @ctx: passed to @on_notify and @on_config_get.
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
	bool reset_never_finishes;
	void (*on_notify)(struct virtio_mock_device *m, unsigned int qidx,
			  void *ctx);
	void (*on_config_get)(struct virtio_mock_device *m, unsigned int offset,
			      unsigned int len, void *ctx);
	void *ctx;
};

/* Most segments virtio_mock_pop_avail() hands back for one buffer. */
#define VIRTIO_MOCK_MAX_SEGS	16

/**
 * struct virtio_mock_buf - one available buffer, as the device sees it
 * @head: the id to return used: the index of the chain's first descriptor
 *	on a split ring, the buffer id of its last descriptor on a packed one.
 * @num: segments of the buffer: descriptors in the chain, or entries of
 *	the indirect table.
 * @indirect: the segments were read from an indirect table, which one
 *	ring descriptor pointed at (VIRTIO_RING_F_INDIRECT_DESC).
 * @out_len: bytes the device may read.
 * @in_len: bytes the device may write.
 * @seg: each segment: kernel address, length, device-writable or not.
 */
struct virtio_mock_buf {
	u16 head;
	unsigned int num;
	bool indirect;
	u32 out_len;
	u32 in_len;
	struct {
		void *addr;
		u32 len;
		bool write;
	} seg[VIRTIO_MOCK_MAX_SEGS];
};

/**
 * virtio_mock_packed_used_flags - flags of a used packed descriptor
 * @wrap: the device's wrap counter when it writes the descriptor
 *
 * For virtio_mock_write_packed_desc().
 *
 * Return: the AVAIL and the USED bit, both equal to @wrap (§2.8.1).
 */
static inline u16 virtio_mock_packed_used_flags(bool wrap)
{
	return wrap ? BIT(VRING_PACKED_DESC_F_AVAIL) |
		      BIT(VRING_PACKED_DESC_F_USED) : 0;
}

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
void virtio_mock_get_config(struct virtio_mock_device *m, unsigned int offset,
			    void *buf, unsigned int len);
void virtio_mock_needs_reset(struct virtio_mock_device *m);

/* Both layouts. */
unsigned int virtio_mock_notifications(struct virtio_mock_device *m,
				       unsigned int qidx);
int virtio_mock_pop_avail(struct virtio_mock_device *m, unsigned int qidx,
			  struct virtio_mock_buf *buf);
void virtio_mock_push_used(struct virtio_mock_device *m, unsigned int qidx,
			   u32 id, u32 len);
bool virtio_mock_should_interrupt(struct virtio_mock_device *m,
				  unsigned int qidx);
int virtio_mock_interrupt(struct virtio_mock_device *m, unsigned int qidx);

/* Split rings only. */
void virtio_mock_write_used(struct virtio_mock_device *m, unsigned int qidx,
			    u16 slot, u32 id, u32 len);
void virtio_mock_set_used_idx(struct virtio_mock_device *m, unsigned int qidx,
			      u16 idx);
u16 virtio_mock_avail_flags(struct virtio_mock_device *m, unsigned int qidx);
void virtio_mock_set_used_flags(struct virtio_mock_device *m,
				unsigned int qidx, u16 flags);
u16 virtio_mock_used_event(struct virtio_mock_device *m, unsigned int qidx);
void virtio_mock_set_avail_event(struct virtio_mock_device *m,
				 unsigned int qidx, u16 idx);

/* Packed rings only. */
void virtio_mock_write_packed_desc(struct virtio_mock_device *m,
				   unsigned int qidx, u16 pos, u16 id, u32 len,
				   u16 flags);
u16 virtio_mock_driver_event(struct virtio_mock_device *m, unsigned int qidx,
			     u16 *off_wrap);
void virtio_mock_set_device_event(struct virtio_mock_device *m,
				  unsigned int qidx, u16 flags, u16 off_wrap);

#endif /* _LINUX_VIRTIO_MOCK_H */
