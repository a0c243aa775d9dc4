// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: our ring (virtqueue.c + virtio_ring_split.c/_packed.c, built
 * unchanged against the shims) driven by a driver thread against the
 * simulated device in another thread.
 *
 * The driver adds random batches of buffers (1..MAX_OUT readable and
 * 0..MAX_IN writable segments, random lengths, sometimes a chained
 * scatterlist) and kicks; the device takes them, checks the data the
 * driver wrote, writes its own pattern, uses them (out of order too), and
 * interrupts through vring_interrupt() when the driver's event index or
 * flags ask for it.  Completions are collected in one of two ways:
 *   irq:  the callback drains get_buf under the driver's lock and loops
 *         on restart (or restart_delayed), returning true -- virtio_blk;
 *   napi: the callback returns false (callbacks off) and a poll on the
 *         same thread, after vring_interrupt returns, drains and restarts;
 *   work: the callback returns false and wakes the driver thread, which
 *         drains and restarts -- possibly before vring_interrupt returns.
 * The driver thread also drains opportunistically under its lock.
 *
 * Checked: every token comes back exactly once with the length and data
 * the device wrote; no lost kick or lost interrupt (a watchdog sees both
 * sides asleep with work pending); after the run a reset, shutdown and
 * detach_unused_buf return exactly the buffers still posted; then no DMA
 * mapping, allocation or WARN is left.  Each configuration prints
 * PASS/FAIL <name>; the last line is "N passed, N failed".
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ours.h"
#include "../shim/shim.h"

#define MAX_OUT 4
#define MAX_IN 4
#define MAX_SEG (MAX_OUT + MAX_IN)

enum mode { MODE_IRQ, MODE_NAPI, MODE_WORK };
static const char *const mode_name[] = { "irq", "napi", "work" };

struct cfg {
	bool packed, indirect, event;
	unsigned int num;
	enum mode mode;
	bool inject;		/* fail some GFP_ATOMIC allocations and mappings */
	long count;		/* buffers to complete */
};

struct req {
	uint64_t seq;
	unsigned int nout, nin;
	uint32_t in_total;
	uint8_t *buf[MAX_SEG];
	uint32_t len[MAX_SEG];
	struct scatterlist sg[MAX_SEG];
	struct scatterlist sg2[MAX_SEG];	/* second table when chained */
	bool outstanding;
};

static struct {
	struct cfg cfg;
	struct ours_dev dev;
	struct sim sim;
	pthread_mutex_t lock;		/* the driver's lock */
	pthread_cond_t done_cond;	/* a completion happened */
	sem_t kick;			/* notify -> device */
	bool stop;			/* device thread: finish */
	bool napi_scheduled;
	bool work_pending;		/* MODE_WORK: the driver thread polls */
	long submitted, completed, outstanding;
	long kicks, irqs, irq_none, enomem;
	unsigned long progress;		/* bumped by both sides */
	bool dev_idle;			/* device asleep waiting for a kick */
	char failure[256];
	bool failed;
	uint64_t drv_rng;
} T;

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned int rnd_below(unsigned int n)
{
	return rnd() % n;
}

static void failf(const char *fmt, ...)
{
	va_list ap;

	/* Callers may hold the driver's lock: only fail_lock here. */
	pthread_mutex_lock(&fail_lock);
	if (!T.failure[0]) {
		char msg[sizeof(T.failure)];

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		memcpy(T.failure, msg, sizeof(msg));
		__atomic_store_n(&T.failed, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&fail_lock);
	__atomic_store_n(&T.stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&T.done_cond);
	sem_post(&T.kick);
}

static bool failed(void)
{
	return __atomic_load_n(&T.failed, __ATOMIC_ACQUIRE);
}

static void bump_progress(void)
{
	__atomic_add_fetch(&T.progress, 1, __ATOMIC_RELAXED);
}

/* --- data patterns --------------------------------------------------------- */

static uint8_t pat_out(uint64_t seq, unsigned int seg, uint32_t k)
{
	return (uint8_t)(seq * 7 + seg * 31 + k);
}

static uint8_t pat_in(uint64_t seq, unsigned int seg, uint32_t k)
{
	return (uint8_t)(seq * 13 + seg * 57 + k + 1);
}

/* --- requests --------------------------------------------------------------- */

static uint32_t rnd_len(void)
{
	switch (rnd_below(16)) {
	case 0:
		return 1 + rnd_below(9000);	/* crosses pages */
	case 1:
		return 1;
	default:
		return 1 + rnd_below(256);
	}
}

static struct req *req_new(uint64_t seq)
{
	unsigned int num = T.cfg.num, i, split;
	struct req *r = calloc(1, sizeof(*r));
	struct scatterlist *sg;

	r->seq = seq;
	r->nout = 1 + rnd_below(MAX_OUT);
	r->nin = rnd_below(MAX_IN + 1);
	while (r->nout + r->nin > num) {	/* no chain longer than the ring */
		if (r->nin)
			r->nin--;
		else
			r->nout--;
	}
	for (i = 0; i < r->nout + r->nin; i++) {
		uint32_t len = rnd_len(), k;

		if (i == 0 && len < 8)
			len = 8;	/* room for the sequence number */
		r->len[i] = len;
		r->buf[i] = malloc(len);
		if (i < r->nout) {
			for (k = 0; k < len; k++)
				r->buf[i][k] = pat_out(seq, i, k);
		} else {
			memset(r->buf[i], 0xee, len);
			r->in_total += len;
		}
	}
	memcpy(r->buf[0], &seq, sizeof(seq));

	/* A flat array, or (1 in 4) two tables joined with sg_chain(). */
	split = r->nout + r->nin > 1 && rnd_below(4) == 0 ?
		1 + rnd_below(r->nout + r->nin - 1) : 0;
	sg_init_table(r->sg, MAX_SEG);
	sg_init_table(r->sg2, MAX_SEG);
	for (i = 0, sg = r->sg; i < r->nout + r->nin; i++, sg++) {
		if (split && i == split) {
			sg_chain(r->sg, split + 1, r->sg2);
			sg = r->sg2;
		}
		sg_set_buf(sg, r->buf[i], r->len[i]);
	}
	return r;
}

static void req_free(struct req *r)
{
	unsigned int i;

	for (i = 0; i < r->nout + r->nin; i++)
		free(r->buf[i]);
	free(r);
}

/* With the driver's lock held: check a completion and free it. */
static void complete(struct req *r, unsigned int len)
{
	unsigned int i;
	uint32_t k;

	if (!r->outstanding) {
		failf("token %llu returned twice", (unsigned long long)r->seq);
		return;
	}
	r->outstanding = false;
	if (len != r->in_total)
		failf("seq %llu: len %u, device wrote %u",
		      (unsigned long long)r->seq, len, r->in_total);
	for (i = r->nout; i < r->nout + r->nin; i++)
		for (k = 0; k < r->len[i]; k++)
			if (r->buf[i][k] != pat_in(r->seq, i, k)) {
				failf("seq %llu: in data differs at seg %u byte %u",
				      (unsigned long long)r->seq, i, k);
				i = MAX_SEG;
				break;
			}
	req_free(r);
	T.completed++;
	T.outstanding--;
	bump_progress();
}

static void drain(struct virtqueue *vq)
{
	unsigned int len;
	struct req *r;

	while ((r = vq->vq_ops->get_buf(vq, &len)))
		complete(r, len);
}

/* Drain until callbacks are back on: the documented callback loop. */
static void drain_and_restart(struct virtqueue *vq)
{
	bool delayed = rnd_below(4) == 0;

	do {
		drain(vq);
	} while (!(delayed ? vq->vq_ops->restart_delayed(vq) :
			     vq->vq_ops->restart(vq)));
	pthread_cond_broadcast(&T.done_cond);
}

/* --- transport hooks -------------------------------------------------------- */

static bool notify(struct virtqueue *vq)
{
	T.kicks++;
	sem_post(&T.kick);
	return true;
}

static bool callback(struct virtqueue *vq)
{
	if (T.cfg.mode == MODE_NAPI) {
		T.napi_scheduled = true;
		return false;
	}
	if (T.cfg.mode == MODE_WORK) {
		pthread_mutex_lock(&T.lock);
		T.work_pending = true;
		pthread_cond_broadcast(&T.done_cond);
		pthread_mutex_unlock(&T.lock);
		return false;
	}
	pthread_mutex_lock(&T.lock);
	drain_and_restart(vq);
	pthread_mutex_unlock(&T.lock);
	return true;
}

static bool fail_hook(enum shim_fail_site site)
{
	/* Only the driver thread allocates or maps, under its lock. */
	return site == SHIM_FAIL_KMALLOC_ATOMIC ? rnd_below(20) == 0 :
						  rnd_below(100) == 0;
}

/* --- the device thread ------------------------------------------------------ */

static bool dev_check_out(const struct sim_buf *b)
{
	uint64_t seq;
	unsigned int i;
	uint32_t k;

	if (!b->nseg || b->seg[0].write || b->seg[0].len < 8)
		return false;
	memcpy(&seq, b->seg[0].addr, 8);
	for (i = 0; i < b->nseg && !b->seg[i].write; i++)
		for (k = i ? 0 : 8; k < b->seg[i].len; k++)
			if (((uint8_t *)b->seg[i].addr)[k] != pat_out(seq, i, k))
				return false;
	return true;
}

static void dev_write_in(const struct sim_buf *b)
{
	uint64_t seq;
	unsigned int i;
	uint32_t k;

	memcpy(&seq, b->seg[0].addr, 8);
	for (i = 0; i < b->nseg; i++)
		if (b->seg[i].write)
			for (k = 0; k < b->seg[i].len; k++)
				((uint8_t *)b->seg[i].addr)[k] = pat_in(seq, i, k);
}

static void *device_thread(void *arg)
{
	struct virtqueue *vq = T.dev.vq;
	struct sim *s = &T.sim;
	struct sim_buf *pend = calloc(T.cfg.num, sizeof(*pend));
	unsigned int npend = 0;

	rng_state = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull | 1;
	while (!__atomic_load_n(&T.stop, __ATOMIC_ACQUIRE)) {
		unsigned int k, i;
		int r = 0;

		while (npend < T.cfg.num && (r = sim_fetch(s, &pend[npend])) == 1) {
			if (!dev_check_out(&pend[npend])) {
				failf("device: bad out data (id %u)", pend[npend].id);
				goto out;
			}
			npend++;
			bump_progress();
		}
		if (r < 0) {
			failf("device: %s", s->error);
			break;
		}
		if (npend) {
			/* Use some of what we hold, in any order. */
			k = 1 + rnd_below(npend);
			while (k--) {
				i = rnd_below(3) ? 0 : rnd_below(npend);
				dev_write_in(&pend[i]);
				sim_use(s, &pend[i], pend[i].in_len);
				memmove(&pend[i], &pend[i + 1],
					(npend - i - 1) * sizeof(*pend));
				npend--;
				if (rnd_below(4) == 0)
					sim_publish(s);
			}
			sim_publish(s);
			if (sim_need_interrupt(s)) {
				T.irqs++;
				if (vring_interrupt(0, vq) == IRQ_NONE)
					T.irq_none++;
				if (T.napi_scheduled) {	/* the "softirq" */
					T.napi_scheduled = false;
					pthread_mutex_lock(&T.lock);
					drain_and_restart(vq);
					pthread_mutex_unlock(&T.lock);
				}
			}
			continue;
		}

		/* Idle: ask for a kick, look once more, then sleep. */
		sim_want_kicks(s, true);
		if (!sim_avail(s)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			__atomic_store_n(&T.dev_idle, true, __ATOMIC_RELEASE);
			sem_timedwait(&T.kick, &ts);
			__atomic_store_n(&T.dev_idle, false, __ATOMIC_RELEASE);
		}
		sim_want_kicks(s, rnd_below(2));
	}
out:
	free(pend);
	return NULL;
}

/* --- the driver ------------------------------------------------------------- */

/* MODE_WORK: the deferred poll, on the driver thread, lock held. */
static void run_work(void)
{
	if (T.work_pending) {
		T.work_pending = false;
		drain_and_restart(T.dev.vq);
	}
}

/* Both sides asleep and nothing moving: say which side lost a wakeup. */
static void diagnose_stall(void)
{
	struct virtqueue *vq = T.dev.vq;
	unsigned int len;
	void *r = vq->vq_ops->get_buf(vq, &len);

	if (r) {
		complete(r, len);
		failf("stall: used buffers waiting but no callback (lost interrupt)");
	} else if (sim_avail(&T.sim)) {
		failf("stall: buffers available but no kick (lost kick)");
	} else {
		failf("stall: %ld outstanding, %u descriptors free, nothing "
		      "pending on either side", T.outstanding,
		      virtqueue_num_free(vq));
	}
}

/* With the lock held: wait until @cond or a stall. */
static void wait_for(bool (*cond)(long), long arg)
{
	unsigned long seen = 0;
	int stuck = 0;

	while (!failed()) {
		struct timespec ts;

		run_work();
		if (cond(arg))
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (pthread_cond_timedwait(&T.done_cond, &T.lock, &ts) != ETIMEDOUT)
			continue;
		if (__atomic_load_n(&T.progress, __ATOMIC_RELAXED) != seen ||
		    !__atomic_load_n(&T.dev_idle, __ATOMIC_ACQUIRE)) {
			seen = __atomic_load_n(&T.progress, __ATOMIC_RELAXED);
			stuck = 0;
		} else if (++stuck == 3) {
			diagnose_stall();
		}
	}
}

static bool completed_beyond(long n)
{
	return T.completed > n;
}

static bool all_done(long unused)
{
	return T.outstanding == 0;
}

static int add(struct virtqueue *vq, struct req *r)
{
	int err = vq->vq_ops->add_buf(vq, r->sg, r->nout, r->nin, r);

	if (!err) {
		r->outstanding = true;
		T.outstanding++;
		T.submitted++;
	}
	return err;
}

static void driver_loop(void)
{
	struct virtqueue *vq = T.dev.vq;
	uint64_t seq = 1;

	pthread_mutex_lock(&T.lock);
	while (T.submitted < T.cfg.count && !failed()) {
		unsigned int batch = 1 + rnd_below(rnd_below(8) ? 8 : T.cfg.num);
		long full = -1;	/* T.completed when add_buf found no room */

		while (batch-- && T.submitted < T.cfg.count) {
			struct req *r = req_new(seq);
			int err = add(vq, r);

			if (err) {
				req_free(r);
				if (err == -ENOMEM) {
					T.enomem++;
					continue;
				}
				if (err != -ENOSPC)
					failf("add_buf: %d", err);
				full = T.completed;
				break;
			}
			seq++;
			if (rnd_below(16) == 0)
				vq->vq_ops->kick(vq);
		}
		vq->vq_ops->kick(vq);
		run_work();
		if (virtqueue_is_broken(vq))
			failf("queue broke");
		if (rnd_below(4) == 0)
			drain(vq);
		if (full >= 0)
			wait_for(completed_beyond, full);
		else if (rnd_below(64) == 0)
			wait_for(all_done, 0);
	}
	wait_for(all_done, 0);
	pthread_mutex_unlock(&T.lock);
}

/*
 * The device goes away with buffers posted: reset, shutdown, and every
 * token still out must come back from detach_unused_buf, once.
 */
static void teardown(void)
{
	struct virtqueue *vq = T.dev.vq;
	long back = 0;
	unsigned int n = 1 + rnd_below(T.cfg.num);
	struct req *r;

	shim_fail_hook = NULL;
	while (n--) {
		r = req_new(0);
		if (add(vq, r)) {
			req_free(r);
			break;
		}
	}
	vq->vq_ops->kick(vq);

	smp_store_release(&T.dev.vdev.ready, false);	/* the reset */
	vq->vq_ops->shutdown(vq);
	if (vq->vq_ops->get_buf(vq, &n))
		failf("get_buf after shutdown returned a token");
	while ((r = vq->vq_ops->detach_unused_buf(vq))) {
		if (!r->outstanding) {
			failf("detach_unused_buf: token not outstanding");
			break;
		}
		r->outstanding = false;
		req_free(r);
		back++;
	}
	if (back != T.outstanding)
		failf("detach_unused_buf gave %ld tokens, %ld were out", back,
		      T.outstanding);
	vring_del_virtqueue(vq);
}

static void run(const struct cfg *cfg, const char *name, uint64_t seed)
{
	long allocs0 = shim_allocs_live();
	struct timespec t0, t1;
	pthread_t dev;
	int err;

	memset(&T, 0, sizeof(T));
	T.cfg = *cfg;
	pthread_mutex_init(&T.lock, NULL);
	pthread_cond_init(&T.done_cond, NULL);
	sem_init(&T.kick, 0, 0);
	shim_reset_counters();
	rng_state = seed | 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	err = ours_create(&T.dev, ours_features(cfg->packed, cfg->indirect,
						cfg->event),
			  cfg->num, notify, callback, NULL);
	if (err) {
		printf("FAIL %s: create: %d\n", name, err);
		return;
	}
	ours_sim_init(&T.dev, &T.sim);
	shim_fail_hook = cfg->inject ? fail_hook : NULL;

	pthread_create(&dev, NULL, device_thread, (void *)(uintptr_t)(seed + 1));
	driver_loop();
	__atomic_store_n(&T.stop, true, __ATOMIC_RELEASE);
	sem_post(&T.kick);
	pthread_join(dev, NULL);
	teardown();

	if (!failed() && shim_dma_live())
		failf("%ld DMA mappings leaked", shim_dma_live());
	if (!failed() && shim_dma_bad_unmaps())
		failf("%ld bad DMA unmaps", shim_dma_bad_unmaps());
	if (!failed() && shim_coherent_live())
		failf("ring memory leaked");
	if (!failed() && shim_allocs_live() != allocs0)
		failf("%ld allocations leaked", shim_allocs_live() - allocs0);
	if (!failed() && shim_warnings())
		failf("%ld WARNs", shim_warnings());
	if (!failed() && shim_errors())
		failf("%ld dev_err messages", shim_errors());

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (failed())
		printf("FAIL %s: %s\n", name, T.failure);
	else
		printf("PASS %s: %ld buffers, %ld kicks, %ld irqs (%ld spurious), "
		       "%ld ENOMEM, %.2fs\n", name, T.completed, T.kicks,
		       T.irqs, T.irq_none, T.enomem,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
	sem_destroy(&T.kick);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 4, 16, 256 };
	long count = 100000, total = 0;
	const char *only = NULL;
	uint64_t seed = 1;
	int passed = 0, nfailed = 0, i;
	unsigned int v, z;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			shim_verbose = true;
		else {
			fprintf(stderr, "usage: %s [--count N] [--seed S] "
				"[--only SUBSTR] [-v]\n", argv[0]);
			return 2;
		}
	}

	/* split/packed x indirect x event idx x ring size; modes alternate. */
	for (v = 0; v < 8; v++) {
		for (z = 0; z < ARRAY_SIZE(sizes); z++) {
			struct cfg c = {
				.packed = v & 4, .indirect = v & 2,
				.event = v & 1, .num = sizes[z],
				.mode = (v + z) % 3,
				.inject = z == 1, .count = count,
			};
			char name[96];

			snprintf(name, sizeof(name), "stress/%s-%s-%s-%u-%s%s",
				 c.packed ? "packed" : "split",
				 c.indirect ? "indirect" : "direct",
				 c.event ? "eventidx" : "flags", c.num,
				 mode_name[c.mode],
				 c.inject ? "-inject" : "");
			if (only && !strstr(name, only))
				continue;
			run(&c, name, seed + v * 16 + z);
			if (failed()) {
				nfailed++;
			} else {
				passed++;
				total += T.completed;
			}
		}
	}
	printf("stress: %ld buffers completed in passing runs\n", total);
	printf("%d passed, %d failed\n", passed, nfailed);
	return nfailed ? 1 : 0;
}
