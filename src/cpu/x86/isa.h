/* Helpers shared by the integer-ISA modules (alu.c shift.c muldiv.c bit.c
 * string.c ctrl.c stack.c misc.c run.c); not part of the cpu.h contract. */
#ifndef RINGVM_CPU_X86_ISA_H
#define RINGVM_CPU_X86_ISA_H

#include <string.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/system.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Inline register and r/m access for the hot handlers; operand.c exports
 * the same functions (cpu.h) for the other modules. The macros below make
 * every integer-ISA file use the inline copies. */
static inline __attribute__((always_inline))
uint64_t x86_reg_get_inl(struct x86_cpu *c, const struct x86_insn *i, int reg, int size)
{
	switch (size) {
	case 1:
		if (reg >= 4 && reg < 8 && !i->rex)
			return (c->r[reg - 4] >> 8) & 0xff;
		return c->r[reg] & 0xff;
	case 2:
		return c->r[reg] & 0xffff;
	case 4:
		return (uint32_t)c->r[reg];
	default:
		return c->r[reg];
	}
}

static inline __attribute__((always_inline))
void x86_reg_set_inl(struct x86_cpu *c, const struct x86_insn *i, int reg, int size, uint64_t v)
{
	switch (size) {
	case 1:
		if (reg >= 4 && reg < 8 && !i->rex)
			c->r[reg - 4] = (c->r[reg - 4] & ~0xff00ULL) | ((v & 0xff) << 8);
		else
			c->r[reg] = (c->r[reg] & ~0xffULL) | (v & 0xff);
		break;
	case 2:
		c->r[reg] = (c->r[reg] & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		c->r[reg] = (uint32_t)v;
		break;
	default:
		c->r[reg] = v;
		break;
	}
}

static inline __attribute__((always_inline))
uint64_t x86_ea_inl(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t a = (uint64_t)i->disp;

	if (i->base == RIP_REL)
		a += c->rip;          /* RIP of the next instruction */
	else if (i->base != NO_REG)
		a += c->r[i->base];
	if (i->index != NO_REG)
		a += c->r[i->index] << i->scale;
	return a & x86_mask(i->adsz);
}

/* Guest memory fast path for 64-bit mode and flat-ish 32-bit protected
 * mode: one soft-TLB compare and a copy through the host addend (EMU-NOTES
 * "soft TLB"), using mmu.c's tag layout from system.h. Anything unusual
 * (real/V86/compatibility mode, unusual segments, MMIO,
 * page-crossing, a TLB miss, alignment checking at CPL 3) takes mmu.c's
 * full path, which also fills the TLB. Code pages never carry a write tag,
 * so writes to them still reach x86_code_written(). */
static inline __attribute__((always_inline))
const struct x86_tlb_entry *x86_tlb_fast(struct x86_cpu *c, int seg, uint64_t off, int size,
					 bool write, uint64_t *lin)
{
	const struct x86_tlb_entry *t;
	uint64_t l, key;

	if (unlikely(c->cpl == 3 && (c->rflags & F_AC)))
		return NULL;
	if (likely(c->mode == MODE_LONG)) {
		l = off + (seg >= S_FS ? c->seg[seg].base : 0);
	} else if (c->mode == MODE_PROT) {
		/* Legacy protected mode: only a usable, expand-up data segment
		 * (writable for a write), where mmu.c's x86_seg_lin() checks
		 * nothing but the limit (SDM Vol. 3A 5.3, 5.4.1); anything
		 * else, or an offset beyond the limit, takes the full path,
		 * which raises the fault. */
		const struct x86_seg *s = &c->seg[seg];
		uint32_t need = write ? 0x2 : 0;

		if ((s->attr & (SEG_UNUSABLE | 0xc | need)) != need ||
		    off + (uint64_t)size - 1 > s->limit)
			return NULL;
		l = (s->base + off) & 0xffffffffULL;
	} else {
		return NULL;
	}
	if (unlikely((l & 0xfff) + (unsigned)size > 0x1000))
		return NULL;
	t = &c->tlb[(l >> 12) & (TLB_SIZE - 1)];
	key = (l & ~0xfffULL) | TLB_VALID | (c->cpl == 3 ? TLB_USERTAG : 0);
	if ((write ? t->tag_w : t->tag_r) != key || (t->phys & TLB_MMIO))
		return NULL;
	*lin = l;
	return t;
}

/* Host loads and stores of 1/2/4/8 bytes (fixed-size memcpy compiles to a
 * single move; a variable size would call memcpy). */
static inline __attribute__((always_inline)) uint64_t x86_host_load(const void *p, int size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static inline __attribute__((always_inline)) void x86_host_store(void *p, int size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
	case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static inline __attribute__((always_inline))
uint64_t x86_read_inl(struct x86_cpu *c, int seg, uint64_t off, int size)
{
	uint64_t lin;
	const struct x86_tlb_entry *t = x86_tlb_fast(c, seg, off, size, false, &lin);

	if (likely(t))
		return x86_host_load((void *)(uintptr_t)(lin + t->addend), size);
	return x86_read(c, seg, off, size);
}

static inline __attribute__((always_inline))
void x86_write_inl(struct x86_cpu *c, int seg, uint64_t off, int size, uint64_t v)
{
	uint64_t lin;
	const struct x86_tlb_entry *t = x86_tlb_fast(c, seg, off, size, true, &lin);

	if (likely(t)) {
		x86_host_store((void *)(uintptr_t)(lin + t->addend), size, v);
		return;
	}
	x86_write(c, seg, off, size, v);
}

static inline __attribute__((always_inline))
uint64_t x86_rm_read_inl(struct x86_cpu *c, const struct x86_insn *i, int size)
{
	if (i->mod == 3)
		return x86_reg_get_inl(c, i, i->rm, size);
	return x86_read_inl(c, i->seg, x86_ea_inl(c, i), size);
}

static inline __attribute__((always_inline))
void x86_rm_write_inl(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t v)
{
	if (i->mod == 3)
		x86_reg_set_inl(c, i, i->rm, size, v);
	else
		x86_write_inl(c, i->seg, x86_ea_inl(c, i), size, v);
}

#ifndef X86_OPERAND_C
#define x86_reg_get  x86_reg_get_inl
#define x86_reg_set  x86_reg_set_inl
#define x86_ea       x86_ea_inl
#define x86_rm_read  x86_rm_read_inl
#define x86_rm_write x86_rm_write_inl
#endif

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

/* muldiv.c: F6/F7 /4../7. */
void x86_muldiv_grp3(struct x86_cpu *c, const struct x86_insn *i);
/* muldiv.c: IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B). */
void x86_imul_r(struct x86_cpu *c, const struct x86_insn *i, uint64_t b);

/* alu.c: FF /0 /1 (INC/DEC Ev) for ctrl.c's group-5 handler. */
void x86_incdec_rm(struct x86_cpu *c, const struct x86_insn *i);

/* fast.c: swap in a size- and form-specific handler for hot forms. */
void x86_specialize(struct x86_insn *i, int code_size);

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
