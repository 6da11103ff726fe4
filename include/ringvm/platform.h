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
 * nothing is pending for cpu any more (spurious). Takes the device lock. */
int platform_intr_ack(struct platform *p, int cpu);

/* Called (with the device lock held) whenever the "interrupt pending"
 * state for a CPU changes; the accelerator sets its CPU's INTR input and
 * wakes it from HLT. */
void platform_set_notify(struct platform *p,
			 void (*fn)(void *opaque, int cpu, bool pending),
			 void *opaque);

/* Reset all controller state (VM reset). */
void platform_reset(struct platform *p);

#endif
