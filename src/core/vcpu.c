/* vCPU threads and the exit handler both accelerators share. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ringvm/log.h"
#include "ringvm/vm.h"

/* Port and MMIO exits go to the bus; everything else decides the VM's fate. */
int vcpu_exit_handle(struct vcpu *v, struct vcpu_exit *e)
{
	struct vm *vm = v->vm;

	switch (e->type) {
	case VCPU_EXIT_NONE:
	case VCPU_EXIT_INTR:
		return atomic_load(&vm->state) != VM_RUNNING;
	case VCPU_EXIT_IO:
		for (uint32_t i = 0; i < e->io.count; i++)
			bus_dispatch(vm, BUS_PIO, e->io.port, e->io.data + i * e->io.size,
				     e->io.size, !e->io.in);
		return atomic_load(&vm->state) != VM_RUNNING;
	case VCPU_EXIT_MMIO:
		if (bus_dispatch(vm, BUS_MMIO, e->mmio.addr, e->mmio.data, e->mmio.len,
				 e->mmio.write) < 0)
			pr_debug("vcpu%d: unclaimed MMIO %s %#llx/%u", v->id,
				 e->mmio.write ? "write" : "read",
				 (unsigned long long)e->mmio.addr, e->mmio.len);
		return atomic_load(&vm->state) != VM_RUNNING;
	case VCPU_EXIT_HLT:
		/* Halted with interrupts off and nothing that can wake it. A
		 * secondary CPU parked this way (Linux's stop_this_cpu at
		 * poweroff or panic) just sleeps until the VM stops or resets;
		 * when the boot CPU does it the guest has stopped for good
		 * ("cli; hlt"). Real hardware would sit there forever; ringvm
		 * ends the VM instead of hanging. */
		if (v->id != 0) {
			pr_debug("vcpu%d parked (halted with interrupts disabled)", v->id);
			while (atomic_load(&vm->state) == VM_RUNNING && !v->kicked)
				usleep(10000);
			return 1;
		}
		pr_info("vcpu%d halted with interrupts disabled: stopping the VM", v->id);
		vm_request_stop(vm, 0);
		return 1;
	case VCPU_EXIT_SHUTDOWN:
		pr_err("vcpu%d: guest triple fault (shutdown): stopping the VM", v->id);
		vcpu_dump(v);
		vm_request_stop(vm, 1);
		return 1;
	case VCPU_EXIT_RESET:
		vm_request_reset(vm);
		return 1;
	case VCPU_EXIT_POWEROFF:
		pr_info("guest powered off");
		vm_request_stop(vm, 0);
		return 1;
	case VCPU_EXIT_INTERNAL_ERROR:
	case VCPU_EXIT_FAIL_ENTRY:
		pr_err("vcpu%d: %s: %s (code %#llx)", v->id,
		       e->type == VCPU_EXIT_FAIL_ENTRY ? "VM entry failed" : "internal error",
		       e->fail.reason, (unsigned long long)e->fail.code);
		vcpu_dump(v);
		vm_request_stop(vm, 1);
		return 1;
	}
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct vcpu_exit e = { .type = VCPU_EXIT_NONE };
	char name[16];

	if (vcpu_single_thread(vm))
		snprintf(name, sizeof(name), "vcpus"); /* runs them all */
	else
		snprintf(name, sizeof(name), "vcpu%d", v->id);
	pthread_setname_np(pthread_self(), name);
	while (atomic_load(&vm->state) == VM_RUNNING) {
		int ret;

		/* Not cleared: KVM completes an MMIO read from e's data on the
		 * next entry. */
		e.type = VCPU_EXIT_NONE;
		ret = vm->accel->vcpu_run(v, &e);
		if (ret < 0) {
			pr_err("vcpu%d: %s: run failed: %s", v->id, vm->accel->name, strerror(-ret));
			vm_request_stop(vm, 1);
			break;
		}
		if (vcpu_exit_handle(v, &e))
			break;
	}
	return NULL;
}

/* --vcpu-sched single: the vCPUs after the first have no thread of their
 * own, but vm_run() joins one per vCPU; this one ends at once. */
static void *vcpu_thread_none(void *arg)
{
	(void)arg;
	return NULL;
}

bool vcpu_single_thread(const struct vm *vm)
{
	return vm->cfg.vcpu_sched == VM_SCHED_SINGLE && vm->accel == &accel_emu;
}

static void vcpu_signal(int sig)
{
	(void)sig; /* only interrupts KVM_RUN / sleeps */
}

static void vcpu_signal_install(void)
{
	struct sigaction sa = { .sa_handler = vcpu_signal };

	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

int vcpu_start(struct vcpu *v)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int ret;

	pthread_once(&once, vcpu_signal_install);
	v->kicked = 0;
	ret = pthread_create(&v->thread, NULL,
			     vcpu_single_thread(v->vm) && v->id != 0 ? vcpu_thread_none : vcpu_thread, v);
	if (ret) {
		pr_err("cannot start vCPU %d: %s", v->id, strerror(ret));
		return -ret;
	}
	return 0;
}

void vcpu_dump(struct vcpu *v)
{
	struct vcpu_regs r;
	struct vcpu_sregs s;

	if (!v->vm->accel->get_regs || v->vm->accel->get_regs(v, &r, &s) < 0)
		return;
	fprintf(stderr,
		"  rip %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cs %04x (base %llx) ss %04x ds %04x es %04x\n"
		"  cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx\n"
		"  gdt %llx/%x idt %llx/%x\n",
		(unsigned long long)r.rip, (unsigned long long)r.rflags,
		(unsigned long long)r.rax, (unsigned long long)r.rbx, (unsigned long long)r.rcx,
		(unsigned long long)r.rdx, (unsigned long long)r.rsi, (unsigned long long)r.rdi,
		(unsigned long long)r.rsp, (unsigned long long)r.rbp, (unsigned long long)r.r8,
		(unsigned long long)r.r9, (unsigned long long)r.r10, (unsigned long long)r.r11,
		(unsigned long long)r.r12, (unsigned long long)r.r13, (unsigned long long)r.r14,
		(unsigned long long)r.r15, s.cs.selector, (unsigned long long)s.cs.base,
		s.ss.selector, s.ds.selector, s.es.selector, (unsigned long long)s.cr0,
		(unsigned long long)s.cr2, (unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer, (unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);
}
