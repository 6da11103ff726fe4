/* PCI host bridge with configuration mechanism #1 (PCI Local Bus
 * Specification 3.0 §3.2.2.3.2), bus 0 only, plus the chipset's reset
 * control register at 0xcf9.
 *
 * The host bridge at 00:00.0 identifies as Intel's 82G33/Q35 memory
 * controller hub (8086:29c0, class 0x0600): the device QEMU's q35 machine
 * presents, so Linux meets a bridge it sees every day under QEMU and
 * applies no quirk it would not apply there. It has no registers beyond
 * the header; PCIEXBAR (0x60) reads 0, so nobody looks for an ECAM window
 * that is not there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/log.h"
#include "ringvm/pci.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"
#include "hw/hw-priv.h"

#define PCI_CONF1_PORT  0xcf8
#define PCI_CONF1_DATA  4         /* 0xcfc-0xcff, offset in our range */
#define PCI_RST_CNT     1         /* 0xcf9, offset in our range */

#define CONF1_ENABLE    0x80000000u
/* Bits 30:24 are reserved and 1:0 select type 0/1 cycles on some
 * chipsets; neither is used here, so they read back as 0. */
#define CONF1_MASK      0x80fffffcu

/* ICH9 datasheet §13.7.5 RST_CNT: bit 1 SYS_RST picks a hard reset, bit 2
 * RST_CPU starts it, bit 3 FULL_RST powers the board down and up. */
#define RST_CNT_SYS     0x02
#define RST_CNT_CPU     0x04
#define RST_CNT_FULL    0x08

struct pci_host {
	struct vm *vm;
	uint32_t conf_addr;
	uint8_t rst_cnt;
	struct pci_device bridge;
	struct pci_device *dev[256];   /* bus 0, by devfn */
};

void pci_config_init(struct pci_device *d, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision)
{
	put_le16(&d->cfg[PCI_VENDOR_ID], vendor);
	put_le16(&d->cfg[PCI_DEVICE_ID], device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	d->cfg[PCI_CLASS_DEVICE] = (uint8_t)(class_code >> 8);
	d->cfg[PCI_CLASS_DEVICE + 1] = (uint8_t)(class_code >> 16);
	/* Command: I/O, memory, bus master, INTx disable (§6.2.2). */
	put_le16(&d->wmask[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* Status error bits are write-1-to-clear (§6.2.3). */
	put_le16(&d->w1cmask[PCI_STATUS], 0xf900);
	d->wmask[0x0c] = 0xff;  /* cache line size */
	d->wmask[0x0d] = 0xff;  /* latency timer */
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

int pci_bar_init(struct pci_device *d, int n, uint64_t size, unsigned flags)
{
	unsigned off = PCI_BAR0 + 4 * (unsigned)n;
	uint64_t mask;

	if (n < 0 || n > 5 || !size || (size & (size - 1)))
		return -EINVAL;
	if (flags & PCI_BAR_IO) {
		if (size < 4 || size > 256 || (flags & ~PCI_BAR_IO))
			return -EINVAL;
		put_le32(&d->cfg[off], PCI_BAR_IO);
		put_le32(&d->wmask[off], (uint32_t)~(size - 1) & ~3u);
		return 0;
	}
	if (size < 16)
		return -EINVAL;
	if ((flags & PCI_BAR_MEM64) && n == 5)
		return -EINVAL;
	if (!(flags & PCI_BAR_MEM64) && size > 2 * GiB)
		return -EINVAL;
	/* Sizing (§6.2.5.1): the guest writes all ones and reads back the
	 * bits that stuck; the low bits below the size never stick. */
	mask = ~(size - 1);
	put_le32(&d->cfg[off], flags & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH));
	put_le32(&d->wmask[off], (uint32_t)mask & ~0xfu);
	if (flags & PCI_BAR_MEM64)
		put_le32(&d->wmask[off + 4], (uint32_t)(mask >> 32));
	return 0;
}

uint64_t pci_bar_addr(const struct pci_device *d, int n)
{
	uint32_t lo;

	if (n < 0 || n > 5)
		return 0;
	lo = get_le32(&d->cfg[PCI_BAR0 + 4 * n]);
	if (lo & PCI_BAR_IO)
		return lo & ~3u;
	if ((lo & PCI_BAR_MEM64) && n < 5)
		return (lo & ~0xfu) | (uint64_t)get_le32(&d->cfg[PCI_BAR0 + 4 * (n + 1)]) << 32;
	return lo & ~0xfu;
}

static struct pci_device *pci_host_device(struct pci_host *h, uint16_t bdf)
{
	/* Only bus 0 exists: no PCI-to-PCI bridges behind this host. */
	if (bdf >> 8)
		return NULL;
	return h->dev[bdf & 0xff];
}

static uint32_t pci_host_read(struct pci_host *h, uint16_t bdf, unsigned off, unsigned size)
{
	struct pci_device *d = pci_host_device(h, bdf);
	uint32_t v = 0;

	if (!d)
		return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	if (d->config_read)
		return d->config_read(d, off, size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

static void pci_host_write(struct pci_host *h, uint16_t bdf, unsigned off, unsigned size,
			   uint32_t val)
{
	struct pci_device *d = pci_host_device(h, bdf);
	uint32_t old = 0;

	if (!d)
		return;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint8_t w = d->wmask[off + i], c = d->w1cmask[off + i];
		uint8_t cur = d->cfg[off + i];

		old |= (uint32_t)cur << (8 * i);
		cur = (uint8_t)((cur & ~w) | (b & w));
		cur &= (uint8_t)~(b & c);
		d->cfg[off + i] = cur;
	}
	if (d->config_write)
		d->config_write(d, off, size, old);
}

/* Accesses must be 1, 2 or 4 bytes, naturally aligned, inside the 256
 * bytes (§3.2.2.3.2: a dword register, byte enables select within it). */
static int pci_access_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && !(off & (size - 1)) &&
	       off + size <= PCI_CFG_SIZE;
}

static uint64_t pci_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_host *h = opaque;
	unsigned reg;

	if (off == 0 && size == 4)
		return h->conf_addr;
	if (off == PCI_RST_CNT && size == 1)
		return h->rst_cnt;
	if (off < PCI_CONF1_DATA)
		return ~0ULL;  /* other widths of 0xcf8-0xcfb go to the ISA bus */
	if (!(h->conf_addr & CONF1_ENABLE))
		return ~0ULL;
	reg = (h->conf_addr & 0xfc) + (unsigned)(off - PCI_CONF1_DATA);
	if (!pci_access_ok(reg, size))
		return ~0ULL;
	return pci_host_read(h, (uint16_t)(h->conf_addr >> 8), reg, size);
}

static void pci_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_host *h = opaque;
	unsigned reg;

	if (off == 0 && size == 4) {
		h->conf_addr = (uint32_t)val & CONF1_MASK;
		return;
	}
	if (off == PCI_RST_CNT && size == 1) {
		/* RST_CPU is a trigger and reads back 0. */
		h->rst_cnt = (uint8_t)val & (RST_CNT_SYS | RST_CNT_FULL);
		if (val & RST_CNT_CPU) {
			pr_debug("pci: reset through 0xcf9 (%#x)", (unsigned)val & 0xff);
			vm_request_reset(h->vm);
		}
		return;
	}
	if (off < PCI_CONF1_DATA || !(h->conf_addr & CONF1_ENABLE))
		return;
	reg = (h->conf_addr & 0xfc) + (unsigned)(off - PCI_CONF1_DATA);
	if (!pci_access_ok(reg, size))
		return;
	pci_host_write(h, (uint16_t)(h->conf_addr >> 8), reg, size, (uint32_t)val);
}

static const struct bus_ops pci_ops = {
	.read = pci_io_read,
	.write = pci_io_write,
};

static struct pci_host *pci_host_find(struct vm *vm)
{
	const struct bus_range *r = bus_find(&vm->bus[BUS_PIO], PCI_CONF1_PORT);

	return r && r->ops == &pci_ops ? r->opaque : NULL;
}

int pci_init(struct vm *vm)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	h->vm = vm;
	pci_config_init(&h->bridge, 0x8086, 0x29c0, 0x060000, 0);
	/* The MCH answers memory and I/O cycles from power on. */
	put_le16(&h->bridge.cfg[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	memset(h->bridge.wmask, 0, sizeof(h->bridge.wmask));
	h->bridge.devfn = 0;
	h->dev[0] = &h->bridge;
	ret = bus_register(vm, BUS_PIO, PCI_CONF1_PORT, 8, &pci_ops, h);
	if (ret < 0)
		free(h);
	return ret;
}

void pci_exit(struct vm *vm)
{
	free(pci_host_find(vm));
}

int pci_register_device(struct vm *vm, struct pci_device *d)
{
	struct pci_host *h = pci_host_find(vm);
	int devfn = d ? d->devfn : -1, ret = 0;

	if (!h)
		return -ENODEV;
	if (!d || devfn > 255)
		return -EINVAL;
	vm_lock(vm);
	if (devfn < 0) {
		ret = -ENOSPC;
		for (int slot = 1; slot < 32; slot++) {
			if (!h->dev[PCI_DEVFN(slot, 0)]) {
				devfn = PCI_DEVFN(slot, 0);
				ret = 0;
				break;
			}
		}
	} else if (h->dev[devfn]) {
		ret = -EBUSY;
	}
	if (!ret) {
		d->devfn = devfn;
		h->dev[devfn] = d;
	}
	vm_unlock(vm);
	return ret;
}

uint32_t pci_config_read(struct vm *vm, uint16_t bdf, unsigned off, unsigned size)
{
	struct pci_host *h = pci_host_find(vm);

	if (!h || !pci_access_ok(off, size))
		return 0xffffffffu;
	return pci_host_read(h, bdf, off, size);
}

void pci_config_write(struct vm *vm, uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	struct pci_host *h = pci_host_find(vm);

	if (h && pci_access_ok(off, size))
		pci_host_write(h, bdf, off, size, val);
}
