/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark's view of a ring implementation: ours (bench_ours.c) and
 * the base tree's (bench_base.c) each fill one of these.  Each side is
 * linked into one relocatable object whose only global is its struct, so
 * the two rings' same-named functions never meet.
 */
#ifndef _BENCH_H
#define _BENCH_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/scatterlist.h>

/* One request: one readable and one writable buffer, scatterlists built. */
struct bench_req {
	void *out, *in;
	unsigned int olen, ilen;
	struct scatterlist sg[2];	/* ours: a flat table */
	struct scatterlist *sgs[2];	/* base: one list per direction */
};

struct bench_ring {
	const char *name;
	/* Features: VERSION_1, EVENT_IDX, and packed/indirect as asked. */
	void *(*open)(bool packed, bool indirect, unsigned int num,
		      uint64_t addr[3]);
	void (*prep)(struct bench_req *r);
	int (*add)(void *q, struct bench_req *r);
	void (*kick)(void *q);
	void *(*get)(void *q, unsigned int *len);
	void (*interrupt)(void *q);
	void (*close)(void *q);
};

extern const struct bench_ring bench_ours, bench_base;

#endif
