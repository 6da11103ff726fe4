/* Memory forms of 64-bit code in translated blocks (jit.c chooses them):
 * MOV/MOVZX loads and stores, PUSH/POP, CALL rel32, RET, and the ALU forms
 * that read memory (op r,[m]; CMP/TEST [m],r/imm).
 *
 * Each does x86_tlb_fast()'s long-mode hit path inline: linear = offset
 * (plus the FS/GS base), no page crossing, the soft-TLB tag for this CPL
 * and access, RAM; the host address is linear + the entry's addend. A
 * miss calls x86_read()/x86_write() (mmu.c), which walk, fill the TLB and
 * raise any fault; only that path can fault, so only it writes the
 * registers back and stores RIP first. Both paths then meet, and what
 * follows (the ALU operation and its host flags, the RSP update) is
 * emitted once. Registers written back on the miss path stay marked dirty
 * where the paths meet: one redundant store later, never a lost one.
 *
 * Orders kept from the handlers (fast.c): PUSH and CALL write before RSP
 * changes, POP and RET read before; RET checks its target is canonical
 * (#GP through the handler otherwise) before RSP changes; a store that
 * hit cached code ends the block after the instruction (x86_write() sets
 * the flag; a fast store never can, code pages carry no write tag).
 */
#include <stddef.h>
#include "cpu/x86/isa.h"
#include "cpu/x86/jit-priv.h"

/* ModRM+SIB for [rcx + rsi], reg field `reg` (the host address). */
static void j_host_operand(struct jbuf *b, int reg)
{
	jb1(b, (reg & 7) << 3 | 4);
	jb1(b, (H_SI & 7) << 3 | (H_CX & 7));
}

/* rdx = the offset, rsi = the linear address. The base and index
 * registers must be in hb/hi (H_NONE: absent). */
static void emit_address(struct jctx *x, const struct x86_insn *i, uint64_t next, int hb, int hi)
{
	if (i->base == RIP_REL) {
		j_mov_imm(&x->b, 8, H_DX, (next + (uint64_t)i->disp) & x86_mask(i->adsz));
	} else {
		if (i->adsz == 4)
			jb1(&x->b, 0x67);              /* 32-bit address, zero-extended */
		j_rex(&x->b, true, H_DX, hi == H_NONE ? 0 : hi, hb == H_NONE ? 0 : hb, false);
		jb1(&x->b, 0x8d);
		jb1(&x->b, (hb == H_NONE ? 0x00 : 0x80) | (H_DX & 7) << 3 | 4);
		jb1(&x->b, (unsigned)i->scale << 6 | (hi == H_NONE ? 4 : (hi & 7)) << 3 |
			   (hb == H_NONE ? 5 : (hb & 7)));
		jb4(&x->b, (uint32_t)i->disp);
	}
	j_rr(&x->b, 8, 0x89, H_DX, H_SI);
	if (i->seg == S_FS || i->seg == S_GS)
		j_rm(&x->b, 8, 0x03, H_SI, (int32_t)offsetof(struct x86_cpu, seg[i->seg].base));
}

/* The inline hit test for `size` bytes at linear rsi: rcx = the addend,
 * or a jump to one of the returned patch points (the miss path). */
static int emit_tlb(struct jctx *x, bool write, unsigned size, uint8_t **miss)
{
	const int32_t tlb = (int32_t)offsetof(struct x86_cpu, tlb);
	const int32_t tag = write ? (int32_t)offsetof(struct x86_tlb_entry, tag_w)
				  : (int32_t)offsetof(struct x86_tlb_entry, tag_r);
	int n = 0;

	if (size > 1) {                        /* crosses a page */
		j_rr(&x->b, 4, 0x89, H_SI, H_AX);
		j_alu_ri(&x->b, 4, 4, H_AX, 0xfff);
		j_alu_ri(&x->b, 4, 7, H_AX, 0x1000 - size);
		miss[n++] = j_jcc_fwd(&x->b, 7);   /* ja */
	}
	jit_emit_tlb_key(x, H_SI, H_AX, H_CX);     /* rax = index * 5, rcx = key */
	j_rex(&x->b, true, H_CX, H_AX, H_CPU, false);   /* cmp rcx, tag */
	jb1(&x->b, 0x3b);
	j_tlb_operand(&x->b, H_CX, H_AX, tlb + tag);
	miss[n++] = j_jcc_fwd(&x->b, 5);       /* jne */
	j_rex(&x->b, false, 0, H_AX, H_CPU, false);     /* test byte phys, MMIO */
	jb1(&x->b, 0xf6);
	j_tlb_operand(&x->b, 0, H_AX, tlb + (int32_t)offsetof(struct x86_tlb_entry, phys));
	jb1(&x->b, (unsigned)TLB_MMIO);
	miss[n++] = j_jcc_fwd(&x->b, 5);       /* jnz */
	j_rex(&x->b, true, H_CX, H_AX, H_CPU, false);   /* rcx = addend */
	jb1(&x->b, 0x8b);
	j_tlb_operand(&x->b, H_CX, H_AX, tlb + (int32_t)offsetof(struct x86_tlb_entry, addend));
	return n;
}

static uint8_t *emit_jmp_fwd(struct jctx *x)
{
	jb1(&x->b, 0xe9);
	jb4(&x->b, 0);
	return x->b.full ? NULL : x->b.p - 4;
}

/* The miss path's start: the patch points land here; registers back,
 * RIP stored, rdi = c, esi = seg, rdx = offset (kept), ecx = size. */
static void emit_miss(struct jctx *x, uint8_t **miss, int n, uint64_t rip, uint64_t next,
		      int seg, unsigned size)
{
	for (int k = 0; k < n; k++)
		j_patch(&x->b, miss[k]);
	jit_rc_flush(x, false);
	jit_emit_fault_point(x, rip, next);
	j_mov_imm(&x->b, 4, H_SI, (uint32_t)seg);
	j_mov_imm(&x->b, 4, H_CX, size);
}

/* RSP += delta (LEA: the flags are not touched). */
static void emit_rsp_add(struct jctx *x, int hsp, int32_t delta)
{
	j_rex(&x->b, true, hsp, 0, hsp, false);
	jb1(&x->b, 0x8d);
	if ((hsp & 7) == 4) {                  /* r12: needs a SIB byte */
		jb1(&x->b, 0x80 | (hsp & 7) << 3 | 4);
		jb1(&x->b, 0x24);
	} else {
		jb1(&x->b, 0x80 | (hsp & 7) << 3 | (hsp & 7));
	}
	jb4(&x->b, (uint32_t)delta);
}

/* A load of `size` bytes (zero-extended) into host register hv. */
static void emit_load(struct jctx *x, const struct x86_insn *i, uint64_t rip, uint64_t next,
		      int seg, unsigned size, int hv)
{
	uint8_t *miss[4], *done;
	int n = emit_tlb(x, false, size, miss);

	if (size >= 4) {
		j_rex(&x->b, size == 8, hv, H_SI, H_CX, false);
		jb1(&x->b, 0x8b);
	} else {
		j_rex(&x->b, false, hv, H_SI, H_CX, false);
		jb1(&x->b, 0x0f);
		jb1(&x->b, size == 1 ? 0xb6 : 0xb7);
	}
	j_host_operand(&x->b, hv);
	done = emit_jmp_fwd(x);
	emit_miss(x, miss, n, rip, next, seg, size);
	j_call(&x->b, (const void *)x86_read);
	j_rr(&x->b, 8, 0x89, H_AX, hv);
	j_patch(&x->b, done);
}

/* A store of `size` bytes of hv (H_NONE: imm, sign-extended), then
 * RSP += rsp_delta when hsp is given. */
static void emit_store(struct jctx *x, uint64_t rip, uint64_t next, unsigned k, bool last,
		       int seg, unsigned size, int hv, uint64_t imm, int hsp, int32_t rsp_delta)
{
	uint8_t *miss[4], *done;
	int n = emit_tlb(x, true, size, miss);

	if (hv == H_NONE) {
		j_rex(&x->b, size == 8, 0, H_SI, H_CX, false);
		jb1(&x->b, 0xc7);
		j_host_operand(&x->b, 0);
		jb4(&x->b, (uint32_t)imm);
	} else {
		j_rex(&x->b, size == 8, hv, H_SI, H_CX, size == 1);
		jb1(&x->b, size == 1 ? 0x88 : 0x89);
		j_host_operand(&x->b, hv);
	}
	if (hsp != H_NONE)
		emit_rsp_add(x, hsp, rsp_delta);
	done = emit_jmp_fwd(x);
	emit_miss(x, miss, n, rip, next, seg, size);
	if (hv == H_NONE)
		j_mov_imm(&x->b, 8, H_R8, size == 8 ? imm : (uint32_t)imm);
	else
		j_rr(&x->b, 8, 0x89, hv, H_R8);
	j_call(&x->b, (const void *)x86_write);
	if (hsp != H_NONE) {
		emit_rsp_add(x, hsp, rsp_delta);
		jit_rc_dirty(x, R_SP);
	}
	if (!last)
		jit_emit_written_check(x, next, k);
	j_patch(&x->b, done);
}

/* RET: rdx = [rsp]; canonical, else the handler raises #GP (nothing has
 * changed yet); RSP += 8; leave for run.c with RIP = rdx. */
static void emit_ret(struct jctx *x, const struct x86_insn *i, uint64_t rip, uint64_t next,
		     unsigned k, int hsp)
{
	uint8_t *bad;

	j_rr(&x->b, 8, 0x89, hsp, H_DX);
	j_rr(&x->b, 8, 0x89, H_DX, H_SI);
	emit_load(x, i, rip, next, S_SS, 8, H_DX);
	j_rr(&x->b, 8, 0x89, H_DX, H_AX);      /* rax >> 47 is 0 or -1 */
	j_rr(&x->b, 8, 0xc1, 7, H_AX);
	jb1(&x->b, 47);
	j_alu_ri(&x->b, 4, 0, H_AX, 1);
	j_alu_ri(&x->b, 4, 7, H_AX, 1);
	bad = j_jcc_fwd(&x->b, 7);             /* ja */
	emit_rsp_add(x, hsp, 8);
	jit_rc_dirty(x, R_SP);
	j_store(&x->b, 8, H_DX, OFF_RIP);
	jit_emit_dyn_exit(x, k + 1);
	j_patch(&x->b, bad);
	jit_rc_flush(x, false);
	jit_emit_handler(x, i, rip, next);     /* faults: does not return */
	jit_emit_return(x, k + 1, true);
}

void jit_emit_mem(struct jctx *x, const struct x86_insn *i, const struct jop *o, uint64_t rip,
		  uint64_t next, unsigned k, bool last)
{
	int hb = H_NONE, hi = H_NONE, hv = H_NONE, hsp;

	switch (o->kind) {
	case K_PUSH:
		hv = jit_rc_get(x, o->src, true);
		hsp = jit_rc_get(x, R_SP, true);
		j_rr(&x->b, 8, 0x89, hsp, H_DX);
		j_alu_ri(&x->b, 8, 5, H_DX, 8);    /* rdx = rsp - 8 */
		j_rr(&x->b, 8, 0x89, H_DX, H_SI);
		emit_store(x, rip, next, k, last, S_SS, 8, hv, 0, hsp, -8);
		jit_rc_dirty(x, R_SP);
		x->hf_ok = false;
		return;
	case K_POP:
		hsp = jit_rc_get(x, R_SP, true);
		hv = jit_rc_get(x, o->dst, false);
		j_rr(&x->b, 8, 0x89, hsp, H_DX);
		j_rr(&x->b, 8, 0x89, H_DX, H_SI);
		emit_load(x, i, rip, next, S_SS, 8, hv);
		emit_rsp_add(x, hsp, 8);
		jit_rc_dirty(x, R_SP);
		jit_rc_dirty(x, o->dst);
		x->hf_ok = false;
		return;
	case K_CALLREL:
		hsp = jit_rc_get(x, R_SP, true);
		j_rr(&x->b, 8, 0x89, hsp, H_DX);
		j_alu_ri(&x->b, 8, 5, H_DX, 8);
		j_rr(&x->b, 8, 0x89, H_DX, H_SI);
		j_mov_imm(&x->b, 8, H_R9, next);   /* the return address */
		emit_store(x, rip, next, k, true, S_SS, 8, H_R9, 0, hsp, -8);
		jit_rc_dirty(x, R_SP);
		jit_emit_exit(x, o->imm, k + 1);
		return;
	case K_RET:
		emit_ret(x, i, rip, next, k, jit_rc_get(x, R_SP, true));
		return;
	default:
		break;
	}
	if (i->base != RIP_REL && i->base != NO_REG)
		hb = jit_rc_get(x, i->base, true);
	if (i->index != NO_REG)
		hi = jit_rc_get(x, i->index, true);
	if (o->kind == K_STORE) {
		if (o->src != NO_REG)
			hv = jit_rc_get(x, o->src, true);
		emit_address(x, i, next, hb, hi);
		emit_store(x, rip, next, k, last, i->seg, o->msize, hv, o->imm, H_NONE, 0);
	} else if (o->kind == K_LOAD) {
		hv = jit_rc_get(x, o->dst, false);
		emit_address(x, i, next, hb, hi);
		emit_load(x, i, rip, next, i->seg, o->msize, hv);
		jit_rc_dirty(x, o->dst);
	} else {                                   /* K_ALU_M */
		int hr = H_NONE;

		if (o->ext ? o->src != NO_REG : true)
			hr = jit_rc_get(x, o->ext ? o->src : o->dst, true);
		emit_address(x, i, next, hb, hi);
		emit_load(x, i, rip, next, i->seg, o->msize, H_DX);
		if (o->ext)
			jit_emit_alu(x, o, H_DX, hr);   /* CMP/TEST [m], r/imm */
		else
			jit_emit_alu(x, o, hr, H_DX);   /* op r, [m] */
		return;
	}
	x->hf_ok = false;
}
