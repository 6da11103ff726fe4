/* Helpers shared by the integer-ISA modules (alu.c shift.c muldiv.c bit.c
 * string.c ctrl.c stack.c misc.c run.c); not part of the cpu.h contract. */
#ifndef RINGVM_CPU_X86_ISA_H
#define RINGVM_CPU_X86_ISA_H

#include "cpu/x86/cpu.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ALU operation numbers in opcode order (00 ADD ... 38 CMP; group 1 /r). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

static inline _Noreturn void x86_ud(struct x86_cpu *c)
{
	x86_fault(c, X86_UD, X86_NOERR);
}

static inline void x86_lf_logic(struct x86_cpu *c, int size, uint64_t res)
{
	x86_lf(c, LF_LOGIC, size, res, 0, 0);
}

/* alu.c: compute a op b at size, record lazy flags, return the result. */
uint64_t x86_alu(struct x86_cpu *c, int op, int size, uint64_t a, uint64_t b);

/* Atomic access to a host pointer from x86_rmw_ptr() (LOCK semantics). */
static inline uint64_t x86_atomic_load(void *p, int size)
{
	switch (size) {
	case 1: return __atomic_load_n((uint8_t *)p, __ATOMIC_SEQ_CST);
	case 2: return __atomic_load_n((uint16_t *)p, __ATOMIC_SEQ_CST);
	case 4: return __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
	default: return __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
	}
}

/* Compare-and-swap: true if *p held *old and now holds v; else *old is
 * updated with the current value. */
static inline bool x86_atomic_cas(void *p, int size, uint64_t *old, uint64_t v)
{
	bool ok;
	switch (size) {
	case 1: {
		uint8_t o = (uint8_t)*old;
		ok = __atomic_compare_exchange_n((uint8_t *)p, &o, (uint8_t)v, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		break;
	}
	case 2: {
		uint16_t o = (uint16_t)*old;
		ok = __atomic_compare_exchange_n((uint16_t *)p, &o, (uint16_t)v, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		break;
	}
	case 4: {
		uint32_t o = (uint32_t)*old;
		ok = __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)v, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		break;
	}
	default:
		ok = __atomic_compare_exchange_n((uint64_t *)p, old, v, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		break;
	}
	return ok;
}

/* Read-modify-write of the r/m operand: fn computes the new value (and
 * sets flags). With LOCK on RAM the update is one atomic compare-exchange
 * so other vCPU threads see it whole; otherwise read then write (the write
 * may fault after the read: nothing visible has changed by then).
 * Returns the old value. */
typedef uint64_t (*x86_rmw_fn)(struct x86_cpu *c, int size, uint64_t old, uint64_t arg);
uint64_t x86_rm_rmw(struct x86_cpu *c, const struct x86_insn *i, int size,
		    x86_rmw_fn fn, uint64_t arg);
/* The same on an explicit memory operand (BTx with a register bit offset). */
uint64_t x86_mem_rmw(struct x86_cpu *c, int seg, uint64_t off, bool lock, int size,
		     x86_rmw_fn fn, uint64_t arg);

/* ctrl.c: near transfer to target with the operand size's truncation and
 * the canonical (64-bit) or CS-limit (legacy) check, #GP(0). */
void x86_jump_near(struct x86_cpu *c, uint64_t target, int opsz);

/* muldiv.c: F6/F7 /4../7. */
void x86_muldiv_grp3(struct x86_cpu *c, const struct x86_insn *i);
/* muldiv.c: IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B). */
void x86_imul_r(struct x86_cpu *c, const struct x86_insn *i, uint64_t b);

/* alu.c: FF /0 /1 (INC/DEC Ev) for ctrl.c's group-5 handler. */
void x86_incdec_rm(struct x86_cpu *c, const struct x86_insn *i);

/* Register operand of the no-ModRM opcodes with the register in the low
 * bits (decode.c puts it in rm). */
static inline int x86_oprm(const struct x86_insn *i)
{
	return i->rm;
}

/* String instructions' address register size. */
static inline uint64_t x86_adr_get(struct x86_cpu *c, int adsz, int reg)
{
	return c->r[reg] & x86_mask(adsz);
}
static inline void x86_adr_set(struct x86_cpu *c, int adsz, int reg, uint64_t v)
{
	if (adsz == 8)
		c->r[reg] = v;
	else if (adsz == 4)
		c->r[reg] = (uint32_t)v;
	else
		c->r[reg] = (c->r[reg] & ~0xffffULL) | (v & 0xffff);
}

#endif
