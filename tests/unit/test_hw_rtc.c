/* CMOS RTC through ports 0x70/0x71 of a bare VM: host time in BCD and
 * binary, 12-hour mode, setting the clock, NVRAM and memory sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"

static struct vm the_vm;

static uint8_t cmos_read(uint8_t idx)
{
	uint8_t v = 0;

	assert_int_equal(bus_dispatch(&the_vm, BUS_PIO, 0x70, &idx, 1, true), 0);
	assert_int_equal(bus_dispatch(&the_vm, BUS_PIO, 0x71, &v, 1, false), 0);
	return v;
}

static void cmos_write(uint8_t idx, uint8_t v)
{
	assert_int_equal(bus_dispatch(&the_vm, BUS_PIO, 0x70, &idx, 1, true), 0);
	assert_int_equal(bus_dispatch(&the_vm, BUS_PIO, 0x71, &v, 1, true), 0);
}

static int setup_mem(uint64_t low, uint64_t high)
{
	memset(&the_vm, 0, sizeof(the_vm));
	the_vm.mem.nr = high ? 2 : 1;
	the_vm.mem.r[0].size = low;
	the_vm.mem.r[1].gpa = 4 * GiB;
	the_vm.mem.r[1].size = high;
	the_vm.mem.ram_size = low + high;
	return rtc_init(&the_vm);
}

static int setup(void **state)
{
	return setup_mem(256 * MiB, 0);
}

static int teardown(void **state)
{
	hw_exit(&the_vm);
	bus_free(&the_vm.bus[BUS_PIO]);
	return 0;
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 15);
}

/* Read the date and time the way Linux does: wait out UIP, read all
 * fields, and retry if the seconds moved meanwhile. */
static time_t cmos_time(int binary)
{
	struct tm tm;
	uint8_t sec;

	do {
		memset(&tm, 0, sizeof(tm));
		assert_false(cmos_read(0x0a) & 0x80);
		sec = cmos_read(0x00);
		tm.tm_min = (int)(binary ? cmos_read(0x02) : bcd(cmos_read(0x02)));
		tm.tm_hour = (int)(binary ? cmos_read(0x04) : bcd(cmos_read(0x04)));
		tm.tm_mday = (int)(binary ? cmos_read(0x07) : bcd(cmos_read(0x07)));
		tm.tm_mon = (int)(binary ? cmos_read(0x08) : bcd(cmos_read(0x08))) - 1;
		tm.tm_year = (int)(binary ? cmos_read(0x09) : bcd(cmos_read(0x09))) +
			     100 * (int)(binary ? cmos_read(0x32) : bcd(cmos_read(0x32))) - 1900;
	} while (sec != cmos_read(0x00));
	tm.tm_sec = (int)(binary ? sec : bcd(sec));
	return timegm(&tm);
}

static void test_bcd_time_matches_host(void **state)
{
	time_t host = time(NULL), guest;
	uint8_t b = cmos_read(0x0b);

	assert_int_equal(b & 0x06, 0x02);  /* BCD, 24-hour */
	guest = cmos_time(0);
	assert_true(guest >= host - 2 && guest <= host + 2);
	/* Every BCD digit is a decimal digit. */
	static const uint8_t regs[] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32 };
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		uint8_t v = cmos_read(regs[i]);
		assert_true((v & 15) <= 9 && (v >> 4) <= 9);
	}
	/* Day of week agrees with the date (Sunday = 1). */
	{
		struct tm tm;
		time_t t = guest;
		gmtime_r(&t, &tm);
		assert_int_equal(bcd(cmos_read(0x06)), tm.tm_wday + 1);
	}
}

static void test_binary_mode(void **state)
{
	time_t host = time(NULL), guest;

	cmos_write(0x0b, 0x06);            /* binary, 24-hour */
	assert_int_equal(cmos_read(0x0b), 0x06);
	guest = cmos_time(1);
	assert_true(guest >= host - 2 && guest <= host + 2);
	{
		struct tm tm;
		gmtime_r(&guest, &tm);
		assert_int_equal(cmos_read(0x32), (tm.tm_year + 1900) / 100);
	}
}

static void test_12_hour_mode(void **state)
{
	/* Set 15:30 in 24-hour BCD, then read it in 12-hour mode. */
	cmos_write(0x04, 0x15);
	cmos_write(0x0b, 0x00);            /* BCD, 12-hour */
	assert_int_equal(cmos_read(0x04), 0x83);  /* 3 PM */
	cmos_write(0x04, 0x12);            /* 12 AM = midnight */
	cmos_write(0x0b, 0x02);
	assert_int_equal(cmos_read(0x04), 0x00);
}

static void test_guest_sets_clock(void **state)
{
	time_t t;
	struct tm tm;

	cmos_write(0x0b, 0x82);            /* SET while loading */
	cmos_write(0x32, 0x19);
	cmos_write(0x09, 0x99);
	cmos_write(0x08, 0x12);
	cmos_write(0x07, 0x31);
	cmos_write(0x04, 0x23);
	cmos_write(0x02, 0x59);
	cmos_write(0x00, 0x30);
	cmos_write(0x0b, 0x02);
	t = cmos_time(0);
	gmtime_r(&t, &tm);
	assert_int_equal(tm.tm_year, 99);
	assert_int_equal(tm.tm_mon, 11);
	assert_int_equal(tm.tm_mday, 31);
	assert_int_equal(tm.tm_hour, 23);
	assert_int_equal(tm.tm_min, 59);
	assert_true(tm.tm_sec >= 30 && tm.tm_sec <= 32);
}

static void test_status_registers_and_nvram(void **state)
{
	assert_int_equal(cmos_read(0x0a), 0x26);
	cmos_write(0x0a, 0xa6);            /* UIP is read-only */
	assert_int_equal(cmos_read(0x0a), 0x26);
	assert_int_equal(cmos_read(0x0d), 0x80);  /* valid RAM and time */
	cmos_write(0x0d, 0x00);
	assert_int_equal(cmos_read(0x0d), 0x80);
	/* NVRAM keeps what it is given; bit 7 of the index is the NMI mask. */
	cmos_write(0x0f, 0x0a);
	cmos_write(0x80 | 0x40, 0x5a);
	assert_int_equal(cmos_read(0x0f), 0x0a);
	assert_int_equal(cmos_read(0x40), 0x5a);
	assert_int_equal(cmos_read(0xc0), 0x5a);
	/* Register C reads clear it: two reads in the same second differ. */
	(void)cmos_read(0x0c);
	assert_int_equal(cmos_read(0x0c) & 0x10, 0);
}

static void test_memory_sizes_low(void **state)
{
	/* 256 MiB: 255 MiB above 1 MiB in KiB, 240 MiB above 16 MiB in 64K. */
	assert_int_equal(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
	assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff);
	assert_int_equal(cmos_read(0x30) | cmos_read(0x31) << 8, 0xffff);
	assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, 240 * 16);
	assert_int_equal(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16, 0);
}

static void test_memory_sizes_high(void **state)
{
	teardown(state);
	assert_int_equal(setup_mem(3 * GiB, 5 * GiB), 0);
	/* Below 4 GiB only: (3 GiB - 16 MiB) in 64 KiB units. */
	assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, 0xbf00);
	assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff);  /* capped */
	assert_int_equal(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16,
			 (int)(5 * GiB / (64 * KiB)));
	teardown(state);
	assert_int_equal(setup_mem(8 * MiB, 0), 0);
	assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 7 * 1024);
	assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bcd_time_matches_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_hour_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_sets_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_registers_and_nvram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_sizes_low, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_sizes_high, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
