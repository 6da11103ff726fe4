/* The emulated interrupt controllers and timers (i8259 pair, i8254 PIT,
 * later IOAPIC and local APICs) for accelerators without an in-kernel
 * irqchip, i.e. emu. Under KVM the kernel provides all of these. */
#ifndef RINGVM_PLATFORM_H
#define RINGVM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct platform;

/* Creates the devices and registers their ports/MMIO on vm's bus; timers
 * run on their own timerfd in vm->loop (so a halted guest still gets its
 * ticks). NULL on failure. */
struct platform *platform_new(struct vm *vm);
void platform_free(struct platform *p);

/* A device's interrupt line (GSI 0-23) changed level. Edge devices pulse.
 * Callers hold the VM's device lock. */
void platform_set_irq(struct platform *p, unsigned gsi, int level);

/* The CPU takes the highest-priority pending interrupt: returns its vector
 * and does the controller's acknowledge cycle (ISR/IRR update), or -1 if
 * nothing is pending for cpu any more. When INTR came from the 8259 (LINT0
 * ExtINT) and its request has gone since, the 8259's INTA answers with its
 * spurious IR7 vector, as the hardware does (8259A datasheet); guests
 * expect and ignore it. Takes the device lock. */
int platform_intr_ack(struct platform *p, int cpu);

/* Called (with the device lock held) whenever the "interrupt pending"
 * state for a CPU changes; the accelerator sets its CPU's INTR input and
 * wakes it from HLT. */
void platform_set_notify(struct platform *p,
			 void (*fn)(void *opaque, int cpu, bool pending),
			 void *opaque);

/* Reset all controller state (VM reset). */
void platform_reset(struct platform *p);

/* ---- Local APIC hooks for the software CPU ----
 * Each CPU has an xAPIC at 0xfee00000 (SDM Vol. 3A ch. 11) and the IOAPIC
 * sits at 0xfec00000 with ID = number of CPUs; APIC IDs are the CPU
 * indexes. The boot CPU's LINT0 resets to ExtINT, so a guest that never
 * touches the APIC gets the 8259's interrupts (as under KVM). */

/* Interrupts that are not INTR: the accelerator must act on them. INIT
 * resets the CPU and leaves it waiting for a SIPI (SDM 9.4.4, MP init);
 * SIPI starts a CPU waiting for one at vector << 12 (CS = vector << 8);
 * NMI is vector 2. Called with the device lock held. */
enum platform_cpu_event {
	PLATFORM_EV_NMI,
	PLATFORM_EV_INIT,
	PLATFORM_EV_SIPI,
};
void platform_set_event_handler(struct platform *p,
				void (*fn)(void *opaque, int cpu, enum platform_cpu_event ev,
					   uint8_t vector),
				void *opaque);

/* MMIO to the APIC page reaches the LAPIC of the calling thread's CPU: each
 * vCPU thread calls this once before running (default: cpu 0). */
void platform_set_thread_cpu(int cpu);

/* IA32_APIC_BASE (0x1b) and IA32_TSC_DEADLINE (0x6e0). Returns 0, or
 * -EINVAL for a value the CPU must refuse with #GP, -ENOENT for an MSR
 * that is not the APIC's. */
int platform_msr_read(struct platform *p, int cpu, uint32_t idx, uint64_t *val);
int platform_msr_write(struct platform *p, int cpu, uint32_t idx, uint64_t val);

/* CR8 is TPR[7:4] (SDM Vol. 3A 11.8.6.5 in 64-bit mode). */
uint8_t platform_get_cr8(struct platform *p, int cpu);
void platform_set_cr8(struct platform *p, int cpu, uint8_t cr8);

/* The guest TSC the TSC-deadline timer compares with: its rate and a way
 * to read it on a CPU (any thread, device lock held). Until this is set the
 * platform assumes a 1 GHz TSC equal to CLOCK_MONOTONIC nanoseconds. */
void platform_set_tsc(struct platform *p, uint64_t hz,
		      uint64_t (*read_tsc)(void *opaque, int cpu), void *opaque);

/* The APIC timer counts at this rate before its divider (KVM's choice). */
#define PLATFORM_APIC_BUS_HZ 1000000000ULL

#endif
