/* kvmclock for the software CPU (kvmclock.c). */
#ifndef RINGVM_CPU_X86_KVMCLOCK_H
#define RINGVM_CPU_X86_KVMCLOCK_H

#include <stdint.h>

struct x86_cpu;

#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
/* CPUID 0x40000001 EAX (Documentation/virt/kvm/x86/cpuid.rst). */
#define KVM_FEATURE_CLOCKSOURCE2        (1u << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE  (1u << 24)

/* A guest write of one of the two MSRs above: publish the record. 0, or -1
 * for any other MSR. */
int kvmclock_wrmsr(struct x86_cpu *c, uint32_t idx, uint64_t v);
/* The guest TSC's rate (the host's), for CPUID timing leaves. */
uint64_t kvmclock_tsc_khz(void);

#endif
