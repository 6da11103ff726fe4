/* A minimal 64-bit guest for ringvm's software CPU: identity-mapped 4-level
 * paging, a GDT with kernel/user segments and a TSS, and an IDT whose every
 * vector lands on a HLT stub, so a fault ends the run with a known vector.
 * Used by diffrun (user mode, CPL 3) and by the x86 fuzz target.
 *
 * This file reaches into the emulator's internals (src/cpu/x86/cpu.h) to set
 * XMM registers, MXCSR and the x87 state, which the public x86emu API does
 * not expose (x86_cpu_of() in cpu.h gives the internal view). */
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/cpu.h"
#include "diff.h"

/* Guest-physical (= virtual) layout of the system pages. */
#define SB_PML4   0x1000ULL
#define SB_PDPT   0x2000ULL
#define SB_PD     0x3000ULL
#define SB_PT_LO  0x4000ULL
#define SB_PT_HI  0x5000ULL
#define SB_GDT    0x6000ULL
#define SB_IDT    0x7000ULL
#define SB_TSS    0x9000ULL
#define SB_KSTACK 0xa000ULL

/* The user selectors are Linux x86-64's (__USER_DS 0x2b, __USER_CS 0x33),
 * so what the guest can observe of them (MOV from CS/SS, FNSTENV's FCS)
 * matches the host process the native side runs in. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x2b
#define SEL_UCODE 0x33
#define SEL_TSS   0x38

#define SB_NPAGES 15

struct sandbox {
	struct x86emu *emu;
	bool user;
	int irq_vec;          /* vector the "interrupt controller" hands out */
	uint64_t io_count, io_limit;   /* device accesses; stop after the limit */
	uint64_t gpa[SB_NPAGES];
	/* Each page is its own allocation, so under ASan an access that runs
	 * off the end of a page the bus handed out is caught. */
	uint8_t *page[SB_NPAGES];
};

static uint8_t *sb_ram_page(void *opaque, uint64_t gpa)
{
	struct sandbox *s = opaque;
	uint64_t pg = gpa & ~0xfffULL;

	for (int i = 0; i < SB_NPAGES; i++)
		if (s->gpa[i] == pg)
			return s->page[i];
	return NULL;
}

/* Every device access counts; past the limit the run is asked to end, the
 * way a device model leaves the CPU loop (X86EMU_IO_EXIT). A REP string
 * instruction over MMIO otherwise does up to max_insns * its slice of
 * accesses, which is bounded but can take minutes. */
static void sb_io(struct sandbox *s)
{
	if (s->io_limit && ++s->io_count >= s->io_limit)
		x86emu_stop(s->emu);
}

static void sb_mmio(void *opaque, uint64_t gpa, void *data, unsigned len, bool write)
{
	(void)gpa;
	if (!write)
		memset(data, 0xff, len);
	sb_io(opaque);
}

static void sb_pio(void *opaque, uint16_t port, void *data, unsigned len, bool in)
{
	(void)port;
	if (in)
		memset(data, 0xff, len);
	sb_io(opaque);
}

bool sandbox_io_limited(struct sandbox *s)
{
	return s->io_limit && s->io_count >= s->io_limit;
}

void sandbox_io_limit(struct sandbox *s, uint64_t limit)
{
	s->io_count = 0;
	s->io_limit = limit;
}

/* A one-shot interrupt controller: the pending vector is acknowledged once,
 * then the line drops. */
static int sb_intr_ack(void *opaque)
{
	struct sandbox *s = opaque;
	int v = s->irq_vec;

	s->irq_vec = -1;
	x86emu_set_irq(s->emu, false);
	return v;
}

void sandbox_irq(struct sandbox *s, int vec)
{
	s->irq_vec = vec;
	x86emu_set_irq(s->emu, vec >= 0);
}

uint8_t *sandbox_ptr(struct sandbox *s, uint64_t va)
{
	uint8_t *p = sb_ram_page(s, va);

	return p ? p + (va & 0xfff) : NULL;
}

struct x86emu *sandbox_emu(struct sandbox *s)
{
	return s->emu;
}

static struct x86_cpu *sb_cpu(struct sandbox *s)
{
	return x86_cpu_of(s->emu);
}

static void put64(struct sandbox *s, uint64_t va, uint64_t v)
{
	memcpy(sandbox_ptr(s, va), &v, 8);
}

/* Page tables, descriptor tables, TSS and the HLT stubs. */
static void sb_build(struct sandbox *s)
{
	const uint64_t pde = 0x7;   /* P | RW | US: the leaf decides the rest */

	for (int i = 0; i < SB_NPAGES; i++)
		memset(s->page[i], 0, 4096);

	/* 4-level paging (SDM Vol. 3A 4.5): PML4[0] -> PDPT[0] -> PD; PD[0]
	 * covers 0..2 MiB (system pages, supervisor only), PD[256] covers
	 * 0x20000000.. (the test pages, user accessible). */
	put64(s, SB_PML4, SB_PDPT | pde);
	put64(s, SB_PDPT, SB_PD | pde);
	put64(s, SB_PD + 0 * 8, SB_PT_LO | pde);
	put64(s, SB_PD + 256 * 8, SB_PT_HI | pde);
	for (uint64_t pa = SB_PML4; pa <= SB_KSTACK; pa += 0x1000)
		put64(s, SB_PT_LO + (pa >> 12) * 8, pa | 0x3);
	for (uint64_t off = 0; off < DIFF_REGION; off += 0x1000)
		put64(s, SB_PT_HI + (off >> 12) * 8, (DIFF_CODE_VA + off) | 0x7);

	/* GDT (SDM Vol. 3A 3.4.5, 5.2.1 for the L bit). */
	put64(s, SB_GDT + 0x08, 0x00209b0000000000ULL);  /* kernel code, L=1 */
	put64(s, SB_GDT + 0x10, 0x00cf93000000ffffULL);  /* kernel data */
	put64(s, SB_GDT + 0x28, 0x00cff3000000ffffULL);  /* user data, DPL 3 */
	put64(s, SB_GDT + 0x30, 0x0020fb0000000000ULL);  /* user code, L=1, DPL 3 */
	/* 64-bit busy TSS descriptor, 16 bytes (SDM Vol. 3A 8.2.3). */
	put64(s, SB_GDT + SEL_TSS, 0x00008b0000000067ULL | (SB_TSS << 16));
	put64(s, SB_GDT + SEL_TSS + 8, 0);

	/* IDT of 64-bit interrupt gates, DPL 3 so INT n from user mode also
	 * lands on a stub (SDM Vol. 3A 6.14.1). */
	for (uint64_t v = 0; v < 256; v++) {
		uint64_t off = SB_HANDLERS + v * 16;
		uint64_t lo = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) |
			      (0xeeULL << 40) | (((off >> 16) & 0xffff) << 48);

		put64(s, SB_IDT + v * 16, lo);
		put64(s, SB_IDT + v * 16 + 8, off >> 32);
		/* hlt ; jmp back to the hlt */
		uint8_t *h = sandbox_ptr(s, off);
		h[0] = 0xf4; h[1] = 0xeb; h[2] = 0xfd;
	}

	/* TSS: RSP0 for the CPL 3 -> 0 switch on a fault; the I/O map base
	 * past the limit means "no bitmap" (SDM Vol. 3A 8.7, 20.5.2). */
	put64(s, SB_TSS + 4, SB_KSTACK + 0x1000);
	{
		uint16_t iomap = 0x68;
		memcpy(sandbox_ptr(s, SB_TSS + 0x66), &iomap, 2);
	}
}

void sandbox_reset(struct sandbox *s)
{
	sb_build(s);
}

struct sandbox *sandbox_new(bool user)
{
	static const struct x86emu_bus bus_tmpl = {
		.ram_page = sb_ram_page,
		.mmio = sb_mmio,
		.pio = sb_pio,
		.intr_ack = sb_intr_ack,
	};
	struct x86emu_bus bus = bus_tmpl;
	struct sandbox *s = calloc(1, sizeof(*s));
	int n = 0;

	if (!s)
		return NULL;
	s->user = user;
	s->irq_vec = -1;
	for (uint64_t pa = SB_PML4; pa <= SB_KSTACK; pa += 0x1000)
		s->gpa[n++] = pa;
	for (uint64_t off = 0; off < DIFF_REGION; off += 0x1000)
		s->gpa[n++] = DIFF_CODE_VA + off;
	for (int i = 0; i < SB_NPAGES; i++) {
		s->page[i] = aligned_alloc(4096, 4096);
		if (!s->page[i])
			goto err;
	}
	sb_build(s);
	bus.opaque = s;
	s->emu = x86emu_new(&bus, 0);
	if (!s->emu)
		goto err;
	return s;
err:
	sandbox_free(s);
	return NULL;
}

void sandbox_free(struct sandbox *s)
{
	if (!s)
		return;
	if (s->emu)
		x86emu_free(s->emu);
	for (int i = 0; i < SB_NPAGES; i++)
		free(s->page[i]);
	free(s);
}

static void seg_set(struct x86_segment *g, uint16_t sel, uint8_t type, bool code, int dpl)
{
	memset(g, 0, sizeof(*g));
	g->selector = sel;
	g->base = 0;
	g->limit = 0xffffffff;
	g->type = type;
	g->present = 1;
	g->dpl = (uint8_t)dpl;
	g->s = 1;
	g->g = 1;
	g->l = code;
	g->db = !code;
}

void sandbox_load(struct sandbox *s, const struct diff_state *st, uint64_t rip)
{
	struct x86_cpu *cpu;
	struct vcpu_sregs sr;
	struct vcpu_regs r;
	int dpl = s->user ? 3 : 0;

	memset(&sr, 0, sizeof(sr));
	seg_set(&sr.cs, s->user ? SEL_UCODE : SEL_KCODE, 0xb, true, dpl);
	seg_set(&sr.ss, s->user ? SEL_UDATA : SEL_KDATA, 0x3, false, dpl);
	/* DS/ES/FS/GS hold the null selector as in a Linux process; in 64-bit
	 * mode that is usable with base 0 (SDM Vol. 3A 5.4.1.1). */
	sr.ds = sr.ss;
	sr.ds.selector = 0;
	sr.es = sr.fs = sr.gs = sr.ds;
	sr.tr.selector = SEL_TSS;
	sr.tr.base = SB_TSS;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	sr.ldt.unusable = 1;
	sr.gdt.base = SB_GDT;
	sr.gdt.limit = SEL_TSS + 15;
	sr.idt.base = SB_IDT;
	sr.idt.limit = 0xfff;
	/* Long mode with SSE enabled for the OS (SDM Vol. 3A 13.1.4: CR4.OSFXSR
	 * and OSXMMEXCPT; CR0.MP=1, EM=0 for SSE and x87 without #NM). */
	sr.cr0 = X86_CR0_PE | (1ULL << 1) | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sr.cr3 = SB_PML4;
	sr.cr4 = X86_CR4_PAE | (1ULL << 9) | (1ULL << 10);
	sr.efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	sr.apic_base = 0xfee00900;
	x86emu_set_sregs(s->emu, &sr);

	r.rax = st->gpr[0]; r.rcx = st->gpr[1]; r.rdx = st->gpr[2]; r.rbx = st->gpr[3];
	r.rsp = st->gpr[4]; r.rbp = st->gpr[5]; r.rsi = st->gpr[6]; r.rdi = st->gpr[7];
	r.r8 = st->gpr[8]; r.r9 = st->gpr[9]; r.r10 = st->gpr[10]; r.r11 = st->gpr[11];
	r.r12 = st->gpr[12]; r.r13 = st->gpr[13]; r.r14 = st->gpr[14]; r.r15 = st->gpr[15];
	r.rip = rip;
	/* IF=1 as in user mode on the host (nothing is pending, so nothing is
	 * delivered); bit 1 is reserved as 1. */
	r.rflags = st->rflags | 0x2 | DF_IF;
	x86emu_set_regs(s->emu, &r);

	cpu = sb_cpu(s);
	x86_fpu_reset(cpu);      /* FNINIT state, as native.S does */
	cpu->fpu.mxcsr = st->mxcsr;
	for (int i = 0; i < 16; i++)
		memcpy(cpu->fpu.xmm[i].b, st->xmm[i], 16);
	cpu->halted = 0;
	/* A stop requested by a device callback at the very end of the
	 * previous run must not end this one. */
	atomic_store(&cpu->stop_req, 0);
}

void sandbox_save(struct sandbox *s, struct diff_state *st, uint64_t *rip)
{
	struct x86_cpu *cpu = sb_cpu(s);
	struct vcpu_regs r;

	x86emu_get_regs(s->emu, &r);
	st->gpr[0] = r.rax; st->gpr[1] = r.rcx; st->gpr[2] = r.rdx; st->gpr[3] = r.rbx;
	st->gpr[4] = r.rsp; st->gpr[5] = r.rbp; st->gpr[6] = r.rsi; st->gpr[7] = r.rdi;
	st->gpr[8] = r.r8; st->gpr[9] = r.r9; st->gpr[10] = r.r10; st->gpr[11] = r.r11;
	st->gpr[12] = r.r12; st->gpr[13] = r.r13; st->gpr[14] = r.r14; st->gpr[15] = r.r15;
	st->rflags = r.rflags;
	st->rip = r.rip;
	st->mxcsr = cpu->fpu.mxcsr;
	for (int i = 0; i < 16; i++)
		memcpy(st->xmm[i], cpu->fpu.xmm[i].b, 16);
	if (rip)
		*rip = r.rip;
}

static uint64_t sb_rip(struct sandbox *s)
{
	struct vcpu_regs r;

	x86emu_get_regs(s->emu, &r);
	return r.rip;
}

/* Run until stop_rip (-1), a HLT in an exception stub (its vector), a
 * stray HLT (258), shutdown (256), another stop (259) or a runaway (257):
 * the first x86emu_run() call gets `first` instructions, every later one a
 * single instruction. A REP string instruction may come back between
 * iterations (RIP unchanged), which is allowed; anything that neither
 * reaches stop_rip nor stops within the budget is a runaway. */
static int sb_run_until(struct sandbox *s, uint64_t first, uint64_t max_insns, uint64_t stop_rip)
{
	for (uint64_t n = 0; n < max_insns + 20000; n++) {
		enum x86emu_stop why = x86emu_run(s->emu, n ? 1 : first);
		uint64_t rip = sb_rip(s);

		if (rip == stop_rip && why != X86EMU_SHUTDOWN)
			return -1;
		switch (why) {
		case X86EMU_LIMIT:
			continue;
		case X86EMU_HLT:
			if (rip >= SB_HANDLERS && rip < SB_HANDLERS + 0x1000)
				return (int)((rip - SB_HANDLERS) / 16);
			return 258;
		case X86EMU_SHUTDOWN:
			return 256;
		default:
			return 259;
		}
	}
	return 257;
}

int sandbox_run(struct sandbox *s, uint64_t max_insns, uint64_t stop_rip)
{
	return sb_run_until(s, 1, max_insns, stop_rip);
}

/* Fill the soft TLB for the data and stack pages, as a running program
 * would have, so that the translated memory forms take their inline hit
 * path (sandbox_load() flushes the TLB; x86emu_set_regs() does not): a
 * MOV load and store of each page, at the current CPL, from spare room in
 * the code page; then the registers as they were. */
static void sb_warm_tlb(struct sandbox *s)
{
	static const uint64_t pages[] = { DIFF_DATA_VA, DIFF_DATA_VA + 0x1000, DIFF_STACK_VA };
	const uint64_t va = DIFF_CODE_VA + 0x800;
	uint8_t *p = sandbox_ptr(s, va), *q = p;
	struct vcpu_regs saved, r;

	if (!p)
		return;
	for (unsigned k = 0; k < 3; k++) {
		static const uint8_t ops[2] = { 0x8b, 0x89 };  /* mov rax, [abs]; mov [abs], rax */
		for (unsigned m = 0; m < 2; m++) {
			uint32_t a = (uint32_t)pages[k];
			*q++ = 0x48, *q++ = ops[m], *q++ = 0x04, *q++ = 0x25;
			memcpy(q, &a, 4);
			q += 4;
		}
	}
	*q++ = 0xeb, *q++ = 0xfe;              /* jmp $ */
	x86emu_invalidate(s->emu, va, (uint64_t)(q - p));
	x86emu_get_regs(s->emu, &saved);
	r = saved;
	r.rip = va;
	x86emu_set_regs(s->emu, &r);
	x86emu_run(s->emu, 7);
	x86emu_set_regs(s->emu, &saved);
}

/* The same run with the form as one whole decoded block, so that run.c
 * takes its translated path (diffrun -b sets RINGVM_JIT_HOT=1): the
 * emulated copy ends the form with JMP $ (EB FE), a block ender that
 * changes no register or flag, and the first call runs the form and that
 * jump in one go; a form that branches over part of itself retires fewer
 * instructions, and the jump spins in place for the rest of the budget.
 * Whatever is left (a REP slice, a fault) goes on one instruction at a
 * time as sandbox_run() does. */
int sandbox_run_block(struct sandbox *s, uint64_t ninsn, uint64_t stop_rip)
{
	uint8_t *p = sandbox_ptr(s, stop_rip);

	if (!p)
		return 259;
	sb_warm_tlb(s);
	p[0] = 0xeb;
	p[1] = 0xfe;
	return sb_run_until(s, ninsn + 1, ninsn, stop_rip);
}

uint64_t sandbox_fault_rip(struct sandbox *s, int vec)
{
	struct vcpu_regs r;
	bool has_err = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
	uint64_t v = 0;
	uint8_t *p;

	x86emu_get_regs(s->emu, &r);
	/* 64-bit frame: [error code] RIP CS RFLAGS RSP SS (SDM Vol. 3A 6.14.2). */
	p = sandbox_ptr(s, r.rsp + (has_err ? 8 : 0));
	if (p && ((r.rsp + (has_err ? 8 : 0)) & 0xfff) <= 0xff8)
		memcpy(&v, p, 8);
	return v;
}
