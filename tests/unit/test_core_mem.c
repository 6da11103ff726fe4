/* Guest memory layout around the PCI hole and the bounds checks every
 * guest-supplied address goes through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>
#include "ringvm/memory.h"
#include "ringvm/util.h"

static void test_small(void **state)
{
	struct guest_mem m;
	uint32_t v = 0x12345678, r = 0;

	assert_int_equal(mem_init(&m, 256 * MiB), 0);
	assert_int_equal(m.nr, 1);
	assert_int_equal(mem_low_end(&m), 256 * MiB);
	assert_non_null(mem_ptr(&m, 0, 256 * MiB));
	assert_null(mem_ptr(&m, 0, 256 * MiB + 1));
	assert_null(mem_ptr(&m, 256 * MiB - 4, 8));        /* straddles the end */
	assert_null(mem_ptr(&m, ~0ULL - 2, 8));            /* would wrap */
	assert_null(mem_ptr(&m, 4, ~0ULL));
	assert_int_equal(mem_write(&m, 0x1000, &v, 4), 0);
	assert_int_equal(mem_read(&m, 0x1000, &r, 4), 0);
	assert_int_equal(r, v);
	assert_int_equal(mem_write(&m, 256 * MiB - 2, &v, 4), -EFAULT);
	mem_exit(&m);
}

static void test_hole(void **state)
{
	struct guest_mem m;

	assert_int_equal(mem_init(&m, 5 * GiB), 0);
	assert_int_equal(m.nr, 2);
	assert_int_equal(mem_low_end(&m), MEM_HOLE_START);
	assert_int_equal(m.r[1].gpa, MEM_HOLE_END);
	assert_int_equal(m.r[1].size, 5 * GiB - MEM_HOLE_START);
	assert_non_null(mem_ptr(&m, MEM_HOLE_START - 8, 8));
	assert_null(mem_ptr(&m, MEM_HOLE_START - 4, 8));   /* runs into the hole */
	assert_null(mem_ptr(&m, 0xfee00000, 4));           /* LAPIC: not RAM */
	assert_non_null(mem_ptr(&m, MEM_HOLE_END, 4096));
	assert_non_null(mem_ptr(&m, MEM_HOLE_END + m.r[1].size - 1, 1));
	assert_null(mem_ptr(&m, MEM_HOLE_END + m.r[1].size, 1));
	/* The high region maps right after the low one in the host buffer. */
	assert_ptr_equal(mem_ptr(&m, MEM_HOLE_END, 1), m.host + MEM_HOLE_START);
	mem_exit(&m);
}

static void test_bad_sizes(void **state)
{
	struct guest_mem m;

	assert_int_equal(mem_init(&m, 0), -EINVAL);
	assert_int_equal(mem_init(&m, 4097), -EINVAL);
}

static void test_parse_size(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size("256M", &v), 0);
	assert_int_equal(v, 256 * MiB);
	assert_int_equal(parse_size("2G", &v), 0);
	assert_int_equal(v, 2 * GiB);
	assert_int_equal(parse_size("4096k", &v), 0);
	assert_int_equal(v, 4 * MiB);
	assert_int_equal(parse_size("65536", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("1MiB", &v), 0);
	assert_int_equal(v, MiB);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("-1M", &v), -EINVAL);
	assert_int_equal(parse_size("12X", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999G", &v), -EINVAL);
	assert_int_equal(parse_size("18446744073709551615G", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_hole),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_parse_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
