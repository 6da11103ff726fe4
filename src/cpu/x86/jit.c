/* Block translator: a hot decoded block becomes one host function.
 *
 * Guest and host are both x86-64, so the register-only integer forms
 * that dominate hot loops (MOV, LEA, ADD/SUB/AND/OR/XOR/CMP/TEST,
 * INC/DEC, shifts and rotates, MUL, IMUL, MOVZX/MOVSX, CMOVcc, SETcc,
 * Jcc, JMP)
 * are emitted
 * as the same host instruction on host registers. Everything else (memory
 * access, anything that can fault or that touches system state) becomes
 * a direct call of the instruction's ordinary handler, so its semantics
 * are the interpreter's by construction. What this removes is the
 * dispatch loop's per-instruction work: the indirect call through the
 * record, RIP bookkeeping, the loop test, and for native forms the
 * memory round trip of every register and lazy-flag field.
 *
 * Invariants the translation keeps (they are block_exec()'s contract):
 * - Guest registers live in a small cache of host callee-saved registers
 *   (rbx rbp r12 r13 r14; r15 holds the vCPU). Before every handler call
 *   all dirty cached registers are written back, so a handler, a fault
 *   (longjmp out of the translated code), or an exit sees c->r[] exact.
 * - c->insn_rip and c->rip are stored before each handler call; native
 *   forms cannot fault, so they need neither.
 * - Lazy flags (c->lf) are written by a native form only when something
 *   can observe them before the next full flag write: a handler call
 *   (handlers read flags, and a fault pushes RFLAGS), a Jcc, or the end
 *   of the block (liveness pass below). Shifts and IMUL record what
 *   their handlers record (fast.c); INC/DEC too when the host flags hold
 *   the CF they keep, else their handler runs; rotates, which keep
 *   SF/ZF/PF, are native only where their flags are dead (and then so are
 *   the flags they pass through).
 * - A Jcc right after a native flag-setting form tests the host's own
 *   flags, which are the guest's (same instruction, same operand size);
 *   otherwise it asks x86_cond().
 * - After a handler that may branch or write memory the block leaves if
 *   RIP is not the next instruction or cached code was written, as
 *   block_exec() does.
 * Register encodings and flag behaviour: Intel SDM Vol. 2 per instruction.
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "cpu/x86/isa.h"
#include "cpu/x86/jit-priv.h"

struct x86_jit {
	uint8_t *mem;           /* code */
	size_t size, used;
	uint8_t *data;          /* link slots and block records: kept apart
	                           from code, whose cache lines a store into
	                           would make the host CPU flush as SMC */
	size_t dsize, dused;
};


struct x86_jit *x86_jit_new(size_t size)
{
	struct x86_jit *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->mem = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (j->mem == MAP_FAILED) {
		free(j);
		return NULL;
	}
	j->dsize = size / 4;
	j->data = mmap(NULL, j->dsize, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (j->data == MAP_FAILED) {
		munmap(j->mem, size);
		free(j);
		return NULL;
	}
	j->size = size;
	return j;
}

void x86_jit_free(struct x86_jit *j)
{
	if (!j)
		return;
	munmap(j->mem, j->size);
	munmap(j->data, j->dsize);
	free(j);
}

void x86_jit_reset(struct x86_jit *j)
{
	j->used = 0;
	j->dused = 0;
}

void *x86_jit_data(struct x86_jit *j, size_t bytes)
{
	size_t at = (j->dused + 15) & ~(size_t)15;
	void *p;

	if (at + bytes > j->dsize)
		return NULL;
	p = j->data + at;
	j->dused = at + bytes;
	memset(p, 0, bytes);
	return p;
}


/* A guest byte register that is the low byte of c->r[g] (not AH..BH). */
static bool low_byte(const struct x86_insn *i, int g)
{
	return i->rex || g < 4;
}

static bool alu_ok(int aop)
{
	return aop != 2 && aop != 3;     /* ADC and SBB read CF: handler */
}

/* What the handler of a memory form may change, so the register cache
 * drops only that (everything, for anything not listed). */
static void call_effects(const struct x86_insn *i, int code_size, struct jop *o)
{
	const bool mem = i->mod != 3;
	const uint8_t op = i->op;

	o->kind = K_CALL;
	o->wmask = 0xffff;
	o->branch = o->wmem = true;
	if (i->map == 0 && mem && !i->rep) {
		if (op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7 ||
		    (op < 0x40 && (op & 7) < 2 && (op >> 3) != 7) ||
		    ((op == 0x80 || op == 0x81 || op == 0x83) && (i->reg & 7) != 7)) {
			o->wmask = 0;                     /* stores, ALU to memory */
			o->branch = false;
		} else if (op == 0x38 || op == 0x39 || op == 0x3a || op == 0x3b ||
			   op == 0x84 || op == 0x85 ||
			   ((op == 0x80 || op == 0x81 || op == 0x83) && (i->reg & 7) == 7)) {
			o->wmask = 0;                     /* compares with memory */
			o->branch = o->wmem = false;
		} else if (op == 0x8a || op == 0x8b || (op == 0x63 && code_size == 8) ||
			   (op < 0x40 && (op & 7) >= 2 && (op & 7) < 4)) {
			o->wmask = (uint16_t)(1u << i->reg | 1u << (i->reg & 3));
			o->branch = o->wmem = false;      /* loads, ALU from memory */
		}
	} else if (i->map == 1 && mem && !i->rep &&
		   (op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf)) {
		o->wmask = (uint16_t)(1u << i->reg);
		o->branch = o->wmem = false;
	} else if (i->map == 0 && !i->rep && op >= 0x50 && op <= 0x5f &&
		   (i->opsz == code_size || (code_size == 8 && i->opsz == 8))) {
		o->wmask = (uint16_t)(1u << R_SP | (op >= 0x58 ? 1u << i->rm : 0));
		o->branch = false;
		o->wmem = op < 0x58;
	}
}

/* A relative branch whose target the translation may take without the
 * handler's checks: operand size of the code (no 16-bit truncation), and
 * in 64-bit code a canonical target (else #GP, SDM Vol. 2A Jcc). The CS
 * limit check of legacy modes is run.c's entry condition. */
static bool branch_ok(const struct x86_insn *i, uint64_t next, int code_size)
{
	uint64_t t = next + i->imm;

	if (i->opsz != code_size)
		return false;
	return code_size != 8 || (uint64_t)((int64_t)(t << 16) >> 16) == t;
}

/* A memory form the translation may access inline: 64-bit code (flat
 * but for FS/GS, x86_tlb_fast()'s long-mode case) and an address it
 * can compute with one LEA. */
static bool mem_ok(const struct x86_insn *i, int code_size)
{
	return code_size == 8 && i->mod != 3 && i->adsz >= 4 && fits_s32((uint64_t)i->disp);
}

/* K_LOAD / K_STORE: MOV r, [m] and MOV [m], r (32/64), MOV [m], imm32,
 * MOV [m], r8 (low byte), MOVZX r, [m] (byte, word). */
static bool mem_form(const struct x86_insn *i, struct jop *o)
{
	const bool wide = i->opsz == 4 || i->opsz == 8;
	const uint8_t op = i->op;

	if (i->map == 0 && (op == 0x8b || op == 0x89) && wide) {
		o->kind = op == 0x8b ? K_LOAD : K_STORE;
		o->msize = i->opsz;
		o->dst = o->src = i->reg;
	} else if (i->map == 0 && op == 0xc7 && !(i->reg & 7) && wide) {
		o->kind = K_STORE;
		o->msize = i->opsz;
		o->src = NO_REG;
		o->imm = i->imm;
	} else if (i->map == 0 && op == 0x88 && low_byte(i, i->reg)) {
		o->kind = K_STORE;
		o->msize = 1;
		o->src = i->reg;
	} else if (i->map == 1 && (op == 0xb6 || op == 0xb7) && wide) {
		o->kind = K_LOAD;
		o->msize = op == 0xb6 ? 1 : 2;
		o->dst = i->reg;
	} else if (i->map == 0 && (op == 0x03 || op == 0x0b || op == 0x23 || op == 0x2b ||
				   op == 0x33 || op == 0x3b) && wide) {
		o->kind = K_ALU_M;                /* op r, [m] */
		o->aop = op >> 3;
		o->dst = i->reg;
	} else if (i->map == 0 && (op == 0x39 || op == 0x85) && wide) {
		o->kind = K_ALU_M;                /* CMP/TEST [m], r */
		o->aop = op == 0x39 ? 7 : AOP_TEST;
		o->ext = 1;
		o->src = i->reg;
	} else if (i->map == 0 && (op == 0x38 || op == 0x84) && low_byte(i, i->reg)) {
		o->kind = K_ALU_M;                /* CMP/TEST [m8], r8 */
		o->aop = op == 0x38 ? 7 : AOP_TEST;
		o->ext = 1;
		o->size = 1;
		o->src = i->reg;
	} else if (i->map == 0 && (((op == 0x81 || op == 0x83) && (i->reg & 7) == 7 && wide) ||
				   (op == 0xf7 && !(i->reg & 7) && wide) ||
				   (op == 0x80 && (i->reg & 7) == 7) || (op == 0xf6 && !(i->reg & 7)))) {
		o->kind = K_ALU_M;                /* CMP/TEST [m], imm */
		o->aop = (op & 0xf0) == 0x80 ? 7 : AOP_TEST;
		o->ext = 1;
		o->size = (op == 0x80 || op == 0xf6) ? 1 : i->opsz;
		o->src = NO_REG;
		o->imm = i->imm;
	} else {
		return false;
	}
	if (o->kind == K_ALU_M)
		o->msize = o->size;
	return true;
}

/* PUSH r64, POP r64 (not RSP), CALL rel32 and RET in 64-bit code. */
static bool stack_form(const struct x86_insn *i, uint64_t next, struct jop *o)
{
	const uint8_t op = i->op;

	if (i->map != 0 || i->opsz != 8)
		return false;
	if (op >= 0x50 && op <= 0x57) {
		o->kind = K_PUSH;
		o->src = i->rm;
	} else if (op >= 0x58 && op <= 0x5f && i->rm != R_SP) {
		o->kind = K_POP;
		o->dst = i->rm;
	} else if (op == 0xe8 && branch_ok(i, next, 8)) {
		o->kind = K_CALLREL;
		o->imm = next + i->imm;
	} else if (op == 0xc3) {
		o->kind = K_RET;
	} else {
		return false;
	}
	return true;
}

static void classify(const struct x86_insn *i, uint64_t next, int code_size, struct jop *o)
{
	const bool reg = i->mod == 3, wide = i->opsz == 4 || i->opsz == 8;
	const uint8_t op = i->op;

	memset(o, 0, sizeof(*o));
	call_effects(i, code_size, o);
	if (i->lock || i->rep)
		return;
	o->size = i->opsz;
	if (mem_ok(i, code_size) && mem_form(i, o))
		return;
	if (code_size == 8 && !i->lock && !i->rep && stack_form(i, next, o))
		return;
	if (i->map == 0) {
		if (op == 0x90 && !(i->rex & 1)) {
			o->kind = K_NOP;
		} else if ((op == 0x89 || op == 0x8b) && reg && wide) {
			o->kind = K_MOV_RR;
			o->dst = op == 0x89 ? i->rm : i->reg;
			o->src = op == 0x89 ? i->reg : i->rm;
		} else if (((op >= 0xb8 && op <= 0xbf) || (op == 0xc7 && reg && !(i->reg & 7))) && wide) {
			o->kind = K_MOV_RI;
			o->dst = i->rm;
			o->imm = i->imm;
		} else if (op == 0x8d && !reg && wide && i->adsz >= 4 && fits_s32((uint64_t)i->disp)) {
			o->kind = K_LEA;
			o->dst = i->reg;
		} else if (op < 0x40 && (op & 7) < 4 && reg && alu_ok(op >> 3)) {
			bool byte = !(op & 1);
			o->kind = K_ALU_RR;
			o->aop = op >> 3;
			o->dst = (op & 2) ? i->reg : i->rm;
			o->src = (op & 2) ? i->rm : i->reg;
			if (byte) {
				o->size = 1;
				if (o->aop != 7 || !low_byte(i, o->dst) || !low_byte(i, o->src))
					o->kind = K_CALL;
			} else if (!wide) {
				o->kind = K_CALL;
			}
		} else if ((op == 0x84 || op == 0x85) && reg) {
			o->kind = K_ALU_RR;
			o->aop = AOP_TEST;
			o->dst = i->rm;
			o->src = i->reg;
			if (op == 0x84) {
				o->size = 1;
				if (!low_byte(i, i->rm) || !low_byte(i, i->reg))
					o->kind = K_CALL;
			} else if (!wide) {
				o->kind = K_CALL;
			}
		} else if (op < 0x40 && (op & 7) == 5 && alu_ok(op >> 3) && wide) {
			o->kind = K_ALU_RI;
			o->aop = op >> 3;
			o->dst = R_AX;
			o->imm = i->imm;
		} else if ((op == 0x3c || op == 0xa8) || (op == 0xa9 && wide)) {
			o->kind = K_ALU_RI;
			o->aop = op == 0x3c ? 7 : AOP_TEST;
			o->size = op == 0xa9 ? i->opsz : 1;
			o->dst = R_AX;
			o->imm = i->imm;
		} else if ((op == 0x81 || op == 0x83) && reg && wide && alu_ok(i->reg & 7)) {
			o->kind = K_ALU_RI;
			o->aop = i->reg & 7;
			o->dst = i->rm;
			o->imm = i->imm;
		} else if (((op == 0x80 && (i->reg & 7) == 7) || (op == 0xf6 && !(i->reg & 7))) &&
			   reg && low_byte(i, i->rm)) {
			o->kind = K_ALU_RI;
			o->aop = op == 0x80 ? 7 : AOP_TEST;
			o->size = 1;
			o->dst = i->rm;
			o->imm = i->imm;
		} else if (op == 0xf7 && reg && !(i->reg & 7) && wide) {
			o->kind = K_ALU_RI;
			o->aop = AOP_TEST;
			o->dst = i->rm;
			o->imm = i->imm;
		} else if (code_size != 8 && op >= 0x40 && op <= 0x4f && i->opsz == 4) {
			o->kind = K_INCDEC;
			o->dst = op & 7;
			o->ext = (op >> 3) & 1;
		} else if (op == 0xff && reg && (i->reg & 7) <= 1 && wide) {
			o->kind = K_INCDEC;
			o->dst = i->rm;
			o->ext = i->reg & 1;
		} else if ((op == 0xc1 || op == 0xd1) && reg && ((i->reg & 7) >= 4 || (i->reg & 7) <= 1) &&
			   wide) {
			/* ROL ROR SHL SHR SAL SAR by a constant (RCL/RCR read CF). */
			o->kind = K_SHIFT;
			o->dst = i->rm;
			o->ext = (i->reg & 7) == 6 ? 4 : (i->reg & 7);   /* /6 is SAL = SHL */
			o->imm = (op == 0xd1 ? 1 : i->imm) & (i->opsz == 8 ? 63 : 31);
		} else if (op == 0xd3 && reg && ((i->reg & 7) >= 4 || (i->reg & 7) <= 1) && wide) {
			o->kind = K_SHIFTCL;
			o->dst = i->rm;
			o->ext = (i->reg & 7) == 6 ? 4 : (i->reg & 7);
		} else if (op == 0xf7 && reg && (i->reg & 7) == 4 && wide) {
			o->kind = K_MUL;
			o->src = i->rm;
		} else if ((op == 0x69 || op == 0x6b) && reg && wide) {
			o->kind = K_IMUL_RRI;
			o->dst = i->reg;
			o->src = i->rm;
			o->imm = i->imm;
		} else if (op == 0x63 && code_size == 8 && reg && i->opsz == 8) {
			o->kind = K_MOVX;
			o->opc = 0x63;
			o->dst = i->reg;
			o->src = i->rm;
		} else if (op >= 0x70 && op <= 0x7f && branch_ok(i, next, code_size)) {
			o->kind = K_JCC;
			o->ext = op & 15;
			o->imm = (next + i->imm) & x86_mask(code_size);
		} else if ((op == 0xeb || op == 0xe9) && branch_ok(i, next, code_size)) {
			o->kind = K_JMP;
			o->imm = (next + i->imm) & x86_mask(code_size);
		}
	} else if (i->map == 1) {
		if (op >= 0x80 && op <= 0x8f && branch_ok(i, next, code_size)) {
			o->kind = K_JCC;
			o->ext = op & 15;
			o->imm = (next + i->imm) & x86_mask(code_size);
		} else if (op == 0xaf && reg && wide) {
			o->kind = K_IMUL_RR;
			o->dst = i->reg;
			o->src = i->rm;
		} else if ((op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf) && reg && wide &&
			   (!(op & 1) ? low_byte(i, i->rm) : true)) {
			o->kind = K_MOVX;
			o->opc = 0x0f00 | op;
			o->dst = i->reg;
			o->src = i->rm;
		} else if (op == 0x1f && !i->rep) {
			o->kind = K_NOP;
		} else if (op >= 0x40 && op <= 0x4f && reg && wide) {
			o->kind = K_CMOV;
			o->ext = op & 15;
			o->dst = i->reg;
			o->src = i->rm;
		} else if (op >= 0x90 && op <= 0x9f && reg && low_byte(i, i->rm)) {
			o->kind = K_SETCC;
			o->ext = op & 15;
			o->dst = i->rm;
		}
	}
}

/* Backward pass: which records' flags can be observed (see the top). */
static void liveness(struct jop *ops, unsigned n)
{
	bool live = true;

	for (unsigned k = n; k-- > 0;) {
		struct jop *o = &ops[k];

		o->live = live;
		switch (o->kind) {
		case K_NOP: case K_MOV_RR: case K_MOV_RI: case K_LEA: case K_MOVX:
			break;
		case K_ALU_RR: case K_ALU_RI:
			live = false;
			break;
		case K_SHIFT:
			if (!o->imm)
				break;                /* count 0: no flags, no change */
			if (o->ext <= 1 && live)
				o->kind = K_CALL;     /* a rotate keeps SF/ZF/PF: its
				                         handler resolves the record */
			else
				live = false;
			break;
		case K_IMUL_RRI: case K_IMUL_RR: case K_MUL:
			live = false;             /* a full record, like the ALU */
			break;
		case K_SHIFTCL:
			/* Count 0 writes no flag, others write some or all: so
			 * native only where they are dead (then so are the ones
			 * passed through). */
			if (live)
				o->kind = K_CALL;
			else
				live = false;
			break;
		case K_INCDEC:
			/* CF passes through: from the host flags of the form
			 * before, or through the handler (jitgen.c decides). */
			break;
		default:          /* K_CALL, K_JCC, K_JMP, K_CMOV, K_SETCC, memory */
			live = true;
			break;
		}
	}
}


void x86_jit_link(void *slot, uint64_t rip, x86_jit_fn target, uint32_t gen, unsigned n,
		  const void *desc, uint64_t phys, const uint32_t *page_gen)
{
	struct jit_link *l = slot;

	if (l->dyn) {
		l->rip = rip;
		l->phys = phys & ~0xfffULL;
		l->page_gen = page_gen;
	} else if (l->rip != rip) {
		return;
	}
	l->gen = gen;
	l->n = n;
	l->desc = desc;
	l->fn = (uint64_t)(uintptr_t)target + jit_prologue_len;
}

x86_jit_fn x86_jit_compile(struct x86_jit *j, const struct x86_insn *ins, unsigned n,
			   uint64_t rip, int code_size, int cpl, bool tail_special,
			   const struct x86_jit_env *env, bool *full)
{
	struct jop ops[32];
	struct jctx x;
	uint64_t pc = rip, mask = x86_mask(code_size);
	uint8_t *start;

	*full = false;
	if (n == 0 || n > 32 || (code_size != 4 && code_size != 8))
		return NULL;
	for (unsigned k = 0; k < n; k++) {
		uint64_t next = (pc + ins[k].len) & mask;
		classify(&ins[k], next, code_size, &ops[k]);
		pc = next;
	}
	liveness(ops, n);

	memset(&x, 0, sizeof(x));
	memset(x.slot_of, -1, sizeof(x.slot_of));
	x.j = j;
	x.env = env;
	x.rip = rip;
	x.cpl = cpl;
	start = j->mem + ((j->used + 15) & ~(size_t)15);
	x.b.p = start;
	x.b.end = j->mem + j->size;
	jit_emit_prologue(&x);
	pc = rip;
	for (unsigned k = 0; k < n; k++) {
		const struct x86_insn *i = &ins[k];
		const struct jop *o = &ops[k];
		uint64_t next = (pc + i->len) & mask;

		x.pin = 0;
		if (o->kind == K_CALL)
			jit_emit_call(&x, i, o, pc, next, k, k == n - 1);
		else if (o->kind == K_JCC)
			jit_emit_jcc(&x, o, k);
		else if (o->kind == K_JMP)
			jit_emit_exit(&x, o->imm, k + 1);
		else if (o->kind >= K_LOAD && o->kind <= K_ALU_M)
			jit_emit_mem(&x, i, o, pc, next, k, k == n - 1);
		else if (o->kind == K_CMOV || o->kind == K_SETCC)
			jit_emit_cmov_setcc(&x, o);
		else if (o->kind == K_INCDEC && o->live && !x.hf_ok)
			jit_emit_call(&x, i, o, pc, next, k, k == n - 1);   /* needs CF */
		else
			jit_emit_native(&x, i, o, next);
		pc = next;
	}
	if (ops[n - 1].kind == K_CALL && tail_special)
		jit_emit_return(&x, n, false);
	else if (ops[n - 1].kind == K_CALL)
		jit_emit_dyn_exit(&x, n);            /* JMP/CALL/RET through the handler */
	else if (ops[n - 1].kind != K_JMP && ops[n - 1].kind != K_CALLREL &&
		 ops[n - 1].kind != K_RET)
		jit_emit_exit(&x, pc, n);
	if (x.b.full) {
		*full = true;
		return NULL;
	}
	j->used = (size_t)(x.b.p - j->mem);
	return (x86_jit_fn)(void *)start;
}
