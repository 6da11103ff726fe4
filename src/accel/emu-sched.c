/* --vcpu-sched single: one host thread runs every vCPU of the software
 * CPU in turn (docs/NOTES.md "SMP under emu" says why threads stay the
 * default). The vCPUs' state and wake-ups are emu.c's. */
#include <stdatomic.h>
#include "ringvm/vcpu.h"
#include "accel/emu-priv.h"

/* With ev->sched_lock held: can ec run now? Takes INIT/SIPI first, as its
 * own thread would; sets *dropped when that let go of the lock. */
static bool emu_sched_ready(struct emu_cpu *ec, bool *dropped)
{
	if (emu_cpu_events(ec))
		*dropped = true;
	if (ec->wait_sipi)
		return false;
	return !ec->halted || emu_cpu_woken(ec, ec->halt_if);
}

/* With ev->sched_lock held and nothing ready: the boot CPU is halted with
 * IF=0 and every other vCPU is parked too, so nothing can wake any of them
 * (a paravirtual spinlock waiter halts with IF=0 as well, but then another
 * vCPU runs and will kick it). */
static bool emu_sched_stuck(struct emu_vm *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (ev->cpus[i] && !emu_cpu_parked(ev->cpus[i]))
			return false;
	return ev->cpus[0] && !ev->cpus[0]->wait_sipi;
}

/* The vCPUs take turns round-robin, a slice each, skipping those halted
 * or waiting for a SIPI; when none can run the thread sleeps on the shared
 * condition variable, which every interrupt, IPI, INIT/SIPI, NMI and kick
 * signals (the same wake-ups a halted vCPU thread waits for). Every exit is
 * handled here, for the vCPU that made it, so this returns only to stop
 * or reset (VCPU_EXIT_INTR). */
int emu_sched_run(struct vm *vm, struct vcpu_exit *e)
{
	struct emu_vm *ev = vm->accel_priv;
	int n = vm->ncpus, cur = n - 1; /* vCPU 0 first */

	for (;;) {
		struct emu_cpu *ec = NULL;
		struct vcpu_regs regs;
		struct timespec ts;
		enum x86emu_stop r;
		bool kicked = false, dropped = false;
		int ready = 0;

		pthread_mutex_lock(&ev->sched_lock);
		ev->running = NULL;
		for (int i = 0; i < n; i++) {
			struct emu_cpu *c = ev->cpus[i];

			if (c && (c->kick || vm->vcpus[i].kicked)) {
				c->kick = false;
				vm->vcpus[i].kicked = 0;
				kicked = true;
			}
		}
		if (kicked || atomic_load(&vm->state) != VM_RUNNING) {
			pthread_mutex_unlock(&ev->sched_lock);
			e->type = VCPU_EXIT_INTR;
			return 0;
		}
		for (int k = 1; k <= n; k++) {
			struct emu_cpu *c = ev->cpus[(cur + k) % n];

			if (c && emu_sched_ready(c, &dropped)) {
				ready++;
				if (!ec)
					ec = c;
			}
		}
		if (!ec && dropped) {
			/* A wake-up may have come while the lock was let go. */
			pthread_mutex_unlock(&ev->sched_lock);
			continue;
		}
		if (!ec && emu_sched_stuck(ev, n)) {
			/* The boot CPU stopped for good: vcpu.c ends the VM. */
			struct vcpu_exit he = { .type = VCPU_EXIT_HLT };

			pthread_mutex_unlock(&ev->sched_lock);
			vcpu_exit_handle(&vm->vcpus[0], &he);
			continue;
		}
		if (!ec) {
			/* Every vCPU halted: sleep like a halted vCPU thread. */
			emu_deadline(&ts);
			pthread_cond_timedwait(&ev->sched_cond, &ev->sched_lock, &ts);
			pthread_mutex_unlock(&ev->sched_lock);
			continue;
		}
		ec->nmi = false;
		emu_cpu_resume(ec);
		ev->running = ec;
		pthread_mutex_unlock(&ev->sched_lock);

		cur = ec->v->id;
		platform_set_thread_cpu(cur); /* whose APIC page the MMIO reaches */
		r = x86emu_run(ec->cpu, ready > 1 ? ev->slice : EMU_SLICE);
		switch (r) {
		case X86EMU_LIMIT:
		case X86EMU_STOPPED:
		case X86EMU_IO_EXIT:
			continue;
		case X86EMU_SHUTDOWN: {
			struct vcpu_exit se = { .type = VCPU_EXIT_SHUTDOWN };

			vcpu_exit_handle(ec->v, &se);
			continue;
		}
		case X86EMU_HLT:
			break;
		}
		x86emu_get_regs(ec->cpu, &regs);
		pthread_mutex_lock(&ev->sched_lock);
		ec->halted = true;
		ec->halt_if = regs.rflags & RFLAGS_IF;
		pthread_mutex_unlock(&ev->sched_lock);
	}
}

