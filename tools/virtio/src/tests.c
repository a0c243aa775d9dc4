// SPDX-License-Identifier: GPL-2.0
/*
 * Directed tests of our ring, single-threaded, the device driven inline
 * (sim.c).  Each prints PASS/FAIL <name>; the last line is
 * "N passed, N failed".  Every test ends with the queue torn down and
 * checks that no DMA mapping, allocation or WARN is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ours.h"
#include "../shim/shim.h"

static struct {
	struct ours_dev dev;
	struct virtqueue *vq;
	struct sim sim;
	long kicks, callbacks;
	bool cb_ret;
	int fail_map_in;	/* fail the Nth next DMA mapping */
	int fail_kmalloc;	/* fail the next N GFP_ATOMIC kmallocs */
	const char *why;	/* first failed expectation */
	int line;
} T;

#define EXPECT(cond) do {						\
	if (!(cond) && !T.why) {					\
		T.why = #cond;						\
		T.line = __LINE__;					\
	}								\
} while (0)

static bool notify(struct virtqueue *vq)
{
	T.kicks++;
	return true;
}

static bool callback(struct virtqueue *vq)
{
	T.callbacks++;
	return T.cb_ret;
}

static bool fail_hook(enum shim_fail_site site)
{
	if (site == SHIM_FAIL_KMALLOC_ATOMIC)
		return T.fail_kmalloc > 0 && T.fail_kmalloc--;
	return T.fail_map_in > 0 && --T.fail_map_in == 0;
}

static void setup(bool packed, bool indirect, bool event, unsigned int num)
{
	memset(&T, 0, sizeof(T));
	shim_reset_counters();
	T.cb_ret = true;
	if (ours_create(&T.dev, ours_features(packed, indirect, event), num,
			notify, callback, NULL)) {
		fprintf(stderr, "create failed\n");
		exit(1);
	}
	T.vq = T.dev.vq;
	ours_sim_init(&T.dev, &T.sim);
}

/* Reset, shutdown, detach: returns how many tokens detach gave back. */
static int teardown(void)
{
	struct virtqueue *vq = T.vq;
	int n = 0;

	T.fail_map_in = T.fail_kmalloc = 0;
	smp_store_release(&T.dev.vdev.ready, false);
	vq->vq_ops->shutdown(vq);
	while (vq->vq_ops->detach_unused_buf(vq))
		n++;
	vring_del_virtqueue(vq);
	return n;
}

static int passed, failed;

static void report(const char *name, long allocs0)
{
	if (!T.why && shim_dma_live())
		T.why = "DMA mappings leaked";
	if (!T.why && shim_dma_bad_unmaps())
		T.why = "bad DMA unmap";
	if (!T.why && shim_allocs_live() != allocs0)
		T.why = "allocations leaked";
	if (!T.why && shim_warnings())
		T.why = "WARN fired";
	if (T.why) {
		printf("FAIL %s: %s (line %d)\n", name, T.why, T.line);
		failed++;
	} else {
		printf("PASS %s\n", name);
		passed++;
	}
}

static int add(void *token, void *out, unsigned int olen, void *in,
	       unsigned int ilen)
{
	struct scatterlist sg[2];

	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], out, olen);
	if (in)
		sg_set_buf(&sg[1], in, ilen);
	return T.vq->vq_ops->add_buf(T.vq, sg, 1, in ? 1 : 0, token);
}

/* The device takes one buffer and uses it with @len bytes written. */
static bool dev_complete(uint32_t len)
{
	struct sim_buf b;

	if (sim_fetch(&T.sim, &b) != 1)
		return false;
	sim_use(&T.sim, &b, len);
	sim_publish(&T.sim);
	return true;
}

/* --- tests ------------------------------------------------------------------ */

/*
 * 70000 round trips of one buffer: the 16-bit indices (split) and the
 * wrap counters (packed, odd size) go round many times.
 */
static void t_wrap(bool packed, bool event)
{
	static char out[16], in[16];
	unsigned int len, i;

	setup(packed, false, event, packed ? 3 : 4);
	for (i = 0; i < 70000 && !T.why; i++) {
		EXPECT(add(out, out, sizeof(out), in, sizeof(in)) == 0);
		T.vq->vq_ops->kick(T.vq);
		EXPECT(dev_complete(sizeof(in)));
		sim_want_kicks(&T.sim, true);	/* idle again */
		if (sim_need_interrupt(&T.sim))
			vring_interrupt(0, T.vq);
		EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == out);
		EXPECT(len == sizeof(in));
	}
	/* One kick and one interrupt per round trip: nothing suppressed. */
	EXPECT(T.kicks == 70000 && T.callbacks == 70000);
	EXPECT(teardown() == 0);
}

/* A forged used id breaks the queue for good; every token still comes back. */
static void t_broken(bool packed)
{
	static char buf[4][8];
	unsigned int len, i;

	setup(packed, false, false, 4);
	for (i = 0; i < 3; i++)
		EXPECT(add(buf[i], buf[i], 8, NULL, 0) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(dev_complete(0));
	EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == buf[0]);
	/* the device reports buffer 0 again, which it gave back already */
	if (packed) {
		T.sim.pdesc[1].id = T.sim.pdesc[0].id;
		T.sim.pdesc[1].len = 0;
		__atomic_store_n(&T.sim.pdesc[1].flags, T.sim.pdesc[0].flags,
				 __ATOMIC_RELEASE);
	} else {
		T.sim.used->ring[1] = T.sim.used->ring[0];
		__atomic_store_n(&T.sim.used->idx, 2, __ATOMIC_RELEASE);
	}
	EXPECT(!T.vq->vq_ops->get_buf(T.vq, &len));
	EXPECT(virtqueue_is_broken(T.vq));
	EXPECT(shim_errors() == 1);
	EXPECT(add(buf[3], buf[3], 8, NULL, 0) == -EIO);
	EXPECT(T.vq->vq_ops->restart(T.vq));
	EXPECT(T.vq->vq_ops->restart_delayed(T.vq));
	EXPECT(vring_interrupt(0, T.vq) == IRQ_HANDLED && T.callbacks == 0);
	EXPECT(teardown() == 2);
}

/* restart refuses while used buffers wait, and turns callbacks off. */
static void t_restart_race(bool packed, bool event)
{
	static char buf[2][8];
	unsigned int len;

	setup(packed, false, event, 4);
	T.cb_ret = false;
	EXPECT(add(buf[0], buf[0], 8, NULL, 0) == 0);
	EXPECT(add(buf[1], buf[1], 8, NULL, 0) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(dev_complete(0));
	EXPECT(sim_need_interrupt(&T.sim));
	vring_interrupt(0, T.vq);		/* callback says "off" */
	EXPECT(T.callbacks == 1);
	EXPECT(dev_complete(0));
	EXPECT(!sim_need_interrupt(&T.sim));	/* ...and the device obeys */
	EXPECT(!T.vq->vq_ops->restart(T.vq));	/* two are waiting */
	EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == buf[0]);
	EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == buf[1]);
	EXPECT(T.vq->vq_ops->restart(T.vq));
	EXPECT(teardown() == 0);
}

/* The device asked not to be kicked: no kick, until it asks again. */
static void t_no_kick(bool packed, bool event)
{
	static char buf[8];
	struct sim_buf b;

	setup(packed, false, event, 4);
	if (event && !packed)	/* avail_event far away */
		*(uint16_t *)&T.sim.used->ring[4] = 0x8000;
	else
		sim_want_kicks(&T.sim, false);
	EXPECT(add(buf, buf, 8, NULL, 0) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(add(buf + 1, buf, 8, NULL, 0) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(T.kicks == 0);
	/* the device catches up, then asks for the next one */
	EXPECT(sim_fetch(&T.sim, &b) == 1 && sim_fetch(&T.sim, &b) == 1);
	sim_want_kicks(&T.sim, true);
	EXPECT(add(buf + 2, buf, 8, NULL, 0) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(T.kicks == 1);
	EXPECT(teardown() == 3);
}

/*
 * Packed: two whole laps of buffers between kicks, taken by a device that
 * polls the ring (a packed add_buf publishes at once): the next position
 * and the wrap counter are back where the last kick left them, yet
 * 2 * num descriptors are new and the device asked for notifications, so
 * the kick must notify.
 */
static void t_kick_after_two_laps(void)
{
	static char buf[4];
	unsigned int i, len;

	setup(true, false, false, 4);
	sim_want_kicks(&T.sim, true);
	for (i = 0; i < 2 * 4; i++) {
		EXPECT(add(buf + i % 4, buf, 1, NULL, 0) == 0);
		EXPECT(dev_complete(0));
		EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == buf + i % 4);
	}
	T.vq->vq_ops->kick(T.vq);
	EXPECT(T.kicks == 1);
	EXPECT(teardown() == 0);
}

/*
 * GFP_ATOMIC failure: an indirect-worthy buffer goes as a direct chain
 * and still works.
 */
static void t_indirect_fallback(bool packed)
{
	static char o[3][8], in[16];
	struct scatterlist sg[4];
	struct sim_buf b;
	unsigned int len, i;

	setup(packed, true, false, 8);
	sg_init_table(sg, 4);
	for (i = 0; i < 3; i++)
		sg_set_buf(&sg[i], o[i], 8);
	sg_set_buf(&sg[3], in, sizeof(in));
	T.fail_kmalloc = 1;
	EXPECT(T.vq->vq_ops->add_buf(T.vq, sg, 3, 1, in) == 0);
	EXPECT(virtqueue_num_free(T.vq) == 4);	/* four descriptors */
	T.vq->vq_ops->kick(T.vq);
	EXPECT(sim_fetch(&T.sim, &b) == 1 && b.nseg == 4 && b.in_len == 16);
	sim_use(&T.sim, &b, 16);
	sim_publish(&T.sim);
	EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == in && len == 16);
	EXPECT(virtqueue_num_free(T.vq) == 8);
	EXPECT(teardown() == 0);
}

/*
 * The length the device reports is clamped to what the buffer can hold,
 * also after an indirect table could not be mapped and the buffer went
 * as a direct chain.  (Packed: in_len was counted twice on that path.)
 */
static void t_len_clamp_after_fallback(bool packed, int fail_at)
{
	static char o[2][8], in[8];
	struct scatterlist sg[3];
	unsigned int len;

	setup(packed, true, false, 8);
	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], o[0], 8);
	sg_set_buf(&sg[1], o[1], 8);
	sg_set_buf(&sg[2], in, sizeof(in));
	/* mappings: 3 segments, then the table; fail one of them */
	T.fail_map_in = fail_at;
	EXPECT(T.vq->vq_ops->add_buf(T.vq, sg, 2, 1, in) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(dev_complete(1000));		/* claims 1000 bytes */
	EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == in);
	EXPECT(len == sizeof(in));
	EXPECT(teardown() == 0);
}

/*
 * A DMA mapping fails in the middle of a direct chain: nothing of it may
 * be left looking available.  Then a one-descriptor buffer is added in
 * its place: the device must find exactly that one and nothing after.
 */
static void t_map_failure_mid_chain(bool packed)
{
	static char o[3][8], one[8];
	struct scatterlist sg[3];
	struct sim_buf b;
	unsigned int i;

	setup(packed, false, false, 8);
	sg_init_table(sg, 3);
	for (i = 0; i < 3; i++)
		sg_set_buf(&sg[i], o[i], 8);
	T.fail_map_in = 3;			/* the third segment */
	EXPECT(T.vq->vq_ops->add_buf(T.vq, sg, 3, 0, o) == -ENOMEM);
	EXPECT(virtqueue_num_free(T.vq) == 8);
	EXPECT(add(one, one, 8, NULL, 0) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(sim_fetch(&T.sim, &b) == 1 && b.nseg == 1);
	EXPECT(sim_fetch(&T.sim, &b) == 0);	/* was: the stale 2nd segment */
	EXPECT(!T.sim.error);
	EXPECT(teardown() == 1);
}

/* Chained scatterlists (sg_chain) reach the device in order. */
static void t_sg_chain(bool packed, bool indirect)
{
	static char a[8], b2[8], c[8], d[8];
	struct scatterlist t1[3], t2[2];
	struct sim_buf b;
	unsigned int len;

	setup(packed, indirect, false, 8);
	sg_init_table(t1, 3);
	sg_init_table(t2, 2);
	sg_set_buf(&t1[0], a, 8);
	sg_set_buf(&t1[1], b2, 8);
	sg_chain(t1, 3, t2);
	sg_set_buf(&t2[0], c, 8);
	sg_set_buf(&t2[1], d, 8);
	EXPECT(T.vq->vq_ops->add_buf(T.vq, t1, 2, 2, a) == 0);
	T.vq->vq_ops->kick(T.vq);
	EXPECT(sim_fetch(&T.sim, &b) == 1 && b.nseg == 4);
	EXPECT(b.seg[0].addr == a && b.seg[1].addr == b2 &&
	       b.seg[2].addr == c && b.seg[3].addr == d);
	EXPECT(!b.seg[1].write && b.seg[2].write);
	sim_use(&T.sim, &b, 16);
	sim_publish(&T.sim);
	EXPECT(T.vq->vq_ops->get_buf(T.vq, &len) == a && len == 16);
	EXPECT(teardown() == 0);
}

int main(void)
{
	static const char *const lay[] = { "split", "packed" };
	char name[80];
	int p, e;

	shim_fail_hook = fail_hook;
#define RUN(fmt, call, ...) do {					\
		long a0 = shim_allocs_live();				\
		snprintf(name, sizeof(name), "tests/" fmt, __VA_ARGS__);\
		call;							\
		report(name, a0);					\
	} while (0)

	for (p = 0; p < 2; p++) {
		for (e = 0; e < 2; e++) {
			const char *ev = e ? "eventidx" : "flags";

			RUN("%s-%s-index-wrap", t_wrap(p, e), lay[p], ev);
			RUN("%s-%s-restart-refuses", t_restart_race(p, e),
			    lay[p], ev);
			RUN("%s-%s-kick-suppressed", t_no_kick(p, e),
			    lay[p], ev);
		}
		RUN("%s-broken-stays-broken", t_broken(p), lay[p]);
		RUN("%s-indirect-kmalloc-fallback", t_indirect_fallback(p),
		    lay[p]);
		RUN("%s-len-clamp-segment-map-failure",
		    t_len_clamp_after_fallback(p, 2), lay[p]);
		RUN("%s-len-clamp-table-map-failure",
		    t_len_clamp_after_fallback(p, 4), lay[p]);
		RUN("%s-map-failure-mid-chain", t_map_failure_mid_chain(p),
		    lay[p]);
		RUN("%s-sg-chain-direct", t_sg_chain(p, false), lay[p]);
		RUN("%s-sg-chain-indirect", t_sg_chain(p, true), lay[p]);
	}
	RUN("%s-kick-after-two-laps", t_kick_after_two_laps(), "packed");
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
