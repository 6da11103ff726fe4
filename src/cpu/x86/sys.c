/* Privileged and system instructions: HLT, CLI/STI, IN/OUT, MOV CR/DR,
 * descriptor-table registers (group 7), MSRs, TSC, CPUID, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT, SWAPGS.
 *
 * References: the Intel SDM Vol. 2 page of each instruction; Vol. 3A 2.5
 * (control registers), 17.2 (debug registers); Vol. 1 18.5 (I/O permission
 * bit map); AMD APM Vol. 2 6.1.1 and Vol. 3 "SYSCALL"/"SYSRET". */
#include <x86intrin.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/kvmpv.h"
#include "cpu/x86/system.h"
#include "ringvm/log.h"

static inline _Noreturn void sys_ud(struct x86_cpu *c)
{
	x86_fault(c, X86_UD, X86_NOERR);
}

static inline _Noreturn void sys_gp0(struct x86_cpu *c)
{
	x86_fault(c, X86_GP, 0);
}

void x86_require_cpl0(struct x86_cpu *c)
{
	if (c->cpl != 0)
		sys_gp0(c);
}

static inline void set_edx_eax(struct x86_cpu *c, uint64_t v)
{
	c->r[R_AX] = (uint32_t)v;
	c->r[R_DX] = v >> 32;
}

static inline bool sys_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* --- HLT, CLI, STI --- */

static void h_hlt(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_require_cpl0(c);
	c->halted = 1;
}

/* CLI/STI in protected mode need CPL <= IOPL; PVI/VME are not advertised
 * so there is no virtual-interrupt path (Vol. 2A "CLI" Table 3-7). */
static void iopl_check(struct x86_cpu *c)
{
	if (c->mode != MODE_REAL && c->cpl > ((c->rflags & F_IOPL) >> 12))
		sys_gp0(c);
}

static void h_cli(struct x86_cpu *c, const struct x86_insn *i)
{
	iopl_check(c);
	c->rflags &= ~(uint64_t)F_IF;
}

static void h_sti(struct x86_cpu *c, const struct x86_insn *i)
{
	iopl_check(c);
	/* Interrupts stay blocked for one more instruction when STI sets IF
	 * (Vol. 2B "STI"), so "sti; hlt" cannot lose a wake-up. */
	if (!(c->rflags & F_IF))
		c->shadow = 1;
	c->rflags |= F_IF;
}

/* --- port I/O --- */

void x86_io_check(struct x86_cpu *c, uint16_t port, int size)
{
	const struct x86_seg *tr = &c->seg[S_TR];
	uint32_t base, need;
	uint16_t bits;

	if (c->mode == MODE_REAL)
		return;
	if (c->mode != MODE_V86 && c->cpl <= ((c->rflags & F_IOPL) >> 12))
		return;
	/* Only a 32/64-bit TSS has a bitmap; its offset is at 0x66 and the
	 * bits for every byte of the access must be 0 (Vol. 1 18.5.2). */
	if ((tr->attr & SEG_UNUSABLE) || (SEG_TYPE(tr) & 0x9) != 0x9 || tr->limit < 0x67)
		sys_gp0(c);
	base = (uint32_t)x86_read_lin(c, tr->base + 0x66, 2, true);
	need = base + port / 8;
	if (need + 1 > tr->limit)
		sys_gp0(c);
	bits = (uint16_t)x86_read_lin(c, tr->base + need, 2, true);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		sys_gp0(c);
}

static void h_in_out(struct x86_cpu *c, const struct x86_insn *i)
{
	/* E4-E7: imm8 port; EC-EF: DX. Even opcodes are byte-sized, bit 1
	 * is the direction (set: OUT). */
	int size = (i->op & 1) ? (i->opsz == 2 ? 2 : 4) : 1;
	bool out = i->op & 2;
	uint16_t port = (i->op & 8) ? (uint16_t)c->r[R_DX] : (uint16_t)(i->imm & 0xff);
	uint32_t v = 0;

	x86_io_check(c, port, size);
	if (out) {
		v = (uint32_t)(c->r[R_AX] & x86_mask(size));
		if (c->bus.pio)
			c->bus.pio(c->bus.opaque, port, &v, size, false);
		return;
	}
	v = 0xffffffffu;
	if (c->bus.pio)
		c->bus.pio(c->bus.opaque, port, &v, size, true);
	x86_reg_set(c, i, R_AX, size, v & x86_mask(size));
}

/* --- control registers (Vol. 3A 2.5, Vol. 2B "MOV—Move to/from Control
 * Registers") --- */

#define CR0_FIXED (X86_CR0_ET)
#define CR0_VALID (X86_CR0_PE | CR0_MP | CR0_EM | CR0_TS | X86_CR0_ET | X86_CR0_NE | \
		   X86_CR0_WP | CR0_AM | CR0_NW | CR0_CD | X86_CR0_PG)
/* CR4 bits backed by what cpuid.c advertises: DE, PSE, PAE, PGE, and
 * FXSR/SSE's OSFXSR/OSXMMEXCPT; TSD and PCE need no CPUID bit. */
#define CR4_VALID (CR4_TSD | CR4_DE | CR4_PSE | X86_CR4_PAE | CR4_PGE | CR4_PCE | \
		   CR4_OSFXSR | CR4_OSXMMEXCPT)

int x86_write_cr0(struct x86_cpu *c, uint64_t v)
{
	uint64_t old = c->cr0;

	if (v >> 32)
		return -1;
	v = (v & CR0_VALID) | CR0_FIXED;
	if ((v & X86_CR0_PG) && !(v & X86_CR0_PE))
		return -1;
	if ((v & CR0_NW) && !(v & CR0_CD))
		return -1;
	if ((v & X86_CR0_PG) && !(old & X86_CR0_PG) && (c->efer & X86_EFER_LME)) {
		/* Activating long mode needs PAE and a 32-bit CS (Vol. 3A
		 * 9.8.5). */
		if (!(c->cr4 & X86_CR4_PAE) || SEG_L(&c->seg[S_CS]))
			return -1;
		c->efer |= X86_EFER_LMA;
	}
	if (!(v & X86_CR0_PG) && (old & X86_CR0_PG) && (c->efer & X86_EFER_LMA)) {
		/* Leaving long mode only from compatibility mode. */
		if (c->mode == MODE_LONG)
			return -1;
		c->efer &= ~X86_EFER_LMA;
	}
	c->cr0 = v;
	if ((old ^ v) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		x86_tlb_flush(c, true);
	x86_mode_update(c);
	return 0;
}

int x86_write_cr4(struct x86_cpu *c, uint64_t v)
{
	uint64_t old = c->cr4;

	if (v & ~CR4_VALID)
		return -1;
	if ((c->efer & X86_EFER_LMA) && !(v & X86_CR4_PAE))
		return -1;
	c->cr4 = v;
	if ((old ^ v) & (CR4_PSE | X86_CR4_PAE | CR4_PGE))
		x86_tlb_flush(c, true);
	return 0;
}

int x86_write_cr3(struct x86_cpu *c, uint64_t v)
{
	/* Bits above MAXPHYADDR are reserved in long mode (Vol. 3A 4.5). */
	if ((c->efer & X86_EFER_LMA) && (v >> 40))
		return -1;
	if (!(c->efer & X86_EFER_LMA))
		v &= 0xffffffffULL;
	c->cr3 = v;
	x86_tlb_flush(c, false);
	return 0;
}

static void h_mov_cr(struct x86_cpu *c, const struct x86_insn *i)
{
	bool to_cr = i->op == 0x22;
	int size = c->mode == MODE_LONG ? 8 : 4;
	int cr = i->reg;
	uint64_t v;
	int ret = 0;

	if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
		sys_ud(c);
	if (cr == 8 && c->mode != MODE_LONG)
		sys_ud(c);
	x86_require_cpl0(c);
	if (!to_cr) {
		switch (cr) {
		case 0: v = c->cr0; break;
		case 2: v = c->cr2; break;
		case 3: v = c->cr3; break;
		case 4: v = c->cr4; break;
		default:
			v = c->bus.cr8_read ? c->bus.cr8_read(c->bus.opaque) : c->cr8;
			break;
		}
		/* The register operand is always the r/m register. */
		x86_reg_set(c, i, i->rm, size, v);
		return;
	}
	v = x86_reg_get(c, i, i->rm, size);
	switch (cr) {
	case 0: ret = x86_write_cr0(c, v); break;
	case 2: c->cr2 = v; break;
	case 3: ret = x86_write_cr3(c, v); break;
	case 4: ret = x86_write_cr4(c, v); break;
	default:
		if (v >> 4) {
			ret = -1;
			break;
		}
		c->cr8 = v;
		if (c->bus.cr8_write)
			c->bus.cr8_write(c->bus.opaque, v);
		break;
	}
	if (ret < 0)
		sys_gp0(c);
}

/* Debug registers (Vol. 3A 17.2): stored, breakpoints not implemented.
 * DR4/DR5 alias DR6/DR7 unless CR4.DE. */
static void h_mov_dr(struct x86_cpu *c, const struct x86_insn *i)
{
	int size = c->mode == MODE_LONG ? 8 : 4;
	int dr = i->reg;
	uint64_t v;

	if (dr > 7)
		sys_ud(c);
	if (dr == 4 || dr == 5) {
		if (c->cr4 & CR4_DE)
			sys_ud(c);
		dr += 2;
	}
	x86_require_cpl0(c);
	if (i->op == 0x21) {
		v = c->dr[dr];
		if (dr == 6)
			v = (v & 0xe00f) | 0xffff0ff0;
		else if (dr == 7)
			v = (v & 0xffff2bff) | 0x400;
		x86_reg_set(c, i, i->rm, size, v);
		return;
	}
	v = x86_reg_get(c, i, i->rm, size);
	if ((dr == 6 || dr == 7) && (v >> 32))
		sys_gp0(c);
	c->dr[dr] = v;
}

static void h_clts(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_require_cpl0(c);
	c->cr0 &= ~CR0_TS;
}

static void h_wbinvd(struct x86_cpu *c, const struct x86_insn *i)
{
	/* No caches to write back: coherent host memory. */
	x86_require_cpl0(c);
}

/* --- group 7 (0F 01) --- */

static void dt_store(struct x86_cpu *c, const struct x86_insn *i, uint16_t limit, uint64_t base)
{
	uint64_t ea;

	if (i->mod == 3)
		sys_ud(c);
	ea = x86_ea(c, i);
	/* Check the whole operand before writing either part. */
	if (c->mode == MODE_LONG) {
		uint8_t b[10];
		for (int k = 0; k < 2; k++)
			b[k] = (uint8_t)(limit >> (8 * k));
		for (int k = 0; k < 8; k++)
			b[2 + k] = (uint8_t)(base >> (8 * k));
		x86_write_bytes(c, i->seg, ea, b, 10);
	} else {
		uint8_t b[6];
		/* 16-bit operand size stores 24 bits of base and a zero byte
		 * on current processors (Vol. 2B "SGDT"). */
		if (i->opsz == 2)
			base &= 0xffffff;
		for (int k = 0; k < 2; k++)
			b[k] = (uint8_t)(limit >> (8 * k));
		for (int k = 0; k < 4; k++)
			b[2 + k] = (uint8_t)(base >> (8 * k));
		x86_write_bytes(c, i->seg, ea, b, 6);
	}
}

static void dt_load(struct x86_cpu *c, const struct x86_insn *i, uint16_t *limit, uint64_t *base)
{
	uint64_t ea, b;
	uint16_t l;

	if (i->mod == 3)
		sys_ud(c);
	x86_require_cpl0(c);
	ea = x86_ea(c, i);
	l = (uint16_t)x86_read(c, i->seg, ea, 2);
	if (c->mode == MODE_LONG) {
		b = x86_read(c, i->seg, (ea + 2) & x86_mask(i->adsz), 8);
		if (!sys_canonical(b))
			sys_gp0(c);
	} else {
		b = x86_read(c, i->seg, (ea + 2) & x86_mask(i->adsz), 4);
		if (i->opsz == 2)
			b &= 0xffffff;
	}
	*limit = l;
	*base = b;
}

static void h_grp7(struct x86_cpu *c, const struct x86_insn *i)
{
	int r = i->reg & 7;

	if (i->mod == 3) {
		switch (r) {
		case 0:
		case 3:
			/* VMCALL (0F 01 C1) and VMMCALL (0F 01 D9): the KVM
			 * hypercall. Linux picks by vendor; KVM takes either
			 * (Documentation/virt/kvm/x86/hypercalls.rst). */
			if ((i->rm & 7) != 1)
				sys_ud(c);
			kvmpv_hypercall(c);
			return;
		case 4: /* SMSW reg */
			x86_reg_set(c, i, i->rm, i->opsz, c->cr0 & x86_mask(i->opsz));
			return;
		case 6: /* LMSW reg */
			break;
		case 7:
			if ((i->rm & 7) == 0) {
				/* SWAPGS: 64-bit mode, CPL 0 (Vol. 2B). */
				uint64_t t;
				if (c->mode != MODE_LONG)
					sys_ud(c);
				x86_require_cpl0(c);
				t = c->seg[S_GS].base;
				c->seg[S_GS].base = c->kernel_gs_base;
				c->kernel_gs_base = t;
				return;
			}
			if ((i->rm & 7) == 1) {
				/* RDTSCP (Vol. 2B): CR4.TSD applies as for RDTSC. */
				if ((c->cr4 & CR4_TSD) && c->cpl)
					sys_gp0(c);
				set_edx_eax(c, x86_rdtsc(c));
				c->r[R_CX] = (uint32_t)c->tsc_aux;
				return;
			}
			sys_ud(c);
		default:
			/* The rest of VMX/SVM, MONITOR/MWAIT, CLAC/STAC,
			 * XGETBV/XSETBV: none advertised. */
			sys_ud(c);
		}
	}
	switch (r) {
	case 0:
		dt_store(c, i, c->gdtr.limit, c->gdtr.base);
		return;
	case 1:
		dt_store(c, i, c->idtr.limit, c->idtr.base);
		return;
	case 2:
		dt_load(c, i, &c->gdtr.limit, &c->gdtr.base);
		return;
	case 3:
		dt_load(c, i, &c->idtr.limit, &c->idtr.base);
		return;
	case 4: /* SMSW m16 */
		x86_write(c, i->seg, x86_ea(c, i), 2, c->cr0 & 0xffff);
		return;
	case 6: {
		/* LMSW: PE, MP, EM, TS only; PE can be set, never cleared. */
		uint64_t v;
		x86_require_cpl0(c);
		v = x86_rm_read(c, i, 2);
		v = (c->cr0 & ~0xeULL) | (v & 0xf) | (c->cr0 & X86_CR0_PE);
		if (x86_write_cr0(c, v) < 0)
			sys_gp0(c);
		return;
	}
	case 7: {
		/* INVLPG: the linear address of the operand (Vol. 2A). */
		uint64_t lin;
		x86_require_cpl0(c);
		lin = x86_ea(c, i);
		if (c->mode != MODE_LONG || i->seg == S_FS || i->seg == S_GS)
			lin += c->seg[i->seg].base;
		if (c->mode != MODE_LONG)
			lin &= 0xffffffffULL;
		x86_tlb_flush_page(c, lin);
		return;
	}
	default:
		sys_ud(c);
	}
}

/* --- MSRs, TSC, CPUID --- */

uint64_t x86_rdtsc(struct x86_cpu *c)
{
	return __rdtsc() + c->tsc_offset;
}

static void h_rdmsr(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t v;

	x86_require_cpl0(c);
	if (x86_msr_read(c, (uint32_t)c->r[R_CX], &v) < 0)
		sys_gp0(c);
	set_edx_eax(c, v);
}

static void h_wrmsr(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t v = (uint32_t)c->r[R_AX] | (c->r[R_DX] << 32);

	x86_require_cpl0(c);
	if (x86_msr_write(c, (uint32_t)c->r[R_CX], v) < 0)
		sys_gp0(c);
}

static void h_rdtsc(struct x86_cpu *c, const struct x86_insn *i)
{
	if ((c->cr4 & CR4_TSD) && c->cpl)
		sys_gp0(c);
	set_edx_eax(c, x86_rdtsc(c));
}

static void h_rdpmc(struct x86_cpu *c, const struct x86_insn *i)
{
	/* No performance counters are advertised: any counter is invalid. */
	sys_gp0(c);
}

static void h_cpuid(struct x86_cpu *c, const struct x86_insn *i)
{
	uint32_t out[4];

	x86_cpuid_query(c, (uint32_t)c->r[R_AX], (uint32_t)c->r[R_CX], out);
	c->r[R_AX] = out[0];
	c->r[R_BX] = out[1];
	c->r[R_CX] = out[2];
	c->r[R_DX] = out[3];
}

/* --- fast system calls --- */

/* Flat segments the fast-call instructions load without reading the GDT
 * (Vol. 2B "SYSCALL": "fixed values"). */
static void seg_flat(struct x86_seg *s, uint16_t sel, bool code, bool l64, int dpl)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = (code ? 0xb : 0x3) | 0x10 | (dpl << 5) | 0x80 | 0x8000 |
		  (l64 ? 0x2000 : 0x4000);
}

static void h_syscall(struct x86_cpu *c, const struct x86_insn *i)
{
	uint16_t sel = (uint16_t)(c->star >> 32) & 0xfffc;
	uint64_t fl = x86_flags_get(c);

	if (!(c->efer & X86_EFER_SCE) || c->mode == MODE_REAL || c->mode == MODE_V86)
		sys_ud(c);
	if (c->efer & X86_EFER_LMA) {
		c->r[R_CX] = c->rip;
		c->r[R_R11] = fl & ~(uint64_t)F_RF;
		seg_flat(&c->seg[S_CS], sel, true, true, 0);
		seg_flat(&c->seg[S_SS], sel + 8, false, false, 0);
		c->rip = c->mode == MODE_LONG ? c->lstar : c->cstar;
		x86_flags_set(c, fl & ~c->fmask & ~(uint64_t)F_RF, ~0ULL);
	} else {
		/* Legacy-mode SYSCALL (AMD APM Vol. 3 "SYSCALL"). */
		c->r[R_CX] = (uint32_t)c->rip;
		seg_flat(&c->seg[S_CS], sel, true, false, 0);
		seg_flat(&c->seg[S_SS], sel + 8, false, false, 0);
		c->rip = (uint32_t)c->star;
		x86_flags_set(c, fl & ~(uint64_t)(F_VM | F_IF | F_RF), ~0ULL);
	}
	c->cpl = 0;
	x86_mode_update(c);
}

static void h_sysret(struct x86_cpu *c, const struct x86_insn *i)
{
	uint16_t sel = (uint16_t)(c->star >> 48);

	if (!(c->efer & X86_EFER_SCE))
		sys_ud(c);
	if (c->mode == MODE_REAL || c->mode == MODE_V86 || c->cpl != 0)
		sys_gp0(c);
	if (c->efer & X86_EFER_LMA) {
		if (i->opsz == 8) {
			/* Intel raises #GP(0) at CPL 0 for a non-canonical
			 * RCX (Vol. 2B "SYSRET"), avoiding a CPL-3 #GP on
			 * the kernel stack. */
			if (!sys_canonical(c->r[R_CX]))
				sys_gp0(c);
			seg_flat(&c->seg[S_CS], (sel + 16) | 3, true, true, 3);
			c->rip = c->r[R_CX];
		} else {
			seg_flat(&c->seg[S_CS], sel | 3, true, false, 3);
			c->rip = (uint32_t)c->r[R_CX];
		}
		x86_flags_set(c, (c->r[R_R11] & 0x3c7fd7) | 2, ~0ULL);
	} else {
		seg_flat(&c->seg[S_CS], sel | 3, true, false, 3);
		c->rip = (uint32_t)c->r[R_CX];
		c->rflags |= F_IF;
	}
	/* SS selector is STAR[63:48] + 8 with RPL 3; the cached DPL is 3. */
	seg_flat(&c->seg[S_SS], (sel + 8) | 3, false, false, 3);
	c->cpl = 3;
	x86_mode_update(c);
}

static void h_sysenter(struct x86_cpu *c, const struct x86_insn *i)
{
	uint16_t sel = (uint16_t)c->sysenter_cs & 0xfffc;
	bool lma = c->efer & X86_EFER_LMA;

	if (c->mode == MODE_REAL || !sel)
		sys_gp0(c);
	seg_flat(&c->seg[S_CS], sel, true, lma, 0);
	seg_flat(&c->seg[S_SS], sel + 8, false, false, 0);
	c->rflags &= ~(uint64_t)(F_VM | F_IF | F_RF);
	c->rip = lma ? c->sysenter_eip : (uint32_t)c->sysenter_eip;
	c->r[R_SP] = lma ? c->sysenter_esp : (uint32_t)c->sysenter_esp;
	c->cpl = 0;
	x86_mode_update(c);
}

static void h_sysexit(struct x86_cpu *c, const struct x86_insn *i)
{
	uint16_t sel = (uint16_t)c->sysenter_cs & 0xfffc;

	if (c->mode == MODE_REAL || c->mode == MODE_V86 || !sel || c->cpl != 0)
		sys_gp0(c);
	if (i->opsz == 8) {
		seg_flat(&c->seg[S_CS], (sel + 32) | 3, true, true, 3);
		seg_flat(&c->seg[S_SS], (sel + 40) | 3, false, false, 3);
		c->rip = c->r[R_DX];
		c->r[R_SP] = c->r[R_CX];
	} else {
		seg_flat(&c->seg[S_CS], (sel + 16) | 3, true, false, 3);
		seg_flat(&c->seg[S_SS], (sel + 24) | 3, false, false, 3);
		c->rip = (uint32_t)c->r[R_DX];
		c->r[R_SP] = (uint32_t)c->r[R_CX];
	}
	c->cpl = 3;
	x86_mode_update(c);
}

void x86_register_sys(void)
{
	x86_optab[0][0xf4] = h_hlt;
	x86_optab[0][0xfa] = h_cli;
	x86_optab[0][0xfb] = h_sti;
	x86_optab[0][0xe4] = h_in_out;
	x86_optab[0][0xe5] = h_in_out;
	x86_optab[0][0xe6] = h_in_out;
	x86_optab[0][0xe7] = h_in_out;
	x86_optab[0][0xec] = h_in_out;
	x86_optab[0][0xed] = h_in_out;
	x86_optab[0][0xee] = h_in_out;
	x86_optab[0][0xef] = h_in_out;
	x86_optab[1][0x01] = h_grp7;
	x86_optab[1][0x05] = h_syscall;
	x86_optab[1][0x06] = h_clts;
	x86_optab[1][0x07] = h_sysret;
	x86_optab[1][0x08] = h_wbinvd; /* INVD: same, nothing cached */
	x86_optab[1][0x09] = h_wbinvd;
	x86_optab[1][0x20] = h_mov_cr;
	x86_optab[1][0x21] = h_mov_dr;
	x86_optab[1][0x22] = h_mov_cr;
	x86_optab[1][0x23] = h_mov_dr;
	x86_optab[1][0x30] = h_wrmsr;
	x86_optab[1][0x31] = h_rdtsc;
	x86_optab[1][0x32] = h_rdmsr;
	x86_optab[1][0x33] = h_rdpmc;
	x86_optab[1][0x34] = h_sysenter;
	x86_optab[1][0x35] = h_sysexit;
	x86_optab[1][0xa2] = h_cpuid;
}
