/* SPDX-License-Identifier: GPL-2.0 */
/* Shim: kernel integer, endian and list types for userspace (x86-64, LE). */
#ifndef _SHIM_LINUX_TYPES_H
#define _SHIM_LINUX_TYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/compiler.h>

typedef uint8_t u8, __u8;
typedef uint16_t u16, __u16;
typedef uint32_t u32, __u32;
typedef uint64_t u64, __u64;
typedef int8_t s8, __s8;
typedef int16_t s16, __s16;
typedef int32_t s32, __s32;
typedef int64_t s64, __s64;

typedef u16 __bitwise __le16;
typedef u32 __bitwise __le32;
typedef u64 __bitwise __le64;
typedef u16 __bitwise __be16;
typedef u32 __bitwise __be32;
typedef u64 __bitwise __be64;

typedef u64 dma_addr_t;
typedef u64 phys_addr_t;
typedef unsigned int gfp_t;
typedef long ssize_t;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the shims assume a little-endian host"
#endif
#ifndef __LITTLE_ENDIAN
#define __LITTLE_ENDIAN 1234
#endif
#define cpu_to_le16(x) ((__force __le16)(u16)(x))
#define cpu_to_le32(x) ((__force __le32)(u32)(x))
#define cpu_to_le64(x) ((__force __le64)(u64)(x))
#define le16_to_cpu(x) ((__force u16)(__le16)(x))
#define le32_to_cpu(x) ((__force u32)(__le32)(x))
#define le64_to_cpu(x) ((__force u64)(__le64)(x))
#define cpu_to_be16(x) ((__force __be16)__builtin_bswap16(x))
#define cpu_to_be32(x) ((__force __be32)__builtin_bswap32(x))
#define cpu_to_be64(x) ((__force __be64)__builtin_bswap64(x))
#define be16_to_cpu(x) __builtin_bswap16((__force u16)(x))
#define be32_to_cpu(x) __builtin_bswap32((__force u32)(x))
#define be64_to_cpu(x) __builtin_bswap64((__force u64)(x))

struct list_head {
	struct list_head *next, *prev;
};

#endif
