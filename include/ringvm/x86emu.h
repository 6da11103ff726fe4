/* ringvm's software x86-64 CPU: the public surface used by accel/emu.c and
 * the differential tests. One struct x86emu is one vCPU. */
#ifndef RINGVM_X86EMU_H
#define RINGVM_X86EMU_H

#include <stdbool.h>
#include <stdint.h>
#include "x86-regs.h"

/* How the CPU reaches the outside world. All callbacks run on the vCPU's
 * thread, synchronously, in the middle of the instruction that needs them. */
struct x86emu_bus {
	void *opaque;
	/* Host pointer to the 4 KiB guest-physical page holding gpa, or NULL if
	 * gpa is not RAM (then mmio() is used). */
	uint8_t *(*ram_page)(void *opaque, uint64_t gpa);
	void (*mmio)(void *opaque, uint64_t gpa, void *data, unsigned len, bool write);
	void (*pio)(void *opaque, uint16_t port, void *data, unsigned len, bool in);
	/* Acknowledge the pending maskable interrupt: its vector, or -1 if it
	 * went away. Called only after x86emu_set_irq(…, true) and IF=1. */
	int (*intr_ack)(void *opaque);
	/* Optional: the LAPIC's TPR via CR8 (NULL = plain register). */
	void (*cr8_write)(void *opaque, uint64_t val);
	/* Optional: CR8 reads (TPR[7:4]); NULL = the plain register. */
	uint64_t (*cr8_read)(void *opaque);
	/* Optional: MSRs outside the CPU (the LAPIC's IA32_APIC_BASE and
	 * TSC_DEADLINE). Returns 0 when handled, -ENOENT when not known there
	 * (the CPU then uses its own copy or raises #GP), any other negative
	 * value makes the access #GP. */
	int (*msr)(void *opaque, uint32_t idx, uint64_t *val, bool write);
	/* Optional: the KVM_HC_KICK_CPU hypercall (PV unhalt; Linux
	 * Documentation/virt/kvm/x86/hypercalls.rst). Wake the vCPU whose
	 * APIC ID is apic_id from HLT, with interrupts enabled or not (call
	 * x86emu_unhalt on its thread), or, if it is not halted, make its next
	 * HLT return at once. Any thread. NULL: CPUID does not offer
	 * KVM_FEATURE_PV_UNHALT. */
	void (*kick_cpu)(void *opaque, uint32_t apic_id);
};

enum x86emu_stop {
	X86EMU_LIMIT,      /* ran max_insns */
	X86EMU_HLT,        /* HLT with IF=0 and no NMI pending, or HLT with IF=1
	                      and no interrupt pending: caller waits */
	X86EMU_SHUTDOWN,   /* triple fault */
	X86EMU_STOPPED,    /* x86emu_stop(), from another thread or from inside a
	                      bus callback */
	X86EMU_IO_EXIT,    /* reserved: never returned today (a callback's stop
	                      comes back as X86EMU_STOPPED) */
};

struct x86emu;

struct x86emu *x86emu_new(const struct x86emu_bus *bus, int cpu_index);
void x86emu_free(struct x86emu *c);
/* Power-on state (Intel SDM Vol. 3A 9.1.1): real mode, CS:IP F000:FFF0. */
void x86emu_reset(struct x86emu *c);
/* Run up to max_insns instructions (0 = no limit). */
enum x86emu_stop x86emu_run(struct x86emu *c, uint64_t max_insns);
/* Any thread: make x86emu_run return X86EMU_STOPPED at the next boundary. */
void x86emu_stop(struct x86emu *c);
/* Any thread: the interrupt controller has (or no longer has) an interrupt
 * for this CPU. Level semantics; the CPU asks intr_ack() when it takes it. */
void x86emu_set_irq(struct x86emu *c, bool pending);
void x86emu_nmi(struct x86emu *c);

/* The vCPU's own thread, between x86emu_run calls: leave the halted state
 * without an interrupt (a PV unhalt kick, see x86emu_bus.kick_cpu); the
 * CPU runs on after its HLT. */
void x86emu_unhalt(struct x86emu *c);

void x86emu_get_regs(struct x86emu *c, struct vcpu_regs *r);
/* Also leaves the halted state: the CPU runs on from r->rip. */
void x86emu_set_regs(struct x86emu *c, const struct vcpu_regs *r);
void x86emu_get_sregs(struct x86emu *c, struct vcpu_sregs *s);
void x86emu_set_sregs(struct x86emu *c, const struct vcpu_sregs *s);
int x86emu_get_msr(struct x86emu *c, uint32_t idx, uint64_t *val);
int x86emu_set_msr(struct x86emu *c, uint32_t idx, uint64_t val);

/* The guest-physical range was written behind the CPU's back (DMA, the
 * loader): drop decoded instructions cached for it. */
void x86emu_invalidate(struct x86emu *c, uint64_t gpa, uint64_t len);

/* Instruction trace: each executed instruction with disassembly to f, at
 * most limit lines (0 = off). */
void x86emu_set_trace(struct x86emu *c, void *file /* FILE* */, uint64_t limit);

/* The guest TSC's rate in Hz: the host's, measured once per process. */
uint64_t x86emu_tsc_hz(void);

/* Total instructions retired (benchmarks). */
uint64_t x86emu_icount(const struct x86emu *c);

/* The guest-visible CPUID (what is implemented, nothing more). */
void x86emu_cpuid(struct x86emu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

#endif
