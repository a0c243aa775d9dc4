// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: one driver-side workload through our ring or the base
 * tree's, single-threaded, the simulated device completing inline.
 *
 *   bench [--ir] ours|base split|packed single|batch direct|indirect ITERS
 *
 * single: add one buffer (one readable + one writable segment), kick, the
 *         device completes it, interrupt if the driver asked, get_buf
 *         until NULL.
 * batch:  the same with BATCH buffers added before one kick.
 * Both rings: ring size 256, EVENT_IDX on, INDIRECT_DESC as asked, -O2.
 *
 * Default: the median over REPS timed runs, in ns per buffer.  --ir runs
 * bench_measure() once, for callgrind: run-bench.sh collects only inside
 * it (--toggle-collect) and leaves bench_device() out, so the count is the
 * driver's side alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include "sim.h"

#define NUM 256
#define BATCH 32
#define REPS 7

static struct sim sim;

/* The device: take every buffer, use it whole, say if it interrupts. */
noinline bool bench_device(void)
{
	struct sim_buf b;

	while (sim_fetch(&sim, &b) == 1)
		sim_use(&sim, &b, b.in_len);
	if (sim.error) {
		fprintf(stderr, "device: %s\n", sim.error);
		exit(1);
	}
	sim_publish(&sim);
	sim_want_kicks(&sim, true);
	return sim_need_interrupt(&sim);
}

noinline void bench_measure(const struct bench_ring *ring,
					     void *q, struct bench_req *reqs,
					     unsigned int batch, long iters)
{
	unsigned int len, i;
	long n;

	for (n = 0; n < iters; n++) {
		for (i = 0; i < batch; i++)
			if (ring->add(q, &reqs[i]))
				abort();
		ring->kick(q);
		if (bench_device())
			ring->interrupt(q);
		for (i = 0; ring->get(q, &len); i++)
			;
		if (i != batch)
			abort();
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static char out[BATCH][16], in[BATCH][16];
	struct bench_req reqs[BATCH];
	const struct bench_ring *ring;
	bool ir = argc > 1 && !strcmp(argv[1], "--ir");
	bool packed, indirect;
	unsigned int batch, i;
	double t[REPS];
	uint64_t addr[3];
	long iters;
	void *q;

	if (argc != 6 + ir) {
		fprintf(stderr, "usage: %s [--ir] ours|base split|packed "
			"single|batch direct|indirect ITERS\n", argv[0]);
		return 2;
	}
	argv += ir;
	ring = !strcmp(argv[1], "base") ? &bench_base : &bench_ours;
	packed = !strcmp(argv[2], "packed");
	batch = !strcmp(argv[3], "batch") ? BATCH : 1;
	indirect = !strcmp(argv[4], "indirect");
	iters = atol(argv[5]);

	q = ring->open(packed, indirect, NUM, addr);
	sim_init(&sim, packed, true, NUM, addr[0], addr[1], addr[2]);
	for (i = 0; i < BATCH; i++) {
		reqs[i] = (struct bench_req) {
			.out = out[i], .olen = sizeof(out[i]),
			.in = in[i], .ilen = sizeof(in[i]),
		};
		ring->prep(&reqs[i]);
	}

	bench_measure(ring, q, reqs, batch, 1000);	/* warm up, and wrap */
	if (ir) {
		bench_measure(ring, q, reqs, batch, iters);
	} else {
		for (i = 0; i < REPS; i++) {
			double t0 = now_ns();

			bench_measure(ring, q, reqs, batch, iters);
			t[i] = (now_ns() - t0) / ((double)iters * batch);
		}
		qsort(t, REPS, sizeof(t[0]), cmp_double);
		printf("%.1f\n", t[REPS / 2]);
	}
	ring->close(q);
	return 0;
}
