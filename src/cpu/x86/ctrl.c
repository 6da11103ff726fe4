/* Near control transfer: Jcc, JMP, CALL, RET, LOOPcc, JrCXZ, group 5
 * (FF), and the software interrupts INT3, INT n, INTO, INT1. */
#include "cpu/x86/isa.h"

/* Target of a near transfer: truncated to the operand size; #GP(0) when
 * non-canonical in 64-bit mode or beyond the CS limit elsewhere (SDM Vol.
 * 2A JMP/CALL "Operation"). The check comes before any stack change. */
static inline uint64_t near_target(struct x86_cpu *c, uint64_t target, int opsz)
{
	if (opsz == 8) {
		if (unlikely((uint64_t)((int64_t)(target << 16) >> 16) != target))
			x86_fault(c, X86_GP, 0);
		return target;
	}
	target &= x86_mask(opsz);
	if (c->mode != MODE_LONG && unlikely(target > c->seg[S_CS].limit))
		x86_fault(c, X86_GP, 0);
	return target;
}

/* 70-7F, 0F 80-8F: Jcc rel8/rel16/rel32. */
__attribute__((hot))
static void op_jcc(struct x86_cpu *c, const struct x86_insn *i)
{
	if (x86_cond(c, i->op & 15))
		c->rip = near_target(c, c->rip + i->imm, i->opsz);
}

/* E9, EB: JMP rel. */
__attribute__((hot))
static void op_jmp_rel(struct x86_cpu *c, const struct x86_insn *i)
{
	c->rip = near_target(c, c->rip + i->imm, i->opsz);
}

/* E8: CALL rel: push the return address (the next instruction). */
__attribute__((hot))
static void op_call_rel(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t t = near_target(c, c->rip + i->imm, i->opsz);
	x86_push(c, i->opsz, c->rip & x86_mask(i->opsz));
	c->rip = t;
}

/* C3, C2 imm16: RET near; the immediate is released after the pop. */
__attribute__((hot))
static void op_ret(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t m = x86_stack_mask(c), sp = c->r[R_SP] & m;
	uint64_t t = near_target(c, x86_read(c, S_SS, sp, sz), sz);

	sp = sp + sz + (i->op == 0xc2 ? (i->imm & 0xffff) : 0);
	x86_adr_set(c, c->stack_size, R_SP, sp);
	c->rip = t;
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JCXZ/JECXZ/JRCXZ: the counter's width
 * is the address size (SDM Vol. 2A LOOP/Jcc). */
static void op_loop(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t cx = x86_adr_get(c, i->adsz, R_CX);
	bool take;

	if (i->op == 0xe3) {
		take = cx == 0;
	} else {
		uint64_t t;
		cx = (cx - 1) & x86_mask(i->adsz);
		take = cx != 0;
		if (i->op == 0xe0)
			take = take && !x86_cond(c, 4);
		else if (i->op == 0xe1)
			take = take && x86_cond(c, 4);
		/* Check the target before the counter changes. */
		t = take ? near_target(c, c->rip + i->imm, i->opsz) : c->rip;
		x86_adr_set(c, i->adsz, R_CX, cx);
		c->rip = t;
		return;
	}
	if (take)
		c->rip = near_target(c, c->rip + i->imm, i->opsz);
}

/* FF: group 5. */
static void op_grp5(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t t;

	switch (i->reg & 7) {
	case 0: case 1:
		if (i->mod == 3) {
			/* Register fast path: INC/DEC keep CF (SDM Vol. 2A INC). */
			uint32_t cf = x86_cf(c);
			uint64_t v = x86_reg_get(c, i, i->rm, sz);
			v = ((i->reg & 1) ? v - 1 : v + 1) & x86_mask(sz);
			x86_reg_set(c, i, i->rm, sz, v);
			x86_lf(c, (i->reg & 1) ? LF_DEC : LF_INC, sz, v, 0, 1);
			c->lf.cf_in = cf;
			return;
		}
		x86_incdec_rm(c, i);
		return;
	case 2:
		t = near_target(c, x86_rm_read(c, i, sz), sz);
		x86_push(c, sz, c->rip & x86_mask(sz));
		c->rip = t;
		return;
	case 4:
		c->rip = near_target(c, x86_rm_read(c, i, sz), sz);
		return;
	case 3: case 5: {
		x86_handler h = (i->reg & 7) == 3 ? x86_callf_mem : x86_jmpf_mem;
		if (i->mod == 3 || !h)
			x86_ud(c);
		h(c, i);
		return;
	}
	case 6:
		x86_push(c, sz, x86_rm_read(c, i, sz));
		return;
	default:
		x86_ud(c);
	}
}

/* Software interrupts go through x86_deliver(soft) with RIP already past
 * the instruction (the return address). */
static void soft_int(struct x86_cpu *c, int vec, bool soft)
{
	if (!x86_deliver(c, vec, X86_NOERR, soft, false))
		c->shutdown = 1;
}

/* CC: INT3. */
static void op_int3(struct x86_cpu *c, const struct x86_insn *i)
{
	soft_int(c, X86_BP, true);
}

/* CD: INT n. In V86 mode with IOPL < 3 it is #GP(0) (SDM Vol. 2A INT n,
 * no VME). */
static void op_int(struct x86_cpu *c, const struct x86_insn *i)
{
	if (c->mode == MODE_V86 && ((c->rflags & F_IOPL) >> 12) < 3)
		x86_fault(c, X86_GP, 0);
	soft_int(c, (int)(i->imm & 0xff), true);
}

/* CE: INTO (invalid in 64-bit mode, decode.c). */
static void op_into(struct x86_cpu *c, const struct x86_insn *i)
{
	if (x86_cond(c, 0))
		soft_int(c, X86_OF, true);
}

/* F1: INT1/ICEBP: a #DB trap without the gate DPL check (SDM Vol. 3A
 * 17.3.1.6 / Vol. 2A INT n). */
static void op_int1(struct x86_cpu *c, const struct x86_insn *i)
{
	soft_int(c, X86_DB, false);
}

void x86_register_ctrl(void)
{
	for (int cc = 0; cc < 16; cc++) {
		x86_optab[0][0x70 + cc] = op_jcc;
		x86_optab[1][0x80 + cc] = op_jcc;
	}
	x86_optab[0][0xe9] = op_jmp_rel;
	x86_optab[0][0xeb] = op_jmp_rel;
	x86_optab[0][0xe8] = op_call_rel;
	x86_optab[0][0xc3] = op_ret;
	x86_optab[0][0xc2] = op_ret;
	for (int op = 0xe0; op <= 0xe3; op++)
		x86_optab[0][op] = op_loop;
	x86_optab[0][0xff] = op_grp5;
	x86_optab[0][0xcc] = op_int3;
	x86_optab[0][0xcd] = op_int;
	x86_optab[0][0xce] = op_into;
	x86_optab[0][0xf1] = op_int1;
}
