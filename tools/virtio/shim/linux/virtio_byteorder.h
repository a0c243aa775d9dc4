/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: ring fields are little-endian, or big-endian for legacy devices
 * on big-endian guests (never here: the shims assume little-endian).
 */
#ifndef _SHIM_LINUX_VIRTIO_BYTEORDER_H
#define _SHIM_LINUX_VIRTIO_BYTEORDER_H
#include <linux/types.h>
#include <uapi/linux/virtio_types.h>

static inline bool virtio_legacy_is_little_endian(void)
{
	return true;
}

#define VIRTIO_BYTEORDER(bits)						\
static inline u##bits __virtio##bits##_to_cpu(bool le, __virtio##bits v)	\
{									\
	return le ? le##bits##_to_cpu((__force __le##bits)v) :		\
		    be##bits##_to_cpu((__force __be##bits)v);		\
}									\
static inline __virtio##bits __cpu_to_virtio##bits(bool le, u##bits v)	\
{									\
	return le ? (__force __virtio##bits)cpu_to_le##bits(v) :		\
		    (__force __virtio##bits)cpu_to_be##bits(v);		\
}
VIRTIO_BYTEORDER(16)
VIRTIO_BYTEORDER(32)
VIRTIO_BYTEORDER(64)
#undef VIRTIO_BYTEORDER

#endif
