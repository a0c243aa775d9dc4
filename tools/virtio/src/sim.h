/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A simulated virtio device: the device's side of a split (§2.7) or
 * packed (§2.8) ring, following indirect tables and doing both kinds of
 * notification suppression.  It knows nothing of the driver beyond the
 * ring's three addresses, so the same device serves our ring and the
 * base tree's.  Not thread-safe: one device thread (or inline calls).
 */
#ifndef _SIM_H
#define _SIM_H
#include <stdbool.h>
#include <stdint.h>
#include <uapi/linux/virtio_ring.h>

#define SIM_MAX_SEGS 64

struct sim_seg {
	void *addr;
	uint32_t len;
	bool write;		/* device-writable */
};

/* A buffer the device has taken from the ring and not yet used. */
struct sim_buf {
	uint16_t id;		/* split: head descriptor; packed: buffer id */
	uint16_t ndescs;	/* packed: ring descriptors it took */
	unsigned int nseg;
	uint32_t in_len;	/* device-writable bytes */
	struct sim_seg seg[SIM_MAX_SEGS];
};

struct sim {
	bool packed, event;
	bool check_dma;		/* check every access against live mappings */
	unsigned int num;
	const char *error;	/* first protocol violation seen, or NULL */

	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail, used_idx, signalled;

	/* packed */
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *driver_ev, *device_ev;
	uint16_t avail_pos, used_pos, sig_pos;
	bool avail_wrap, used_wrap, sig_wrap;
};

/* Addresses as the transport learns them: desc, driver area, device area. */
void sim_init(struct sim *s, bool packed, bool event, unsigned int num,
	      uint64_t desc, uint64_t driver_area, uint64_t device_area);
/* Is a new buffer available? */
bool sim_avail(struct sim *s);
/* Take the next available buffer: 1, 0 when none, -1 on a protocol error. */
int sim_fetch(struct sim *s, struct sim_buf *b);
/* Mark @b used with @len bytes written (split: publish with sim_publish). */
void sim_use(struct sim *s, const struct sim_buf *b, uint32_t len);
void sim_publish(struct sim *s);
/* After using buffers: does the driver want a used buffer notification? */
bool sim_need_interrupt(struct sim *s);
/* Ask for (or stop asking for) available buffer notifications. */
void sim_want_kicks(struct sim *s, bool on);

#endif
