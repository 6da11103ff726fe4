/* KVM: hardware-assisted virtualization. The CPU does VM entry and exit;
 * ringvm handles the exits KVM hands back (Documentation/virt/kvm/api.rst). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ringvm/log.h"
#include "ringvm/vm.h"

/* Top of the 32-bit space, below the BIOS ROM alias and clear of the
 * IOAPIC (0xfec00000) and LAPIC (0xfee00000): the three pages KVM needs for
 * its real-mode TSS and identity map on VMX (api.rst KVM_SET_TSS_ADDR). */
#define KVM_TSS_ADDR      0xfffbd000ULL
#define KVM_IDMAP_ADDR    0xfffbc000ULL

#define KVM_CPUID_SIGNATURE 0x40000000u
#define KVM_CPUID_FEATURES  0x40000001u
#define MAX_CPUID_ENTRIES   256

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE    0x2ff

struct kvm_vm {
	int sys_fd;
	int vm_fd;
	int run_size;
	struct kvm_cpuid2 *cpuid;  /* KVM_GET_SUPPORTED_CPUID */
};

struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
	struct vcpu_exit *pending_mmio_read; /* fill run->mmio.data before re-entry */
};

static int kvm_probe(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), ver;

	if (fd < 0) {
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(errno));
		return -errno;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (ver != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm speaks API version %d, ringvm needs %d", ver, KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

static struct kvm_cpuid2 *kvm_supported_cpuid(int sys_fd)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_CPUID_ENTRIES * sizeof(c->entries[0]));

	if (!c)
		return NULL;
	c->nent = MAX_CPUID_ENTRIES;
	if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static int kvm_create(struct kvm_vm *k)
{
	struct kvm_pit_config pit = { .flags = 0 };
	int err;

	k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0)
		return -errno;
	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		goto err_errno;
	k->run_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size <= 0)
		goto err_errno;
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		goto err_errno;
	{
		uint64_t idmap = KVM_IDMAP_ADDR;
		if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
			goto err_errno;
	}
	/* In-kernel PIC pair, IOAPIC and LAPICs, then the PIT: HLT and timer
	 * interrupts never leave the kernel. */
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		goto err_errno;
	if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		goto err_errno;
	if (!k->cpuid && !(k->cpuid = kvm_supported_cpuid(k->sys_fd)))
		goto err_errno;
	return 0;
err_errno:
	err = -errno;
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	close(k->sys_fd);
	k->vm_fd = k->sys_fd = -1;
	return err;
}

static int kvm_vm_init(struct vm *vm)
{
	struct kvm_vm *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	k->vm_fd = -1;
	ret = kvm_create(k);
	if (ret < 0) {
		free(k->cpuid);
		free(k);
		return ret;
	}
	vm->accel_priv = k;
	return 0;
}

static void kvm_vm_exit(struct vm *vm)
{
	struct kvm_vm *k = vm->accel_priv;

	close(k->vm_fd);
	close(k->sys_fd);
	free(k->cpuid);
	free(k);
	vm->accel_priv = NULL;
}

static int kvm_map_memory(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_vm *k = vm->accel_priv;
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* What the guest sees: the host's supported set, our APIC ids, and the KVM
 * paravirtual signature so Linux uses kvmclock, PV EOI and friends. */
static int kvm_vcpu_cpuid(struct kvm_vm *k, struct vcpu *v, int fd)
{
	size_t sz = sizeof(struct kvm_cpuid2) + k->cpuid->nent * sizeof(k->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int ret = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, k->cpuid, sz);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			/* Initial APIC id and logical processor count (SDM Vol. 2A CPUID). */
			e->ebx = (e->ebx & 0x0000ffffu) | ((uint32_t)v->vm->ncpus << 16) |
				 ((uint32_t)v->id << 24);
			e->ecx |= 1u << 31; /* hypervisor present */
			break;
		case 0xb:
		case 0x1f:
			e->edx = (uint32_t)v->id; /* x2APIC id */
			break;
		case KVM_CPUID_SIGNATURE:
			e->eax = KVM_CPUID_FEATURES;
			memcpy(&e->ebx, "KVMK", 4);
			memcpy(&e->ecx, "VMKV", 4);
			memcpy(&e->edx, "M\0\0\0", 4);
			break;
		}
	}
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}

static int kvm_vcpu_msrs(int fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = {
		.hdr.nmsrs = 2,
		/* Fast strings on; MTRRs enabled with write-back default so the
		 * guest does not map its RAM uncached. */
		.e = { { .index = MSR_IA32_MISC_ENABLE, .data = 1 },
		       { .index = MSR_MTRR_DEF_TYPE, .data = (1u << 11) | 6 } },
	};

	return ioctl(fd, KVM_SET_MSRS, &m) < 0 ? -errno : 0;
}

static int kvm_vcpu_init(struct vcpu *v)
{
	struct kvm_vm *k = v->vm->accel_priv;
	struct kvm_vcpu *kv = calloc(1, sizeof(*kv));
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	int ret;

	if (!kv)
		return -ENOMEM;
	kv->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (kv->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	kv->run = mmap(NULL, (size_t)k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kv->fd, 0);
	if (kv->run == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	if ((ret = kvm_vcpu_cpuid(k, v, kv->fd)) < 0 || (ret = kvm_vcpu_msrs(kv->fd)) < 0)
		goto err_unmap;
	if (ioctl(kv->fd, KVM_SET_FPU, &fpu) < 0) {
		ret = -errno;
		goto err_unmap;
	}
	v->priv = kv;
	return 0;
err_unmap:
	munmap(kv->run, (size_t)k->run_size);
err_close:
	close(kv->fd);
err_free:
	free(kv);
	return ret;
}

static void kvm_vcpu_fini(struct vcpu *v)
{
	struct kvm_vm *k = v->vm->accel_priv;
	struct kvm_vcpu *kv = v->priv;

	munmap(kv->run, (size_t)k->run_size);
	close(kv->fd);
	free(kv);
	v->priv = NULL;
}

static void kvm_fail(struct vcpu_exit *e, enum vcpu_exit_type t, uint64_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void kvm_fail(struct vcpu_exit *e, enum vcpu_exit_type t, uint64_t code, const char *fmt, ...)
{
	va_list ap;

	e->type = t;
	e->fail.code = code;
	va_start(ap, fmt);
	vsnprintf(e->fail.reason, sizeof(e->fail.reason), fmt, ap);
	va_end(ap);
}

static int kvm_vcpu_run(struct vcpu *v, struct vcpu_exit *e)
{
	struct kvm_vcpu *kv = v->priv;
	struct kvm_run *run = kv->run;

	if (kv->pending_mmio_read) {
		memcpy(run->mmio.data, kv->pending_mmio_read->mmio.data, run->mmio.len);
		kv->pending_mmio_read = NULL;
	}
	if (v->kicked) {
		e->type = VCPU_EXIT_INTR;
		return 0;
	}
	if (ioctl(kv->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			run->immediate_exit = 0;
			e->type = VCPU_EXIT_INTR;
			return 0;
		}
		return -errno;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e->type = VCPU_EXIT_IO;
		e->io.port = run->io.port;
		e->io.size = run->io.size;
		e->io.in = run->io.direction == KVM_EXIT_IO_IN;
		e->io.count = run->io.count;
		e->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		e->type = VCPU_EXIT_MMIO;
		e->mmio.addr = run->mmio.phys_addr;
		e->mmio.len = (uint8_t)(run->mmio.len > 8 ? 8 : run->mmio.len);
		e->mmio.write = run->mmio.is_write;
		if (e->mmio.write)
			memcpy(e->mmio.data, run->mmio.data, e->mmio.len);
		else
			kv->pending_mmio_read = e;
		break;
	case KVM_EXIT_HLT:
		e->type = VCPU_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		e->type = VCPU_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_INTR:
		e->type = VCPU_EXIT_INTR;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			e->type = VCPU_EXIT_POWEROFF;
			break;
		case KVM_SYSTEM_EVENT_RESET:
			e->type = VCPU_EXIT_RESET;
			break;
		default:
			kvm_fail(e, VCPU_EXIT_INTERNAL_ERROR, run->system_event.type,
				 "system event %u (guest crash)", run->system_event.type);
		}
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		kvm_fail(e, VCPU_EXIT_INTERNAL_ERROR, run->internal.suberror,
			 "KVM internal error, suberror %u%s", run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			 " (instruction emulation failed)" : "");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		kvm_fail(e, VCPU_EXIT_FAIL_ENTRY,
			 run->fail_entry.hardware_entry_failure_reason,
			 "hardware entry failure reason %#llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		kvm_fail(e, VCPU_EXIT_INTERNAL_ERROR, run->exit_reason,
			 "unhandled KVM exit reason %u", run->exit_reason);
	}
	return 0;
}

static void kvm_seg_from(struct x86_segment *d, const struct kvm_segment *s)
{
	*d = (struct x86_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector, .type = s->type,
		.present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l,
		.g = s->g, .avl = s->avl, .unusable = s->unusable,
	};
}

static void kvm_seg_to(struct kvm_segment *d, const struct x86_segment *s)
{
	*d = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector, .type = s->type,
		.present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l,
		.g = s->g, .avl = s->avl, .unusable = s->unusable,
	};
}

/* The segment registers in the same order in both structs. */
#define KVM_SEGS(X) X(cs) X(ds) X(es) X(fs) X(gs) X(ss) X(tr) X(ldt)

static int kvm_get_regs(struct vcpu *v, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	struct kvm_vcpu *kv = v->priv;
	struct kvm_regs kr;
	struct kvm_sregs ks;

	_Static_assert(sizeof(kr) == sizeof(*r), "kvm_regs layout");
	if (ioctl(kv->fd, KVM_GET_REGS, &kr) < 0 || ioctl(kv->fd, KVM_GET_SREGS, &ks) < 0)
		return -errno;
	memcpy(r, &kr, sizeof(*r));
#define GET(n) kvm_seg_from(&s->n, &ks.n);
	KVM_SEGS(GET)
#undef GET
	s->gdt = (struct x86_dtable){ ks.gdt.base, ks.gdt.limit };
	s->idt = (struct x86_dtable){ ks.idt.base, ks.idt.limit };
	s->cr0 = ks.cr0; s->cr2 = ks.cr2; s->cr3 = ks.cr3; s->cr4 = ks.cr4;
	s->cr8 = ks.cr8; s->efer = ks.efer; s->apic_base = ks.apic_base;
	return 0;
}

static int kvm_set_regs(struct vcpu *v, const struct vcpu_regs *r, const struct vcpu_sregs *s)
{
	struct kvm_vcpu *kv = v->priv;
	struct kvm_regs kr;
	struct kvm_sregs ks;

	/* Start from the current sregs: keeps apic_base and the interrupt
	 * bitmap KVM owns. */
	if (ioctl(kv->fd, KVM_GET_SREGS, &ks) < 0)
		return -errno;
#define SET(n) kvm_seg_to(&ks.n, &s->n);
	KVM_SEGS(SET)
#undef SET
	ks.gdt.base = s->gdt.base; ks.gdt.limit = s->gdt.limit;
	ks.idt.base = s->idt.base; ks.idt.limit = s->idt.limit;
	ks.cr0 = s->cr0; ks.cr2 = s->cr2; ks.cr3 = s->cr3; ks.cr4 = s->cr4;
	ks.cr8 = s->cr8; ks.efer = s->efer;
	if (s->apic_base)
		ks.apic_base = s->apic_base;
	memcpy(&kr, r, sizeof(kr));
	if (ioctl(kv->fd, KVM_SET_SREGS, &ks) < 0 || ioctl(kv->fd, KVM_SET_REGS, &kr) < 0)
		return -errno;
	return 0;
}

static int kvm_irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_vm *k = vm->accel_priv;
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)!!level };

	return ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

static void kvm_vcpu_kick(struct vcpu *v)
{
	struct kvm_vcpu *kv = v->priv;

	/* immediate_exit covers the window before the thread enters KVM_RUN;
	 * the signal interrupts it once inside (api.rst, immediate_exit). */
	v->kicked = 1;
	kv->run->immediate_exit = 1;
	if (v->thread)
		pthread_kill(v->thread, SIGUSR1);
}

/* A reset recreates the whole KVM VM: the simplest way to get every vCPU,
 * LAPIC, IOAPIC, PIC and PIT back to power-on state. */
static int kvm_vm_reset(struct vm *vm)
{
	struct kvm_vm *k = vm->accel_priv;
	int ret;

	for (int i = 0; i < vm->ncpus; i++)
		kvm_vcpu_fini(&vm->vcpus[i]);
	close(k->vm_fd);
	close(k->sys_fd);
	ret = kvm_create(k);
	if (ret < 0)
		return ret;
	for (int i = 0; i < vm->mem.nr; i++) {
		const struct mem_region *r = &vm->mem.r[i];
		if ((ret = kvm_map_memory(vm, i, r->gpa, r->size, r->host)) < 0)
			return ret;
	}
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i].kicked = 0;
		if ((ret = kvm_vcpu_init(&vm->vcpus[i])) < 0)
			return ret;
	}
	return 0;
}

static int kvm_ioeventfd(struct vm *vm, bool pio, uint64_t addr, unsigned len, int fd)
{
	struct kvm_vm *k = vm->accel_priv;
	struct kvm_ioeventfd io = {
		.addr = addr, .len = len, .fd = fd,
		.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0,
	};

	return ioctl(k->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static int kvm_irqfd(struct vm *vm, unsigned gsi, int fd)
{
	struct kvm_vm *k = vm->accel_priv;
	struct kvm_irqfd irq = { .fd = (uint32_t)fd, .gsi = gsi };

	return ioctl(k->vm_fd, KVM_IRQFD, &irq) < 0 ? -errno : 0;
}

int kvm_vm_fd(const struct vm *vm)
{
	const struct kvm_vm *k = vm->accel_priv;

	return k ? k->vm_fd : -1;
}

const struct accel_ops accel_kvm = {
	.name = "kvm",
	.probe = kvm_probe,
	.vm_init = kvm_vm_init,
	.vm_exit = kvm_vm_exit,
	.map_memory = kvm_map_memory,
	.vcpu_init = kvm_vcpu_init,
	.vcpu_fini = kvm_vcpu_fini,
	.vcpu_run = kvm_vcpu_run,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.irq_line = kvm_irq_line,
	.vcpu_kick = kvm_vcpu_kick,
	.vm_reset = kvm_vm_reset,
	.ioeventfd = kvm_ioeventfd,
	.irqfd = kvm_irqfd,
};
