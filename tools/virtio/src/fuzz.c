// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a hostile device against our ring.  Built twice,
 * FUZZ_PACKED=0 (split) and 1 (packed).
 *
 * The input is a configuration byte (ring size, INDIRECT_DESC, EVENT_IDX)
 * then a stream of operations: driver calls (add_buf with a random chain
 * shape, kick, get_buf, restart, restart_delayed, the callback loop) and
 * device actions, friendly (take and use buffers properly) or not (write
 * any used id/len, move the used index anywhere, forge packed flags and
 * wrap bits, write event fields, scribble anywhere in the ring memory,
 * interrupt at any time), plus failure injection for GFP_ATOMIC
 * allocations and DMA mappings.  At the end: reset, shutdown, detach every
 * unused buffer, delete the queue.
 *
 * Invariants (abort() = a finding, libFuzzer keeps the input):
 *  - get_buf returns only tokens that are outstanding, with a length no
 *    larger than the writable bytes actually posted, already unmapped;
 *  - after teardown every token came back exactly once; no DMA mapping,
 *    coherent buffer or kmalloc is left; no WARN fired; no bad unmap;
 *  - a broken queue stays broken: add_buf gives -EIO, get_buf NULL,
 *    restart true;
 *  - "drain get_buf, then restart" terminates;
 *  - until the device forges something, it finds every buffer it takes
 *    well formed and mapped for the access it makes;
 *  - the sanitizers (ASan, UBSan) stay silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ours.h"
#include "../shim/shim.h"

#ifndef FUZZ_PACKED
#define FUZZ_PACKED 0
#endif

#define MAX_TOKS 512
#define MAX_SEG 8

struct tok {
	unsigned int nout, nin;
	uint32_t in_len;
	uint8_t *buf[MAX_SEG];
	uint32_t len[MAX_SEG];
	struct scatterlist sg[MAX_SEG], sg2[MAX_SEG];
	bool out;		/* posted, not yet returned */
};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t in8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t in16(struct input *in)
{
	return in8(in) | in8(in) << 8;
}

static uint32_t in32(struct input *in)
{
	return in16(in) | (uint32_t)in16(in) << 16;
}

static struct {
	struct ours_dev dev;
	struct virtqueue *vq;
	struct sim sim;
	struct sim_buf held[16];	/* taken by the device, not yet used */
	unsigned int nheld;
	struct tok toks[MAX_TOKS];
	unsigned int ntoks, nout;
	bool cb_ret;
	int fail_kmalloc;		/* fail this many GFP_ATOMIC kmallocs */
	int fail_map_in;		/* fail the Nth next DMA mapping */
	bool was_broken;
	bool forged;		/* the device has lied about the ring */
} F;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "INVARIANT: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

static bool fail_hook(enum shim_fail_site site)
{
	if (site == SHIM_FAIL_KMALLOC_ATOMIC) {
		if (F.fail_kmalloc > 0) {
			F.fail_kmalloc--;
			return true;
		}
		return false;
	}
	return F.fail_map_in > 0 && --F.fail_map_in == 0;
}

static bool notify(struct virtqueue *vq)
{
	return true;
}

static bool callback(struct virtqueue *vq)
{
	return F.cb_ret;
}

/* --- the driver's side -------------------------------------------------- */

static void check_broken(void)
{
	bool b = virtqueue_is_broken(F.vq);

	CHECK(b || !F.was_broken, "a broken queue came back to life");
	F.was_broken = b;
}

static void tok_free(struct tok *t)
{
	unsigned int i;

	for (i = 0; i < t->nout + t->nin; i++) {
		free(t->buf[i]);
		t->buf[i] = NULL;
	}
}

static void op_add(struct input *in)
{
	uint8_t shape = in8(in);
	unsigned int num = virtqueue_get_vring_size(F.vq), i, split;
	struct tok *t;
	struct scatterlist *sg;
	int err;

	if (F.ntoks == MAX_TOKS)
		return;
	t = &F.toks[F.ntoks];
	memset(t, 0, sizeof(*t));
	t->nout = 1 + (shape & 3);
	t->nin = (shape >> 2) & 7;
	if (t->nin > MAX_SEG - t->nout)
		t->nin = MAX_SEG - t->nout;
	while (t->nout + t->nin > num)	/* a longer chain is a driver bug */
		t->nin ? t->nin-- : t->nout--;
	split = shape & 0x20 ? 1 + (shape >> 6) : 0;
	if (split >= t->nout + t->nin)
		split = 0;

	sg_init_table(t->sg, MAX_SEG);
	sg_init_table(t->sg2, MAX_SEG);
	for (i = 0, sg = t->sg; i < t->nout + t->nin; i++, sg++) {
		uint8_t l = in8(in);

		t->len[i] = l & 0x80 ? 4096 + l : 1 + (l & 0x3f);
		t->buf[i] = malloc(t->len[i]);
		memset(t->buf[i], i < t->nout ? 0x11 : 0, t->len[i]);
		if (i >= t->nout)
			t->in_len += t->len[i];
		if (split && i == split) {
			sg_chain(t->sg, split + 1, t->sg2);
			sg = t->sg2;
		}
		sg_set_buf(sg, t->buf[i], t->len[i]);
	}

	err = F.vq->vq_ops->add_buf(F.vq, t->sg, t->nout, t->nin, t);
	if (F.was_broken)
		CHECK(err == -EIO, "add_buf on a broken queue: %d", err);
	CHECK(err == 0 || err == -ENOSPC || err == -ENOMEM || err == -EIO,
	      "add_buf: unexpected %d", err);
	if (err) {
		tok_free(t);
		return;
	}
	t->out = true;
	F.ntoks++;
	F.nout++;
}

static void returned(struct tok *t, unsigned int len, const char *how)
{
	unsigned int i;

	CHECK(t >= F.toks && t < F.toks + F.ntoks, "%s: not a token", how);
	CHECK(t->out, "%s: token %zu returned twice", how, t - F.toks);
	CHECK(len <= t->in_len, "%s: len %u > %u writable bytes posted", how,
	      len, t->in_len);
	for (i = 0; i < t->nout + t->nin; i++)
		CHECK(!shim_dma_count_at((uintptr_t)t->buf[i]),
		      "%s: token %zu still mapped", how, t - F.toks);
	t->out = false;
	F.nout--;
	tok_free(t);
}

static bool op_get_buf(void)
{
	unsigned int len = 0;
	struct tok *t = F.vq->vq_ops->get_buf(F.vq, &len);

	if (F.was_broken)
		CHECK(!t, "get_buf on a broken queue returned a token");
	if (t)
		returned(t, len, "get_buf");
	return t;
}

static void op_restart(bool delayed)
{
	bool ok = delayed ? F.vq->vq_ops->restart_delayed(F.vq) :
			    F.vq->vq_ops->restart(F.vq);

	if (F.was_broken)
		CHECK(ok, "restart on a broken queue returned false");
}

/* The usual callback: drain, restart, again while restart refuses. */
static void op_callback_loop(bool delayed)
{
	unsigned int rounds = 0;

	do {
		while (op_get_buf())
			;
		CHECK(++rounds <= 2 * MAX_TOKS, "callback loop does not end");
	} while (!(delayed ? F.vq->vq_ops->restart_delayed(F.vq) :
			     F.vq->vq_ops->restart(F.vq)));
}

/* --- the device's side ---------------------------------------------------- */

static void dev_take(void)
{
	struct sim *s = &F.sim;

	if (F.nheld == ARRAY_SIZE(F.held))
		return;
	switch (sim_fetch(s, &F.held[F.nheld])) {
	case 1:
		F.nheld++;
		break;
	case -1:
		/* Only a device that lied may find the ring malformed. */
		CHECK(F.forged, "honest device found a bad ring: %s", s->error);
		s->error = NULL;
		break;
	}
}

/* Use a held buffer, writing only where the mapping still stands. */
static void dev_use(struct input *in)
{
	uint8_t which = in8(in), how = in8(in);
	struct sim_buf *b;
	uint32_t len;
	unsigned int i;

	if (!F.nheld)
		return;
	b = &F.held[which % F.nheld];
	for (i = 0; i < b->nseg; i++)
		if (b->seg[i].write &&
		    shim_dma_check((uintptr_t)b->seg[i].addr, b->seg[i].len, true))
			memset(b->seg[i].addr, 0x5a, b->seg[i].len);
	switch (how & 3) {
	case 0:
		len = b->in_len;
		break;
	case 1:
		len = b->in_len ? how % (b->in_len + 1) : 0;
		break;
	case 2:
		len = in32(in);		/* anything */
		break;
	default:
		len = b->in_len + 1 + (how >> 2);
		break;
	}
	sim_use(&F.sim, b, len);
	if (how & 0x80)
		sim_publish(&F.sim);
	*b = F.held[--F.nheld];
}

static uint16_t ring_span(void)
{
	unsigned int num = virtqueue_get_vring_size(F.vq);
	uint64_t end = FUZZ_PACKED ? virtqueue_get_used_addr(F.vq) + 4 :
			virtqueue_get_used_addr(F.vq) + 4 + 8 * num + 2;

	return end - virtqueue_get_desc_addr(F.vq);
}

/* Write anything anywhere in the ring memory, driver areas included. */
static void dev_scribble(struct input *in)
{
	uint16_t off = in16(in) % (ring_span() - 1);
	uint16_t val = in16(in);
	uint8_t *ring = (uint8_t *)(uintptr_t)virtqueue_get_desc_addr(F.vq);

	F.forged = true;
	memcpy(ring + off, &val, sizeof(val));
}

static void dev_forge_used(struct input *in)
{
	struct sim *s = &F.sim;
	unsigned int num = s->num;

	F.forged = true;
	if (FUZZ_PACKED) {
		struct vring_packed_desc *d = &s->pdesc[in8(in) % num];
		uint8_t fl = in8(in);

		d->id = in16(in);
		d->len = in32(in);
		/* bits 0-2 and the two ring bits, from the input */
		d->flags = (fl & 7) | (fl & 8 ? 1 << VRING_PACKED_DESC_F_AVAIL : 0) |
			   (fl & 16 ? 1 << VRING_PACKED_DESC_F_USED : 0);
	} else {
		struct vring_used_elem *e = &s->used->ring[in8(in) % num];

		e->id = in8(in) & 0x80 ? in32(in) : in8(in) % (num + 1);
		e->len = in32(in);
	}
}

static void dev_move_index(struct input *in)
{
	struct sim *s = &F.sim;
	int8_t delta = (int8_t)in8(in);

	F.forged = true;
	if (FUZZ_PACKED) {
		/* The device loses track: its next used slot or lap moves. */
		s->used_pos = (s->used_pos + (uint8_t)delta) % s->num;
		if (delta & 1)
			s->used_wrap = !s->used_wrap;
	} else {
		s->used_idx += delta;
		sim_publish(s);
	}
}

static void dev_event_fields(struct input *in)
{
	struct sim *s = &F.sim;
	uint16_t v = in16(in);

	if (FUZZ_PACKED) {
		s->device_ev->off_wrap = v;
		s->device_ev->flags = in8(in) & 3;
	} else if (v & 1) {
		s->used->flags = in8(in) & 1;
	} else {
		*(uint16_t *)&s->used->ring[s->num] = in16(in);
	}
}

static void dev_interrupt(void)
{
	vring_interrupt(0, F.vq);
	check_broken();
}

/* --- one input -------------------------------------------------------------- */

static void setup(struct input *in)
{
	static const unsigned int split_sizes[] = { 1, 2, 4, 8, 16, 4, 8, 16 };
	static const unsigned int packed_sizes[] = { 1, 2, 3, 4, 5, 8, 13, 16 };
	uint8_t c = in8(in);
	unsigned int num = FUZZ_PACKED ? packed_sizes[c & 7] : split_sizes[c & 7];

	memset(&F, 0, sizeof(F));
	F.cb_ret = c & 0x20;
	CHECK(!ours_create(&F.dev, ours_features(FUZZ_PACKED, c & 8, c & 16),
			   num, notify, callback, NULL), "create failed");
	F.vq = F.dev.vq;
	ours_sim_init(&F.dev, &F.sim);
}

static void teardown(void)
{
	static uint8_t dummy[8];
	struct scatterlist sg;
	struct tok *t;
	unsigned int i, len;

	smp_store_release(&F.dev.vdev.ready, false);	/* device reset */
	F.vq->vq_ops->shutdown(F.vq);
	CHECK(!F.vq->vq_ops->get_buf(F.vq, &len), "get_buf after shutdown");
	sg_init_one(&sg, dummy, sizeof(dummy));
	CHECK(F.vq->vq_ops->add_buf(F.vq, &sg, 1, 0, dummy) == -EIO,
	      "add_buf after shutdown");
	while ((t = F.vq->vq_ops->detach_unused_buf(F.vq))) {
		CHECK(t >= F.toks && t < F.toks + F.ntoks && t->out,
		      "detach_unused_buf: not an outstanding token");
		for (i = 0; i < t->nout + t->nin; i++)
			CHECK(!shim_dma_count_at((uintptr_t)t->buf[i]),
			      "detach_unused_buf: token still mapped");
		t->out = false;
		F.nout--;
		tok_free(t);
	}
	CHECK(F.nout == 0, "%u tokens never came back", F.nout);
	vring_del_virtqueue(F.vq);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	shim_quiet_warn = false;
	shim_fail_hook = fail_hook;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	long allocs0 = shim_allocs_live();

	shim_reset_counters();
	setup(&in);
	while (in.n) {
		uint8_t op = in8(&in);

		switch (op % 20) {
		case 0: case 1: case 2:
			op_add(&in);
			break;
		case 3:
			F.vq->vq_ops->kick(F.vq);
			break;
		case 4: case 5:
			op_get_buf();
			break;
		case 6:
			op_restart(op & 0x80);
			break;
		case 7:
			op_callback_loop(op & 0x80);
			break;
		case 8: case 9:
			dev_take();
			break;
		case 10: case 11:
			dev_use(&in);
			break;
		case 12:
			sim_publish(&F.sim);
			if (sim_need_interrupt(&F.sim) || (op & 0x80))
				dev_interrupt();
			break;
		case 13:
			dev_forge_used(&in);
			break;
		case 14:
			dev_move_index(&in);
			break;
		case 15:
			dev_event_fields(&in);
			break;
		case 16:
			dev_scribble(&in);
			break;
		case 17:
			dev_interrupt();
			break;
		case 18:
			F.fail_kmalloc = op >> 6;
			F.fail_map_in = (op >> 5) & 1 ? 1 + (in8(&in) & 15) : 0;
			break;
		case 19:
			F.cb_ret = op & 0x80;
			if ((op & 0x60) == 0x60)
				virtqueue_break(F.vq);	/* the core's "gone" */
			break;
		}
		check_broken();
	}
	F.fail_kmalloc = 0;
	F.fail_map_in = 0;
	teardown();

	CHECK(!shim_dma_live(), "%ld DMA mappings leaked", shim_dma_live());
	CHECK(!shim_coherent_live(), "ring memory leaked");
	CHECK(!shim_dma_bad_unmaps(), "%ld bad DMA unmaps",
	      shim_dma_bad_unmaps());
	CHECK(shim_allocs_live() == allocs0, "%ld allocations leaked",
	      shim_allocs_live() - allocs0);
	CHECK(!shim_warnings(), "%ld WARNs", shim_warnings());
	return 0;
}
