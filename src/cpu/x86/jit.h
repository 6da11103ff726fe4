/* jit.c: hot decoded blocks translated to host x86-64 code (run.c calls it).
 *
 * A translated block is a function of the vCPU that runs the whole block
 * and returns how many of its records retired, with exactly the effects
 * block_exec() has: c->rip where the block left, the lazy flags, the
 * registers, c->insn_rip set before anything that can fault. */
#ifndef RINGVM_CPU_X86_JIT_H
#define RINGVM_CPU_X86_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpu/x86/cpu.h"

struct x86_jit;
/* Returns 1 when the run loop may go on to the next block, 0 when the
 * block's last instruction is one it must look after (run.c's
 * tail_special). Retired records are added to c->icount by the code. */
typedef unsigned (*x86_jit_fn)(struct x86_cpu *c);

/* Where translated code finds the run loop's state (run.c's per-vCPU
 * cache), for the SMC exit and for block linking: an exit to a constant
 * RIP in the block's own page jumps straight into the next block's
 * translation once run.c has filled that exit's link slot, while no
 * event is pending, the page generation and code epoch are unchanged, and
 * the instruction budget allows the next block whole. */
struct x86_jit_env {
	const bool *written;         /* a handler wrote cached code */
	const uint64_t *icount_stop; /* link only while icount + n <= this */
	const uint64_t *code_epoch;  /* link only while these two are equal */
	const uint64_t *epoch_seen;
	const uint32_t *page_gen;    /* this block's page generation */
	const void **running;        /* fault recovery: the running block */
	uint64_t *running_rip;
	void **last_exit;            /* the slot of a link exit not yet filled */
};

/* An executable code buffer of `size` bytes; NULL if the host refuses. */
struct x86_jit *x86_jit_new(size_t size);
void x86_jit_free(struct x86_jit *j);
/* Forget every translation (the caller drops its pointers to them). */
void x86_jit_reset(struct x86_jit *j);

/* bytes of zeroed data that live until the next reset; NULL when full. */
void *x86_jit_data(struct x86_jit *j, size_t bytes);

/* Fill a link slot (from *env->last_exit) to jump to target, a
 * translation of n records decoded under page generation gen (the
 * counter at page_gen) from physical address phys, whose running-block
 * record is desc, when the exit went to rip. */
void x86_jit_link(void *slot, uint64_t rip, x86_jit_fn target, uint32_t gen, unsigned n,
		  const void *desc, uint64_t phys, const uint32_t *page_gen);

/* Translate the n records of a block that starts at `rip` in code of
 * code_size (4 or 8), to run at privilege level cpl (memory forms check
 * the soft TLB's tag for it; the caller runs the translation only at that
 * CPL and without alignment checking there). tail_special: the last
 * record is one the run loop must look at after. Returns the
 * function, or NULL with *full set when the buffer has no room (reset
 * and try again) or clear when the block cannot be translated. */
x86_jit_fn x86_jit_compile(struct x86_jit *j, const struct x86_insn *ins, unsigned n,
			   uint64_t rip, int code_size, int cpl, bool tail_special,
			   const struct x86_jit_env *env, bool *full);

#endif
