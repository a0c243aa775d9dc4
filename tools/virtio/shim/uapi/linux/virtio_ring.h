/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim: the ring layouts of VIRTIO 1.2, written from the specification
 * (§2.7 split virtqueues, §2.8 packed virtqueues), kernel spelling.
 */
#ifndef _SHIM_UAPI_VIRTIO_RING_H
#define _SHIM_UAPI_VIRTIO_RING_H
#include <linux/types.h>
#include <uapi/linux/virtio_types.h>

/* §2.7.5 descriptor flags */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

/* §2.8.1 packed descriptor flag bit numbers */
#define VRING_PACKED_DESC_F_AVAIL	7
#define VRING_PACKED_DESC_F_USED	15

/* §2.7.7, §2.7.10 notification suppression flags */
#define VRING_USED_F_NO_NOTIFY		1
#define VRING_AVAIL_F_NO_INTERRUPT	1

/* §2.8.10 event suppression */
#define VRING_PACKED_EVENT_FLAG_ENABLE	0x0
#define VRING_PACKED_EVENT_FLAG_DISABLE	0x1
#define VRING_PACKED_EVENT_FLAG_DESC	0x2
#define VRING_PACKED_EVENT_F_WRAP_CTR	15

struct vring_desc {		/* §2.7.5 */
	__virtio64 addr;
	__virtio32 len;
	__virtio16 flags;
	__virtio16 next;
};

struct vring_avail {		/* §2.7.6; used_event follows ring[num] */
	__virtio16 flags;
	__virtio16 idx;
	__virtio16 ring[];
};

struct vring_used_elem {	/* §2.7.8 */
	__virtio32 id;
	__virtio32 len;
};

struct vring_used {		/* §2.7.8; avail_event follows ring[num] */
	__virtio16 flags;
	__virtio16 idx;
	struct vring_used_elem ring[];
};

struct vring_packed_desc_event {	/* §2.8.10 */
	__le16 off_wrap;
	__le16 flags;
};

struct vring_packed_desc {	/* §2.8.13 */
	__le64 addr;
	__le32 len;
	__le16 id;
	__le16 flags;
};

/*
 * §2.7.10: notify if the other side's event index lies in [old, new_idx),
 * all in free-running 16-bit arithmetic.
 */
static inline int vring_need_event(__u16 event_idx, __u16 new_idx, __u16 old)
{
	return (__u16)(new_idx - event_idx - 1) < (__u16)(new_idx - old);
}

#endif
