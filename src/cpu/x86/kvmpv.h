/* KVM paravirtual interfaces of the software CPU besides the clock
 * (kvmpv.c; the clock is kvmclock.c). */
#ifndef RINGVM_CPU_X86_KVMPV_H
#define RINGVM_CPU_X86_KVMPV_H

#include <stdint.h>

struct x86_cpu;

/* CPUID 0x40000001 EAX (Documentation/virt/kvm/x86/cpuid.rst). */
#define KVM_FEATURE_PV_EOI     (1u << 6)
#define KVM_FEATURE_PV_UNHALT  (1u << 7)
/* Documentation/virt/kvm/x86/msr.rst; the LAPIC (src/hw/lapic.c) owns it. */
#define MSR_KVM_PV_EOI_EN      0x4b564d04u

/* The CPUID 0x40000001 bits of the features above that c's bus backs and
 * the environment does not turn off (RINGVM_NO_PVEOI, RINGVM_NO_PVUNHALT,
 * for bench/boot.py). */
uint32_t kvmpv_features(struct x86_cpu *c);

/* VMCALL / VMMCALL: a KVM hypercall (Documentation/virt/kvm/x86/
 * hypercalls.rst). Completes the instruction: the result is in RAX. */
void kvmpv_hypercall(struct x86_cpu *c);

#endif
