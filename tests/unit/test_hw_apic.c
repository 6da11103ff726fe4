/* The emulated IOAPIC and local APICs: redirection, edge/level with remote
 * IRR and EOI, TPR/PPR priority, IPIs (fixed, logical, INIT/SIPI/NMI),
 * ESR, LVT masking, the PIC through LINT0 ExtINT, MSRs, and the APIC timer
 * in one-shot, periodic and TSC-deadline modes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <errno.h>
#include <sys/epoll.h>
#include <cmocka.h>
#include "ringvm/platform.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

static struct vm vm;
static struct platform *plat;
static bool intr[2];
static int events[3], last_event_cpu, last_sipi;

static void on_notify(void *opaque, int cpu, bool pending)
{
	assert_true(cpu >= 0 && cpu < 2);
	intr[cpu] = pending;
}

static void on_event(void *opaque, int cpu, enum platform_cpu_event ev, uint8_t vector)
{
	events[ev]++;
	last_event_cpu = cpu;
	if (ev == PLATFORM_EV_SIPI)
		last_sipi = vector;
}

static void mmio_w(uint64_t addr, uint32_t v)
{
	assert_int_equal(bus_dispatch(&vm, BUS_MMIO, addr, &v, 4, true), 0);
}

static uint32_t mmio_r(uint64_t addr)
{
	uint32_t v = 0;

	assert_int_equal(bus_dispatch(&vm, BUS_MMIO, addr, &v, 4, false), 0);
	return v;
}

static void apic_w(int cpu, uint32_t reg, uint32_t v)
{
	platform_set_thread_cpu(cpu);
	mmio_w(LAPIC_BASE + reg, v);
}

static uint32_t apic_r(int cpu, uint32_t reg)
{
	platform_set_thread_cpu(cpu);
	return mmio_r(LAPIC_BASE + reg);
}

static void io_w(uint8_t reg, uint32_t v)
{
	mmio_w(IOAPIC_BASE, reg);
	mmio_w(IOAPIC_BASE + 0x10, v);
}

static uint32_t io_r(uint8_t reg)
{
	mmio_w(IOAPIC_BASE, reg);
	return mmio_r(IOAPIC_BASE + 0x10);
}

static void outb(uint16_t port, uint8_t v)
{
	assert_int_equal(bus_dispatch(&vm, BUS_PIO, port, &v, 1, true), 0);
}

static void redirect(unsigned pin, uint32_t lo, uint8_t dest)
{
	io_w((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
	io_w((uint8_t)(0x10 + 2 * pin), lo);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.ncpus = 2;
	plat = platform_new(&vm);
	if (!plat)
		return -1;
	platform_set_notify(plat, on_notify, NULL);
	platform_set_event_handler(plat, on_event, NULL);
	memset(intr, 0, sizeof(intr));
	memset(events, 0, sizeof(events));
	last_event_cpu = last_sipi = -1;
	/* Software-enable both APICs, spurious vector 0xff. */
	apic_w(0, 0xf0, 0x1ff);
	apic_w(1, 0xf0, 0x1ff);
	return 0;
}

static int teardown(void **state)
{
	platform_set_thread_cpu(0);
	platform_free(plat);
	for (int i = 0; i < BUS_NR; i++)
		bus_free(&vm.bus[i]);
	return 0;
}

static void test_ioapic_registers(void **state)
{
	assert_int_equal(io_r(0x01), 0x00170011);        /* 24 pins, 82093AA */
	assert_int_equal(io_r(0x00), 2u << 24);          /* ID after 2 CPUs */
	assert_int_equal(io_r(0x10), 0x00010000);        /* masked at reset */
	/* RO bits (delivery status, remote IRR) ignore writes. */
	io_w(0x10, 0x0000f0ff);
	assert_int_equal(io_r(0x10), 0x0000a0ff);
	io_w(0x11, 0xff000000);
	assert_int_equal(io_r(0x11), 0xff000000);
}

static void test_ioapic_edge_to_lapic(void **state)
{
	redirect(4, 0x41, 0);
	platform_set_irq(plat, 4, 1);
	platform_set_irq(plat, 4, 0);
	assert_true(intr[0]);
	assert_false(intr[1]);
	assert_int_equal(apic_r(0, 0x200 + 0x20), 1u << 1);  /* IRR 0x41 */
	assert_int_equal(platform_intr_ack(plat, 0), 0x41);
	assert_false(intr[0]);
	assert_int_equal(apic_r(0, 0x100 + 0x20), 1u << 1);  /* ISR 0x41 */
	apic_w(0, 0xb0, 0);
	assert_int_equal(apic_r(0, 0x100 + 0x20), 0);
	/* To cpu 1 by physical ID. */
	redirect(5, 0x42, 1);
	platform_set_irq(plat, 5, 1);
	assert_true(intr[1]);
	assert_int_equal(platform_intr_ack(plat, 1), 0x42);
	/* The PIT's IRQ0 arrives on pin 2. */
	redirect(2, 0x30, 0);
	platform_set_irq(plat, 0, 1);
	platform_set_irq(plat, 0, 0);
	assert_int_equal(platform_intr_ack(plat, 0), 0x30);
}

static void test_ioapic_level_remote_irr(void **state)
{
	redirect(10, 0x8000 | 0x52, 0);              /* level */
	platform_set_irq(plat, 10, 1);
	assert_int_equal(platform_intr_ack(plat, 0), 0x52);
	assert_true(io_r(0x10 + 20) & 0x4000);       /* remote IRR */
	assert_int_equal(apic_r(0, 0x180 + 0x20), 1u << 0x12);   /* TMR */
	/* EOI while still asserted: delivered again. */
	apic_w(0, 0xb0, 0);
	assert_true(intr[0]);
	assert_int_equal(platform_intr_ack(plat, 0), 0x52);
	platform_set_irq(plat, 10, 0);
	apic_w(0, 0xb0, 0);
	assert_false(io_r(0x10 + 20) & 0x4000);
	assert_false(intr[0]);
	/* Nobody has APIC ID 5: no remote IRR that no EOI would clear. */
	redirect(11, 0x8000 | 0x53, 5);
	platform_set_irq(plat, 11, 1);
	assert_false(io_r(0x10 + 22) & 0x4000);
	assert_false(intr[0]);
	redirect(11, 0x8000 | 0x53, 1);           /* retargeted: delivered */
	assert_true(intr[1]);
	assert_true(io_r(0x10 + 22) & 0x4000);
}

static void test_ioapic_mask(void **state)
{
	redirect(7, 0x10000 | 0x47, 0);               /* masked edge */
	platform_set_irq(plat, 7, 1);
	platform_set_irq(plat, 7, 0);
	redirect(7, 0x47, 0);
	assert_false(intr[0]);                        /* the edge is lost */
	redirect(8, 0x10000 | 0x8000 | 0x48, 0);      /* masked level */
	platform_set_irq(plat, 8, 1);
	assert_false(intr[0]);
	redirect(8, 0x8000 | 0x48, 0);
	assert_true(intr[0]);                         /* level delivered on unmask */
	assert_int_equal(platform_intr_ack(plat, 0), 0x48);
}

static void test_priority_tpr_ppr(void **state)
{
	redirect(3, 0x41, 0);
	apic_w(0, 0x80, 0x50);
	platform_set_irq(plat, 3, 1);
	platform_set_irq(plat, 3, 0);
	assert_false(intr[0]);                 /* class 4 <= TPR class 5 */
	assert_int_equal(apic_r(0, 0xa0), 0x50);
	apic_w(0, 0x80, 0x00);
	assert_true(intr[0]);
	assert_int_equal(platform_intr_ack(plat, 0), 0x41);
	assert_int_equal(apic_r(0, 0xa0), 0x40);          /* PPR from ISR */
	/* Same class is held back, a higher class nests. */
	redirect(4, 0x45, 0);
	platform_set_irq(plat, 4, 1);
	assert_false(intr[0]);
	redirect(5, 0x61, 0);
	platform_set_irq(plat, 5, 1);
	assert_true(intr[0]);
	assert_int_equal(platform_intr_ack(plat, 0), 0x61);
	apic_w(0, 0xb0, 0);                    /* EOI ends 0x61, the highest */
	assert_int_equal(apic_r(0, 0x100 + 0x20), 1u << 1);
	apic_w(0, 0xb0, 0);
	assert_int_equal(platform_intr_ack(plat, 0), 0x45);
	/* CR8 is TPR[7:4]. */
	platform_set_cr8(plat, 0, 0x9);
	assert_int_equal(apic_r(0, 0x80), 0x90);
	assert_int_equal(platform_get_cr8(plat, 0), 0x9);
}

static void test_ipis(void **state)
{
	/* Self IPI through the shorthand. */
	apic_w(0, 0x300, 0x40000 | 0x70);
	assert_int_equal(platform_intr_ack(plat, 0), 0x70);
	/* Fixed to cpu 1, physical. */
	apic_w(0, 0x310, 1u << 24);
	apic_w(0, 0x300, 0x80);
	assert_true(intr[1]);
	assert_false(apic_r(0, 0x300) & 0x1000);     /* delivery idle */
	assert_int_equal(platform_intr_ack(plat, 1), 0x80);
	apic_w(1, 0xb0, 0);
	/* Logical flat: cpu 1 has LDR bit 1. */
	apic_w(1, 0xd0, 0x02000000);
	apic_w(0, 0x310, 0x02000000);
	apic_w(0, 0x300, 0x800 | 0x81);
	assert_int_equal(platform_intr_ack(plat, 1), 0x81);
	assert_int_equal(platform_intr_ack(plat, 0), -1);
	/* All excluding self. */
	apic_w(1, 0x300, 0xc0000 | 0x82);
	assert_int_equal(platform_intr_ack(plat, 0), 0x82);
	assert_int_equal(platform_intr_ack(plat, 1), -1);
	/* INIT, SIPI, NMI go to the accelerator. */
	apic_w(0, 0x310, 1u << 24);
	apic_w(0, 0x300, 0x4500);                    /* INIT assert */
	assert_int_equal(events[PLATFORM_EV_INIT], 1);
	assert_int_equal(last_event_cpu, 1);
	assert_int_equal(apic_r(1, 0xd0), 0);        /* INIT reset the LDR */
	apic_w(0, 0x300, 0x8500);                    /* INIT de-assert: nothing */
	assert_int_equal(events[PLATFORM_EV_INIT], 1);
	apic_w(0, 0x300, 0x4600 | 0x9a);             /* SIPI */
	assert_int_equal(events[PLATFORM_EV_SIPI], 1);
	assert_int_equal(last_sipi, 0x9a);
	apic_w(0, 0x300, 0x4400);                    /* NMI */
	assert_int_equal(events[PLATFORM_EV_NMI], 1);
}

static void test_esr_and_svr(void **state)
{
	apic_w(0, 0x300, 0x40000 | 0x05);            /* illegal vector */
	assert_int_equal(apic_r(0, 0x280), 0);       /* not yet latched */
	apic_w(0, 0x280, 0);
	assert_int_equal(apic_r(0, 0x280), 0x20);
	assert_int_equal(platform_intr_ack(plat, 0), -1);
	/* Software disable masks every LVT and they stay masked. */
	apic_w(0, 0x320, 0x20);
	assert_int_equal(apic_r(0, 0x320), 0x20);
	apic_w(0, 0xf0, 0xff);
	assert_true(apic_r(0, 0x320) & 0x10000);
	apic_w(0, 0x320, 0x20);
	assert_true(apic_r(0, 0x320) & 0x10000);
	assert_int_equal(apic_r(0, 0x30), 0x00050014);
}

static void test_pic_through_lint0(void **state)
{
	static const uint8_t init[][2] = {
		{ 0x20, 0x11 }, { 0x21, 0x30 }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xa0, 0x11 }, { 0xa1, 0x38 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
	};

	/* An unprogrammed PIC is silent. */
	platform_set_irq(plat, 1, 1);
	platform_set_irq(plat, 1, 0);
	assert_false(intr[0]);
	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		outb(init[i][0], init[i][1]);
	/* BSP LINT0 is ExtINT after reset: virtual wire. */
	assert_int_equal(apic_r(0, 0x350), 0x700);
	assert_int_equal(apic_r(1, 0x350), 0x10000);
	platform_set_irq(plat, 1, 1);
	platform_set_irq(plat, 1, 0);
	assert_true(intr[0]);
	assert_false(intr[1]);
	assert_int_equal(platform_intr_ack(plat, 0), 0x31);
	outb(0x20, 0x20);
	/* LINT0 masked: the PIC no longer reaches the CPU. */
	apic_w(0, 0x350, 0x10700);
	platform_set_irq(plat, 3, 1);
	platform_set_irq(plat, 3, 0);
	assert_false(intr[0]);
	/* APIC globally disabled: INTR comes straight from the PIC. */
	assert_int_equal(platform_msr_write(plat, 0, 0x1b, LAPIC_BASE | 0x100), 0);
	assert_true(intr[0]);
	assert_int_equal(platform_intr_ack(plat, 0), 0x33);
}

static void test_msrs(void **state)
{
	uint64_t v;

	assert_int_equal(platform_msr_read(plat, 0, 0x1b, &v), 0);
	assert_int_equal(v, 0xfee00900);
	assert_int_equal(platform_msr_read(plat, 1, 0x1b, &v), 0);
	assert_int_equal(v, 0xfee00800);
	assert_int_equal(platform_msr_write(plat, 0, 0x1b, 0xfee00c00), -EINVAL);  /* x2APIC */
	assert_int_equal(platform_msr_write(plat, 0, 0x1b, 0xfee00a00ULL | (1ULL << 60)), -EINVAL);
	assert_int_equal(platform_msr_read(plat, 0, 0x10, &v), -ENOENT);
	/* The deadline MSR ignores writes outside TSC-deadline mode. */
	assert_int_equal(platform_msr_write(plat, 0, 0x6e0, 1234), 0);
	assert_int_equal(platform_msr_read(plat, 0, 0x6e0, &v), 0);
	assert_int_equal(v, 0);
}

static bool wait_timer(int cpu, int ms)
{
	struct pollfd pfd = { .fd = lapic_timer_fd(platform_lapic(plat, cpu)), .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

static void test_timer_one_shot(void **state)
{
	uint32_t c1, c2;

	apic_w(0, 0x3e0, 0xb);                 /* divide by 1 */
	apic_w(0, 0x320, 0x90);                /* one-shot, vector 0x90 */
	apic_w(0, 0x380, 30000000);            /* 30 ms at 1 GHz */
	c1 = apic_r(0, 0x390);
	usleep(100);
	c2 = apic_r(0, 0x390);
	assert_true(c1 <= 30000000 && c1 > 0);
	assert_true(c2 + 100000 <= c1);        /* >= 100 us at 1 ns a tick */
	assert_false(intr[0]);
	assert_true(wait_timer(0, 500));
	lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	assert_true(intr[0]);
	assert_int_equal(apic_r(0, 0x390), 0);
	assert_int_equal(platform_intr_ack(plat, 0), 0x90);
	apic_w(0, 0xb0, 0);
	assert_false(wait_timer(0, 20));       /* no second expiry */
	/* Divide by 16 slows the count down 16 times. */
	apic_w(0, 0x3e0, 0x3);
	apic_w(0, 0x380, 100000);
	c1 = apic_r(0, 0x390);
	assert_true(c1 > 100000 - 1000);
}

static void test_timer_periodic(void **state)
{
	int fired = 0;

	apic_w(0, 0x3e0, 0xb);
	apic_w(0, 0x320, 0x20000 | 0x91);      /* periodic */
	apic_w(0, 0x380, 1000000);             /* 1 ms */
	for (int i = 0; i < 4; i++) {
		assert_true(wait_timer(0, 500));
		lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
		if (intr[0]) {
			assert_int_equal(platform_intr_ack(plat, 0), 0x91);
			apic_w(0, 0xb0, 0);
			fired++;
		}
	}
	assert_true(fired >= 3);
	assert_true(apic_r(0, 0x390) <= 1000000);
	/* Two expiries before the guest takes the first: the second is owed
	 * and replayed after the first's EOI instead of being lost. */
	while (wait_timer(0, 0))
		lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	while (intr[0]) {
		platform_intr_ack(plat, 0);
		apic_w(0, 0xb0, 0);
	}
	assert_true(wait_timer(0, 500));
	lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	assert_true(wait_timer(0, 500));
	lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	assert_int_equal(platform_intr_ack(plat, 0), 0x91);
	assert_int_equal(apic_r(0, 0x200 + 0x40), 1u << 0x11);   /* IRR again */
	assert_false(intr[0]);                 /* same class as in service */
	apic_w(0, 0xb0, 0);
	assert_true(intr[0]);
	assert_int_equal(platform_intr_ack(plat, 0), 0x91);
	apic_w(0, 0xb0, 0);
	/* Masked: still counting, nothing delivered. */
	apic_w(0, 0x320, 0x30000 | 0x91);
	while (intr[0]) {                      /* ticks accepted before */
		platform_intr_ack(plat, 0);
		apic_w(0, 0xb0, 0);
	}
	assert_true(wait_timer(0, 500));
	lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	assert_false(intr[0]);
	/* Initial count 0 stops it. */
	apic_w(0, 0x380, 0);
	assert_false(wait_timer(0, 20));
}

static void test_timer_tsc_deadline(void **state)
{
	uint64_t v;

	apic_w(0, 0x320, 0x40000 | 0x92);
	apic_w(0, 0x380, 5000);                /* ignored in deadline mode */
	assert_int_equal(apic_r(0, 0x380), 0);
	/* Without platform_set_tsc, the TSC is CLOCK_MONOTONIC in ns. */
	assert_int_equal(platform_msr_write(plat, 0, 0x6e0, platform_clock_ns() + 2000000), 0);
	assert_int_equal(platform_msr_read(plat, 0, 0x6e0, &v), 0);
	assert_true(v != 0);
	assert_false(intr[0]);
	assert_true(wait_timer(0, 500));
	lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	assert_int_equal(platform_intr_ack(plat, 0), 0x92);
	assert_int_equal(platform_msr_read(plat, 0, 0x6e0, &v), 0);
	assert_int_equal(v, 0);                /* cleared on expiry */
	/* A deadline in the past fires at once. */
	apic_w(0, 0xb0, 0);
	assert_int_equal(platform_msr_write(plat, 0, 0x6e0, 1), 0);
	assert_true(wait_timer(0, 100));
	lapic_timer_cb(platform_lapic(plat, 0), EPOLLIN);
	assert_true(intr[0]);
}

static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
	/* xorshift32: deterministic, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Whatever a guest writes to the controllers' registers, in any order,
 * the host survives and acknowledges only give valid vectors. */
static void test_random_guest_writes(void **state)
{
	static const uint16_t ports[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61,
	};

	for (int i = 0; i < 200000; i++) {
		uint64_t v = rng() | (uint64_t)rng() << 32, msr;
		uint8_t b = (uint8_t)v;
		uint32_t sel;
		int vec;

		switch (rng() % 8) {
		case 0:
		case 1:
			bus_dispatch(&vm, BUS_PIO, ports[rng() % 11], &b, 1, rng() & 1);
			break;
		case 2:
			platform_set_irq(plat, rng() % 26, rng() & 1);
			break;
		case 3:
			vec = platform_intr_ack(plat, (int)(rng() % 3));
			assert_true(vec >= -1 && vec <= 255);
			break;
		case 4:
			platform_set_thread_cpu((int)(rng() % 2));
			bus_dispatch(&vm, BUS_MMIO, LAPIC_BASE + rng() % 0x1000, &v,
				     1u << (rng() % 4), rng() & 1);
			break;
		case 5:
			sel = rng() % 0x40;
			bus_dispatch(&vm, BUS_MMIO, IOAPIC_BASE, &sel, 4, true);
			bus_dispatch(&vm, BUS_MMIO, IOAPIC_BASE + 0x10, &v, 4, rng() & 1);
			break;
		case 6:
			if (rng() & 1)
				platform_msr_write(plat, (int)(rng() % 2), rng() & 1 ? 0x1b : 0x6e0, v);
			else
				platform_msr_read(plat, (int)(rng() % 2), 0x1b, &msr);
			break;
		default:
			if (rng() % 1000 == 0)
				platform_reset(plat);
			else
				platform_set_cr8(plat, (int)(rng() % 2), (uint8_t)v);
			break;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ioapic_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_edge_to_lapic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_level_remote_irr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_tpr_ppr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_esr_and_svr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pic_through_lint0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_one_shot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_tsc_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_guest_writes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
