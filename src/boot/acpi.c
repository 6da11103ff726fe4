/* Minimal ACPI tables (ACPI 6.5 spec, chapter 5.2): RSDP, RSDT, XSDT and a
 * MADT listing the local APICs and the IOAPIC. Kernels built without
 * CONFIG_X86_MPPARSE (Debian's cloud kernel among them) ignore the MP
 * table and find their CPUs only through the MADT.
 *
 * There is deliberately no FADT/DSDT yet: a FADT would commit ringvm to a
 * PM register block and SCI, or, with HW_REDUCED_ACPI, make Linux drop the
 * 8259 and the PIT (arch/x86/kernel/acpi/boot.c, acpi_reduced_hw_init).
 * Linux reads the MADT early in setup_arch() and only later gives up on the
 * namespace for want of a DSDT, with CPUs and IOAPIC already registered. */
#include <errno.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

#define ACPI_XSDT_ADDR (ACPI_RSDP_ADDR + 0x40)
#define ACPI_RSDT_ADDR (ACPI_RSDP_ADDR + 0x80)
#define ACPI_MADT_ADDR (ACPI_RSDP_ADDR + 0x100)
#define ACPI_MAX_CPUS  254
#define ACPI_HDR_LEN   36

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

int acpi_write(struct guest_mem *m, int ncpus)
{
	const size_t madt_max = ACPI_HDR_LEN + 8 + ACPI_MAX_CPUS * 8 + 12 + 10 + 6;
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
	/* Local APIC NMI (5.2.12.7): all processors (0xff), LINT1. */
	p[0] = 4;
	p[1] = 6;
	p[2] = 0xff;
	put_le16(p + 3, 0);
	p[5] = 1;
	p += 6;
	acpi_header(madt, "APIC", (uint32_t)(p - madt), 4);

	/* RSDT (5.2.7, 32-bit pointers) for ACPI 1.0 readers, XSDT (5.2.8)
	 * for everyone else. */
	put_le32(rsdt + ACPI_HDR_LEN, (uint32_t)ACPI_MADT_ADDR);
	acpi_header(rsdt, "RSDT", ACPI_HDR_LEN + 4, 1);
	put_le64(xsdt + ACPI_HDR_LEN, ACPI_MADT_ADDR);
	acpi_header(xsdt, "XSDT", ACPI_HDR_LEN + 8, 1);

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
