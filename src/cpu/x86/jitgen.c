/* Code generation for the block translator (jit.c chooses, this emits):
 * the guest-register cache in host callee-saved registers, native forms,
 * handler calls, the inline soft-TLB path of memory forms, Jcc, exits and
 * links. The invariants it keeps are listed at the top of jit.c;
 * encodings are Intel SDM Vol. 2's, through jitemit.h. */
#include <stddef.h>
#include "cpu/x86/isa.h"
#include "cpu/x86/jit-priv.h"

/* --- the register cache --- */

static const uint8_t slot_host[NSLOT] = { H_BX, H_BP, H_R12, H_R13, H_R14 };


_Static_assert(offsetof(struct x86_lazy, size) == offsetof(struct x86_lazy, op) + 1,
	       "lf.op and lf.size are stored as one 16-bit word");

static void rc_writeback(struct jctx *x, int s)
{
	j_store(&x->b, 8, slot_host[s], OFF_R(x->guest[s]));
}

/* Host register holding guest register g, loading it when `load`. */
int jit_rc_get(struct jctx *x, int g, bool load)
{
	int s = x->slot_of[g];

	x->pin |= (uint16_t)(1u << g);
	if (s < 0) {
		int victim = -1;
		for (int k = 0; k < NSLOT; k++) {
			if (!x->used[k]) {
				victim = k;
				break;
			}
			if (x->pin & (1u << x->guest[k]))
				continue;
			if (victim < 0 || x->stamp[k] < x->stamp[victim])
				victim = k;
		}
		s = victim;                 /* never -1: at most 3 pinned */
		if (x->used[s]) {
			if (x->dirty[s])
				rc_writeback(x, s);
			x->slot_of[x->guest[s]] = -1;
		}
		x->used[s] = true;
		x->dirty[s] = false;
		x->guest[s] = (uint8_t)g;
		x->slot_of[g] = (int8_t)s;
		if (load)
			j_load(&x->b, 8, slot_host[s], OFF_R(g));
	}
	x->stamp[s] = ++x->clock;
	return slot_host[s];
}

void jit_rc_dirty(struct jctx *x, int g)
{
	x->dirty[x->slot_of[g]] = true;
}

/* Emit the write-back of every dirty register; mark_clean: the cache
 * state goes on (a handler call follows), else it is only this exit's. */
void jit_rc_flush(struct jctx *x, bool mark_clean)
{
	for (int s = 0; s < NSLOT; s++)
		if (x->used[s] && x->dirty[s]) {
			rc_writeback(x, s);
			if (mark_clean)
				x->dirty[s] = false;
		}
}

/* Forget the (clean) registers in mask: a handler wrote them. */
static void jit_rc_drop(struct jctx *x, uint16_t mask)
{
	for (int s = 0; s < NSLOT; s++)
		if (x->used[s] && (mask & (1u << x->guest[s]))) {
			x->used[s] = false;
			x->slot_of[x->guest[s]] = -1;
		}
}

/* --- emission --- */

static const uint8_t epilogue[] = {
	0x48, 0x83, 0xc4, 0x08,        /* add rsp, 8 */
	0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c,   /* pop r15 r14 r13 r12 */
	0x5d, 0x5b, 0xc3,              /* pop rbp; pop rbx; ret */
};

static void emit_count(struct jctx *x, unsigned retired)
{
	j_rm(&x->b, 8, 0x81, 0, OFF_ICOUNT);   /* add qword [icount], retired */
	jb4(&x->b, retired);
}

/* Back to run.c: `retired` records counted, go on or not (x86_jit_fn). */
void jit_emit_return(struct jctx *x, unsigned retired, bool go_on)
{
	emit_count(x, retired);
	j_mov_imm(&x->b, 4, H_AX, go_on);
	for (size_t k = 0; k < sizeof(epilogue); k++)
		jb1(&x->b, epilogue[k]);
}

/* An exit through a link slot (see jit.h), registers written back and
 * c->rip stored already. A static slot serves an exit to `rip` in the
 * block's own page. A dynamic one (an indirect branch) caches the last
 * target: taken when c->rip is that RIP and the soft TLB's code tag still
 * maps its page to the same physical page at this CPL. The other checks
 * are chain()'s in run.c that can change between blocks; the rest (halt,
 * interrupt shadow, TF, mode, CPL) change only through instructions that
 * end a block with a return to run.c. */
/* idx = the soft-TLB index of linear address `lin` times 5 (see
 * j_tlb_operand; idx is rax or rcx: LEA's base cannot be rbp/r13 without a
 * displacement), key = its page | valid | the user tag at this CPL: what
 * mmu.c's tag for the page holds (system.h). */
void jit_emit_tlb_key(struct jctx *x, int lin, int idx, int key)
{
	j_rr(&x->b, 8, 0x89, lin, idx);
	j_rr(&x->b, 8, 0xc1, 5, idx);                        /* shr idx, 12 */
	jb1(&x->b, 12);
	j_rr(&x->b, 4, 0x0fb6, idx, idx);                    /* movzx idx32, idx8 */
	j_rex(&x->b, true, idx, idx, idx, false);            /* lea idx, [idx+idx*4] */
	jb1(&x->b, 0x8d);
	jb1(&x->b, (idx & 7) << 3 | 4);
	jb1(&x->b, 2 << 6 | (idx & 7) << 3 | (idx & 7));
	j_rr(&x->b, 8, 0x89, lin, key);
	j_alu_ri(&x->b, 8, 4, key, 0xfffff000u);
	j_alu_ri(&x->b, 8, 1, key, (uint32_t)(TLB_VALID | (x->cpl == 3 ? TLB_USERTAG : 0)));
}

/* insn_rip and RIP stored, rdi = the vCPU: what a C call that can fault
 * needs (the caller has written the registers back). */
void jit_emit_fault_point(struct jctx *x, uint64_t rip, uint64_t next)
{
	j_store_imm64(&x->b, OFF_IRIP, rip);
	j_store_imm64(&x->b, OFF_RIP, next);
	j_rr(&x->b, 8, 0x89, H_CPU, H_DI);                   /* mov rdi, r15 */
}

static void emit_link(struct jctx *x, uint64_t rip, unsigned retired, bool dyn)
{
	const struct x86_jit_env *e = x->env;
	const int32_t tlb = (int32_t)offsetof(struct x86_cpu, tlb);
	struct jit_link *slot = x86_jit_data(x->j, sizeof(*slot));
	uint8_t *out[12];
	int no = 0;
	static const int32_t events[] = {
		(int32_t)offsetof(struct x86_cpu, irq_pending),
		(int32_t)offsetof(struct x86_cpu, nmi_pending),
		(int32_t)offsetof(struct x86_cpu, stop_req),
	};

	if (!slot) {
		x->b.full = true;
		return;
	}
	emit_count(x, retired);
	j_mov_imm(&x->b, 8, H_DX, (uint64_t)(uintptr_t)(slot));                   /* rdx = slot */
	if (dyn) {
		j_load(&x->b, 8, H_SI, OFF_RIP);
		jb1(&x->b, 0x48); jb1(&x->b, 0x3b); jb1(&x->b, 0x72); jb1(&x->b, 0x18); /* cmp rsi, [rdx+24] */
		out[no++] = j_jcc_fwd(&x->b, 5);
	}
	jb1(&x->b, 0x48); jb1(&x->b, 0x8b); jb1(&x->b, 0x02); /* mov rax, [rdx] */
	j_rr(&x->b, 8, 0x85, H_AX, H_AX);                   /* test rax, rax */
	out[no++] = j_jcc_fwd(&x->b, 4);                    /* jz */
	if (dyn) {
		/* The code tag for rsi's page, then the entry's physical
		 * page against the slot's. */
		jit_emit_tlb_key(x, H_SI, H_CX, H_DI);
		j_rex(&x->b, true, H_DI, H_CX, H_CPU, false);       /* cmp rdi, tag_x */
		jb1(&x->b, 0x3b);
		j_tlb_operand(&x->b, H_DI, H_CX, tlb + (int32_t)offsetof(struct x86_tlb_entry, tag_x));
		out[no++] = j_jcc_fwd(&x->b, 5);
		j_rex(&x->b, true, H_DI, H_CX, H_CPU, false);       /* mov rdi, phys */
		jb1(&x->b, 0x8b);
		j_tlb_operand(&x->b, H_DI, H_CX, tlb + (int32_t)offsetof(struct x86_tlb_entry, phys));
		j_alu_ri(&x->b, 8, 4, H_DI, 0xfffff000u);
		jb1(&x->b, 0x48); jb1(&x->b, 0x3b); jb1(&x->b, 0x7a); jb1(&x->b, 0x20); /* cmp rdi, [rdx+32] */
		out[no++] = j_jcc_fwd(&x->b, 5);
		jb1(&x->b, 0x48); jb1(&x->b, 0x8b); jb1(&x->b, 0x4a); jb1(&x->b, 0x28); /* mov rcx, [rdx+40] */
	} else {
		j_mov_imm(&x->b, 8, H_CX, (uint64_t)(uintptr_t)(e->page_gen));
	}
	jb1(&x->b, 0x8b); jb1(&x->b, 0x09);                 /* mov ecx, [rcx]: generation */
	jb1(&x->b, 0x3b); jb1(&x->b, 0x4a); jb1(&x->b, 0x08); /* cmp ecx, [rdx+8] */
	out[no++] = j_jcc_fwd(&x->b, 5);
	for (int k = 0; k < 3; k++) {
		j_rm(&x->b, 4, 0x83, 7, events[k]);         /* cmp dword [c+ev], 0 */
		jb1(&x->b, 0);
		out[no++] = j_jcc_fwd(&x->b, 5);
	}
	j_load(&x->b, 8, H_CX, OFF_ICOUNT);                 /* rcx = icount + n */
	jb1(&x->b, 0x8b); jb1(&x->b, 0x72); jb1(&x->b, 0x0c); /* mov esi, [rdx+12] */
	j_rr(&x->b, 8, 0x01, H_SI, H_CX);                   /* add rcx, rsi */
	j_mov_imm(&x->b, 8, H_SI, (uint64_t)(uintptr_t)(e->icount_stop));
	jb1(&x->b, 0x48); jb1(&x->b, 0x3b); jb1(&x->b, 0x0e); /* cmp rcx, [rsi] */
	out[no++] = j_jcc_fwd(&x->b, 7);                    /* ja */
	j_mov_imm(&x->b, 8, H_CX, (uint64_t)(uintptr_t)(e->code_epoch));
	jb1(&x->b, 0x48); jb1(&x->b, 0x8b); jb1(&x->b, 0x09); /* mov rcx, [rcx] */
	j_mov_imm(&x->b, 8, H_SI, (uint64_t)(uintptr_t)(e->epoch_seen));
	jb1(&x->b, 0x48); jb1(&x->b, 0x3b); jb1(&x->b, 0x0e); /* cmp rcx, [rsi] */
	out[no++] = j_jcc_fwd(&x->b, 5);
	jb1(&x->b, 0x48); jb1(&x->b, 0x8b); jb1(&x->b, 0x4a); jb1(&x->b, 0x10); /* mov rcx, [rdx+16] */
	j_mov_imm(&x->b, 8, H_SI, (uint64_t)(uintptr_t)(e->running));
	jb1(&x->b, 0x48); jb1(&x->b, 0x89); jb1(&x->b, 0x0e); /* mov [rsi], rcx */
	j_load(&x->b, 8, H_CX, OFF_RIP);
	j_mov_imm(&x->b, 8, H_SI, (uint64_t)(uintptr_t)(e->running_rip));
	jb1(&x->b, 0x48); jb1(&x->b, 0x89); jb1(&x->b, 0x0e); /* mov [rsi], rcx */
	jb1(&x->b, 0xff); jb1(&x->b, 0xe0);                 /* jmp rax */
	for (int k = 0; k < no; k++)
		j_patch(&x->b, out[k]);
	j_mov_imm(&x->b, 8, H_SI, (uint64_t)(uintptr_t)(e->last_exit));           /* run.c may fill it */
	jb1(&x->b, 0x48); jb1(&x->b, 0x89); jb1(&x->b, 0x16); /* mov [rsi], rdx */
	j_mov_imm(&x->b, 4, H_AX, 1);
	for (size_t k = 0; k < sizeof(epilogue); k++)
		jb1(&x->b, epilogue[k]);
	slot->rip = rip;
	slot->dyn = dyn;
}

void jit_emit_dyn_exit(struct jctx *x, unsigned retired)
{
	jit_rc_flush(x, false);
	emit_link(x, 0, retired, true);
}

/* Leave the block: registers back, RIP = rip, `retired` records done;
 * linked when rip is in the block's page. */
void jit_emit_exit(struct jctx *x, uint64_t rip, unsigned retired)
{
	jit_rc_flush(x, false);
	j_store_imm64(&x->b, OFF_RIP, rip);
	if (!((rip ^ x->rip) & ~0xfffULL))
		emit_link(x, rip, retired, false);
	else
		jit_emit_return(x, retired, true);
}

/* Zero-extending copy of the low `size` bytes of host register src into
 * scratch register dst (rax or rcx). */
void jit_emit_zext(struct jctx *x, int size, int dst, int src)
{
	if (size == 8) {
		j_rr(&x->b, 8, 0x89, src, dst);
	} else if (size == 4) {
		j_rr(&x->b, 4, 0x89, src, dst);
	} else {
		j_rex(&x->b, false, dst, 0, src, true);
		jb1(&x->b, 0x0f);
		jb1(&x->b, 0xb6);
		jb1(&x->b, 0xc0 | (dst & 7) << 3 | (src & 7));
	}
}

/* Group-1 opcode of "op r/m, reg" for aop (ADD 01, OR 09, ... CMP 39),
 * TEST 85; byte forms one less. */
static unsigned alu_opc(int aop, int size)
{
	unsigned opc = aop == AOP_TEST ? 0x85 : (unsigned)aop * 8 + 1;
	return size == 1 ? opc - 1 : opc;
}

/* An ALU form on host registers: hd op= hs (H_NONE: o->imm). hd is the
 * host register of guest o->dst when the result is stored; a compare or
 * test may work on a scratch register (a value from memory, jitmem.c). */
void jit_emit_alu(struct jctx *x, const struct jop *o, int hd, int hs)
{
	const bool imm = hs == H_NONE, store = o->aop != 7 && o->aop != AOP_TEST;
	const int size = o->size;

	if (!o->live) {
		if (store) {
			if (imm)
				j_alu_ri(&x->b, size, o->aop, hd, (uint32_t)o->imm);
			else
				j_rr(&x->b, size, alu_opc(o->aop, size), hs, hd);
			jit_rc_dirty(x, o->dst);
		}
		x->hf_ok = false;              /* (a compare nobody looks at) */
		return;
	}
	/* Flags observable: record src1, src2, result (fast.c's x86_lf()
	 * arguments, each cut to the operand size) and keep the host flags
	 * of the operation itself for a following Jcc. */
	jit_emit_zext(x, size, H_AX, hd);
	if (imm)
		j_mov_imm(&x->b, size == 8 ? 8 : 4, H_CX, size == 8 ? o->imm : o->imm & x86_mask(size));
	else
		jit_emit_zext(x, size, H_CX, hs);
	j_store(&x->b, 8, H_AX, OFF_SRC1);
	j_store(&x->b, 8, H_CX, OFF_SRC2);
	if (store) {
		j_rr(&x->b, size, alu_opc(o->aop, size), H_CX, hd);
		j_store(&x->b, 8, hd, OFF_RES);
		jit_rc_dirty(x, o->dst);
	} else {
		/* CMP as SUB and TEST as AND on the scratch copy: the same
		 * flags, and the result the lazy record wants. */
		j_rr(&x->b, size, alu_opc(o->aop == 7 ? 5 : 4, size), H_CX, H_AX);
		j_store(&x->b, 8, H_AX, OFF_RES);
	}
	j_store_imm16(&x->b, OFF_LFOP,
		      (uint16_t)((o->aop == 0 ? LF_ADD : (o->aop == 5 || o->aop == 7) ? LF_SUB
				  : LF_LOGIC) | size << 8));
	x->hf_ok = true;
}

static void emit_alu(struct jctx *x, const struct jop *o)
{
	const bool store = o->aop != 7 && o->aop != AOP_TEST;

	if (!o->live && !store) {
		x->hf_ok = false;              /* a compare nobody looks at */
		return;
	}
	jit_emit_alu(x, o, jit_rc_get(x, o->dst, true),
		     o->kind == K_ALU_RI ? H_NONE : jit_rc_get(x, o->src, true));
}

static void emit_lea(struct jctx *x, const struct x86_insn *i, const struct jop *o, uint64_t next)
{
	int hb = H_NONE, hi = H_NONE, hd;

	if (i->base == RIP_REL) {
		uint64_t ea = (next + (uint64_t)i->disp) & x86_mask(i->adsz);
		hd = jit_rc_get(x, o->dst, false);
		j_mov_imm(&x->b, o->size, hd, o->size == 8 ? ea : (uint32_t)ea);
		jit_rc_dirty(x, o->dst);
		return;
	}
	if (i->base != NO_REG)
		hb = jit_rc_get(x, i->base, true);
	if (i->index != NO_REG)
		hi = jit_rc_get(x, i->index, true);
	hd = jit_rc_get(x, o->dst, false);
	if (o->size == 8 && i->adsz == 4)
		jb1(&x->b, 0x67);              /* 32-bit address, zero-extended */
	j_rex(&x->b, o->size == 8, hd, hi == H_NONE ? 0 : hi, hb == H_NONE ? 0 : hb, false);
	jb1(&x->b, 0x8d);
	jb1(&x->b, (hb == H_NONE ? 0x00 : 0x80) | (hd & 7) << 3 | 4);
	jb1(&x->b, (unsigned)i->scale << 6 | (hi == H_NONE ? 4 : (hi & 7)) << 3 |
		   (hb == H_NONE ? 5 : (hb & 7)));
	jb4(&x->b, (uint32_t)i->disp);
	jit_rc_dirty(x, o->dst);
}

static void emit_setc_cl(struct jctx *x)
{
	jb1(&x->b, 0x0f); jb1(&x->b, 0x92); jb1(&x->b, 0xc1);   /* setc cl */
}

/* Lazy record {op, size, res = hd, cf_in = ecx} (src1/src2 are not read
 * for these operations, flags.c). */
static void emit_record(struct jctx *x, int hd, int op, int size)
{
	j_store(&x->b, 8, hd, OFF_RES);
	j_store_imm16(&x->b, OFF_LFOP, (uint16_t)(op | size << 8));
	j_store(&x->b, 4, H_CX, (int32_t)offsetof(struct x86_cpu, lf.cf_in));
}

/* SHL/SHR/SAR by a nonzero constant with its flags observable: fast.c's
 * SHIFT_RI record, with OF as it defines it for every count (SDM Vol. 2B
 * SAL/SAR/SHL/SHR: OF is defined for 1-bit shifts only): SHR the old
 * sign bit, SHL the new sign bit xor CF, SAR 0. CF is the host's. */
static void emit_shift_live(struct jctx *x, const struct jop *o, int hd)
{
	const unsigned top = (unsigned)o->size * 8 - 1;

	j_mov_imm(&x->b, 4, H_CX, 0);
	if (o->ext == 5)
		jit_emit_zext(x, o->size, H_AX, hd);         /* the old value */
	j_rr(&x->b, o->size, 0xc1, o->ext, hd);
	jb1(&x->b, (unsigned)o->imm);
	emit_setc_cl(x);
	if (o->ext == 4)
		jit_emit_zext(x, o->size, H_AX, hd);         /* the new value */
	if (o->ext != 7) {
		j_rr(&x->b, 8, 0xc1, 5, H_AX);           /* shr rax, top */
		jb1(&x->b, top);
		if (o->ext == 4)
			j_rr(&x->b, 4, 0x31, H_CX, H_AX); /* xor eax, ecx */
		jb1(&x->b, 0x8d); jb1(&x->b, 0x0c); jb1(&x->b, 0x41);   /* lea ecx, [rcx+rax*2] */
	}
	emit_record(x, hd, LF_SHL, o->size);
}

void jit_emit_native(struct jctx *x, const struct x86_insn *i, const struct jop *o,
			uint64_t next)
{
	int hd, hs;

	switch (o->kind) {
	case K_NOP:
		return;
	case K_MOV_RR:
		hs = jit_rc_get(x, o->src, true);
		hd = jit_rc_get(x, o->dst, false);
		j_rr(&x->b, o->size, 0x89, hs, hd);
		break;
	case K_MOV_RI:
		hd = jit_rc_get(x, o->dst, false);
		j_mov_imm(&x->b, o->size, hd, o->size == 8 ? o->imm : (uint32_t)o->imm);
		break;
	case K_LEA:
		emit_lea(x, i, o, next);
		return;
	case K_MOVX:
		hs = jit_rc_get(x, o->src, true);
		hd = jit_rc_get(x, o->dst, false);
		j_rex(&x->b, o->size == 8 || o->opc == 0x63, hd, 0, hs, o->opc == 0x0fb6 || o->opc == 0x0fbe);
		j_op(&x->b, o->opc);
		jb1(&x->b, 0xc0 | (hd & 7) << 3 | (hs & 7));
		break;
	case K_INCDEC:
		hd = jit_rc_get(x, o->dst, true);
		if (!o->live) {
			j_rr(&x->b, o->size, 0xff, o->ext, hd);
			x->hf_ok = false;
			break;
		}
		/* The host flags are the guest's (hf_ok, jit.c checked): INC
		 * keeps CF there; record it as fast.c's INCDEC_R does. The
		 * flags after are the guest's again. */
		j_mov_imm(&x->b, 4, H_CX, 0);
		jit_emit_zext(x, o->size, H_AX, hd);
		j_rr(&x->b, o->size, 0xff, o->ext, hd);
		emit_setc_cl(x);
		j_store(&x->b, 8, H_AX, OFF_SRC1);
		j_store_imm64(&x->b, OFF_SRC2, 1);
		emit_record(x, hd, o->ext ? LF_DEC : LF_INC, o->size);
		x->hf_ok = true;
		break;
	case K_SHIFT:
		hd = jit_rc_get(x, o->dst, true);
		if (!o->imm) {
			if (o->size == 4)
				j_rr(&x->b, 4, 0x89, hd, hd);   /* a 32-bit write still zero-extends */
			break;
		}
		if (o->live)
			emit_shift_live(x, o, hd);
		else {
			j_rr(&x->b, o->size, 0xc1, o->ext, hd);
			jb1(&x->b, (unsigned)o->imm);
		}
		x->hf_ok = false;
		break;
	case K_SHIFTCL:
		hs = jit_rc_get(x, R_CX, true);
		hd = jit_rc_get(x, o->dst, true);
		j_rr(&x->b, 4, 0x89, hs, H_CX);            /* mov ecx, guest ecx */
		if (o->size == 4)                          /* count 0 still zero-extends */
			j_rr(&x->b, 4, 0x89, hd, hd);
		j_rr(&x->b, o->size, 0xd3, o->ext, hd);
		x->hf_ok = false;
		break;
	case K_MUL: {
		/* fast.c's mul_r*: rDX:rAX = rAX * src; CF=OF=(high != 0),
		 * the rest of the record from the low half. */
		int hax, hdx;

		hs = jit_rc_get(x, o->src, true);
		hax = jit_rc_get(x, R_AX, true);
		hdx = jit_rc_get(x, R_DX, false);
		j_mov_imm(&x->b, 4, H_CX, 0);
		j_rr(&x->b, 8, 0x89, hax, H_AX);
		j_rr(&x->b, o->size, 0xf7, 4, hs);         /* mul src (read first) */
		j_rr(&x->b, 8, 0x89, H_AX, hax);
		j_rr(&x->b, 8, 0x89, H_DX, hdx);
		if (o->live) {
			emit_setc_cl(x);
			emit_record(x, hax, LF_MUL, o->size);
		}
		jit_rc_dirty(x, R_AX);
		jit_rc_dirty(x, R_DX);
		x->hf_ok = false;
		return;
	}
	case K_IMUL_RRI:
	case K_IMUL_RR:
		hs = jit_rc_get(x, o->src, true);
		hd = jit_rc_get(x, o->dst, o->kind == K_IMUL_RR);
		if (o->live)
			j_mov_imm(&x->b, 4, H_CX, 0);
		if (o->kind == K_IMUL_RRI) {
			j_rr(&x->b, o->size, 0x69, hd, hs);
			jb4(&x->b, (uint32_t)o->imm);
		} else {
			j_rr(&x->b, o->size, 0x0faf, hd, hs);
		}
		if (o->live) {
			/* fast.c's imul_rr*: the low half, CF=OF=overflow. */
			emit_setc_cl(x);
			emit_record(x, hd, LF_IMUL, o->size);
		}
		x->hf_ok = false;
		break;
	default:
		emit_alu(x, o);
		return;
	}
	jit_rc_dirty(x, o->dst);
}

/* The record's own handler, with block_exec()'s bookkeeping around it. */
/* handler(c, i) after storing insn_rip and RIP (the caller has written
 * the registers back). */
void jit_emit_handler(struct jctx *x, const struct x86_insn *i, uint64_t rip, uint64_t next)
{
	jit_emit_fault_point(x, rip, next);
	j_mov_imm(&x->b, 8, H_SI, (uint64_t)(uintptr_t)i);
	j_call(&x->b, (const void *)i->fn);
}

/* Leave after this instruction (RIP = next) if it wrote cached code. */
void jit_emit_written_check(struct jctx *x, uint64_t next, unsigned k)
{
	uint8_t *skip;

	j_mov_imm(&x->b, 8, H_AX, (uint64_t)(uintptr_t)x->env->written);
	jb1(&x->b, 0x80); jb1(&x->b, 0x38); jb1(&x->b, 0x00);   /* cmp byte [rax], 0 */
	skip = j_jcc_fwd(&x->b, 4);
	jit_emit_exit(x, next, k + 1);
	j_patch(&x->b, skip);
}

void jit_emit_call(struct jctx *x, const struct x86_insn *i, const struct jop *o,
		      uint64_t rip, uint64_t next, unsigned k, bool last)
{
	uint8_t *skip;

	jit_rc_flush(x, true);
	jit_emit_handler(x, i, rip, next);
	jit_rc_drop(x, o->wmask);
	x->hf_ok = false;
	if (last)
		return;
	/* The cache is clean here, so leaving needs no write-back. */
	if (o->branch) {
		j_cmp_mem_imm64(&x->b, OFF_RIP, next);
		skip = j_jcc_fwd(&x->b, 4);              /* je: went on */
		jit_emit_dyn_exit(x, k + 1);
		j_patch(&x->b, skip);
	}
	if (o->wmem)
		jit_emit_written_check(x, next, k);
}

/* The host condition code that says "guest condition cc holds": cc
 * itself while the host flags are the guest's, else NZ after asking
 * x86_cond() (whose TEST leaves host flags that are not the guest's). The
 * register cache is in callee-saved registers: the call keeps it. */
static int emit_cond(struct jctx *x, int cc)
{
	if (x->hf_ok)
		return cc;
	j_rr(&x->b, 8, 0x89, H_CPU, H_DI);       /* x86_cond(c, cc) */
	j_mov_imm(&x->b, 4, H_SI, (uint32_t)cc);
	j_call(&x->b, (const void *)x86_cond);
	jb1(&x->b, 0x84);                        /* test al, al */
	jb1(&x->b, 0xc0);
	return 5;
}

void jit_emit_jcc(struct jctx *x, const struct jop *o, unsigned k)
{
	int cc = emit_cond(x, o->ext);
	uint8_t *skip = j_jcc_fwd(&x->b, cc ^ 1);

	jit_emit_exit(x, o->imm, k + 1);
	j_patch(&x->b, skip);
	/* Not taken: the host flags are as emit_cond() left them. */
}

/* CMOVcc r, r (a 32-bit one writes, zero-extending, even when the
 * condition fails: the host's does the same) and SETcc r8 (the low byte
 * only: the host's, with REX so that 4..7 are SPL..DIL). */
void jit_emit_cmov_setcc(struct jctx *x, const struct jop *o)
{
	int hs = o->kind == K_CMOV ? jit_rc_get(x, o->src, true) : H_NONE;
	int hd = jit_rc_get(x, o->dst, true);
	int cc = emit_cond(x, o->ext);

	if (o->kind == K_CMOV) {
		j_rr(&x->b, o->size, 0x0f40 | (unsigned)cc, hd, hs);
	} else {
		j_rex(&x->b, false, 0, 0, hd, true);
		jb1(&x->b, 0x0f);
		jb1(&x->b, 0x90 | (unsigned)cc);
		jb1(&x->b, 0xc0 | (hd & 7));
	}
	jit_rc_dirty(x, o->dst);
}

static const uint8_t prologue[] = {
	0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,   /* push rbx rbp r12-r15 */
	0x48, 0x83, 0xec, 0x08,        /* sub rsp, 8: calls see rsp 16-aligned */
	0x49, 0x89, 0xff,              /* mov r15, rdi */
};

const size_t jit_prologue_len = sizeof(prologue);

void jit_emit_prologue(struct jctx *x)
{
	for (size_t k = 0; k < sizeof(prologue); k++)
		jb1(&x->b, prologue[k]);
}
