/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: ring field types of VIRTIO 1.2 (guest-endian for legacy devices). */
#ifndef _SHIM_UAPI_VIRTIO_TYPES_H
#define _SHIM_UAPI_VIRTIO_TYPES_H
#include <linux/types.h>

typedef __u16 __bitwise __virtio16;
typedef __u32 __bitwise __virtio32;
typedef __u64 __bitwise __virtio64;

#endif
