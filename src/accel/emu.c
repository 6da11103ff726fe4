/* The "emu" accelerator: ringvm's software x86-64 CPU (src/cpu/x86) plus
 * the emulated interrupt controllers and timers (src/hw/platform.c).
 *
 * Port I/O and MMIO are handled synchronously on the vCPU thread, in the
 * middle of the instruction, through vcpu_exit_handle(). A halted vCPU
 * sleeps on a condition variable until the platform says it has an
 * interrupt for it, or until it is kicked; it never busy-waits. */
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

/* Instructions per x86emu_run() call: the loop re-checks the VM state
 * between slices even if nobody kicks. */
#define EMU_SLICE 2000000
/* A halted vCPU re-checks its state at least this often (a safety net:
 * wake-ups come through the condition variable). */
#define EMU_HLT_WAIT_NS 200000000L

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0

struct emu_cpu {
	struct vcpu *v;
	struct x86emu *cpu;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool irq;        /* the platform has an interrupt for this CPU */
	bool kick;
	bool nmi;        /* an NMI arrived while halted: wake */
	bool init;       /* INIT received: reset, then wait for SIPI */
	bool wait_sipi;  /* in wait-for-SIPI (APs from power-on) */
	int sipi;        /* SIPI vector to start at, or -1 */
};

struct emu_vm {
	struct vm *vm;
	struct platform *plat;
	struct emu_cpu *cpus[VM_MAX_CPUS];
	bool early_irq[VM_MAX_CPUS]; /* notified before the vCPU existed */
	uint64_t tsc_hz;
	FILE *trace;      /* --trace: every vCPU writes here */
};

static int emu_probe(char *why, size_t len)
{
	(void)why;
	(void)len;
	return 0; /* runs anywhere */
}

/* --- platform callbacks (device lock held) --- */

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
	pthread_mutex_lock(&ec->lock);
	ec->irq = pending;
	x86emu_set_irq(ec->cpu, pending);
	if (pending)
		pthread_cond_signal(&ec->cond);
	pthread_mutex_unlock(&ec->lock);
}

static void emu_cpu_event(void *opaque, int cpu, enum platform_cpu_event kind, uint8_t vector)
{
	struct emu_vm *ev = opaque;
	struct emu_cpu *ec;

	if (cpu < 0 || cpu >= VM_MAX_CPUS || !(ec = ev->cpus[cpu]))
		return;
	pthread_mutex_lock(&ec->lock);
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
	pthread_cond_signal(&ec->cond);
	pthread_mutex_unlock(&ec->lock);
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

static int emu_vm_init(struct vm *vm)
{
	struct emu_vm *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	ev->vm = vm;
	ev->plat = platform_new(vm);
	if (!ev->plat) {
		free(ev);
		return -ENOMEM;
	}
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

/* Only the LAPIC's MSRs go to the platform (it takes the device lock). */
static int emu_msr(void *opaque, uint32_t idx, uint64_t *val, bool write)
{
	struct emu_cpu *ec = opaque;
	struct emu_vm *ev = ec->v->vm->accel_priv;

	if (idx != MSR_IA32_APIC_BASE && idx != MSR_IA32_TSC_DEADLINE)
		return -ENOENT;
	return write ? platform_msr_write(ev->plat, ec->v->id, idx, *val)
		     : platform_msr_read(ev->plat, ec->v->id, idx, val);
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
	};
	ec->cpu = x86emu_new(&bus, v->id);
	if (!ec->cpu) {
		free(ec);
		return -ENOMEM;
	}
	pthread_mutex_init(&ec->lock, NULL);
	pthread_cond_init(&ec->cond, NULL);
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
	pthread_cond_destroy(&ec->cond);
	pthread_mutex_destroy(&ec->lock);
	free(ec);
	v->priv = NULL;
}

static void emu_deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += EMU_HLT_WAIT_NS;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* INIT and SIPI, on the vCPU's own thread. Called with ec->lock held. */
static void emu_cpu_events(struct emu_cpu *ec)
{
	if (ec->init) {
		x86emu_reset(ec->cpu);
		ec->init = false;
		ec->wait_sipi = true;
	}
	if (ec->wait_sipi && ec->sipi >= 0) {
		/* Start in real mode at vector << 12 (SDM Vol. 3A 9.4.4.1). */
		struct vcpu_regs r;
		struct vcpu_sregs s;

		x86emu_get_regs(ec->cpu, &r);
		x86emu_get_sregs(ec->cpu, &s);
		s.cs.selector = (uint16_t)(ec->sipi << 8);
		s.cs.base = (uint64_t)ec->sipi << 12;
		r.rip = 0;
		x86emu_set_sregs(ec->cpu, &s);
		x86emu_set_regs(ec->cpu, &r);
		ec->wait_sipi = false;
		ec->sipi = -1;
	}
}

static int emu_vcpu_run(struct vcpu *v, struct vcpu_exit *e)
{
	struct emu_cpu *ec = v->priv;
	struct vm *vm = v->vm;

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
		pthread_mutex_lock(&ec->lock);
		if (ec->kick || v->kicked) {
			ec->kick = false;
			v->kicked = 0;
			pthread_mutex_unlock(&ec->lock);
			e->type = VCPU_EXIT_INTR;
			return 0;
		}
		emu_cpu_events(ec);
		if (ec->wait_sipi) {
			emu_deadline(&ts);
			pthread_cond_timedwait(&ec->cond, &ec->lock, &ts);
			pthread_mutex_unlock(&ec->lock);
			continue;
		}
		ec->nmi = false;
		pthread_mutex_unlock(&ec->lock);

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
		/* Halted: sleep until an interrupt, NMI, INIT/SIPI, kick or stop. */
		x86emu_get_regs(ec->cpu, &regs);
		pthread_mutex_lock(&ec->lock);
		while (!ec->irq && !ec->kick && !v->kicked && !ec->nmi && !ec->init &&
		       atomic_load(&vm->state) == VM_RUNNING) {
			if (!(regs.rflags & (1u << 9))) {
				/* IF=0 and nothing but NMI/INIT can wake it: the
				 * VMM decides (usually: the guest has stopped). */
				pthread_mutex_unlock(&ec->lock);
				e->type = VCPU_EXIT_HLT;
				return 0;
			}
			emu_deadline(&ts);
			pthread_cond_timedwait(&ec->cond, &ec->lock, &ts);
		}
		pthread_mutex_unlock(&ec->lock);
	}
}

static void emu_vcpu_kick(struct vcpu *v)
{
	struct emu_cpu *ec = v->priv;

	if (!ec)
		return;
	pthread_mutex_lock(&ec->lock);
	ec->kick = true;
	x86emu_stop(ec->cpu);
	pthread_cond_signal(&ec->cond);
	pthread_mutex_unlock(&ec->lock);
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
	pthread_mutex_lock(&ec->lock);
	ec->wait_sipi = false;
	pthread_mutex_unlock(&ec->lock);
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
		pthread_mutex_lock(&ec->lock);
		x86emu_reset(ec->cpu);
		/* vm.c loads the kernel again after this: code decoded from
		 * the old contents must not survive into the new boot. */
		for (int r = 0; r < vm->mem.nr; r++)
			x86emu_invalidate(ec->cpu, vm->mem.r[r].gpa, vm->mem.r[r].size);
		ec->kick = ec->nmi = ec->init = false;
		ec->sipi = -1;
		ec->wait_sipi = i != 0;
		pthread_mutex_unlock(&ec->lock);
	}
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
