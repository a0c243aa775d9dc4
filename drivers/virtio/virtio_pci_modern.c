// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport, modern interface (VIRTIO 1.2 §4.1.4): devices
 * found through vendor capabilities that point at the common, notify, ISR
 * and device config structures inside the BARs.  The PCI driver, the
 * interrupts and the queue setup loop are in virtio_pci_common.c.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/virtio_ring.h>
#include "virtio_pci_common.h"

/* --- device config space (§4.1.4.6) ------------------------------------ */

static bool vp_config_in_range(struct virtio_pci_device *vp,
			       unsigned int offset, unsigned int len)
{
	if (offset + len > vp->device.len || offset + len < offset) {
		dev_warn_once(&vp->vdev.dev,
			      "config access %u+%u beyond the %u bytes offered\n",
			      offset, len, vp->device.len);
		return false;
	}
	return true;
}

/*
 * Fields are little-endian in config space; hand them on as stored, so the
 * generic accessors convert once.
 */
static void vp_get(struct virtio_device *vdev, unsigned int offset,
		   void *buf, unsigned int len)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	void __iomem *p = vp->device.base + offset;
	__le16 w;
	__le32 l[2];

	if (!vp_config_in_range(vp, offset, len)) {
		memset(buf, 0, len);
		return;
	}
	switch (len) {
	case 2:
		w = cpu_to_le16(ioread16(p));
		memcpy(buf, &w, sizeof(w));
		break;
	case 4:
		l[0] = cpu_to_le32(ioread32(p));
		memcpy(buf, l, sizeof(l[0]));
		break;
	case 8:
		l[0] = cpu_to_le32(ioread32(p));
		l[1] = cpu_to_le32(ioread32(p + 4));
		memcpy(buf, l, sizeof(l));
		break;
	default:
		while (len--)
			*(u8 *)buf++ = ioread8(p++);
	}
}

static void vp_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	void __iomem *p = vp->device.base + offset;
	__le16 w;
	__le32 l;

	if (!vp_config_in_range(vp, offset, len))
		return;
	switch (len) {
	case 2:
		memcpy(&w, buf, sizeof(w));
		iowrite16(le16_to_cpu(w), p);
		break;
	case 4:
		memcpy(&l, buf, sizeof(l));
		iowrite32(le32_to_cpu(l), p);
		break;
	default:
		while (len--)
			iowrite8(*(const u8 *)buf++, p++);
	}
}

static u32 vp_generation(struct virtio_device *vdev)
{
	return ioread8(&to_vp(vdev)->common->config_generation);
}

/* --- status and features (§4.1.4.3) -------------------------------------- */

static u8 vp_get_status(struct virtio_device *vdev)
{
	return ioread8(&to_vp(vdev)->common->device_status);
}

static void vp_set_status(struct virtio_device *vdev, u8 status)
{
	WARN_ON(!status);
	iowrite8(status, &to_vp(vdev)->common->device_status);
}

/* How long a device may take to finish a reset before we give up on it. */
#define VP_RESET_TIMEOUT_MS	5000

/*
 * Writing 0 starts the reset; it is done when status reads back 0
 * (§4.1.4.3.2).  Then no handler may still be running on the old state.
 * The wait is bounded: a function that was surprise-removed reads all
 * ones, and a device that never finishes must not hang the guest.  Either
 * way its queues are broken, so that drivers fail instead of waiting; only
 * the second may still use their memory, which is then kept.
 */
static void vp_reset(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	unsigned long end = jiffies + msecs_to_jiffies(VP_RESET_TIMEOUT_MS);
	u8 status;

	iowrite8(0, &vp->common->device_status);
	while ((status = ioread8(&vp->common->device_status))) {
		if (status == 0xff && !pci_device_is_present(vp->pci)) {
			dev_err(&vdev->dev, "device gone during reset\n");
			virtio_break_device(vdev);
			break;
		}
		if (time_after(jiffies, end)) {
			dev_err(&vdev->dev, "reset not done after %u ms (status %#x)\n",
				VP_RESET_TIMEOUT_MS, status);
			virtio_reset_failed(vdev);
			break;
		}
		usleep_range(1000, 2000);
	}
	vp_synchronize_irqs(vp);
}

static u64 vp_get_features(struct virtio_device *vdev)
{
	struct virtio_pci_common_cfg __iomem *c = to_vp(vdev)->common;
	u64 features;

	iowrite32(0, &c->device_feature_select);
	features = ioread32(&c->device_feature);
	iowrite32(1, &c->device_feature_select);
	features |= (u64)ioread32(&c->device_feature) << 32;
	return features;
}

static int vp_finalize_features(struct virtio_device *vdev)
{
	struct virtio_pci_common_cfg __iomem *c = to_vp(vdev)->common;

	/* The modern interface is VIRTIO 1.x only (§4.1.2.2). */
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "device does not offer VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	iowrite32(0, &c->guest_feature_select);
	iowrite32(lower_32_bits(vdev->features), &c->guest_feature);
	iowrite32(1, &c->guest_feature_select);
	iowrite32(upper_32_bits(vdev->features), &c->guest_feature);
	return 0;
}

/* --- virtqueues (§4.1.5.1.3) --------------------------------------------- */

static int vp_modern_set_config_vector(struct virtio_pci_device *vp,
				       u16 vector)
{
	return vp_set_vector(vp, &vp->common->msix_config, vector);
}

static struct virtqueue *vp_modern_setup_vq(struct virtio_pci_device *vp,
					    unsigned int index,
					    const struct virtqueue_info *info,
					    u16 vector)
{
	struct virtio_pci_common_cfg __iomem *c = vp->common;
	struct vring_params p = {
		.index = index,
		.align = 4,
		.dma_dev = &vp->pci->dev,
		.notify = vp_notify,
		.callback = info->callback,
		.seed_callback = info->seed_callback,
		.name = info->name,
	};
	unsigned int nqueues = ioread16(&c->num_queues);
	struct virtqueue *vq;
	u64 notify_off;
	int err;

	if (index >= nqueues) {
		dev_err(&vp->vdev.dev, "virtqueue %u (%s): device has %u queues\n",
			index, info->name, nqueues);
		return ERR_PTR(-ENOENT);
	}
	iowrite16(index, &c->queue_select);
	p.num = ioread16(&c->queue_size);
	if (!p.num || ioread16(&c->queue_enable)) {
		dev_err(&vp->vdev.dev, "virtqueue %u (%s) %s\n", index,
			info->name, p.num ? "already enabled" : "not available");
		return ERR_PTR(-ENOENT);
	}
	notify_off = (u64)ioread16(&c->queue_notify_off) * vp->notify_mult;
	if (notify_off + 2 > vp->notify.len) {
		dev_err(&vp->vdev.dev,
			"virtqueue %u notify offset %llu beyond the %u-byte area\n",
			index, notify_off, vp->notify.len);
		return ERR_PTR(-EINVAL);
	}
	p.priv = (void __force *)(vp->notify.base + notify_off);

	vq = vring_create_virtqueue(&vp->vdev, &p);
	if (IS_ERR(vq))
		return vq;

	iowrite16(p.num, &c->queue_size);
	iowrite32(lower_32_bits(virtqueue_get_desc_addr(vq)), &c->queue_desc_lo);
	iowrite32(upper_32_bits(virtqueue_get_desc_addr(vq)), &c->queue_desc_hi);
	iowrite32(lower_32_bits(virtqueue_get_avail_addr(vq)), &c->queue_avail_lo);
	iowrite32(upper_32_bits(virtqueue_get_avail_addr(vq)), &c->queue_avail_hi);
	iowrite32(lower_32_bits(virtqueue_get_used_addr(vq)), &c->queue_used_lo);
	iowrite32(upper_32_bits(virtqueue_get_used_addr(vq)), &c->queue_used_hi);

	err = vp_set_vector(vp, &c->queue_msix_vector, vector);
	if (err) {
		vring_del_virtqueue(vq);
		return ERR_PTR(err);
	}
	return vq;
}

/* Enable only once every queue is set up (§4.1.5.1.3). */
static void vp_modern_enable_vqs(struct virtio_pci_device *vp)
{
	unsigned int i;

	for (i = 0; i < vp->nvqs; i++) {
		iowrite16(vp->vqs[i]->index, &vp->common->queue_select);
		iowrite16(1, &vp->common->queue_enable);
	}
}

static const struct virtio_config_ops vp_modern_config_ops = {
	.get = vp_get,
	.set = vp_set,
	.generation = vp_generation,
	.get_status = vp_get_status,
	.set_status = vp_set_status,
	.reset = vp_reset,
	.get_features = vp_get_features,
	.finalize_features = vp_finalize_features,
	.find_vqs = vp_find_vqs,
	.del_vqs = vp_del_vqs,
	.bus_name = vp_bus_name,
};

/* --- capabilities (§4.1.4) ----------------------------------------------- */

/*
 * Map the first capability of @type whose structure lies inside a memory
 * BAR and is at least @min_len long.  Returns the capability's position.
 */
static int vp_map_cap(struct virtio_pci_device *vp, u8 type, u32 min_len,
		      struct virtio_pci_region *r)
{
	struct pci_dev *pci = vp->pci;
	u8 pos;

	for (pos = pci_find_capability(pci, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_capability(pci, pos, PCI_CAP_ID_VNDR)) {
		u8 cfg_type, bar;
		u32 offset, len;

		pci_read_config_byte(pci, pos + VIRTIO_PCI_CAP_CFG_TYPE,
				     &cfg_type);
		pci_read_config_byte(pci, pos + VIRTIO_PCI_CAP_BAR, &bar);
		pci_read_config_dword(pci, pos + VIRTIO_PCI_CAP_OFFSET, &offset);
		pci_read_config_dword(pci, pos + VIRTIO_PCI_CAP_LENGTH, &len);

		if (cfg_type != type || bar >= PCI_STD_NUM_BARS ||
		    !(pci_resource_flags(pci, bar) & IORESOURCE_MEM))
			continue;
		if (len < min_len ||
		    (u64)offset + len > pci_resource_len(pci, bar)) {
			dev_warn(&pci->dev,
				 "virtio capability %u: %u bytes at %u do not fit BAR %u\n",
				 type, len, offset, bar);
			continue;
		}
		r->base = pci_iomap_range(pci, bar, offset, len);
		if (!r->base)
			return -ENOMEM;
		r->len = len;
		vp->bars |= BIT(bar);
		return pos;
	}
	return -ENOENT;
}

static void vp_unmap(struct virtio_pci_device *vp)
{
	if (vp->common)
		pci_iounmap(vp->pci, vp->common);
	if (vp->isr)
		pci_iounmap(vp->pci, vp->isr);
	if (vp->notify.base)
		pci_iounmap(vp->pci, vp->notify.base);
	if (vp->device.base)
		pci_iounmap(vp->pci, vp->device.base);
	/* The legacy interface may be tried next, on the same vp. */
	vp->common = NULL;
	vp->isr = NULL;
	vp->notify.base = NULL;
	vp->device.base = NULL;
	vp->bars = 0;
}

static int vp_map_caps(struct virtio_pci_device *vp)
{
	struct virtio_pci_region r;
	int pos;

	/* Without it, a legacy device (§4.1.5.1.1). */
	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG,
			 sizeof(struct virtio_pci_common_cfg), &r);
	if (pos < 0)
		return pos == -ENOENT ? -ENODEV : pos;
	vp->common = (struct virtio_pci_common_cfg __iomem *)r.base;

	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, 1, &r);
	if (pos < 0)
		goto incomplete;
	vp->isr = r.base;

	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, 2, &vp->notify);
	if (pos < 0)
		goto incomplete;
	pci_read_config_dword(vp->pci,
			      pos + offsetof(struct virtio_pci_notify_cap,
					     notify_off_multiplier),
			      &vp->notify_mult);

	/* Devices without config fields (rng) may leave this one out. */
	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, 0, &vp->device);
	return pos == -ENOENT ? 0 : min(pos, 0);

incomplete:
	if (pos != -ENOENT)
		return pos;
	dev_err(&vp->pci->dev, "modern virtio capabilities incomplete\n");
	return -ENODEV;
}

static const struct virtio_pci_ops vp_modern_ops = {
	.set_config_vector = vp_modern_set_config_vector,
	.setup_vq = vp_modern_setup_vq,
	/* No release_vqs: queues are enabled only once all are set up. */
	.enable_vqs = vp_modern_enable_vqs,
	.unmap = vp_unmap,
};

/**
 * virtio_pci_modern_probe - use a device through the modern interface
 * @vp: the device, enabled
 *
 * Return: 0, -ENODEV when the device lacks the modern capabilities
 * (a legacy device, §4.1.5.1.1), or another negative errno.
 */
int virtio_pci_modern_probe(struct virtio_pci_device *vp)
{
	int err;

	err = vp_map_caps(vp);
	if (!err)
		err = vp_set_dma_masks(vp, 64);
	if (err) {
		vp_unmap(vp);
		return err;
	}
	vp->ops = &vp_modern_ops;
	vp->vdev.config = &vp_modern_config_ops;
	return 0;
}
