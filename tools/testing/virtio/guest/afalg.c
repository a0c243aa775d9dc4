// SPDX-License-Identifier: GPL-2.0
/*
 * afalg: one skcipher operation through the kernel's AF_ALG sockets, by
 * driver name, so that the guest tests choose the implementation (the
 * virtio-crypto device's, or the generic one to compare with).
 *
 *   afalg DRIVER enc|dec KEY-HEX IV-HEX <in >out
 *
 * Reads all of stdin (at most MAX_DATA bytes), writes the result to stdout.
 * Exit status 1 with a message on stderr for any error.
 */
#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One sendmsg, below the socket's send buffer: AF_ALG waits for room. */
#define MAX_DATA (64 << 10)
#define MAX_KEY 64

static unsigned char data[MAX_DATA];

static void die(const char *what)
{
	fprintf(stderr, "afalg: %s: %s\n", what, strerror(errno));
	exit(1);
}

static size_t unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = strlen(hex) / 2, i;

	if (strlen(hex) % 2 || n > max) {
		fprintf(stderr, "afalg: bad hex string %s\n", hex);
		exit(1);
	}
	for (i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1) {
			fprintf(stderr, "afalg: bad hex string %s\n", hex);
			exit(1);
		}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "skcipher" };
	unsigned char key[MAX_KEY], ivbuf[sizeof(struct af_alg_iv) + MAX_KEY];
	struct af_alg_iv *iv = (struct af_alg_iv *)ivbuf;
	char cbuf[CMSG_SPACE(sizeof(__u32)) + CMSG_SPACE(sizeof(ivbuf))] = { 0 };
	struct iovec io = { .iov_base = data };
	struct msghdr msg = {
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		.msg_iov = &io, .msg_iovlen = 1,
	};
	struct cmsghdr *c;
	size_t keylen, len = 0;
	ssize_t n;
	int tfm, op;

	if (argc != 5 || (strcmp(argv[2], "enc") && strcmp(argv[2], "dec"))) {
		fprintf(stderr, "usage: afalg DRIVER enc|dec KEY-HEX IV-HEX <in >out\n");
		return 1;
	}
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", argv[1]);
	keylen = unhex(argv[3], key, sizeof(key));
	iv->ivlen = unhex(argv[4], iv->iv, MAX_KEY);

	while ((n = read(0, data + len, sizeof(data) - len)) > 0)
		len += n;
	if (n < 0)
		die("read");

	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		die("socket(AF_ALG)");
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)))
		die(argv[1]);
	if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen))
		die("ALG_SET_KEY");
	op = accept(tfm, NULL, 0);
	if (op < 0)
		die("accept");

	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(__u32));
	*(__u32 *)CMSG_DATA(c) = argv[2][0] == 'e' ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(*iv) + iv->ivlen);
	memcpy(CMSG_DATA(c), iv, sizeof(*iv) + iv->ivlen);
	/* Exactly the two messages: the kernel rejects trailing space. */
	msg.msg_controllen = CMSG_SPACE(sizeof(__u32)) + CMSG_SPACE(sizeof(*iv) + iv->ivlen);

	io.iov_len = len;
	if (sendmsg(op, &msg, 0) != (ssize_t)len)
		die("sendmsg");
	n = read(op, data, len);
	if (n != (ssize_t)len)
		die("read the result");
	if (write(1, data, len) != (ssize_t)len)
		die("write");
	return 0;
}
