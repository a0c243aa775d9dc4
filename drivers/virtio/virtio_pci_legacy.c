// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport, legacy interface (VIRTIO 1.2 §4.1.4.10): the
 * registers of pre-1.0 devices in I/O BAR0, still offered by transitional
 * devices.  The PCI driver, the interrupts and the queue setup loop are in
 * virtio_pci_common.c.
 *
 * What differs from the modern interface: 32 feature bits, so neither
 * VERSION_1 nor the packed ring; no FEATURES_OK (the bus core skips it);
 * queue sizes fixed by the device; rings given as 4096-byte page numbers,
 * with the used ring on a 4096-byte boundary; device config in the guest's
 * byte order, after 20 bytes of registers, or 24 while MSI-X is enabled.
 */
#include <linux/log2.h>
#include <linux/virtio_ring.h>
#include "virtio_pci_common.h"

/* --- device config space (§4.1.4.10) ------------------------------------- */

/* The vector registers come and go with MSI-X, and config moves with them. */
static unsigned int vp_legacy_config_off(struct virtio_pci_device *vp)
{
	return VIRTIO_PCI_CONFIG_OFF(vp->pci->msix_enabled);
}

static void __iomem *vp_legacy_config(struct virtio_pci_device *vp,
				      unsigned int offset, unsigned int len)
{
	unsigned int off = vp_legacy_config_off(vp);

	if (offset + len > vp->iolen - off || offset + len < offset) {
		dev_warn_once(&vp->vdev.dev,
			      "config access %u+%u beyond the %u bytes offered\n",
			      offset, len, vp->iolen - off);
		return NULL;
	}
	return vp->ioaddr + off + offset;
}

/*
 * Fields are in the guest's byte order (§2.5.3), and a value read at the
 * field's natural width is the field's value (§4.1.4.10), stored as the CPU
 * stores it.  ioread16()/ioread32() convert from little-endian, so a
 * big-endian guest reads (and writes) with the big-endian ones.
 */
#ifdef CONFIG_CPU_BIG_ENDIAN
#define vp_legacy_ioread16	ioread16be
#define vp_legacy_ioread32	ioread32be
#define vp_legacy_iowrite16	iowrite16be
#define vp_legacy_iowrite32	iowrite32be
#else
#define vp_legacy_ioread16	ioread16
#define vp_legacy_ioread32	ioread32
#define vp_legacy_iowrite16	iowrite16
#define vp_legacy_iowrite32	iowrite32
#endif

static void vp_legacy_read(void __iomem *p, void *buf, unsigned int len)
{
	u16 w;
	u32 l;

	switch (len) {
	case 2:
		w = vp_legacy_ioread16(p);
		memcpy(buf, &w, sizeof(w));
		break;
	case 4:
	case 8:
		l = vp_legacy_ioread32(p);
		memcpy(buf, &l, sizeof(l));
		if (len == 4)
			break;
		l = vp_legacy_ioread32(p + 4);
		memcpy(buf + 4, &l, sizeof(l));
		break;
	default:
		while (len--)
			*(u8 *)buf++ = ioread8(p++);
	}
}

static void vp_legacy_get(struct virtio_device *vdev, unsigned int offset,
			  void *buf, unsigned int len)
{
	void __iomem *p = vp_legacy_config(to_vp(vdev), offset, len);
	unsigned int tries = 8;
	u64 before;

	if (!p) {
		memset(buf, 0, len);
		return;
	}
	vp_legacy_read(p, buf, len);
	if (len != sizeof(before))
		return;
	/* No generation counter: read until two reads agree (§2.5.4). */
	do {
		memcpy(&before, buf, sizeof(before));
		vp_legacy_read(p, buf, len);
	} while (memcmp(&before, buf, sizeof(before)) && --tries);
}

static void vp_legacy_set(struct virtio_device *vdev, unsigned int offset,
			  const void *buf, unsigned int len)
{
	void __iomem *p = vp_legacy_config(to_vp(vdev), offset, len);
	u16 w;
	u32 l;

	if (!p)
		return;
	switch (len) {
	case 2:
		memcpy(&w, buf, sizeof(w));
		vp_legacy_iowrite16(w, p);
		break;
	case 4:
		memcpy(&l, buf, sizeof(l));
		vp_legacy_iowrite32(l, p);
		break;
	default:
		while (len--)
			iowrite8(*(const u8 *)buf++, p++);
	}
}

/* --- status and features ------------------------------------------------- */

static u8 vp_legacy_get_status(struct virtio_device *vdev)
{
	return ioread8(to_vp(vdev)->ioaddr + VIRTIO_PCI_STATUS);
}

static void vp_legacy_set_status(struct virtio_device *vdev, u8 status)
{
	WARN_ON(!status);
	iowrite8(status, to_vp(vdev)->ioaddr + VIRTIO_PCI_STATUS);
}

/*
 * Writing 0 resets the device there and then; reading the status back
 * flushes the write.  Then no handler may still be running on the old state.
 */
static void vp_legacy_reset(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	u8 status;

	iowrite8(0, vp->ioaddr + VIRTIO_PCI_STATUS);
	status = ioread8(vp->ioaddr + VIRTIO_PCI_STATUS);
	if (status == 0xff && !pci_device_is_present(vp->pci)) {
		dev_err(&vdev->dev, "device gone during reset\n");
		virtio_break_device(vdev);
	} else if (status) {
		/* The reset is synchronous here (§4.1.4.10): the device is bad. */
		dev_err(&vdev->dev, "status 0x%02x after reset\n", status);
		virtio_reset_failed(vdev);
	}
	vp_synchronize_irqs(vp);
}

/* Only bits 0 to 31 exist through this interface (§4.1.4.10). */
static u64 vp_legacy_get_features(struct virtio_device *vdev)
{
	return ioread32(to_vp(vdev)->ioaddr + VIRTIO_PCI_HOST_FEATURES);
}

static int vp_legacy_finalize_features(struct virtio_device *vdev)
{
	iowrite32(lower_32_bits(vdev->features),
		  to_vp(vdev)->ioaddr + VIRTIO_PCI_GUEST_FEATURES);
	return 0;
}

/* --- virtqueues (§4.1.5.1.3 legacy note) ---------------------------------- */

static int vp_legacy_set_config_vector(struct virtio_pci_device *vp,
				       u16 vector)
{
	/* Without MSI-X the register is not there: config starts at 20. */
	if (!vp->pci->msix_enabled)
		return 0;
	return vp_set_vector(vp, vp->ioaddr + VIRTIO_MSI_CONFIG_VECTOR, vector);
}

static struct virtqueue *vp_legacy_setup_vq(struct virtio_pci_device *vp,
					    unsigned int index,
					    const struct virtqueue_info *info,
					    u16 vector)
{
	void __iomem *io = vp->ioaddr;
	struct vring_params p = {
		.index = index,
		.align = VIRTIO_PCI_VRING_ALIGN,
		.dma_dev = &vp->pci->dev,
		.notify = vp_notify,
		.callback = info->callback,
		.seed_callback = info->seed_callback,
		.name = info->name,
		.priv = (void __force *)(io + VIRTIO_PCI_QUEUE_NOTIFY),
	};
	struct virtqueue *vq;
	dma_addr_t ring;
	int err;

	/* A selector the device has no queue for may be ignored: read it back. */
	iowrite16(index, io + VIRTIO_PCI_QUEUE_SEL);
	p.num = ioread16(io + VIRTIO_PCI_QUEUE_NUM);
	if (ioread16(io + VIRTIO_PCI_QUEUE_SEL) != index || !p.num) {
		dev_err(&vp->vdev.dev, "virtqueue %u (%s) not available\n",
			index, info->name);
		return ERR_PTR(-ENOENT);
	}
	if (ioread32(io + VIRTIO_PCI_QUEUE_PFN)) {
		dev_err(&vp->vdev.dev, "virtqueue %u (%s) already in use\n",
			index, info->name);
		return ERR_PTR(-ENOENT);
	}
	/* The device fixes the size; the split ring needs a power of two. */
	if (!is_power_of_2(p.num)) {
		dev_err(&vp->vdev.dev, "virtqueue %u (%s) size %u is not a power of two\n",
			index, info->name, p.num);
		return ERR_PTR(-EINVAL);
	}

	vq = vring_create_virtqueue(&vp->vdev, &p);
	if (IS_ERR(vq))
		return vq;

	ring = virtqueue_get_desc_addr(vq);
	if ((ring & (VIRTIO_PCI_VRING_ALIGN - 1)) ||
	    ring >> (32 + VIRTIO_PCI_QUEUE_ADDR_SHIFT)) {
		dev_err(&vp->vdev.dev, "virtqueue %u ring at %pad has no 32-bit page number\n",
			index, &ring);
		err = -ENOMEM;
		goto fail;
	}
	if (vp->pci->msix_enabled) {
		err = vp_set_vector(vp, io + VIRTIO_MSI_QUEUE_VECTOR, vector);
		if (err)
			goto fail;
	}
	/* The page number makes the queue live. */
	iowrite32(ring >> VIRTIO_PCI_QUEUE_ADDR_SHIFT, io + VIRTIO_PCI_QUEUE_PFN);
	return vq;

fail:
	vring_del_virtqueue(vq);
	return ERR_PTR(err);
}

/*
 * Make the device forget its queues before their rings are freed.  After
 * the driver's reset it has.  After a failed find_vqs it has not, and this
 * interface has no way to stop one queue (§4.1.4.10): reset the device and
 * bring it back to where the bus core had it, status and features (there
 * is no FEATURES_OK step), so that find_vqs can try again.
 */
static void vp_legacy_release_vqs(struct virtio_pci_device *vp)
{
	u8 status = vp_legacy_get_status(&vp->vdev);

	if (!status)
		return;
	vp_legacy_reset(&vp->vdev);
	vp_legacy_set_status(&vp->vdev, status);
	vp_legacy_finalize_features(&vp->vdev);
}

static void vp_legacy_unmap(struct virtio_pci_device *vp)
{
	pci_iounmap(vp->pci, vp->ioaddr);
}

static const struct virtio_config_ops vp_legacy_config_ops = {
	.get = vp_legacy_get,
	.set = vp_legacy_set,
	.get_status = vp_legacy_get_status,
	.set_status = vp_legacy_set_status,
	.reset = vp_legacy_reset,
	.get_features = vp_legacy_get_features,
	.finalize_features = vp_legacy_finalize_features,
	.find_vqs = vp_find_vqs,
	.del_vqs = vp_del_vqs,
	.bus_name = vp_bus_name,
};

static const struct virtio_pci_ops vp_legacy_ops = {
	.set_config_vector = vp_legacy_set_config_vector,
	.setup_vq = vp_legacy_setup_vq,
	.release_vqs = vp_legacy_release_vqs,
	.unmap = vp_legacy_unmap,
};

/**
 * virtio_pci_legacy_probe - use a device through the legacy interface
 * @vp: the device, enabled
 *
 * Return: 0, -ENODEV when the device has no legacy interface (only
 * transitional ids with PCI revision 0 do, §4.1.2.3), or another negative
 * errno.
 */
int virtio_pci_legacy_probe(struct virtio_pci_device *vp)
{
	struct pci_dev *pci = vp->pci;
	bool msix = pci_find_capability(pci, PCI_CAP_ID_MSIX);
	int err;

	if (pci->device > VIRTIO_PCI_ID_TRANSITIONAL_LAST ||
	    pci->revision != VIRTIO_PCI_ABI_VERSION)
		return -ENODEV;
	/* The registers, with the vector registers if MSI-X may be used. */
	if (!(pci_resource_flags(pci, 0) & IORESOURCE_IO) ||
	    pci_resource_len(pci, 0) < VIRTIO_PCI_CONFIG_OFF(msix)) {
		dev_err(&pci->dev, "legacy virtio registers missing from BAR0 %pR\n",
			&pci->resource[0]);
		return -ENODEV;
	}

	vp->ioaddr = pci_iomap(pci, 0, 0);
	if (!vp->ioaddr)
		return -ENOMEM;
	vp->iolen = pci_resource_len(pci, 0);
	vp->isr = vp->ioaddr + VIRTIO_PCI_ISR;
	vp->bars = BIT(0);

	/* The ring goes to the device as a 32-bit number of 4096-byte pages. */
	err = vp_set_dma_masks(vp, 32 + VIRTIO_PCI_QUEUE_ADDR_SHIFT);
	if (err) {
		pci_iounmap(pci, vp->ioaddr);
		return err;
	}
	vp->ops = &vp_legacy_ops;
	vp->vdev.config = &vp_legacy_config_ops;
	dev_info(&pci->dev, "using the legacy virtio interface\n");
	return 0;
}
