/* Exceptions and interrupt delivery in real, protected and long mode.
 *
 * References: Intel SDM Vol. 3A chapter 6 (6.4 sources, 6.10 IDT, 6.12
 * protected-mode delivery, 6.13 error code, 6.14 64-bit mode, 6.15 the
 * exception reference incl. Table 6-5 for #DF), Vol. 2A "INT n" operation,
 * Vol. 3A 20.1.4 (real-mode IVT). Task gates and virtual-8086 mode are not
 * implemented: a task gate raises #GP with a log line. */
#include <string.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/system.h"
#include "ringvm/log.h"

_Noreturn void x86_fault(struct x86_cpu *c, int vec, uint32_t err)
{
	c->exc_vec = (int8_t)vec;
	c->exc_err = err;
	/* Faults restart the instruction (SDM Vol. 3A 6.5). */
	c->rip = c->insn_rip;
	longjmp(c->fault_jmp, 1);
}

/* Exception classes for double faults (SDM Vol. 3A Table 6-4/6-5). */
enum { EXC_BENIGN, EXC_CONTRIB, EXC_PF };

static int exc_class(int vec)
{
	switch (vec) {
	case X86_DE: case X86_TS: case X86_NP: case X86_SS: case X86_GP:
		return EXC_CONTRIB;
	case X86_PF:
		return EXC_PF;
	default:
		return EXC_BENIGN;
	}
}

/* Table 6-5: a contributory fault during a contributory one, or a page or
 * contributory fault during a page fault, becomes #DF; anything else is
 * handled serially (the second exception is delivered). */
static bool exc_is_double(int first, int second)
{
	int a = exc_class(first), b = exc_class(second);

	if (a == EXC_CONTRIB && b == EXC_CONTRIB)
		return true;
	if (a == EXC_PF && b != EXC_BENIGN)
		return true;
	return false;
}

/* Vectors that push an error code (SDM Vol. 3A Table 6-1). */
static bool exc_has_err(int vec)
{
	return vec == X86_DF || vec == X86_TS || vec == X86_NP || vec == X86_SS ||
	       vec == X86_GP || vec == X86_PF || vec == X86_AC;
}

/* --- TSS --- */

void x86_tss_stack(struct x86_cpu *c, int dpl, uint16_t *ss, uint64_t *sp, uint32_t ext)
{
	const struct x86_seg *tr = &c->seg[S_TR];
	unsigned off;

	if (tr->attr & SEG_UNUSABLE)
		x86_fault(c, X86_TS, ext);
	if ((SEG_TYPE(tr) & 7) == 3 || (SEG_TYPE(tr) & 7) == 1) {
		if (SEG_TYPE(tr) & 8) {
			/* 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n (7.2.1). */
			off = 4 + dpl * 8;
			if (off + 5 > tr->limit)
				x86_fault(c, X86_TS, (tr->sel & 0xfffc) | ext);
			*sp = x86_read_lin(c, tr->base + off, 4, true);
			*ss = (uint16_t)x86_read_lin(c, tr->base + off + 4, 2, true);
		} else {
			/* 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n (7.6). */
			off = 2 + dpl * 4;
			if (off + 3 > tr->limit)
				x86_fault(c, X86_TS, (tr->sel & 0xfffc) | ext);
			*sp = x86_read_lin(c, tr->base + off, 2, true);
			*ss = (uint16_t)x86_read_lin(c, tr->base + off + 2, 2, true);
		}
		return;
	}
	x86_fault(c, X86_TS, (tr->sel & 0xfffc) | ext);
}

uint64_t x86_tss_read64(struct x86_cpu *c, unsigned off, uint32_t ext)
{
	const struct x86_seg *tr = &c->seg[S_TR];

	if ((tr->attr & SEG_UNUSABLE) || off + 7 > tr->limit)
		x86_fault(c, X86_TS, (tr->sel & 0xfffc) | ext);
	return x86_read_lin(c, tr->base + off, 8, true);
}

/* --- stack helper --- */

uint64_t x86_push_on(struct x86_cpu *c, const struct x86_seg *ss, uint64_t sp, int ssize,
		     int size, uint64_t v, int cpl, uint32_t err)
{
	uint64_t nsp = (sp - size) & x86_mask(ssize);
	uint64_t lin;

	if (ssize == 8) {
		lin = nsp;
		if ((uint64_t)((int64_t)(lin << 16) >> 16) != lin)
			x86_fault(c, X86_SS, err);
	} else {
		uint32_t type = SEG_TYPE(ss);
		if (!(type & 8) && (type & 4)) {
			uint64_t upper = SEG_DB(ss) ? 0xffffffffULL : 0xffffULL;
			if (nsp <= ss->limit || nsp + size - 1 > upper)
				x86_fault(c, X86_SS, err);
		} else if (nsp + size - 1 > ss->limit) {
			x86_fault(c, X86_SS, err);
		}
		lin = (ss->base + nsp) & 0xffffffffULL;
	}
	x86_write_lin(c, lin, size, v, cpl < 3);
	return nsp;
}

/* --- delivery per mode --- */

/* Real mode (SDM Vol. 3A 20.1.4, Vol. 2A "INT n" real-address mode): the
 * IVT holds 4-byte CS:IP pointers; FLAGS, CS, IP are pushed. */
static void deliver_real(struct x86_cpu *c, int vec)
{
	struct x86_seg *ss = &c->seg[S_SS];
	uint64_t sp = c->r[R_SP];
	uint64_t ent;
	int ssize = c->stack_size;

	if ((uint32_t)vec * 4 + 3 > c->idtr.limit)
		x86_fault(c, X86_GP, 0);
	ent = x86_read_lin(c, c->idtr.base + vec * 4, 4, true);
	sp = x86_push_on(c, ss, sp, ssize, 2, x86_flags_get(c) & 0xffff, 0, 0);
	sp = x86_push_on(c, ss, sp, ssize, 2, c->seg[S_CS].sel, 0, 0);
	sp = x86_push_on(c, ss, sp, ssize, 2, c->rip & 0xffff, 0, 0);
	c->r[R_SP] = (c->r[R_SP] & ~x86_mask(ssize)) | sp;
	c->rflags &= ~(uint64_t)(F_IF | F_TF | F_AC | F_RF);
	x86_load_seg_real(c, S_CS, (uint16_t)(ent >> 16));
	c->rip = ent & 0xffff;
}

/* Read and check the code segment a gate points to (6.12.1.1). */
static void gate_target_cs(struct x86_cpu *c, uint16_t sel, struct x86_desc *d, uint32_t ext)
{
	if (!(sel & 0xfffc))
		x86_fault(c, X86_GP, ext);
	x86_desc_read(c, sel, d, X86_GP, ext);
	if (!DESC_CODE(d) || DESC_DPL(d) > c->cpl)
		x86_fault(c, X86_GP, (sel & 0xfffc) | ext);
	if (!DESC_P(d))
		x86_fault(c, X86_NP, (sel & 0xfffc) | ext);
}

/* Protected mode through an interrupt or trap gate (6.12.1). */
static void deliver_prot(struct x86_cpu *c, int vec, uint32_t err, bool soft, uint32_t ext)
{
	uint32_t idt_err = vec * 8 + 2 + ext;
	struct x86_desc g, d;
	uint64_t flags = x86_flags_get(c);
	struct x86_seg nss, ncs;
	uint64_t sp, off;
	int ssize, gsize, type, ncpl;
	uint16_t sel;

	if ((uint32_t)vec * 8 + 7 > c->idtr.limit)
		x86_fault(c, X86_GP, idt_err);
	g.lo = (uint32_t)x86_read_lin(c, c->idtr.base + vec * 8, 4, true);
	g.hi = (uint32_t)x86_read_lin(c, c->idtr.base + vec * 8 + 4, 4, true);
	type = DESC_TYPE(&g);
	if (DESC_S(&g) || (type != 0x6 && type != 0x7 && type != 0xe && type != 0xf)) {
		if (!DESC_S(&g) && type == 0x5)
			pr_guest("x86emu: task gate for vector %d not supported", vec);
		x86_fault(c, X86_GP, idt_err);
	}
	/* INT n/INT3/INTO check the gate's DPL (6.12.1.1). */
	if (soft && DESC_DPL(&g) < c->cpl)
		x86_fault(c, X86_GP, vec * 8 + 2);
	if (!DESC_P(&g))
		x86_fault(c, X86_NP, idt_err);
	gsize = (type & 8) ? 4 : 2;
	sel = (uint16_t)(g.lo >> 16);
	off = (g.lo & 0xffff) | (g.hi & 0xffff0000);
	if (gsize == 2)
		off &= 0xffff;
	gate_target_cs(c, sel, &d, ext);
	ncpl = DESC_CONFORMING(&d) ? c->cpl : DESC_DPL(&d);
	x86_desc_to_seg(&d, (sel & 0xfffc) | ncpl, &ncs);
	if (off > ncs.limit)
		x86_fault(c, X86_GP, ext);

	if (ncpl < c->cpl) {
		/* Inner privilege: switch to the TSS stack for ncpl and save
		 * the old SS:ESP there (6.12.1, Figure 6-4). */
		uint16_t nsel;
		uint64_t nsp;

		x86_tss_stack(c, ncpl, &nsel, &nsp, ext);
		x86_check_inner_ss(c, nsel, ncpl, &nss, ext);
		ssize = SEG_DB(&nss) ? 4 : 2;
		sp = nsp & x86_mask(ssize);
		sp = x86_push_on(c, &nss, sp, ssize, gsize, c->seg[S_SS].sel, ncpl, (nsel & 0xfffc) | ext);
		sp = x86_push_on(c, &nss, sp, ssize, gsize, c->r[R_SP], ncpl, (nsel & 0xfffc) | ext);
	} else {
		nss = c->seg[S_SS];
		ssize = c->stack_size;
		sp = c->r[R_SP] & x86_mask(ssize);
	}
	sp = x86_push_on(c, &nss, sp, ssize, gsize, flags, ncpl, ext);
	sp = x86_push_on(c, &nss, sp, ssize, gsize, c->seg[S_CS].sel, ncpl, ext);
	sp = x86_push_on(c, &nss, sp, ssize, gsize, c->rip, ncpl, ext);
	if (err != X86_NOERR)
		sp = x86_push_on(c, &nss, sp, ssize, gsize, err, ncpl, ext);

	/* Commit: nothing below can fault. */
	if (ncpl < c->cpl) {
		c->seg[S_SS] = nss;
		c->r[R_SP] = sp;
	} else {
		c->r[R_SP] = (c->r[R_SP] & ~x86_mask(ssize)) | sp;
	}
	x86_set_cs(c, (sel & 0xfffc) | ncpl, &d, ncpl);
	c->rip = off;
	c->rflags &= ~(uint64_t)(F_TF | F_NT | F_RF | F_VM);
	if (!(type & 1))
		c->rflags &= ~(uint64_t)F_IF;
	x86_mode_update(c);
}

/* Long mode through a 16-byte gate (6.14): 64-bit pushes, RSP aligned to
 * 16, IST, SS = null selector on a privilege change. */
static void deliver_long(struct x86_cpu *c, int vec, uint32_t err, bool soft, uint32_t ext)
{
	uint32_t idt_err = vec * 8 + 2 + ext;
	uint64_t base = c->idtr.base + (uint64_t)vec * 16;
	uint64_t flags = x86_flags_get(c);
	struct x86_desc g, d;
	struct x86_seg nss;
	uint64_t off, sp;
	int type, ncpl, ist;
	uint16_t sel;

	if ((uint32_t)vec * 16 + 15 > c->idtr.limit)
		x86_fault(c, X86_GP, idt_err);
	g.lo = (uint32_t)x86_read_lin(c, base, 4, true);
	g.hi = (uint32_t)x86_read_lin(c, base + 4, 4, true);
	type = DESC_TYPE(&g);
	/* Only 64-bit interrupt and trap gates are valid (6.14.1). */
	if (DESC_S(&g) || (type != 0xe && type != 0xf))
		x86_fault(c, X86_GP, idt_err);
	if (soft && DESC_DPL(&g) < c->cpl)
		x86_fault(c, X86_GP, vec * 8 + 2);
	if (!DESC_P(&g))
		x86_fault(c, X86_NP, idt_err);
	off = (g.lo & 0xffff) | (g.hi & 0xffff0000) |
	      (x86_read_lin(c, base + 8, 4, true) << 32);
	ist = g.hi & 7;
	sel = (uint16_t)(g.lo >> 16);
	gate_target_cs(c, sel, &d, ext);
	/* The target must be a 64-bit code segment (L=1, D=0). */
	if (!DESC_L(&d) || DESC_DB(&d))
		x86_fault(c, X86_GP, (sel & 0xfffc) | ext);
	ncpl = DESC_CONFORMING(&d) ? c->cpl : DESC_DPL(&d);
	if ((uint64_t)((int64_t)(off << 16) >> 16) != off)
		x86_fault(c, X86_GP, ext);

	if (ist)
		sp = x86_tss_read64(c, 0x1c + ist * 8, ext);
	else if (ncpl < c->cpl)
		sp = x86_tss_read64(c, 4 + ncpl * 8, ext);
	else
		sp = c->r[R_SP];
	sp &= ~0xfULL;
	nss = c->seg[S_SS];
	if (ncpl < c->cpl)
		x86_seg_null(&nss, (uint16_t)ncpl);
	sp = x86_push_on(c, &nss, sp, 8, 8, c->seg[S_SS].sel, ncpl, ext);
	sp = x86_push_on(c, &nss, sp, 8, 8, c->r[R_SP], ncpl, ext);
	sp = x86_push_on(c, &nss, sp, 8, 8, flags, ncpl, ext);
	sp = x86_push_on(c, &nss, sp, 8, 8, c->seg[S_CS].sel, ncpl, ext);
	sp = x86_push_on(c, &nss, sp, 8, 8, c->rip, ncpl, ext);
	if (err != X86_NOERR)
		sp = x86_push_on(c, &nss, sp, 8, 8, err, ncpl, ext);

	c->seg[S_SS] = nss;
	c->r[R_SP] = sp;
	x86_set_cs(c, (sel & 0xfffc) | ncpl, &d, ncpl);
	c->rip = off;
	c->rflags &= ~(uint64_t)(F_TF | F_NT | F_RF | F_VM);
	if (!(type & 1))
		c->rflags &= ~(uint64_t)F_IF;
	x86_mode_update(c);
}

static void deliver_one(struct x86_cpu *c, int vec, uint32_t err, bool soft, uint32_t ext)
{
	switch (c->mode) {
	case MODE_REAL:
		deliver_real(c, vec);
		break;
	case MODE_LONG:
	case MODE_COMPAT:
		deliver_long(c, vec, err, soft, ext);
		break;
	default:
		deliver_prot(c, vec, err, soft, ext);
		break;
	}
}

bool x86_deliver(struct x86_cpu *c, int vec, uint32_t err, bool soft, bool ext)
{
	jmp_buf saved;
	/* Volatile: modified between setjmp and longjmp. */
	volatile int cur = vec;
	volatile uint32_t cerr = err;
	volatile bool csoft = soft;
	volatile bool cext = ext;
	volatile bool ok = true;
	/* Table 6-5 ends every chain within three events (fault, #DF,
	 * shutdown); the cap keeps a mistake here from hanging the host. */
	volatile int rounds = 0;
	memcpy(saved, c->fault_jmp, sizeof(jmp_buf));
	/* Exceptions and hardware interrupts return to c->rip; a nested fault
	 * rolls back to it. INT n has already advanced c->rip (its return
	 * address), and a nested fault reports the INT instruction. */
	if (!soft)
		c->insn_rip = c->rip;
	/* Only exceptions push error codes, never INT n or an external
	 * interrupt on the same vector (6.13). */
	if (soft || ext || !exc_has_err(vec))
		cerr = X86_NOERR;
	else if (err == X86_NOERR)
		cerr = 0;
	for (;;) {
		c->fault_vec = (int8_t)cur;
		if (!setjmp(c->fault_jmp)) {
			/* EXT (6.13): set when the event being delivered is not
			 * the program's own INT n. */
			deliver_one(c, cur, cerr, csoft, csoft ? 0 : 1);
			break;
		}
		/* A fault while delivering cur. */
		if (cur == X86_DF || ++rounds > 4) {
			ok = false; /* triple fault: shutdown (6.15 #DF) */
			break;
		}
		if (!csoft && !cext && exc_is_double(cur, c->exc_vec)) {
			cur = X86_DF;
			cerr = 0;
		} else {
			cur = c->exc_vec;
			cerr = exc_has_err(cur) ? c->exc_err : X86_NOERR;
		}
		/* After the first pass it is no longer a hardware interrupt or
		 * a software interrupt: it is an exception. */
		cext = false;
		csoft = false;
	}
	c->fault_vec = -1;
	memcpy(c->fault_jmp, saved, sizeof(jmp_buf));
	if (ok) {
		c->halted = 0;
		c->shadow = 0;
	}
	return ok;
}
