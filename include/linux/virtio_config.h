/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_VIRTIO_CONFIG_H
#define _LINUX_VIRTIO_CONFIG_H
/*
 * The generic config-space interface: how a driver reads the setup
 * information its device offers, and how the bus core and transports
 * negotiate features and walk the device status (VIRTIO 1.2 §2.1, §2.2,
 * §2.5, §3.1).
 */
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/virtio.h>
#include <linux/virtio_byteorder.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_types.h>

struct virtqueue;

/**
 * struct virtqueue_info - what a driver asks of one virtqueue
 * @name: the queue's name, for messages and interrupt names.
 * @callback: called when the device has used buffers; may be NULL.
 *	Runs in interrupt context.
 */
struct virtqueue_info {
	const char *name;
	bool (*callback)(struct virtqueue *vq);
};

/**
 * struct virtio_config_ops - what a transport provides to the bus core
 * @get: read @len bytes of device config space at @offset into @buf.
 *	Multi-byte fields come back in the device's byte order; use the
 *	virtio_cread*() helpers rather than calling this directly.
 * @set: write @len bytes from @buf to device config space at @offset.
 * @generation: config generation counter (§2.5.1), or NULL when the
 *	transport has none.
 * @get_status: read the device status byte (§2.1).
 * @set_status: write the device status byte; never 0 (use @reset).
 * @reset: reset the device and wait until it reads back status 0, then
 *	for the device's interrupt handlers that are still running: once it
 *	returns, no callback runs on the old state, so the driver may take
 *	its buffers back and free them.  A device that does not finish the
 *	reset within a bound is marked broken instead of waited for.
 * @get_features: the feature bits the device offers.
 * @finalize_features: tell the device which features the driver accepted
 *	(vdev->features).  Returns 0 or a negative errno when the transport
 *	cannot work with that set.
 * @find_vqs: set up @nvqs virtqueues described by @info into @vqs.  A
 *	NULL @info[i].name leaves @vqs[i] NULL.  Returns 0 or negative errno.
 * @del_vqs: free every virtqueue of the device; the device must be reset.
 * @bus_name: name of the transport's underlying device, for messages.
 */
struct virtio_config_ops {
	void (*get)(struct virtio_device *vdev, unsigned int offset,
		    void *buf, unsigned int len);
	void (*set)(struct virtio_device *vdev, unsigned int offset,
		    const void *buf, unsigned int len);
	u32 (*generation)(struct virtio_device *vdev);
	u8 (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, u8 status);
	void (*reset)(struct virtio_device *vdev);
	u64 (*get_features)(struct virtio_device *vdev);
	int (*finalize_features)(struct virtio_device *vdev);
	int (*find_vqs)(struct virtio_device *vdev, unsigned int nvqs,
			struct virtqueue *vqs[],
			const struct virtqueue_info info[]);
	void (*del_vqs)(struct virtio_device *vdev);
	const char *(*bus_name)(struct virtio_device *vdev);
};

/**
 * virtio_has_feature - was a feature bit negotiated with the device?
 * @vdev: the device
 * @fbit: the feature bit number
 *
 * Valid from the driver's probe on: the bus core negotiates before it.
 */
static inline bool virtio_has_feature(const struct virtio_device *vdev,
				      unsigned int fbit)
{
	return fbit < 64 && (vdev->features & BIT_ULL(fbit));
}

/**
 * virtio_is_little_endian - byte order of the device's rings and config
 * @vdev: the device
 *
 * VERSION_1 devices are little-endian; legacy devices use the guest's own
 * byte order (VIRTIO 1.2 §2.4.3 and the legacy interface sections).
 */
static inline bool virtio_is_little_endian(const struct virtio_device *vdev)
{
#ifdef __LITTLE_ENDIAN
	return true;
#else
	return virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
#endif
}

static inline u16 virtio16_to_cpu(const struct virtio_device *vdev,
				  __virtio16 val)
{
	if (virtio_is_little_endian(vdev))
		return le16_to_cpu((__force __le16)val);
	return (__force u16)val;
}

static inline __virtio16 cpu_to_virtio16(const struct virtio_device *vdev,
					 u16 val)
{
	if (virtio_is_little_endian(vdev))
		return (__force __virtio16)cpu_to_le16(val);
	return (__force __virtio16)val;
}

static inline u32 virtio32_to_cpu(const struct virtio_device *vdev,
				  __virtio32 val)
{
	if (virtio_is_little_endian(vdev))
		return le32_to_cpu((__force __le32)val);
	return (__force u32)val;
}

static inline __virtio32 cpu_to_virtio32(const struct virtio_device *vdev,
					 u32 val)
{
	if (virtio_is_little_endian(vdev))
		return (__force __virtio32)cpu_to_le32(val);
	return (__force __virtio32)val;
}

static inline u64 virtio64_to_cpu(const struct virtio_device *vdev,
				  __virtio64 val)
{
	if (virtio_is_little_endian(vdev))
		return le64_to_cpu((__force __le64)val);
	return (__force u64)val;
}

static inline __virtio64 cpu_to_virtio64(const struct virtio_device *vdev,
					 u64 val)
{
	if (virtio_is_little_endian(vdev))
		return (__force __virtio64)cpu_to_le64(val);
	return (__force __virtio64)val;
}

void virtio_config_read(struct virtio_device *vdev, unsigned int offset,
			void *buf, unsigned int len);

/**
 * virtio_cread8 - read a byte of device config space
 * @vdev: the device
 * @offset: offset of the field in the device's config structure
 */
static inline u8 virtio_cread8(struct virtio_device *vdev, unsigned int offset)
{
	u8 v;

	vdev->config->get(vdev, offset, &v, sizeof(v));
	return v;
}

/**
 * virtio_cread16 - read a 16-bit config field in CPU byte order
 * @vdev: the device
 * @offset: offset of the field in the device's config structure
 */
static inline u16 virtio_cread16(struct virtio_device *vdev,
				 unsigned int offset)
{
	__virtio16 v;

	virtio_config_read(vdev, offset, &v, sizeof(v));
	return virtio16_to_cpu(vdev, v);
}

/**
 * virtio_cread32 - read a 32-bit config field in CPU byte order
 * @vdev: the device
 * @offset: offset of the field in the device's config structure
 */
static inline u32 virtio_cread32(struct virtio_device *vdev,
				 unsigned int offset)
{
	__virtio32 v;

	virtio_config_read(vdev, offset, &v, sizeof(v));
	return virtio32_to_cpu(vdev, v);
}

/**
 * virtio_cread64 - read a 64-bit config field in CPU byte order
 * @vdev: the device
 * @offset: offset of the field in the device's config structure
 *
 * The read is retried until the config generation is stable, so the two
 * halves always belong to the same value (VIRTIO 1.2 §2.5.1).
 */
static inline u64 virtio_cread64(struct virtio_device *vdev,
				 unsigned int offset)
{
	__virtio64 v;

	virtio_config_read(vdev, offset, &v, sizeof(v));
	return virtio64_to_cpu(vdev, v);
}

static inline void virtio_cwrite8(struct virtio_device *vdev,
				  unsigned int offset, u8 val)
{
	vdev->config->set(vdev, offset, &val, sizeof(val));
}

static inline void virtio_cwrite16(struct virtio_device *vdev,
				   unsigned int offset, u16 val)
{
	__virtio16 v = cpu_to_virtio16(vdev, val);

	vdev->config->set(vdev, offset, &v, sizeof(v));
}

static inline void virtio_cwrite32(struct virtio_device *vdev,
				   unsigned int offset, u32 val)
{
	__virtio32 v = cpu_to_virtio32(vdev, val);

	vdev->config->set(vdev, offset, &v, sizeof(v));
}

/**
 * virtio_cread_feature - read a config field that a feature bit guards
 * @vdev: the device
 * @fbit: the feature bit that makes the field valid
 * @structname: the device's config structure type
 * @member: the field
 * @ptr: where to store the value, in CPU byte order
 *
 * Return: 0, or -ENOENT (leaving *@ptr alone) when @fbit was not negotiated.
 */
#define virtio_cread_feature(vdev, fbit, structname, member, ptr)	\
	({								\
		struct virtio_device *_fvdev = (vdev);			\
		int _r = 0;						\
		if (!virtio_has_feature(_fvdev, fbit))			\
			_r = -ENOENT;					\
		else							\
			virtio_cread(_fvdev, structname, member, ptr);	\
		_r;							\
	})

/**
 * virtio_cread - read a config field by name, in CPU byte order
 * @vdev: the device
 * @structname: the device's config structure type (from the uapi header)
 * @member: the field
 * @ptr: where to store the value
 */
#define virtio_cread(vdev, structname, member, ptr)			\
	do {								\
		struct virtio_device *_vdev = (vdev);			\
		typeof(ptr) _ptr = (ptr);				\
		unsigned int _off = offsetof(structname, member);	\
		switch (sizeof(*_ptr)) {				\
		case 1:							\
			*_ptr = virtio_cread8(_vdev, _off);		\
			break;						\
		case 2:							\
			*_ptr = virtio_cread16(_vdev, _off);		\
			break;						\
		case 4:							\
			*_ptr = virtio_cread32(_vdev, _off);		\
			break;						\
		case 8:							\
			*_ptr = virtio_cread64(_vdev, _off);		\
			break;						\
		default:						\
			BUILD_BUG();					\
		}							\
	} while (0)

/**
 * virtio_find_vqs - set up a device's virtqueues
 * @vdev: the device
 * @nvqs: how many queues
 * @vqs: filled with the queues
 * @info: name and callback of each queue
 *
 * Return: 0 or a negative errno.
 */
static inline int virtio_find_vqs(struct virtio_device *vdev,
				  unsigned int nvqs, struct virtqueue *vqs[],
				  const struct virtqueue_info info[])
{
	return vdev->config->find_vqs(vdev, nvqs, vqs, info);
}

/**
 * virtio_find_single_vq - set up a device's only virtqueue
 * @vdev: the device
 * @callback: called when the device used buffers; may be NULL
 * @name: the queue's name
 *
 * Return: the queue or an ERR_PTR().
 */
static inline struct virtqueue *
virtio_find_single_vq(struct virtio_device *vdev,
		      bool (*callback)(struct virtqueue *vq), const char *name)
{
	const struct virtqueue_info info = { .name = name, .callback = callback };
	struct virtqueue *vq;
	int err;

	err = virtio_find_vqs(vdev, 1, &vq, &info);
	return err ? ERR_PTR(err) : vq;
}

#endif /* _LINUX_VIRTIO_CONFIG_H */
