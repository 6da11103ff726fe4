/* The "emu" accelerator: ringvm's software x86-64 CPU (src/cpu/x86) plus
 * the emulated interrupt controllers and timers (src/hw/platform.c).
 *
 * Port I/O and MMIO are handled synchronously on the vCPU thread, in the
 * middle of the instruction, through vcpu_exit_handle(). A halted vCPU
 * sleeps on a condition variable until the platform says it has an
 * interrupt for it, or until it is kicked; it never busy-waits.
 *
 * Two ways to map vCPUs to host threads (--vcpu-sched):
 *  threads  each vCPU has its own thread (src/core/vcpu.c starts them);
 *  single   vCPU 0's thread runs every vCPU in turn, a slice of guest
 *           instructions each (emu_sched_run). All CPUs then share one
 *           lock and condition variable, so the thread sleeps only when
 *           every vCPU is halted, and any wake-up reaches it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include "ringvm/accel.h"
#include "ringvm/log.h"
#include "ringvm/platform.h"
#include "ringvm/vm.h"
#include "ringvm/x86emu.h"
#include "accel/emu-priv.h"

/* Instructions per x86emu_run() call: the loop re-checks the VM state
 * between slices even if nobody kicks. */
/* A halted vCPU re-checks its state at least this often (a safety net:
 * wake-ups come through the condition variable). */
#define EMU_HLT_WAIT_NS 200000000L
/* --vcpu-sched single: instructions per turn while more than one vCPU can
 * run. Short enough that a vCPU spinning on another (a lock holder, a TLB
 * shootdown's acknowledgement) wastes little before the other runs; long
 * enough that switching costs nothing measurable (bench/smp.py; the
 * environment variable RINGVM_SCHED_SLICE overrides it for such
 * measurements). A lone runnable vCPU gets EMU_SLICE: anything that makes
 * another runnable ends its slice early (emu_sched_preempt). */
#define EMU_SCHED_SLICE 50000

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_KVM_PV_EOI_EN 0x4b564d04 /* Linux Documentation/virt/kvm/x86/msr.rst */


static int emu_probe(char *why, size_t len)
{
	(void)why;
	(void)len;
	return 0; /* runs anywhere */
}

/* --- platform callbacks (device lock held) --- */

/* --vcpu-sched single, with ec->lock held: something arrived for ec (an
 * interrupt, IPI, INIT/SIPI, NMI) while another vCPU has the thread. End
 * that one's slice at its next instruction boundary so that ec runs now
 * instead of after the rest of the slice: the sender of an IPI usually
 * spins until the target answers (Linux's smp_call_function waits on
 * csd_lock), and those instructions would be wasted. */
static void emu_sched_preempt(struct emu_vm *ev, struct emu_cpu *ec)
{
	if (ev->single && ev->running && ev->running != ec)
		x86emu_stop(ev->running->cpu);
}

static void emu_notify(void *opaque, int cpu, bool pending)
{
	struct emu_vm *ev = opaque;
	struct emu_cpu *ec;

	if (cpu < 0 || cpu >= VM_MAX_CPUS)
		return;
	ec = ev->cpus[cpu];
	if (!ec) {
		ev->early_irq[cpu] = pending;
		return;
	}
	pthread_mutex_lock(ec->lock);
	ec->irq = pending;
	x86emu_set_irq(ec->cpu, pending);
	if (pending) {
		emu_sched_preempt(ev, ec);
		pthread_cond_signal(ec->cond);
	}
	pthread_mutex_unlock(ec->lock);
}

static void emu_cpu_event(void *opaque, int cpu, enum platform_cpu_event kind, uint8_t vector)
{
	struct emu_vm *ev = opaque;
	struct emu_cpu *ec;

	if (cpu < 0 || cpu >= VM_MAX_CPUS || !(ec = ev->cpus[cpu]))
		return;
	pthread_mutex_lock(ec->lock);
	switch (kind) {
	case PLATFORM_EV_NMI:
		x86emu_nmi(ec->cpu);
		ec->nmi = true;
		break;
	case PLATFORM_EV_INIT:
		/* Acted on by the vCPU's own thread (SDM Vol. 3A 9.4.4). */
		ec->init = true;
		ec->sipi = -1;
		x86emu_stop(ec->cpu);
		break;
	case PLATFORM_EV_SIPI:
		/* Ignored unless the CPU waits for one (SDM Vol. 3A 9.4.4.1). */
		if (ec->wait_sipi || ec->init)
			ec->sipi = vector;
		break;
	}
	emu_sched_preempt(ev, ec);
	pthread_cond_signal(ec->cond);
	pthread_mutex_unlock(ec->lock);
}

/* The guest TSC the platform's deadline timer compares with. Lock-free:
 * the MSR path below does not forward the TSC to the platform. */
static uint64_t emu_read_tsc(void *opaque, int cpu)
{
	struct emu_vm *ev = opaque;
	uint64_t v = 0;

	if (cpu >= 0 && cpu < VM_MAX_CPUS && ev->cpus[cpu])
		x86emu_get_msr(ev->cpus[cpu]->cpu, MSR_IA32_TSC, &v);
	return v;
}

static uint64_t emu_sched_slice(void)
{
	const char *s = getenv("RINGVM_SCHED_SLICE");
	unsigned long long n;
	char *end;

	if (!s || !*s)
		return EMU_SCHED_SLICE;
	n = strtoull(s, &end, 10);
	if (*end || n < 1000 || n > 100000000ULL) {
		pr_warn("RINGVM_SCHED_SLICE=%s: not 1000 to 100000000 instructions; using %d",
			s, EMU_SCHED_SLICE);
		return EMU_SCHED_SLICE;
	}
	return n;
}

static int emu_vm_init(struct vm *vm)
{
	struct emu_vm *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	ev->vm = vm;
	ev->single = vcpu_single_thread(vm);
	ev->slice = emu_sched_slice();
	ev->plat = platform_new(vm);
	if (!ev->plat) {
		free(ev);
		return -ENOMEM;
	}
	pthread_mutex_init(&ev->sched_lock, NULL);
	pthread_cond_init(&ev->sched_cond, NULL);
	vm->platform = ev->plat;
	vm->accel_priv = ev;
	platform_set_notify(ev->plat, emu_notify, ev);
	platform_set_event_handler(ev->plat, emu_cpu_event, ev);
	/* The same rate kvmclock publishes, so the deadline timer and the
	 * guest's clock agree. */
	ev->tsc_hz = x86emu_tsc_hz();
	platform_set_tsc(ev->plat, ev->tsc_hz, emu_read_tsc, ev);
	if (vm->cfg.trace) {
		ev->trace = fopen(vm->cfg.trace, "w");
		if (!ev->trace) {
			pr_err("--trace %s: %s", vm->cfg.trace, strerror(errno));
			pthread_cond_destroy(&ev->sched_cond);
			pthread_mutex_destroy(&ev->sched_lock);
			platform_free(ev->plat);
			vm->platform = NULL;
			vm->accel_priv = NULL;
			free(ev);
			return -errno;
		}
	}
	return 0;
}

static void emu_vm_exit(struct vm *vm)
{
	struct emu_vm *ev = vm->accel_priv;

	if (!ev)
		return;
	platform_free(ev->plat);
	if (ev->trace)
		fclose(ev->trace);
	pthread_cond_destroy(&ev->sched_cond);
	pthread_mutex_destroy(&ev->sched_lock);
	vm->platform = NULL;
	vm->accel_priv = NULL;
	free(ev);
}

static int emu_map_memory(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *host)
{
	/* RAM is reached through vm->mem (mem_ptr) on TLB fills; nothing to
	 * record beyond checking the region is one the VM knows. */
	if (!mem_ptr(&vm->mem, gpa, size) || mem_ptr(&vm->mem, gpa, 1) != host)
		return -EINVAL;
	return 0;
}

/* --- CPU bus callbacks (vCPU thread, no lock held) --- */

static uint8_t *emu_ram_page(void *opaque, uint64_t gpa)
{
	struct emu_cpu *ec = opaque;

	return mem_ptr(&ec->v->vm->mem, gpa & ~0xfffULL, 4096);
}

static void emu_exit(struct emu_cpu *ec, struct vcpu_exit *e)
{
	if (vcpu_exit_handle(ec->v, e) == 1)
		x86emu_stop(ec->cpu);
}

static void emu_mmio(void *opaque, uint64_t gpa, void *data, unsigned len, bool write)
{
	struct emu_cpu *ec = opaque;
	struct vcpu_exit e = { .type = VCPU_EXIT_MMIO };

	if (len > sizeof(e.mmio.data))
		len = sizeof(e.mmio.data);
	e.mmio.addr = gpa;
	e.mmio.len = (uint8_t)len;
	e.mmio.write = write;
	if (write)
		memcpy(e.mmio.data, data, len);
	emu_exit(ec, &e);
	if (!write)
		memcpy(data, e.mmio.data, len);
}

static void emu_pio(void *opaque, uint16_t port, void *data, unsigned len, bool in)
{
	struct emu_cpu *ec = opaque;
	struct vcpu_exit e = { .type = VCPU_EXIT_IO };

	e.io.port = port;
	e.io.size = (uint8_t)len;
	e.io.in = in;
	e.io.count = 1;
	e.io.data = data;
	emu_exit(ec, &e);
}

static int emu_intr_ack(void *opaque)
{
	struct emu_cpu *ec = opaque;
	struct emu_vm *ev = ec->v->vm->accel_priv;

	return platform_intr_ack(ev->plat, ec->v->id);
}

static void emu_cr8_write(void *opaque, uint64_t val)
{
	struct emu_cpu *ec = opaque;
	struct emu_vm *ev = ec->v->vm->accel_priv;

	platform_set_cr8(ev->plat, ec->v->id, (uint8_t)val);
}

static uint64_t emu_cr8_read(void *opaque)
{
	struct emu_cpu *ec = opaque;
	struct emu_vm *ev = ec->v->vm->accel_priv;

	return platform_get_cr8(ev->plat, ec->v->id);
}

/* Only the LAPIC's MSRs go to the platform (it takes the device lock):
 * its base, the TSC-deadline timer and KVM's PV EOI word (lapic.c). */
static int emu_msr(void *opaque, uint32_t idx, uint64_t *val, bool write)
{
	struct emu_cpu *ec = opaque;
	struct emu_vm *ev = ec->v->vm->accel_priv;

	if (idx != MSR_IA32_APIC_BASE && idx != MSR_IA32_TSC_DEADLINE && idx != MSR_KVM_PV_EOI_EN)
		return -ENOENT;
	return write ? platform_msr_write(ev->plat, ec->v->id, idx, *val)
		     : platform_msr_read(ev->plat, ec->v->id, idx, val);
}

/* KVM_HC_KICK_CPU from ec's guest code: wake the vCPU with that APIC ID
 * from HLT whatever its IF, or, if it is not halted, make its next HLT
 * return at once (x86emu.h, kick_cpu). Linux's paravirtual spinlocks halt
 * a waiter (often with interrupts off) until the holder kicks it. */
static void emu_kick_cpu(void *opaque, uint32_t apic_id)
{
	struct emu_cpu *self = opaque;
	struct emu_vm *ev = self->v->vm->accel_priv;
	struct emu_cpu *ec;

	/* APIC IDs are the vCPU indexes (platform.h); KVM ignores a kick to
	 * an APIC ID no vCPU has. */
	if (apic_id >= VM_MAX_CPUS || !(ec = ev->cpus[apic_id]))
		return;
	pthread_mutex_lock(ec->lock);
	ec->unhalt = true;
	emu_sched_preempt(ev, ec);
	pthread_cond_signal(ec->cond);
	pthread_mutex_unlock(ec->lock);
}

static int emu_vcpu_init(struct vcpu *v)
{
	struct emu_vm *ev = v->vm->accel_priv;
	struct emu_cpu *ec;
	struct x86emu_bus bus;

	if (v->id < 0 || v->id >= VM_MAX_CPUS)
		return -EINVAL;
	ec = calloc(1, sizeof(*ec));
	if (!ec)
		return -ENOMEM;
	ec->v = v;
	ec->sipi = -1;
	/* Application processors wait for INIT-SIPI-SIPI (SDM Vol. 3A 9.4). */
	ec->wait_sipi = v->id != 0;
	bus = (struct x86emu_bus){
		.opaque = ec,
		.ram_page = emu_ram_page,
		.mmio = emu_mmio,
		.pio = emu_pio,
		.intr_ack = emu_intr_ack,
		.cr8_write = emu_cr8_write,
		.cr8_read = emu_cr8_read,
		.msr = emu_msr,
		.kick_cpu = emu_kick_cpu,
	};
	ec->cpu = x86emu_new(&bus, v->id);
	if (!ec->cpu) {
		free(ec);
		return -ENOMEM;
	}
	pthread_mutex_init(&ec->own_lock, NULL);
	pthread_cond_init(&ec->own_cond, NULL);
	ec->lock = ev->single ? &ev->sched_lock : &ec->own_lock;
	ec->cond = ev->single ? &ev->sched_cond : &ec->own_cond;
	if (ev->trace)
		x86emu_set_trace(ec->cpu, ev->trace, v->vm->cfg.trace_limit);
	v->priv = ec;
	vm_lock(v->vm);
	ev->cpus[v->id] = ec;
	ec->irq = ev->early_irq[v->id];
	x86emu_set_irq(ec->cpu, ec->irq);
	vm_unlock(v->vm);
	return 0;
}

static void emu_vcpu_fini(struct vcpu *v)
{
	struct emu_cpu *ec = v->priv;
	struct emu_vm *ev = v->vm->accel_priv;

	if (!ec)
		return;
	/* bench/cpu.py divides this by the wall time (guest MIPS) under -v. */
	pr_debug("emu: vcpu %d: %llu instructions retired", v->id,
		(unsigned long long)x86emu_icount(ec->cpu));
	if (ev) {
		vm_lock(v->vm);
		ev->cpus[v->id] = NULL;
		vm_unlock(v->vm);
	}
	x86emu_free(ec->cpu);
	pthread_cond_destroy(&ec->own_cond);
	pthread_mutex_destroy(&ec->own_lock);
	free(ec);
	v->priv = NULL;
}

void emu_deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += EMU_HLT_WAIT_NS;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* INIT and SIPI, on the thread that runs the vCPU. Called with ec->lock
 * held; returns true when it let go of the lock in between (the caller's
 * view of the flags may be stale then). The CPU's own state is changed
 * without the lock: its segment registers go through CR8, i.e. the local
 * APIC under the device lock, and whoever calls emu_cpu_event() holds the
 * device lock and then takes ec->lock, so taking them the other way round
 * here could deadlock. Only this thread touches the CPU's registers. */
bool emu_cpu_events(struct emu_cpu *ec)
{
	bool dropped = false;

	if (ec->init) {
		ec->init = false;
		ec->wait_sipi = true;
		ec->halted = ec->unhalt = false;
		pthread_mutex_unlock(ec->lock);
		x86emu_reset(ec->cpu);
		pthread_mutex_lock(ec->lock);
		dropped = true;
	}
	if (ec->wait_sipi && ec->sipi >= 0 && !ec->init) {
		/* Start in real mode at vector << 12 (SDM Vol. 3A 9.4.4.1). */
		int vector = ec->sipi;
		struct vcpu_regs r;
		struct vcpu_sregs s;

		pthread_mutex_unlock(ec->lock);
		x86emu_get_regs(ec->cpu, &r);
		x86emu_get_sregs(ec->cpu, &s);
		s.cs.selector = (uint16_t)(vector << 8);
		s.cs.base = (uint64_t)vector << 12;
		r.rip = 0;
		x86emu_set_sregs(ec->cpu, &s);
		x86emu_set_regs(ec->cpu, &r);
		pthread_mutex_lock(ec->lock);
		dropped = true;
		/* An INIT that came meanwhile wins: it resets the CPU on the
		 * next round. A second SIPI to a running CPU is ignored. */
		if (!ec->init)
			ec->wait_sipi = false;
		ec->sipi = -1;
	}
	return dropped;
}

/* Whether a halted CPU resumes: on an NMI, INIT, or an interrupt it
 * accepts (IF=1) (SDM Vol. 2A, HLT: "an enabled interrupt (including NMI
 * and SMI) ... the INIT# signal ... will resume execution"), or on a PV
 * unhalt kick, which wakes it whatever IF says (KVM_HC_KICK_CPU, Linux
 * Documentation/virt/kvm/x86/hypercalls.rst). Lock held. */
bool emu_cpu_woken(const struct emu_cpu *ec, bool iflag)
{
	return ec->nmi || ec->init || ec->unhalt || (ec->irq && iflag);
}

/* Lock held: nothing but another vCPU can ever wake c. It waits for a
 * SIPI, or halted with IF=0 (maskable interrupts cannot wake it) and no
 * NMI/INIT/kick on the way. */
bool emu_cpu_parked(const struct emu_cpu *c)
{
	return c->wait_sipi || (c->halted && !c->halt_if && !emu_cpu_woken(c, false));
}

/* A halted CPU resumes (lock held). A kick is used up by the wake-up, as
 * KVM clears pv_unhalted when the vCPU leaves the halted state. */
void emu_cpu_resume(struct emu_cpu *ec)
{
	if (!ec->halted)
		return;
	ec->halted = false;
	if (ec->unhalt) {
		ec->unhalt = false;
		x86emu_unhalt(ec->cpu);
	}
}

/* --vcpu-sched threads, with self->lock held: is every other vCPU parked?
 * Their locks are taken one at a time; only the boot CPU asks, and nobody
 * holding another vCPU's lock takes the boot CPU's, so this cannot
 * deadlock. A vCPU that parks just after it was looked at is seen at the
 * next check (the halted wait times out every EMU_HLT_WAIT_NS). */
static bool emu_others_parked(struct emu_vm *ev, struct emu_cpu *self)
{
	for (int i = 0; i < ev->vm->ncpus; i++) {
		struct emu_cpu *c = ev->cpus[i];
		bool parked;

		if (!c || c == self)
			continue;
		pthread_mutex_lock(c->lock);
		parked = emu_cpu_parked(c);
		pthread_mutex_unlock(c->lock);
		if (!parked)
			return false;
	}
	return true;
}

static int emu_vcpu_run(struct vcpu *v, struct vcpu_exit *e)
{
	struct emu_cpu *ec = v->priv;
	struct vm *vm = v->vm;
	struct emu_vm *ev = vm->accel_priv;

	if (ev->single)
		return v->id == 0 ? emu_sched_run(vm, e) : -EINVAL;
	/* Per thread, and threads are new after a VM reset. */
	platform_set_thread_cpu(v->id);
	for (;;) {
		enum x86emu_stop r;
		struct vcpu_regs regs;
		struct timespec ts;

		if (atomic_load(&vm->state) != VM_RUNNING) {
			e->type = VCPU_EXIT_INTR;
			return 0;
		}
		pthread_mutex_lock(ec->lock);
		if (ec->kick || v->kicked) {
			ec->kick = false;
			v->kicked = 0;
			pthread_mutex_unlock(ec->lock);
			e->type = VCPU_EXIT_INTR;
			return 0;
		}
		if (emu_cpu_events(ec) && (ec->kick || v->kicked)) {
			/* A kick came while the lock was let go. */
			pthread_mutex_unlock(ec->lock);
			continue;
		}
		if (ec->wait_sipi) {
			emu_deadline(&ts);
			pthread_cond_timedwait(ec->cond, ec->lock, &ts);
			pthread_mutex_unlock(ec->lock);
			continue;
		}
		ec->nmi = false;
		pthread_mutex_unlock(ec->lock);

		r = x86emu_run(ec->cpu, EMU_SLICE);
		switch (r) {
		case X86EMU_LIMIT:
		case X86EMU_STOPPED:
		case X86EMU_IO_EXIT:
			continue;
		case X86EMU_SHUTDOWN:
			e->type = VCPU_EXIT_SHUTDOWN;
			return 0;
		case X86EMU_HLT:
			break;
		}
		/* Halted: sleep until an interrupt, NMI, INIT/SIPI, PV kick,
		 * VMM kick or stop. With IF=0 a pending interrupt does not
		 * count: the CPU would only halt again at once. */
		x86emu_get_regs(ec->cpu, &regs);
		pthread_mutex_lock(ec->lock);
		ec->halted = true;
		ec->halt_if = regs.rflags & RFLAGS_IF;
		while (!ec->kick && !v->kicked && !emu_cpu_woken(ec, ec->halt_if) &&
		       atomic_load(&vm->state) == VM_RUNNING) {
			if (v->id == 0 && !ec->halt_if && emu_others_parked(ev, ec)) {
				/* The boot CPU with IF=0 and no vCPU left to
				 * wake it: the guest has stopped; the VMM
				 * decides (vcpu.c ends the VM). */
				ec->halted = false;
				pthread_mutex_unlock(ec->lock);
				e->type = VCPU_EXIT_HLT;
				return 0;
			}
			emu_deadline(&ts);
			pthread_cond_timedwait(ec->cond, ec->lock, &ts);
		}
		emu_cpu_resume(ec);
		pthread_mutex_unlock(ec->lock);
	}
}

static void emu_vcpu_kick(struct vcpu *v)
{
	struct emu_cpu *ec = v->priv;

	if (!ec)
		return;
	pthread_mutex_lock(ec->lock);
	ec->kick = true;
	x86emu_stop(ec->cpu);
	pthread_cond_signal(ec->cond);
	pthread_mutex_unlock(ec->lock);
}

static int emu_get_regs(struct vcpu *v, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	struct emu_cpu *ec = v->priv;

	if (!ec)
		return -EINVAL;
	if (r)
		x86emu_get_regs(ec->cpu, r);
	if (s)
		x86emu_get_sregs(ec->cpu, s);
	return 0;
}

static int emu_set_regs(struct vcpu *v, const struct vcpu_regs *r, const struct vcpu_sregs *s)
{
	struct emu_cpu *ec = v->priv;

	if (!ec)
		return -EINVAL;
	/* Segment state first: set_regs recomputes the mode from it. */
	if (s)
		x86emu_set_sregs(ec->cpu, s);
	if (r)
		x86emu_set_regs(ec->cpu, r);
	/* Registers given explicitly: this CPU runs from them. */
	pthread_mutex_lock(ec->lock);
	ec->wait_sipi = false;
	ec->halted = ec->unhalt = false;
	pthread_mutex_unlock(ec->lock);
	return 0;
}

/* Callers hold the device lock, as platform_set_irq() requires. */
static int emu_irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct emu_vm *ev = vm->accel_priv;

	if (!ev)
		return -ENODEV;
	platform_set_irq(ev->plat, gsi, level);
	return 0;
}

static int emu_vm_reset(struct vm *vm)
{
	struct emu_vm *ev = vm->accel_priv;

	if (!ev)
		return -ENODEV;
	vm_lock(vm);
	platform_reset(ev->plat);
	vm_unlock(vm);
	for (int i = 0; i < vm->ncpus; i++) {
		struct emu_cpu *ec = vm->vcpus[i].priv;
		if (!ec)
			continue;
		pthread_mutex_lock(ec->lock);
		x86emu_reset(ec->cpu);
		/* vm.c loads the kernel again after this: code decoded from
		 * the old contents must not survive into the new boot. */
		for (int r = 0; r < vm->mem.nr; r++)
			x86emu_invalidate(ec->cpu, vm->mem.r[r].gpa, vm->mem.r[r].size);
		ec->kick = ec->nmi = ec->init = ec->halted = ec->unhalt = false;
		ec->sipi = -1;
		ec->wait_sipi = i != 0;
		pthread_mutex_unlock(ec->lock);
	}
	ev->running = NULL;
	return 0;
}

const struct accel_ops accel_emu = {
	.name = "emu",
	.probe = emu_probe,
	.vm_init = emu_vm_init,
	.vm_exit = emu_vm_exit,
	.map_memory = emu_map_memory,
	.vcpu_init = emu_vcpu_init,
	.vcpu_fini = emu_vcpu_fini,
	.vcpu_run = emu_vcpu_run,
	.get_regs = emu_get_regs,
	.set_regs = emu_set_regs,
	.irq_line = emu_irq_line,
	.vcpu_kick = emu_vcpu_kick,
	.vm_reset = emu_vm_reset,
};
