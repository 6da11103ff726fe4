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
typedef unsigned (*x86_jit_fn)(struct x86_cpu *c);

/* An executable code buffer of `size` bytes; NULL if the host refuses. */
struct x86_jit *x86_jit_new(size_t size);
void x86_jit_free(struct x86_jit *j);
/* Forget every translation (the caller drops its pointers to them). */
void x86_jit_reset(struct x86_jit *j);

/* Translate the n records of a block that starts at `rip` in code of
 * code_size (4 or 8), to run at privilege level cpl (memory forms check
 * the soft TLB's tag for it; the caller runs the translation only at that
 * CPL and without alignment checking there). written: the flag a handler sets when it wrote
 * cached code (the block must end after that instruction). Returns the
 * function, or NULL with *full set when the buffer has no room (reset
 * and try again) or clear when the block cannot be translated. */
x86_jit_fn x86_jit_compile(struct x86_jit *j, const struct x86_insn *ins, unsigned n,
			   uint64_t rip, int code_size, int cpl, const bool *written, bool *full);

#endif
