/* The software CPU's KVM paravirtual surface beyond the clock: VMCALL and
 * VMMCALL as KVM hypercalls (numbers, CPL, register widths, KVM_HC_KICK_CPU
 * reaching the bus), and CPUID 0x40000001 offering PV EOI and PV unhalt
 * only when the bus backs them and the environment does not turn them off
 * (Linux Documentation/virt/kvm/x86/hypercalls.rst, cpuid.rst). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <cmocka.h>
#include "x86emu-fixture.h"

#define KVM_FEATURE_PV_EOI    (1u << 6)
#define KVM_FEATURE_PV_UNHALT (1u << 7)
#define MSR_PV_EOI            0x4b564d04u

static int kicks;
static uint32_t kicked_id;
static bool platform_has_pv_eoi;

static void kick_cpu(void *opaque, uint32_t apic_id)
{
	kicks++;
	kicked_id = apic_id;
}

/* A platform that owns the PV EOI MSR, or none at all. */
static int bus_msr(void *opaque, uint32_t idx, uint64_t *val, bool write)
{
	if (idx != MSR_PV_EOI || !platform_has_pv_eoi)
		return -ENOENT;
	if (!write)
		*val = 0;
	return 0;
}

/* The fixture's machine, with the optional hooks chosen per test. */
static struct tvm *tvm_new(bool with_kick, bool with_msr)
{
	struct tvm *t = calloc(1, sizeof(*t));
	struct x86emu_bus bus = {
		.ram_page = t_ram_page, .mmio = t_mmio, .pio = t_pio, .intr_ack = t_intr_ack,
		.kick_cpu = with_kick ? kick_cpu : NULL, .msr = with_msr ? bus_msr : NULL,
	};

	assert_non_null(t);
	t->mem = calloc(1, T_MEM_SIZE);
	assert_non_null(t->mem);
	bus.opaque = t;
	t->cpu = x86emu_new(&bus, 0);
	assert_non_null(t->cpu);
	for (int v = 0; v < 256; v++)
		t_w8(t, T_HANDLERS + 16 * v, 0xf4); /* hlt */
	kicks = 0;
	kicked_id = ~0u;
	return t;
}

static int setup(void **state)
{
	unsetenv("RINGVM_NO_PVEOI");
	unsetenv("RINGVM_NO_PVUNHALT");
	platform_has_pv_eoi = false;
	return 0;
}

/* Runs code at T_CODE in 64-bit mode at cpl with RAX = nr, RCX = a1. */
static struct vcpu_regs run64(struct tvm *t, int cpl, const uint8_t *code, size_t n,
			      uint64_t nr, uint64_t a1)
{
	struct vcpu_regs r;

	t_long_mode(t, cpl);
	t_code(t, T_CODE, code, n);
	r = t_regs(t);
	r.rax = nr;
	r.rcx = a1;
	x86emu_set_regs(t->cpu, &r);
	assert_int_equal(x86emu_run(t->cpu, 1000), X86EMU_HLT);
	return t_regs(t);
}

static const uint8_t vmmcall_hlt[] = { 0x0f, 0x01, 0xd9, 0xf4 };
static const uint8_t vmcall_hlt[] = { 0x0f, 0x01, 0xc1, 0xf4 };

static void test_kick_cpu(void **state)
{
	struct tvm *t = tvm_new(true, false);
	struct vcpu_regs r;

	/* KVM_HC_KICK_CPU: a0 (RBX) flags, a1 (RCX) the APIC ID; 0 back. */
	r = run64(t, 0, vmmcall_hlt, sizeof(vmmcall_hlt), 5, 1);
	assert_int_equal(r.rax, 0);
	assert_int_equal(kicks, 1);
	assert_int_equal(kicked_id, 1);
	assert_int_equal(r.rip, T_CODE + 4);        /* completed, then HLT */
	/* Intel's encoding does the same. */
	r = run64(t, 0, vmcall_hlt, sizeof(vmcall_hlt), 5, 3);
	assert_int_equal(r.rax, 0);
	assert_int_equal(kicks, 2);
	assert_int_equal(kicked_id, 3);
	t_free(t);
}

static void test_errors(void **state)
{
	struct tvm *t = tvm_new(true, false);
	struct vcpu_regs r;

	/* Unknown number: -KVM_ENOSYS (-1000), the full 64-bit value. */
	r = run64(t, 0, vmcall_hlt, sizeof(vmcall_hlt), 99, 0);
	assert_int_equal(r.rax, (uint64_t)-1000);
	assert_int_equal(r.rip, T_CODE + 4);
	/* KVM_HC_VAPIC_POLL_IRQ: 0. */
	r = run64(t, 0, vmcall_hlt, sizeof(vmcall_hlt), 1, 0);
	assert_int_equal(r.rax, 0);
	/* CPL 3: -KVM_EPERM, and no kick; its HLT then faults (#GP). */
	r = run64(t, 3, vmmcall_hlt, sizeof(vmmcall_hlt), 5, 1);
	assert_int_equal(r.rax, (uint64_t)-1);
	assert_int_equal(kicks, 0);
	assert_int_equal(r.rip, t_handler_done(13));
	t_free(t);
}

/* Outside 64-bit mode the number and arguments are 32 bits wide and so is
 * the result (zero-extended). */
static void test_32bit_widths(void **state)
{
	struct tvm *t = tvm_new(true, false);
	struct vcpu_sregs s;
	struct vcpu_regs r;

	x86emu_get_sregs(t->cpu, &s);
	s.cs.selector = 0;
	s.cs.base = 0;
	x86emu_set_sregs(t->cpu, &s);
	t_code(t, T_CODE, vmcall_hlt, sizeof(vmcall_hlt));
	r = t_regs(t);
	r.rip = T_CODE;
	r.rax = 0xdead000000000005ULL;           /* KICK_CPU in the low half */
	r.rcx = 0xbeef000000000002ULL;
	x86emu_set_regs(t->cpu, &r);
	assert_int_equal(x86emu_run(t->cpu, 1000), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(r.rax, 0);
	assert_int_equal(kicked_id, 2);
	r.rip = T_CODE;
	r.rax = 0xdead000000000063ULL;           /* 99: unknown */
	x86emu_set_regs(t->cpu, &r);
	assert_int_equal(x86emu_run(t->cpu, 1000), X86EMU_HLT);
	assert_int_equal(t_regs(t).rax, 0xfffffc18ULL);
	t_free(t);
}

/* The rest of 0F 01 /0 and /3 with mod=3 (VMX/SVM instructions) stays #UD. */
static void test_other_encodings_ud(void **state)
{
	static const uint8_t vmrun[] = { 0x0f, 0x01, 0xd8, 0xf4 };
	static const uint8_t vmlaunch[] = { 0x0f, 0x01, 0xc2, 0xf4 };
	struct tvm *t = tvm_new(true, false);

	assert_int_equal(run64(t, 0, vmrun, sizeof(vmrun), 5, 1).rip, t_handler_done(6));
	assert_int_equal(run64(t, 0, vmlaunch, sizeof(vmlaunch), 5, 1).rip, t_handler_done(6));
	assert_int_equal(kicks, 0);
	t_free(t);
}

static uint32_t kvm_features(struct tvm *t)
{
	uint32_t out[4];

	x86emu_cpuid(t->cpu, 0x40000001, 0, out);
	return out[0];
}

/* Unhalt is offered with a kick hook, PV EOI when the platform answers
 * for its MSR; each environment switch hides its feature (and KICK_CPU then
 * fails as on a host without it). */
static void test_cpuid_offers_what_works(void **state)
{
	struct tvm *t = tvm_new(false, false);
	struct vcpu_regs r;

	assert_int_equal(kvm_features(t) & (KVM_FEATURE_PV_EOI | KVM_FEATURE_PV_UNHALT), 0);
	r = run64(t, 0, vmmcall_hlt, sizeof(vmmcall_hlt), 5, 1);
	assert_int_equal(r.rax, (uint64_t)-1000);
	t_free(t);

	t = tvm_new(true, true);
	assert_int_equal(kvm_features(t) & (KVM_FEATURE_PV_EOI | KVM_FEATURE_PV_UNHALT),
			 KVM_FEATURE_PV_UNHALT);            /* the MSR is not the platform's */
	platform_has_pv_eoi = true;
	assert_int_equal(kvm_features(t) & (KVM_FEATURE_PV_EOI | KVM_FEATURE_PV_UNHALT),
			 KVM_FEATURE_PV_EOI | KVM_FEATURE_PV_UNHALT);
	setenv("RINGVM_NO_PVEOI", "1", 1);
	assert_int_equal(kvm_features(t) & (KVM_FEATURE_PV_EOI | KVM_FEATURE_PV_UNHALT),
			 KVM_FEATURE_PV_UNHALT);
	setenv("RINGVM_NO_PVUNHALT", "1", 1);
	assert_int_equal(kvm_features(t) & (KVM_FEATURE_PV_EOI | KVM_FEATURE_PV_UNHALT), 0);
	r = run64(t, 0, vmmcall_hlt, sizeof(vmmcall_hlt), 5, 1);
	assert_int_equal(r.rax, (uint64_t)-1000);
	assert_int_equal(kicks, 0);
	/* The clock bits do not depend on these. */
	assert_int_equal(kvm_features(t) & (1u << 3), 1u << 3);
	t_free(t);
}

/* x86emu_unhalt: a halted CPU runs on after its HLT without an interrupt,
 * even with IF=0 (the PV unhalt kick's wake-up). */
static void test_unhalt(void **state)
{
	static const uint8_t code[] = { 0xfa, 0xf4, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xf4 };
	struct tvm *t = tvm_new(true, false);
	struct vcpu_regs r;

	r = run64(t, 0, code, sizeof(code), 0, 0);   /* cli; hlt */
	assert_int_equal(r.rip, T_CODE + 2);
	assert_int_equal(x86emu_run(t->cpu, 1000), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, T_CODE + 2);  /* still halted */
	x86emu_unhalt(t->cpu);
	assert_int_equal(x86emu_run(t->cpu, 1000), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(r.rax, 42);                  /* mov eax, 42; hlt */
	assert_int_equal(r.rip, T_CODE + 8);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_kick_cpu, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_32bit_widths, setup),
		cmocka_unit_test_setup(test_other_encodings_ud, setup),
		cmocka_unit_test_setup(test_cpuid_offers_what_works, setup),
		cmocka_unit_test_setup(test_unhalt, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
