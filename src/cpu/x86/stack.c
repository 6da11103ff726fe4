/* Stack instructions: PUSH/POP (registers, immediates, memory; segment
 * registers are seg.c's), PUSHF/POPF, PUSHA/POPA, ENTER/LEAVE. The stack
 * pointer's width is SS.B (16/32) or 64 in 64-bit mode (SDM Vol. 1 6.2.3). Each
 * handler commits RSP only after its last memory access, so a fault leaves
 * the instruction restartable. */
#include "cpu/x86/isa.h"

static inline void sp_set(struct x86_cpu *c, uint64_t v)
{
	x86_adr_set(c, c->stack_size, R_SP, v);
}

static inline uint64_t sp_get(struct x86_cpu *c)
{
	return c->r[R_SP] & x86_stack_mask(c);
}

__attribute__((hot))
void x86_push(struct x86_cpu *c, int size, uint64_t v)
{
	uint64_t sp = (c->r[R_SP] - size) & x86_stack_mask(c);
	x86_write_inl(c, S_SS, sp, size, v);
	sp_set(c, sp);
}

__attribute__((hot))
uint64_t x86_pop(struct x86_cpu *c, int size)
{
	uint64_t sp = sp_get(c);
	uint64_t v = x86_read_inl(c, S_SS, sp, size);
	sp_set(c, sp + size);
	return v;
}

/* 50-57 PUSH r. */
static void op_push_r(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_push(c, i->opsz, x86_reg_get(c, i, x86_oprm(i), i->opsz));
}

/* 58-5F POP r (POP rSP: the popped value wins). */
static void op_pop_r(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t v = x86_pop(c, i->opsz);
	x86_reg_set(c, i, x86_oprm(i), i->opsz, v);
}

/* 68/6A PUSH imm (sign-extended to the operand size). */
static void op_push_imm(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_push(c, i->opsz, i->imm & x86_mask(i->opsz));
}

/* 8F /0 POP Ev. With an rSP-based address the address is computed after
 * RSP is incremented (SDM Vol. 2B POP). */
static void op_pop_ev(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t sp = sp_get(c), old = c->r[R_SP];
	uint64_t v = x86_read(c, S_SS, sp, sz);

	if ((i->reg & 7) != 0)
		x86_ud(c);
	if (i->mod == 3) {
		sp_set(c, sp + sz);
		x86_reg_set(c, i, i->rm, sz, v);
		return;
	}
	sp_set(c, sp + sz);
	{
		uint64_t off = x86_ea(c, i), nsp = c->r[R_SP];
		c->r[R_SP] = old;           /* back out until the store succeeds */
		x86_write(c, i->seg, off, sz, v);
		c->r[R_SP] = nsp;
	}
}

/* 9C PUSHF: VM and RF read as 0 in the image (SDM Vol. 2B PUSHF). In V86
 * mode with IOPL < 3 it is #GP(0) (no VME). */
static void op_pushf(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t f = x86_flags_get(c);

	if (c->mode == MODE_V86 && ((f & F_IOPL) >> 12) < 3)
		x86_fault(c, X86_GP, 0);
	x86_push(c, i->opsz, f & ~(uint64_t)(F_VM | F_RF) & x86_mask(i->opsz));
}

/* 9D POPF: which bits may change depends on mode, CPL and IOPL (SDM Vol.
 * 2B POPF "Operation"): IOPL only at CPL 0, IF only when CPL <= IOPL,
 * VM/VIP/VIF never, RF is cleared. */
static void op_popf(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t f = x86_flags_get(c);
	unsigned iopl = (f & F_IOPL) >> 12;
	uint64_t mask = F_ARITH | F_TF | F_IF | F_DF | F_IOPL | F_NT | F_AC | F_ID;
	uint64_t v;

	if (c->mode == MODE_V86) {
		if (iopl < 3)
			x86_fault(c, X86_GP, 0);
		mask &= ~(uint64_t)F_IOPL;
	} else if (c->mode != MODE_REAL && c->cpl > 0) {
		mask &= ~(uint64_t)F_IOPL;
		if (c->cpl > iopl)
			mask &= ~(uint64_t)F_IF;
	}
	if (sz == 2)
		mask &= 0xffff;
	v = x86_pop(c, sz);
	x86_flags_set(c, v, mask);
	c->rflags &= ~(uint64_t)F_RF;
}

/* 60 PUSHA/PUSHAD: AX CX DX BX (original) SP BP SI DI. */
static void op_pusha(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t sp = sp_get(c), m = x86_stack_mask(c);

	for (int r = R_AX; r <= R_DI; r++) {
		sp = (sp - sz) & m;
		x86_write(c, S_SS, sp, sz, c->r[r] & x86_mask(sz));
	}
	sp_set(c, sp);
}

/* 61 POPA/POPAD: the saved SP is skipped. */
static void op_popa(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t sp = sp_get(c), m = x86_stack_mask(c), v[8];

	for (int r = R_DI; r >= R_AX; r--) {
		v[r] = x86_read(c, S_SS, sp, sz);
		sp = (sp + sz) & m;
	}
	for (int r = R_AX; r <= R_DI; r++)
		if (r != R_SP)
			x86_reg_set(c, i, r, sz, v[r]);
	sp_set(c, sp);
}

/* C8 ENTER imm16, imm8 (SDM Vol. 2A ENTER "Operation"): nesting level is
 * taken modulo 32. */
static void op_enter(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz, level = i->imm2 & 31;
	uint64_t m = x86_stack_mask(c), sp = sp_get(c), bp = c->r[R_BP], frame;

	sp = (sp - sz) & m;
	x86_write(c, S_SS, sp, sz, bp & x86_mask(sz));
	frame = sp;
	if (level > 0) {
		for (int k = 1; k < level; k++) {
			uint64_t v;
			bp = (bp - sz) & m;
			v = x86_read(c, S_SS, bp & m, sz);
			sp = (sp - sz) & m;
			x86_write(c, S_SS, sp, sz, v);
		}
		sp = (sp - sz) & m;
		x86_write(c, S_SS, sp, sz, frame);
	}
	sp = (sp - (i->imm & 0xffff)) & m;
	/* A probe of the new top of stack faults like the hardware's. */
	if (i->imm & 0xffff)
		(void)x86_read(c, S_SS, sp, 1);
	x86_reg_set(c, i, R_BP, sz, frame);
	sp_set(c, sp);
}

/* C9 LEAVE: rSP <- rBP, pop rBP. */
static void op_leave(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t m = x86_stack_mask(c), bp = c->r[R_BP] & m;
	uint64_t v = x86_read(c, S_SS, bp, sz);

	sp_set(c, bp + sz);
	x86_reg_set(c, i, R_BP, sz, v);
}

void x86_register_stack(void)
{
	for (int r = 0; r < 8; r++) {
		x86_optab[0][0x50 + r] = op_push_r;
		x86_optab[0][0x58 + r] = op_pop_r;
	}
	x86_optab[0][0x68] = op_push_imm;
	x86_optab[0][0x6a] = op_push_imm;
	x86_optab[0][0x8f] = op_pop_ev;
	x86_optab[0][0x9c] = op_pushf;
	x86_optab[0][0x9d] = op_popf;
	x86_optab[0][0x60] = op_pusha;
	x86_optab[0][0x61] = op_popa;
	x86_optab[0][0xc8] = op_enter;
	x86_optab[0][0xc9] = op_leave;
}
