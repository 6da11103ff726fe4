/* The local APIC's KVM paravirtual EOI (MSR_KVM_PV_EOI_EN): when the bit
 * in guest memory is set, that the guest clearing it is taken as the EOI,
 * that a pending interrupt behind an armed vector is neither lost nor
 * delivered early, KVM's conditions for arming (edge, alone in service,
 * nothing in IRR), and the MSR's checks and reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "ringvm/platform.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

#define MSR_PV_EOI 0x4b564d04
#define WORD_GPA   0x2000ULL

static struct vm vm;
static struct platform *plat;
static bool intr;

static void on_notify(void *opaque, int cpu, bool pending)
{
	if (cpu == 0)
		intr = pending;
}

static void apic_w(uint32_t reg, uint32_t v)
{
	platform_set_thread_cpu(0);
	assert_int_equal(bus_dispatch(&vm, BUS_MMIO, LAPIC_BASE + reg, &v, 4, true), 0);
}

static uint32_t apic_r(uint32_t reg)
{
	uint32_t v = 0;

	platform_set_thread_cpu(0);
	assert_int_equal(bus_dispatch(&vm, BUS_MMIO, LAPIC_BASE + reg, &v, 4, false), 0);
	return v;
}

static bool in_service(unsigned vec)
{
	return apic_r(0x100 + (vec / 32) * 0x10) & (1u << (vec % 32));
}

/* A self-IPI: fixed delivery, edge unless level (ICR bit 15). */
static void self_ipi(uint8_t vec, bool level)
{
	apic_w(0x300, (1u << 18) | (1u << 14) | (level ? 1u << 15 : 0) | vec);
}

static volatile uint32_t *word(void)
{
	return mem_ptr(&vm.mem, WORD_GPA, 4);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.ncpus = 1;
	if (mem_init(&vm.mem, 1 << 20) < 0)
		return -1;
	plat = platform_new(&vm);
	if (!plat)
		return -1;
	platform_set_notify(plat, on_notify, NULL);
	intr = false;
	apic_w(0xf0, 0x1ff);             /* software-enable, spurious 0xff */
	apic_w(0x350, 1u << 16);         /* LINT0 masked: no 8259 in the way */
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, WORD_GPA | 1), 0);
	return 0;
}

static int teardown(void **state)
{
	platform_free(plat);
	for (int i = 0; i < BUS_NR; i++)
		bus_free(&vm.bus[i]);
	mem_exit(&vm.mem);
	return 0;
}

static void test_msr(void **state)
{
	uint64_t v = 0;

	assert_int_equal(platform_msr_read(plat, 0, MSR_PV_EOI, &v), 0);
	assert_int_equal(v, WORD_GPA | 1);
	/* Bit 1 reserved (misaligned word), a word outside RAM, one that
	 * starts where RAM ends: #GP, the MSR keeps its value. */
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, 0x3002 | 1), -EINVAL);
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, 0x80000000ULL | 1), -EINVAL);
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, 0xfee000b0ULL | 1), -EINVAL);
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, (1ULL << 63) | 1), -EINVAL);
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, (1 << 20) | 1), -EINVAL);
	assert_int_equal(platform_msr_read(plat, 0, MSR_PV_EOI, &v), 0);
	assert_int_equal(v, WORD_GPA | 1);
	/* Disabled, any address is fine: nothing is written there. */
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, 0x80000000ULL), 0);
	assert_int_equal(platform_msr_read(plat, 0, MSR_PV_EOI, &v), 0);
	assert_int_equal(v, 0x80000000ULL);
	/* Reset (an in-process reboot) disables it. */
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, WORD_GPA | 1), 0);
	platform_reset(plat);
	assert_int_equal(platform_msr_read(plat, 0, MSR_PV_EOI, &v), 0);
	assert_int_equal(v, 0);
}

/* The guest clears the bit instead of writing EOI; a lower vector that
 * arrives afterwards is delivered. */
static void test_guest_clears_bit(void **state)
{
	self_ipi(0x40, false);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x40);
	assert_int_equal(*word() & 1, 1);
	assert_true(in_service(0x40));
	*word() &= ~1u;                  /* the guest's EOI */
	self_ipi(0x30, false);           /* lower class: only after that EOI */
	assert_true(intr);
	assert_false(in_service(0x40));
	assert_int_equal(platform_intr_ack(plat, 0), 0x30);
	/* Armed again for 0x30, which the guest EOIs the same way. */
	assert_int_equal(*word() & 1, 1);
	*word() &= ~1u;
	assert_false(in_service(0x30));
	assert_int_equal(apic_r(0xa0), 0);         /* PPR */
	assert_false(intr);
}

/* An interrupt arrives while the guest still handles the armed vector:
 * the CPU is asked, the INTA takes the bit back and delivers nothing yet;
 * the guest's EOI register write then lets it through. */
static void test_revoke_then_register_eoi(void **state)
{
	self_ipi(0x40, false);
	assert_int_equal(platform_intr_ack(plat, 0), 0x40);
	assert_int_equal(*word() & 1, 1);
	self_ipi(0x30, false);
	assert_true(intr);               /* attention, not yet deliverable */
	assert_int_equal(platform_intr_ack(plat, 0), -1);
	assert_int_equal(*word() & 1, 0);       /* taken back */
	assert_false(intr);
	assert_true(in_service(0x40));
	apic_w(0xb0, 0);                 /* the guest found the bit clear */
	assert_false(in_service(0x40));
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x30);
	/* A higher vector nests without waiting for anything. */
	self_ipi(0x50, false);
	assert_true(intr);
	assert_int_equal(*word() & 1, 1);
	assert_int_equal(platform_intr_ack(plat, 0), 0x50);
	/* 0x30 is still in service and its bit was taken back at the INTA:
	 * 0x50 is not armed (two in service), the guest EOIs both by
	 * register, and nothing is left over. */
	assert_int_equal(*word() & 1, 0);
	apic_w(0xb0, 0);
	apic_w(0xb0, 0);
	assert_false(in_service(0x30));
	assert_false(in_service(0x50));
	assert_false(intr);
}

/* A register EOI while the bit is still set counts once, and the stale
 * bit cannot retire the next vector. */
static void test_register_eoi_while_armed(void **state)
{
	self_ipi(0x40, false);
	assert_int_equal(platform_intr_ack(plat, 0), 0x40);
	assert_int_equal(*word() & 1, 1);
	apic_w(0xb0, 0);
	assert_int_equal(*word() & 1, 0);
	assert_false(in_service(0x40));
	self_ipi(0x60, false);
	self_ipi(0x30, false);
	assert_int_equal(platform_intr_ack(plat, 0), 0x60);
	assert_int_equal(*word() & 1, 0);       /* 0x30 waits in IRR */
	assert_true(in_service(0x60));
}

/* KVM's conditions: no PV EOI for a level-triggered vector (the IOAPIC
 * needs the EOI), none while something waits in IRR, none when disabled
 * or after INIT. */
static void test_not_armed(void **state)
{
	self_ipi(0x40, true);
	assert_int_equal(platform_intr_ack(plat, 0), 0x40);
	assert_int_equal(*word() & 1, 0);
	apic_w(0xb0, 0);
	self_ipi(0x50, false);
	self_ipi(0x40, false);
	assert_int_equal(platform_intr_ack(plat, 0), 0x50);
	assert_int_equal(*word() & 1, 0);
	apic_w(0xb0, 0);
	assert_int_equal(platform_intr_ack(plat, 0), 0x40);
	assert_int_equal(*word() & 1, 1);       /* alone now: armed */
	/* Disabling takes the bit back; the guest EOIs by register. */
	assert_int_equal(platform_msr_write(plat, 0, MSR_PV_EOI, WORD_GPA), 0);
	assert_int_equal(*word() & 1, 0);
	assert_true(in_service(0x40));
	apic_w(0xb0, 0);
	self_ipi(0x40, false);
	assert_int_equal(platform_intr_ack(plat, 0), 0x40);
	assert_int_equal(*word() & 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_msr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_clears_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_then_register_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_eoi_while_armed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_armed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
