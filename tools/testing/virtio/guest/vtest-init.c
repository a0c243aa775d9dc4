// SPDX-License-Identifier: GPL-2.0
/*
 * vtest-init: PID 1 of the virtio test guests that have no busybox.
 *
 * The x86 guests run guest/init, a shell script, with a static busybox.
 * Debian has no ppc64 (big-endian) userland, so there is no busybox for a
 * ppc64 guest, and for arm64 one static C program is simpler than a cross
 * busybox.  This is that program, linked statically: it mounts the pseudo
 * filesystems, loads the modules listed in /lib/modules/load.list with
 * finit_module(), runs the tests named by vtest=a,b,c on the kernel command
 * line, prints a summary and powers the guest off.  The tests, blk and rng,
 * make the checks of tests/blk.sh and tests/rng.sh, except blk-resize,
 * which needs the host, and blk-fs, which checks files the host wrote.
 *
 * The console protocol is the shell tests' one, parsed by qemu.py and
 * logparse.py: one "VTEST PASS <name>" or "VTEST FAIL <name>: <reason>"
 * line per check, free-form lines starting with "vtest: ", a summary, then
 * "VTEST DONE".
 *
 * Kernel command line:
 *   vtest=blk,rng          the tests to run
 *   vtest.disk_sectors=N   the capacity the host gave /dev/vda
 *   vtest.fs_files=N       /dev/vda holds an ext2 filesystem with the files
 *                          h0 .. h{N-1} of fs_pattern.py
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>

/* The kernel's, for format checking in userspace. */
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MIB		1048576LL
#define DEV		"/dev/vda"
#define SYS_DISK	"/sys/block/vda"
#define BLK_DRV		"/sys/bus/virtio/drivers/virtio_blk"
#define RNG_CURRENT	"/sys/class/misc/hw_random/rng_current"
#define MNT		"/mnt"

/* The file pattern of fs_pattern.py: keep both in step. */
#define GOLDEN		0x9e3779b97f4a7c15ULL
#define HOST_SEED	0x76746573742d6673ULL	/* "vtest-fs" */
#define GUEST_SEED	0x67756573742d6673ULL	/* "guest-fs" */
#define IO_SEED		0x766474657374696fULL	/* raw disk I/O */
static const long long fs_sizes[] = { 1, 4095, 65536, 1000000, 4 * MIB };
#define NR_SIZES	((long long)ARRAY_SIZE(fs_sizes))

static int passed, failed;
static char failures[8192];	/* the summary's FAIL lines */
static char why[512];		/* the reason of the failing check */

static char tests[256];
static long long disk_sectors = -1, fs_files = -1;

/* The modules of load.list, for reloading. */
static struct module {
	char name[64];
	char path[PATH_MAX];
} modules[32];
static unsigned int nr_modules;

static __printf(1, 2) void say(const char *fmt, ...)
{
	va_list ap;

	fputs("vtest: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Set the reason of a failing check; "return fail(...);" returns -1. */
static __printf(1, 2) int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Print the one line of check @name, which returned @rc; returns @rc. */
static int report(const char *name, int rc)
{
	size_t len = strlen(failures);

	if (!rc) {
		printf("VTEST PASS %s\n", name);
		passed++;
	} else {
		printf("VTEST FAIL %s: %s\n", name, why);
		snprintf(failures + len, sizeof(failures) - len,
			 "  FAIL %s: %s\n", name, why);
		failed++;
	}
	return rc;
}

/* Read a small file into @buf, without the newline; errno on failure. */
static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, s, strlen(s));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The last component of the target of symlink @path, or "" in @buf. */
static void link_name(const char *path, char *buf, size_t size)
{
	char target[PATH_MAX], *base;
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	size_t len;

	target[n < 0 ? 0 : n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	len = strlen(base) < size ? strlen(base) : size - 1;
	memcpy(buf, base, len);
	buf[len] = '\0';
}

/* Does @path exist, and if @type is not 0, is it of that S_IFMT type? */
static bool exists(const char *path, mode_t type)
{
	struct stat st;

	return !stat(path, &st) && (!type || (st.st_mode & S_IFMT) == type);
}

/* Wait up to 10 s until exists(@path, @type) is @want. */
static bool wait_for(const char *path, mode_t type, bool want)
{
	int i;

	for (i = 0; exists(path, type) != want; i++) {
		if (i == 100)
			return false;
		usleep(100000);
	}
	return true;
}

/* Load the module at @path; returns 0 or -errno. */
static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
		err = -errno;
	close(fd);
	return err;
}

static void load_modules(void)
{
	FILE *list = fopen("/lib/modules/load.list", "re");
	char line[PATH_MAX], *name, *c;
	struct module *m;
	int err;

	while (list && fgets(line, sizeof(line), list)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '/')
			continue;
		say("insmod %s", line);
		err = load_module(line);
		if (err)
			say("insmod %s failed: %s", line, strerror(-err));
		if (nr_modules == ARRAY_SIZE(modules))
			continue;
		/* The module's name: the file's without .ko, '-' as '_'. */
		m = &modules[nr_modules++];
		snprintf(m->path, sizeof(m->path), "%s", line);
		name = strrchr(line, '/') + 1;
		name[strcspn(name, ".")] = '\0';
		for (c = name; *c; c++)
			*c = *c == '-' ? '_' : *c;
		snprintf(m->name, sizeof(m->name), "%.63s", name);
	}
	if (list)
		fclose(list);
}

/* The module @name if load.list loaded it, or NULL (built in). */
static struct module *find_module(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_modules; i++)
		if (!strcmp(modules[i].name, name))
			return &modules[i];
	return NULL;
}

/* Unload @m, wait for @gone (if not NULL) to go, load @m again. */
static int reload_module(const struct module *m, const char *gone)
{
	int err;

	if (syscall(SYS_delete_module, m->name, O_NONBLOCK))
		return fail("rmmod %s: %s", m->name, strerror(errno));
	if (gone && !wait_for(gone, 0, false))
		return fail("%s still there 10 s after rmmod %s", gone, m->name);
	err = load_module(m->path);
	return err ? fail("insmod %s: %s", m->path, strerror(-err)) : 0;
}

/*
 * The pattern of the files and of the raw disk I/O: a 64-bit xorshift
 * generator, each output giving 8 bytes, least significant first, so that
 * the bytes are the same on big- and little-endian machines.
 */
struct stream {
	__u64 x;	/* the generator's state */
	__u64 word;	/* the bytes of the last output not handed out yet */
	int left;	/* how many there are */
};

/* Start the stream of file number @k of the set seeded by @base. */
static void stream_init(struct stream *s, __u64 base, __u64 k)
{
	s->x = base ^ ((k + 1) * GOLDEN);
	s->x = s->x ? s->x : 1;
	s->left = 0;
}

static void stream_fill(struct stream *s, unsigned char *p, size_t n)
{
	while (n--) {
		if (!s->left) {
			s->x ^= s->x << 13;
			s->x ^= s->x >> 7;
			s->x ^= s->x << 17;
			s->word = s->x;
			s->left = 8;
		}
		*p++ = s->word & 0xff;
		s->word >>= 8;
		s->left--;
	}
}

/* The offset of the first byte where @a and @b differ, or -1. */
static long long first_diff(const unsigned char *a, const unsigned char *b,
			    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/* Why a read or write returned @n, not the whole count. */
static const char *io_error(ssize_t n)
{
	return n < 0 ? strerror(errno) : "short transfer";
}

static unsigned char got_buf[65536], want_buf[65536];

/* Write @size bytes of @s to the new file @path. */
static int write_file(const char *path, struct stream *s, long long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	long long off, len;
	ssize_t n = 0;

	if (fd < 0)
		return fail("creating %s: %s", path, strerror(errno));
	for (off = 0; off < size; off += n) {
		len = size - off < 65536 ? size - off : 65536;
		stream_fill(s, want_buf, len);
		n = write(fd, want_buf, len);
		if (n != len)
			break;
	}
	close(fd);
	if (off < size)
		return fail("writing %s at byte %lld: %s", path, off,
			    io_error(n));
	return 0;
}

/* Does the file @path hold exactly the @size bytes of @s? */
static int check_file(const char *path, struct stream *s, long long size,
		      const char *when)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	long long off, d;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st))
		rc = fail("%s: %s: %s", when, path, strerror(errno));
	else if (st.st_size != size)
		rc = fail("%s: %s has %lld bytes, want %lld", when, path,
			  (long long)st.st_size, size);
	for (off = 0; !rc && off < size; off += n) {
		n = read(fd, got_buf, size - off < 65536 ? size - off : 65536);
		if (n <= 0) {
			rc = fail("%s: reading %s at byte %lld: %s", when, path,
				  off, io_error(n));
			break;
		}
		stream_fill(s, want_buf, n);
		d = first_diff(got_buf, want_buf, n);
		if (d >= 0)
			rc = fail("%s: %s differs at byte %lld: 0x%02x, want 0x%02x",
				  when, path, off + d, got_buf[d], want_buf[d]);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Write (@wr) or check the files @prefix0 .. @prefix{@nr - 1} of the set
 * seeded by @base: file k has fs_sizes[k % NR_SIZES] bytes.
 */
static int files(char prefix, __u64 base, long long nr, bool wr,
		 const char *when)
{
	struct stream s;
	char path[64];
	long long k;
	int rc = 0;

	for (k = 0; k < nr && !rc; k++) {
		snprintf(path, sizeof(path), MNT "/%c%lld", prefix, k);
		stream_init(&s, base, k);
		rc = wr ? write_file(path, &s, fs_sizes[k % NR_SIZES]) :
			  check_file(path, &s, fs_sizes[k % NR_SIZES], when);
	}
	return rc;
}

/*
 * Write @size bytes of a pattern at byte @off of the disk, read them back
 * past the page cache (O_DIRECT both ways), compare.
 */
static int disk_io(long long off, long long size)
{
	static __u64 ios;	/* each I/O writes another pattern */
	void *out = NULL, *in = NULL;
	struct stream s;
	int fd, rc = 0;
	long long d;
	ssize_t n;

	if (posix_memalign(&out, 4096, size) ||
	    posix_memalign(&in, 4096, size)) {
		free(out);
		return fail("no memory for %lld bytes", size);
	}
	stream_init(&s, IO_SEED ^ off, ++ios);
	stream_fill(&s, out, size);
	memset(in, 0, size);
	fd = open(DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		rc = fail("opening " DEV ": %s", strerror(errno));
		goto out;
	}
	n = pwrite(fd, out, size, off);
	if (n != size || fsync(fd)) {
		rc = fail("writing: %s", io_error(n));
		goto out;
	}
	n = pread(fd, in, size, off);
	if (n != size) {
		rc = fail("reading back: %s", io_error(n));
		goto out;
	}
	d = first_diff(in, out, size);
	if (d >= 0)
		rc = fail("read 0x%02x at byte %lld of the disk, wrote 0x%02x",
			  ((unsigned char *)in)[d], off + d,
			  ((unsigned char *)out)[d]);
out:
	if (fd >= 0)
		close(fd);
	free(out);
	free(in);
	return rc;
}

static int blk_present(void)
{
	return wait_for(DEV, S_IFBLK, true) ? 0 : fail("no " DEV " in 10 s");
}

static int blk_driver(const char *vdev)
{
	char path[PATH_MAX], drv[64];

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/driver", vdev);
	link_name(path, drv, sizeof(drv));
	if (strcmp(drv, "virtio_blk"))
		return fail("vda (%s) is bound to '%s', not virtio_blk",
			    vdev, drv);
	return 0;
}

static int blk_capacity(long long *sectors)
{
	char buf[32], want[32] = "?";

	if (read_str(SYS_DISK "/size", buf, sizeof(buf)))
		return fail(SYS_DISK "/size: %s", strerror(errno));
	*sectors = strtoll(buf, NULL, 10);
	if (disk_sectors >= 0)
		snprintf(want, sizeof(want), "%lld", disk_sectors);
	if (*sectors != disk_sectors)
		return fail(SYS_DISK "/size is %lld sectors, the host gave %s",
			    *sectors, want);
	return 0;
}

/*
 * The host's files are there, and the guest's survive umount, dropping
 * the caches and mount.  ext2 is little-endian on disk, so a big-endian
 * guest checks its byte swapping both ways.
 */
static int blk_fs(void)
{
	char extra[64];
	int rc;

	if (fs_files < 0)
		return fail("no vtest.fs_files=N on the kernel command line");
	if (mount(DEV, MNT, "ext2", 0, NULL))
		return fail("mount -t ext2 " DEV " " MNT ": %s",
			    strerror(errno));
	rc = files('h', HOST_SEED, fs_files, false, "first mount");
	snprintf(extra, sizeof(extra), MNT "/h%lld", fs_files);
	if (!rc && exists(extra, 0))
		rc = fail("%s exists, but vtest.fs_files=%lld", extra,
			  fs_files);
	if (!rc)
		rc = files('g', GUEST_SEED, NR_SIZES, true, "writing");
	sync();
	if (umount(MNT) && !rc)
		rc = fail("umount " MNT ": %s", strerror(errno));
	if (rc)
		return rc;
	if (write_str("/proc/sys/vm/drop_caches", "3"))
		return fail("dropping the caches: %s", strerror(errno));
	if (mount(DEV, MNT, "ext2", 0, NULL))
		return fail("mounting again: %s", strerror(errno));
	rc = files('h', HOST_SEED, fs_files, false, "after remount");
	if (!rc)
		rc = files('g', GUEST_SEED, NR_SIZES, false, "after remount");
	if (umount(MNT) && !rc)
		rc = fail("second umount " MNT ": %s", strerror(errno));
	return rc;
}

/* The raw I/O checks of blk.sh; @end is the disk's size in bytes. */
static void blk_io(long long end)
{
	const long long io[][2] = {	/* offset, size */
		{ 0, 512 }, { 4096, 4096 }, { MIB + 512, MIB },
		{ 7 * MIB, 3 * MIB }, { end - 4096, 4096 },
	};
	char name[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(io); i++) {
		snprintf(name, sizeof(name), "blk-io-%lld@%lld",
			 io[i][1], io[i][0]);
		report(name, disk_io(io[i][0], io[i][1]));
	}
}

static int blk_unbind(const char *vdev)
{
	if (write_str(BLK_DRV "/unbind", vdev))
		return fail("unbinding %s: %s", vdev, strerror(errno));
	if (!wait_for(DEV, 0, false) || !wait_for(SYS_DISK, 0, false))
		return fail(DEV " still there after unbinding %s", vdev);
	return 0;
}

static int blk_rebind(const char *vdev)
{
	if (write_str(BLK_DRV "/bind", vdev))
		return fail("binding %s: %s", vdev, strerror(errno));
	if (!wait_for(DEV, S_IFBLK, true))
		return fail("no " DEV " after binding %s again", vdev);
	return disk_io(0, 65536);
}

static int blk_reload(const struct module *m)
{
	if (reload_module(m, DEV))
		return -1;
	if (!wait_for(DEV, S_IFBLK, true))
		return fail("no " DEV " after insmod %s", m->path);
	return disk_io(4096, 65536);
}

static void test_blk(void)
{
	const struct module *m;
	long long sectors = 0;
	char vdev[64];

	if (report("blk-present", blk_present()))
		return;
	link_name(SYS_DISK "/device", vdev, sizeof(vdev));
	report("blk-driver", blk_driver(vdev));
	report("blk-capacity", blk_capacity(&sectors));
	/* The filesystem first: the raw I/O overwrites it. */
	report("blk-fs", blk_fs());
	blk_io(sectors * 512);
	report("blk-unbind", blk_unbind(vdev));
	report("blk-rebind", blk_rebind(vdev));
	m = find_module("virtio_blk");
	if (m)
		report("blk-reload", blk_reload(m));
	else
		say("blk-reload skipped: virtio_blk is built in");
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Read @n bytes from /dev/hwrng within about @secs seconds.  A timer
 * interrupts blocking reads every 0.2 s to look at the clock.
 */
static int read_hwrng(unsigned char *buf, size_t n, int secs)
{
	struct itimerval tick = { { 0, 200000 }, { 0, 200000 } }, stop = {};
	int fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC), err = 0;
	struct timespec t0, t;
	size_t got = 0;
	ssize_t r;

	if (fd < 0)
		return fail("opening /dev/hwrng: %s", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setitimer(ITIMER_REAL, &tick, NULL);
	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r > 0) {
			got += r;
			continue;
		}
		err = r < 0 ? errno : 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (err != EINTR || t.tv_sec - t0.tv_sec >= secs)
			break;
	}
	setitimer(ITIMER_REAL, &stop, NULL);
	close(fd);
	if (got < n)
		return fail("read %zu of %zu bytes from /dev/hwrng: %s", got,
			    n, err == EINTR ? "timed out" :
			    err ? strerror(err) : "end of file");
	return 0;
}

/* /dev/hwrng is there and fed by a virtio_rng, within 10 s. */
static int rng_check(void)
{
	char cur[64] = "";
	int i;

	if (!wait_for("/dev/hwrng", S_IFCHR, true))
		return fail("no /dev/hwrng");
	for (i = 0; i < 100; i++) {
		if (!read_str(RNG_CURRENT, cur, sizeof(cur)) &&
		    !strncmp(cur, "virtio_rng.", 11))
			return 0;
		usleep(100000);
	}
	return fail("rng_current is '%s', not virtio_rng.*", cur);
}

static unsigned char rng_buf[4096];

/* More than one distinct byte value: one would be a constant stream. */
static int rng_random(void)
{
	bool seen[256] = { false };
	unsigned int i, distinct = 0;

	for (i = 0; i < sizeof(rng_buf); i++) {
		distinct += !seen[rng_buf[i]];
		seen[rng_buf[i]] = true;
	}
	if (distinct < 2)
		return fail("%zu bytes all 0x%02x", sizeof(rng_buf), rng_buf[0]);
	return 0;
}

static int rng_reload(const struct module *m)
{
	unsigned char buf[64];

	/* rng_check() proves a virtio device is bound to virtio_rng again. */
	if (reload_module(m, NULL) || rng_check())
		return -1;
	return read_hwrng(buf, sizeof(buf), 30);
}

static void test_rng(void)
{
	const struct module *m;

	report("rng-current", rng_check());
	if (!report("rng-read", read_hwrng(rng_buf, sizeof(rng_buf), 30)))
		report("rng-random", rng_random());
	m = find_module("virtio_rng");
	if (m)
		report("rng-reload", rng_reload(m));
	else
		say("rng-reload skipped: virtio_rng is built in");
}

static void mount_all(void)
{
	static const char *const fs[][2] = {
		{ "proc", "/proc" }, { "sysfs", "/sys" },
		{ "devtmpfs", "/dev" }, { "tmpfs", "/tmp" }, { NULL, MNT },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fs); i++) {
		if (mkdir(fs[i][1], 0755) && errno != EEXIST)
			report("init", fail("mkdir %s: %s", fs[i][1],
					    strerror(errno)));
		else if (fs[i][0] &&
			 mount(fs[i][0], fs[i][1], fs[i][0], 0, NULL))
			report("init", fail("mount -t %s %s: %s", fs[i][0],
					    fs[i][1], strerror(errno)));
	}
}

/* What follows @prefix in @s, or NULL if @s does not start with it. */
static const char *after(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) ? NULL : s + strlen(prefix);
}

static void parse_cmdline(void)
{
	static char line[4096];
	char *arg, *pos;
	const char *v;

	if (read_str("/proc/cmdline", line, sizeof(line))) {
		report("init", fail("/proc/cmdline: %s", strerror(errno)));
		return;
	}
	for (arg = strtok_r(line, " \t", &pos); arg;
	     arg = strtok_r(NULL, " \t", &pos)) {
		v = after(arg, "vtest=");
		if (v)
			snprintf(tests, sizeof(tests), "%s", v);
		v = after(arg, "vtest.disk_sectors=");
		if (v)
			disk_sectors = strtoll(v, NULL, 10);
		v = after(arg, "vtest.fs_files=");
		if (v)
			fs_files = strtoll(v, NULL, 10);
	}
}

static void run_tests(void)
{
	char *t, *pos;

	for (t = strtok_r(tests, ",", &pos); t; t = strtok_r(NULL, ",", &pos)) {
		say("running %s", t);
		if (!strcmp(t, "blk"))
			test_blk();
		else if (!strcmp(t, "rng"))
			test_rng();
		else
			report(t, fail("no such test"));
	}
}

static void print_summary(void)
{
	if (!passed && !failed)
		return;
	puts("==================== vtest summary ====================");
	fputs(failures, stdout);
	if (!failed)
		printf("  all %d checks passed\n", passed);
	else
		printf("  %d of %d checks FAILED\n", failed, passed + failed);
	puts("=======================================================");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	mount_all();
	if (!uname(&u))
		say("init on Linux %s (%s)", u.release, u.machine);
	load_modules();
	parse_cmdline();
	run_tests();
	print_summary();
	puts("VTEST DONE");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	say("reboot: %s", strerror(errno));
	for (;;)	/* PID 1 must not exit: the kernel would panic */
		pause();
}
