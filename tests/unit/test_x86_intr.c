/* Exception and interrupt delivery in the software CPU: real mode (IVT),
 * protected mode with a privilege change through the TSS, long mode with
 * IST, stack switch, null SS and IRETQ back to user mode; INT n privilege
 * checks; #DF (SDM Vol. 3A Table 6-5) and triple fault. Every run has an
 * instruction limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>
#include <cmocka.h>
#include "x86emu-fixture.h"

#define RM_CODE 0x7c00
#define RM_SP   0x7000

static enum x86emu_stop run(struct tvm *t)
{
	return x86emu_run(t->cpu, 1000);
}

/* Real mode at 0000:7C00 with SS:SP = 0000:7000 and IF set. */
static void real_mode(struct tvm *t)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;

	x86emu_reset(t->cpu);
	s = t_sregs(t);
	s.cs.selector = 0;
	s.cs.base = 0;
	s.idt.base = 0;
	s.idt.limit = 0x3ff;
	x86emu_set_sregs(t->cpu, &s);
	memset(&r, 0, sizeof(r));
	r.rip = RM_CODE;
	r.rsp = RM_SP;
	r.rflags = 0x202;
	x86emu_set_regs(t->cpu, &r);
}

static void test_real_mode_int_n(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0xcd, 0x21 }; /* int 0x21 */
	struct vcpu_regs r;
	struct vcpu_sregs s;

	real_mode(t);
	t_w32(t, 0x21 * 4, (0x1234u << 16) | 0x0010); /* IVT: 1234:0010 */
	t_w8(t, 0x12350, 0xf4);
	t_code(t, RM_CODE, code, sizeof(code));

	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	s = t_sregs(t);
	assert_int_equal(s.cs.selector, 0x1234);
	assert_int_equal(s.cs.base, 0x12340);
	assert_int_equal(r.rip, 0x11);
	/* IF and TF cleared; FLAGS, CS, IP pushed (SDM Vol. 3A 20.1.4). */
	assert_false(r.rflags & 0x200);
	assert_int_equal(r.rsp, RM_SP - 6);
	assert_int_equal(t_r16(t, RM_SP - 6), RM_CODE + 2);
	assert_int_equal(t_r16(t, RM_SP - 4), 0);
	assert_int_equal(t_r16(t, RM_SP - 2), 0x202);
	t_free(t);
}

static void test_real_mode_irq_wakes_hlt(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0xf4, 0x90 }; /* hlt; nop */
	struct vcpu_regs r;

	real_mode(t);
	t_w32(t, 0x08 * 4, 0x9000); /* 0000:9000 */
	t_w8(t, 0x9000, 0xf4);
	t_code(t, RM_CODE, code, sizeof(code));

	/* Nothing pending: the CPU halts and stays halted. */
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, RM_CODE + 1);
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t->acks, 0);

	/* An interrupt arrives: acknowledged once, delivered with the
	 * return address after HLT. */
	t->irq_vector = 0x08;
	x86emu_set_irq(t->cpu, true);
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(t->acks, 1);
	assert_int_equal(r.rip, 0x9001);
	assert_int_equal(t_r16(t, r.rsp), RM_CODE + 1);
	t_free(t);
}

static void test_real_mode_irq_masked_by_if(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0x90, 0x90, 0xfb, 0x90, 0xf4 }; /* nop nop sti nop hlt */
	struct vcpu_regs r;

	real_mode(t);
	r = t_regs(t);
	r.rflags = 2; /* IF=0 */
	x86emu_set_regs(t->cpu, &r);
	t_w32(t, 0x08 * 4, 0x9000);
	t_w8(t, 0x9000, 0xf4);
	t_code(t, RM_CODE, code, sizeof(code));
	t->irq_vector = 0x08;
	x86emu_set_irq(t->cpu, true);

	/* IF=0 holds it off through both NOPs and STI; the STI shadow covers
	 * the next instruction too (SDM Vol. 2B "STI"). */
	assert_int_equal(x86emu_run(t->cpu, 3), X86EMU_LIMIT);
	assert_int_equal(t->acks, 0);
	assert_int_equal(t_regs(t).rip, RM_CODE + 3);
	/* The NOP after STI runs before the interrupt is taken: the pushed
	 * return address is the HLT after it. */
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(t->acks, 1);
	assert_int_equal(r.rip, 0x9001);
	assert_int_equal(t_r16(t, r.rsp), RM_CODE + 4); /* before the HLT */
	t_free(t);
}

/* 32-bit protected mode, no paging, at CPL 3 with a 32-bit TSS. */
static void prot_mode_user(struct tvm *t)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;

	t_gdt(t);
	s = t_sregs(t);
	t_seg(&s.cs, SEL_UCODE32, 0xb, 3, 0, 1);
	t_seg(&s.ss, SEL_UDATA, 0x3, 3, 0, 1);
	s.ds = s.es = s.fs = s.gs = s.ss;
	t_sys_tables(&s, 0x7ff);
	s.cr0 = 0x11; /* PE, ET */
	s.cr3 = s.cr4 = s.efer = 0;
	x86emu_set_sregs(t->cpu, &s);
	for (int v = 0; v < 256; v++)
		t_gate32(t, v, T_HANDLERS + 16 * v, SEL_CODE32, 0xe, v == 0x80 ? 3 : 0);
	t_w32(t, T_TSS + 4, T_KSTACK);  /* ESP0 */
	t_w32(t, T_TSS + 8, SEL_DATA);  /* SS0 */
	memset(&r, 0, sizeof(r));
	r.rip = T_CODE;
	r.rsp = T_USTACK;
	r.rflags = 0x202;
	x86emu_set_regs(t->cpu, &r);
}

static void test_prot_mode_int_privilege_change(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0xcd, 0x80 }; /* int 0x80 */
	struct vcpu_regs r;
	struct vcpu_sregs s;

	prot_mode_user(t);
	t_code(t, T_CODE, code, sizeof(code));
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	s = t_sregs(t);
	assert_int_equal(r.rip, t_handler_done(0x80));
	assert_int_equal(s.cs.selector, SEL_CODE32);
	/* Stack from TSS SS0:ESP0 with SS, ESP, EFLAGS, CS, EIP (Vol. 3A
	 * 6.12.1, Figure 6-4). */
	assert_int_equal(s.ss.selector, SEL_DATA);
	assert_int_equal(r.rsp, T_KSTACK - 20);
	assert_int_equal(t_r32(t, r.rsp), T_CODE + 2);
	assert_int_equal(t_r32(t, r.rsp + 4), SEL_UCODE32);
	assert_int_equal(t_r32(t, r.rsp + 8) & 0x200, 0x200);
	assert_int_equal(t_r32(t, r.rsp + 12), T_USTACK);
	assert_int_equal(t_r32(t, r.rsp + 16), SEL_UDATA);
	assert_false(r.rflags & 0x200); /* interrupt gate */
	t_free(t);
}

static void test_prot_mode_int_gate_dpl(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0xcd, 0x40 }; /* int 0x40, gate DPL 0 */
	struct vcpu_regs r;

	prot_mode_user(t);
	t_code(t, T_CODE, code, sizeof(code));
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	/* #GP(vector * 8 + 2), EXT clear, at the INT (Vol. 3A 6.12.1.1). */
	assert_int_equal(r.rip, t_handler_done(13));
	assert_int_equal(t_r32(t, r.rsp), 0x40 * 8 + 2);
	assert_int_equal(t_r32(t, r.rsp + 4), T_CODE);
	t_free(t);
}

static void test_long_mode_ist_and_iretq(void **state)
{
	struct tvm *t = t_new();
	/* user: xor ecx, ecx; div ecx; int 0x81 */
	static const uint8_t code[] = { 0x31, 0xc9, 0xf7, 0xf1, 0xcd, 0x81 };
	/* #DE handler: add qword [rsp], 2; iretq */
	static const uint8_t de[] = { 0x48, 0x83, 0x04, 0x24, 0x02, 0x48, 0xcf };
	struct vcpu_regs r;
	struct vcpu_sregs s;

	t_long_mode(t, 3);
	t_gate64(t, 0, T_HANDLERS, 0xe, 0, 1, true);                /* IST1 */
	t_gate64(t, 0x81, T_HANDLERS + 16 * 0x81, 0xe, 3, 0, true); /* user gate */
	t_w64(t, T_TSS + 4, T_KSTACK - 8);                          /* RSP0, not 16-aligned */
	t_code(t, T_HANDLERS, de, sizeof(de));
	t_code(t, T_CODE, code, sizeof(code));

	/* The #DE: frame on IST1, SS becomes a null selector (6.14.4). */
	assert_int_equal(x86emu_run(t->cpu, 2), X86EMU_LIMIT);
	r = t_regs(t);
	s = t_sregs(t);
	assert_int_equal(r.rip, T_HANDLERS);
	assert_int_equal(s.cs.selector, SEL_CODE64);
	assert_int_equal(s.ss.selector, 0);
	assert_int_equal(r.rsp, T_IST1 - 40);
	assert_int_equal(t_r64(t, r.rsp), T_CODE + 2);
	assert_int_equal(t_r64(t, r.rsp + 8), SEL_UCODE64);
	assert_int_equal(t_r64(t, r.rsp + 24), T_USTACK);
	assert_int_equal(t_r64(t, r.rsp + 32), SEL_UDATA);

	/* The handler skips the DIV and IRETQs to CPL 3; INT 0x81 then
	 * enters through RSP0 aligned down to 16 bytes. */
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	s = t_sregs(t);
	assert_int_equal(r.rip, t_handler_done(0x81));
	assert_int_equal(r.rsp, ((T_KSTACK - 8) & ~0xfULL) - 40);
	assert_int_equal(t_r64(t, r.rsp), T_CODE + 6);
	assert_int_equal(t_r64(t, r.rsp + 8), SEL_UCODE64);
	assert_int_equal(t_r64(t, r.rsp + 24), T_USTACK);
	t_free(t);
}

static void test_double_fault(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0x48, 0x8b, 0x03 }; /* mov rax, [rbx] */
	struct vcpu_regs r;

	t_long_mode(t, 0);
	t_gate64(t, 13, T_HANDLERS + 16 * 13, 0xe, 0, 0, false); /* #GP gate not present */
	t_code(t, T_CODE, code, sizeof(code));
	r = t_regs(t);
	r.rbx = 0x8000000000000000ULL; /* non-canonical: #GP(0) */
	x86emu_set_regs(t->cpu, &r);

	/* #GP, then #NP on its gate: contributory twice -> #DF(0). */
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(r.rip, t_handler_done(8));
	assert_int_equal(t_r64(t, r.rsp), 0);
	assert_int_equal(t_r64(t, r.rsp + 8), T_CODE);
	t_free(t);
}

static void test_page_fault_then_gp_is_double(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0x48, 0x8b, 0x03 }; /* mov rax, [rbx] */
	struct vcpu_regs r;

	t_long_mode(t, 0);
	/* The #PF gate points at a 32-bit code segment: #GP(sel) (6.14.1),
	 * which after a page fault is a double fault (Table 6-5). */
	t_w32(t, T_IDT + 16 * 14, (T_HANDLERS + 16 * 14) | (SEL_CODE32 << 16));
	t_w64(t, T_PT + 8 * 0x44, 0);
	t_code(t, T_CODE, code, sizeof(code));
	r = t_regs(t);
	r.rbx = 0x44000;
	x86emu_set_regs(t->cpu, &r);
	assert_int_equal(run(t), X86EMU_HLT);
	assert_int_equal(t_regs(t).rip, t_handler_done(8));
	assert_int_equal(t_sregs(t).cr2, 0x44000);
	t_free(t);
}

static void test_soft_int_fault_is_not_double(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0xcd, 0x40 }; /* int 0x40 */
	struct vcpu_regs r;

	t_long_mode(t, 0);
	t_gate64(t, 0x40, T_HANDLERS + 16 * 0x40, 0xe, 0, 0, false);
	t_code(t, T_CODE, code, sizeof(code));
	/* Gate not present: #NP(0x40 * 8 + 2), EXT = 0 for INT n (6.13). */
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(r.rip, t_handler_done(11));
	assert_int_equal(t_r64(t, r.rsp), 0x40 * 8 + 2);
	t_free(t);
}

static void test_external_interrupt_sets_ext(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0x90, 0xf4 }; /* nop; hlt */
	struct vcpu_regs r;

	t_long_mode(t, 0);
	t_gate64(t, 0x30, T_HANDLERS + 16 * 0x30, 0xe, 0, 0, false);
	t_code(t, T_CODE, code, sizeof(code));
	r = t_regs(t);
	r.rflags = 0x202;
	x86emu_set_regs(t->cpu, &r);
	t->irq_vector = 0x30;
	x86emu_set_irq(t->cpu, true);
	/* An external interrupt through a not-present gate: #NP with the
	 * IDT bit and EXT set (SDM Vol. 3A 6.13), returning to the NOP. */
	assert_int_equal(run(t), X86EMU_HLT);
	r = t_regs(t);
	assert_int_equal(t->acks, 1);
	assert_int_equal(r.rip, t_handler_done(11));
	assert_int_equal(t_r64(t, r.rsp), 0x30 * 8 + 2 + 1);
	assert_int_equal(t_r64(t, r.rsp + 8), T_CODE);
	t_free(t);
}

static void test_triple_fault(void **state)
{
	struct tvm *t = t_new();
	static const uint8_t code[] = { 0x31, 0xc9, 0xf7, 0xf1 }; /* xor ecx,ecx; div ecx */
	struct vcpu_sregs s;

	t_long_mode(t, 0);
	s = t_sregs(t);
	s.idt.limit = 0; /* every vector is outside the IDT */
	x86emu_set_sregs(t->cpu, &s);
	t_code(t, T_CODE, code, sizeof(code));
	/* #DE -> #GP (IDT limit) ... -> #DF -> #GP: shutdown. */
	assert_int_equal(run(t), X86EMU_SHUTDOWN);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_mode_int_n),
		cmocka_unit_test(test_real_mode_irq_wakes_hlt),
		cmocka_unit_test(test_real_mode_irq_masked_by_if),
		cmocka_unit_test(test_prot_mode_int_privilege_change),
		cmocka_unit_test(test_prot_mode_int_gate_dpl),
		cmocka_unit_test(test_long_mode_ist_and_iretq),
		cmocka_unit_test(test_double_fault),
		cmocka_unit_test(test_page_fault_then_gp_is_double),
		cmocka_unit_test(test_soft_int_fault_is_not_double),
		cmocka_unit_test(test_external_interrupt_sets_ext),
		cmocka_unit_test(test_triple_fault),
	};

	/* Every guest run is bounded by an instruction limit; this bounds
	 * the whole binary should the CPU itself ever loop. */
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
