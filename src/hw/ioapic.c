/* Intel 82093AA I/O APIC at 0xfec00000: 24 input pins, each with a
 * redirection entry that turns an edge or a level into an APIC message.
 *
 * Reference: Intel 82093AA I/O Advanced Programmable Interrupt Controller
 * datasheet (order 290566), 3.0 "Register Description" (IOREGSEL, IOWIN,
 * IOAPICID, IOAPICVER, IOAPICARB, IOREDTBL) and 3.2.4's remote IRR. */
#include <errno.h>
#include <stdlib.h>
#include "ringvm/bus.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

#define IOAPIC_VERSION 0x11   /* the 82093AA's: no EOI register */

/* IOREDTBL bits (82093AA 3.2.4). */
#define RTE_VECTOR      0xffULL
#define RTE_DM_SHIFT    8
#define RTE_DEST_LOG    (1ULL << 11)
#define RTE_DELIVS      (1ULL << 12)
#define RTE_POLARITY    (1ULL << 13)
#define RTE_REMOTE_IRR  (1ULL << 14)
#define RTE_LEVEL       (1ULL << 15)
#define RTE_MASK        (1ULL << 16)
#define RTE_RO_BITS     (RTE_DELIVS | RTE_REMOTE_IRR)
#define RTE_WRITABLE    (0xff00000000000000ULL | 0x1ffffULL)

struct ioapic {
	struct platform *p;
	uint8_t id;
	uint8_t id_reset;
	uint8_t sel;                   /* IOREGSEL */
	uint32_t line;                 /* pin levels */
	uint64_t rte[IOAPIC_PINS];
};

/* Send pin's message if its redirection entry allows one now. */
static void ioapic_service(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];
	struct apic_msg msg;

	if (e & RTE_MASK)
		return;
	if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR))
		return;     /* the last one is not EOI'd yet */
	msg = (struct apic_msg){
		.vector = (uint8_t)(e & RTE_VECTOR),
		.dm = (uint8_t)((e >> RTE_DM_SHIFT) & 7),
		.logical = e & RTE_DEST_LOG,
		.level = e & RTE_LEVEL,
		.assert = true,
		.dest = (uint8_t)(e >> 56),
		.src = -1,
	};
	/* Remote IRR is set when a LAPIC accepts a level interrupt (3.2.4);
	 * with nobody to accept it there will be no EOI either. ExtINT and
	 * NMI have no EOI, so only fixed/lowest use it. */
	if (apic_deliver(io->p, &msg) && (e & RTE_LEVEL) &&
	    (msg.dm == APIC_DM_FIXED || msg.dm == APIC_DM_LOWEST))
		io->rte[pin] |= RTE_REMOTE_IRR;
}

/* Polarity (bit 13) is not applied: callers pass "asserted", whatever the
 * wire's electrical level, as QEMU's IOAPIC does. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	uint32_t bit = 1u << pin, old;

	if (pin >= IOAPIC_PINS)
		return;
	old = io->line;
	if (level)
		io->line |= bit;
	else
		io->line &= ~bit;
	if (!level)
		return;
	if (io->rte[pin] & RTE_LEVEL)
		ioapic_service(io, pin);
	else if (!(old & bit))
		ioapic_service(io, pin);  /* rising edge */
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io->rte[pin];
		if (!(e & RTE_LEVEL) || (e & RTE_VECTOR) != vector || !(e & RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		/* Still asserted: the device wants service again. */
		if (io->line & (1u << pin))
			ioapic_service(io, pin);
	}
}

int ioapic_pin_vector(const struct ioapic *io, unsigned pin)
{
	uint64_t e;
	unsigned dm;

	if (pin >= IOAPIC_PINS)
		return -1;
	e = io->rte[pin];
	dm = (e >> RTE_DM_SHIFT) & 7;
	if ((e & RTE_MASK) || (dm != APIC_DM_FIXED && dm != APIC_DM_LOWEST))
		return -1;
	return (int)(e & RTE_VECTOR);
}

static uint32_t ioapic_reg_read(struct ioapic *io)
{
	unsigned idx;

	switch (io->sel) {
	case 0x00:
		return (uint32_t)io->id << 24;
	case 0x01:
		return (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	case 0x02:
		return (uint32_t)io->id << 24;   /* arbitration ID */
	}
	if (io->sel >= 0x10 && io->sel < 0x10 + 2 * IOAPIC_PINS) {
		idx = (io->sel - 0x10u) / 2;
		return (io->sel & 1) ? (uint32_t)(io->rte[idx] >> 32) : (uint32_t)io->rte[idx];
	}
	return 0;
}

static void ioapic_reg_write(struct ioapic *io, uint32_t val)
{
	unsigned idx;
	uint64_t e;

	if (io->sel == 0x00) {
		io->id = (val >> 24) & 0x0f;
		return;
	}
	if (io->sel < 0x10 || io->sel >= 0x10 + 2 * IOAPIC_PINS) {
		pr_guest("ioapic: write %#x to read-only or absent register %#x", val, io->sel);
		return;
	}
	idx = (io->sel - 0x10u) / 2;
	e = io->rte[idx];
	if (io->sel & 1)
		e = (e & 0xffffffffULL) | (uint64_t)val << 32;
	else
		e = (e & ~0xffffffffULL) | val;
	io->rte[idx] = (io->rte[idx] & RTE_RO_BITS) | (e & RTE_WRITABLE & ~RTE_RO_BITS);
	/* Unmasking a level pin that is asserted delivers it now; an edge
	 * that came while masked was lost, as on the chip. */
	if ((io->rte[idx] & RTE_LEVEL) && (io->line & (1u << idx)))
		ioapic_service(io, idx);
}

uint32_t ioapic_mmio_read(struct ioapic *io, uint64_t off)
{
	switch (off) {
	case 0x00:
		return io->sel;
	case 0x10:
		return ioapic_reg_read(io);
	default:
		return 0;
	}
}

void ioapic_mmio_write(struct ioapic *io, uint64_t off, uint32_t val)
{
	switch (off) {
	case 0x00:
		io->sel = (uint8_t)val;
		break;
	case 0x10:
		ioapic_reg_write(io, val);
		break;
	default:
		pr_guest("ioapic: write to unknown offset %#llx", (unsigned long long)off);
		break;
	}
}

/* Only aligned 32-bit accesses are defined (82093AA 3.0: "registers are
 * accessed with 32-bit loads and stores"); others read 0 / are dropped. */
static uint64_t ioapic_bus_read(void *opaque, uint64_t off, unsigned size)
{
	if (size != 4 || (off & 3)) {
		pr_guest("ioapic: %u-byte read at %#llx ignored", size, (unsigned long long)off);
		return 0;
	}
	return ioapic_mmio_read(opaque, off);
}

static void ioapic_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	if (size != 4 || (off & 3)) {
		pr_guest("ioapic: %u-byte write at %#llx ignored", size, (unsigned long long)off);
		return;
	}
	ioapic_mmio_write(opaque, off, (uint32_t)val);
}

static const struct bus_ops ioapic_ops = {
	.read = ioapic_bus_read,
	.write = ioapic_bus_write,
};

void ioapic_reset(struct ioapic *io)
{
	/* Every entry masked after reset (82093AA 3.2.4). */
	io->id = io->id_reset;
	io->sel = 0;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASK;
}

struct ioapic *ioapic_new(struct platform *p, struct vm *vm, uint8_t id)
{
	struct ioapic *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->p = p;
	io->id_reset = id & 0x0f;
	ioapic_reset(io);
	if (bus_register(vm, BUS_MMIO, IOAPIC_BASE, 0x1000, &ioapic_ops, io) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

void ioapic_free(struct ioapic *io)
{
	free(io);
}
