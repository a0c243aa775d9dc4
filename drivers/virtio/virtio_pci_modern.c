// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport, modern interface (VIRTIO 1.2 §4.1): devices
 * found through vendor capabilities that point at the common, notify, ISR
 * and device config structures inside the BARs.
 *
 * Interrupts: MSI-X with a vector for config changes and one per queue;
 * if the platform cannot give that many, config plus one shared queue
 * vector; failing MSI-X entirely, the INTx line and the ISR status byte.
 */
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_pci.h>

#define VIRTIO_PCI_VENDOR_ID		0x1af4
#define VIRTIO_PCI_ID_TRANSITIONAL_LAST	0x103f	/* §4.1.2.1 */
#define VIRTIO_PCI_ID_MODERN_BASE	0x1040

/* Where a capability's structure was mapped. */
struct virtio_pci_region {
	void __iomem *base;
	u32 len;
};

enum virtio_pci_irq_mode {
	VP_INTX,		/* one line, ISR byte says why */
	VP_MSIX_SHARED,		/* config vector + one vector for all queues */
	VP_MSIX_PER_VQ,		/* config vector + one vector per queue */
};

struct virtio_pci_device {
	struct virtio_device vdev;
	struct pci_dev *pci;

	struct virtio_pci_common_cfg __iomem *common;
	struct virtio_pci_region device;
	struct virtio_pci_region notify;
	u8 __iomem *isr;
	u32 notify_mult;
	int bars;

	enum virtio_pci_irq_mode irq_mode;
	unsigned int nvectors;		/* requested with request_irq() */
	struct virtio_pci_irq {
		char name[32];
		void *opaque;
	} *irqs;
	struct virtqueue **vqs;
	unsigned int nvqs;
};

static struct virtio_pci_device *to_vp(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_pci_device, vdev);
}

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

static void vp_synchronize_irqs(struct virtio_pci_device *vp)
{
	unsigned int i;

	for (i = 0; i < vp->nvectors; i++)
		synchronize_irq(pci_irq_vector(vp->pci, i));
}

/*
 * Writing 0 starts the reset; it is done when status reads back 0
 * (§4.1.4.3.2).  Then no handler may still be running on the old state.
 */
static void vp_reset(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);

	iowrite8(0, &vp->common->device_status);
	while (ioread8(&vp->common->device_status))
		usleep_range(1000, 2000);
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

/* --- interrupts ---------------------------------------------------------- */

static irqreturn_t vp_config_irq(int irq, void *opaque)
{
	virtio_config_changed(opaque);
	return IRQ_HANDLED;
}

static irqreturn_t vp_vqs_irq(int irq, void *opaque)
{
	struct virtio_pci_device *vp = opaque;
	irqreturn_t ret = IRQ_NONE;
	unsigned int i;

	for (i = 0; i < vp->nvqs; i++)
		if (vp->vqs[i] && vring_interrupt(irq, vp->vqs[i]) == IRQ_HANDLED)
			ret = IRQ_HANDLED;
	return ret;
}

/* Reading the ISR byte acknowledges the interrupt (§4.1.4.5). */
static irqreturn_t vp_intx_irq(int irq, void *opaque)
{
	struct virtio_pci_device *vp = opaque;
	u8 isr = ioread8(vp->isr);

	if (!isr)
		return IRQ_NONE;
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		virtio_config_changed(&vp->vdev);
	vp_vqs_irq(irq, vp);
	return IRQ_HANDLED;
}

static int vp_request_irq(struct virtio_pci_device *vp, irq_handler_t fn,
			  void *opaque, const char *what)
{
	unsigned int v = vp->nvectors;
	int err;

	snprintf(vp->irqs[v].name, sizeof(vp->irqs[v].name), "%s-%s",
		 dev_name(&vp->vdev.dev), what);
	vp->irqs[v].opaque = opaque;
	err = request_irq(pci_irq_vector(vp->pci, v), fn,
			  vp->irq_mode == VP_INTX ? IRQF_SHARED : 0,
			  vp->irqs[v].name, opaque);
	if (!err)
		vp->nvectors++;
	return err;
}

static void vp_free_irqs(struct virtio_pci_device *vp)
{
	unsigned int v;

	for (v = 0; v < vp->nvectors; v++)
		free_irq(pci_irq_vector(vp->pci, v), vp->irqs[v].opaque);
	vp->nvectors = 0;
	pci_free_irq_vectors(vp->pci);
	kfree(vp->irqs);
	vp->irqs = NULL;
}

/*
 * Ask for @mode's vectors: config first, then the queues.  The vectors of
 * per-queue mode are requested later, once the queues exist.
 */
static int vp_alloc_vectors(struct virtio_pci_device *vp,
			    enum virtio_pci_irq_mode mode, unsigned int nvqs)
{
	unsigned int want = mode == VP_MSIX_PER_VQ ? 1 + nvqs :
			    mode == VP_MSIX_SHARED ? 2 : 1;
	int err;

	err = pci_alloc_irq_vectors(vp->pci, want, want,
				    mode == VP_INTX ? PCI_IRQ_INTX : PCI_IRQ_MSIX);
	if (err < 0)
		return err;
	vp->irq_mode = mode;
	vp->irqs = kcalloc(want, sizeof(*vp->irqs), GFP_KERNEL);
	if (!vp->irqs) {
		pci_free_irq_vectors(vp->pci);
		return -ENOMEM;
	}

	if (mode == VP_INTX)
		err = vp_request_irq(vp, vp_intx_irq, vp, "intx");
	else
		err = vp_request_irq(vp, vp_config_irq, &vp->vdev, "config");
	if (!err && mode == VP_MSIX_SHARED)
		err = vp_request_irq(vp, vp_vqs_irq, vp, "virtqueues");
	if (err)
		vp_free_irqs(vp);
	return err;
}

/* Tell the device which vector a source uses; it may refuse (§4.1.5.1.2). */
static int vp_set_vector(struct virtio_pci_device *vp, __le16 __iomem *reg,
			 u16 vector)
{
	iowrite16(vector, reg);
	if (ioread16(reg) != vector) {
		dev_err(&vp->vdev.dev, "device refused MSI-X vector %u\n",
			vector);
		return -EBUSY;
	}
	return 0;
}

/* --- virtqueues (§4.1.5.1.3) --------------------------------------------- */

static bool vp_notify(struct virtqueue *vq)
{
	iowrite16(vq->index, (void __iomem *)vq->priv);
	return true;
}

static struct virtqueue *vp_setup_vq(struct virtio_pci_device *vp,
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
		.name = info->name,
	};
	struct virtqueue *vq;
	u32 notify_off;
	int err;

	iowrite16(index, &c->queue_select);
	p.num = ioread16(&c->queue_size);
	if (!p.num || ioread16(&c->queue_enable)) {
		dev_err(&vp->vdev.dev, "virtqueue %u (%s) %s\n", index,
			info->name, p.num ? "already enabled" : "not available");
		return ERR_PTR(-ENOENT);
	}
	notify_off = (u32)ioread16(&c->queue_notify_off) * vp->notify_mult;
	if (notify_off + 2 > vp->notify.len) {
		dev_err(&vp->vdev.dev,
			"virtqueue %u notify offset %u beyond the %u-byte area\n",
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

static void vp_del_vqs(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	unsigned int i;

	/* The device is reset: it neither uses the rings nor raises irqs. */
	vp_free_irqs(vp);
	for (i = 0; i < vp->nvqs; i++)
		if (vp->vqs[i])
			vring_del_virtqueue(vp->vqs[i]);
	kfree(vp->vqs);
	vp->vqs = NULL;
	vp->nvqs = 0;
}

static int vp_try_find_vqs(struct virtio_pci_device *vp, unsigned int nvqs,
			   struct virtqueue *vqs[],
			   const struct virtqueue_info info[],
			   enum virtio_pci_irq_mode mode)
{
	struct virtio_pci_common_cfg __iomem *c = vp->common;
	unsigned int i, nvectors = 0;
	u16 vector;
	int err;

	for (i = 0; i < nvqs; i++)
		if (info[i].name && info[i].callback)
			nvectors++;

	err = vp_alloc_vectors(vp, mode, nvectors);
	if (err)
		return err;
	vp->vqs = kcalloc(nvqs, sizeof(*vp->vqs), GFP_KERNEL);
	if (!vp->vqs) {
		vp_free_irqs(vp);
		return -ENOMEM;
	}
	vp->nvqs = nvqs;

	err = vp_set_vector(vp, &c->msix_config,
			    mode == VP_INTX ? VIRTIO_MSI_NO_VECTOR : 0);
	if (err)
		goto fail;

	for (i = 0; i < nvqs; i++) {
		vqs[i] = NULL;
		if (!info[i].name)
			continue;
		if (mode == VP_INTX || !info[i].callback)
			vector = VIRTIO_MSI_NO_VECTOR;
		else
			vector = mode == VP_MSIX_SHARED ? 1 : vp->nvectors;

		vqs[i] = vp_setup_vq(vp, i, &info[i], vector);
		if (IS_ERR(vqs[i])) {
			err = PTR_ERR(vqs[i]);
			vqs[i] = NULL;
			goto fail;
		}
		vp->vqs[i] = vqs[i];
		if (mode == VP_MSIX_PER_VQ && info[i].callback) {
			err = vp_request_irq(vp, vring_interrupt, vqs[i],
					     info[i].name);
			if (err)
				goto fail;
		}
	}

	/* Enable only once every queue is set up (§4.1.5.1.3). */
	for (i = 0; i < nvqs; i++) {
		if (!vqs[i])
			continue;
		iowrite16(i, &c->queue_select);
		iowrite16(1, &c->queue_enable);
	}
	return 0;

fail:
	vp_del_vqs(&vp->vdev);
	return err;
}

static int vp_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[],
		       const struct virtqueue_info info[])
{
	static const enum virtio_pci_irq_mode modes[] = {
		VP_MSIX_PER_VQ, VP_MSIX_SHARED, VP_INTX,
	};
	struct virtio_pci_device *vp = to_vp(vdev);
	int err = -ENODEV;
	unsigned int m;

	if (nvqs > ioread16(&vp->common->num_queues)) {
		dev_err(&vdev->dev, "driver wants %u queues, device has %u\n",
			nvqs, ioread16(&vp->common->num_queues));
		return -ENOENT;
	}
	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		err = vp_try_find_vqs(vp, nvqs, vqs, info, modes[m]);
		if (!err || err == -ENOENT || err == -EINVAL)
			break;
	}
	return err;
}

static const char *vp_bus_name(struct virtio_device *vdev)
{
	return pci_name(to_vp(vdev)->pci);
}

static const struct virtio_config_ops vp_config_ops = {
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
}

static int vp_map_caps(struct virtio_pci_device *vp)
{
	struct virtio_pci_region r;
	int pos;

	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG,
			 sizeof(struct virtio_pci_common_cfg), &r);
	if (pos < 0)
		return pos;
	vp->common = (struct virtio_pci_common_cfg __iomem *)r.base;

	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, 1, &r);
	if (pos < 0)
		return pos;
	vp->isr = r.base;

	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, 2, &vp->notify);
	if (pos < 0)
		return pos;
	pci_read_config_dword(vp->pci,
			      pos + offsetof(struct virtio_pci_notify_cap,
					     notify_off_multiplier),
			      &vp->notify_mult);

	/* Devices without config fields (rng) may leave this one out. */
	pos = vp_map_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, 0, &vp->device);
	return pos == -ENOENT ? 0 : min(pos, 0);
}

/* --- PCI driver ---------------------------------------------------------- */

static void vp_release(struct device *d)
{
	kfree(to_vp(dev_to_virtio(d)));
}

static int vp_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct virtio_pci_device *vp;
	int err;

	/* 0x1000 through 0x107f are virtio devices (§4.1.2). */
	if (pci->device < 0x1000 || pci->device > 0x107f)
		return -ENODEV;
	/* Transitional ids name the device in the subsystem id (§4.1.2.1). */
	if (pci->device <= VIRTIO_PCI_ID_TRANSITIONAL_LAST &&
	    !pci->subsystem_device)
		return -ENODEV;

	vp = kzalloc(sizeof(*vp), GFP_KERNEL);
	if (!vp)
		return -ENOMEM;
	vp->pci = pci;
	vp->vdev.config = &vp_config_ops;
	vp->vdev.dev.parent = &pci->dev;
	vp->vdev.dev.release = vp_release;
	vp->vdev.id.vendor = pci->subsystem_vendor;
	vp->vdev.id.device = pci->device <= VIRTIO_PCI_ID_TRANSITIONAL_LAST ?
			     pci->subsystem_device :
			     pci->device - VIRTIO_PCI_ID_MODERN_BASE;

	err = pci_enable_device(pci);
	if (err)
		goto out_free;

	err = vp_map_caps(vp);
	if (err == -ENOENT) {
		dev_info(&pci->dev, "no modern virtio capabilities; legacy-only devices are not supported\n");
		err = -ENODEV;
	}
	if (err)
		goto out_unmap;

	err = pci_request_selected_regions(pci, vp->bars, "virtio-pci");
	if (err)
		goto out_unmap;
	err = dma_set_mask_and_coherent(&pci->dev, DMA_BIT_MASK(64));
	if (err)
		err = dma_set_mask_and_coherent(&pci->dev, DMA_BIT_MASK(32));
	if (err) {
		dev_err(&pci->dev, "no usable DMA mask\n");
		goto out_regions;
	}
	pci_set_master(pci);
	pci_set_drvdata(pci, vp);

	err = register_virtio_device(&vp->vdev);
	if (err) {
		dev_err(&pci->dev, "cannot register virtio device: %d\n", err);
		goto out_put;
	}
	return 0;

out_put:
	pci_clear_master(pci);
	pci_release_selected_regions(pci, vp->bars);
	vp_unmap(vp);
	pci_disable_device(pci);
	put_device(&vp->vdev.dev);
	return err;
out_regions:
	pci_release_selected_regions(pci, vp->bars);
out_unmap:
	vp_unmap(vp);
	pci_disable_device(pci);
out_free:
	kfree(vp);
	return err;
}

static void vp_remove(struct pci_dev *pci)
{
	struct virtio_pci_device *vp = pci_get_drvdata(pci);

	/* Keep vp alive for the unmapping below, past the bus's reference. */
	get_device(&vp->vdev.dev);
	if (!pci_device_is_present(pci))
		virtio_break_device(&vp->vdev);
	unregister_virtio_device(&vp->vdev);

	pci_clear_master(pci);
	pci_release_selected_regions(pci, vp->bars);
	vp_unmap(vp);
	pci_disable_device(pci);
	put_device(&vp->vdev.dev);
}

static const struct pci_device_id vp_ids[] = {
	{ PCI_DEVICE(VIRTIO_PCI_VENDOR_ID, PCI_ANY_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vp_ids);

static struct pci_driver vp_driver = {
	.name = "virtio-pci",
	.id_table = vp_ids,
	.probe = vp_probe,
	.remove = vp_remove,
};
module_pci_driver(vp_driver);

MODULE_DESCRIPTION("Virtio PCI transport (VIRTIO 1.x modern interface)");
MODULE_LICENSE("GPL");
