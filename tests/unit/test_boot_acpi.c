/* acpi_write(): RSDP/RSDT/XSDT/MADT/FADT/FACS/DSDT, found and parsed the
 * way an OS does (ACPI 6.5, 5.2.5.1 "Finding the RSDP on IA-PC Systems"). */
#include <errno.h>
#include "ringvm/acpi.h"
#include "test_boot_common.h"

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static uint8_t *find_rsdp(struct guest_mem *m)
{
	uint8_t *bios = tb_ptr(m, 0xe0000, 0x20000);

	for (size_t o = 0; o < 0x20000; o += 16)
		if (!memcmp(bios + o, "RSD PTR ", 8) && !sum8(bios + o, 20))
			return bios + o;
	return NULL;
}

/* A table by physical address, with its checksum verified. */
static uint8_t *table(struct guest_mem *m, uint64_t pa, const char *sig)
{
	uint8_t *t = tb_ptr(m, pa, 36);

	assert_memory_equal(t, sig, 4);
	t = tb_ptr(m, pa, get_le32(t + 4));
	assert_int_equal(sum8(t, get_le32(t + 4)), 0);
	return t;
}

/* FADT (5.2.9): the fixed hardware where src/hw/acpi-pm.c has it, the
 * FACS and a DSDT whose AML defines \\_S5 with ringvm's SLP_TYP. */
static void check_fadt(struct guest_mem *m, uint64_t pa)
{
	uint8_t *fadt = table(m, pa, "FACP"), *facs, *dsdt;
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0, 0 };

	assert_int_equal(get_le32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(get_le16(fadt + 46), ACPI_SCI_GSI);
	assert_int_equal(get_le32(fadt + 48), 0);          /* no SMI_CMD: ACPI mode */
	assert_int_equal(get_le32(fadt + 56), ACPI_PM1_EVT_BLK);
	assert_int_equal(get_le32(fadt + 64), ACPI_PM1_CNT_BLK);
	assert_int_equal(get_le32(fadt + 76), ACPI_PM_TMR_BLK);
	assert_int_equal(get_le32(fadt + 80), ACPI_GPE0_BLK);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 4);
	assert_int_equal(get_le32(fadt + 112) & (1u << 4), 0);   /* fixed power button */
	assert_int_equal(get_le32(fadt + 112) & (1u << 10), 1u << 10); /* RESET_REG_SUP */
	assert_int_equal(fadt[116], 1);                          /* System I/O */
	assert_int_equal(get_le64(fadt + 120), ACPI_RESET_PORT);
	assert_int_equal(fadt[128], ACPI_RESET_VALUE);
	facs = tb_ptr(m, get_le32(fadt + 36), 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(get_le32(fadt + 36) % 64, 0);
	dsdt = table(m, get_le32(fadt + 40), "DSDT");
	assert_int_equal(get_le32(dsdt + 4), 36 + sizeof(s5));
	assert_memory_equal(dsdt + 36, s5, sizeof(s5));
	assert_true(get_le32(fadt + 40) + get_le32(dsdt + 4) <= 0xf0000);
}

static void check_acpi(int ncpus)
{
	struct guest_mem *m = tb_mem(2 * MiB);
	uint8_t *rsdp, *xsdt, *rsdt, *madt, *p, *end;
	int cpus = 0, ioapics = 0, isos = 0, nmis = 0;

	assert_int_equal(acpi_write(m, ncpus), 0);
	rsdp = find_rsdp(m);
	assert_non_null(rsdp);
	assert_ptr_equal(rsdp, tb_ptr(m, ACPI_RSDP_ADDR, 36));
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(get_le32(rsdp + 20), 36);
	assert_int_equal(sum8(rsdp, 36), 0);

	xsdt = table(m, get_le64(rsdp + 24), "XSDT");
	rsdt = table(m, get_le32(rsdp + 16), "RSDT");
	assert_int_equal(get_le32(xsdt + 4), 36 + 16);
	assert_int_equal(get_le32(rsdt + 4), 36 + 8);
	assert_int_equal(get_le64(xsdt + 36), get_le32(rsdt + 36));
	assert_int_equal(get_le64(xsdt + 44), get_le32(rsdt + 40));
	check_fadt(m, get_le64(xsdt + 44));
	madt = table(m, get_le64(xsdt + 36), "APIC");
	/* Every table stays inside the reserved BIOS area. */
	assert_true(get_le64(xsdt + 36) + get_le32(madt + 4) <= 0xf0000);

	assert_int_equal(get_le32(madt + 36), 0xfee00000);
	assert_int_equal(get_le32(madt + 40) & 1, 1);
	end = madt + get_le32(madt + 4);
	for (p = madt + 44; p < end; p += p[1]) {
		assert_true(p[1] >= 2 && p + p[1] <= end);
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], 8);
			assert_int_equal(p[3], cpus);
			assert_int_equal(get_le32(p + 4) & 1, 1);
			cpus++;
			break;
		case 1:
			assert_int_equal(p[2], ncpus);
			assert_int_equal(get_le32(p + 4), 0xfec00000);
			assert_int_equal(get_le32(p + 8), 0);
			ioapics++;
			break;
		case 2:
			if (p[3] == 0) {               /* IRQ0 -> GSI 2, ISA flags */
				assert_int_equal(get_le32(p + 4), 2);
				assert_int_equal(get_le16(p + 8), 0);
			} else {                       /* the SCI: level, active high */
				assert_int_equal(p[3], ACPI_SCI_GSI);
				assert_int_equal(get_le32(p + 4), ACPI_SCI_GSI);
				assert_int_equal(get_le16(p + 8), 0x000d);
			}
			isos++;
			break;
		case 4:
			assert_int_equal(p[2], 0xff);
			assert_int_equal(p[5], 1);
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(cpus, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
	tb_mem_free(m);
}

static void test_acpi_1(void **state) { check_acpi(1); }
static void test_acpi_8(void **state) { check_acpi(8); }
static void test_acpi_max(void **state) { check_acpi(254); }

static void test_acpi_bad(void **state)
{
	struct guest_mem *m = tb_mem(2 * MiB);

	assert_int_equal(acpi_write(m, 0), -EINVAL);
	assert_int_equal(acpi_write(m, 255), -EINVAL);
	tb_mem_free(m);
	m = tb_mem(512 * KiB);
	assert_int_equal(acpi_write(m, 1), -EFAULT);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_1),
		cmocka_unit_test(test_acpi_8),
		cmocka_unit_test(test_acpi_max),
		cmocka_unit_test(test_acpi_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
