/* Paging in the software CPU: page walks in 32-bit, PAE and 4-level mode
 * with accessed/dirty bits, #PF error codes and CR2 (SDM Vol. 3A 4.7),
 * NX, CR0.WP, U/S, reserved bits, and soft-TLB invalidation by INVLPG,
 * CR3 writes and global pages. Guests are built in memory and run through
 * the public x86emu API with instruction limits (no test can hang). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>
#include <cmocka.h>
#include "x86emu-fixture.h"

#define DATA_R 0x40000   /* page read by the tests */
#define DATA_W 0x41000   /* page written by the tests */
#define DATA_X 0x42000
#define DATA_ALT 0x43000
#define DATA_N 0x44000

static const uint64_t VAL_A = 0x1122334455667788ULL;
static const uint64_t VAL_B = 0x99aabbccddeeff00ULL;

static uint64_t pte(uint64_t lin)
{
	return T_PT + 8 * (lin >> 12);
}

/* mov r64, [abs32] / mov [abs32], rax: REX.W 8B/89 with a SIB-only disp32. */
static size_t emit_load(uint8_t *p, int reg, uint32_t addr)
{
	p[0] = 0x48; p[1] = 0x8b; p[2] = (uint8_t)(0x04 | (reg << 3)); p[3] = 0x25;
	memcpy(p + 4, &addr, 4);
	return 8;
}

static size_t emit_store_rax(uint8_t *p, uint32_t addr)
{
	p[0] = 0x48; p[1] = 0x89; p[2] = 0x04; p[3] = 0x25;
	memcpy(p + 4, &addr, 4);
	return 8;
}

/* invlpg [abs32]: 0F 01 /7 */
static size_t emit_invlpg(uint8_t *p, uint32_t addr)
{
	p[0] = 0x0f; p[1] = 0x01; p[2] = 0x3c; p[3] = 0x25;
	memcpy(p + 4, &addr, 4);
	return 8;
}

static enum x86emu_stop run(struct tvm *t)
{
	return x86emu_run(t->cpu, 1000);
}

/* Long mode, CPL 0, no IST: the #PF frame sits below the 16-aligned
 * starting RSP (SDM Vol. 3A 6.14.2). */
static uint64_t frame_err(struct tvm *t)
{
	return t_r64(t, t_regs(t).rsp);
}

static void test_long_walk_sets_accessed_and_dirty(void **state)
{
	struct tvm *t = t_new();
	uint8_t code[32];
	size_t n = 0;

	t_long_mode(t, 0);
	t_w64(t, DATA_R, VAL_A);
	n += emit_load(code + n, 0, DATA_R);
	n += emit_store_rax(code + n, DATA_W);
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);

	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, T_CODE + n);
	assert_int_equal(t_regs(t).rax, VAL_A);
	assert_int_equal(t_r64(t, DATA_W), VAL_A);
	/* Accessed on every level of the walk (SDM Vol. 3A 4.8). */
	assert_true(t_r64(t, T_PML4) & P_A);
	assert_true(t_r64(t, T_PDPT) & P_A);
	assert_true(t_r64(t, T_PD) & P_A);
	/* The read page: accessed, not dirty; the written one: both. */
	assert_true(t_r64(t, pte(DATA_R)) & P_A);
	assert_false(t_r64(t, pte(DATA_R)) & P_D);
	assert_true(t_r64(t, pte(DATA_W)) & P_A);
	assert_true(t_r64(t, pte(DATA_W)) & P_D);
	/* An untouched page keeps both clear. */
	assert_false(t_r64(t, pte(DATA_N)) & (P_A | P_D));
	t_free(t);
}

static void test_long_not_present_fault(void **state)
{
	struct tvm *t = t_new();
	uint8_t code[16];
	size_t n = 0;

	t_long_mode(t, 0);
	t_w64(t, pte(DATA_R), 0);
	n += emit_load(code + n, 0, DATA_R + 0x10);
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);

	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	assert_int_equal(t_sregs(t).cr2, DATA_R + 0x10);
	/* Not present, read, supervisor: error code 0. */
	assert_int_equal(frame_err(t), 0);
	/* The faulting instruction is the return address. */
	assert_int_equal(t_r64(t, t_regs(t).rsp + 8), T_CODE);
	t_free(t);
}

static void test_long_write_protect(void **state)
{
	struct tvm *t = t_new();
	struct vcpu_sregs s;
	uint8_t code[16];
	size_t n = 0;

	t_long_mode(t, 0);
	t_w64(t, pte(DATA_W), DATA_W | P_P | P_U); /* read-only */
	n += emit_store_rax(code + n, DATA_W + 8);
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);

	/* CR0.WP=1: a supervisor write to a read-only page faults, P|W. */
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	assert_int_equal(frame_err(t), 0x3);
	assert_int_equal(t_sregs(t).cr2, DATA_W + 8);

	/* CR0.WP=0: the same write succeeds (SDM Vol. 3A 4.6.1). */
	t_long_mode(t, 0);
	t_w64(t, pte(DATA_W), DATA_W | P_P | P_U);
	s = t_sregs(t);
	s.cr0 &= ~0x10000ULL;
	x86emu_set_sregs(t->cpu, &s);
	{
		struct vcpu_regs r = t_regs(t);
		r.rax = VAL_B;
		x86emu_set_regs(t->cpu, &r);
	}
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, T_CODE + n);
	assert_int_equal(t_r64(t, DATA_W + 8), VAL_B);
	t_free(t);
}

static void test_long_user_supervisor(void **state)
{
	struct tvm *t = t_new();
	uint8_t code[16];
	size_t n = 0;
	uint64_t rsp;

	t_long_mode(t, 3);
	t_w64(t, pte(DATA_R), DATA_R | P_P | P_W); /* supervisor only */
	n += emit_load(code + n, 0, DATA_R);
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);

	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	/* User-mode read of a present supervisor page: P|U. */
	rsp = t_regs(t).rsp;
	assert_int_equal(rsp, T_KSTACK - 48);
	assert_int_equal(t_r64(t, rsp), 0x5);
	assert_int_equal(t_r64(t, rsp + 16), SEL_UCODE64);
	assert_int_equal(t_r64(t, rsp + 32), T_USTACK);
	assert_int_equal(t_r64(t, rsp + 40), SEL_UDATA);

	/* User write to a user read-only page: P|W|U. */
	t_long_mode(t, 3);
	t_w64(t, pte(DATA_R), DATA_R | P_P | P_U);
	n = emit_store_rax(code, DATA_R);
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	assert_int_equal(t_r64(t, t_regs(t).rsp), 0x7);
	t_free(t);
}

static void test_long_nx_and_reserved(void **state)
{
	struct tvm *t = t_new();
	struct vcpu_regs r;
	struct vcpu_sregs s;

	t_long_mode(t, 0);
	t_w64(t, pte(DATA_X), DATA_X | P_P | P_W | P_U | P_XD);
	t_w8(t, DATA_X, 0xf4);
	r = t_regs(t);
	r.rip = DATA_X;
	x86emu_set_regs(t->cpu, &r);
	/* Fetch from an XD page with EFER.NXE: P|I/D (SDM Vol. 3A 4.7). */
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	assert_int_equal(frame_err(t), 0x11);
	assert_int_equal(t_sregs(t).cr2, DATA_X);

	/* Without NXE bit 63 is reserved: P|RSVD, no I/D bit. */
	t_long_mode(t, 0);
	t_w64(t, pte(DATA_X), DATA_X | P_P | P_W | P_U | P_XD);
	s = t_sregs(t);
	s.efer &= ~0x800ULL;
	x86emu_set_sregs(t->cpu, &s);
	r = t_regs(t);
	r.rip = DATA_X;
	x86emu_set_regs(t->cpu, &r);
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	assert_int_equal(frame_err(t), 0x9);

	/* A reserved physical-address bit (51 > MAXPHYADDR) in a PTE. */
	{
		uint8_t code[16];
		size_t n = emit_load(code, 0, DATA_R);
		code[n++] = 0xf4;
		t_long_mode(t, 0);
		t_code(t, T_CODE, code, n);
		t_w64(t, pte(DATA_R), DATA_R | P_P | P_W | P_U | (1ULL << 51));
		assert_int_equal(run(t), X86EMU_HLT);
		assert_int_equal(t_regs(t).rip, t_handler_done(14));
		assert_int_equal(frame_err(t), 0x9);
		assert_int_equal(t_sregs(t).cr2, DATA_R);
	}
	t_free(t);
}

static void test_tlb_invlpg(void **state)
{
	struct tvm *t = t_new();
	uint8_t code[64];
	size_t n = 0;

	t_long_mode(t, 0);
	t_w64(t, DATA_R, VAL_A);
	t_w64(t, DATA_ALT, VAL_B);
	n += emit_load(code + n, 0, DATA_R);   /* rax */
	n += emit_load(code + n, 3, DATA_R);   /* rbx */
	n += emit_invlpg(code + n, DATA_R);
	n += emit_load(code + n, 1, DATA_R);   /* rcx */
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);

	assert_int_equal(x86emu_run(t->cpu, 1), X86EMU_LIMIT);
	assert_int_equal(t_regs(t).rax, VAL_A);
	/* Remap behind the CPU's back: the cached translation stays until
	 * INVLPG (SDM Vol. 3A 4.10.4.3). */
	t_w64(t, pte(DATA_R), DATA_ALT | P_P | P_W | P_U);
	assert_int_equal(x86emu_run(t->cpu, 1), X86EMU_LIMIT);
	assert_int_equal(t_regs(t).rbx, VAL_A);
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rcx, VAL_B);
	t_free(t);
}

static void test_tlb_cr3_keeps_global_pages(void **state)
{
	struct tvm *t = t_new();
	struct vcpu_sregs s;
	struct vcpu_regs r;
	uint8_t code[64];
	size_t n = 0;

	t_long_mode(t, 0);
	s = t_sregs(t);
	s.cr4 |= 0x80; /* PGE */
	x86emu_set_sregs(t->cpu, &s);
	t_w64(t, pte(DATA_R), DATA_R | P_P | P_W | P_U | P_G);
	t_w64(t, DATA_R, VAL_A);
	t_w64(t, DATA_N, VAL_A);
	t_w64(t, DATA_ALT, VAL_B);
	n += emit_load(code + n, 0, DATA_R);   /* rax: global page */
	n += emit_load(code + n, 3, DATA_N);   /* rbx: ordinary page */
	code[n++] = 0x0f; code[n++] = 0x22; code[n++] = 0xda; /* mov cr3, rdx */
	n += emit_load(code + n, 1, DATA_R);   /* rcx */
	n += emit_load(code + n, 6, DATA_N);   /* rsi */
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);
	r = t_regs(t);
	r.rdx = T_PML4;
	x86emu_set_regs(t->cpu, &r);

	assert_int_equal(x86emu_run(t->cpu, 2), X86EMU_LIMIT);
	t_w64(t, pte(DATA_R), DATA_ALT | P_P | P_W | P_U | P_G);
	t_w64(t, pte(DATA_N), DATA_ALT | P_P | P_W | P_U);
	assert_int_equal(run(t), X86EMU_HLT);
	/* CR3 writes flush all but global translations (4.10.4.1). */
	assert_int_equal(t_regs(t).rcx, VAL_A);
	assert_int_equal(t_regs(t).rsi, VAL_B);
	t_free(t);
}

static void test_cross_page_write_is_all_or_nothing(void **state)
{
	struct tvm *t = t_new();
	struct vcpu_regs r;
	uint8_t code[16];
	size_t n = 0;

	t_long_mode(t, 0);
	t_w64(t, pte(DATA_W), DATA_W | P_P | P_U); /* read-only second page */
	t_w32(t, DATA_W - 4, 0x55555555);
	n += emit_store_rax(code + n, DATA_W - 4);
	code[n++] = 0xf4;
	t_code(t, T_CODE, code, n);
	r = t_regs(t);
	r.rax = VAL_B;
	x86emu_set_regs(t->cpu, &r);

	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(14));
	assert_int_equal(t_sregs(t).cr2, DATA_W);
	assert_int_equal(frame_err(t), 0x3);
	/* Nothing of the write reached the first page. */
	assert_int_equal(t_r32(t, DATA_W - 4), 0x55555555);
	t_free(t);
}

/* 32-bit protected mode, flat segments, with the given paging setup. */
static void prot_mode(struct tvm *t, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;

	t_gdt(t);
	x86emu_get_sregs(t->cpu, &s);
	t_seg(&s.cs, SEL_CODE32, 0xb, 0, 0, 1);
	t_seg(&s.ss, SEL_DATA, 0x3, 0, 0, 1);
	s.ds = s.es = s.fs = s.gs = s.ss;
	s.gdt.base = T_GDT;
	s.gdt.limit = 0x47;
	s.idt.base = T_IDT;
	s.idt.limit = 0x7ff;
	s.cr0 = cr0;
	s.cr3 = cr3;
	s.cr4 = cr4;
	s.efer = efer;
	x86emu_set_sregs(t->cpu, &s);
	for (int v = 0; v < 256; v++)
		t_gate32(t, v, T_HANDLERS + 16 * v, SEL_CODE32, 0xe, 0);
	memset(&r, 0, sizeof(r));
	r.rip = T_CODE;
	r.rsp = T_KSTACK;
	r.rflags = 2;
	x86emu_set_regs(t->cpu, &r);
}

static void test_32bit_paging_pse(void **state)
{
	struct tvm *t = t_new();
	/* mov [0x400010], eax; mov ebx, [0x800010]; mov ecx, [0x3ff000]; hlt */
	static const uint8_t code[] = {
		0x89, 0x05, 0x10, 0x00, 0x40, 0x00,
		0x8b, 0x1d, 0x10, 0x00, 0x80, 0x00,
		0x8b, 0x0d, 0x00, 0xf0, 0x3f, 0x00,
		0xf4,
	};
	struct vcpu_regs r;

	/* PDE 0 -> 4 KiB table (identity), PDE 1 and 2 -> the same 4 MiB
	 * page at 0x400000 (CR4.PSE, SDM Vol. 3A 4.3). */
	t_w32(t, T_PD32, T_PT32 | P_P | P_W | P_U);
	for (uint32_t p = 0; p < 1024; p++)
		t_w32(t, T_PT32 + 4 * p, (p << 12) | P_P | P_W | P_U);
	t_w32(t, T_PT32 + 4 * 0x3ff, 0); /* 0x3ff000 not present */
	t_w32(t, T_PD32 + 4, 0x400000 | P_P | P_W | P_U | P_PS);
	t_w32(t, T_PD32 + 8, 0x400000 | P_P | P_W | P_U | P_PS);
	t_code(t, T_CODE, code, sizeof(code));
	prot_mode(t, 0x80010031, T_PD32, 0x10, 0);
	r = t_regs(t);
	r.rax = 0xcafef00d;
	x86emu_set_regs(t->cpu, &r);

	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(t_r32(t, 0x400010), 0xcafef00d);
	assert_int_equal(r.rbx, 0xcafef00d);  /* alias through PDE 2 */
	assert_true(t_r32(t, T_PD32 + 4) & P_D);
	assert_true(t_r32(t, T_PD32 + 8) & P_A);
	assert_false(t_r32(t, T_PD32 + 8) & P_D);
	/* The third access faults: not present, read, supervisor. */
	assert_int_equal(r.rip, t_handler_done(14));
	assert_int_equal(t_sregs(t).cr2, 0x3ff000);
	assert_int_equal(t_r32(t, r.rsp), 0);               /* error code */
	assert_int_equal(t_r32(t, r.rsp + 4), T_CODE + 12); /* EIP */
	t_free(t);
}

static void test_pae_paging(void **state)
{
	struct tvm *t = t_new();
	/* mov eax, [0x200008]; hlt */
	static const uint8_t code[] = { 0x8b, 0x05, 0x08, 0x00, 0x20, 0x00, 0xf4 };
	struct vcpu_regs r;

	/* PDPTE 0 -> PD; PD 0 -> PT (identity 4 KiB); PD 1 -> 2 MiB page at
	 * physical 0x600000 (SDM Vol. 3A 4.4). */
	t_w64(t, T_PDPT_PAE, T_PD_PAE | P_P);
	t_w64(t, T_PD_PAE, T_PT_PAE | P_P | P_W | P_U);
	t_w64(t, T_PD_PAE + 8, 0x600000 | P_P | P_W | P_U | P_PS);
	for (uint64_t p = 0; p < 512; p++)
		t_w64(t, T_PT_PAE + 8 * p, (p << 12) | P_P | P_W | P_U);
	t_w64(t, T_PT_PAE + 8 * (DATA_X >> 12), DATA_X | P_P | P_W | P_U | P_XD);
	t_w32(t, 0x600008, 0x600df00d);
	t_code(t, T_CODE, code, sizeof(code));
	prot_mode(t, 0x80010031, T_PDPT_PAE, 0x20, 0x800 /* NXE */);

	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rax, 0x600df00d);
	assert_true(t_r64(t, T_PD_PAE + 8) & P_A);

	/* Execute from the XD page: P|I/D. */
	prot_mode(t, 0x80010031, T_PDPT_PAE, 0x20, 0x800);
	r = t_regs(t);
	r.rip = DATA_X;
	x86emu_set_regs(t->cpu, &r);
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(r.rip, t_handler_done(14));
	assert_int_equal(t_r32(t, r.rsp), 0x11);
	assert_int_equal(t_sregs(t).cr2, DATA_X);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_walk_sets_accessed_and_dirty),
		cmocka_unit_test(test_long_not_present_fault),
		cmocka_unit_test(test_long_write_protect),
		cmocka_unit_test(test_long_user_supervisor),
		cmocka_unit_test(test_long_nx_and_reserved),
		cmocka_unit_test(test_tlb_invlpg),
		cmocka_unit_test(test_tlb_cr3_keeps_global_pages),
		cmocka_unit_test(test_cross_page_write_is_all_or_nothing),
		cmocka_unit_test(test_32bit_paging_pse),
		cmocka_unit_test(test_pae_paging),
	};

	/* Every guest run is bounded by an instruction limit; this bounds
	 * the whole binary should the CPU itself ever loop. */
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
