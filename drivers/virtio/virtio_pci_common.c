// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport (VIRTIO 1.2 §4.1), the part that does not depend
 * on the register interface: the PCI driver, device ids, interrupts and the
 * loop that sets up a device's queues.  The registers themselves are in
 * virtio_pci_modern.c and virtio_pci_legacy.c.
 *
 * Interface: a transitional device (ids 0x1000-0x103f) offers both; the
 * modern one is used unless the force_legacy parameter says otherwise.  A
 * device without the modern capabilities is legacy-only (§4.1.5.1.1).
 *
 * Interrupts: MSI-X with a vector for config changes and one per queue;
 * if the platform cannot give that many, config plus one shared queue
 * vector; failing MSI-X entirely, the INTx line and the ISR status byte.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>
#include "virtio_pci_common.h"

#define VIRTIO_PCI_VENDOR_ID	0x1af4

static bool force_legacy;
module_param(force_legacy, bool, 0444);
MODULE_PARM_DESC(force_legacy,
		 "Drive transitional devices through the legacy interface");

/**
 * vp_set_dma_masks - set the DMA masks for a register interface
 * @vp: the device
 * @ring_bits: how many address bits the device can take for a ring
 *
 * Buffers are given to the device in 64-bit descriptors; only the rings
 * may be limited by how the interface passes their addresses.
 *
 * Return: 0 or -EIO.
 */
int vp_set_dma_masks(struct virtio_pci_device *vp, unsigned int ring_bits)
{
	struct device *d = &vp->pci->dev;

	if ((dma_set_mask(d, DMA_BIT_MASK(64)) &&
	     dma_set_mask(d, DMA_BIT_MASK(32))) ||
	    (dma_set_coherent_mask(d, DMA_BIT_MASK(ring_bits)) &&
	     dma_set_coherent_mask(d, DMA_BIT_MASK(32)))) {
		dev_err(d, "no usable DMA mask\n");
		return -EIO;
	}
	return 0;
}

/**
 * vp_set_vector - map an interrupt source to an MSI-X vector
 * @vp: the device
 * @reg: the source's vector register
 * @vector: the vector, or VIRTIO_MSI_NO_VECTOR
 *
 * The device may refuse and read back NO_VECTOR (§4.1.5.1.2).
 *
 * Return: 0 or -EBUSY.
 */
int vp_set_vector(struct virtio_pci_device *vp, void __iomem *reg, u16 vector)
{
	u16 got;

	iowrite16(vector, reg);
	got = ioread16(reg);
	if (got != vector) {
		dev_err(&vp->vdev.dev, "device refused MSI-X vector %u (read back %u)\n",
			vector, got);
		return -EBUSY;
	}
	return 0;
}

/**
 * vp_notify - tell the device a queue has new buffers (§4.1.5.2)
 * @vq: the queue; its priv holds the address of its notify register
 *
 * Return: true.
 */
bool vp_notify(struct virtqueue *vq)
{
	iowrite16(vq->index, (void __iomem *)vq->priv);
	return true;
}

/**
 * vp_synchronize_irqs - wait for running interrupt handlers of a device
 * @vp: the device, just reset
 */
void vp_synchronize_irqs(struct virtio_pci_device *vp)
{
	unsigned int i;

	for (i = 0; i < vp->nvectors; i++)
		synchronize_irq(pci_irq_vector(vp->pci, i));
}

/* --- interrupts ---------------------------------------------------------- */

static irqreturn_t vp_config_irq(int irq, void *opaque)
{
	virtio_config_changed(opaque);
	return IRQ_HANDLED;
}

/*
 * The shared and INTx handlers are requested before the queues exist and
 * may run (spuriously, or for another device on the line) while they are
 * being set up: they see a queue only once vp_find_vqs() has published it.
 */
static irqreturn_t vp_vqs_irq(int irq, void *opaque)
{
	struct virtio_pci_device *vp = opaque;
	irqreturn_t ret = IRQ_NONE;
	unsigned int i, n;

	/* The count, then the queues it covers: pairs with vp_try_find_vqs(). */
	n = smp_load_acquire(&vp->nvqs);
	for (i = 0; i < n; i++)
		if (vring_interrupt(irq, vp->vqs[i]) == IRQ_HANDLED)
			ret = IRQ_HANDLED;
	return ret;
}

/* Reading the ISR byte acknowledges the interrupt (§4.1.4.5, §4.1.5.5). */
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

	/* Too few vectors, or no MSI-X at all: the caller tries the next mode. */
	if (pci_alloc_irq_vectors(vp->pci, want, want,
				  mode == VP_INTX ? PCI_IRQ_INTX : PCI_IRQ_MSIX) < 0)
		return -ENOSPC;
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

/* --- virtqueues (§4.1.5.1.3) --------------------------------------------- */

/**
 * vp_del_vqs - free the interrupts and queues of a device
 * @vdev: the device: reset by its driver, or as a failed find_vqs left it
 */
void vp_del_vqs(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	unsigned int i;

	/* First the handlers, which walk the queues. */
	vp_free_irqs(vp);
	if (vp->ops->release_vqs)
		vp->ops->release_vqs(vp);
	for (i = 0; i < vp->nvqs; i++)
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
	unsigned int i, nvectors = 0, named = 0, next = 0;
	u16 vector;
	int err;

	for (i = 0; i < nvqs; i++) {
		if (info[i].name)
			named++;
		if (info[i].name && virtqueue_info_has_callback(&info[i]))
			nvectors++;
	}

	err = vp_alloc_vectors(vp, mode, nvectors);
	if (err)
		return err;
	/*
	 * Only the queues that exist, so that a device offering thousands
	 * a driver skips costs the shared handler nothing.
	 */
	vp->vqs = kcalloc(named, sizeof(*vp->vqs), GFP_KERNEL);
	if (!vp->vqs) {
		vp_free_irqs(vp);
		return -ENOMEM;
	}

	err = vp->ops->set_config_vector(vp, mode == VP_INTX ?
					 VIRTIO_MSI_NO_VECTOR : 0);
	if (err)
		goto fail;

	for (i = 0; i < nvqs; i++) {
		unsigned int index = virtqueue_info_index(&info[i], &next);

		vqs[i] = NULL;
		if (!info[i].name)
			continue;
		if (mode == VP_INTX || !virtqueue_info_has_callback(&info[i]))
			vector = VIRTIO_MSI_NO_VECTOR;
		else
			vector = mode == VP_MSIX_SHARED ? 1 : vp->nvectors;

		vqs[i] = vp->ops->setup_vq(vp, index, &info[i], vector);
		if (IS_ERR(vqs[i])) {
			err = PTR_ERR(vqs[i]);
			vqs[i] = NULL;
			goto fail;
		}
		vp->vqs[vp->nvqs] = vqs[i];
		/* The queue, then the count: see vp_vqs_irq(). */
		smp_store_release(&vp->nvqs, vp->nvqs + 1);
		if (mode == VP_MSIX_PER_VQ && virtqueue_info_has_callback(&info[i])) {
			err = vp_request_irq(vp, vring_interrupt, vqs[i],
					     info[i].name);
			if (err)
				goto fail;
		}
	}

	if (vp->ops->enable_vqs)
		vp->ops->enable_vqs(vp);
	return 0;

fail:
	vp_del_vqs(&vp->vdev);
	return err;
}

/**
 * vp_find_vqs - set up a device's queues and their interrupts
 * @vdev: the device
 * @nvqs: how many queues
 * @vqs: filled with the queues
 * @info: name and callback of each queue
 * @desc: the Linux 6.12 interrupt spreading hint; ignored
 *
 * Tries MSI-X with a vector per queue, then MSI-X with one shared queue
 * vector, then INTx.  A queue the device lacks or cannot size ends it.
 *
 * Return: 0 or a negative errno.
 */
int vp_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		struct virtqueue *vqs[], struct virtqueue_info info[],
		struct irq_affinity *desc)
{
	static const enum virtio_pci_irq_mode modes[] = {
		VP_MSIX_PER_VQ, VP_MSIX_SHARED, VP_INTX,
	};
	struct virtio_pci_device *vp = to_vp(vdev);
	int err = -ENODEV;
	unsigned int m;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		err = vp_try_find_vqs(vp, nvqs, vqs, info, modes[m]);
		if (!err || err == -ENOENT || err == -EINVAL)
			break;
	}
	return err;
}

/**
 * vp_bus_name - the PCI function's name, for messages
 * @vdev: the device
 *
 * Return: pci_name() of the function, e.g. "0000:00:03.0".
 */
const char *vp_bus_name(struct virtio_device *vdev)
{
	return pci_name(to_vp(vdev)->pci);
}

/* --- PCI driver ---------------------------------------------------------- */

static void vp_release(struct device *d)
{
	kfree(to_vp(dev_to_virtio(d)));
}

static int vp_probe_interface(struct virtio_pci_device *vp)
{
	int err;

	if (force_legacy) {
		err = virtio_pci_legacy_probe(vp);
		if (err != -ENODEV)
			return err;
		dev_info(&vp->pci->dev, "force_legacy: legacy interface unavailable, using the modern one\n");
		return virtio_pci_modern_probe(vp);
	}
	err = virtio_pci_modern_probe(vp);
	return err == -ENODEV ? virtio_pci_legacy_probe(vp) : err;
}

static int vp_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct virtio_pci_device *vp;
	int err;

	/* 0x1000 through 0x107f are virtio devices (§4.1.2). */
	if (pci->device < 0x1000 || pci->device > 0x107f)
		return -ENODEV;
	/* Transitional ids name the device in the subsystem id (§4.1.2.3). */
	if (pci->device <= VIRTIO_PCI_ID_TRANSITIONAL_LAST &&
	    !pci->subsystem_device)
		return -ENODEV;

	vp = kzalloc(sizeof(*vp), GFP_KERNEL);
	if (!vp)
		return -ENOMEM;
	vp->pci = pci;
	vp->vdev.dev.parent = &pci->dev;
	vp->vdev.dev.release = vp_release;
	vp->vdev.id.vendor = pci->subsystem_vendor;
	vp->vdev.id.device = pci->device <= VIRTIO_PCI_ID_TRANSITIONAL_LAST ?
			     pci->subsystem_device :
			     pci->device - VIRTIO_PCI_ID_MODERN_BASE;

	err = pci_enable_device(pci);
	if (err)
		goto out_free;

	err = vp_probe_interface(vp);
	if (err == -ENODEV)
		dev_info(&pci->dev, "no virtio interface this driver can use%s\n",
			 IS_ENABLED(CONFIG_VIRTIO_PCI_LEGACY) ? "" :
			 " (legacy support not built)");
	if (err)
		goto out_disable;

	err = pci_request_selected_regions(pci, vp->bars, "virtio-pci");
	if (err)
		goto out_unmap;
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
	vp->ops->unmap(vp);
	pci_disable_device(pci);
	put_device(&vp->vdev.dev);
	return err;
out_unmap:
	vp->ops->unmap(vp);
out_disable:
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
	vp->ops->unmap(vp);
	pci_disable_device(pci);
	put_device(&vp->vdev.dev);
}

/*
 * Suspend and hibernation: the driver quiesces the device and sets it up
 * again (virtio_device_freeze/restore()); the PCI core saves and restores
 * the function's config space around them.
 */
static int vp_freeze(struct device *dev)
{
	struct virtio_pci_device *vp = dev_get_drvdata(dev);

	return virtio_device_freeze(&vp->vdev);
}

static int vp_restore(struct device *dev)
{
	struct virtio_pci_device *vp = dev_get_drvdata(dev);

	return virtio_device_restore(&vp->vdev);
}

static DEFINE_SIMPLE_DEV_PM_OPS(vp_pm_ops, vp_freeze, vp_restore);

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
	.driver.pm = pm_sleep_ptr(&vp_pm_ops),
};
module_pci_driver(vp_driver);

MODULE_DESCRIPTION("Virtio PCI transport (modern and legacy interfaces)");
MODULE_LICENSE("GPL");
