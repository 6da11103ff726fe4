/* CMOS RTC through ports 0x70/0x71 of a bare VM: host time in BCD and
 * binary, 12-hour mode, setting the clock, NVRAM and memory sizes; the
 * update-ended, periodic and alarm flags in register C, UIP, SET, and the
 * IRQ 8 level seen through a fake accelerator, with and without an event
 * loop driving the RTC's timer. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/loop.h"
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

/* The fake accelerator: what the RTC drives on its line. */
static atomic_int irq_level, irq_rises, irq_bad_gsi;

static int fake_irq_line(struct vm *vm, unsigned gsi, int level)
{
	if (gsi != 8)
		atomic_store(&irq_bad_gsi, 1);
	if (level && !atomic_load(&irq_level))
		atomic_fetch_add(&irq_rises, 1);
	atomic_store(&irq_level, level);
	return 0;
}

static const struct accel_ops fake_accel = { .name = "fake", .irq_line = fake_irq_line };

static int setup_mem(uint64_t low, uint64_t high)
{
	memset(&the_vm, 0, sizeof(the_vm));
	the_vm.accel = &fake_accel;
	atomic_store(&irq_level, 0);
	atomic_store(&irq_rises, 0);
	atomic_store(&irq_bad_gsi, 0);
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
		while (cmos_read(0x0a) & 0x80)
			;
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
	/* SET holds updates, so UIP cannot be caught high by chance. */
	cmos_write(0x0b, 0x82);
	assert_int_equal(cmos_read(0x0a), 0x26);
	cmos_write(0x0a, 0xa6);            /* UIP is read-only */
	assert_int_equal(cmos_read(0x0a), 0x26);
	cmos_write(0x0b, 0x02);
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Poll register A (any access brings the RTC up to date, the way a guest
 * polling UIP would) until IRQ 8 rises; returns the seconds it took. */
static double wait_irq_polling(double limit)
{
	double t0 = now_s();

	while (!atomic_load(&irq_level) && now_s() - t0 < limit)
		(void)cmos_read(0x0a);
	return now_s() - t0;
}

/* Without touching the RTC: only its timer in the event loop can raise
 * the line. */
static double wait_irq_sleeping(double limit)
{
	double t0 = now_s();

	while (!atomic_load(&irq_level) && now_s() - t0 < limit)
		sleep_ms(1);
	return now_s() - t0;
}

static void test_update_interrupt(void **state)
{
	uint8_t c;

	cmos_write(0x0b, 0x12);            /* UIE, 24-hour BCD */
	(void)cmos_read(0x0c);
	assert_true(wait_irq_polling(1.5) < 1.3);
	assert_int_equal(atomic_load(&irq_level), 1);
	c = cmos_read(0x0c);
	assert_int_equal(c & 0x90, 0x90);  /* IRQF | UF */
	assert_int_equal(c & 0x20, 0);     /* no alarm matched: AF clear */
	/* Reading C dropped the line and cleared the flags. */
	assert_int_equal(atomic_load(&irq_level), 0);
	c = cmos_read(0x0c);
	assert_int_equal(c & 0x90, 0);
	assert_int_equal(atomic_load(&irq_bad_gsi), 0);
	/* The flag is set with the interrupt disabled too, without IRQF. */
	cmos_write(0x0b, 0x02);
	{
		double t0 = now_s();
		do
			c = cmos_read(0x0c);
		while (!(c & 0x10) && now_s() - t0 < 1.2);
		assert_true(now_s() - t0 < 1.1);
		assert_int_equal(c & 0x80, 0);
	}
	/* Enabling UIE with UF pending raises IRQF at once. */
	sleep_ms(1100);
	cmos_write(0x0b, 0x12);
	assert_int_equal(atomic_load(&irq_level), 1);
	assert_int_equal(atomic_load(&irq_rises), 2);
}

/* Read C (which clears it) as fast as we can for secs and count the
 * reads that show PF, and check the count against the rate without
 * trusting the scheduler: between two reads at most one PF shows however
 * many ticks passed, so a read gap g can hide up to floor(g * hz) ticks.
 * With t the span of the reads, ticks in it number floor(t * hz) to
 * floor(t * hz) + 1; the count lies between that less the hidden ones
 * and that. On an idle host the gaps are far below a period and the
 * bounds are tight; on a busy one the lower bound loosens honestly. */
static void check_pf_rate(double hz, double secs)
{
	double t0 = now_s(), prev_before = 0, first_before = 0, first_after = 0;
	double last_before = 0, last_after = 0;
	int n = 0, hidden = 0, reads = 0;

	(void)cmos_read(0x0c);
	while (now_s() - t0 < secs) {
		double before = now_s(), after;
		uint8_t c = cmos_read(0x0c);

		after = now_s();
		if (reads++ == 0) {
			first_before = before;
			first_after = after;
		} else {
			if (c & 0x40)
				n++;
			hidden += (int)((after - prev_before) * hz);
		}
		prev_before = before;
		last_before = before;
		last_after = after;
	}
	{
		/* The span from the first read to the last is at least
		 * last_before - first_after and at most last_after -
		 * first_before. */
		int lo = (int)((last_before - first_after) * hz) - hidden;
		int hi = (int)((last_after - first_before) * hz) + 1;

		if (hz == 0)
			lo = hi = 0;
		print_message("PF at %.0f Hz: %d in %.3f s (bounds %d..%d)\n", hz, n,
			      last_before - first_after, lo, hi);
		assert_true(n >= lo && n <= hi);
		/* Not vacuous on a host that lets us run at all. */
		if (hz >= 2 && hidden < (int)(secs * hz) / 2)
			assert_true(n >= 1);
	}
}

static void test_periodic_flag_rate(void **state)
{
	/* Register A RS=6 (the PC default): 1024 Hz; RS=10: 64 Hz; RS=15:
	 * 2 Hz; RS=0: none (datasheet Table 3). */
	check_pf_rate(1024, 0.3);
	cmos_write(0x0a, 0x2a);
	check_pf_rate(64, 0.3);
	cmos_write(0x0a, 0x2f);
	check_pf_rate(2, 0.3);
	cmos_write(0x0a, 0x20);
	check_pf_rate(0, 0.2);
	/* With the divider held in reset there are no ticks either. */
	cmos_write(0x0a, 0x76);
	check_pf_rate(0, 0.1);
	assert_int_equal(atomic_load(&irq_rises), 0);  /* PIE was never on */
}

static void test_alarm(void **state)
{
	uint8_t c;

	/* Load 12:00:01 with SET, alarm at 12:00:02, then let it run. */
	cmos_write(0x0b, 0x82);
	cmos_write(0x04, 0x12);
	cmos_write(0x02, 0x00);
	cmos_write(0x00, 0x01);
	cmos_write(0x05, 0x12);
	cmos_write(0x03, 0x00);
	cmos_write(0x01, 0x02);
	cmos_write(0x0b, 0x22);            /* AIE, 24-hour BCD */
	(void)cmos_read(0x0c);
	assert_true(wait_irq_polling(1.5) < 1.3);
	assert_int_equal(cmos_read(0x00), 0x02);
	c = cmos_read(0x0c);
	assert_int_equal(c & 0xb0, 0xb0);  /* IRQF | AF | UF */
	assert_int_equal(atomic_load(&irq_level), 0);
	/* 12:00:03 does not match: UF only, no interrupt. */
	sleep_ms(1050);
	c = cmos_read(0x0c);
	assert_int_equal(c & 0xb0, 0x10);
	assert_int_equal(atomic_load(&irq_rises), 1);
	/* "Don't care" (0xC0-0xFF) in all three: every second matches. */
	cmos_write(0x01, 0xc0);
	cmos_write(0x03, 0xff);
	cmos_write(0x05, 0xd5);
	assert_true(wait_irq_polling(1.5) < 1.3);
	assert_int_equal(cmos_read(0x0c) & 0xa0, 0xa0);
}

static void test_set_freezes_updates(void **state)
{
	double t0;
	uint8_t c;

	cmos_write(0x0b, 0x82);            /* SET */
	cmos_write(0x00, 0x10);
	(void)cmos_read(0x0c);
	t0 = now_s();
	while (now_s() - t0 < 1.2) {
		assert_int_equal(cmos_read(0x00), 0x10);
		assert_int_equal(cmos_read(0x0a) & 0x80, 0);  /* no UIP either */
	}
	assert_int_equal(cmos_read(0x0c) & 0x10, 0);
	/* SET also clears UIE (datasheet): writing both leaves UIE off. */
	cmos_write(0x0b, 0x92);
	assert_int_equal(cmos_read(0x0b), 0x82);
	/* Cleared, the clock counts on from what was loaded. */
	cmos_write(0x0b, 0x02);
	t0 = now_s();
	while (cmos_read(0x00) == 0x10 && now_s() - t0 < 1.2)
		;
	assert_true(now_s() - t0 < 1.1);
	assert_int_equal(cmos_read(0x00), 0x11);
	assert_int_equal(cmos_read(0x0c) & 0x10, 0x10);
	/* Out of divider reset, the first update comes half a second later
	 * (datasheet, DV2-DV0). */
	cmos_write(0x0a, 0x76);
	cmos_write(0x0a, 0x26);
	t0 = now_s();
	(void)cmos_read(0x0c);
	do
		c = cmos_read(0x0c);
	while (!(c & 0x10) && now_s() - t0 < 1.2);
	/* Never early; late only by how slowly a busy host lets us poll. */
	assert_true(now_s() - t0 > 0.49);
	assert_true(now_s() - t0 < 0.7);
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void test_uip(void **state)
{
	int seen = 0, conclusive = 0;
	int64_t update_at = 0;

	/* UIP is high for the last 244 µs before each update, and a fresh
	 * RTC's seconds turn with the host's CLOCK_REALTIME ones. Sleep to
	 * 1 ms before a host second and spin through it (a task that has
	 * just woken keeps the CPU a while even on a busy host), timing each
	 * read of A: a read wholly inside a window must see UIP, one wholly
	 * outside must not. */
	for (int i = 0; i < 5 && !seen; i++) {
		struct timespec ts;
		int64_t end;

		clock_gettime(CLOCK_REALTIME, &ts);
		if (ts.tv_nsec >= 999000000)
			ts.tv_sec++;
		ts.tv_nsec = 999000000;
		clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
		end = (int64_t)ts.tv_sec * 1000000000 + 1001000000;
		while (!seen && real_ns() < end) {
			int64_t before = real_ns(), after, next_sec;
			int uip = cmos_read(0x0a) & 0x80;

			after = real_ns();
			next_sec = (before / 1000000000 + 1) * 1000000000;
			if (uip) {
				seen = 1;
				update_at = next_sec;
			}
			if (before >= next_sec - 244000 && after < next_sec) {
				conclusive = 1;
				assert_true(uip);
			} else if (after < next_sec - 244000) {
				assert_false(uip);
			}
		}
	}
	if (!seen && !conclusive)
		skip();  /* the host never let us run through a window */
	assert_true(seen);
	/* Then the update ends and sets UF: clear C while UIP is still up
	 * (if we still are in time), wait past the second, and look. */
	(void)cmos_read(0x0c);
	if (real_ns() < update_at) {
		while (real_ns() < update_at)
			;
		assert_int_equal(cmos_read(0x0c) & 0x10, 0x10);
	}
}

/* The same with an event loop: the RTC's own timer raises IRQ 8 while
 * nobody touches the chip. */
static struct loop *loop;
static pthread_t loop_thread;

static void *loop_main(void *arg)
{
	loop_run(arg);
	return NULL;
}

static int setup_loop(void **state)
{
	memset(&the_vm, 0, sizeof(the_vm));
	the_vm.accel = &fake_accel;
	atomic_store(&irq_level, 0);
	atomic_store(&irq_rises, 0);
	atomic_store(&irq_bad_gsi, 0);
	the_vm.mem.nr = 1;
	the_vm.mem.r[0].size = 64 * MiB;
	the_vm.mem.ram_size = 64 * MiB;
	loop = loop_new();
	assert_non_null(loop);
	the_vm.loop = loop;
	assert_int_equal(rtc_init(&the_vm), 0);
	assert_int_equal(pthread_create(&loop_thread, NULL, loop_main, loop), 0);
	return 0;
}

static int teardown_loop(void **state)
{
	loop_stop(loop);
	pthread_join(loop_thread, NULL);
	teardown(state);
	loop_free(loop);
	return 0;
}

/* Whether any timerfd of this process is armed, from /proc/self/fdinfo
 * ("it_value: (0, 0)" when disarmed). The RTC's is the only one here. */
static int timerfd_armed(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int armed = 0, timers = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], target[64], line[128];
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (!strstr(target, "timerfd"))
			continue;
		timers++;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "it_value:", 9) && !strstr(line, "(0, 0)"))
				armed = 1;
		fclose(f);
	}
	closedir(d);
	assert_int_equal(timers, 1);
	return armed;
}

static void test_timer_update_interrupt(void **state)
{
	/* Nothing enabled: no interrupt however long we wait, and no host
	 * timer either (an idle guest costs no host CPU). */
	assert_int_equal(timerfd_armed(), 0);
	sleep_ms(1100);
	assert_int_equal(atomic_load(&irq_rises), 0);
	assert_int_equal(timerfd_armed(), 0);
	/* Clear the UF that is pending by now first: enabling UIE with it
	 * set would raise the line at once. */
	(void)cmos_read(0x0c);
	cmos_write(0x0b, 0x12);            /* UIE */
	assert_true(wait_irq_sleeping(1.5) < 1.3);
	/* The line stays up until the "handler" reads C; until then the
	 * timer has nothing to do and stays off. */
	sleep_ms(50);
	assert_int_equal(atomic_load(&irq_level), 1);
	assert_int_equal(timerfd_armed(), 0);
	assert_int_equal(cmos_read(0x0c) & 0x90, 0x90);
	assert_int_equal(atomic_load(&irq_level), 0);
	assert_int_equal(timerfd_armed(), 1);
	assert_true(wait_irq_sleeping(1.5) < 1.3);
	assert_int_equal(atomic_load(&irq_rises), 2);
	assert_int_equal(atomic_load(&irq_bad_gsi), 0);
}

/* Act as the guest's handler: read C whenever the line is up. */
static int count_periodic_irqs(double secs)
{
	double t0 = now_s();
	int n0 = atomic_load(&irq_rises);

	(void)cmos_read(0x0c);
	while (now_s() - t0 < secs)
		if (atomic_load(&irq_level))
			assert_int_equal(cmos_read(0x0c) & 0xc0, 0xc0);
	return atomic_load(&irq_rises) - n0;
}

static void test_timer_periodic_interrupt(void **state)
{
	int n;

	cmos_write(0x0a, 0x2a);            /* RS=10: 64 Hz */
	cmos_write(0x0b, 0x42);            /* PIE */
	n = count_periodic_irqs(0.3);
	assert_in_range(n, 15, 21);
	/* RS=3 asks for 8192 Hz: the host timer stays at 1024 Hz or less
	 * and the ticks coalesce in PF. */
	cmos_write(0x0a, 0x23);
	n = count_periodic_irqs(0.3);
	assert_in_range(n, 10, 310);
	/* PIE off: no more interrupts, and no host timer. */
	cmos_write(0x0b, 0x02);
	(void)cmos_read(0x0c);
	assert_int_equal(timerfd_armed(), 0);
	n = atomic_load(&irq_rises);
	sleep_ms(100);
	assert_int_equal(atomic_load(&irq_rises), n);
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
		cmocka_unit_test_setup_teardown(test_update_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic_flag_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_freezes_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_update_interrupt, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_timer_periodic_interrupt, setup_loop, teardown_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
