/* ADD OR ADC SBB AND SUB XOR CMP, TEST, INC/DEC, NOT/NEG (SDM Vol. 2A/2B
 * per-instruction pages). */
#include "cpu/x86/isa.h"

/* cf: carry-in for ADC/SBB, read before any retry of a LOCKed update can
 * overwrite the lazy flags. */
static inline __attribute__((always_inline))
uint64_t alu_c(struct x86_cpu *c, int op, int size, uint64_t a, uint64_t b, uint64_t cf)
{
	uint64_t m = x86_mask(size), r;

	switch (op) {
	case ALU_ADD:
		r = (a + b) & m;
		x86_lf(c, LF_ADD, size, r, a, b);
		return r;
	case ALU_OR:
		r = (a | b) & m;
		x86_lf_logic(c, size, r);
		return r;
	case ALU_ADC:
		r = (a + b + cf) & m;
		x86_lf(c, LF_ADC, size, r, a, b);
		c->lf.cf_in = (uint32_t)cf;
		return r;
	case ALU_SBB:
		r = (a - b - cf) & m;
		x86_lf(c, LF_SBB, size, r, a, b);
		c->lf.cf_in = (uint32_t)cf;
		return r;
	case ALU_AND:
		r = a & b & m;
		x86_lf_logic(c, size, r);
		return r;
	case ALU_SUB:
	case ALU_CMP:
		r = (a - b) & m;
		x86_lf(c, LF_SUB, size, r, a, b);
		return r;
	default: /* XOR */
		r = (a ^ b) & m;
		x86_lf_logic(c, size, r);
		return r;
	}
}

__attribute__((hot))
uint64_t x86_alu(struct x86_cpu *c, int op, int size, uint64_t a, uint64_t b)
{
	uint64_t cf = (op == ALU_ADC || op == ALU_SBB) ? x86_cf(c) : 0;
	return alu_c(c, op, size, a, b, cf);
}

uint64_t x86_mem_rmw(struct x86_cpu *c, int seg, uint64_t off, bool lock, int size,
		     x86_rmw_fn fn, uint64_t arg)
{
	uint64_t old;

	if (lock) {
		void *p = x86_rmw_ptr(c, seg, off, size);
		if (p) {
			uint64_t nv;
			old = x86_atomic_load(p, size);
			do {
				nv = fn(c, size, old, arg);
			} while (!x86_atomic_cas(p, size, &old, nv));
			return old;
		}
	}
	old = x86_read_inl(c, seg, off, size);
	x86_write_inl(c, seg, off, size, fn(c, size, old, arg));
	return old;
}

uint64_t x86_rm_rmw(struct x86_cpu *c, const struct x86_insn *i, int size,
		    x86_rmw_fn fn, uint64_t arg)
{
	uint64_t old;

	if (i->mod == 3) {
		old = x86_reg_get(c, i, i->rm, size);
		x86_reg_set(c, i, i->rm, size, fn(c, size, old, arg));
		return old;
	}
	return x86_mem_rmw(c, i->seg, x86_ea(c, i), i->lock, size, fn, arg);
}

/* One callback serves all ops: arg points at the operation's parameters. */
struct alu_args {
	int op;
	uint64_t b, cf;
};

static uint64_t rmw_alu(struct x86_cpu *c, int size, uint64_t old, uint64_t arg)
{
	const struct alu_args *p = (const struct alu_args *)(uintptr_t)arg;
	return alu_c(c, p->op, size, old, p->b, p->cf);
}

static inline __attribute__((always_inline))
void alu_rm(struct x86_cpu *c, const struct x86_insn *i, int op, int size, uint64_t b)
{
	if (op == ALU_CMP) {
		x86_alu(c, op, size, x86_rm_read(c, i, size), b);
		return;
	}
	if (i->mod == 3) {
		uint64_t a = x86_reg_get(c, i, i->rm, size);
		x86_reg_set(c, i, i->rm, size, x86_alu(c, op, size, a, b));
		return;
	}
	{
		struct alu_args args = {
			.op = op, .b = b & x86_mask(size),
			.cf = (op == ALU_ADC || op == ALU_SBB) ? x86_cf(c) : 0,
		};
		x86_rm_rmw(c, i, size, rmw_alu, (uint64_t)(uintptr_t)&args);
	}
}

/* 00-3D: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz */
__attribute__((hot))
static void op_alu(struct x86_cpu *c, const struct x86_insn *i)
{
	int op = i->op >> 3, sz = i->opsz;

	switch (i->op & 7) {
	case 0: case 1:
		alu_rm(c, i, op, sz, x86_reg_get(c, i, i->reg, sz));
		break;
	case 2: case 3: {
		uint64_t b = x86_rm_read(c, i, sz);
		uint64_t r = x86_alu(c, op, sz, x86_reg_get(c, i, i->reg, sz), b);
		if (op != ALU_CMP)
			x86_reg_set(c, i, i->reg, sz, r);
		break;
	}
	default: {
		uint64_t r = x86_alu(c, op, sz, x86_reg_get(c, i, R_AX, sz), i->imm);
		if (op != ALU_CMP)
			x86_reg_set(c, i, R_AX, sz, r);
		break;
	}
	}
}

/* 80/81/82/83: group 1, op in ModRM.reg, immediate already sign-extended. */
__attribute__((hot))
static void op_grp1(struct x86_cpu *c, const struct x86_insn *i)
{
	alu_rm(c, i, i->reg & 7, i->opsz, i->imm);
}

/* 84/85 TEST Ev,Gv; A8/A9 TEST rAX,imm. */
static void op_test(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	x86_lf_logic(c, sz, x86_rm_read(c, i, sz) & x86_reg_get(c, i, i->reg, sz));
}

static void op_test_ax(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	x86_lf_logic(c, sz, x86_reg_get(c, i, R_AX, sz) & i->imm & x86_mask(sz));
}

/* INC/DEC keep CF (SDM Vol. 2A INC: "CF flag is not affected"). */
static uint64_t rmw_incdec(struct x86_cpu *c, int size, uint64_t old, uint64_t dec)
{
	uint32_t cf = x86_cf(c);
	uint64_t r = (dec ? old - 1 : old + 1) & x86_mask(size);
	x86_lf(c, dec ? LF_DEC : LF_INC, size, r, old, 1);
	c->lf.cf_in = cf;
	return r;
}

/* 40-4F outside 64-bit mode. */
static void op_incdec_r(struct x86_cpu *c, const struct x86_insn *i)
{
	int r = i->op & 7, sz = i->opsz;
	x86_reg_set(c, i, r, sz, rmw_incdec(c, sz, x86_reg_get(c, i, r, sz), i->op & 8));
}

static uint64_t rmw_not(struct x86_cpu *c, int size, uint64_t old, uint64_t arg)
{
	return ~old & x86_mask(size);
}

static uint64_t rmw_neg(struct x86_cpu *c, int size, uint64_t old, uint64_t arg)
{
	uint64_t r = (0 - old) & x86_mask(size);
	x86_lf(c, LF_NEG, size, r, old, 0);
	return r;
}

/* F6/F7: group 3. */
static void op_grp3(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;

	switch (i->reg & 7) {
	case 0: case 1:
		x86_lf_logic(c, sz, x86_rm_read(c, i, sz) & i->imm & x86_mask(sz));
		break;
	case 2:
		x86_rm_rmw(c, i, sz, rmw_not, 0);
		break;
	case 3:
		x86_rm_rmw(c, i, sz, rmw_neg, 0);
		break;
	default:
		x86_muldiv_grp3(c, i);
		break;
	}
}

/* FE: group 4 (INC/DEC Eb). */
static void op_grp4(struct x86_cpu *c, const struct x86_insn *i)
{
	if ((i->reg & 7) > 1)
		x86_ud(c);
	x86_rm_rmw(c, i, 1, rmw_incdec, i->reg & 1);
}

/* FF /0 /1 for ctrl.c's group-5 handler. */
void x86_incdec_rm(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_rm_rmw(c, i, i->opsz, rmw_incdec, i->reg & 1);
}

void x86_register_alu(void)
{
	for (int op = 0; op < 0x40; op += 8)
		for (int k = 0; k < 6; k++)
			x86_optab[0][op + k] = op_alu;
	for (int op = 0x80; op <= 0x83; op++)
		x86_optab[0][op] = op_grp1;
	x86_optab[0][0x84] = op_test;
	x86_optab[0][0x85] = op_test;
	x86_optab[0][0xa8] = op_test_ax;
	x86_optab[0][0xa9] = op_test_ax;
	for (int op = 0x40; op < 0x50; op++)
		x86_optab[0][op] = op_incdec_r;
	x86_optab[0][0xf6] = op_grp3;
	x86_optab[0][0xf7] = op_grp3;
	x86_optab[0][0xfe] = op_grp4;
}
