// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated device (see sim.h).  Everything it reads from the ring is
 * checked: a bad index, a loop, an address that is not mapped for the
 * access -- all end in s->error and a refusal, never in a wild access.
 * Bus addresses are virtual addresses (the shims' identity mapping).
 */
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include "../shim/shim.h"
#include "sim.h"

#define F_AVAIL	(1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED	(1u << VRING_PACKED_DESC_F_USED)
#define WRAP_BIT	(1u << VRING_PACKED_EVENT_F_WRAP_CTR)

static int fail(struct sim *s, const char *why)
{
	if (!s->error)
		s->error = why;
	return -1;
}

void sim_init(struct sim *s, bool packed, bool event, unsigned int num,
	      uint64_t desc, uint64_t driver_area, uint64_t device_area)
{
	memset(s, 0, sizeof(*s));
	s->packed = packed;
	s->event = event;
	s->num = num;
	if (packed) {
		s->pdesc = (void *)(uintptr_t)desc;
		s->driver_ev = (void *)(uintptr_t)driver_area;
		s->device_ev = (void *)(uintptr_t)device_area;
		s->avail_wrap = s->used_wrap = s->sig_wrap = true;
	} else {
		s->desc = (void *)(uintptr_t)desc;
		s->avail = (void *)(uintptr_t)driver_area;
		s->used = (void *)(uintptr_t)device_area;
	}
}

/* One buffer segment: mapped for this access, readable ones first. */
static int add_seg(struct sim *s, struct sim_buf *b, uint64_t addr,
		   uint32_t len, bool write)
{
	struct sim_seg *g;

	if (b->nseg == SIM_MAX_SEGS)
		return fail(s, "too many segments");
	if (!write && b->in_len)
		return fail(s, "readable segment after a writable one");
	if (s->check_dma && !shim_dma_check(addr, len, write))
		return fail(s, "segment not mapped for this access");
	g = &b->seg[b->nseg++];
	g->addr = (void *)(uintptr_t)addr;
	g->len = len;
	g->write = write;
	if (write)
		b->in_len += len;
	return 0;
}

/* --- split ---------------------------------------------------------------- */

static int split_indirect(struct sim *s, struct sim_buf *b, uint64_t addr,
			  uint32_t len)
{
	const struct vring_desc *t = (void *)(uintptr_t)addr;
	unsigned int n = len / sizeof(*t), i = 0, steps;

	if (!n || len % sizeof(*t))
		return fail(s, "bad indirect table length");
	if (s->check_dma && !shim_dma_check(addr, len, false))
		return fail(s, "indirect table not mapped");
	for (steps = 0; ; steps++) {
		uint16_t fl = t[i].flags;

		if (steps == n)
			return fail(s, "loop in indirect table");
		if (fl & VRING_DESC_F_INDIRECT)
			return fail(s, "nested indirect table");
		if (add_seg(s, b, t[i].addr, t[i].len,
			    fl & VRING_DESC_F_WRITE))
			return -1;
		if (!(fl & VRING_DESC_F_NEXT))
			return 0;
		i = t[i].next;
		if (i >= n)
			return fail(s, "indirect next out of range");
	}
}

static int split_fetch(struct sim *s, struct sim_buf *b)
{
	uint16_t head, i, steps;

	if (!sim_avail(s))
		return 0;
	rmb();		/* the index before the ring entry and descriptors */
	head = s->avail->ring[s->last_avail % s->num];
	if (head >= s->num)
		return fail(s, "avail head out of range");
	b->id = head;
	b->ndescs = 0;
	for (i = head, steps = 0; ; steps++) {
		const struct vring_desc *d = &s->desc[i];
		uint16_t fl = d->flags;

		if (steps == s->num)
			return fail(s, "loop in descriptor chain");
		if (fl & VRING_DESC_F_INDIRECT) {
			if (steps || (fl & VRING_DESC_F_NEXT))
				return fail(s, "indirect inside a chain");
			if (split_indirect(s, b, d->addr, d->len))
				return -1;
			break;
		}
		if (add_seg(s, b, d->addr, d->len, fl & VRING_DESC_F_WRITE))
			return -1;
		if (!(fl & VRING_DESC_F_NEXT))
			break;
		i = d->next;
		if (i >= s->num)
			return fail(s, "next out of range");
	}
	s->last_avail++;
	return 1;
}

/* --- packed --------------------------------------------------------------- */

static bool packed_avail_at(const struct sim *s, uint16_t pos, bool wrap)
{
	uint16_t fl = READ_ONCE(s->pdesc[pos].flags);

	return !!(fl & F_AVAIL) == wrap && !!(fl & F_USED) != wrap;
}

static int packed_fetch(struct sim *s, struct sim_buf *b)
{
	uint16_t pos = s->avail_pos, n;
	bool wrap = s->avail_wrap;

	if (!packed_avail_at(s, pos, wrap))
		return 0;
	rmb();		/* the head's flags before the rest of the chain */
	for (n = 1; ; n++) {
		const struct vring_packed_desc *d = &s->pdesc[pos];
		uint16_t fl = d->flags;

		if (n > s->num)
			return fail(s, "chain longer than the ring");
		if (n > 1 && !packed_avail_at(s, pos, wrap))
			return fail(s, "chain descriptor not available");
		if (fl & VRING_DESC_F_INDIRECT) {
			const struct vring_packed_desc *t = (void *)(uintptr_t)d->addr;
			unsigned int k, cnt = d->len / sizeof(*t);

			if (n > 1 || (fl & VRING_DESC_F_NEXT))
				return fail(s, "indirect inside a chain");
			if (!cnt || d->len % sizeof(*t))
				return fail(s, "bad indirect table length");
			if (s->check_dma && !shim_dma_check(d->addr, d->len, false))
				return fail(s, "indirect table not mapped");
			for (k = 0; k < cnt; k++)
				if (add_seg(s, b, t[k].addr, t[k].len,
					    t[k].flags & VRING_DESC_F_WRITE))
					return -1;
		} else if (add_seg(s, b, d->addr, d->len,
				   fl & VRING_DESC_F_WRITE)) {
			return -1;
		}
		if (++pos == s->num) {
			pos = 0;
			wrap = !wrap;
		}
		if (!(fl & VRING_DESC_F_NEXT)) {
			b->id = d->id;	/* §2.8.6: the id is in the last one */
			break;
		}
	}
	b->ndescs = n;
	s->avail_pos = pos;
	s->avail_wrap = wrap;
	return 1;
}

/* --- common --------------------------------------------------------------- */

bool sim_avail(struct sim *s)
{
	if (s->packed)
		return packed_avail_at(s, s->avail_pos, s->avail_wrap);
	return READ_ONCE(s->avail->idx) != s->last_avail;
}

int sim_fetch(struct sim *s, struct sim_buf *b)
{
	b->nseg = 0;
	b->in_len = 0;
	if (s->error)
		return -1;
	return s->packed ? packed_fetch(s, b) : split_fetch(s, b);
}

void sim_use(struct sim *s, const struct sim_buf *b, uint32_t len)
{
	if (s->packed) {
		struct vring_packed_desc *d = &s->pdesc[s->used_pos];
		uint16_t fl = s->used_wrap ? F_AVAIL | F_USED : 0;

		d->id = b->id;
		d->len = len;
		/* id and len before the flags that publish them (§2.8.21) */
		__atomic_store_n(&d->flags, fl | (len ? VRING_DESC_F_WRITE : 0),
				 __ATOMIC_RELEASE);
		s->used_pos += b->ndescs;
		if (s->used_pos >= s->num) {
			s->used_pos -= s->num;
			s->used_wrap = !s->used_wrap;
		}
	} else {
		struct vring_used_elem *e = &s->used->ring[s->used_idx % s->num];

		e->id = b->id;
		e->len = len;
		s->used_idx++;
	}
}

void sim_publish(struct sim *s)
{
	if (!s->packed)	/* elements before the index (§2.7.8) */
		__atomic_store_n(&s->used->idx, s->used_idx, __ATOMIC_RELEASE);
}

/* A packed (position, wrap) pair as a position on the lap of @ref_wrap. */
static uint16_t lap_pos(const struct sim *s, uint16_t pos, bool wrap,
			bool ref_wrap)
{
	return wrap == ref_wrap ? pos : (uint16_t)(pos - s->num);
}

bool sim_need_interrupt(struct sim *s)
{
	bool need;

	mb();	/* our used writes before reading the driver's wishes */
	if (s->packed) {
		uint16_t flags = READ_ONCE(s->driver_ev->flags);
		uint16_t off = READ_ONCE(s->driver_ev->off_wrap);
		uint16_t old = lap_pos(s, s->sig_pos, s->sig_wrap, s->used_wrap);

		if (flags == VRING_PACKED_EVENT_FLAG_DESC && s->event)
			need = vring_need_event(lap_pos(s, off & ~WRAP_BIT,
							off & WRAP_BIT,
							s->used_wrap),
						s->used_pos, old);
		else
			need = flags != VRING_PACKED_EVENT_FLAG_DISABLE;
		if (s->sig_pos == s->used_pos && s->sig_wrap == s->used_wrap)
			need = false;	/* nothing new */
		s->sig_pos = s->used_pos;
		s->sig_wrap = s->used_wrap;
	} else {
		if (s->event)
			need = vring_need_event(READ_ONCE(s->avail->ring[s->num]),
						s->used_idx, s->signalled);
		else
			need = !(READ_ONCE(s->avail->flags) &
				 VRING_AVAIL_F_NO_INTERRUPT);
		if (s->signalled == s->used_idx)
			need = false;
		s->signalled = s->used_idx;
	}
	return need;
}

void sim_want_kicks(struct sim *s, bool on)
{
	if (s->packed) {
		if (on && s->event) {
			WRITE_ONCE(s->device_ev->off_wrap,
				   s->avail_pos | (s->avail_wrap ? WRAP_BIT : 0));
			wmb();
			WRITE_ONCE(s->device_ev->flags,
				   VRING_PACKED_EVENT_FLAG_DESC);
		} else {
			WRITE_ONCE(s->device_ev->flags,
				   on ? VRING_PACKED_EVENT_FLAG_ENABLE :
					VRING_PACKED_EVENT_FLAG_DISABLE);
		}
	} else if (s->event) {
		/* avail_event follows used->ring[num]; "off" = leave it behind */
		if (on)
			WRITE_ONCE(*(uint16_t *)&s->used->ring[s->num],
				   s->last_avail);
	} else {
		WRITE_ONCE(s->used->flags, on ? 0 : VRING_USED_F_NO_NOTIFY);
	}
	mb();	/* our wish before the next look at the ring */
}
