// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the virtio bus core (drivers/virtio/virtio.c).
 *
 * Each case registers a small test driver and plays the device with the
 * mock transport (virtio_mock), then checks what the bus did: which driver
 * it bound, which features it negotiated, which status bits it wrote and in
 * what order, and when it called the driver.
 *
 * Device ids 0xfff0-0xfffe are claimed by no real driver, and the one driver
 * that matches any device id only matches VBT_VENDOR, so that no test driver
 * ever binds a real device and no real driver ever binds a test device.
 * Drivers and devices are released by KUnit actions, so a failed assertion
 * never leaks one into the next case.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/virtio.h>
#include <linux/virtio_anchor.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mock.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#define VBT_DEV_A	0xfff0
#define VBT_DEV_B	0xfff1
#define VBT_DEV_C	0xfff2
#define VBT_VENDOR	0x7e57

/* Device feature bits: listed by the test drivers or not. */
#define VBT_F_A		1
#define VBT_F_B		3
#define VBT_F_UNLISTED	6
#define VBT_F_NOT_OFFERED 9

#define VBT_V1		BIT_ULL(VIRTIO_F_VERSION_1)

#define VBT_S_ACK	VIRTIO_CONFIG_S_ACKNOWLEDGE
#define VBT_S_DRV	(VBT_S_ACK | VIRTIO_CONFIG_S_DRIVER)
#define VBT_S_FOK	(VBT_S_DRV | VIRTIO_CONFIG_S_FEATURES_OK)
#define VBT_S_DOK	(VBT_S_FOK | VIRTIO_CONFIG_S_DRIVER_OK)

#define VBT_TIMEOUT	msecs_to_jiffies(2000)

static const u8 vbt_config[4] = { 0x11, 0x22, 0x33, 0x44 };

/* A test driver and everything the bus did to it. */
struct vbt_driver {
	struct virtio_driver drv;
	struct virtio_device_id ids[4];
	unsigned int features[4];
	int probe_ret;		/* what probe returns */
	bool notify_in_probe;	/* probe raises a config-change notice */
	unsigned int probe_calls;
	unsigned int remove_calls;
	unsigned int config_calls;
	struct virtio_device *probed;
	struct virtio_device *removed;
	u64 probe_features;	/* vdev->features as probe saw them */
	u8 probe_status;	/* device status as probe saw it */
	u8 config_status;	/* device status as config_changed saw it */
	u8 config_byte;		/* config byte 0 as config_changed read it */
	struct completion config_done;
	int validate_ret;	/* what validate returns */
	u64 validate_clears;	/* and the bits it clears */
	u64 validate_features;	/* vdev->features as it saw them */
	unsigned int validate_calls;
	unsigned int legacy_features[2];
	u8 scan_status;		/* device status as scan saw it */
	unsigned int scan_calls;
	unsigned int freeze_calls;
	unsigned int restore_calls;
	u8 restore_status;	/* device status as restore saw it */
	u64 restore_features;	/* vdev->features as restore saw them */
	struct virtqueue *vq;	/* vbt_probe_kicks()'s */
	unsigned int detached;	/* tokens vbt_remove_queue() got back */
	bool remove_reset_failed;	/* vdev->reset_failed after its reset */
	bool remove_broken;	/* and whether the queue was broken */
	unsigned int notifications;	/* seen by the device (vbt_on_notify) */
	u8 notify_status;	/* device status at the last one */
	u8 buf[16];
};

KUNIT_DEFINE_ACTION_WRAPPER(vbt_unregister, unregister_virtio_driver,
			    struct virtio_driver *);
KUNIT_DEFINE_ACTION_WRAPPER(vbt_destroy, virtio_mock_destroy,
			    struct virtio_mock_device *);
KUNIT_DEFINE_ACTION_WRAPPER(vbt_put_device, put_device, struct device *);

static struct vbt_driver *to_vbt(struct virtio_device *vdev)
{
	return container_of(drv_to_virtio(vdev->dev.driver), struct vbt_driver,
			    drv);
}

static int vbt_probe(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->probe_calls++;
	t->probed = vdev;
	t->probe_features = vdev->features;
	t->probe_status = vdev->config->get_status(vdev);
	if (t->notify_in_probe)
		virtio_config_changed(vdev);
	return t->probe_ret;
}

static int vbt_validate(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->validate_calls++;
	t->validate_features = vdev->features;
	vdev->features &= ~t->validate_clears;
	/* Setting bits is not its business: the core must undo this. */
	vdev->features |= BIT_ULL(VBT_F_NOT_OFFERED);
	return t->validate_ret;
}

static void vbt_remove(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->remove_calls++;
	t->removed = vdev;
	/* As every driver must before it lets go of the device. */
	virtio_reset_device(vdev);
}

static void vbt_config_changed(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->config_status = vdev->config->get_status(vdev);
	t->config_byte = virtio_cread8(vdev, 0);
	t->config_calls++;
	complete(&t->config_done);
}

static void vbt_scan(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->scan_calls++;
	t->scan_status = vdev->config->get_status(vdev);
}

static int vbt_freeze(struct virtio_device *vdev)
{
	to_vbt(vdev)->freeze_calls++;
	virtio_reset_device(vdev);
	return 0;
}

static int vbt_restore(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->restore_calls++;
	t->restore_status = vdev->config->get_status(vdev);
	t->restore_features = vdev->features;
	return 0;
}

/* A probe that posts a buffer and kicks, before DRIVER_OK. */
static int vbt_probe_kicks(struct virtio_device *vdev)
{
	struct virtqueue_info info = { .name = "early" };
	struct vbt_driver *t = to_vbt(vdev);
	struct scatterlist sg;
	int err;

	t->probe_calls++;
	err = virtio_find_vqs(vdev, 1, &t->vq, &info, NULL);
	if (err)
		return err;
	sg_init_one(&sg, t->buf, sizeof(t->buf));
	err = virtqueue_add_outbuf(t->vq, &sg, 1, t, GFP_KERNEL);
	if (err) {
		vdev->config->del_vqs(vdev);
		return err;
	}
	virtqueue_kick(t->vq);
	return 0;
}

static void vbt_remove_queue(struct virtio_device *vdev)
{
	struct vbt_driver *t = to_vbt(vdev);

	t->remove_calls++;
	virtio_reset_device(vdev);
	t->remove_reset_failed = vdev->reset_failed;
	t->remove_broken = virtqueue_is_broken(t->vq);
	while (virtqueue_detach_unused_buf(t->vq) == t)
		t->detached++;
	vdev->config->del_vqs(vdev);
}

static void vbt_on_notify(struct virtio_mock_device *m, unsigned int qidx,
			  void *ctx)
{
	struct vbt_driver *t = ctx;

	t->notifications++;
	t->notify_status = virtio_mock_status(m);
}

/* A driver for @device/@vendor that lists no features; not registered. */
static struct vbt_driver *vbt_driver_new(struct kunit *test, u32 device,
					 u32 vendor)
{
	struct vbt_driver *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->ids[0].device = device;
	t->ids[0].vendor = vendor;
	t->drv.driver.name = "virtio_bus_test";
	t->drv.driver.probe_type = PROBE_FORCE_SYNCHRONOUS;
	t->drv.id_table = t->ids;
	t->drv.feature_table = t->features;
	t->drv.probe = vbt_probe;
	t->drv.remove = vbt_remove;
	t->drv.config_changed = vbt_config_changed;
	init_completion(&t->config_done);
	return t;
}

/* Register @t until the case ends (or kunit_release_action()). */
static void vbt_driver_register(struct kunit *test, struct vbt_driver *t)
{
	KUNIT_ASSERT_EQ(test, register_virtio_driver(&t->drv), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vbt_unregister,
							&t->drv), 0);
}

static struct virtio_mock_params vbt_params(u32 device, u32 vendor,
					    u64 features)
{
	return (struct virtio_mock_params) {
		.device_id = device,
		.vendor_id = vendor,
		.features = features,
		.config = vbt_config,
		.config_len = sizeof(vbt_config),
	};
}

/* Create a mock device that lives until the case ends. */
static struct virtio_mock_device *
vbt_device_new(struct kunit *test, const struct virtio_mock_params *p)
{
	struct virtio_mock_device *m = virtio_mock_create(p);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vbt_destroy, m),
			0);
	return m;
}

static struct virtio_mock_device *vbt_device(struct kunit *test, u32 device,
					     u32 vendor, u64 features)
{
	struct virtio_mock_params p = vbt_params(device, vendor, features);

	return vbt_device_new(test, &p);
}

static bool vbt_bound(struct virtio_mock_device *m, struct vbt_driver *t)
{
	return virtio_mock_vdev(m)->dev.driver == &t->drv.driver;
}

/* Expect the last @n status writes the device saw to be exactly @want. */
static void vbt_expect_status_tail(struct kunit *test,
				   struct virtio_mock_device *m,
				   const u8 *want, unsigned int n)
{
	const u8 *log;
	unsigned int len = virtio_mock_status_log(m, &log);
	unsigned int i;

	KUNIT_ASSERT_GE(test, len, n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, log[len - n + i], want[i],
				    "status write %u of %u", len - n + i + 1,
				    len);
}

/* What the sysfs attribute @name of @vdev shows. */
static const char *vbt_show(struct kunit *test, struct virtio_device *vdev,
			    const char *name)
{
	const struct attribute_group **groups;
	struct attribute **attrs;
	char *buf;

	/* sysfs_emit() wants a page-aligned page; kmalloc aligns this. */
	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	for (groups = vdev->dev.bus->dev_groups; groups && *groups; groups++) {
		for (attrs = (*groups)->attrs; attrs && *attrs; attrs++) {
			struct device_attribute *da;

			if (strcmp((*attrs)->name, name))
				continue;
			da = container_of(*attrs, struct device_attribute,
					  attr);
			KUNIT_ASSERT_GT(test, da->show(&vdev->dev, da, buf),
					(ssize_t)0);
			return buf;
		}
	}
	KUNIT_FAIL_AND_ABORT(test, "virtio devices have no %s attribute",
			     name);
	return NULL;
}

/* --- matching ------------------------------------------------------------ */

static void virtio_bus_test_matching_device_id_binds_driver(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_TRUE(test, vbt_bound(m, t));
	KUNIT_EXPECT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t->probed, virtio_mock_vdev(m));
}

static void virtio_bus_test_other_device_id_does_not_bind(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_B, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	KUNIT_EXPECT_EQ(test, t->probe_calls, 0U);
}

static void virtio_bus_test_other_vendor_does_not_bind(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR + 1, VBT_V1);

	KUNIT_EXPECT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	KUNIT_EXPECT_EQ(test, t->probe_calls, 0U);
}

static void virtio_bus_test_any_vendor_matches_every_vendor(struct kunit *test)
{
	static const u32 vendors[] = { 0, 0x1af4, VBT_VENDOR, 0xfffffffe };
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A,
					      VIRTIO_DEV_ANY_ID);
	struct virtio_mock_device *m;
	unsigned int i;

	vbt_driver_register(test, t);
	/* One at a time: each device is destroyed before the next. */
	for (i = 0; i < ARRAY_SIZE(vendors); i++) {
		m = vbt_device(test, VBT_DEV_A, vendors[i], VBT_V1);
		KUNIT_EXPECT_TRUE_MSG(test, vbt_bound(m, t), "vendor 0x%x",
				      vendors[i]);
		kunit_release_action(test, vbt_destroy, m);
	}
	KUNIT_EXPECT_EQ(test, t->probe_calls, (unsigned int)ARRAY_SIZE(vendors));
}

/*
 * VIRTIO_DEV_ANY_ID as the device matches every device of the vendor; the
 * vendor is ours alone, so the driver cannot bind a real device while it is
 * registered, and it is unregistered when the case ends.
 */
static void virtio_bus_test_any_device_matches_every_device(struct kunit *test)
{
	static const u32 devices[] = { VBT_DEV_A, VBT_DEV_B, VBT_DEV_C };
	struct vbt_driver *t = vbt_driver_new(test, VIRTIO_DEV_ANY_ID,
					      VBT_VENDOR);
	struct virtio_mock_device *m;
	unsigned int i;

	vbt_driver_register(test, t);
	for (i = 0; i < ARRAY_SIZE(devices); i++) {
		m = vbt_device(test, devices[i], VBT_VENDOR, VBT_V1);
		KUNIT_EXPECT_TRUE_MSG(test, vbt_bound(m, t), "device 0x%x",
				      devices[i]);
		kunit_release_action(test, vbt_destroy, m);
	}
	KUNIT_EXPECT_EQ(test, t->probe_calls, (unsigned int)ARRAY_SIZE(devices));
}

static void virtio_bus_test_id_table_ends_at_zero_device(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	/* ids[1] is the terminator; ids[2] must never be looked at. */
	t->ids[2].device = VBT_DEV_B;
	t->ids[2].vendor = VIRTIO_DEV_ANY_ID;
	vbt_driver_register(test, t);

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	KUNIT_EXPECT_TRUE(test, vbt_bound(m, t));
	kunit_release_action(test, vbt_destroy, m);

	m = vbt_device(test, VBT_DEV_B, VBT_VENDOR, VBT_V1);
	KUNIT_EXPECT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	KUNIT_EXPECT_EQ(test, t->probe_calls, 1U);
}

/* --- features ------------------------------------------------------------ */

static void
virtio_bus_test_probe_sees_offered_features_the_driver_knows(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	const u64 want = VBT_V1 | BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_B);
	struct virtio_mock_device *m;

	t->features[0] = VBT_F_A;
	t->features[1] = VBT_F_B;
	t->features[2] = VBT_F_NOT_OFFERED;
	t->drv.feature_table_size = 3;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR,
		       VBT_V1 | BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_B) |
		       BIT_ULL(VBT_F_UNLISTED));

	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->probe_features, want);
	KUNIT_EXPECT_EQ(test, virtio_mock_driver_features(m), want);
	KUNIT_EXPECT_EQ(test, virtio_mock_vdev(m)->features, want);
}

static void virtio_bus_test_unlisted_feature_is_not_accepted(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR,
		       VBT_V1 | BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_UNLISTED));
	vdev = virtio_mock_vdev(m);

	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_TRUE(test, virtio_has_feature(vdev, VBT_F_A));
	KUNIT_EXPECT_FALSE(test, virtio_has_feature(vdev, VBT_F_UNLISTED));
	KUNIT_EXPECT_FALSE(test, t->probe_features & BIT_ULL(VBT_F_UNLISTED));
	KUNIT_EXPECT_FALSE(test, virtio_mock_driver_features(m) &
				 BIT_ULL(VBT_F_UNLISTED));
}

static void
virtio_bus_test_validate_sees_negotiable_features_and_may_drop_some(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	const u64 offered = VBT_V1 | BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_B);
	struct virtio_mock_device *m;

	t->features[0] = VBT_F_A;
	t->features[1] = VBT_F_B;
	t->drv.feature_table_size = 2;
	t->drv.validate = vbt_validate;
	t->validate_clears = BIT_ULL(VBT_F_B);
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR,
		       offered | BIT_ULL(VBT_F_UNLISTED));

	KUNIT_ASSERT_EQ(test, t->validate_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->validate_features, offered);
	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	/* B dropped; the bit validate tried to add is not accepted either. */
	KUNIT_EXPECT_EQ(test, t->probe_features, VBT_V1 | BIT_ULL(VBT_F_A));
	KUNIT_EXPECT_EQ(test, virtio_mock_driver_features(m),
			VBT_V1 | BIT_ULL(VBT_F_A));
}

static void virtio_bus_test_validate_error_fails_without_probe(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	t->drv.validate = vbt_validate;
	t->validate_ret = -EINVAL;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_EQ(test, t->validate_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->probe_calls, 0U);
	KUNIT_EXPECT_FALSE(test, vbt_bound(m, t));
	KUNIT_EXPECT_TRUE(test, virtio_mock_status(m) & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(test, virtio_mock_status(m) &
				 VIRTIO_CONFIG_S_FEATURES_OK);
}

/* A needs B; UNLISTED needs A or NOT_OFFERED: it falls with A. */
static const struct virtio_feature_dep vbt_deps[] = {
	{ VBT_F_A, BIT_ULL(VBT_F_B) },
	{ VBT_F_UNLISTED, BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_NOT_OFFERED) },
};

static u64 vbt_drop_unmet(struct kunit *test, u64 features)
{
	struct virtio_mock_device *m = vbt_device(test, VBT_DEV_C, VBT_VENDOR,
						  VBT_V1);
	struct virtio_device *vdev = virtio_mock_vdev(m);

	vdev->features = features;
	virtio_drop_unmet_features(vdev, vbt_deps, ARRAY_SIZE(vbt_deps));
	return vdev->features;
}

static void
virtio_bus_test_feature_without_its_dependency_is_dropped(struct kunit *test)
{
	const u64 a = BIT_ULL(VBT_F_A), b = BIT_ULL(VBT_F_B);
	const u64 u = BIT_ULL(VBT_F_UNLISTED);

	KUNIT_EXPECT_EQ(test, vbt_drop_unmet(test, VBT_V1 | a), VBT_V1);
	KUNIT_EXPECT_EQ(test, vbt_drop_unmet(test, VBT_V1 | a | b),
			VBT_V1 | a | b);
	/* Dropping A takes UNLISTED, listed after it, along. */
	KUNIT_EXPECT_EQ(test, vbt_drop_unmet(test, a | u), 0ULL);
	KUNIT_EXPECT_EQ(test, vbt_drop_unmet(test, a | b | u), a | b | u);
	/* Any one of the needed bits is enough. */
	KUNIT_EXPECT_EQ(test,
			vbt_drop_unmet(test, u | BIT_ULL(VBT_F_NOT_OFFERED)),
			u | BIT_ULL(VBT_F_NOT_OFFERED));
}

/* --- status -------------------------------------------------------------- */

static void
virtio_bus_test_registration_resets_and_acknowledges(struct kunit *test)
{
	static const u8 want[] = { 0, VBT_S_ACK };
	struct virtio_mock_device *m;
	const u8 *log;

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_ASSERT_EQ(test, virtio_mock_status_log(m, &log),
			(unsigned int)ARRAY_SIZE(want));
	vbt_expect_status_tail(test, m, want, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_ACK);
}

static void virtio_bus_test_status_bits_are_set_in_order(struct kunit *test)
{
	static const u8 want[] = {
		0, VBT_S_ACK, VBT_S_DRV, VBT_S_FOK, VBT_S_DOK,
	};
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));
	vbt_expect_status_tail(test, m, want, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_DOK);
}

static void virtio_bus_test_probe_runs_before_driver_ok(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);

	vbt_driver_register(test, t);
	vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->probe_status, VBT_S_FOK);
}

static void virtio_bus_test_legacy_device_skips_features_ok(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	const u8 *log;
	unsigned int i, n;

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, BIT_ULL(VBT_F_A));

	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->probe_features, BIT_ULL(VBT_F_A));
	KUNIT_EXPECT_EQ(test, t->probe_status, VBT_S_DRV);
	n = virtio_mock_status_log(m, &log);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       log[i] & VIRTIO_CONFIG_S_FEATURES_OK,
				       "status write %u is 0x%02x", i + 1,
				       log[i]);
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m),
			VBT_S_DRV | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void
virtio_bus_test_refused_features_ok_fails_without_probe(struct kunit *test)
{
	struct virtio_mock_params p = vbt_params(VBT_DEV_A, VBT_VENDOR, VBT_V1);
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	u8 status;

	vbt_driver_register(test, t);
	p.refuse_features_ok = true;
	m = vbt_device_new(test, &p);
	status = virtio_mock_status(m);

	KUNIT_EXPECT_EQ(test, t->probe_calls, 0U);
	KUNIT_EXPECT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	KUNIT_EXPECT_TRUE(test, status & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(test, status & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* --- restricted memory access (encrypted guests) ------------------------- */

#define VBT_PLATFORM	BIT_ULL(VIRTIO_F_ACCESS_PLATFORM)

static void vbt_restore_mem_acc(void *old)
{
	virtio_check_mem_acc_cb = old;
}

/* Behave as a guest whose memory the platform restricts, for the case. */
static void vbt_restrict_mem_acc(struct kunit *test)
{
	void *old = virtio_check_mem_acc_cb;

	virtio_check_mem_acc_cb = virtio_require_restricted_mem_acc;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							vbt_restore_mem_acc,
							old), 0);
}

static void vbt_expect_refused(struct kunit *test, struct vbt_driver *t,
			       struct virtio_mock_device *m)
{
	KUNIT_EXPECT_EQ(test, t->probe_calls, 0U);
	KUNIT_EXPECT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	KUNIT_EXPECT_TRUE(test, virtio_mock_status(m) & VIRTIO_CONFIG_S_FAILED);
}

static void
virtio_bus_test_restricted_memory_refuses_device_without_access_platform(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);

	vbt_driver_register(test, t);
	vbt_restrict_mem_acc(test);
	vbt_expect_refused(test, t, vbt_device(test, VBT_DEV_A, VBT_VENDOR,
					       VBT_V1));
}

static void
virtio_bus_test_restricted_memory_refuses_legacy_device(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);

	vbt_driver_register(test, t);
	vbt_restrict_mem_acc(test);
	vbt_expect_refused(test, t, vbt_device(test, VBT_DEV_A, VBT_VENDOR,
					       VBT_PLATFORM));
}

static void
virtio_bus_test_restricted_memory_binds_device_with_access_platform(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	vbt_restrict_mem_acc(test);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1 | VBT_PLATFORM);

	KUNIT_EXPECT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_TRUE(test, vbt_bound(m, t));
	KUNIT_EXPECT_EQ(test, t->probe_features, VBT_V1 | VBT_PLATFORM);
}

static void
virtio_bus_test_unrestricted_memory_binds_device_without_access_platform(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_TRUE(test, vbt_bound(m, t));
}

static void
virtio_bus_test_probe_error_sets_failed_and_skips_remove(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	u8 status;

	t->probe_ret = -EIO;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	status = virtio_mock_status(m);

	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_NULL(test, virtio_mock_vdev(m)->dev.driver);
	KUNIT_EXPECT_TRUE(test, status & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(test, status & VIRTIO_CONFIG_S_DRIVER_OK);

	kunit_release_action(test, vbt_destroy, m);
	kunit_release_action(test, vbt_unregister, &t->drv);
	KUNIT_EXPECT_EQ(test, t->remove_calls, 0U);
}

/* --- remove -------------------------------------------------------------- */

static void
virtio_bus_test_destroying_bound_device_removes_once(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	vdev = virtio_mock_vdev(m);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	kunit_release_action(test, vbt_destroy, m);
	KUNIT_EXPECT_EQ(test, t->remove_calls, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t->removed, vdev);

	/* The driver no longer has the device: unregistering removes nothing. */
	kunit_release_action(test, vbt_unregister, &t->drv);
	KUNIT_EXPECT_EQ(test, t->remove_calls, 1U);
}

static void
virtio_bus_test_unregistering_driver_removes_and_unbinds(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	vdev = virtio_mock_vdev(m);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	kunit_release_action(test, vbt_unregister, &t->drv);
	KUNIT_EXPECT_EQ(test, t->remove_calls, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t->removed, vdev);
	KUNIT_EXPECT_NULL(test, vdev->dev.driver);
}

static void
virtio_bus_test_unbinding_resets_then_acknowledges(struct kunit *test)
{
	static const u8 want[] = { VBT_S_DOK, 0, VBT_S_ACK };
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	kunit_release_action(test, vbt_unregister, &t->drv);
	KUNIT_ASSERT_EQ(test, t->remove_calls, 1U);
	vbt_expect_status_tail(test, m, want, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_ACK);
}

static void virtio_bus_test_destroy_resets_then_acknowledges(struct kunit *test)
{
	static const u8 want[] = { VBT_S_DOK, 0, VBT_S_ACK };
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	vdev = virtio_mock_vdev(m);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	/* Keep the mock's memory around to read its log after the destroy. */
	get_device(&vdev->dev);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vbt_put_device,
							&vdev->dev), 0);

	kunit_release_action(test, vbt_destroy, m);
	KUNIT_ASSERT_EQ(test, t->remove_calls, 1U);
	vbt_expect_status_tail(test, m, want, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_ACK);
}

static void
virtio_bus_test_unbinding_clears_negotiated_features(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1 | BIT_ULL(VBT_F_A));
	KUNIT_ASSERT_NE(test, virtio_mock_vdev(m)->features, 0ULL);

	kunit_release_action(test, vbt_unregister, &t->drv);
	KUNIT_EXPECT_EQ(test, virtio_mock_vdev(m)->features, 0ULL);
}

static void
virtio_bus_test_unbound_device_binds_next_driver(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct vbt_driver *next = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	next->drv.driver.name = "virtio_bus_test_next";
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));
	kunit_release_action(test, vbt_unregister, &t->drv);

	vbt_driver_register(test, next);
	KUNIT_EXPECT_TRUE(test, vbt_bound(m, next));
	KUNIT_EXPECT_EQ(test, next->probe_calls, 1U);
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_DOK);
}

/* --- config changes ------------------------------------------------------ */

static void
virtio_bus_test_config_change_reaches_bound_driver(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	const u8 val = 0x5a;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	virtio_mock_set_config(m, 0, &val, sizeof(val));
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&t->config_done,
							  VBT_TIMEOUT), 0UL);
	KUNIT_EXPECT_EQ(test, t->config_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->config_byte, val);
}

static void
virtio_bus_test_config_change_in_probe_comes_after_probe(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);

	t->notify_in_probe = true;
	vbt_driver_register(test, t);
	vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);

	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&t->config_done,
							  VBT_TIMEOUT), 0UL);
	KUNIT_EXPECT_EQ(test, t->config_calls, 1U);
	/* DRIVER_OK is set after probe returns: the notice waited for it. */
	KUNIT_EXPECT_EQ(test, t->config_status, VBT_S_DOK);
}

static void
virtio_bus_test_config_change_without_driver_is_harmless(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	struct virtio_device *vdev;
	const u8 val = 0xa5;

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	vdev = virtio_mock_vdev(m);
	KUNIT_ASSERT_NULL(test, vdev->dev.driver);

	virtio_mock_set_config(m, 0, &val, sizeof(val));
	flush_work(&vdev->config_work);
	KUNIT_EXPECT_EQ(test, virtio_cread8(vdev, 0), val);

	/* The device still works: a driver registered now binds it. */
	vbt_driver_register(test, t);
	KUNIT_EXPECT_TRUE(test, vbt_bound(m, t));
	KUNIT_EXPECT_EQ(test, t->probe_calls, 1U);
}

/* --- identity ------------------------------------------------------------ */

static void virtio_bus_test_device_is_named_after_its_index(struct kunit *test)
{
	struct virtio_mock_device *m;
	struct virtio_device *vdev;
	char want[32];

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	vdev = virtio_mock_vdev(m);

	snprintf(want, sizeof(want), "virtio%d", vdev->index);
	KUNIT_EXPECT_STREQ(test, dev_name(&vdev->dev), want);
	KUNIT_EXPECT_STREQ(test, vdev->dev.bus->name, "virtio");
}

static void virtio_bus_test_two_devices_get_distinct_indexes(struct kunit *test)
{
	struct virtio_mock_device *m1, *m2;

	m1 = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	m2 = vbt_device(test, VBT_DEV_B, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_NE(test, virtio_mock_vdev(m1)->index,
			virtio_mock_vdev(m2)->index);
	KUNIT_EXPECT_STRNEQ(test, dev_name(&virtio_mock_vdev(m1)->dev),
			    dev_name(&virtio_mock_vdev(m2)->dev));
}

static void virtio_bus_test_sysfs_shows_device_and_vendor(struct kunit *test)
{
	struct virtio_mock_device *m;

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_STREQ(test, vbt_show(test, virtio_mock_vdev(m), "device"),
			   "0xfff0\n");
	KUNIT_EXPECT_STREQ(test, vbt_show(test, virtio_mock_vdev(m), "vendor"),
			   "0x7e57\n");
}

static void
virtio_bus_test_sysfs_modalias_names_device_and_vendor(struct kunit *test)
{
	struct virtio_mock_device *m;

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_STREQ(test,
			   vbt_show(test, virtio_mock_vdev(m), "modalias"),
			   "virtio:d0000FFF0v00007E57\n");
}

static void virtio_bus_test_sysfs_status_shows_device_status(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	KUNIT_EXPECT_STREQ(test, vbt_show(test, virtio_mock_vdev(m), "status"),
			   "0x0f\n");
}

static void
virtio_bus_test_sysfs_features_lists_negotiated_bits(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	char want[66];

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR,
		       VBT_V1 | BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_UNLISTED));
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));

	/* One character per bit, bit 0 first. */
	memset(want, '0', 64);
	want[VBT_F_A] = '1';
	want[VIRTIO_F_VERSION_1] = '1';
	want[64] = '\n';
	want[65] = '\0';
	KUNIT_EXPECT_STREQ(test,
			   vbt_show(test, virtio_mock_vdev(m), "features"),
			   want);
}

/* --- Linux 6.12 driver callbacks ---------------------------------------- */

static void
virtio_bus_test_legacy_device_gets_the_legacy_feature_table(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	const u64 offered = BIT_ULL(VBT_F_A) | BIT_ULL(VBT_F_B);
	struct virtio_mock_device *m;

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	t->legacy_features[0] = VBT_F_B;
	t->drv.feature_table_legacy = t->legacy_features;
	t->drv.feature_table_size_legacy = 1;
	vbt_driver_register(test, t);

	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, offered);
	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->probe_features, BIT_ULL(VBT_F_B));
	kunit_release_action(test, vbt_destroy, m);

	/* A VERSION_1 device gets the usual table. */
	vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1 | offered);
	KUNIT_ASSERT_EQ(test, t->probe_calls, 2U);
	KUNIT_EXPECT_EQ(test, t->probe_features, VBT_V1 | BIT_ULL(VBT_F_A));
}

static void virtio_bus_test_scan_runs_once_the_device_is_ready(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);

	t->drv.scan = vbt_scan;
	vbt_driver_register(test, t);
	vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	KUNIT_EXPECT_EQ(test, t->scan_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->scan_status, VBT_S_DOK);
}

static void
virtio_bus_test_restore_renegotiates_before_the_driver_sets_up(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	static const u8 want[] = {
		0, VBT_S_ACK, VBT_S_DRV, VBT_S_FOK, VBT_S_DOK,
	};
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	t->drv.freeze = vbt_freeze;
	t->drv.restore = vbt_restore;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1 | BIT_ULL(VBT_F_A));
	vdev = virtio_mock_vdev(m);

	KUNIT_ASSERT_EQ(test, virtio_device_freeze(vdev), 0);
	KUNIT_EXPECT_EQ(test, t->freeze_calls, 1U);
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), 0);
	KUNIT_ASSERT_EQ(test, virtio_device_restore(vdev), 0);
	KUNIT_EXPECT_EQ(test, t->restore_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->restore_status, VBT_S_FOK);
	KUNIT_EXPECT_EQ(test, t->restore_features, VBT_V1 | BIT_ULL(VBT_F_A));
	KUNIT_EXPECT_EQ(test, virtio_mock_driver_features(m),
			VBT_V1 | BIT_ULL(VBT_F_A));
	vbt_expect_status_tail(test, m, want, ARRAY_SIZE(want));
}

static void
virtio_bus_test_freeze_leaves_a_driver_without_freeze_running(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	const u8 *log;
	unsigned int n;

	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);
	n = virtio_mock_status_log(m, &log);

	KUNIT_EXPECT_EQ(test, virtio_device_freeze(virtio_mock_vdev(m)), 0);
	KUNIT_EXPECT_EQ(test, virtio_device_restore(virtio_mock_vdev(m)), 0);
	KUNIT_EXPECT_EQ(test, virtio_mock_status_log(m, &log), n);
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_DOK);
}

static void
virtio_bus_test_kick_in_probe_reaches_the_device_at_driver_ok(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_params p = vbt_params(VBT_DEV_A, VBT_VENDOR, VBT_V1);

	t->drv.probe = vbt_probe_kicks;
	t->drv.remove = vbt_remove_queue;
	vbt_driver_register(test, t);
	p.num_queues = 1;
	p.queue_size = 4;
	p.on_notify = vbt_on_notify;
	p.ctx = t;
	vbt_device_new(test, &p);

	KUNIT_ASSERT_EQ(test, t->probe_calls, 1U);
	/* Not before DRIVER_OK (§3.1.1), but not lost either. */
	KUNIT_EXPECT_EQ(test, t->notifications, 1U);
	KUNIT_EXPECT_EQ(test, t->notify_status, VBT_S_DOK);
}

static void
virtio_bus_test_needs_reset_takes_the_driver_through_freeze_and_restore(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	struct virtio_device *vdev;

	t->features[0] = VBT_F_A;
	t->drv.feature_table_size = 1;
	t->drv.freeze = vbt_freeze;
	t->drv.restore = vbt_restore;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1 | BIT_ULL(VBT_F_A));
	vdev = virtio_mock_vdev(m);

	virtio_mock_needs_reset(m);
	flush_work(&vdev->config_work);

	KUNIT_EXPECT_EQ(test, t->freeze_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->restore_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->restore_status, VBT_S_FOK);
	KUNIT_EXPECT_EQ(test, t->restore_features, VBT_V1 | BIT_ULL(VBT_F_A));
	/* The reset cleared NEEDS_RESET and the device is live again. */
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_DOK);
	KUNIT_EXPECT_EQ(test, t->config_calls, 0U);
}

static void
virtio_bus_test_needs_reset_breaks_queues_of_a_driver_without_freeze(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_params p = vbt_params(VBT_DEV_A, VBT_VENDOR, VBT_V1);
	struct virtio_mock_device *m;
	struct scatterlist sg;

	t->drv.probe = vbt_probe_kicks;
	t->drv.remove = vbt_remove_queue;
	vbt_driver_register(test, t);
	p.num_queues = 1;
	p.queue_size = 4;
	m = vbt_device_new(test, &p);
	KUNIT_ASSERT_NOT_NULL(test, t->vq);
	KUNIT_ASSERT_FALSE(test, virtqueue_is_broken(t->vq));

	virtio_mock_needs_reset(m);
	flush_work(&virtio_mock_vdev(m)->config_work);

	KUNIT_EXPECT_TRUE(test, virtqueue_is_broken(t->vq));
	sg_init_one(&sg, t->buf, sizeof(t->buf));
	KUNIT_EXPECT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t, GFP_KERNEL),
			-EIO);
	KUNIT_EXPECT_EQ(test, t->config_calls, 0U);
}

/*
 * A device that hangs while it runs: unbinding still hands the driver its
 * buffer back, with the queue broken, and the ring the device may still
 * read is not freed -- KASAN would report the read at the end otherwise.
 */
static void
virtio_bus_test_reset_that_never_finishes_keeps_the_ring_for_the_device(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_params p = vbt_params(VBT_DEV_A, VBT_VENDOR, VBT_V1);
	struct virtio_mock_device *m;
	const struct vring_desc *desc;

	t->drv.probe = vbt_probe_kicks;
	t->drv.remove = vbt_remove_queue;
	vbt_driver_register(test, t);
	p.num_queues = 1;
	p.queue_size = 4;
	p.reset_never_finishes = true;
	m = vbt_device_new(test, &p);
	KUNIT_ASSERT_TRUE(test, vbt_bound(m, t));
	/* Without ACCESS_PLATFORM the device is given physical addresses. */
	KUNIT_ASSERT_NULL(test, virtqueue_dma_dev(t->vq));
	desc = phys_to_virt(virtqueue_get_desc_addr(t->vq));

	kunit_release_action(test, vbt_unregister, &t->drv);

	KUNIT_EXPECT_EQ(test, t->remove_calls, 1U);
	KUNIT_EXPECT_TRUE(test, t->remove_reset_failed);
	KUNIT_EXPECT_TRUE(test, t->remove_broken);
	KUNIT_EXPECT_EQ(test, t->detached, 1U);
	/*
	 * What the device finds there: the buffer the probe posted, in the
	 * little-endian of VERSION_1 (unbinding cleared vdev->features).
	 */
	KUNIT_EXPECT_EQ(test, le64_to_cpu((__force __le64)READ_ONCE(desc->addr)),
			(u64)virt_to_phys(t->buf));
}

/* Rounds of queue set-up and teardown against a breaking thread. */
#define VBT_LIST_ROUNDS	1000

static int vbt_break_loop(void *vdev)
{
	while (!kthread_should_stop()) {
		virtio_break_device(vdev);
		cond_resched();
	}
	return 0;
}

/*
 * A transport's remove breaks the device (virtio_break_device()) while its
 * driver may still be adding or deleting queues: the walk must never see a
 * queue half linked or already freed (KASAN or a poisoned list pointer
 * would end the case).
 */
static void
virtio_bus_test_break_device_while_queues_come_and_go(struct kunit *test)
{
	struct virtio_mock_params p = vbt_params(VBT_DEV_A, VBT_VENDOR, VBT_V1);
	struct virtqueue_info info[4] = {
		{ .name = "a" }, { .name = "b" }, { .name = "c" }, { .name = "d" },
	};
	struct virtio_mock_device *m;
	struct virtio_device *vdev;
	struct task_struct *breaker;
	struct virtqueue *vqs[4];
	unsigned int i, made = 0;

	p.num_queues = ARRAY_SIZE(vqs);
	p.queue_size = 4;
	m = vbt_device_new(test, &p);
	vdev = virtio_mock_vdev(m);
	KUNIT_ASSERT_EQ(test, virtio_mock_activate(m, p.features), 0);
	breaker = kthread_run(vbt_break_loop, vdev, "vbt_break");
	KUNIT_ASSERT_FALSE(test, IS_ERR(breaker));

	for (i = 0; i < VBT_LIST_ROUNDS; i++) {
		if (virtio_find_vqs(vdev, ARRAY_SIZE(vqs), vqs, info, NULL))
			break;
		made++;
		virtio_reset_device(vdev);
		vdev->config->del_vqs(vdev);
	}
	kthread_stop(breaker);

	KUNIT_EXPECT_EQ(test, made, VBT_LIST_ROUNDS);
	KUNIT_EXPECT_TRUE(test, list_empty(&vdev->vqs));
}

static void
virtio_bus_test_config_change_without_needs_reset_resets_nothing(struct kunit *test)
{
	struct vbt_driver *t = vbt_driver_new(test, VBT_DEV_A, VBT_VENDOR);
	struct virtio_mock_device *m;
	u8 byte = 0x5a;

	t->drv.freeze = vbt_freeze;
	t->drv.restore = vbt_restore;
	vbt_driver_register(test, t);
	m = vbt_device(test, VBT_DEV_A, VBT_VENDOR, VBT_V1);

	virtio_mock_set_config(m, 0, &byte, 1);
	flush_work(&virtio_mock_vdev(m)->config_work);

	KUNIT_EXPECT_EQ(test, t->config_calls, 1U);
	KUNIT_EXPECT_EQ(test, t->freeze_calls, 0U);
	KUNIT_EXPECT_EQ(test, virtio_mock_status(m), VBT_S_DOK);
}

static struct kunit_case virtio_bus_test_cases[] = {
	KUNIT_CASE(virtio_bus_test_matching_device_id_binds_driver),
	KUNIT_CASE(virtio_bus_test_other_device_id_does_not_bind),
	KUNIT_CASE(virtio_bus_test_other_vendor_does_not_bind),
	KUNIT_CASE(virtio_bus_test_any_vendor_matches_every_vendor),
	KUNIT_CASE(virtio_bus_test_any_device_matches_every_device),
	KUNIT_CASE(virtio_bus_test_id_table_ends_at_zero_device),
	KUNIT_CASE(virtio_bus_test_probe_sees_offered_features_the_driver_knows),
	KUNIT_CASE(virtio_bus_test_unlisted_feature_is_not_accepted),
	KUNIT_CASE(virtio_bus_test_validate_sees_negotiable_features_and_may_drop_some),
	KUNIT_CASE(virtio_bus_test_validate_error_fails_without_probe),
	KUNIT_CASE(virtio_bus_test_feature_without_its_dependency_is_dropped),
	KUNIT_CASE(virtio_bus_test_registration_resets_and_acknowledges),
	KUNIT_CASE(virtio_bus_test_status_bits_are_set_in_order),
	KUNIT_CASE(virtio_bus_test_probe_runs_before_driver_ok),
	KUNIT_CASE(virtio_bus_test_legacy_device_skips_features_ok),
	KUNIT_CASE(virtio_bus_test_refused_features_ok_fails_without_probe),
	KUNIT_CASE(virtio_bus_test_restricted_memory_refuses_device_without_access_platform),
	KUNIT_CASE(virtio_bus_test_restricted_memory_refuses_legacy_device),
	KUNIT_CASE(virtio_bus_test_restricted_memory_binds_device_with_access_platform),
	KUNIT_CASE(virtio_bus_test_unrestricted_memory_binds_device_without_access_platform),
	KUNIT_CASE(virtio_bus_test_probe_error_sets_failed_and_skips_remove),
	KUNIT_CASE(virtio_bus_test_destroying_bound_device_removes_once),
	KUNIT_CASE(virtio_bus_test_unregistering_driver_removes_and_unbinds),
	KUNIT_CASE(virtio_bus_test_unbinding_resets_then_acknowledges),
	KUNIT_CASE(virtio_bus_test_destroy_resets_then_acknowledges),
	KUNIT_CASE(virtio_bus_test_unbinding_clears_negotiated_features),
	KUNIT_CASE(virtio_bus_test_unbound_device_binds_next_driver),
	KUNIT_CASE(virtio_bus_test_config_change_reaches_bound_driver),
	KUNIT_CASE(virtio_bus_test_config_change_in_probe_comes_after_probe),
	KUNIT_CASE(virtio_bus_test_config_change_without_driver_is_harmless),
	KUNIT_CASE(virtio_bus_test_device_is_named_after_its_index),
	KUNIT_CASE(virtio_bus_test_two_devices_get_distinct_indexes),
	KUNIT_CASE(virtio_bus_test_sysfs_shows_device_and_vendor),
	KUNIT_CASE(virtio_bus_test_sysfs_modalias_names_device_and_vendor),
	KUNIT_CASE(virtio_bus_test_sysfs_status_shows_device_status),
	KUNIT_CASE(virtio_bus_test_sysfs_features_lists_negotiated_bits),
	KUNIT_CASE(virtio_bus_test_legacy_device_gets_the_legacy_feature_table),
	KUNIT_CASE(virtio_bus_test_scan_runs_once_the_device_is_ready),
	KUNIT_CASE(virtio_bus_test_restore_renegotiates_before_the_driver_sets_up),
	KUNIT_CASE(virtio_bus_test_freeze_leaves_a_driver_without_freeze_running),
	KUNIT_CASE(virtio_bus_test_kick_in_probe_reaches_the_device_at_driver_ok),
	KUNIT_CASE(virtio_bus_test_needs_reset_takes_the_driver_through_freeze_and_restore),
	KUNIT_CASE(virtio_bus_test_needs_reset_breaks_queues_of_a_driver_without_freeze),
	KUNIT_CASE(virtio_bus_test_config_change_without_needs_reset_resets_nothing),
	KUNIT_CASE(virtio_bus_test_reset_that_never_finishes_keeps_the_ring_for_the_device),
	KUNIT_CASE_SLOW(virtio_bus_test_break_device_while_queues_come_and_go),
	{}
};

static struct kunit_suite virtio_bus_test_suite = {
	.name = "virtio_bus",
	.test_cases = virtio_bus_test_cases,
};

kunit_test_suite(virtio_bus_test_suite);

MODULE_DESCRIPTION("KUnit tests for the virtio bus core");
MODULE_LICENSE("GPL");
