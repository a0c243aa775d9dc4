/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio PCI transport (VIRTIO 1.2 §4.1) in three parts: the common
 * part (virtio_pci_common.c: the PCI driver, interrupts, the queue setup
 * loop) and one part per register interface, modern (virtio_pci_modern.c,
 * §4.1.4) and legacy (virtio_pci_legacy.c, §4.1.4.10).  What they share.
 * Private to drivers/virtio.
 */
#ifndef _DRIVERS_VIRTIO_PCI_COMMON_H
#define _DRIVERS_VIRTIO_PCI_COMMON_H

#include <linux/pci.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_pci.h>

#define VIRTIO_PCI_ID_TRANSITIONAL_LAST	0x103f	/* §4.1.2.1 */
#define VIRTIO_PCI_ID_MODERN_BASE	0x1040

struct virtio_pci_device;

/**
 * struct virtio_pci_ops - what the common part asks of a register interface
 * @set_config_vector: route config-change interrupts to MSI-X @vector, or
 *	to none with VIRTIO_MSI_NO_VECTOR, and check the device took it
 *	(§4.1.5.1.2).  Returns 0 or -EBUSY.
 * @setup_vq: create queue @index for @info, tell the device where its ring
 *	lives and which MSI-X @vector it signals.  Returns the queue, or
 *	ERR_PTR(-ENOENT) when the device has no such queue, ERR_PTR(-EINVAL)
 *	when its size is unusable, another error otherwise.
 * @enable_vqs: let the device use the queues, once all are set up; may be
 *	NULL when @setup_vq already did.
 * @release_vqs: make the device forget its queues before they are freed;
 *	may be NULL.  The device is reset, except when find_vqs failed.
 * @unmap: undo the interface's register mappings.
 */
struct virtio_pci_ops {
	int (*set_config_vector)(struct virtio_pci_device *vp, u16 vector);
	struct virtqueue *(*setup_vq)(struct virtio_pci_device *vp,
				      unsigned int index,
				      const struct virtqueue_info *info,
				      u16 vector);
	void (*enable_vqs)(struct virtio_pci_device *vp);
	void (*release_vqs)(struct virtio_pci_device *vp);
	void (*unmap)(struct virtio_pci_device *vp);
};

/* Where a modern capability's structure was mapped. */
struct virtio_pci_region {
	void __iomem *base;
	u32 len;
};

enum virtio_pci_irq_mode {
	VP_INTX,		/* one line, ISR byte says why */
	VP_MSIX_SHARED,		/* config vector + one vector for all queues */
	VP_MSIX_PER_VQ,		/* config vector + one vector per queue */
};

/**
 * struct virtio_pci_device - a virtio device on PCI
 * @vdev: the virtio device registered on the virtio bus.
 * @pci: the PCI function.
 * @ops: the register interface in use.
 * @bars: BARs the interface maps, as a mask; requested by the common part.
 * @isr: the ISR status byte; reading it acknowledges INTx (§4.1.4.5).
 * @common: modern: the common configuration structure.
 * @device: modern: the device-specific configuration.
 * @notify: modern: the notification area.
 * @notify_mult: modern: notify_off_multiplier.
 * @ioaddr: legacy: the I/O BAR0 registers.
 * @iolen: legacy: length of BAR0.
 * @irq_mode: how interrupts are delivered.
 * @nvectors: vectors requested with request_irq().
 * @irqs: name and handler argument of each vector.
 * @vqs: the queues that exist, in the order they were set up; the
 *	device's index of each is its vq->index.
 * @nvqs: entries in @vqs, published after each entry (vp_vqs_irq()).
 */
struct virtio_pci_device {
	struct virtio_device vdev;
	struct pci_dev *pci;
	const struct virtio_pci_ops *ops;
	int bars;
	u8 __iomem *isr;

	struct virtio_pci_common_cfg __iomem *common;
	struct virtio_pci_region device;
	struct virtio_pci_region notify;
	u32 notify_mult;

	void __iomem *ioaddr;
	u32 iolen;

	enum virtio_pci_irq_mode irq_mode;
	unsigned int nvectors;
	struct virtio_pci_irq {
		char name[32];
		void *opaque;
	} *irqs;
	struct virtqueue **vqs;
	unsigned int nvqs;
};

static inline struct virtio_pci_device *to_vp(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_pci_device, vdev);
}

/* virtio_pci_common.c, for the interfaces. */
int vp_set_dma_masks(struct virtio_pci_device *vp, unsigned int ring_bits);
int vp_set_vector(struct virtio_pci_device *vp, void __iomem *reg,
		  u16 vector);
bool vp_notify(struct virtqueue *vq);
void vp_synchronize_irqs(struct virtio_pci_device *vp);
int vp_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		struct virtqueue *vqs[], struct virtqueue_info info[],
		struct irq_affinity *desc);
void vp_del_vqs(struct virtio_device *vdev);
const char *vp_bus_name(struct virtio_device *vdev);

/*
 * The interfaces, for the common part's probe: map the registers, set the
 * DMA masks, fill in @bars, @isr, @ops and vdev.config.  -ENODEV when the
 * device does not have the interface; nothing is left mapped on failure.
 */
int virtio_pci_modern_probe(struct virtio_pci_device *vp);
#if IS_ENABLED(CONFIG_VIRTIO_PCI_LEGACY)
int virtio_pci_legacy_probe(struct virtio_pci_device *vp);
#else
static inline int virtio_pci_legacy_probe(struct virtio_pci_device *vp)
{
	return -ENODEV;
}
#endif

#endif /* _DRIVERS_VIRTIO_PCI_COMMON_H */
