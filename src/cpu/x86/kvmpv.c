/* KVM paravirtual features of the software CPU other than kvmclock: which
 * of PV EOI and PV unhalt the platform behind the CPU really implements
 * (they are advertised only then), and the hypercall instruction.
 *
 * References: Linux Documentation/virt/kvm/x86/cpuid.rst (feature bits),
 * msr.rst (MSR_KVM_PV_EOI_EN), hypercalls.rst (ABI, KVM_HC_KICK_CPU). */
#include <stdbool.h>
#include <stdlib.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/kvmpv.h"
#include "ringvm/x86emu.h"

/* hypercalls.rst: numbers, and the error codes (include/uapi/linux/
 * kvm_para.h) returned negated in RAX. */
#define KVM_HC_VAPIC_POLL_IRQ  1
#define KVM_HC_KICK_CPU        5
#define KVM_ENOSYS             1000
#define KVM_EPERM              1

static bool kvmpv_unhalt_ok(struct x86_cpu *c)
{
	return c->bus.kick_cpu && !getenv("RINGVM_NO_PVUNHALT");
}

/* PV EOI lives in the local APIC: offered when the platform answers for
 * its MSR (a read has no side effects). A CPU without a platform (unit
 * tests, the differential sandbox) keeps the MSR as plain storage, and
 * must not offer the feature. */
static bool kvmpv_eoi_ok(struct x86_cpu *c)
{
	uint64_t v;

	return c->bus.msr && !getenv("RINGVM_NO_PVEOI") &&
	       c->bus.msr(c->bus.opaque, MSR_KVM_PV_EOI_EN, &v, false) == 0;
}

uint32_t kvmpv_features(struct x86_cpu *c)
{
	return (kvmpv_eoi_ok(c) ? KVM_FEATURE_PV_EOI : 0) |
	       (kvmpv_unhalt_ok(c) ? KVM_FEATURE_PV_UNHALT : 0);
}

/* Number in RAX, arguments in RBX, RCX, RDX, RSI, result in RAX; outside
 * 64-bit mode all of them are 32 bits wide. CPL > 0 gets -KVM_EPERM and
 * an unknown number -KVM_ENOSYS, as from KVM (arch/x86/kvm/x86.c, "emulate
 * hypercall"). */
void kvmpv_hypercall(struct x86_cpu *c)
{
	uint64_t mask = c->mode == MODE_LONG ? ~0ULL : 0xffffffffULL;
	uint64_t nr = c->r[R_AX] & mask;
	int64_t ret = -KVM_ENOSYS;

	if (c->cpl != 0) {
		ret = -KVM_EPERM;
	} else if (nr == KVM_HC_VAPIC_POLL_IRQ) {
		/* Obsolete: "the host checks for pending interrupts", which
		 * ours always does. */
		ret = 0;
	} else if (nr == KVM_HC_KICK_CPU && kvmpv_unhalt_ok(c)) {
		/* a0 (RBX) = flags, none defined; a1 (RCX) = APIC ID. */
		c->bus.kick_cpu(c->bus.opaque, (uint32_t)(c->r[R_CX] & mask));
		ret = 0;
	}
	c->r[R_AX] = (uint64_t)ret & mask;
}

void x86emu_unhalt(struct x86emu *e)
{
	x86_cpu_of(e)->halted = 0;
}
