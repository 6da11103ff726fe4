/* The loaders' entry state really runs: each protocol boots a few hand-
 * assembled instructions under KVM that record what they were handed,
 * reload CS/DS/SS from the loader's GDT, write to the serial port and halt.
 * Skipped where /dev/kvm is missing. Each guest has a 20 s alarm. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "test_boot_common.h"

#define RESULT 0x500000ULL

static void on_alarm(int sig) { (void)sig; }

static void seg_to_kvm(struct kvm_segment *k, const struct x86_segment *s)
{
	*k = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector,
		.type = s->type, .present = s->present, .dpl = s->dpl, .db = s->db,
		.s = s->s, .l = s->l, .g = s->g, .avl = s->avl, .unusable = s->unusable,
	};
}

/* Run the guest to HLT; returns the byte it wrote to port 0x3f8, or -1. */
static int kvm_boot(struct guest_mem *m, const struct boot_state *st)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_userspace_memory_region r = { 0 };
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs ks;
	struct kvm_regs kr;
	struct kvm_run *run;
	int kvm, vm, vcpu, out = -1;
	long sz;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	assert_true(kvm >= 0);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	assert_true(vm >= 0);
	/* Intel needs three pages for the real-mode TSS somewhere unused. */
	ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	r.memory_size = m->r[0].size;
	r.userspace_addr = (uintptr_t)m->r[0].host;
	assert_int_equal(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	/* EFER.LME is refused unless the guest CPUID has long mode. */
	cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	cpuid->nent = 256;
	assert_int_equal(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid), 0);
	assert_int_equal(ioctl(vcpu, KVM_SET_CPUID2, cpuid), 0);
	free(cpuid);
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	assert_true(run != MAP_FAILED);

	assert_int_equal(ioctl(vcpu, KVM_GET_SREGS, &ks), 0);
	seg_to_kvm(&ks.cs, &st->sregs.cs);
	seg_to_kvm(&ks.ds, &st->sregs.ds);
	seg_to_kvm(&ks.es, &st->sregs.es);
	seg_to_kvm(&ks.fs, &st->sregs.fs);
	seg_to_kvm(&ks.gs, &st->sregs.gs);
	seg_to_kvm(&ks.ss, &st->sregs.ss);
	seg_to_kvm(&ks.tr, &st->sregs.tr);
	seg_to_kvm(&ks.ldt, &st->sregs.ldt);
	ks.gdt.base = st->sregs.gdt.base;
	ks.gdt.limit = st->sregs.gdt.limit;
	ks.idt.base = st->sregs.idt.base;
	ks.idt.limit = st->sregs.idt.limit;
	ks.cr0 = st->sregs.cr0;
	ks.cr3 = st->sregs.cr3;
	ks.cr4 = st->sregs.cr4;
	ks.efer = st->sregs.efer;
	ks.apic_base = st->sregs.apic_base;
	assert_int_equal(ioctl(vcpu, KVM_SET_SREGS, &ks), 0);
	memset(&kr, 0, sizeof(kr));
	memcpy(&kr, &st->regs, sizeof(kr));   /* same layout by design */
	assert_int_equal(ioctl(vcpu, KVM_SET_REGS, &kr), 0);

	sigaction(SIGALRM, &sa, NULL);
	alarm(20);
	for (int i = 0; i < 100; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			print_error("KVM_RUN: %s\n", strerror(errno));
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x3f8 &&
		    run->io.direction == KVM_EXIT_IO_OUT) {
			out = *((uint8_t *)run + run->io.data_offset);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		print_error("unexpected exit %u\n", run->exit_reason);
		out = -1;
		break;
	}
	alarm(0);
	munmap(run, (size_t)sz);
	close(vcpu);
	close(vm);
	close(kvm);
	return out;
}

/* Usable KVM: the device opens and a VM can be created. */
static int kvm_ok(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (fd < 0)
		return 0;
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm >= 0)
		close(vm);
	close(fd);
	return vm >= 0;
}

/* 32-bit probe: store EAX, EBX, [EBX]; far-jump through GDT selector 0x10;
 * reload DS/SS with 0x18; store a marker; out 'O' to COM1; hlt. */
static size_t code32(uint8_t *c, uint32_t at)
{
	static const uint8_t tpl[] = {
		0xa3, 0x00, 0x00, 0x50, 0x00,             /* mov [0x500000], eax */
		0x89, 0x1d, 0x04, 0x00, 0x50, 0x00,       /* mov [0x500004], ebx */
		0x8b, 0x0b,                               /* mov ecx, [ebx] */
		0x89, 0x0d, 0x08, 0x00, 0x50, 0x00,       /* mov [0x500008], ecx */
		0xea, 0, 0, 0, 0, 0x10, 0x00,             /* jmp 0x10:next */
		0xb8, 0x18, 0x00, 0x00, 0x00,             /* next: mov eax, 0x18 */
		0x8e, 0xd8, 0x8e, 0xd0,                   /* mov ds, ax; mov ss, ax */
		0xc7, 0x05, 0x0c, 0x00, 0x50, 0x00, 0x44, 0x33, 0x22, 0x11,
		0x66, 0xba, 0xf8, 0x03, 0xb0, 'O', 0xee,  /* out 0x3f8, 'O' */
		0xf4,
	};

	memcpy(c, tpl, sizeof(tpl));
	put_le32(c + 20, at + 26);
	return sizeof(tpl);
}

static void check_result(struct guest_mem *m, uint32_t eax, uint32_t ebx)
{
	uint8_t *res = tb_ptr(m, RESULT, 16);

	assert_int_equal(get_le32(res), eax);
	assert_int_equal(get_le32(res + 4), ebx);
	assert_int_equal(get_le32(res + 12), 0x11223344);
}

static void test_kvm_multiboot(void **state)
{
	uint8_t text[128];
	struct tb_seg seg = { .type = 1, .paddr = 0x100000, .memsz = 0x1000, .data = text,
			      .filesz = sizeof(text), .offset = -1 };
	struct guest_mem *m;
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img;
	uint32_t magic = 0x1BADB002, flags = 3;

	if (!kvm_ok()) {
		skip();
		return;
	}
	memset(text, 0x90, sizeof(text));
	put_le32(text, magic);
	put_le32(text + 4, flags);
	put_le32(text + 8, -(magic + flags));
	code32(text + 16, 0x100010);
	img = tb_elf(0, 0x100010, &seg, 1, &len);
	m = tb_mem(32 * MiB);
	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_int_equal(kvm_boot(m, &st), 'O');
	check_result(m, 0x2BADB002, (uint32_t)st.regs.rbx);
	/* [EBX] is the mbi flags word. */
	assert_int_equal(get_le32(tb_ptr(m, RESULT + 8, 4)), get_le32(tb_ptr(m, st.regs.rbx, 4)));
	free(img);
	tb_mem_free(m);
}

static void test_kvm_pvh(void **state)
{
	uint8_t text[128], note[32];
	struct tb_seg segs[2] = {
		{ .type = 1, .paddr = 0x100000, .memsz = 0x1000, .data = text, .filesz = sizeof(text), .offset = -1 },
		{ .type = 4, .data = note, .filesz = 24, .offset = -1 },
	};
	struct guest_mem *m;
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img;

	if (!kvm_ok()) {
		skip();
		return;
	}
	memset(text, 0x90, sizeof(text));
	code32(text, 0x100000);
	put_le32(note, 4);
	put_le32(note + 4, 8);
	put_le32(note + 8, 18);
	memcpy(note + 12, "Xen", 4);
	put_le64(note + 16, 0x100000);
	img = tb_elf(1, 0xffffffff81000000ULL, segs, 2, &len);
	m = tb_mem(32 * MiB);
	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_int_equal(kvm_boot(m, &st), 'O');
	check_result(m, 0, (uint32_t)st.regs.rbx);
	assert_int_equal(get_le32(tb_ptr(m, RESULT + 8, 4)), 0x336ec578);
	free(img);
	tb_mem_free(m);
}

static void test_kvm_linux64(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0x34, 0x25, 0x00, 0x00, 0x50, 0x00,  /* mov [0x500000], rsi */
		0x48, 0x8b, 0x86, 0x02, 0x02, 0x00, 0x00,        /* mov rax, [rsi+0x202] */
		0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x50, 0x00,  /* mov [0x500008], rax */
		0xb8, 0x18, 0x00, 0x00, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, /* ds = ss = 0x18 */
		0x48, 0xc7, 0xc4, 0x00, 0x00, 0x40, 0x00,        /* mov rsp, 0x400000 */
		0x6a, 0x10,                                      /* push 0x10 */
		0x48, 0x8d, 0x05, 0x03, 0x00, 0x00, 0x00,        /* lea rax, [rip+3] */
		0x50, 0x48, 0xcb,                                /* push rax; lretq */
		0xc7, 0x04, 0x25, 0x0c, 0x00, 0x50, 0x00, 0x44, 0x33, 0x22, 0x11,
		0x66, 0xba, 0xf8, 0x03, 0xb0, 'L', 0xee, 0xf4,
	};
	uint8_t *b = calloc(1, 5 * 512 + 4096);
	struct guest_mem *m;
	struct boot_state st;
	char err[256];

	if (!kvm_ok()) {
		skip();
		free(b);
		return;
	}
	b[0x1f1] = 4;
	put_le16(b + 0x1fe, 0xaa55);
	b[0x201] = 0x66;
	memcpy(b + 0x202, "HdrS", 4);
	put_le16(b + 0x206, 0x20f);
	b[0x211] = 1;
	put_le32(b + 0x22c, 0x7fffffff);
	put_le16(b + 0x236, 1);
	put_le32(b + 0x238, 255);
	put_le64(b + 0x258, 0x1000000);
	put_le32(b + 0x260, 0x100000);
	memcpy(b + 5 * 512 + 0x200, code, sizeof(code));
	m = tb_mem(64 * MiB);
	assert_int_equal(tb_load(m, b, 5 * 512 + 4096, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_int_equal(kvm_boot(m, &st), 'L');
	assert_int_equal(get_le64(tb_ptr(m, RESULT, 8)), 0x7000);
	assert_memory_equal(tb_ptr(m, RESULT + 8, 4), "HdrS", 4);
	assert_int_equal(get_le32(tb_ptr(m, RESULT + 12, 4)), 0x11223344);
	free(b);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_multiboot),
		cmocka_unit_test(test_kvm_pvh),
		cmocka_unit_test(test_kvm_linux64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
