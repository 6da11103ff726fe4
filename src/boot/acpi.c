/* Minimal ACPI tables (ACPI 6.5 spec, chapter 5.2): RSDP, RSDT, XSDT and a
 * MADT listing the local APICs and the IOAPIC. Kernels built without
 * CONFIG_X86_MPPARSE (Debian's cloud kernel among them) ignore the MP
 * table and find their CPUs only through the MADT.
 *
 * The FADT describes full (not hardware-reduced) ACPI: a hardware-reduced
 * FADT would make Linux drop the 8259 and the PIT (arch/x86/kernel/acpi/
 * boot.c, acpi_reduced_hw_init). Its fixed hardware is src/hw/acpi-pm.c:
 * PM1 event/control blocks, the PM timer, GPE0 and the SCI; the DSDT holds
 * only the \_S5 sleep package, which is what `poweroff` needs, and the
 * fixed-feature power button needs no AML at all. */
#include <errno.h>
#include <string.h>
#include "ringvm/acpi.h"
#include "ringvm/boot.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

#define ACPI_XSDT_ADDR (ACPI_RSDP_ADDR + 0x40)
#define ACPI_RSDT_ADDR (ACPI_RSDP_ADDR + 0x80)
#define ACPI_MADT_ADDR (ACPI_RSDP_ADDR + 0x100)
#define ACPI_FADT_ADDR (ACPI_RSDP_ADDR + 0x1000)
#define ACPI_FACS_ADDR (ACPI_RSDP_ADDR + 0x1200) /* 64-byte aligned (5.2.10) */
#define ACPI_DSDT_ADDR (ACPI_RSDP_ADDR + 0x1300)
#define ACPI_END_ADDR  (ACPI_RSDP_ADDR + 0x1400)
#define ACPI_MAX_CPUS  254
#define ACPI_HDR_LEN   36
#define ACPI_FADT_LEN  276  /* revision 6 */

static uint8_t acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

/* System description table header (5.2.6). */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "RINGVM", 6);
	memcpy(t + 16, "RINGVMPC", 8);
	put_le32(t + 24, 1);
	memcpy(t + 28, "RVM ", 4);
	put_le32(t + 32, 1);
	t[9] = 0;
	t[9] = acpi_sum(t, len);
}

/* DSDT AML (ACPI 6.5 chapter 20): Name (_S5, Package () { 5, 5, 0, 0 }),
 * SLP_TYPa/SLP_TYPb for S5 followed by two reserved entries (7.4.2). */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',            /* NameOp "_S5_" */
	0x12, 0x08, 0x04,                    /* PackageOp, PkgLength 8, 4 elements */
	0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00,
};

/* FADT (5.2.9, revision 6), FACS (5.2.10) and DSDT (5.2.11.1). Only the
 * 32-bit block addresses are filled: ACPICA builds the generic address
 * structures from them, and leaving the X_ fields zero avoids two
 * descriptions that could disagree. */
static int acpi_write_fadt(struct guest_mem *m)
{
	uint8_t *fadt = mem_ptr(m, ACPI_FADT_ADDR, ACPI_END_ADDR - ACPI_FADT_ADDR);
	uint8_t *facs, *dsdt, *reset;
	uint32_t flags;

	if (!fadt)
		return -EFAULT;
	memset(fadt, 0, ACPI_END_ADDR - ACPI_FADT_ADDR);
	facs = fadt + (ACPI_FACS_ADDR - ACPI_FADT_ADDR);
	dsdt = fadt + (ACPI_DSDT_ADDR - ACPI_FADT_ADDR);

	memcpy(facs, "FACS", 4);
	put_le32(facs + 4, 64);
	facs[32] = 2;                                   /* version */

	memcpy(dsdt + ACPI_HDR_LEN, dsdt_aml, sizeof(dsdt_aml));
	acpi_header(dsdt, "DSDT", ACPI_HDR_LEN + sizeof(dsdt_aml), 2);

	put_le32(fadt + 36, (uint32_t)ACPI_FACS_ADDR);  /* FIRMWARE_CTRL */
	put_le32(fadt + 40, (uint32_t)ACPI_DSDT_ADDR);  /* DSDT */
	put_le16(fadt + 46, ACPI_SCI_GSI);              /* SCI_INT */
	/* SMI_CMD (48) = 0: no SMM, the board is in ACPI mode already. */
	put_le32(fadt + 56, ACPI_PM1_EVT_BLK);
	put_le32(fadt + 64, ACPI_PM1_CNT_BLK);
	put_le32(fadt + 76, ACPI_PM_TMR_BLK);
	put_le32(fadt + 80, ACPI_GPE0_BLK);
	fadt[88] = 4;                                   /* PM1_EVT_LEN */
	fadt[89] = 2;                                   /* PM1_CNT_LEN */
	fadt[91] = 4;                                   /* PM_TMR_LEN */
	fadt[92] = 4;                                   /* GPE0_BLK_LEN */
	put_le16(fadt + 96, 101);                       /* P_LVL2_LAT > 100: no C2 */
	put_le16(fadt + 98, 1001);                      /* P_LVL3_LAT > 1000: no C3 */
	fadt[108] = 0x32;                               /* CENTURY: CMOS index */
	put_le16(fadt + 109, 0x3);                      /* IAPC_BOOT_ARCH: legacy devices, 8042 */
	/* Flags (Table 5.10): WBINVD, PROC_C1, SLP_BUTTON (no fixed sleep
	 * button; PWR_BUTTON clear = fixed power button present),
	 * TMR_VAL_EXT (32-bit PM timer), RESET_REG_SUP. */
	flags = (1u << 0) | (1u << 2) | (1u << 5) | (1u << 8) | (1u << 10);
	put_le32(fadt + 112, flags);
	/* RESET_REG: generic address structure (5.2.3.2), System I/O, 8 bits,
	 * byte access, at the PCI reset control register. */
	reset = fadt + 116;
	reset[0] = 1;
	reset[1] = 8;
	reset[2] = 0;
	reset[3] = 1;
	put_le64(reset + 4, ACPI_RESET_PORT);
	fadt[128] = ACPI_RESET_VALUE;
	acpi_header(fadt, "FACP", ACPI_FADT_LEN, 6);
	return 0;
}

int acpi_write(struct guest_mem *m, int ncpus)
{
	const size_t madt_max = ACPI_HDR_LEN + 8 + ACPI_MAX_CPUS * 8 + 12 + 2 * 10 + 6;
	uint8_t *base, *rsdp, *xsdt, *rsdt, *madt, *p;

	if (ncpus < 1 || ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	base = mem_ptr(m, ACPI_RSDP_ADDR, ACPI_MADT_ADDR - ACPI_RSDP_ADDR + madt_max);
	if (!base)
		return -EFAULT;
	memset(base, 0, ACPI_MADT_ADDR - ACPI_RSDP_ADDR + madt_max);
	rsdp = base;
	xsdt = base + (ACPI_XSDT_ADDR - ACPI_RSDP_ADDR);
	rsdt = base + (ACPI_RSDT_ADDR - ACPI_RSDP_ADDR);
	madt = base + (ACPI_MADT_ADDR - ACPI_RSDP_ADDR);

	/* MADT (5.2.12): local APIC address, PCAT_COMPAT (an 8259 pair is
	 * present and must be masked before using the IOAPIC). */
	put_le32(madt + ACPI_HDR_LEN, 0xfee00000);
	put_le32(madt + ACPI_HDR_LEN + 4, 1);
	p = madt + ACPI_HDR_LEN + 8;
	for (int i = 0; i < ncpus; i++, p += 8) {
		/* Processor Local APIC (5.2.12.2): UID, APIC id, enabled. */
		p[0] = 0;
		p[1] = 8;
		p[2] = (uint8_t)i;
		p[3] = (uint8_t)i;
		put_le32(p + 4, 1);
	}
	/* I/O APIC (5.2.12.3), same id as in the MP table, GSI base 0. */
	p[0] = 1;
	p[1] = 12;
	p[2] = (uint8_t)ncpus;
	put_le32(p + 4, 0xfec00000);
	put_le32(p + 8, 0);
	p += 12;
	/* Interrupt Source Override (5.2.12.5): ISA IRQ0 (PIT) arrives on
	 * GSI 2, as in the MP table; flags 0 = conforms to ISA (edge, high). */
	p[0] = 2;
	p[1] = 10;
	p[2] = 0;
	p[3] = 0;
	put_le32(p + 4, 2);
	put_le16(p + 8, 0);
	p += 10;
	/* The SCI (ISA IRQ 9 = GSI 9) is level triggered, active high
	 * (flags: polarity 01, trigger mode 11; 5.2.12.5 Table 5.50). */
	p[0] = 2;
	p[1] = 10;
	p[2] = 0;
	p[3] = ACPI_SCI_GSI;
	put_le32(p + 4, ACPI_SCI_GSI);
	put_le16(p + 8, 0x000d);
	p += 10;
	/* Local APIC NMI (5.2.12.7): all processors (0xff), LINT1. */
	p[0] = 4;
	p[1] = 6;
	p[2] = 0xff;
	put_le16(p + 3, 0);
	p[5] = 1;
	p += 6;
	acpi_header(madt, "APIC", (uint32_t)(p - madt), 4);

	if (acpi_write_fadt(m) < 0)
		return -EFAULT;

	/* RSDT (5.2.7, 32-bit pointers) for ACPI 1.0 readers, XSDT (5.2.8)
	 * for everyone else. */
	put_le32(rsdt + ACPI_HDR_LEN, (uint32_t)ACPI_MADT_ADDR);
	put_le32(rsdt + ACPI_HDR_LEN + 4, (uint32_t)ACPI_FADT_ADDR);
	acpi_header(rsdt, "RSDT", ACPI_HDR_LEN + 8, 1);
	put_le64(xsdt + ACPI_HDR_LEN, ACPI_MADT_ADDR);
	put_le64(xsdt + ACPI_HDR_LEN + 8, ACPI_FADT_ADDR);
	acpi_header(xsdt, "XSDT", ACPI_HDR_LEN + 16, 1);

	/* RSDP (5.2.5.3), revision 2: the first checksum covers the ACPI 1.0
	 * part (20 bytes), the extended one all 36. It sits 16-byte aligned
	 * in 0xe0000-0xfffff, where OSes search for it (5.2.5.1). */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "RINGVM", 6);
	rsdp[15] = 2;
	put_le32(rsdp + 16, (uint32_t)ACPI_RSDT_ADDR);
	put_le32(rsdp + 20, 36);
	put_le64(rsdp + 24, ACPI_XSDT_ADDR);
	rsdp[8] = acpi_sum(rsdp, 20);
	rsdp[32] = acpi_sum(rsdp, 36);
	return 0;
}
