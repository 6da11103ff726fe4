/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with REP, REPE,
 * REPNE (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ", Vol. 1 7.3.9).
 *
 * RSI/RDI/RCX are updated after every element, so a fault in the middle
 * restarts the instruction where it stopped (SDM Vol. 2B REP: "the
 * registers are updated ... to allow the instruction to be restarted").
 * A long REP also gives the run loop a chance to take interrupts: after
 * REP_SLICE elements RIP is pointed back at the instruction. */
#include <string.h>
#include "cpu/x86/isa.h"

#define REP_SLICE 65536

static inline int step(const struct x86_cpu *c, int size)
{
	return (c->rflags & F_DF) ? -size : size;
}

/* Linear base of a segment as the access sees it: 0 for all but FS/GS in
 * 64-bit mode (SDM Vol. 1 3.3.7.1). Used only to decide whether a bulk
 * copy may overlap. */
static inline uint64_t lin_base(const struct x86_cpu *c, int seg)
{
	if (c->mode == MODE_LONG && seg != S_FS && seg != S_GS)
		return 0;
	return c->seg[seg].base;
}

/* I/O permission (SDM Vol. 1 19.5): CPL > IOPL in protected mode, or any
 * V86 access, consults the TSS bitmap; #GP(0) when denied. */
static void io_check(struct x86_cpu *c, uint16_t port, int size)
{
	const struct x86_seg *tr = &c->seg[S_TR];
	unsigned iopl = (c->rflags & F_IOPL) >> 12;
	uint64_t bm;
	uint16_t bits;

	if (c->mode == MODE_REAL || (c->mode != MODE_V86 && c->cpl <= iopl))
		return;
	/* Only a 32/64-bit TSS (type 9 or 11) has a bitmap. */
	if ((SEG_TYPE(tr) & 7) != 1 && (SEG_TYPE(tr) & 7) != 3)
		x86_fault(c, X86_GP, 0);
	if ((SEG_TYPE(tr) & 8) == 0 || tr->limit < 0x67)
		x86_fault(c, X86_GP, 0);
	bm = x86_read_lin(c, tr->base + 0x66, 2, true) + port / 8;
	if (bm + 1 > tr->limit)
		x86_fault(c, X86_GP, 0);
	bits = (uint16_t)x86_read_lin(c, tr->base + bm, 2, true);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		x86_fault(c, X86_GP, 0);
}

static uint64_t pio_in(struct x86_cpu *c, uint16_t port, int size)
{
	uint64_t v = 0;
	if (c->bus.pio)
		c->bus.pio(c->bus.opaque, port, &v, (unsigned)size, true);
	else
		v = x86_mask(size);      /* nothing decodes it: floating bus */
	return v & x86_mask(size);
}

static void pio_out(struct x86_cpu *c, uint16_t port, int size, uint64_t v)
{
	if (c->bus.pio)
		c->bus.pio(c->bus.opaque, port, &v, (unsigned)size, false);
}

enum { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS, S_INS, S_OUTS };

/* One element, with RSI/RDI advanced by the element size in DF's direction. */
static inline void one(struct x86_cpu *c, const struct x86_insn *i, int kind, int sz)
{
	int a = i->adsz, d = step(c, sz);
	uint64_t si = x86_adr_get(c, a, R_SI), di = x86_adr_get(c, a, R_DI), v;

	switch (kind) {
	case S_MOVS:
		v = x86_read(c, i->seg, si, sz);
		x86_write(c, S_ES, di, sz, v);
		x86_adr_set(c, a, R_SI, si + d);
		x86_adr_set(c, a, R_DI, di + d);
		break;
	case S_CMPS:
		v = x86_read(c, i->seg, si, sz);
		x86_alu(c, ALU_CMP, sz, v, x86_read(c, S_ES, di, sz));
		x86_adr_set(c, a, R_SI, si + d);
		x86_adr_set(c, a, R_DI, di + d);
		break;
	case S_STOS:
		x86_write(c, S_ES, di, sz, x86_reg_get(c, i, R_AX, sz));
		x86_adr_set(c, a, R_DI, di + d);
		break;
	case S_LODS:
		x86_reg_set(c, i, R_AX, sz, x86_read(c, i->seg, si, sz));
		x86_adr_set(c, a, R_SI, si + d);
		break;
	case S_SCAS:
		x86_alu(c, ALU_CMP, sz, x86_reg_get(c, i, R_AX, sz), x86_read(c, S_ES, di, sz));
		x86_adr_set(c, a, R_DI, di + d);
		break;
	case S_INS: {
		uint16_t port = (uint16_t)c->r[R_DX];
		/* Check the destination before the port read has side effects. */
		(void)x86_rmw_ptr(c, S_ES, di, sz);
		v = pio_in(c, port, sz);
		x86_write(c, S_ES, di, sz, v);
		x86_adr_set(c, a, R_DI, di + d);
		break;
	}
	default: /* OUTS */
		v = x86_read(c, i->seg, si, sz);
		pio_out(c, (uint16_t)c->r[R_DX], sz, v);
		x86_adr_set(c, a, R_SI, si + d);
		break;
	}
}

/* Bulk REP STOS/MOVS within one page of each operand, forward only and,
 * for MOVS, only without overlap (element order would be visible).
 * Returns the number of elements done (0: take the slow path). */
static uint64_t bulk(struct x86_cpu *c, const struct x86_insn *i, int kind, int sz, uint64_t cnt)
{
	int a = i->adsz;
	uint64_t di = x86_adr_get(c, a, R_DI), si = x86_adr_get(c, a, R_SI);
	uint64_t dlin = lin_base(c, S_ES) + di, n, bytes;
	void *dst;

	if (c->rflags & F_DF)
		return 0;
	bytes = 0x1000 - (dlin & 0xfff);
	if (kind == S_MOVS) {
		uint64_t slin = lin_base(c, i->seg) + si, room = 0x1000 - (slin & 0xfff);
		if (room < bytes)
			bytes = room;
		if ((slin < dlin ? dlin - slin : slin - dlin) < bytes)
			return 0;
		if (si + bytes - 1 > x86_mask(a))
			return 0;
	}
	if (di + bytes - 1 > x86_mask(a))
		return 0;
	n = bytes / sz;
	if (n > cnt)
		n = cnt;
	if (n < 2)
		return 0;
	dst = x86_rmw_ptr(c, S_ES, di, (int)(n * sz));
	if (!dst)
		return 0;
	if (kind == S_STOS) {
		uint64_t v = x86_reg_get(c, i, R_AX, sz);
		/* One byte repeated (Linux clears pages with REP STOSQ of 0). */
		if (sz == 1 || v == (v & 0xff) * (x86_mask(sz) / 0xff)) {
			memset(dst, (int)(v & 0xff), n * sz);
		} else {
			for (uint64_t k = 0; k < n; k++)
				memcpy((uint8_t *)dst + k * sz, &v, sz);
		}
	} else {
		x86_read_bytes(c, i->seg, si, dst, (int)(n * sz));
		x86_adr_set(c, a, R_SI, si + n * sz);
	}
	x86_adr_set(c, a, R_DI, di + n * sz);
	return n;
}

static void string_op(struct x86_cpu *c, const struct x86_insn *i, int kind)
{
	int sz = (i->op & 1) ? i->opsz : 1, a = i->adsz;
	bool cond = kind == S_CMPS || kind == S_SCAS;
	uint64_t cnt, budget = REP_SLICE;

	if (kind == S_INS || kind == S_OUTS) {
		/* Port I/O is at most 32 bits: REX.W does not widen INS/OUTS. */
		if (sz == 8)
			sz = 4;
		io_check(c, (uint16_t)c->r[R_DX], sz);
	}
	if (!i->rep) {
		one(c, i, kind, sz);
		return;
	}
	cnt = x86_adr_get(c, a, R_CX);
	while (cnt) {
		if ((kind == S_MOVS || kind == S_STOS) && cnt > 1) {
			uint64_t n = bulk(c, i, kind, sz, cnt);
			if (n) {
				cnt -= n;
				x86_adr_set(c, a, R_CX, cnt);
				budget = budget > n ? budget - n : 0;
				goto next;
			}
		}
		one(c, i, kind, sz);
		cnt--;
		x86_adr_set(c, a, R_CX, cnt);
		budget--;
		/* REPE ends on ZF=0, REPNE on ZF=1 (only CMPS/SCAS look). */
		if (cond && x86_cond(c, 4) != (i->rep == 0xf3))
			return;
next:
		if (cnt && (!budget || atomic_load_explicit(&c->stop_req, memory_order_relaxed) ||
			    atomic_load_explicit(&c->nmi_pending, memory_order_relaxed) ||
			    ((c->rflags & F_IF) &&
			     atomic_load_explicit(&c->irq_pending, memory_order_relaxed)))) {
			c->rip = c->insn_rip;   /* resume later where we are */
			return;
		}
	}
}

static void op_movs(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_MOVS); }
static void op_cmps(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_CMPS); }
static void op_stos(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_STOS); }
static void op_lods(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_LODS); }
static void op_scas(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_SCAS); }
static void op_ins(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_INS); }
static void op_outs(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, S_OUTS); }

void x86_register_string(void)
{
	x86_optab[0][0xa4] = op_movs;
	x86_optab[0][0xa5] = op_movs;
	x86_optab[0][0xa6] = op_cmps;
	x86_optab[0][0xa7] = op_cmps;
	x86_optab[0][0xaa] = op_stos;
	x86_optab[0][0xab] = op_stos;
	x86_optab[0][0xac] = op_lods;
	x86_optab[0][0xad] = op_lods;
	x86_optab[0][0xae] = op_scas;
	x86_optab[0][0xaf] = op_scas;
	x86_optab[0][0x6c] = op_ins;
	x86_optab[0][0x6d] = op_ins;
	x86_optab[0][0x6e] = op_outs;
	x86_optab[0][0x6f] = op_outs;
}
