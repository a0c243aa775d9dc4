// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network driver for the virtio network device (VIRTIO 1.2 §5.1).
 *
 * Each queue pair (receiveqN, transmitqN) has two NAPI contexts.  A queue
 * callback schedules NAPI and leaves further callbacks off (see
 * vnet_vq_napi()); the poll turns them back on with restart() once it has
 * caught up.
 *
 * Receive buffers take one of three layouts, chosen at probe (§5.1.6.3):
 *  - mergeable (MRG_RXBUF): fragments of rx_buf_len bytes cut from pages;
 *    a packet spans num_buffers of them;
 *  - big (no MRG_RXBUF, but GUEST_TSO or an MTU above 1500): chains of
 *    pages that hold the largest packet;
 *  - small: one skb per buffer, for a 1500-byte MTU.
 * For the first two, the headers are copied into a small skb and the
 * payload stays in the pages, attached as fragments.  When memory runs out
 * in NAPI, a delayed work refills with GFP_KERNEL.
 *
 * Transmit completions are reclaimed lazily, in start_xmit and in the
 * receive poll of the same pair, with the transmit callback off.  Only a
 * nearly full ring stops the queue and turns the callback on, so that the
 * device's next completion wakes the queue through the transmit NAPI
 * context.  An skb may therefore sit on the ring until the next transmit:
 * it is orphaned and loses its route when posted, so that neither socket
 * memory accounting nor anything else waits for the device.
 *
 * The controlq (§5.1.6.5) carries receive filters, MAC address and queue
 * pair commands; they sleep until the device answers, at most 5 s.
 *
 * Nothing the device writes is trusted: short buffers, impossible
 * num_buffers and headers the stack rejects drop the packet and count an
 * error; a queue the ring marks broken takes the carrier down.
 *
 * Legacy devices (no VIRTIO_F_VERSION_1) get the header in a descriptor of
 * its own and a 10-byte header without MRG_RXBUF (§5.1.6.1, §5.1.6.6).
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
/* __virtio16_to_cpu() and friends, used by <linux/virtio_net.h> */
#include <linux/virtio_byteorder.h>
#include <linux/virtio_net.h>
#include <uapi/linux/virtio_ids.h>

/* The header of §5.1.6: 12 bytes, but see vnet_info.hdr_len. */
#define VNET_HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* A frame of a 1500-byte MTU, with a VLAN tag. */
#define VNET_FRAME		(ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN)
/* The largest GSO frame the device may hand us (§5.1.6.3). */
#define VNET_GSO_FRAME		(ETH_HLEN + VLAN_HLEN + 65535)
/* Ring entries of the largest skb: header, linear part, fragments. */
#define VNET_TX_SG		(MAX_SKB_FRAGS + 2)
/* Receive headers are copied into the skb, up to this many bytes. */
#define VNET_RX_COPY		256
#define VNET_CMD_TIMEOUT	(5 * HZ)
#define VNET_REFILL_DELAY	(HZ / 2)

enum {
	VNET_RX_PACKETS, VNET_RX_BYTES, VNET_RX_DROPS, VNET_RX_ERRORS,
	VNET_RX_REFILL_FAIL, VNET_RX_NSTATS
};

static const char * const vnet_rx_stat_names[VNET_RX_NSTATS] = {
	"packets", "bytes", "drops", "errors", "refill_fail",
};

enum {
	VNET_TX_PACKETS, VNET_TX_BYTES, VNET_TX_DROPS, VNET_TX_STOPS,
	VNET_TX_TIMEOUTS, VNET_TX_NSTATS
};

static const char * const vnet_tx_stat_names[VNET_TX_NSTATS] = {
	"packets", "bytes", "drops", "stops", "timeouts",
};

struct vnet_info;

struct vnet_rq {
	struct napi_struct napi;
	struct virtqueue *vq;
	struct vnet_info *vi;
	unsigned int index;
	struct page_frag frag;		/* mergeable buffers are cut from it */
	struct scatterlist sg[MAX_SKB_FRAGS + 1];	/* a big buffer */
	struct u64_stats_sync syncp;	/* written in NAPI, or NAPI off */
	u64_stats_t stats[VNET_RX_NSTATS];
	char name[20];
} ____cacheline_aligned_in_smp;

struct vnet_sq {
	struct napi_struct napi;
	struct virtqueue *vq;
	struct vnet_info *vi;
	unsigned int index;
	struct scatterlist sg[VNET_TX_SG];	/* under the tx queue lock */
	struct u64_stats_sync syncp;	/* written under the tx queue lock */
	u64_stats_t stats[VNET_TX_NSTATS];
	char name[20];
} ____cacheline_aligned_in_smp;

/* A control command (§5.1.6.5), kmalloc'd so that it can be mapped. */
struct vnet_cmd {
	struct virtio_net_ctrl_hdr hdr;
	u8 data[8];
	void *table;		/* MAC tables, freed with the command */
	/* Device-written: no cache line shared with the readable part. */
	virtio_net_ctrl_ack ack ____cacheline_aligned;
};

enum vnet_rx_layout { VNET_RX_SMALL, VNET_RX_BIG, VNET_RX_MRG };

struct vnet_info {
	struct virtio_device *vdev;
	struct net_device *dev;
	struct vnet_rq *rq;
	struct vnet_sq *sq;
	struct virtqueue *cvq;
	unsigned int dev_pairs;		/* queue pairs the device has */
	unsigned int max_pairs;		/* queue pairs set up */
	unsigned int cur_pairs;		/* in use; changed under RTNL */
	bool ctrl_rx;			/* CTRL_VQ and CTRL_RX */
	bool ctrl_mac;			/* CTRL_VQ and CTRL_MAC_ADDR */
	bool legacy;			/* no VIRTIO_F_VERSION_1 */
	unsigned int hdr_len;		/* 10 for legacy without MRG_RXBUF */

	enum vnet_rx_layout rx_layout;
	unsigned int rx_buf_len;	/* small, mergeable: bytes per buffer */
	unsigned int rx_descs;		/* ring entries per buffer */
	unsigned int rx_pages;		/* big: pages per buffer */
	unsigned int rx_max_bufs;	/* mergeable: buffers a packet may span */
	u8 rx_flags;			/* header flags honoured (GUEST_CSUM) */

	spinlock_t refill_lock;		/* protects refill_on */
	bool refill_on;
	struct delayed_work refill;

	struct mutex cmd_lock;		/* one command at a time */
	struct completion cmd_done;
	struct vnet_cmd *cmd_late;	/* timed out; the device still owns it */
	struct work_struct rx_mode_work;

	unsigned long broken;		/* bit 0: a virtqueue broke */
	bool frozen;			/* down for a suspend; under RTNL */
};

static void vnet_rx_count(struct vnet_rq *rq, unsigned int i, u64 n)
{
	u64_stats_update_begin(&rq->syncp);
	u64_stats_add(&rq->stats[i], n);
	u64_stats_update_end(&rq->syncp);
}

static void vnet_tx_count(struct vnet_sq *sq, unsigned int i, u64 n)
{
	u64_stats_update_begin(&sq->syncp);
	u64_stats_add(&sq->stats[i], n);
	u64_stats_update_end(&sq->syncp);
}

static void vnet_read_stats(const struct u64_stats_sync *syncp,
			    const u64_stats_t *stats, u64 *out, unsigned int n)
{
	unsigned int start, i;

	do {
		start = u64_stats_fetch_begin(syncp);
		for (i = 0; i < n; i++)
			out[i] = u64_stats_read(&stats[i]);
	} while (u64_stats_fetch_retry(syncp, start));
}

/* The ring gave up on the device: no point in carrier until rebind. */
static void vnet_broken(struct vnet_info *vi)
{
	if (test_and_set_bit(0, &vi->broken))
		return;
	dev_err(&vi->vdev->dev, "virtqueue broken, taking the link down\n");
	netif_carrier_off(vi->dev);
}

/* §5.1.4.2: link state from status; always up without STATUS. */
static void vnet_update_link(struct vnet_info *vi)
{
	u16 status = VIRTIO_NET_S_LINK_UP;

	virtio_cread_feature(vi->vdev, VIRTIO_NET_F_STATUS,
			     struct virtio_net_config, status, &status);
	if ((status & VIRTIO_NET_S_LINK_UP) && !test_bit(0, &vi->broken))
		netif_carrier_on(vi->dev);
	else
		netif_carrier_off(vi->dev);
}

/* --- callbacks and NAPI -------------------------------------------------- */

/*
 * Schedule @napi from a queue callback, and return false: callbacks stay
 * off until the poll restarts them.  vring_interrupt() turned them off
 * before calling us, so a poll that starts at once on another CPU (a NAPI
 * thread) cannot have its restart undone.  If NAPI was already scheduled,
 * napi_schedule_prep() marked it missed and the poll runs again; if it is
 * disabled, whoever enables it polls (vnet_napi_run()).  Returning true
 * would have the ring re-arm callbacks after we return, racing with the
 * poll's own get_buf and restart on the other CPU: a re-arm that read the
 * used index before the poll consumed it asks the device for an event it
 * has already passed, and the queue falls silent for good.
 */
static bool vnet_vq_napi(struct napi_struct *napi)
{
	if (napi_schedule_prep(napi))
		__napi_schedule(napi);
	return false;
}

static bool vnet_rx_done(struct virtqueue *vq)
{
	struct vnet_info *vi = vq->vdev->priv;

	return vnet_vq_napi(&vi->rq[vq->index / 2].napi);
}

static bool vnet_tx_done(struct virtqueue *vq)
{
	struct vnet_info *vi = vq->vdev->priv;

	return vnet_vq_napi(&vi->sq[vq->index / 2].napi);
}

/* vnet_cmd() takes the answer, and restarts callbacks before it waits. */
static bool vnet_cvq_done(struct virtqueue *vq)
{
	struct vnet_info *vi = vq->vdev->priv;

	complete(&vi->cmd_done);
	return false;
}

/* Poll @napi soon, from process context. */
static void vnet_napi_run(struct napi_struct *napi)
{
	local_bh_disable();
	napi_schedule(napi);
	local_bh_enable();
}

/* --- receive buffers ----------------------------------------------------- */

static void vnet_free_pages(struct page *p)
{
	while (p) {
		struct page *next = (struct page *)page_private(p);

		set_page_private(p, 0);
		put_page(p);
		p = next;
	}
}

/* Free one receive buffer the device never filled (or we dropped). */
static void vnet_rx_free(struct vnet_info *vi, void *buf)
{
	switch (vi->rx_layout) {
	case VNET_RX_SMALL:
		dev_kfree_skb_any(buf);
		break;
	case VNET_RX_BIG:
		vnet_free_pages(buf);
		break;
	case VNET_RX_MRG:
		put_page(virt_to_head_page(buf));
		break;
	}
}

/*
 * Entries for @len bytes at @buf, which start with the header.  Legacy
 * devices want the header alone in the first descriptor (§5.1.6.6).
 */
static unsigned int vnet_sg_hdr(struct vnet_info *vi, struct scatterlist *sg,
				void *buf, unsigned int len)
{
	if (!vi->legacy || len == vi->hdr_len) {
		sg_set_buf(sg, buf, len);
		return 1;
	}
	sg_set_buf(&sg[0], buf, vi->hdr_len);
	sg_set_buf(&sg[1], buf + vi->hdr_len, len - vi->hdr_len);
	return 2;
}

static int vnet_add_small(struct vnet_rq *rq, gfp_t gfp)
{
	struct vnet_info *vi = rq->vi;
	struct scatterlist sg[2];
	struct sk_buff *skb;
	unsigned int n;
	int err;

	skb = __netdev_alloc_skb_ip_align(vi->dev, vi->rx_buf_len, gfp);
	if (!skb)
		return -ENOMEM;
	sg_init_table(sg, ARRAY_SIZE(sg));
	n = vnet_sg_hdr(vi, sg, skb->data, vi->rx_buf_len);
	err = rq->vq->vq_ops->add_buf(rq->vq, sg, 0, n, skb);
	if (err)
		dev_kfree_skb_any(skb);
	return err;
}

/* A big buffer: rx_pages pages chained through page->private. */
static int vnet_add_big(struct vnet_rq *rq, gfp_t gfp)
{
	struct vnet_info *vi = rq->vi;
	struct page *first = NULL, *p;
	unsigned int i, n;
	int err;

	for (i = 0; i < vi->rx_pages; i++) {
		p = alloc_page(gfp);
		if (!p) {
			vnet_free_pages(first);
			return -ENOMEM;
		}
		set_page_private(p, (unsigned long)first);
		first = p;
	}
	sg_init_table(rq->sg, vi->rx_descs);
	n = vnet_sg_hdr(vi, rq->sg, page_address(first), PAGE_SIZE);
	for (p = (struct page *)page_private(first); p;
	     p = (struct page *)page_private(p))
		sg_set_page(&rq->sg[n++], p, PAGE_SIZE, 0);
	err = rq->vq->vq_ops->add_buf(rq->vq, rq->sg, 0, n, first);
	if (err)
		vnet_free_pages(first);
	return err;
}

/*
 * A mergeable buffer: rx_buf_len bytes of a page fragment, holding a
 * reference to the page.  rx_buf_len is a multiple of the cache line, so
 * buffers the device writes never share a line.
 */
static int vnet_add_mrg(struct vnet_rq *rq, gfp_t gfp)
{
	unsigned int len = rq->vi->rx_buf_len;
	struct page_frag *pf = &rq->frag;
	struct scatterlist sg;
	void *buf;
	int err;

	if (!skb_page_frag_refill(len, pf, gfp))
		return -ENOMEM;
	buf = page_address(pf->page) + pf->offset;
	sg_init_one(&sg, buf, len);
	err = rq->vq->vq_ops->add_buf(rq->vq, &sg, 0, 1, buf);
	if (err)
		return err;
	get_page(pf->page);
	pf->offset += len;
	return 0;
}

/*
 * Fill @rq's ring.  Returns false when memory ran out, for the caller to
 * retry later; a full ring or a broken queue is not retried.  Runs in NAPI
 * or with NAPI disabled, which owns the ring and the page fragment.
 */
static bool vnet_refill(struct vnet_rq *rq, gfp_t gfp)
{
	struct vnet_info *vi = rq->vi;
	unsigned int added = 0;
	int err = 0;

	while (virtqueue_num_free(rq->vq) >= vi->rx_descs) {
		if (vi->rx_layout == VNET_RX_MRG)
			err = vnet_add_mrg(rq, gfp);
		else if (vi->rx_layout == VNET_RX_BIG)
			err = vnet_add_big(rq, gfp);
		else
			err = vnet_add_small(rq, gfp);
		if (err)
			break;
		added++;
	}
	if (added)
		rq->vq->vq_ops->kick(rq->vq);
	if (err == -EIO)
		vnet_broken(vi);
	if (err != -ENOMEM)
		return true;
	vnet_rx_count(rq, VNET_RX_REFILL_FAIL, 1);
	return false;
}

static void vnet_schedule_refill(struct vnet_info *vi)
{
	spin_lock_bh(&vi->refill_lock);
	if (vi->refill_on)
		schedule_delayed_work(&vi->refill, VNET_REFILL_DELAY);
	spin_unlock_bh(&vi->refill_lock);
}

/*
 * NAPI could not allocate: refill with GFP_KERNEL.  A ring left empty
 * would never raise the callback that runs NAPI again, so this must retry
 * until it succeeds.  NAPI is disabled meanwhile: it owns the ring.
 */
static void vnet_refill_work(struct work_struct *work)
{
	struct vnet_info *vi = container_of(work, struct vnet_info,
					    refill.work);
	bool ok = true;
	unsigned int i;

	for (i = 0; i < vi->cur_pairs; i++) {
		struct vnet_rq *rq = &vi->rq[i];

		napi_disable(&rq->napi);
		if (!vnet_refill(rq, GFP_KERNEL))
			ok = false;
		napi_enable(&rq->napi);
		vnet_napi_run(&rq->napi);
	}
	if (!ok)
		vnet_schedule_refill(vi);
}

/* --- receive ------------------------------------------------------------- */

/*
 * An skb for @len bytes at @off in @page: the headers copied into the
 * linear part, the rest attached as a fragment.  Consumes the caller's
 * reference to @page.
 */
static struct sk_buff *vnet_rx_head(struct vnet_rq *rq, struct page *page,
				    unsigned int off, unsigned int len,
				    unsigned int truesize)
{
	void *p = page_address(page) + off;
	unsigned int copy = len;
	struct sk_buff *skb;

	if (len > VNET_RX_COPY)
		copy = eth_get_headlen(rq->vi->dev, p, VNET_RX_COPY);
	skb = napi_alloc_skb(&rq->napi, copy);
	if (unlikely(!skb)) {
		put_page(page);
		vnet_rx_count(rq, VNET_RX_DROPS, 1);
		return NULL;
	}
	skb_put_data(skb, p, copy);
	if (len > copy)
		skb_add_rx_frag(skb, 0, page, off + copy, len - copy, truesize);
	else
		put_page(page);
	return skb;
}

/* A big buffer of @len bytes, header included; frees unused pages. */
static struct sk_buff *vnet_rx_big(struct vnet_rq *rq, struct page *first,
				   unsigned int len)
{
	struct page *next = (struct page *)page_private(first);
	unsigned int chunk = min_t(unsigned int, len, PAGE_SIZE);
	struct sk_buff *skb;

	set_page_private(first, 0);
	skb = vnet_rx_head(rq, first, rq->vi->hdr_len,
			   chunk - rq->vi->hdr_len, PAGE_SIZE);
	len -= chunk;
	/* rx_pages <= MAX_SKB_FRAGS, so the fragments always fit. */
	while (skb && len && next) {
		struct page *p = next;

		next = (struct page *)page_private(p);
		set_page_private(p, 0);
		chunk = min_t(unsigned int, len, PAGE_SIZE);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, p, 0, chunk,
				PAGE_SIZE);
		len -= chunk;
	}
	vnet_free_pages(next);
	return skb;
}

/*
 * A packet in @nbufs mergeable buffers (§5.1.6.4): @buf, starting with the
 * header, then the next nbufs - 1 used buffers of the ring.
 */
static struct sk_buff *vnet_rx_mrg(struct vnet_rq *rq, void *buf,
				   unsigned int len, u16 nbufs)
{
	struct vnet_info *vi = rq->vi;
	struct virtqueue *vq = rq->vq;
	unsigned int posted = virtqueue_get_vring_size(vq) -
			      virtqueue_num_free(vq);
	struct page *page = virt_to_head_page(buf);
	struct sk_buff *skb = NULL;
	bool bad;

	/* num_buffers counts this buffer; the rest must be on the ring. */
	if (unlikely(!nbufs || nbufs - 1 > posted)) {
		put_page(page);
		vnet_rx_count(rq, VNET_RX_ERRORS, 1);
		return NULL;
	}
	/*
	 * More than the largest packet needs (so more fragments than an skb
	 * takes): still take them off the ring, then drop them.
	 */
	bad = nbufs > vi->rx_max_bufs;
	if (bad)
		put_page(page);
	else
		skb = vnet_rx_head(rq, page,
				   buf - page_address(page) + vi->hdr_len,
				   len - vi->hdr_len, vi->rx_buf_len);
	while (--nbufs) {
		buf = vq->vq_ops->get_buf(vq, &len);
		/* §5.1.6.4.1: all buffers of a packet are used together. */
		if (unlikely(!buf)) {
			bad = true;
			break;
		}
		page = virt_to_head_page(buf);
		if (skb && len)
			skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page,
					buf - page_address(page), len,
					vi->rx_buf_len);
		else
			put_page(page);
	}
	if (unlikely(bad)) {
		kfree_skb(skb);
		vnet_rx_count(rq, VNET_RX_ERRORS, 1);
		return NULL;
	}
	return skb;
}

/* May the device send this gso_type?  Only what was negotiated (§5.1.6.4.1). */
static bool vnet_rx_gso_ok(const struct vnet_info *vi, u8 gso_type)
{
	const struct virtio_device *vdev = vi->vdev;

	if ((gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN))
		return false;
	switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6);
	default:
		return false;
	}
}

/*
 * The checksum and segmentation state of the device's header (§5.1.6.4)
 * onto @skb, which starts at the Ethernet header.  -EINVAL for a header
 * the driver must not accept (§5.1.6.4.1): the caller drops the packet.
 */
static int vnet_rx_hdr(const struct vnet_info *vi, struct sk_buff *skb,
		       struct virtio_net_hdr *hdr)
{
	/* Flags of features not negotiated mean nothing. */
	hdr->flags &= vi->rx_flags;
	if (!vnet_rx_gso_ok(vi, hdr->gso_type) ||
	    virtio_net_hdr_to_skb(skb, hdr,
				  virtio_is_little_endian(vi->vdev)))
		return -EINVAL;
	/* NEEDS_CSUM made it CHECKSUM_PARTIAL, which says more. */
	if ((hdr->flags & VIRTIO_NET_HDR_F_DATA_VALID) &&
	    skb->ip_summed == CHECKSUM_NONE)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	return 0;
}

static void vnet_rx_finish(struct vnet_rq *rq, struct sk_buff *skb,
			   struct virtio_net_hdr *hdr)
{
	struct vnet_info *vi = rq->vi;
	unsigned int bytes = skb->len;

	if (vnet_rx_hdr(vi, skb, hdr)) {
		kfree_skb(skb);
		vnet_rx_count(rq, VNET_RX_ERRORS, 1);
		return;
	}
	skb->protocol = eth_type_trans(skb, vi->dev);
	skb_record_rx_queue(skb, rq->index);

	u64_stats_update_begin(&rq->syncp);
	u64_stats_inc(&rq->stats[VNET_RX_PACKETS]);
	u64_stats_add(&rq->stats[VNET_RX_BYTES], bytes);
	u64_stats_update_end(&rq->syncp);
	napi_gro_receive(&rq->napi, skb);
}

/* One used buffer of @len bytes (clamped by the ring to what it holds). */
static void vnet_receive(struct vnet_rq *rq, void *buf, unsigned int len)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { };
	struct vnet_info *vi = rq->vi;
	struct sk_buff *skb;
	void *data;

	if (vi->rx_layout == VNET_RX_SMALL)
		data = ((struct sk_buff *)buf)->data;
	else if (vi->rx_layout == VNET_RX_BIG)
		data = page_address(buf);
	else
		data = buf;

	/*
	 * A header and an Ethernet header at least, in the first buffer
	 * (mergeable: every buffer but the last is full, §5.1.6.4.1).
	 */
	if (unlikely(len < vi->hdr_len + ETH_HLEN)) {
		vnet_rx_free(vi, buf);
		vnet_rx_count(rq, VNET_RX_ERRORS, 1);
		return;
	}
	memcpy(&hdr, data, vi->hdr_len);

	switch (vi->rx_layout) {
	case VNET_RX_SMALL:
		skb = buf;
		skb_put(skb, len);
		__skb_pull(skb, vi->hdr_len);
		break;
	case VNET_RX_BIG:
		skb = vnet_rx_big(rq, buf, len);
		break;
	default:
		skb = vnet_rx_mrg(rq, buf, len,
				  virtio16_to_cpu(vi->vdev, hdr.num_buffers));
		break;
	}
	if (skb)
		vnet_rx_finish(rq, skb, &hdr.hdr);
}

/* --- transmit ------------------------------------------------------------ */

/* Under the tx queue lock, like everything that touches sq->vq. */
static void vnet_tx_reclaim(struct vnet_sq *sq)
{
	struct sk_buff *skb;
	unsigned int len;

	while ((skb = sq->vq->vq_ops->get_buf(sq->vq, &len)))
		dev_consume_skb_any(skb);
}

/* Room for the largest skb? */
static bool vnet_tx_room(struct vnet_sq *sq)
{
	return virtqueue_num_free(sq->vq) >= VNET_TX_SG;
}

static void vnet_tx_clean(struct vnet_sq *sq, struct netdev_queue *txq)
{
	vnet_tx_reclaim(sq);
	if (netif_tx_queue_stopped(txq) && vnet_tx_room(sq))
		netif_tx_wake_queue(txq);
}

/*
 * @txq is stopped for want of room: turn the callback on, so that the next
 * completion wakes it (vnet_tx_poll).  restart() refuses when completions
 * are already waiting, which the device may have posted before it saw the
 * callback enabled: take those now and check the room again.
 */
static void vnet_tx_arm(struct vnet_sq *sq, struct netdev_queue *txq)
{
	while (!sq->vq->vq_ops->restart(sq->vq)) {
		vnet_tx_reclaim(sq);
		if (vnet_tx_room(sq)) {
			netif_tx_wake_queue(txq);
			return;
		}
	}
}

/* The rx poll reclaims for its pair, sparing transmit interrupts. */
static void vnet_tx_clean_try(struct vnet_info *vi, unsigned int i)
{
	struct netdev_queue *txq = netdev_get_tx_queue(vi->dev, i);

	if (!__netif_tx_trylock(txq))
		return;
	vnet_tx_clean(&vi->sq[i], txq);
	__netif_tx_unlock(txq);
}

static int vnet_tx_poll(struct napi_struct *napi, int budget)
{
	struct vnet_sq *sq = container_of(napi, struct vnet_sq, napi);
	struct netdev_queue *txq = netdev_get_tx_queue(sq->vi->dev, sq->index);

	/*
	 * The holder may have looked at the ring before the completion that
	 * brought us here: poll again rather than lose the wakeup.  Never
	 * spin on the lock: netpoll may call us with it held on this CPU.
	 */
	if (!__netif_tx_trylock(txq))
		return budget;
	vnet_tx_clean(sq, txq);
	if (netif_tx_queue_stopped(txq))
		vnet_tx_arm(sq, txq);
	__netif_tx_unlock(txq);
	if (budget)
		napi_complete_done(napi, 0);
	return 0;
}

/* Put the header of §5.1.6.2 in front of the frame. */
static int vnet_tx_header(struct vnet_info *vi, struct sk_buff *skb)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;

	/* Fails only for GSO types we never advertised. */
	if (virtio_net_hdr_from_skb(skb, &hdr.hdr,
				    virtio_is_little_endian(vi->vdev),
				    false, 0))
		return -EPROTO;
	hdr.num_buffers = 0;	/* §5.1.6.2.1 */
	if (skb_cow_head(skb, vi->hdr_len))
		return -ENOMEM;
	memcpy(__skb_push(skb, vi->hdr_len), &hdr, vi->hdr_len);
	return 0;
}

static netdev_tx_t vnet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct vnet_info *vi = netdev_priv(dev);
	unsigned int q = skb_get_queue_mapping(skb);
	struct netdev_queue *txq = netdev_get_tx_queue(dev, q);
	struct vnet_sq *sq = &vi->sq[q];
	bool kick = !netdev_xmit_more();
	unsigned int bytes = skb->len, h;
	int n, err;

	vnet_tx_reclaim(sq);

	err = vnet_tx_header(vi, skb);
	if (!err) {
		/* No frag_list: we do not offer NETIF_F_FRAGLIST. */
		sg_init_table(sq->sg, VNET_TX_SG);
		h = vnet_sg_hdr(vi, sq->sg, skb->data, skb_headlen(skb));
		n = skb_to_sgvec(skb, sq->sg + h, skb_headlen(skb),
				 skb->len - skb_headlen(skb));
		err = n < 0 ? n : sq->vq->vq_ops->add_buf(sq->vq, sq->sg, h + n,
							   0, skb);
	}
	if (likely(!err)) {
		/* Ours until reclaimed: the tx queue lock is held. */
		skb_tx_timestamp(skb);
		skb_orphan(skb);
		skb_dst_drop(skb);
		nf_reset_ct(skb);
		u64_stats_update_begin(&sq->syncp);
		u64_stats_inc(&sq->stats[VNET_TX_PACKETS]);
		u64_stats_add(&sq->stats[VNET_TX_BYTES], bytes);
		u64_stats_update_end(&sq->syncp);
	} else {
		/* -ENOSPC too: vnet_tx_room() should have prevented it. */
		if (err == -EIO)
			vnet_broken(vi);
		dev_kfree_skb_any(skb);
		vnet_tx_count(sq, VNET_TX_DROPS, 1);
	}

	if (!vnet_tx_room(sq)) {
		netif_tx_stop_queue(txq);
		vnet_tx_count(sq, VNET_TX_STOPS, 1);
		vnet_tx_arm(sq, txq);
	}
	/* Also after a drop: earlier packets may wait for this kick. */
	if (kick || netif_xmit_stopped(txq))
		sq->vq->vq_ops->kick(sq->vq);
	return NETDEV_TX_OK;
}

static void vnet_tx_timeout(struct net_device *dev, unsigned int q)
{
	struct vnet_info *vi = netdev_priv(dev);
	struct vnet_sq *sq = &vi->sq[q];

	/* The watchdog holds every tx queue lock. */
	vnet_tx_count(sq, VNET_TX_TIMEOUTS, 1);
	netdev_err(dev, "transmit queue %u stuck, %u of %u entries free\n",
		   q, virtqueue_num_free(sq->vq),
		   virtqueue_get_vring_size(sq->vq));
	/* Should a completion notice have been lost, look again. */
	napi_schedule(&sq->napi);
}

/* --- receive NAPI, open and stop ----------------------------------------- */

static int vnet_rx_poll(struct napi_struct *napi, int budget)
{
	struct vnet_rq *rq = container_of(napi, struct vnet_rq, napi);
	const struct virtqueue_ops *ops = rq->vq->vq_ops;
	struct vnet_info *vi = rq->vi;
	unsigned int len;
	int done = 0;
	void *buf;

	vnet_tx_clean_try(vi, rq->index);
	if (!budget)
		return 0;	/* netpoll: transmit only */

	while (done < budget && (buf = ops->get_buf(rq->vq, &len))) {
		vnet_receive(rq, buf, len);
		done++;
	}
	if (!vnet_refill(rq, GFP_ATOMIC | __GFP_NOWARN))
		vnet_schedule_refill(vi);

	if (done < budget && napi_complete_done(napi, done) &&
	    !ops->restart(rq->vq))
		napi_schedule(napi);
	return done;
}

static void vnet_up(struct vnet_info *vi)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < vi->cur_pairs; i++) {
		if (!vnet_refill(&vi->rq[i], GFP_KERNEL))
			ok = false;
		napi_enable(&vi->rq[i].napi);
		napi_enable(&vi->sq[i].napi);
	}
	spin_lock_bh(&vi->refill_lock);
	vi->refill_on = true;
	spin_unlock_bh(&vi->refill_lock);
	if (!ok)
		vnet_schedule_refill(vi);
	netif_tx_wake_all_queues(vi->dev);
	/* Packets that arrived while we were down raised no callback. */
	for (i = 0; i < vi->cur_pairs; i++)
		vnet_napi_run(&vi->rq[i].napi);
}

/* Receive buffers stay posted: the device owns them until reset. */
static void vnet_down(struct vnet_info *vi)
{
	unsigned int i;

	spin_lock_bh(&vi->refill_lock);
	vi->refill_on = false;
	spin_unlock_bh(&vi->refill_lock);
	cancel_delayed_work_sync(&vi->refill);
	for (i = 0; i < vi->cur_pairs; i++) {
		napi_disable(&vi->rq[i].napi);
		napi_disable(&vi->sq[i].napi);
	}
	/* After NAPI, whose polls may wake queues. */
	netif_tx_disable(vi->dev);
}

static int vnet_open(struct net_device *dev)
{
	vnet_up(netdev_priv(dev));
	return 0;
}

static int vnet_stop(struct net_device *dev)
{
	struct vnet_info *vi = netdev_priv(dev);

	/* Frozen, it went down already (vnet_freeze()). */
	if (!vi->frozen)
		vnet_down(vi);
	return 0;
}

/* --- control queue ------------------------------------------------------- */

static void vnet_cmd_free(struct vnet_cmd *c)
{
	kfree(c->table);
	kfree(c);
}

/*
 * Run a command (§5.1.6.5): @len bytes of @data (at most 8) are copied;
 * @table, if not NULL, is kmalloc'd memory the command takes over, sent as
 * two entries of @t1 and @t2 bytes.  Each part has an entry of its own, as
 * legacy devices need (§5.1.6.6).  Waits at most VNET_CMD_TIMEOUT for the
 * device; a command it did not answer stays its own until it does, or
 * until the device is reset.
 */
static int vnet_cmd(struct vnet_info *vi, u8 class, u8 cmd, const void *data,
		    unsigned int len, void *table, unsigned int t1,
		    unsigned int t2)
{
	struct virtqueue *cvq = vi->cvq;
	struct scatterlist sg[5];
	struct vnet_cmd *c, *got;
	unsigned int n = 0, used;
	unsigned long deadline;
	int err;

	if (!cvq || WARN_ON_ONCE(len > sizeof(c->data))) {
		kfree(table);
		return -EOPNOTSUPP;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		kfree(table);
		return -ENOMEM;
	}
	c->hdr.class = class;
	c->hdr.cmd = cmd;
	if (len)
		memcpy(c->data, data, len);
	c->table = table;
	c->ack = VIRTIO_NET_ERR;
	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[n++], &c->hdr, sizeof(c->hdr));
	if (len)
		sg_set_buf(&sg[n++], c->data, len);
	if (table) {
		sg_set_buf(&sg[n++], table, t1);
		sg_set_buf(&sg[n++], table + t1, t2);
	}
	sg_set_buf(&sg[n], &c->ack, sizeof(c->ack));

	mutex_lock(&vi->cmd_lock);
	/* An earlier command the device has not answered yet: don't pile up. */
	while (vi->cmd_late && (got = cvq->vq_ops->get_buf(cvq, &used))) {
		if (got == vi->cmd_late)
			vi->cmd_late = NULL;
		vnet_cmd_free(got);
	}
	if (vi->cmd_late) {
		err = -EBUSY;
		goto out_free;
	}
	err = cvq->vq_ops->add_buf(cvq, sg, n, 1, c);
	if (err)
		goto out_free;
	cvq->vq_ops->kick(cvq);

	deadline = jiffies + VNET_CMD_TIMEOUT;
	for (;;) {
		long left = deadline - jiffies;

		/* Before the look at the ring, so no completion is lost. */
		reinit_completion(&vi->cmd_done);
		got = cvq->vq_ops->get_buf(cvq, &used);
		if (got == c)
			break;
		if (got) {	/* cannot happen: nothing else is queued */
			vnet_cmd_free(got);
			continue;
		}
		if (virtqueue_is_broken(cvq) || left <= 0) {
			dev_err(&vi->vdev->dev,
				"control command %u.%u: %s\n", class, cmd,
				left <= 0 ? "no answer in 5 s" : "queue broken");
			vi->cmd_late = c;
			err = left <= 0 ? -ETIMEDOUT : -EIO;
			goto out_unlock;
		}
		/* Refused: the answer came meanwhile, take it. */
		if (!cvq->vq_ops->restart(cvq))
			continue;
		wait_for_completion_timeout(&vi->cmd_done, left);
	}
	/* Legacy devices may report any length (§5.1.6.1). */
	err = (vi->legacy || used >= sizeof(c->ack)) &&
	      c->ack == VIRTIO_NET_OK ? 0 : -EIO;
out_free:
	vnet_cmd_free(c);
out_unlock:
	mutex_unlock(&vi->cmd_lock);
	if (virtqueue_is_broken(cvq))
		vnet_broken(vi);
	return err;
}

static int vnet_set_pairs(struct vnet_info *vi, unsigned int pairs)
{
	__virtio16 v = cpu_to_virtio16(vi->vdev, pairs);

	return vnet_cmd(vi, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
			&v, sizeof(v), NULL, 0, 0);
}

/* One table of §5.1.6.5.2: a count, then at most @max addresses. */
static void *vnet_put_macs(struct vnet_info *vi, void *p,
			   struct netdev_hw_addr_list *list, unsigned int max)
{
	struct virtio_net_ctrl_mac *t = p;
	struct netdev_hw_addr *ha;
	unsigned int n = 0;

	netdev_hw_addr_list_for_each(ha, list) {
		if (n == max)
			break;
		memcpy(t->macs[n++], ha->addr, ETH_ALEN);
	}
	t->entries = cpu_to_virtio32(vi->vdev, n);
	return t->macs[n];
}

/*
 * ndo_set_rx_mode runs under the address list lock, but commands sleep:
 * this work sends them.  A change while it runs queues it again, so the
 * last run sees the final state.
 */
static void vnet_rx_mode_work(struct work_struct *work)
{
	struct vnet_info *vi = container_of(work, struct vnet_info,
					    rx_mode_work);
	struct net_device *dev = vi->dev;
	unsigned int uc, mc, size, t1 = 0, t2 = 0;
	u8 promisc, allmulti;
	void *table, *end;

	netif_addr_lock_bh(dev);
	uc = netdev_uc_count(dev);
	mc = netdev_mc_count(dev);
	netif_addr_unlock_bh(dev);
	size = 2 * sizeof(__virtio32) + (uc + mc) * ETH_ALEN;
	table = kmalloc(size, GFP_KERNEL);

	netif_addr_lock_bh(dev);
	promisc = !!(dev->flags & IFF_PROMISC);
	allmulti = !!(dev->flags & IFF_ALLMULTI);
	if (table) {
		end = vnet_put_macs(vi, table, &dev->uc, uc);
		t1 = end - table;
		t2 = vnet_put_macs(vi, end, &dev->mc, mc) - end;
	}
	netif_addr_unlock_bh(dev);

	/* Without the table, receive too much rather than too little. */
	if (!table)
		promisc = 1;
	if (vnet_cmd(vi, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
		     &promisc, 1, NULL, 0, 0))
		netdev_warn(dev, "cannot set promiscuous mode %u\n", promisc);
	if (vnet_cmd(vi, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI,
		     &allmulti, 1, NULL, 0, 0))
		netdev_warn(dev, "cannot set all-multicast mode %u\n", allmulti);
	if (table && vnet_cmd(vi, VIRTIO_NET_CTRL_MAC,
			      VIRTIO_NET_CTRL_MAC_TABLE_SET, NULL, 0, table,
			      t1, t2))
		netdev_warn(dev, "cannot set the MAC filter table\n");
}

static void vnet_set_rx_mode(struct net_device *dev)
{
	struct vnet_info *vi = netdev_priv(dev);

	if (vi->ctrl_rx)
		schedule_work(&vi->rx_mode_work);
}

static int vnet_set_mac_address(struct net_device *dev, void *p)
{
	struct vnet_info *vi = netdev_priv(dev);
	struct sockaddr *sa = p;
	unsigned int i;
	int err;

	err = eth_prepare_mac_addr_change(dev, p);
	if (err)
		return err;
	if (vi->ctrl_mac) {
		err = vnet_cmd(vi, VIRTIO_NET_CTRL_MAC,
			       VIRTIO_NET_CTRL_MAC_ADDR_SET, sa->sa_data,
			       ETH_ALEN, NULL, 0, 0);
		if (err)
			return err;
	} else if (vi->legacy) {
		/* §5.1.4.3: config mac is writable through the legacy interface. */
		for (i = 0; i < ETH_ALEN; i++)
			virtio_cwrite8(vi->vdev,
				       offsetof(struct virtio_net_config, mac) + i,
				       sa->sa_data[i]);
	} else if (virtio_has_feature(vi->vdev, VIRTIO_NET_F_MAC)) {
		/* The device filters on config mac, which we cannot change. */
		return -EOPNOTSUPP;
	}
	eth_commit_mac_addr_change(dev, p);
	return 0;
}

static void vnet_get_stats64(struct net_device *dev,
			     struct rtnl_link_stats64 *s)
{
	struct vnet_info *vi = netdev_priv(dev);
	u64 rx[VNET_RX_NSTATS], tx[VNET_TX_NSTATS];
	unsigned int i;

	for (i = 0; i < vi->max_pairs; i++) {
		vnet_read_stats(&vi->rq[i].syncp, vi->rq[i].stats, rx,
				VNET_RX_NSTATS);
		vnet_read_stats(&vi->sq[i].syncp, vi->sq[i].stats, tx,
				VNET_TX_NSTATS);
		s->rx_packets += rx[VNET_RX_PACKETS];
		s->rx_bytes += rx[VNET_RX_BYTES];
		s->rx_dropped += rx[VNET_RX_DROPS];
		s->rx_errors += rx[VNET_RX_ERRORS];
		s->tx_packets += tx[VNET_TX_PACKETS];
		s->tx_bytes += tx[VNET_TX_BYTES];
		s->tx_dropped += tx[VNET_TX_DROPS];
	}
}

static const struct net_device_ops vnet_netdev_ops = {
	.ndo_open		= vnet_open,
	.ndo_stop		= vnet_stop,
	.ndo_start_xmit		= vnet_xmit,
	.ndo_set_rx_mode	= vnet_set_rx_mode,
	.ndo_set_mac_address	= vnet_set_mac_address,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_get_stats64	= vnet_get_stats64,
	.ndo_tx_timeout		= vnet_tx_timeout,
};

/* --- ethtool ------------------------------------------------------------- */

static void vnet_get_drvinfo(struct net_device *dev,
			     struct ethtool_drvinfo *info)
{
	struct virtio_device *vdev = ((struct vnet_info *)netdev_priv(dev))->vdev;

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	strscpy(info->bus_info, vdev->config->bus_name ?
		vdev->config->bus_name(vdev) : dev_name(&vdev->dev),
		sizeof(info->bus_info));
}

static void vnet_get_channels(struct net_device *dev,
			      struct ethtool_channels *ch)
{
	struct vnet_info *vi = netdev_priv(dev);

	ch->max_combined = vi->max_pairs;
	ch->combined_count = vi->cur_pairs;
}

/* §5.1.6.5.6: queues beyond the pairs in use get no packets. */
static int vnet_set_channels(struct net_device *dev,
			     struct ethtool_channels *ch)
{
	struct vnet_info *vi = netdev_priv(dev);
	unsigned int old = vi->cur_pairs, n = ch->combined_count;
	bool running = netif_running(dev);
	int err;

	if (!n || n > vi->max_pairs || ch->rx_count || ch->tx_count)
		return -EINVAL;
	if (n == old)
		return 0;

	if (running)
		vnet_down(vi);
	err = vnet_set_pairs(vi, n);
	if (!err) {
		err = netif_set_real_num_queues(dev, n, n);
		if (err)
			vnet_set_pairs(vi, old);
		else
			vi->cur_pairs = n;
	}
	if (running)
		vnet_up(vi);
	return err;
}

static int vnet_get_sset_count(struct net_device *dev, int sset)
{
	struct vnet_info *vi = netdev_priv(dev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return vi->cur_pairs * (VNET_RX_NSTATS + VNET_TX_NSTATS);
}

static void vnet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct vnet_info *vi = netdev_priv(dev);
	unsigned int i, j;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < vi->cur_pairs; i++) {
		for (j = 0; j < VNET_RX_NSTATS; j++)
			ethtool_sprintf(&data, "rx%u_%s", i,
					vnet_rx_stat_names[j]);
		for (j = 0; j < VNET_TX_NSTATS; j++)
			ethtool_sprintf(&data, "tx%u_%s", i,
					vnet_tx_stat_names[j]);
	}
}

static void vnet_get_ethtool_stats(struct net_device *dev,
				   struct ethtool_stats *stats, u64 *data)
{
	struct vnet_info *vi = netdev_priv(dev);
	unsigned int i;

	for (i = 0; i < vi->cur_pairs; i++) {
		vnet_read_stats(&vi->rq[i].syncp, vi->rq[i].stats, data,
				VNET_RX_NSTATS);
		data += VNET_RX_NSTATS;
		vnet_read_stats(&vi->sq[i].syncp, vi->sq[i].stats, data,
				VNET_TX_NSTATS);
		data += VNET_TX_NSTATS;
	}
}

static const struct ethtool_ops vnet_ethtool_ops = {
	.get_drvinfo		= vnet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_channels		= vnet_get_channels,
	.set_channels		= vnet_set_channels,
	.get_sset_count		= vnet_get_sset_count,
	.get_strings		= vnet_get_strings,
	.get_ethtool_stats	= vnet_get_ethtool_stats,
};

/* --- probe and remove ---------------------------------------------------- */

/*
 * The queue pairs' state, which outlives the virtqueues over a suspend:
 * NAPI instances and counters.
 */
static int vnet_alloc_queues(struct vnet_info *vi)
{
	unsigned int i;

	vi->rq = kcalloc(vi->max_pairs, sizeof(*vi->rq), GFP_KERNEL);
	vi->sq = kcalloc(vi->max_pairs, sizeof(*vi->sq), GFP_KERNEL);
	if (!vi->rq || !vi->sq) {
		kfree(vi->rq);
		kfree(vi->sq);
		return -ENOMEM;
	}
	for (i = 0; i < vi->max_pairs; i++) {
		struct vnet_rq *rq = &vi->rq[i];
		struct vnet_sq *sq = &vi->sq[i];

		rq->vi = vi;
		sq->vi = vi;
		rq->index = i;
		sq->index = i;
		u64_stats_init(&rq->syncp);
		u64_stats_init(&sq->syncp);
		snprintf(rq->name, sizeof(rq->name), "input.%u", i);
		snprintf(sq->name, sizeof(sq->name), "output.%u", i);
		/* Before the queues exist, whose callbacks schedule them. */
		netif_napi_add(vi->dev, &rq->napi, vnet_rx_poll);
		netif_napi_add_tx(vi->dev, &sq->napi, vnet_tx_poll);
	}
	return 0;
}

static void vnet_free_queues(struct vnet_info *vi)
{
	unsigned int i;

	for (i = 0; i < vi->max_pairs; i++) {
		__netif_napi_del(&vi->rq[i].napi);
		__netif_napi_del(&vi->sq[i].napi);
	}
	synchronize_net();
	kfree(vi->rq);
	kfree(vi->sq);
}

/*
 * §5.1.2: receiveq1, transmitq1, ..., receiveqN, transmitqN, then the
 * controlq.  The device has dev_pairs pairs; only the first max_pairs are
 * set up (a NULL name skips a queue).
 */
static int vnet_find_vqs(struct vnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;
	bool ctrl = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ);
	unsigned int i, nvqs = 2 * vi->dev_pairs + ctrl;
	struct virtqueue_info *info;
	struct virtqueue **vqs;
	int err = -ENOMEM;

	info = kvcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	vqs = kvcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	if (!info || !vqs)
		goto out;

	for (i = 0; i < vi->max_pairs; i++) {
		info[2 * i].name = vi->rq[i].name;
		info[2 * i].seed_callback = vnet_rx_done;
		info[2 * i + 1].name = vi->sq[i].name;
		info[2 * i + 1].seed_callback = vnet_tx_done;
	}
	/* The pairs not set up keep their indices, for the controlq's sake. */
	for (i = 2 * vi->max_pairs; i < 2 * vi->dev_pairs; i++)
		info[i].keep_index = true;
	if (ctrl) {
		info[nvqs - 1].name = "control";
		info[nvqs - 1].seed_callback = vnet_cvq_done;
	}

	err = virtio_find_vqs(vdev, nvqs, vqs, info, NULL);
	if (err) {
		dev_err(&vdev->dev, "cannot set up %u virtqueues: %d\n",
			nvqs, err);
		goto out;
	}
	for (i = 0; i < vi->max_pairs; i++) {
		vi->rq[i].vq = vqs[2 * i];
		vi->sq[i].vq = vqs[2 * i + 1];
	}
	vi->cvq = ctrl ? vqs[nvqs - 1] : NULL;
out:
	kvfree(vqs);
	kvfree(info);
	return err;
}

/* Reset the device, take every buffer back, delete the virtqueues. */
static void vnet_del_vqs(struct vnet_info *vi)
{
	unsigned int i;
	void *buf;

	virtio_reset_device(vi->vdev);
	for (i = 0; i < vi->max_pairs; i++) {
		struct vnet_rq *rq = &vi->rq[i];
		struct vnet_sq *sq = &vi->sq[i];

		rq->vq->vq_ops->shutdown(rq->vq);
		while ((buf = rq->vq->vq_ops->detach_unused_buf(rq->vq)))
			vnet_rx_free(vi, buf);
		sq->vq->vq_ops->shutdown(sq->vq);
		while ((buf = sq->vq->vq_ops->detach_unused_buf(sq->vq)))
			dev_kfree_skb(buf);
		if (rq->frag.page)
			put_page(rq->frag.page);
		rq->frag.page = NULL;
	}
	if (vi->cvq) {
		vi->cvq->vq_ops->shutdown(vi->cvq);
		while ((buf = vi->cvq->vq_ops->detach_unused_buf(vi->cvq)))
			vnet_cmd_free(buf);
		vi->cmd_late = NULL;
	}
	vi->vdev->config->del_vqs(vi->vdev);
}

/* The header's size and the receive flags we honour, from the features. */
static void vnet_setup_hdr(struct vnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;

	vi->legacy = !virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
	vi->hdr_len = VNET_HDR_LEN;
	/* §5.1.6.1: the legacy header has num_buffers only with MRG_RXBUF. */
	if (vi->legacy && !virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF))
		vi->hdr_len = sizeof(struct virtio_net_hdr);
	vi->rx_flags = 0;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
		vi->rx_flags = VIRTIO_NET_HDR_F_NEEDS_CSUM |
			       VIRTIO_NET_HDR_F_DATA_VALID;
}

/* Receive buffer layout (§5.1.6.3.1); checks the rings can hold it. */
static int vnet_setup_rx(struct vnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;
	bool gso = virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4) ||
		   virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6);
	unsigned int frame = gso ? VNET_GSO_FRAME :
			     ETH_HLEN + VLAN_HLEN + vi->dev->max_mtu;
	unsigned int i;

	BUILD_BUG_ON(DIV_ROUND_UP(VNET_HDR_LEN + VNET_GSO_FRAME, SZ_4K) >
		     MAX_SKB_FRAGS);
	/* Mergeable buffers hold the header; the others split it off. */
	vi->rx_descs = 1;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF)) {
		vi->rx_layout = VNET_RX_MRG;
		vi->rx_buf_len = frame > VNET_FRAME ? SZ_4K :
				 ALIGN(VNET_HDR_LEN + VNET_FRAME, L1_CACHE_BYTES);
		vi->rx_max_bufs = DIV_ROUND_UP(VNET_HDR_LEN + frame,
					       vi->rx_buf_len);
	} else if (frame > VNET_FRAME) {
		vi->rx_layout = VNET_RX_BIG;
		vi->rx_pages = min_t(unsigned int, MAX_SKB_FRAGS,
				     DIV_ROUND_UP(vi->hdr_len + frame,
						  PAGE_SIZE));
		vi->rx_descs = vi->rx_pages + vi->legacy;
	} else {
		vi->rx_layout = VNET_RX_SMALL;
		vi->rx_buf_len = vi->hdr_len + VNET_FRAME;
		vi->rx_descs = 1 + vi->legacy;
	}

	for (i = 0; i < vi->max_pairs; i++) {
		if (virtqueue_get_vring_size(vi->rq[i].vq) < vi->rx_descs ||
		    virtqueue_get_vring_size(vi->sq[i].vq) < 2 * VNET_TX_SG) {
			dev_err(&vdev->dev, "queue pair %u: rings too small\n",
				i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Offloads, MTU and MAC address from features and config (§5.1.3-5). */
static void vnet_setup_netdev(struct vnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;
	struct net_device *dev = vi->dev;
	u8 addr[ETH_ALEN];
	u16 mtu;

	dev->netdev_ops = &vnet_netdev_ops;
	dev->ethtool_ops = &vnet_ethtool_ops;
	dev->needed_headroom = VNET_HDR_LEN;
	dev->watchdog_timeo = 5 * HZ;

	/* Dependencies met: vnet_validate_features(). */
	dev->hw_features = NETIF_F_SG;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CSUM))
		dev->hw_features |= NETIF_F_HW_CSUM;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO4))
		dev->hw_features |= NETIF_F_TSO;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO6))
		dev->hw_features |= NETIF_F_TSO6;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_ECN))
		dev->hw_features |= NETIF_F_TSO_ECN;
	dev->features = dev->hw_features | NETIF_F_HIGHDMA;
	/* Fixed: without CTRL_GUEST_OFFLOADS the device keeps sending them. */
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
		dev->features |= NETIF_F_RXCSUM;
	dev->vlan_features = dev->features;

	if (vi->ctrl_rx)
		dev->priv_flags |= IFF_UNICAST_FLT;
	if (vi->ctrl_mac || vi->legacy ||
	    !virtio_has_feature(vdev, VIRTIO_NET_F_MAC))
		dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;

	/* §5.1.4.1: between 68 and 65535, and the MTU to start with. */
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_DATA_LEN;
	if (!virtio_cread_feature(vdev, VIRTIO_NET_F_MTU,
				  struct virtio_net_config, mtu, &mtu)) {
		if (mtu < ETH_MIN_MTU) {
			dev_warn(&vdev->dev, "ignoring MTU %u below %u\n",
				 mtu, ETH_MIN_MTU);
		} else {
			dev->max_mtu = mtu;
			dev->mtu = mtu;
		}
	}

	/* §5.1.4.2: the device's address, or a locally administered one. */
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		virtio_config_read(vdev, offsetof(struct virtio_net_config, mac),
				   addr, ETH_ALEN);
		if (is_valid_ether_addr(addr)) {
			eth_hw_addr_set(dev, addr);
			return;
		}
		dev_warn(&vdev->dev, "invalid MAC address %pM, using a random one\n",
			 addr);
	}
	eth_hw_addr_random(dev);
}

static int vnet_probe(struct virtio_device *vdev)
{
	unsigned int dev_pairs = 1, pairs;
	struct net_device *dev;
	struct vnet_info *vi;
	u16 v;
	int err;

	/* §5.1.4: max_virtqueue_pairs is 1..0x8000. */
	if (!virtio_cread_feature(vdev, VIRTIO_NET_F_MQ, struct virtio_net_config,
				  max_virtqueue_pairs, &v)) {
		if (v < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
		    v > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX) {
			dev_err(&vdev->dev, "max_virtqueue_pairs %u invalid\n",
				v);
			return -EINVAL;
		}
		dev_pairs = v;
	}
	pairs = min(dev_pairs, nr_cpu_ids);

	dev = alloc_etherdev_mq(sizeof(*vi), pairs);
	if (!dev)
		return -ENOMEM;
	SET_NETDEV_DEV(dev, &vdev->dev);
	vi = netdev_priv(dev);
	vi->vdev = vdev;
	vi->dev = dev;
	vi->dev_pairs = dev_pairs;
	vi->max_pairs = pairs;
	vi->cur_pairs = 1;
	/* vnet_validate_features() saw to the controlq these need. */
	vi->ctrl_rx = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX);
	vi->ctrl_mac = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR);
	vnet_setup_hdr(vi);
	spin_lock_init(&vi->refill_lock);
	INIT_DELAYED_WORK(&vi->refill, vnet_refill_work);
	mutex_init(&vi->cmd_lock);
	init_completion(&vi->cmd_done);
	INIT_WORK(&vi->rx_mode_work, vnet_rx_mode_work);
	vdev->priv = vi;

	vnet_setup_netdev(vi);
	err = vnet_alloc_queues(vi);
	if (err)
		goto out_free;
	err = vnet_find_vqs(vi);
	if (err)
		goto out_free_queues;
	err = vnet_setup_rx(vi);
	if (err)
		goto out_del_vqs;

	/* Commands need DRIVER_OK; receive buffers are posted on open. */
	virtio_device_ready(vdev);

	/* §5.1.5: only the first pair runs until the driver asks for more. */
	pairs = min(pairs, num_online_cpus());
	if (pairs > 1) {
		if (vnet_set_pairs(vi, pairs))
			dev_warn(&vdev->dev, "cannot use %u queue pairs\n",
				 pairs);
		else
			vi->cur_pairs = pairs;
	}
	err = netif_set_real_num_queues(dev, vi->cur_pairs, vi->cur_pairs);
	if (err)
		goto out_del_vqs;
	/* §5.1.6.5.2: tell the device the address we made up. */
	if (vi->ctrl_mac && !virtio_has_feature(vdev, VIRTIO_NET_F_MAC) &&
	    vnet_cmd(vi, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
		     dev->dev_addr, ETH_ALEN, NULL, 0, 0))
		dev_warn(&vdev->dev, "cannot set MAC address %pM\n",
			 dev->dev_addr);

	netif_carrier_off(dev);
	vnet_update_link(vi);
	err = register_netdev(dev);
	if (err) {
		dev_err(&vdev->dev, "cannot register: %d\n", err);
		goto out_del_vqs;
	}
	netdev_info(dev, "%pM, %u of %u queue pairs, %s receive buffers\n",
		    dev->dev_addr, vi->cur_pairs, vi->max_pairs,
		    vi->rx_layout == VNET_RX_MRG ? "mergeable" :
		    vi->rx_layout == VNET_RX_BIG ? "big" : "small");
	return 0;

out_del_vqs:
	vnet_del_vqs(vi);
out_free_queues:
	vnet_free_queues(vi);
out_free:
	free_netdev(dev);
	return err;
}

static void vnet_remove(struct virtio_device *vdev)
{
	struct vnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;

	/* Closes the device first: NAPI off, refill work cancelled. */
	unregister_netdev(dev);
	/* No ndo runs any more, but the last one may have queued this. */
	cancel_work_sync(&vi->rx_mode_work);
	if (!vi->frozen)
		vnet_del_vqs(vi);
	vnet_free_queues(vi);
	free_netdev(dev);
}

/*
 * Suspend: detached, the stack sends nothing and no ndo or ethtool call
 * reaches the device; then NAPI stops, the device is reset and every
 * buffer comes back.  Packets in flight are lost, as on real hardware.
 */
static int vnet_freeze(struct virtio_device *vdev)
{
	struct vnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;

	rtnl_lock();
	netif_device_detach(dev);
	if (netif_running(dev))
		vnet_down(vi);
	vi->frozen = true;
	rtnl_unlock();
	cancel_work_sync(&vi->rx_mode_work);
	vnet_del_vqs(vi);
	return 0;
}

/*
 * The reset made the device forget what the controlq told it: the queue
 * pairs, the address, the receive filters (§5.1.6.5).  Tell it again.
 */
static int vnet_restore(struct virtio_device *vdev)
{
	struct vnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;
	int err;

	err = vnet_find_vqs(vi);
	if (err)
		return err;
	clear_bit(0, &vi->broken);
	virtio_device_ready(vdev);

	rtnl_lock();
	vi->frozen = false;
	if (vi->cur_pairs > 1 && vnet_set_pairs(vi, vi->cur_pairs)) {
		dev_warn(&vdev->dev, "cannot use %u queue pairs, using 1\n",
			 vi->cur_pairs);
		vi->cur_pairs = 1;
		netif_set_real_num_queues(dev, 1, 1);
	}
	if (vi->ctrl_mac &&
	    vnet_cmd(vi, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
		     dev->dev_addr, ETH_ALEN, NULL, 0, 0))
		dev_warn(&vdev->dev, "cannot set MAC address %pM\n",
			 dev->dev_addr);
	if (netif_running(dev))
		vnet_up(vi);
	netif_device_attach(dev);
	rtnl_unlock();
	vnet_set_rx_mode(dev);
	vnet_update_link(vi);
	return 0;
}

static void vnet_config_changed(struct virtio_device *vdev)
{
	vnet_update_link(vdev->priv);
}

#define F(bit)	BIT_ULL(VIRTIO_NET_F_##bit)

/*
 * §5.1.3.1: what each feature needs.  Segmentation offloads need the
 * checksum offload of their direction, ECN needs TSO, and the controlq
 * commands the controlq; TSO comes before ECN, which it may take along.
 */
static const struct virtio_feature_dep vnet_feature_deps[] = {
	{ VIRTIO_NET_F_GUEST_TSO4, F(GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_TSO6, F(GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_ECN, F(GUEST_TSO4) | F(GUEST_TSO6) },
	{ VIRTIO_NET_F_HOST_TSO4, F(CSUM) },
	{ VIRTIO_NET_F_HOST_TSO6, F(CSUM) },
	{ VIRTIO_NET_F_HOST_ECN, F(HOST_TSO4) | F(HOST_TSO6) },
	{ VIRTIO_NET_F_CTRL_RX, F(CTRL_VQ) },
	{ VIRTIO_NET_F_MQ, F(CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_MAC_ADDR, F(CTRL_VQ) },
};

#undef F

static int vnet_validate_features(struct virtio_device *vdev)
{
	virtio_drop_unmet_features(vdev, vnet_feature_deps,
				   ARRAY_SIZE(vnet_feature_deps));
	return 0;
}

static const unsigned int vnet_features[] = {
	VIRTIO_NET_F_CSUM,
	VIRTIO_NET_F_GUEST_CSUM,
	VIRTIO_NET_F_MTU,
	VIRTIO_NET_F_MAC,
	VIRTIO_NET_F_GUEST_TSO4,
	VIRTIO_NET_F_GUEST_TSO6,
	VIRTIO_NET_F_GUEST_ECN,
	VIRTIO_NET_F_HOST_TSO4,
	VIRTIO_NET_F_HOST_TSO6,
	VIRTIO_NET_F_HOST_ECN,
	VIRTIO_NET_F_MRG_RXBUF,
	VIRTIO_NET_F_STATUS,
	VIRTIO_NET_F_CTRL_VQ,
	VIRTIO_NET_F_CTRL_RX,
	VIRTIO_NET_F_MQ,
	VIRTIO_NET_F_CTRL_MAC_ADDR,
};

static const struct virtio_device_id vnet_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(virtio, vnet_id_table);

static struct virtio_driver vnet_driver = {
	.driver.name		= KBUILD_MODNAME,
	.id_table		= vnet_id_table,
	.feature_table		= vnet_features,
	.feature_table_size	= ARRAY_SIZE(vnet_features),
	.validate		= vnet_validate_features,
	.probe			= vnet_probe,
	.remove			= vnet_remove,
	.config_changed		= vnet_config_changed,
	.freeze			= vnet_freeze,
	.restore		= vnet_restore,
};
module_virtio_driver(vnet_driver);

MODULE_DESCRIPTION("Virtio network driver");
MODULE_LICENSE("GPL");

#if IS_ENABLED(CONFIG_VIRTIO_NET_KUNIT_TEST)
#include "virtio_net_test.c"
#endif
