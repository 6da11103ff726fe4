/* Accelerators: KVM (hardware-assisted) and emu (ringvm's software CPU).
 * Both fill the same struct vcpu_exit, so the rest of ringvm never asks
 * which one runs. */
#ifndef RINGVM_ACCEL_H
#define RINGVM_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vcpu.h"
#include "x86-regs.h"

struct vm;

struct accel_ops {
	const char *name;
	/* 0 when usable here; else -errno and a reason in why. */
	int (*probe)(char *why, size_t len);
	int (*vm_init)(struct vm *vm);
	void (*vm_exit)(struct vm *vm);
	int (*map_memory)(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *host);
	int (*vcpu_init)(struct vcpu *v);
	void (*vcpu_fini)(struct vcpu *v);
	/* Run until something the VMM must see. 0 with *e filled, or -errno. */
	int (*vcpu_run)(struct vcpu *v, struct vcpu_exit *e);
	int (*get_regs)(struct vcpu *v, struct vcpu_regs *r, struct vcpu_sregs *s);
	int (*set_regs)(struct vcpu *v, const struct vcpu_regs *r, const struct vcpu_sregs *s);
	int (*irq_line)(struct vm *vm, unsigned gsi, int level);
	/* Make a running vcpu_run return soon with VCPU_EXIT_INTR. */
	void (*vcpu_kick)(struct vcpu *v);
	/* Put every vCPU and the interrupt controllers/timers back to power-on
	 * state (guest reset); vm.c then loads the boot state again. Called with
	 * no vCPU thread running. */
	int (*vm_reset)(struct vm *vm);
	/* Optional fast paths for virtio (NULL when unsupported): a guest write
	 * to addr signals fd without leaving the kernel; a write to fd raises
	 * gsi. */
	int (*ioeventfd)(struct vm *vm, bool pio, uint64_t addr, unsigned len, int fd);
	int (*irqfd)(struct vm *vm, unsigned gsi, int fd);
};

extern const struct accel_ops accel_kvm;
extern const struct accel_ops accel_emu;

/* Registry, in order of preference for --accel auto. */
extern const struct accel_ops *const accel_registry[];
extern const int accel_registry_nr;

/* Pick by name ("auto", "kvm", "emu"). Prints the choice and why on stderr
 * once. NULL with a message when the named one is unknown or unusable. */
const struct accel_ops *accel_select(const char *name);

/* The KVM VM file descriptor (tests read in-kernel state with it). */
int kvm_vm_fd(const struct vm *vm);

/* True when /proc/cpuinfo shows vmx or svm: KVM then runs at native speed. */
int host_has_hw_virt(void);

#endif
