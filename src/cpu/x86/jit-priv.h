/* Private to the block translator: jit.c chooses what each decoded
 * record becomes, jitgen.c emits it. */
#ifndef RINGVM_CPU_X86_JIT_PRIV_H
#define RINGVM_CPU_X86_JIT_PRIV_H

#include "cpu/x86/jit.h"
#include "cpu/x86/jitemit.h"

/* What each record becomes. */
enum jkind {
	K_CALL,      /* the handler */
	K_NOP,
	K_MOV_RR, K_MOV_RI, K_LEA, K_MOVX,
	K_ALU_RR, K_ALU_RI,     /* aop: group-1 number, or AOP_TEST */
	K_INCDEC, K_SHIFT, K_IMUL_RRI, K_IMUL_RR,
	K_SHIFTCL, K_MUL,       /* by CL (flags dead only); MUL r (rDX:rAX) */
	K_JCC, K_JMP,
	K_CMOV, K_SETCC,        /* register forms; read the flags like Jcc */
	/* 64-bit code, memory through the soft TLB inline (jitmem.c) */
	K_LOAD, K_STORE, K_PUSH, K_POP, K_CALLREL, K_RET,
	K_ALU_M,                /* op r,[m] (ext 0); CMP/TEST [m],r/imm (ext 1) */
};
#define AOP_TEST 8

struct jop {
	uint8_t kind, size, aop, ext;
	uint8_t msize;          /* memory kinds: access size */
	uint8_t dst, src;       /* guest registers */
	uint16_t opc;           /* K_MOVX: host opcode */
	uint16_t wmask;         /* K_CALL: guest registers the handler may write */
	bool branch, wmem;      /* K_CALL: may move RIP / write memory */
	bool live;              /* the flags after this record can be observed */
	uint64_t imm;           /* immediate, or a branch target */
};

/* One link exit's slot (x86_jit_link() fills it). */
struct jit_link {
	uint64_t fn;            /* target translation past its prologue; 0: none */
	uint32_t gen, n;        /* its page generation and record count */
	const void *desc;       /* its running-block record */
	uint64_t rip;           /* the exit's RIP (a dynamic slot: the last one) */
	uint64_t phys;          /* dynamic: the target's physical page */
	const uint32_t *page_gen; /* dynamic: that page's generation */
	uint64_t dyn;           /* an indirect exit's slot: a one-entry cache */
};

/* Emission state: the code buffer and the guest-register cache. */
#define NSLOT 5
struct jctx {
	struct jbuf b;
	struct x86_jit *j;
	const struct x86_jit_env *env;
	uint64_t rip;           /* the block's first RIP */
	int cpl;                /* the CPL it runs at */
	int8_t slot_of[16];     /* guest register -> slot, or -1 */
	uint8_t guest[NSLOT];
	bool used[NSLOT], dirty[NSLOT];
	uint32_t stamp[NSLOT], clock;
	uint16_t pin;           /* guest registers of the current record */
	bool hf_ok;             /* host flags are the guest's (last native ALU) */
};

/* Offsets into struct x86_cpu for the emitted code (r15 = the vCPU). */
#define OFF_R(g)   ((int32_t)(offsetof(struct x86_cpu, r) + 8u * (unsigned)(g)))
#define OFF_RIP    ((int32_t)offsetof(struct x86_cpu, rip))
#define OFF_IRIP   ((int32_t)offsetof(struct x86_cpu, insn_rip))
#define OFF_RES    ((int32_t)offsetof(struct x86_cpu, lf.res))
#define OFF_SRC1   ((int32_t)offsetof(struct x86_cpu, lf.src1))
#define OFF_SRC2   ((int32_t)offsetof(struct x86_cpu, lf.src2))
#define OFF_LFOP   ((int32_t)offsetof(struct x86_cpu, lf.op))
#define OFF_ICOUNT ((int32_t)offsetof(struct x86_cpu, icount))

/* The guest-register cache (jitgen.c): the host register holding guest
 * register g (loaded when `load`), marking it written, and writing every
 * dirty one back (mark_clean: the state goes on, else it is one exit's). */
int jit_rc_get(struct jctx *x, int g, bool load);
void jit_rc_dirty(struct jctx *x, int g);
void jit_rc_flush(struct jctx *x, bool mark_clean);
/* Zero-extending copy of the low `size` bytes of src into dst. */
void jit_emit_zext(struct jctx *x, int size, int dst, int src);
/* ALU form o on host registers hd, hs (H_NONE: immediate). */
void jit_emit_alu(struct jctx *x, const struct jop *o, int hd, int hs);

/* The soft-TLB index (times 5) and tag key of linear address lin. */
void jit_emit_tlb_key(struct jctx *x, int lin, int idx, int key);
/* insn_rip and RIP stored and rdi = c, before a C call that can fault. */
void jit_emit_fault_point(struct jctx *x, uint64_t rip, uint64_t next);
/* The record's handler, insn_rip and RIP stored first. */
void jit_emit_handler(struct jctx *x, const struct x86_insn *i, uint64_t rip, uint64_t next);
/* Leave after the instruction if it wrote cached code. */
void jit_emit_written_check(struct jctx *x, uint64_t next, unsigned k);
void jit_emit_prologue(struct jctx *x);
extern const size_t jit_prologue_len;
/* Back to run.c after `retired` records (see x86_jit_fn). */
void jit_emit_return(struct jctx *x, unsigned retired, bool go_on);
/* Leave with RIP = rip, linked when rip is in the block's page. */
void jit_emit_exit(struct jctx *x, uint64_t rip, unsigned retired);
/* Leave with RIP as stored in c->rip (an indirect branch), through a
 * one-entry cache of where it went last. Registers are written back. */
void jit_emit_dyn_exit(struct jctx *x, unsigned retired);
void jit_emit_native(struct jctx *x, const struct x86_insn *i, const struct jop *o, uint64_t next);
void jit_emit_call(struct jctx *x, const struct x86_insn *i, const struct jop *o,
		   uint64_t rip, uint64_t next, unsigned k, bool last);
void jit_emit_mem(struct jctx *x, const struct x86_insn *i, const struct jop *o, uint64_t rip,
		  uint64_t next, unsigned k, bool last);
void jit_emit_jcc(struct jctx *x, const struct jop *o, unsigned k);
void jit_emit_cmov_setcc(struct jctx *x, const struct jop *o);

#endif
