/* mptable_write(): MP floating pointer and configuration table (Intel MP
 * spec 1.4), parsed back the way a guest would. */
#include <errno.h>
#include "test_boot_common.h"

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* Find the floating pointer the way Linux does: 16-byte steps over the
 * BIOS area looking for "_MP_" with a good checksum. */
static uint8_t *find_fps(struct guest_mem *m)
{
	uint8_t *bios = tb_ptr(m, 0xf0000, 0x10000);

	for (size_t o = 0; o < 0x10000; o += 16)
		if (!memcmp(bios + o, "_MP_", 4) && !sum8(bios + o, 16 * bios[o + 8]))
			return bios + o;
	return NULL;
}

static void check_table(int ncpus)
{
	struct guest_mem *m = tb_mem(2 * MiB);
	uint8_t *fps, *cfg, *p;
	int cpus = 0, bsp = 0, ioapics = 0, buses = 0, ioints = 0, lints = 0;
	uint8_t pin_of[16];

	memset(pin_of, 0xff, sizeof(pin_of));
	assert_int_equal(mptable_write(m, ncpus), 0);
	fps = find_fps(m);
	assert_non_null(fps);
	assert_int_equal(fps[8], 1);
	assert_int_equal(fps[9], 4);
	assert_int_equal(fps[11], 0);     /* config table present */
	cfg = tb_ptr(m, get_le32(fps + 4), 44);
	assert_memory_equal(cfg, "PCMP", 4);
	cfg = tb_ptr(m, get_le32(fps + 4), get_le16(cfg + 4));
	assert_int_equal(sum8(cfg, get_le16(cfg + 4)), 0);
	assert_int_equal(cfg[6], 4);
	assert_int_equal(get_le32(cfg + 36), 0xfee00000);

	p = cfg + 44;
	for (int i = 0; i < get_le16(cfg + 34); i++) {
		assert_true(p < cfg + get_le16(cfg + 4));
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], cpus);
			assert_true(p[3] & 1);
			if (p[3] & 2) {
				assert_int_equal(p[1], 0);
				bsp++;
			}
			cpus++;
			p += 20;
			break;
		case 1:
			assert_memory_equal(p + 2, "ISA   ", 6);
			buses++;
			p += 8;
			break;
		case 2:
			assert_int_equal(p[1], ncpus);
			assert_int_equal(p[3] & 1, 1);
			assert_int_equal(get_le32(p + 4), 0xfec00000);
			ioapics++;
			p += 8;
			break;
		case 3:
			assert_int_equal(p[4], 0);
			assert_int_equal(p[6], ncpus);
			assert_true(p[5] < 16);
			pin_of[p[5]] = p[7];
			ioints++;
			p += 8;
			break;
		case 4:
			assert_int_equal(p[6], 0xff);
			assert_int_equal(p[1], lints == 0 ? 3 : 1);   /* ExtINT, then NMI */
			assert_int_equal(p[7], lints);                /* LINT0, LINT1 */
			lints++;
			p += 8;
			break;
		default:
			fail_msg("unknown MP entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, cfg + get_le16(cfg + 4));
	assert_int_equal(cpus, ncpus);
	assert_int_equal(bsp, 1);
	assert_int_equal(buses, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(lints, 2);
	assert_int_equal(ioints, 15);
	assert_int_equal(pin_of[0], 2);
	assert_int_equal(pin_of[2], 0xff);
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			assert_int_equal(pin_of[irq], irq);
	tb_mem_free(m);
}

static void test_mp_1(void **state) { check_table(1); }
static void test_mp_4(void **state) { check_table(4); }
static void test_mp_max(void **state) { check_table(254); }

static void test_mp_bad(void **state)
{
	struct guest_mem *m = tb_mem(2 * MiB);

	assert_int_equal(mptable_write(m, 0), -EINVAL);
	assert_int_equal(mptable_write(m, 255), -EINVAL);
	assert_int_equal(mptable_write(m, -3), -EINVAL);
	tb_mem_free(m);
	m = tb_mem(512 * KiB);
	assert_int_equal(mptable_write(m, 1), -EFAULT);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mp_1),
		cmocka_unit_test(test_mp_4),
		cmocka_unit_test(test_mp_max),
		cmocka_unit_test(test_mp_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
