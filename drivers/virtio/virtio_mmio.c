// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio MMIO transport (VIRTIO 1.2 §4.2): a platform driver for virtio
 * devices that are a block of registers at a fixed address plus one
 * interrupt line.  They are found in the device tree ("virtio,mmio"), in
 * ACPI (LNRO0005, as QEMU's microvm machine describes them) or on the kernel
 * command line (virtio_mmio.device=, see below).
 *
 * Version 2 registers are the VIRTIO 1.x ones (§4.2.2); version 1 is the
 * legacy layout (§4.2.4): 32 feature bits, rings given as a page number,
 * device config in the guest's byte order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/log2.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_mmio.h>

#define VM_MAGIC		0x74726976	/* "virt", little-endian */
/* Version 1: the page size we tell the device, also the used ring's alignment. */
#define VM_V1_PAGE_SHIFT	12
#define VM_V1_PAGE_SIZE		BIT(VM_V1_PAGE_SHIFT)

struct virtio_mmio_device {
	struct virtio_device vdev;
	struct platform_device *pdev;
	void __iomem *base;
	u32 version;		/* 1 (legacy) or 2 */
	u32 config_len;		/* bytes of device config the region holds */
	int irq;
	bool irq_requested;	/* from find_vqs() to del_vqs() */
	struct virtqueue **vqs;	/* those that exist; vq->index is the device's */
	unsigned int nvqs;
};

static struct virtio_mmio_device *to_vm(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_mmio_device, vdev);
}

/* --- device config space (§4.2.2, Config) -------------------------------- */

static void __iomem *vm_config(struct virtio_mmio_device *vm,
			       unsigned int offset, unsigned int len)
{
	if (offset + len > vm->config_len || offset + len < offset) {
		dev_warn_once(&vm->vdev.dev,
			      "config access %u+%u beyond the %u bytes offered\n",
			      offset, len, vm->config_len);
		return NULL;
	}
	return vm->base + VIRTIO_MMIO_CONFIG + offset;
}

/*
 * Fields are read at their natural width (§4.2.2.2).  Version 2 config is
 * little-endian and handed on as stored, so the generic accessors convert
 * once; version 1 config is in the guest's byte order (§2.5.3), so the value
 * read is stored as the CPU stores it.
 */
static void vm_read(struct virtio_mmio_device *vm, void __iomem *p,
		    void *buf, unsigned int len)
{
	bool le = vm->version != 1;
	u16 w;
	u32 l;

	switch (len) {
	case 2:
		w = readw(p);
		if (le)
			w = (__force u16)cpu_to_le16(w);
		memcpy(buf, &w, sizeof(w));
		break;
	case 4:
	case 8:
		l = readl(p);
		if (le)
			l = (__force u32)cpu_to_le32(l);
		memcpy(buf, &l, sizeof(l));
		if (len == 4)
			break;
		l = readl(p + 4);
		if (le)
			l = (__force u32)cpu_to_le32(l);
		memcpy(buf + 4, &l, sizeof(l));
		break;
	default:
		while (len--)
			*(u8 *)buf++ = readb(p++);
	}
}

static void vm_get(struct virtio_device *vdev, unsigned int offset,
		   void *buf, unsigned int len)
{
	struct virtio_mmio_device *vm = to_vm(vdev);
	void __iomem *p = vm_config(vm, offset, len);
	unsigned int tries = 8;
	u64 before;

	if (!p) {
		memset(buf, 0, len);
		return;
	}
	vm_read(vm, p, buf, len);
	if (vm->version != 1 || len != sizeof(before))
		return;
	/* Version 1 has no generation counter: read until two agree (§2.5.4). */
	do {
		memcpy(&before, buf, sizeof(before));
		vm_read(vm, p, buf, len);
	} while (memcmp(&before, buf, sizeof(before)) && --tries);
}

static void vm_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	struct virtio_mmio_device *vm = to_vm(vdev);
	void __iomem *p = vm_config(vm, offset, len);
	bool le = vm->version != 1;
	u16 w;
	u32 l;

	if (!p)
		return;
	switch (len) {
	case 2:
		memcpy(&w, buf, sizeof(w));
		writew(le ? le16_to_cpu((__force __le16)w) : w, p);
		break;
	case 4:
		memcpy(&l, buf, sizeof(l));
		writel(le ? le32_to_cpu((__force __le32)l) : l, p);
		break;
	default:
		while (len--)
			writeb(*(const u8 *)buf++, p++);
	}
}

/* Only version 2 has ConfigGeneration; a constant ends the core's loop. */
static u32 vm_generation(struct virtio_device *vdev)
{
	struct virtio_mmio_device *vm = to_vm(vdev);

	if (vm->version == 1)
		return 0;
	return readl(vm->base + VIRTIO_MMIO_CONFIG_GENERATION);
}

/* --- status and features ------------------------------------------------- */

static u8 vm_get_status(struct virtio_device *vdev)
{
	return readl(to_vm(vdev)->base + VIRTIO_MMIO_STATUS) & 0xff;
}

static void vm_set_status(struct virtio_device *vdev, u8 status)
{
	WARN_ON(!status);
	writel(status, to_vm(vdev)->base + VIRTIO_MMIO_STATUS);
}

/*
 * Writing 0 resets the device; it is done when the status reads 0 (§2.4).
 * Then no handler may still be running on the old state.
 */
static void vm_reset(struct virtio_device *vdev)
{
	struct virtio_mmio_device *vm = to_vm(vdev);
	u32 status;

	writel(0, vm->base + VIRTIO_MMIO_STATUS);
	if (readl_poll_timeout(vm->base + VIRTIO_MMIO_STATUS, status, !status,
			       1000, USEC_PER_SEC)) {
		/* It may still use the rings: keep them, fail its queues. */
		dev_err(&vdev->dev, "status 0x%x a second after reset\n",
			status);
		virtio_reset_failed(vdev);
	}
	if (vm->irq_requested)
		synchronize_irq(vm->irq);
}

static u64 vm_get_features(struct virtio_device *vdev)
{
	struct virtio_mmio_device *vm = to_vm(vdev);
	u64 features;

	writel(0, vm->base + VIRTIO_MMIO_DEVICE_FEATURES_SEL);
	features = readl(vm->base + VIRTIO_MMIO_DEVICE_FEATURES);
	/* Legacy devices have 32 feature bits, as on PCI. */
	if (vm->version == 1)
		return features;
	writel(1, vm->base + VIRTIO_MMIO_DEVICE_FEATURES_SEL);
	features |= (u64)readl(vm->base + VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	return features;
}

static int vm_finalize_features(struct virtio_device *vdev)
{
	struct virtio_mmio_device *vm = to_vm(vdev);

	/* Version 2 is the VIRTIO 1.x interface (§6.1: devices offer it). */
	if (vm->version != 1 && !virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "version 2 device without VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	writel(0, vm->base + VIRTIO_MMIO_DRIVER_FEATURES_SEL);
	writel(lower_32_bits(vdev->features),
	       vm->base + VIRTIO_MMIO_DRIVER_FEATURES);
	if (vm->version == 1)
		return 0;
	writel(1, vm->base + VIRTIO_MMIO_DRIVER_FEATURES_SEL);
	writel(upper_32_bits(vdev->features),
	       vm->base + VIRTIO_MMIO_DRIVER_FEATURES);
	return 0;
}

/* --- interrupts (§4.2.3.4) ----------------------------------------------- */

static irqreturn_t vm_interrupt(int irq, void *opaque)
{
	struct virtio_mmio_device *vm = opaque;
	unsigned int i;
	u32 status;

	/* Undefined bits are ignored (§4.2.2.2). */
	status = readl(vm->base + VIRTIO_MMIO_INTERRUPT_STATUS) &
		 (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
	if (!status)
		return IRQ_NONE;
	/* Acknowledge first, so an event raised meanwhile asserts it again. */
	writel(status, vm->base + VIRTIO_MMIO_INTERRUPT_ACK);

	if (status & VIRTIO_MMIO_INT_CONFIG)
		virtio_config_changed(&vm->vdev);
	if (status & VIRTIO_MMIO_INT_VRING)
		for (i = 0; i < vm->nvqs; i++)
			vring_interrupt(irq, vm->vqs[i]);
	return IRQ_HANDLED;
}

/* --- virtqueues (§4.2.3.2, §4.2.4) --------------------------------------- */

static bool vm_notify(struct virtqueue *vq)
{
	writel(vq->index, to_vm(vq->vdev)->base + VIRTIO_MMIO_QUEUE_NOTIFY);
	return true;
}

static void vm_write64(struct virtio_mmio_device *vm, unsigned int reg,
		       u64 val)
{
	writel(lower_32_bits(val), vm->base + reg);
	writel(upper_32_bits(val), vm->base + reg + 4);
}

/* Version 1: the ring goes to the device as a page number, in 32 bits. */
static int vm_set_pfn(struct virtio_mmio_device *vm, struct virtqueue *vq)
{
	dma_addr_t ring = virtqueue_get_desc_addr(vq);

	if ((ring & (VM_V1_PAGE_SIZE - 1)) ||
	    ring >> (32 + VM_V1_PAGE_SHIFT)) {
		dev_err(&vm->vdev.dev, "virtqueue %u ring at %pad has no 32-bit page number\n",
			vq->index, &ring);
		return -ENOMEM;
	}
	writel(VM_V1_PAGE_SIZE, vm->base + VIRTIO_MMIO_QUEUE_ALIGN);
	writel(ring >> VM_V1_PAGE_SHIFT, vm->base + VIRTIO_MMIO_QUEUE_PFN);
	return 0;
}

static struct virtqueue *vm_setup_vq(struct virtio_mmio_device *vm,
				     unsigned int index,
				     const struct virtqueue_info *info)
{
	bool legacy = vm->version == 1;
	struct vring_params p = {
		.index = index,
		.align = legacy ? VM_V1_PAGE_SIZE : 4,
		.dma_dev = &vm->pdev->dev,
		.notify = vm_notify,
		.callback = info->callback,
		.seed_callback = info->seed_callback,
		.name = info->name,
	};
	struct virtqueue *vq;
	u32 max;
	int err;

	writel(index, vm->base + VIRTIO_MMIO_QUEUE_SEL);
	if (readl(vm->base + (legacy ? VIRTIO_MMIO_QUEUE_PFN :
			      VIRTIO_MMIO_QUEUE_READY))) {
		dev_err(&vm->vdev.dev, "virtqueue %u (%s) already in use\n",
			index, info->name);
		return ERR_PTR(-ENOENT);
	}
	max = readl(vm->base + VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (!max) {
		dev_err(&vm->vdev.dev, "virtqueue %u (%s) not available\n",
			index, info->name);
		return ERR_PTR(-ENOENT);
	}
	/* The driver picks the size: the largest power of two allowed. */
	p.num = rounddown_pow_of_two(min(max, 32768U));

	vq = vring_create_virtqueue(&vm->vdev, &p);
	if (IS_ERR(vq))
		return vq;

	writel(p.num, vm->base + VIRTIO_MMIO_QUEUE_NUM);
	if (legacy) {
		err = vm_set_pfn(vm, vq);
		if (err) {
			vring_del_virtqueue(vq);
			return ERR_PTR(err);
		}
		return vq;
	}
	vm_write64(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, virtqueue_get_desc_addr(vq));
	vm_write64(vm, VIRTIO_MMIO_QUEUE_AVAIL_LOW, virtqueue_get_avail_addr(vq));
	vm_write64(vm, VIRTIO_MMIO_QUEUE_USED_LOW, virtqueue_get_used_addr(vq));
	writel(1, vm->base + VIRTIO_MMIO_QUEUE_READY);
	return vq;
}

/* Stop the device using a queue (§4.2.2.2; legacy: §4.2.4). */
static void vm_deactivate_vq(struct virtio_mmio_device *vm, unsigned int index)
{
	writel(index, vm->base + VIRTIO_MMIO_QUEUE_SEL);
	if (vm->version == 1) {
		writel(0, vm->base + VIRTIO_MMIO_QUEUE_PFN);
		return;
	}
	writel(0, vm->base + VIRTIO_MMIO_QUEUE_READY);
	if (readl(vm->base + VIRTIO_MMIO_QUEUE_READY))
		dev_warn(&vm->vdev.dev, "virtqueue %u still ready\n", index);
}

static void vm_del_vqs(struct virtio_device *vdev)
{
	struct virtio_mmio_device *vm = to_vm(vdev);
	unsigned int i;

	/* First the handler, which walks the queues. */
	if (vm->irq_requested)
		free_irq(vm->irq, vm);
	vm->irq_requested = false;
	for (i = 0; i < vm->nvqs; i++) {
		vm_deactivate_vq(vm, vm->vqs[i]->index);
		vring_del_virtqueue(vm->vqs[i]);
	}
	kfree(vm->vqs);
	vm->vqs = NULL;
	vm->nvqs = 0;
}

/*
 * The interrupt is requested once the queues exist.  An event the device
 * raised before stays in InterruptStatus and is handled then.
 */
static int vm_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[], struct virtqueue_info info[],
		       struct irq_affinity *desc)
{
	struct virtio_mmio_device *vm = to_vm(vdev);
	unsigned int i, named = 0, next = 0;
	int err;

	for (i = 0; i < nvqs; i++)
		named += !!info[i].name;
	/* Only the queues that exist: the handler walks them all. */
	vm->vqs = kcalloc(named, sizeof(*vm->vqs), GFP_KERNEL);
	if (!vm->vqs)
		return -ENOMEM;
	/* Before any queue is set up (§4.2.4). */
	if (vm->version == 1)
		writel(VM_V1_PAGE_SIZE, vm->base + VIRTIO_MMIO_GUEST_PAGE_SIZE);

	for (i = 0; i < nvqs; i++) {
		unsigned int index = virtqueue_info_index(&info[i], &next);

		vqs[i] = NULL;
		if (!info[i].name)
			continue;
		vqs[i] = vm_setup_vq(vm, index, &info[i]);
		if (IS_ERR(vqs[i])) {
			err = PTR_ERR(vqs[i]);
			vqs[i] = NULL;
			goto fail;
		}
		vm->vqs[vm->nvqs++] = vqs[i];
	}

	err = request_irq(vm->irq, vm_interrupt, IRQF_SHARED,
			  dev_name(&vdev->dev), vm);
	if (err) {
		dev_err(&vdev->dev, "cannot request interrupt %d: %d\n",
			vm->irq, err);
		goto fail;
	}
	vm->irq_requested = true;
	return 0;

fail:
	vm_del_vqs(vdev);
	return err;
}

static const char *vm_bus_name(struct virtio_device *vdev)
{
	return dev_name(&to_vm(vdev)->pdev->dev);
}

static const struct virtio_config_ops vm_config_ops = {
	.get = vm_get,
	.set = vm_set,
	.generation = vm_generation,
	.get_status = vm_get_status,
	.set_status = vm_set_status,
	.reset = vm_reset,
	.get_features = vm_get_features,
	.finalize_features = vm_finalize_features,
	.find_vqs = vm_find_vqs,
	.del_vqs = vm_del_vqs,
	.bus_name = vm_bus_name,
};

/* --- platform driver ----------------------------------------------------- */

static void vm_release(struct device *d)
{
	kfree(to_vm(dev_to_virtio(d)));
}

static int vm_probe(struct platform_device *pdev)
{
	struct virtio_mmio_device *vm;
	struct device *d = &pdev->dev;
	struct resource *res;
	void __iomem *base;
	u32 magic, version, device;
	int irq, err;

	base = devm_platform_get_and_ioremap_resource(pdev, 0, &res);
	if (IS_ERR(base))
		return PTR_ERR(base);
	if (resource_size(res) < VIRTIO_MMIO_CONFIG) {
		dev_err(d, "%pR is too small for the virtio registers\n", res);
		return -EINVAL;
	}

	/* §4.2.3.1.1: magic and version first, then the device id. */
	magic = readl(base + VIRTIO_MMIO_MAGIC_VALUE);
	if (magic != VM_MAGIC) {
		dev_err(d, "bad magic value 0x%08x\n", magic);
		return -ENODEV;
	}
	version = readl(base + VIRTIO_MMIO_VERSION);
	if (version < 1 || version > 2) {
		dev_err(d, "unsupported version %u\n", version);
		return -ENODEV;
	}
	/* A placeholder: ignored without a word, nothing else touched. */
	device = readl(base + VIRTIO_MMIO_DEVICE_ID);
	if (!device)
		return -ENODEV;

	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;
	/* Buffers anywhere; a version 1 ring as a 32-bit page number. */
	if ((dma_set_mask(d, DMA_BIT_MASK(64)) &&
	     dma_set_mask(d, DMA_BIT_MASK(32))) ||
	    dma_set_coherent_mask(d, version == 1 ?
				  DMA_BIT_MASK(32 + VM_V1_PAGE_SHIFT) :
				  DMA_BIT_MASK(64))) {
		dev_err(d, "no usable DMA mask\n");
		return -EIO;
	}

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return -ENOMEM;
	vm->pdev = pdev;
	vm->base = base;
	vm->version = version;
	vm->config_len = resource_size(res) - VIRTIO_MMIO_CONFIG;
	vm->irq = irq;
	vm->vdev.id.device = device;
	vm->vdev.id.vendor = readl(base + VIRTIO_MMIO_VENDOR_ID);
	vm->vdev.config = &vm_config_ops;
	vm->vdev.dev.parent = d;
	vm->vdev.dev.release = vm_release;
	platform_set_drvdata(pdev, vm);

	err = register_virtio_device(&vm->vdev);
	if (err) {
		dev_err(d, "cannot register virtio device: %d\n", err);
		put_device(&vm->vdev.dev);
		return err;
	}
	if (version == 1)
		dev_info(d, "legacy (version 1) virtio-mmio device\n");
	return 0;
}

static void vm_remove(struct platform_device *pdev)
{
	struct virtio_mmio_device *vm = platform_get_drvdata(pdev);

	unregister_virtio_device(&vm->vdev);
}

/* Suspend and hibernation: see virtio_device_freeze/restore(). */
static int vm_freeze(struct device *dev)
{
	struct virtio_mmio_device *vm = dev_get_drvdata(dev);

	return virtio_device_freeze(&vm->vdev);
}

static int vm_restore(struct device *dev)
{
	struct virtio_mmio_device *vm = dev_get_drvdata(dev);

	return virtio_device_restore(&vm->vdev);
}

static DEFINE_SIMPLE_DEV_PM_OPS(vm_pm_ops, vm_freeze, vm_restore);

static const struct of_device_id vm_of_match[] = {
	{ .compatible = "virtio,mmio" },
	{ }
};
MODULE_DEVICE_TABLE(of, vm_of_match);

static const struct acpi_device_id vm_acpi_match[] = {
	{ "LNRO0005" },
	{ }
};
MODULE_DEVICE_TABLE(acpi, vm_acpi_match);

static struct platform_driver vm_driver = {
	.probe = vm_probe,
	.remove = vm_remove,
	.driver = {
		.name = "virtio-mmio",
		.of_match_table = vm_of_match,
		.acpi_match_table = vm_acpi_match,
		.pm = pm_sleep_ptr(&vm_pm_ops),
	},
};

/* --- devices from the command line --------------------------------------- */

#if IS_ENABLED(CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES)
/*
 * virtio_mmio.device=<size>@<base>:<irq>[:<id>], once per device: <size>
 * bytes (K, M and G suffixes allowed) at physical address <base>, on
 * interrupt <irq>, becoming platform device virtio-mmio.<id> (by default
 * the number after the previous device's).  When the driver is built in,
 * the parameter is parsed long before the driver core is up: devices are
 * kept here and registered at module init; later ones (a sysfs write)
 * at once.
 */
#define VM_CMDLINE_MAX	16

static struct vm_cmdline_dev {
	resource_size_t base, size;
	unsigned int irq;
	int id;
	struct platform_device *pdev;
} vm_cmdline_devs[VM_CMDLINE_MAX];
static unsigned int vm_cmdline_count;
static int vm_cmdline_next_id;
/* Parent of the devices; set once module init ran, then set() registers. */
static struct device *vm_cmdline_parent;

static int vm_cmdline_register(struct vm_cmdline_dev *c)
{
	struct resource res[] = {
		DEFINE_RES_MEM(c->base, c->size),
		DEFINE_RES_IRQ(c->irq),
	};
	struct platform_device *pdev;

	pdev = platform_device_register_resndata(vm_cmdline_parent,
						 vm_driver.driver.name, c->id,
						 res, ARRAY_SIZE(res), NULL, 0);
	if (IS_ERR(pdev)) {
		pr_err("cannot add device %pR irq %u: %ld\n", &res[0], c->irq,
		       PTR_ERR(pdev));
		return PTR_ERR(pdev);
	}
	c->pdev = pdev;
	return 0;
}

static int vm_cmdline_set(const char *val, const struct kernel_param *kp)
{
	struct vm_cmdline_dev c = { .id = vm_cmdline_next_id };
	char *end;
	int n = 0;
	int err;

	c.size = memparse(val, &end);
	if (!c.size || *end != '@')
		goto invalid;
	c.base = memparse(end + 1, &end);
	if (sscanf(end, ":%u%n", &c.irq, &n) != 1 || !c.irq)
		goto invalid;
	end += n;
	if (*end == ':') {
		if (sscanf(end, ":%d%n", &c.id, &n) != 1 || c.id < 0)
			goto invalid;
		end += n;
	}
	/* A sysfs write ends with a newline. */
	if ((*end && strcmp(end, "\n")) || c.base + c.size - 1 < c.base)
		goto invalid;
	if (vm_cmdline_count == VM_CMDLINE_MAX) {
		pr_err("more than %d devices on the command line\n",
		       VM_CMDLINE_MAX);
		return -ENOSPC;
	}

	if (vm_cmdline_parent) {
		err = vm_cmdline_register(&c);
		if (err)
			return err;
	}
	vm_cmdline_devs[vm_cmdline_count++] = c;
	vm_cmdline_next_id = c.id + 1;
	return 0;

invalid:
	pr_err("device=%s: expected <size>@<base>:<irq>[:<id>]\n", val);
	return -EINVAL;
}

static int vm_cmdline_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < vm_cmdline_count; i++) {
		const struct vm_cmdline_dev *c = &vm_cmdline_devs[i];

		len += scnprintf(buf + len, PAGE_SIZE - len, "%llu@%#llx:%u:%d\n",
				 (unsigned long long)c->size,
				 (unsigned long long)c->base, c->irq, c->id);
	}
	return len;
}

static const struct kernel_param_ops vm_cmdline_ops = {
	.set = vm_cmdline_set,
	.get = vm_cmdline_get,
};
module_param_cb(device, &vm_cmdline_ops, NULL, 0600);
MODULE_PARM_DESC(device, "<size>@<base>:<irq>[:<id>], once per device");

static int vm_cmdline_init(void)
{
	struct device *parent = root_device_register("virtio-mmio-cmdline");
	unsigned int i, count;

	if (IS_ERR(parent))
		return PTR_ERR(parent);
	kernel_param_lock(THIS_MODULE);
	vm_cmdline_parent = parent;
	count = vm_cmdline_count;
	kernel_param_unlock(THIS_MODULE);

	/* A device that fails is reported; the others still come up. */
	for (i = 0; i < count; i++)
		vm_cmdline_register(&vm_cmdline_devs[i]);
	return 0;
}

static void vm_cmdline_exit(void)
{
	struct device *parent;
	unsigned int i, count;

	kernel_param_lock(THIS_MODULE);
	parent = vm_cmdline_parent;
	vm_cmdline_parent = NULL;
	count = vm_cmdline_count;
	kernel_param_unlock(THIS_MODULE);

	for (i = 0; i < count; i++)
		if (vm_cmdline_devs[i].pdev)
			platform_device_unregister(vm_cmdline_devs[i].pdev);
	root_device_unregister(parent);
}
#else
static int vm_cmdline_init(void)
{
	return 0;
}

static void vm_cmdline_exit(void)
{
}
#endif

static int __init vm_init(void)
{
	int err = platform_driver_register(&vm_driver);

	if (err)
		return err;
	err = vm_cmdline_init();
	if (err)
		platform_driver_unregister(&vm_driver);
	return err;
}

static void __exit vm_exit(void)
{
	vm_cmdline_exit();
	platform_driver_unregister(&vm_driver);
}

module_init(vm_init);
module_exit(vm_exit);

MODULE_DESCRIPTION("Virtio MMIO transport (platform devices)");
MODULE_LICENSE("GPL");
