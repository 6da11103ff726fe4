/* MultiProcessor tables (Intel MultiProcessor Specification 1.4, chapter
 * 4), so a guest without ACPI still finds its APs and the IOAPIC. */
#include <errno.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/util.h"

#define MP_FPS_ADDR   0xf0000ULL   /* 16-byte aligned, in the BIOS ROM area (MP 4.1) */
#define MP_CFG_ADDR   (MP_FPS_ADDR + 16)
#define MP_LAPIC_ADDR 0xfee00000U
#define MP_IOAPIC_ADDR 0xfec00000U
#define MP_MAX_CPUS   254          /* APIC ids 0..n-1, then the IOAPIC; 0xff is broadcast */
#define MP_SPEC_REV   4            /* 1.4 */

enum {
	MP_ENT_CPU = 0, MP_ENT_BUS = 1, MP_ENT_IOAPIC = 2,
	MP_ENT_IOINT = 3, MP_ENT_LINT = 4,
};
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static uint8_t mp_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* One I/O or local interrupt assignment entry, 8 bytes (MP 4.3.4/4.3.5).
 * Flags 0: polarity and trigger "conform to the bus" (edge, active high
 * for ISA). */
static uint8_t *mp_put_int(uint8_t *p, uint8_t ent, uint8_t type, uint8_t src_irq,
			   uint8_t dst_id, uint8_t dst_pin)
{
	p[0] = ent;
	p[1] = type;
	put_le16(p + 2, 0);
	p[4] = 0;           /* source bus id: the ISA bus */
	p[5] = src_irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + 8;
}

int mptable_write(struct guest_mem *m, int ncpus)
{
	const size_t cfg_max = 44 + MP_MAX_CPUS * 20 + 8 + 8 + 16 * 8 + 2 * 8;
	uint8_t *fps, *cfg, *p;
	uint8_t ioapic_id;
	uint16_t count = 0;

	if (ncpus < 1 || ncpus > MP_MAX_CPUS)
		return -EINVAL;
	fps = mem_ptr(m, MP_FPS_ADDR, 16 + cfg_max);
	if (!fps)
		return -EFAULT;
	cfg = fps + 16;
	memset(fps, 0, 16 + cfg_max);
	ioapic_id = (uint8_t)ncpus;

	p = cfg + 44;
	for (int i = 0; i < ncpus; i++, count++) {
		/* Processor entry (MP 4.3.1): enabled, BSP flag on cpu 0;
		 * local APIC version 0x14 (integrated xAPIC); signature
		 * family 6; features FPU (bit 0) and APIC (bit 9). */
		p[0] = MP_ENT_CPU;
		p[1] = (uint8_t)i;
		p[2] = 0x14;
		p[3] = 0x1 | (i == 0 ? 0x2 : 0);
		put_le32(p + 4, 0x600);
		put_le32(p + 8, 0x201);
		p += 20;
	}
	/* Bus entry (MP 4.3.2): bus 0 is ISA. */
	p[0] = MP_ENT_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += 8;
	count++;
	/* I/O APIC entry (MP 4.3.3): version 0x11 (82093AA), enabled. */
	p[0] = MP_ENT_IOAPIC;
	p[1] = ioapic_id;
	p[2] = 0x11;
	p[3] = 0x1;
	put_le32(p + 4, MP_IOAPIC_ADDR);
	p += 8;
	count++;
	/* ISA IRQs. The PIT's IRQ0 is wired to IOAPIC pin 2 as on PC
	 * chipsets (MP spec appendix D, and what KVM's in-kernel IOAPIC
	 * routing expects); IRQ2 is the PIC cascade and has no entry because
	 * its pin now carries IRQ0. The rest are identity. */
	for (int irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		p = mp_put_int(p, MP_ENT_IOINT, MP_INT, (uint8_t)irq, ioapic_id,
			       irq == 0 ? 2 : (uint8_t)irq);
		count++;
	}
	/* Local interrupts (MP 5.1, virtual wire mode): the 8259's INTR on
	 * LINT0 as ExtINT and NMI on LINT1, for every local APIC (0xff). */
	p = mp_put_int(p, MP_ENT_LINT, MP_EXTINT, 0, 0xff, 0);
	p = mp_put_int(p, MP_ENT_LINT, MP_NMI, 0, 0xff, 1);
	count += 2;

	/* Configuration table header (MP 4.2). */
	memcpy(cfg, "PCMP", 4);
	put_le16(cfg + 4, (uint16_t)(p - cfg));
	cfg[6] = MP_SPEC_REV;
	memcpy(cfg + 8, "RINGVM  ", 8);
	memcpy(cfg + 16, "RINGVM PC   ", 12);
	put_le16(cfg + 34, count);
	put_le32(cfg + 36, MP_LAPIC_ADDR);
	cfg[7] = mp_checksum(cfg, (size_t)(p - cfg));

	/* Floating pointer structure (MP 4.1): length in 16-byte units,
	 * feature byte 1 = 0 means "a configuration table is present". */
	memcpy(fps, "_MP_", 4);
	put_le32(fps + 4, (uint32_t)MP_CFG_ADDR);
	fps[8] = 1;
	fps[9] = MP_SPEC_REV;
	fps[10] = mp_checksum(fps, 16);
	return 0;
}
