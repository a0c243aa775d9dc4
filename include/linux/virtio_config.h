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
#include <linux/err.h>
#include <linux/virtio.h>
#include <linux/virtio_byteorder.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_types.h>

struct virtqueue;
struct irq_affinity;
struct cpumask;

/**
 * struct virtio_shm_region - a shared memory region of the device (§2.10)
 * @addr: its guest physical address
 * @len: its length in bytes
 */
struct virtio_shm_region {
	u64 addr;
	u64 len;
};

typedef void vq_callback_t(struct virtqueue *vq);

/**
 * struct virtqueue_info - what a driver asks of one virtqueue
 * @name: the queue's name, for messages and interrupt names; NULL leaves
 *	the queue out (its slot in find_vqs' array stays NULL) and, as in
 *	Linux 6.12, takes no device queue index: the next named entry gets
 *	it (absent optional queues, virtio-balloon's say).
 * @callback: Linux 6.12 semantics: called in interrupt context whenever
 *	the device signals used buffers, callbacks on or off; may be NULL.
 * @ctx: Linux 6.12: the driver uses virtqueue_add_inbuf_ctx() (accepted
 *	on every queue here, so only for source compatibility).
 * @seed_callback: Extension: a seed-API callback instead of @callback
 *	(struct virtqueue's): returning false turns callbacks off until
 *	vq_ops->restart.  Give at most one of the two.
 * @keep_index: Extension: with a NULL @name, the entry keeps its device
 *	queue index, left unused, so that later queues keep theirs (a
 *	virtio-net driver setting up fewer pairs than the device has, with
 *	the controlq last).
 */
struct virtqueue_info {
	const char *name;
	vq_callback_t *callback;
	bool ctx;
	bool (*seed_callback)(struct virtqueue *vq);
	bool keep_index;
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
 * @find_vqs: set up @nvqs virtqueues described by @vqs_info into @vqs.  A
 *	NULL @vqs_info[i].name leaves @vqs[i] NULL; virtqueue_info_index()
 *	gives each entry's device queue index.  @desc (may be NULL) asks
 *	to spread the queues' interrupts over the CPUs (Linux 6.12), a hint
 *	transports may ignore.  Returns 0 or negative errno.
 * @del_vqs: free every virtqueue of the device; the device must be reset.
 * @synchronize_cbs: Linux 6.12, optional: wait for running callbacks.
 * @bus_name: name of the transport's underlying device, for messages.
 * @set_vq_affinity: Linux 6.12, optional: steer a queue's interrupt.
 * @get_vq_affinity: Linux 6.12, optional: the CPUs a queue's interrupt
 *	goes to, or NULL.
 * @get_shm_region: Linux 6.12, optional: find shared memory region @id.
 * @disable_vq_and_reset: Linux 6.12, optional: reset one queue (not
 *	offered by our transports: NULL).
 * @enable_vq_after_reset: Linux 6.12, optional: its counterpart.
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
			struct virtqueue_info vqs_info[],
			struct irq_affinity *desc);
	void (*del_vqs)(struct virtio_device *vdev);
	void (*synchronize_cbs)(struct virtio_device *vdev);
	const char *(*bus_name)(struct virtio_device *vdev);
	int (*set_vq_affinity)(struct virtqueue *vq,
			       const struct cpumask *cpu_mask);
	const struct cpumask *(*get_vq_affinity)(struct virtio_device *vdev,
						 int index);
	bool (*get_shm_region)(struct virtio_device *vdev,
			       struct virtio_shm_region *region, u8 id);
	int (*disable_vq_and_reset)(struct virtqueue *vq);
	int (*enable_vq_after_reset)(struct virtqueue *vq);
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
 * __virtio_test_bit - is a bit set in vdev->features?
 * @vdev: the device
 * @fbit: the feature bit
 *
 * Extension (Linux 6.12): for transports and validate, which work on the
 * bits before negotiation ends.
 */
static inline bool __virtio_test_bit(const struct virtio_device *vdev,
				     unsigned int fbit)
{
	return virtio_has_feature(vdev, fbit);
}

/**
 * __virtio_set_bit - set a bit in vdev->features
 * @vdev: the device
 * @fbit: the feature bit
 */
static inline void __virtio_set_bit(struct virtio_device *vdev,
				    unsigned int fbit)
{
	if (!WARN_ON_ONCE(fbit >= 64))
		vdev->features |= BIT_ULL(fbit);
}

/**
 * __virtio_clear_bit - clear a bit in vdev->features
 * @vdev: the device
 * @fbit: the feature bit
 *
 * From validate: the driver gives up a feature the device offers.
 */
static inline void __virtio_clear_bit(struct virtio_device *vdev,
				      unsigned int fbit)
{
	if (!WARN_ON_ONCE(fbit >= 64))
		vdev->features &= ~BIT_ULL(fbit);
}

/**
 * virtio_has_dma_quirk - does the device bypass the DMA API?
 * @vdev: the device
 *
 * Extension (Linux 6.12): without VIRTIO_F_ACCESS_PLATFORM the device is
 * given physical addresses (§6.1).
 */
static inline bool virtio_has_dma_quirk(const struct virtio_device *vdev)
{
	return !virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM);
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

/* Reads of one field before virtio_config_read() gives up on the device. */
#define VIRTIO_CONFIG_READ_TRIES	64

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

static inline void virtio_cwrite64(struct virtio_device *vdev,
				   unsigned int offset, u64 val)
{
	__virtio64 v = cpu_to_virtio64(vdev, val);

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
 * @vqs_info: name and callback of each queue
 * @desc: interrupt spreading hint, or NULL
 *
 * Return: 0 or a negative errno.
 */
static inline int virtio_find_vqs(struct virtio_device *vdev,
				  unsigned int nvqs, struct virtqueue *vqs[],
				  struct virtqueue_info vqs_info[],
				  struct irq_affinity *desc)
{
	return vdev->config->find_vqs(vdev, nvqs, vqs, vqs_info, desc);
}

/**
 * virtio_find_single_vq - set up a device's only virtqueue (Linux 6.12)
 * @vdev: the device
 * @c: the void callback (struct virtqueue_info.callback); may be NULL
 * @n: the queue's name
 *
 * Return: the queue or an ERR_PTR().
 */
static inline struct virtqueue *
virtio_find_single_vq(struct virtio_device *vdev, vq_callback_t *c,
		      const char *n)
{
	struct virtqueue_info info = { .name = n, .callback = c };
	struct virtqueue *vq;
	int err;

	err = virtio_find_vqs(vdev, 1, &vq, &info, NULL);
	return err ? ERR_PTR(err) : vq;
}

/**
 * virtio_synchronize_cbs - wait for the device's running callbacks
 * @vdev: the device
 *
 * Extension (Linux 6.12).  Our transports' reset already waits for them.
 */
static inline void virtio_synchronize_cbs(struct virtio_device *vdev)
{
	if (vdev->config->synchronize_cbs)
		vdev->config->synchronize_cbs(vdev);
}

/**
 * virtqueue_set_affinity - steer a queue's interrupt to some CPUs
 * @vq: the queue
 * @cpu_mask: the CPUs
 *
 * Extension (Linux 6.12).
 *
 * Return: 0, or a negative errno; 0 when the transport cannot steer.
 */
static inline int virtqueue_set_affinity(struct virtqueue *vq,
					 const struct cpumask *cpu_mask)
{
	struct virtio_device *vdev = vq->vdev;

	if (vdev->config->set_vq_affinity)
		return vdev->config->set_vq_affinity(vq, cpu_mask);
	return 0;
}

/**
 * virtio_get_shm_region - find one of the device's shared memory regions
 * @vdev: the device
 * @region: filled in when found
 * @id: the region's id (§2.10)
 *
 * Extension (Linux 6.12).
 *
 * Return: true when the device has region @id.
 */
static inline bool virtio_get_shm_region(struct virtio_device *vdev,
					 struct virtio_shm_region *region,
					 u8 id)
{
	if (!vdev->config->get_shm_region)
		return false;
	return vdev->config->get_shm_region(vdev, region, id);
}

/**
 * virtio_bus_name - name of the device the transport sits on
 * @vdev: the device
 *
 * Extension (Linux 6.12), for messages and sysfs names: the PCI function
 * or platform device, or "virtio" for a transport that names none.
 *
 * Return: a string that lives as long as @vdev.
 */
static inline const char *virtio_bus_name(struct virtio_device *vdev)
{
	if (!vdev->config->bus_name)
		return "virtio";
	return vdev->config->bus_name(vdev);
}

/*
 * Extension (Linux 6.12): the CPU type of a config field (u8, u16, u32 or
 * u64), to read it into with virtio_cread().  A field of struct
 * virtio_*_config is __u8, __virtio16/32/64 (the device's byte order:
 * virtio_cread()) or __le16/32/64 (always little-endian: virtio_cread_le()).
 * Under sparse, which tells those apart, it is the field's own type.
 */
#define __virtio_native_type(structname, member)			\
	__unqual_scalar_typeof(*(typeof_member(structname, member) *)NULL)

/**
 * virtio_cwrite - write a config field by name, from CPU byte order
 * @vdev: the device
 * @structname: the device's config structure type (from the uapi header)
 * @member: the field
 * @ptr: the value to write
 */
#define virtio_cwrite(vdev, structname, member, ptr)			\
	do {								\
		struct virtio_device *_vdev = (vdev);			\
		typeof(ptr) _ptr = (ptr);				\
		unsigned int _off = offsetof(structname, member);	\
		switch (sizeof(*_ptr)) {				\
		case 1:							\
			virtio_cwrite8(_vdev, _off, *_ptr);		\
			break;						\
		case 2:							\
			virtio_cwrite16(_vdev, _off, *_ptr);		\
			break;						\
		case 4:							\
			virtio_cwrite32(_vdev, _off, *_ptr);		\
			break;						\
		case 8:							\
			virtio_cwrite64(_vdev, _off, *_ptr);		\
			break;						\
		default:						\
			BUILD_BUG();					\
		}							\
	} while (0)

/**
 * virtio_cread_le - read a little-endian config field, in CPU byte order
 * @vdev: the device
 * @structname: the device's config structure type
 * @member: the field, an __le16/32/64 or a byte
 * @ptr: where to store the value; its size is the field's
 *
 * Read without tearing (virtio_config_read()).
 */
#define virtio_cread_le(vdev, structname, member, ptr)			\
	do {								\
		typeof(ptr) _lptr = (ptr);				\
		unsigned int _off = offsetof(structname, member);	\
		__le64 _raw;						\
		virtio_config_read((vdev), _off, &_raw, sizeof(*_lptr)); \
		switch (sizeof(*_lptr)) {				\
		case 1:							\
			*_lptr = *(u8 *)&_raw;				\
			break;						\
		case 2:							\
			*_lptr = le16_to_cpu(*(__le16 *)&_raw);		\
			break;						\
		case 4:							\
			*_lptr = le32_to_cpu(*(__le32 *)&_raw);		\
			break;						\
		case 8:							\
			*_lptr = le64_to_cpu(_raw);			\
			break;						\
		default:						\
			BUILD_BUG();					\
		}							\
	} while (0)

/**
 * virtio_cwrite_le - write a little-endian config field, from CPU order
 * @vdev: the device
 * @structname: the device's config structure type
 * @member: the field, an __le16/32/64 or a byte
 * @ptr: the value to write; its size is the field's
 */
#define virtio_cwrite_le(vdev, structname, member, ptr)			\
	do {								\
		struct virtio_device *_vdev = (vdev);			\
		typeof(ptr) _lptr = (ptr);				\
		unsigned int _off = offsetof(structname, member);	\
		__le64 _raw;						\
		switch (sizeof(*_lptr)) {				\
		case 1:							\
			*(u8 *)&_raw = *_lptr;				\
			break;						\
		case 2:							\
			*(__le16 *)&_raw = cpu_to_le16(*_lptr);		\
			break;						\
		case 4:							\
			*(__le32 *)&_raw = cpu_to_le32(*_lptr);		\
			break;						\
		case 8:							\
			_raw = cpu_to_le64(*_lptr);			\
			break;						\
		default:						\
			BUILD_BUG();					\
		}							\
		_vdev->config->set(_vdev, _off, &_raw, sizeof(*_lptr));	\
	} while (0)

/**
 * virtio_cread_le_feature - virtio_cread_le() of a field a feature guards
 * @vdev: the device
 * @fbit: the feature bit that makes the field valid
 * @structname: the device's config structure type
 * @member: the field
 * @ptr: where to store the value
 *
 * Return: 0, or -ENOENT (leaving *@ptr alone) when @fbit was not negotiated.
 */
#define virtio_cread_le_feature(vdev, fbit, structname, member, ptr)	\
	({								\
		struct virtio_device *_fvdev = (vdev);			\
		int _r = 0;						\
		if (!virtio_has_feature(_fvdev, fbit))			\
			_r = -ENOENT;					\
		else							\
			virtio_cread_le(_fvdev, structname, member, ptr); \
		_r;							\
	})

/**
 * virtio_cread_bytes - read a run of config bytes without tearing
 * @vdev: the device
 * @offset: where in the device's config structure
 * @buf: where to put them
 * @len: how many
 *
 * Extension (Linux 6.12): virtio_config_read() under its upstream name.
 */
static inline void virtio_cread_bytes(struct virtio_device *vdev,
				      unsigned int offset, void *buf,
				      size_t len)
{
	virtio_config_read(vdev, offset, buf, len);
}

#endif /* _LINUX_VIRTIO_CONFIG_H */
