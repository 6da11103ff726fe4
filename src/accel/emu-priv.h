/* Private to the software CPU accelerator: emu.c (the accelerator, the
 * thread-per-vCPU loop) and emu-sched.c (--vcpu-sched single). */
#ifndef RINGVM_ACCEL_EMU_PRIV_H
#define RINGVM_ACCEL_EMU_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "ringvm/platform.h"
#include "ringvm/vm.h"
#include "ringvm/x86emu.h"

/* Guest instructions per x86emu_run() call of a vCPU that runs alone. */
#define EMU_SLICE 2000000
#define RFLAGS_IF (1u << 9)

struct emu_cpu {
	struct vcpu *v;
	struct x86emu *cpu;
	/* own_lock/own_cond, or under --vcpu-sched single the VM's shared
	 * pair. The flags below are guarded by *lock. */
	pthread_mutex_t *lock;
	pthread_cond_t *cond;
	pthread_mutex_t own_lock;
	pthread_cond_t own_cond;
	bool irq;        /* the platform has an interrupt for this CPU */
	bool kick;
	bool nmi;        /* an NMI arrived while halted: wake */
	bool init;       /* INIT received: reset, then wait for SIPI */
	bool wait_sipi;  /* in wait-for-SIPI (APs from power-on) */
	int sipi;        /* SIPI vector to start at, or -1 */
	bool halted;     /* stopped at HLT, waits for a wake-up */
	bool halt_if;    /* RFLAGS.IF when it halted: may INTR wake it */
	bool unhalt;     /* a PV unhalt kick not yet taken by a HLT */
};

struct emu_vm {
	struct vm *vm;
	struct platform *plat;
	struct emu_cpu *cpus[VM_MAX_CPUS];
	bool early_irq[VM_MAX_CPUS]; /* notified before the vCPU existed */
	uint64_t tsc_hz;
	FILE *trace;      /* --trace: every vCPU writes here */
	/* --vcpu-sched single */
	bool single;
	uint64_t slice;             /* instructions per turn */
	pthread_mutex_t sched_lock; /* every emu_cpu's lock */
	pthread_cond_t sched_cond;  /* the one thread sleeps here */
	struct emu_cpu *running;    /* in x86emu_run now, or NULL */
};

/* Lock (ec->lock) held, on the thread that runs the vCPU: take INIT and
 * SIPI; true when the lock was let go in between. */
bool emu_cpu_events(struct emu_cpu *ec);
/* Lock held: would a halted CPU resume (iflag: its RFLAGS.IF)? */
bool emu_cpu_woken(const struct emu_cpu *ec, bool iflag);
/* Lock held: only another vCPU could ever wake c. */
bool emu_cpu_parked(const struct emu_cpu *c);
/* Lock held: a halted CPU resumes. */
void emu_cpu_resume(struct emu_cpu *ec);
/* The absolute time a halted wait ends at the latest. */
void emu_deadline(struct timespec *ts);

/* --vcpu-sched single: run every vCPU on this thread (emu-sched.c);
 * returns only to stop or reset (VCPU_EXIT_INTR). */
int emu_sched_run(struct vm *vm, struct vcpu_exit *e);

#endif
