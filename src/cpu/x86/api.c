/* The public x86emu_* API (include/ringvm/x86emu.h) except x86emu_run,
 * which is run.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/system.h"

/* Optional in run.c; absent until it exists. */
extern void x86_dcache_free(struct x86_cpu *c) __attribute__((weak));
extern void x86_fpu_reset(struct x86_cpu *c) __attribute__((weak));

struct x86emu *x86emu_new(const struct x86emu_bus *bus, int cpu_index)
{
	struct x86_cpu *c;

	/* struct x86_cpu holds long doubles and XMM registers: 16-byte
	 * alignment, which calloc gives on x86-64 glibc; ask explicitly. */
	if (posix_memalign((void **)&c, 64, sizeof(*c)))
		return NULL;
	memset(c, 0, sizeof(*c));
	x86_optab_init();
	c->bus = *bus;
	c->index = cpu_index;
	x86emu_reset((struct x86emu *)c);
	return (struct x86emu *)c;
}

void x86emu_free(struct x86emu *e)
{
	struct x86_cpu *c = x86_cpu_of(e);

	if (!c)
		return;
	if (x86_dcache_free)
		x86_dcache_free(c);
	free(c);
}

static void seg_reset(struct x86_seg *s, uint16_t sel, uint64_t base, uint32_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = 0xffff;
	s->attr = attr;
}

/* Power-on / RESET state (SDM Vol. 3A 9.1.1, Table 9-1). */
void x86emu_reset(struct x86emu *e)
{
	struct x86_cpu *c = x86_cpu_of(e);
	uint32_t sig[4];

	memset(c->r, 0, sizeof(c->r));
	c->rip = 0xfff0;
	c->rflags = 2;
	c->lf.op = LF_NONE;
	/* CS: selector F000, base FFFF0000, present accessed code. */
	seg_reset(&c->seg[S_CS], 0xf000, 0xffff0000ULL, 0x9b);
	for (int s = 0; s < S_NR; s++)
		if (s != S_CS)
			seg_reset(&c->seg[s], 0, 0, 0x93);
	c->seg[S_LDTR].attr = 0x82;
	c->seg[S_TR].attr = 0x8b;
	c->gdtr.base = c->idtr.base = 0;
	c->gdtr.limit = c->idtr.limit = 0xffff;
	c->cr0 = 0x60000010ULL; /* CD, NW, ET */
	c->cr2 = c->cr3 = c->cr4 = c->cr8 = c->efer = 0;
	c->xcr0 = 1;
	memset(c->dr, 0, sizeof(c->dr));
	c->dr[6] = 0xffff0ff0ULL;
	c->dr[7] = 0x400;
	c->cpl = 0;
	c->shadow = c->halted = c->nmi_blocked = c->shutdown = 0;
	c->fault_vec = -1;
	c->exc_vec = -1;
	atomic_store(&c->nmi_pending, 0);
	x86_msr_reset(c);
	if (x86_fpu_reset)
		x86_fpu_reset(c);
	/* EDX holds the processor signature after reset. */
	x86_cpuid_query(c, 1, 0, sig);
	c->r[R_DX] = sig[0];
	x86_tlb_flush(c, true);
	x86_mode_update(c);
}

void x86emu_stop(struct x86emu *e)
{
	atomic_store(&x86_cpu_of(e)->stop_req, 1);
}

void x86emu_set_irq(struct x86emu *e, bool pending)
{
	atomic_store(&x86_cpu_of(e)->irq_pending, pending ? 1 : 0);
}

void x86emu_nmi(struct x86emu *e)
{
	atomic_store(&x86_cpu_of(e)->nmi_pending, 1);
}

void x86emu_get_regs(struct x86emu *e, struct vcpu_regs *r)
{
	struct x86_cpu *c = x86_cpu_of(e);

	r->rax = c->r[R_AX]; r->rbx = c->r[R_BX]; r->rcx = c->r[R_CX]; r->rdx = c->r[R_DX];
	r->rsi = c->r[R_SI]; r->rdi = c->r[R_DI]; r->rsp = c->r[R_SP]; r->rbp = c->r[R_BP];
	r->r8 = c->r[R_R8]; r->r9 = c->r[R_R9]; r->r10 = c->r[R_R10]; r->r11 = c->r[R_R11];
	r->r12 = c->r[R_R12]; r->r13 = c->r[R_R13]; r->r14 = c->r[R_R14]; r->r15 = c->r[R_R15];
	r->rip = c->rip;
	r->rflags = x86_flags_get(c);
}

void x86emu_set_regs(struct x86emu *e, const struct vcpu_regs *r)
{
	struct x86_cpu *c = x86_cpu_of(e);

	c->r[R_AX] = r->rax; c->r[R_BX] = r->rbx; c->r[R_CX] = r->rcx; c->r[R_DX] = r->rdx;
	c->r[R_SI] = r->rsi; c->r[R_DI] = r->rdi; c->r[R_SP] = r->rsp; c->r[R_BP] = r->rbp;
	c->r[R_R8] = r->r8; c->r[R_R9] = r->r9; c->r[R_R10] = r->r10; c->r[R_R11] = r->r11;
	c->r[R_R12] = r->r12; c->r[R_R13] = r->r13; c->r[R_R14] = r->r14; c->r[R_R15] = r->r15;
	c->rip = r->rip;
	/* Bit 1 reads as 1; the lazy state is dropped (flags all in rflags). */
	c->lf.op = LF_NONE;
	c->rflags = (r->rflags & 0x3f7fd7ULL) | 2;
	/* The caller chose where the CPU goes on: it is no longer halted. */
	c->halted = 0;
	x86_mode_update(c);
}

static void seg_out(const struct x86_seg *s, struct x86_segment *o)
{
	o->base = s->base;
	o->limit = s->limit;
	o->selector = s->sel;
	o->type = s->attr & 0xf;
	o->s = (s->attr >> 4) & 1;
	o->dpl = (s->attr >> 5) & 3;
	o->present = (s->attr >> 7) & 1;
	o->avl = (s->attr >> 12) & 1;
	o->l = (s->attr >> 13) & 1;
	o->db = (s->attr >> 14) & 1;
	o->g = (s->attr >> 15) & 1;
	o->unusable = (s->attr >> 16) & 1;
}

static void seg_in(struct x86_seg *s, const struct x86_segment *o)
{
	s->base = o->base;
	s->limit = o->limit;
	s->sel = o->selector;
	s->attr = (o->type & 0xf) | (o->s & 1) << 4 | (o->dpl & 3) << 5 | (o->present & 1) << 7 |
		  (o->avl & 1) << 12 | (o->l & 1) << 13 | (o->db & 1) << 14 | (o->g & 1) << 15 |
		  (o->unusable & 1) << 16;
	/* A non-present segment is as good as null (KVM's convention). */
	if (!o->present && !o->unusable)
		s->attr |= SEG_UNUSABLE;
}

void x86emu_get_sregs(struct x86emu *e, struct vcpu_sregs *s)
{
	struct x86_cpu *c = x86_cpu_of(e);

	seg_out(&c->seg[S_CS], &s->cs);
	seg_out(&c->seg[S_DS], &s->ds);
	seg_out(&c->seg[S_ES], &s->es);
	seg_out(&c->seg[S_FS], &s->fs);
	seg_out(&c->seg[S_GS], &s->gs);
	seg_out(&c->seg[S_SS], &s->ss);
	seg_out(&c->seg[S_TR], &s->tr);
	seg_out(&c->seg[S_LDTR], &s->ldt);
	s->gdt.base = c->gdtr.base;
	s->gdt.limit = c->gdtr.limit;
	s->idt.base = c->idtr.base;
	s->idt.limit = c->idtr.limit;
	s->cr0 = c->cr0;
	s->cr2 = c->cr2;
	s->cr3 = c->cr3;
	s->cr4 = c->cr4;
	s->cr8 = c->bus.cr8_read ? c->bus.cr8_read(c->bus.opaque) : c->cr8;
	s->efer = c->efer;
	s->apic_base = c->apic_base;
}

void x86emu_set_sregs(struct x86emu *e, const struct vcpu_sregs *s)
{
	struct x86_cpu *c = x86_cpu_of(e);

	seg_in(&c->seg[S_CS], &s->cs);
	seg_in(&c->seg[S_DS], &s->ds);
	seg_in(&c->seg[S_ES], &s->es);
	seg_in(&c->seg[S_FS], &s->fs);
	seg_in(&c->seg[S_GS], &s->gs);
	seg_in(&c->seg[S_SS], &s->ss);
	seg_in(&c->seg[S_TR], &s->tr);
	seg_in(&c->seg[S_LDTR], &s->ldt);
	/* A real-mode CS must stay usable whatever the caller says. */
	c->seg[S_CS].attr &= ~SEG_UNUSABLE;
	c->gdtr.base = s->gdt.base;
	c->gdtr.limit = s->gdt.limit;
	c->idtr.base = s->idt.base;
	c->idtr.limit = s->idt.limit;
	/* Loaded as given, like KVM_SET_SREGS: the caller is the VMM. ET is
	 * hard-wired to 1 (SDM Vol. 3A 2.5). */
	c->cr0 = s->cr0 | X86_CR0_ET;
	c->cr2 = s->cr2;
	c->cr3 = s->cr3;
	c->cr4 = s->cr4;
	c->cr8 = s->cr8 & 0xf;
	c->efer = s->efer;
	if (s->apic_base)
		c->apic_base = s->apic_base;
	/* CPL is SS.DPL (as in VMX guest state); 0 in real mode. */
	c->cpl = (c->cr0 & X86_CR0_PE) ? (uint8_t)(s->ss.dpl & 3) : 0;
	x86_mode_update(c);
	x86_tlb_flush(c, true);
}

int x86emu_get_msr(struct x86emu *e, uint32_t idx, uint64_t *val)
{
	return x86_msr_read(x86_cpu_of(e), idx, val) < 0 ? -EINVAL : 0;
}

int x86emu_set_msr(struct x86emu *e, uint32_t idx, uint64_t val)
{
	return x86_msr_write(x86_cpu_of(e), idx, val) < 0 ? -EINVAL : 0;
}

void x86emu_invalidate(struct x86emu *e, uint64_t gpa, uint64_t len)
{
	struct x86_cpu *c = x86_cpu_of(e);
	uint64_t end = gpa + len;

	/* Bounded: nothing beyond MAXPHYADDR (40 bits) holds code. */
	if (gpa >= (1ULL << 40))
		return;
	if (end < gpa || end > (1ULL << 40))
		end = 1ULL << 40;
	for (uint64_t p = gpa & ~0xfffULL; p < end; p += 0x1000) {
		if (x86_page_has_code(c, p))
			x86_code_written(c, p, 0x1000);
		if (p + 0x1000 < p)
			break;
	}
}

void x86emu_set_trace(struct x86emu *e, void *file, uint64_t limit)
{
	struct x86_cpu *c = x86_cpu_of(e);

	c->trace = limit ? file : NULL;
	c->trace_left = limit;
}

uint64_t x86emu_icount(const struct x86emu *e)
{
	return ((const struct x86_cpu *)(const void *)e)->icount;
}

void x86emu_cpuid(struct x86emu *e, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	x86_cpuid_query(x86_cpu_of(e), leaf, sub, out);
}
