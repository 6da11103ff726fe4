/* Shared between sse.c (instruction handlers) and ssehost.c (host
 * execution); not part of the cpu.h contract. */
#ifndef RINGVM_CPU_X86_SSE_H
#define RINGVM_CPU_X86_SSE_H

#include "cpu/x86/cpu.h"

/* d = d op s with the guest MXCSR `mx` (masks all set, flags clear) in
 * effect on the host; returns the host's MXCSR after the operation. */
typedef uint32_t (*sse_hfn)(union x86_xmm *d, const union x86_xmm *s, uint32_t mx);

/* One table-driven form: 0F op with mandatory prefix index pfx (0 none,
 * 1 = 66, 2 = F3, 3 = F2); msize is the memory operand's size (16-byte
 * ones must be aligned); fp: the operation uses MXCSR and may fault #XM. */
struct sse_form {
	uint8_t op, pfx, msize, fp;
	sse_hfn fn;
};
extern const struct sse_form sse_forms[];   /* ends with fn == NULL */
extern const sse_hfn sse_cmp_fns[4][8];
sse_hfn sse_shift_fn(int op, int reg);
/* kind: 0 UCOMISS, 1 COMISS, 2 UCOMISD, 3 COMISD; zpc gets ZF, PF, CF. */
uint32_t sse_comi(int kind, const union x86_xmm *a, const union x86_xmm *b, uint32_t mx,
		  uint8_t zpc[3]);
uint32_t sse_cvt2si(bool dbl, bool trunc, bool q, const union x86_xmm *a, uint32_t mx,
		    uint64_t *res);
uint32_t sse_cvtsi2(bool dbl, bool q, union x86_xmm *d, uint64_t v, uint32_t mx);
/* PE for 0F op (prefix index pfx) when OE/UE is unmasked: the
 * unbounded-exponent result's inexactness; -1 when not applicable. */
int sse_pe_unbounded(int op, int pfx, const union x86_xmm *d, const union x86_xmm *s,
		     uint32_t mxcsr);

#endif
