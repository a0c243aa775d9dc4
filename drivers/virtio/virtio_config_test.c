// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for device config space access: the generation retry of
 * virtio_config_read() (VIRTIO 1.2 §2.5.1), and the byte order of
 * virtio*_to_cpu(), cpu_to_virtio*(), virtio_cread*(), virtio_cread() and
 * virtio_cwrite*().
 *
 * Each case binds a test driver to a mock device.  A modern device offers
 * VIRTIO_F_VERSION_1, which the core always accepts: its config and ring
 * fields are little-endian.  A legacy device does not, and its fields are
 * in the guest's byte order (§2.4.3 and the legacy interface sections).
 * On a little-endian guest the two agree and the legacy cases check the
 * same as the modern ones; on a big-endian guest they differ.  Expected
 * values come from byte arrays, never from the helpers under test:
 * get_unaligned_le*() for a modern device, a memcpy() into a CPU integer
 * for a legacy one.  The generation cases play a device that changes
 * config between the driver's reads, from the mock's on_config_get hook.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mock.h>

/* Claimed by no driver; a vendor of our own (see virtio_bus_test.c). */
#define VCT_DEVICE	0xfff8
#define VCT_VENDOR	0x7e58
#define VCT_V1		BIT_ULL(VIRTIO_F_VERSION_1)
#define VCT_MAX_WRITES	4

/* The test device's config structure. */
struct vct_config {
	__virtio16 f16;
	u8 f8;
	u8 pad;
	__virtio32 f32;
	__virtio64 f64;
};

#define VCT_OFF(member)	offsetof(struct vct_config, member)

/* Every byte different, so that a swapped or torn field shows. */
static const u8 vct_bytes[sizeof(struct vct_config)] = {
	0xa1, 0xa2, 0xa3, 0xa4,			/* f16, f8, pad */
	0x11, 0x22, 0x33, 0x44,			/* f32 */
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,	/* f64 */
};

/* What the driver writes, and what the device changes f64 to. */
static const u8 vct_new[sizeof(struct vct_config)] = {
	0xb1, 0xb2, 0xb3, 0xb4,
	0x55, 0x66, 0x77, 0x88,
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
};

/*
 * Byte-order dependent on purpose: f32 holds the bytes 11 22 33 44, which a
 * legacy device means in the guest's order.  On big-endian, legacy reads
 * 0x11223344; on little-endian 0x44332211, as a modern device always does.
 */
#ifdef __BIG_ENDIAN
#define VCT_LEGACY_F32	0x11223344U
#else
#define VCT_LEGACY_F32	0x44332211U
#endif

/* One config change of the device: @len bytes at @offset. */
struct vct_write {
	unsigned int offset;
	unsigned int len;
	u8 bytes[8];
};

/*
 * A case's driver, and the device of a generation case: it makes one of
 * @writes after each of the driver's first @nwrites config reads.
 */
struct vct_ctx {
	struct virtio_driver drv;
	struct vct_write writes[VCT_MAX_WRITES];
	unsigned int nwrites;
	bool every_get;		/* writes[0] after every read: never settles */
	unsigned int gets;	/* config reads the mock saw */
};

struct vct_kind {
	const char *name;
	u64 features;
};

static const struct vct_kind vct_kinds[] = {
	{ .name = "modern", .features = VCT_V1 },
	{ .name = "legacy", .features = 0 },
};

KUNIT_ARRAY_PARAM_DESC(vct_kind, vct_kinds, name);

static const struct virtio_device_id vct_ids[] = {
	{ .device = VCT_DEVICE, .vendor = VCT_VENDOR },
	{}
};

KUNIT_DEFINE_ACTION_WRAPPER(vct_unregister, unregister_virtio_driver,
			    struct virtio_driver *);
KUNIT_DEFINE_ACTION_WRAPPER(vct_destroy, virtio_mock_destroy,
			    struct virtio_mock_device *);

static void vct_on_config_get(struct virtio_mock_device *m,
			      unsigned int offset, unsigned int len, void *ctx)
{
	struct vct_ctx *c = ctx;
	const struct vct_write *w;

	if (c->every_get) {
		w = &c->writes[0];
		virtio_mock_set_config(m, w->offset, w->bytes, w->len);
	} else if (c->gets < c->nwrites) {
		w = &c->writes[c->gets];
		virtio_mock_set_config(m, w->offset, w->bytes, w->len);
	}
	c->gets++;
}

static int vct_probe(struct virtio_device *vdev)
{
	return 0;
}

static void vct_remove(struct virtio_device *vdev)
{
	virtio_reset_device(vdev);
}

/* Every case gets a driver for its devices, until it ends. */
static int vct_init(struct kunit *test)
{
	struct vct_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int err;

	if (!c)
		return -ENOMEM;
	c->drv.driver.name = "virtio_config_test";
	c->drv.driver.probe_type = PROBE_FORCE_SYNCHRONOUS;
	c->drv.id_table = vct_ids;
	c->drv.probe = vct_probe;
	c->drv.remove = vct_remove;
	test->priv = c;
	err = register_virtio_driver(&c->drv);
	if (err)
		return err;
	return kunit_add_action_or_reset(test, vct_unregister, &c->drv);
}

/*
 * A device offering @features, with the config of vct_bytes, bound; with
 * @play, it makes the config changes of test->priv.
 */
static struct virtio_mock_device *vct_device(struct kunit *test, u64 features,
					     bool play)
{
	struct virtio_mock_params p = {
		.device_id = VCT_DEVICE,
		.vendor_id = VCT_VENDOR,
		.features = features,
		.config = vct_bytes,
		.config_len = sizeof(vct_bytes),
		.on_config_get = play ? vct_on_config_get : NULL,
		.ctx = test->priv,
	};
	struct virtio_mock_device *m = virtio_mock_create(&p);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vct_destroy, m),
			0);
	KUNIT_ASSERT_NOT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	/* VERSION_1 is negotiated exactly when offered. */
	KUNIT_ASSERT_EQ(test, virtio_has_feature(virtio_mock_vdev(m),
						 VIRTIO_F_VERSION_1),
			!!(features & VCT_V1));
	return m;
}

static void vct_add_write(struct kunit *test, unsigned int offset,
			  const u8 *bytes, unsigned int len)
{
	struct vct_ctx *c = test->priv;
	struct vct_write *w;

	KUNIT_ASSERT_LT(test, c->nwrites, VCT_MAX_WRITES);
	w = &c->writes[c->nwrites++];
	KUNIT_ASSERT_LE(test, len, sizeof(w->bytes));
	w->offset = offset;
	w->len = len;
	memcpy(w->bytes, bytes, len);
}

/* What the bytes at @b mean as a field of a @kind device. */
static u16 vct_want16(const struct vct_kind *kind, const u8 *b)
{
	u16 native;

	memcpy(&native, b, sizeof(native));
	return kind->features & VCT_V1 ? get_unaligned_le16(b) : native;
}

static u32 vct_want32(const struct vct_kind *kind, const u8 *b)
{
	u32 native;

	memcpy(&native, b, sizeof(native));
	return kind->features & VCT_V1 ? get_unaligned_le32(b) : native;
}

static u64 vct_want64(const struct vct_kind *kind, const u8 *b)
{
	u64 native;

	memcpy(&native, b, sizeof(native));
	return kind->features & VCT_V1 ? get_unaligned_le64(b) : native;
}

/* --- generation retry ---------------------------------------------------- */

/*
 * The device writes the new f64 half by half, each half a config change:
 * the driver's second read sees new low bytes under old high ones.
 */
static void
virtio_config_test_read_during_update_returns_new_value(struct kunit *test)
{
	const u8 *old = vct_bytes + VCT_OFF(f64), *new = vct_new + VCT_OFF(f64);
	struct vct_ctx *c = test->priv;
	u8 torn[2][8];
	u64 val;

	vct_add_write(test, VCT_OFF(f64), new, 4);
	vct_add_write(test, VCT_OFF(f64) + 4, new + 4, 4);
	memcpy(torn[0], new, 4);
	memcpy(torn[0] + 4, old + 4, 4);
	memcpy(torn[1], old, 4);
	memcpy(torn[1] + 4, new + 4, 4);

	val = virtio_cread64(virtio_mock_vdev(vct_device(test, VCT_V1, true)),
			     VCT_OFF(f64));

	KUNIT_EXPECT_EQ(test, val, get_unaligned_le64(new));
	KUNIT_EXPECT_NE(test, val, get_unaligned_le64(old));
	KUNIT_EXPECT_NE(test, val, get_unaligned_le64(torn[0]));
	KUNIT_EXPECT_NE(test, val, get_unaligned_le64(torn[1]));
	/* The torn state was there to be read. */
	KUNIT_EXPECT_EQ(test, c->gets, 3U);
}

static void
virtio_config_test_read_repeats_until_generation_is_stable(struct kunit *test)
{
	struct vct_ctx *c = test->priv;
	struct virtio_device *vdev;
	unsigned int n, i;
	u8 bytes[8];
	u64 val;

	vdev = virtio_mock_vdev(vct_device(test, VCT_V1, true));
	for (n = 1; n <= VCT_MAX_WRITES; n++) {
		c->nwrites = 0;
		c->gets = 0;
		/* Both halves change every time. */
		for (i = 0; i < n; i++) {
			put_unaligned_le64(0x100000001ULL * (16 * n + i), bytes);
			vct_add_write(test, VCT_OFF(f64), bytes, 8);
		}

		val = virtio_cread64(vdev, VCT_OFF(f64));

		KUNIT_EXPECT_EQ_MSG(test, c->gets, n + 1, "%u changes", n);
		KUNIT_EXPECT_EQ_MSG(test, val, get_unaligned_le64(bytes),
				    "%u changes", n);
	}
}

/*
 * A device whose generation changes on every read: the driver gives up
 * after VIRTIO_CONFIG_READ_TRIES reads and sees zeros, not a torn value.
 */
static void
virtio_config_test_generation_that_never_settles_ends_the_read(struct kunit *test)
{
	struct vct_ctx *c = test->priv;
	struct virtio_device *vdev;

	vdev = virtio_mock_vdev(vct_device(test, VCT_V1, true));
	vct_add_write(test, VCT_OFF(f64), vct_new + VCT_OFF(f64), 4);
	c->every_get = true;
	c->gets = 0;

	KUNIT_EXPECT_EQ(test, virtio_cread64(vdev, VCT_OFF(f64)), 0ULL);
	KUNIT_EXPECT_EQ(test, c->gets, VIRTIO_CONFIG_READ_TRIES);
	c->every_get = false;
}

static void virtio_config_test_stable_generation_reads_once(struct kunit *test)
{
	struct vct_ctx *c = test->priv;
	struct virtio_device *vdev;

	vdev = virtio_mock_vdev(vct_device(test, VCT_V1, true));

	KUNIT_EXPECT_EQ(test, virtio_cread16(vdev, VCT_OFF(f16)),
			get_unaligned_le16(vct_bytes + VCT_OFF(f16)));
	KUNIT_EXPECT_EQ(test, c->gets, 1U);
	KUNIT_EXPECT_EQ(test, virtio_cread32(vdev, VCT_OFF(f32)),
			get_unaligned_le32(vct_bytes + VCT_OFF(f32)));
	KUNIT_EXPECT_EQ(test, c->gets, 2U);
	KUNIT_EXPECT_EQ(test, virtio_cread64(vdev, VCT_OFF(f64)),
			get_unaligned_le64(vct_bytes + VCT_OFF(f64)));
	KUNIT_EXPECT_EQ(test, c->gets, 3U);
}

/* --- byte order ---------------------------------------------------------- */

static void virtio_config_test_to_cpu_reads_device_byte_order(struct kunit *test)
{
	const struct vct_kind *kind = test->param_value;
	struct virtio_device *vdev;
	__virtio16 v16;
	__virtio32 v32;
	__virtio64 v64;

	vdev = virtio_mock_vdev(vct_device(test, kind->features, false));
	memcpy(&v16, vct_bytes + VCT_OFF(f16), sizeof(v16));
	memcpy(&v32, vct_bytes + VCT_OFF(f32), sizeof(v32));
	memcpy(&v64, vct_bytes + VCT_OFF(f64), sizeof(v64));

	KUNIT_EXPECT_EQ(test, virtio16_to_cpu(vdev, v16),
			vct_want16(kind, vct_bytes + VCT_OFF(f16)));
	KUNIT_EXPECT_EQ(test, virtio32_to_cpu(vdev, v32),
			vct_want32(kind, vct_bytes + VCT_OFF(f32)));
	KUNIT_EXPECT_EQ(test, virtio64_to_cpu(vdev, v64),
			vct_want64(kind, vct_bytes + VCT_OFF(f64)));
}

static void
virtio_config_test_cpu_to_writes_device_byte_order(struct kunit *test)
{
	const struct vct_kind *kind = test->param_value;
	const u8 *b16 = vct_new + VCT_OFF(f16), *b32 = vct_new + VCT_OFF(f32);
	const u8 *b64 = vct_new + VCT_OFF(f64);
	struct virtio_device *vdev;
	__virtio16 v16;
	__virtio32 v32;
	__virtio64 v64;

	vdev = virtio_mock_vdev(vct_device(test, kind->features, false));
	v16 = cpu_to_virtio16(vdev, vct_want16(kind, b16));
	v32 = cpu_to_virtio32(vdev, vct_want32(kind, b32));
	v64 = cpu_to_virtio64(vdev, vct_want64(kind, b64));

	KUNIT_EXPECT_MEMEQ(test, &v16, b16, sizeof(v16));
	KUNIT_EXPECT_MEMEQ(test, &v32, b32, sizeof(v32));
	KUNIT_EXPECT_MEMEQ(test, &v64, b64, sizeof(v64));
}

static void virtio_config_test_cread_reads_device_byte_order(struct kunit *test)
{
	const struct vct_kind *kind = test->param_value;
	struct virtio_device *vdev;

	vdev = virtio_mock_vdev(vct_device(test, kind->features, false));

	KUNIT_EXPECT_EQ(test, virtio_cread16(vdev, VCT_OFF(f16)),
			vct_want16(kind, vct_bytes + VCT_OFF(f16)));
	KUNIT_EXPECT_EQ(test, virtio_cread32(vdev, VCT_OFF(f32)),
			vct_want32(kind, vct_bytes + VCT_OFF(f32)));
	KUNIT_EXPECT_EQ(test, virtio_cread64(vdev, VCT_OFF(f64)),
			vct_want64(kind, vct_bytes + VCT_OFF(f64)));
}

static void
virtio_config_test_cread_by_member_reads_device_byte_order(struct kunit *test)
{
	const struct vct_kind *kind = test->param_value;
	struct virtio_device *vdev;
	u8 v8;
	u16 v16;
	u32 v32;
	u64 v64;

	vdev = virtio_mock_vdev(vct_device(test, kind->features, false));
	virtio_cread(vdev, struct vct_config, f8, &v8);
	virtio_cread(vdev, struct vct_config, f16, &v16);
	virtio_cread(vdev, struct vct_config, f32, &v32);
	virtio_cread(vdev, struct vct_config, f64, &v64);

	KUNIT_EXPECT_EQ(test, v8, vct_bytes[VCT_OFF(f8)]);
	KUNIT_EXPECT_EQ(test, v16, vct_want16(kind, vct_bytes + VCT_OFF(f16)));
	KUNIT_EXPECT_EQ(test, v32, vct_want32(kind, vct_bytes + VCT_OFF(f32)));
	KUNIT_EXPECT_EQ(test, v64, vct_want64(kind, vct_bytes + VCT_OFF(f64)));
}

static void virtio_config_test_cwrite_stores_device_byte_order(struct kunit *test)
{
	const struct vct_kind *kind = test->param_value;
	const unsigned int o16 = VCT_OFF(f16), o32 = VCT_OFF(f32);
	u8 want[sizeof(vct_bytes)], got[sizeof(vct_bytes)];
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	m = vct_device(test, kind->features, false);
	vdev = virtio_mock_vdev(m);
	virtio_cwrite16(vdev, o16, vct_want16(kind, vct_new + o16));
	virtio_cwrite32(vdev, o32, vct_want32(kind, vct_new + o32));

	/* The new fields, and nothing around them touched. */
	memcpy(want, vct_bytes, sizeof(want));
	memcpy(want + o16, vct_new + o16, sizeof(__virtio16));
	memcpy(want + o32, vct_new + o32, sizeof(__virtio32));
	virtio_mock_get_config(m, 0, got, sizeof(got));
	KUNIT_EXPECT_MEMEQ(test, got, want, sizeof(want));
}

/* Byte-order dependent on purpose: see VCT_LEGACY_F32. */
static void
virtio_config_test_legacy_differs_from_modern_on_big_endian(struct kunit *test)
{
	struct virtio_device *modern, *legacy;

	modern = virtio_mock_vdev(vct_device(test, VCT_V1, false));
	legacy = virtio_mock_vdev(vct_device(test, 0, false));

	KUNIT_EXPECT_EQ(test, virtio_cread32(modern, VCT_OFF(f32)), 0x44332211U);
	KUNIT_EXPECT_EQ(test, virtio_cread32(legacy, VCT_OFF(f32)),
			VCT_LEGACY_F32);
}

static struct kunit_case virtio_config_test_cases[] = {
	KUNIT_CASE(virtio_config_test_read_during_update_returns_new_value),
	KUNIT_CASE(virtio_config_test_read_repeats_until_generation_is_stable),
	KUNIT_CASE(virtio_config_test_stable_generation_reads_once),
	KUNIT_CASE(virtio_config_test_generation_that_never_settles_ends_the_read),
	KUNIT_CASE_PARAM(virtio_config_test_to_cpu_reads_device_byte_order,
			 vct_kind_gen_params),
	KUNIT_CASE_PARAM(virtio_config_test_cpu_to_writes_device_byte_order,
			 vct_kind_gen_params),
	KUNIT_CASE_PARAM(virtio_config_test_cread_reads_device_byte_order,
			 vct_kind_gen_params),
	KUNIT_CASE_PARAM(virtio_config_test_cread_by_member_reads_device_byte_order,
			 vct_kind_gen_params),
	KUNIT_CASE_PARAM(virtio_config_test_cwrite_stores_device_byte_order,
			 vct_kind_gen_params),
	KUNIT_CASE(virtio_config_test_legacy_differs_from_modern_on_big_endian),
	{}
};

static struct kunit_suite virtio_config_test_suite = {
	.name = "virtio_config",
	.init = vct_init,
	.test_cases = virtio_config_test_cases,
};

kunit_test_suite(virtio_config_test_suite);

MODULE_DESCRIPTION("KUnit tests for virtio config space access");
MODULE_LICENSE("GPL");
