/* The VM object: memory, buses, accelerator, vCPUs, devices. */
#ifndef RINGVM_VM_H
#define RINGVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "accel.h"
#include "bus.h"
#include "memory.h"
#include "vcpu.h"
#include "x86-regs.h"

#define VM_MAX_CPUS 8

/* --vcpu-sched: how the software CPU (emu) maps vCPUs to host threads.
 * KVM always gives each vCPU a thread of its own (KVM_RUN blocks in the
 * kernel), so only emu accepts SINGLE. */
enum vm_vcpu_sched {
	VM_SCHED_THREADS,     /* a host thread per vCPU (default) */
	VM_SCHED_SINGLE,      /* one host thread runs every vCPU in turn */
};

struct vm_config {
	uint64_t mem_size;
	int ncpus;
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *accel;    /* auto|kvm|emu */
	const char *console;  /* stdio | file:PATH | none */
	unsigned timeout_s;   /* stop the VM after this long (0 = never) */
	const char *trace;    /* emu: instruction trace file */
	uint64_t trace_limit; /* emu: at most this many traced instructions */
	enum vm_vcpu_sched vcpu_sched; /* emu: threads (0) or single */
};

enum vm_state {
	VM_RUNNING,
	VM_STOPPING,          /* exit_status is final */
	VM_RESETTING,
};

struct loop;
struct uart;
struct fw_cfg;
struct console;

struct vm {
	struct vm_config cfg;
	struct guest_mem mem;
	struct bus bus[BUS_NR];
	pthread_mutex_t dev_lock;     /* serializes device handlers */
	const struct accel_ops *accel;
	void *accel_priv;
	int ncpus;
	struct vcpu vcpus[VM_MAX_CPUS];
	struct loop *loop;
	struct console *console;
	_Atomic int state;
	int exit_status;
	/* Initial register state from the boot loader, for the BSP. */
	struct vcpu_regs boot_regs;
	struct vcpu_sregs boot_sregs;
	/* Devices ringvm itself needs to reach. */
	struct uart *uart;
	struct fw_cfg *fw_cfg;
	void *platform;               /* emu's PIC/PIT/APIC, NULL under KVM */
};

int vm_init(struct vm *vm, const struct vm_config *cfg);
void vm_exit(struct vm *vm);
/* Boot the vCPUs and run the event loop until the guest stops. Returns the
 * exit status ringvm should end with. */
int vm_run(struct vm *vm);
/* Ask the VM to stop with a status (any thread). */
void vm_request_stop(struct vm *vm, int status);
/* Ask for a reset (i8042 0xFE, triple fault under a reset policy...). */
void vm_request_reset(struct vm *vm);

void vm_lock(struct vm *vm);
void vm_unlock(struct vm *vm);

#endif
