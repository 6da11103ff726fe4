/* Model-specific registers of the software CPU.
 *
 * References: Intel SDM Vol. 4 (MSR list: 2.1 architectural MSRs), Vol. 3A
 * 11.11 (MTRRs), 11.12.2 (PAT), 10.4.4 (IA32_APIC_BASE); AMD APM Vol. 2
 * Appendix A (EFER, STAR/LSTAR/CSTAR/SFMASK, FS/GS/KernelGS base, TSC_AUX);
 * Linux Documentation/virt/kvm/x86/msr.rst (the KVM paravirtual MSRs). */
#include <errno.h>
#include <stdatomic.h>
#include <x86intrin.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/kvmclock.h"
#include "cpu/x86/system.h"
#include "ringvm/log.h"

enum {
	MSR_TSC = 0x10,
	MSR_APIC_BASE = 0x1b,
	MSR_PATCH_LEVEL = 0x8b,       /* AMD microcode patch level / BIOS_SIGN */
	MSR_MTRRCAP = 0xfe,
	MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
	MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MCG_CTL = 0x17b,
	MSR_MISC_ENABLE = 0x1a0,
	MSR_MTRR_VAR0 = 0x200, MSR_MTRR_VAR_END = 0x210,
	MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K_80 = 0x258, MSR_MTRR_FIX16K_A0 = 0x259,
	MSR_MTRR_FIX4K_C0 = 0x268, MSR_MTRR_FIX4K_F8 = 0x26f,
	MSR_PAT = 0x277,
	MSR_MTRR_DEF_TYPE = 0x2ff,
	MSR_EFER = 0xc0000080, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK,
	MSR_FS_BASE = 0xc0000100, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
	MSR_AMD_SYSCFG = 0xc0010010,
	MSR_AMD_HWCR = 0xc0010015,
	MSR_AMD_DE_CFG = 0xc0011029,
	MSR_AMD_INT_PENDING = 0xc0010055,
	MSR_KVM_FIRST = 0x4b564d00, MSR_KVM_LAST = 0x4b564d07,
	MSR_AMD_PERF_FIRST = 0xc0010000, MSR_AMD_PERF_LAST = 0xc0010007,
};

/* 8 variable ranges, fixed ranges, write-combining (Vol. 3A 11.11.1). */
#define MTRRCAP_VALUE (8 | (1u << 8) | (1u << 10))
/* APIC base: BSP bit 8, x2APIC bit 10 (not offered), enable bit 11, base
 * bits up to MAXPHYADDR (Vol. 3A 10.4.4). */
#define APIC_BASE_VALID (0x100ULL | 0x800ULL | (((1ULL << 40) - 1) & ~0xfffULL))

static inline bool msr_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Memory type encodings valid in PAT entries and MTRRs: UC, WC, WT, WP,
 * WB (and UC- for PAT) (Vol. 3A Table 11-10, 11-13). */
static bool mtype_ok(uint8_t t, bool pat)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

static int fixed_index(uint32_t idx)
{
	if (idx == MSR_MTRR_FIX64K)
		return 0;
	if (idx == MSR_MTRR_FIX16K_80 || idx == MSR_MTRR_FIX16K_A0)
		return 1 + (int)(idx - MSR_MTRR_FIX16K_80);
	if (idx >= MSR_MTRR_FIX4K_C0 && idx <= MSR_MTRR_FIX4K_F8)
		return 3 + (int)(idx - MSR_MTRR_FIX4K_C0);
	return -1;
}

/* One origin for every vCPU of the process, so their TSCs agree (Linux
 * checks TSC synchronization between CPUs at boot). */
static uint64_t msr_tsc_origin(void)
{
	static _Atomic uint64_t origin;
	uint64_t o = atomic_load(&origin), expect = 0;

	if (o)
		return o;
	o = __rdtsc();
	if (!atomic_compare_exchange_strong(&origin, &expect, o))
		o = expect;
	return o;
}

void x86_msr_reset(struct x86_cpu *c)
{
	c->star = c->lstar = c->cstar = c->fmask = c->kernel_gs_base = 0;
	c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
	/* The TSC counts from 0 at the first vCPU's power-on (Vol. 3B 17.17
	 * has it start at reset; all vCPUs share the origin). */
	c->tsc_offset = -msr_tsc_origin();
	c->tsc_aux = 0;
	c->apic_base = 0xfee00000ULL | 0x800 | (c->index == 0 ? 0x100 : 0);
	/* PAT power-on value (Vol. 3A 11.12.4). */
	c->pat = 0x0007040600070406ULL;
	c->misc_enable = 1; /* fast strings */
	/* No firmware programs the MTRRs, so start as firmware would leave
	 * them: enabled, fixed ranges on, default type write-back. */
	c->mtrr_def_type = 0xc06;
	for (int i = 0; i < 11; i++)
		c->mtrr_fixed[i] = 0x0606060606060606ULL;
	for (int i = 0; i < 16; i++)
		c->mtrr_var[i] = 0;
	for (int i = 0; i < 8; i++)
		c->kvm_msr[i] = 0;
}

/* The platform's MSRs (LAPIC) come first when it offers them. Returns 1
 * when not the platform's, 0 handled, -1 for #GP. */
static int msr_bus(struct x86_cpu *c, uint32_t idx, uint64_t *val, bool write)
{
	int ret;

	if (!c->bus.msr)
		return 1;
	ret = c->bus.msr(c->bus.opaque, idx, val, write);
	if (ret == -ENOENT)
		return 1;
	return ret < 0 ? -1 : 0;
}

int x86_msr_read(struct x86_cpu *c, uint32_t idx, uint64_t *val)
{
	int k = msr_bus(c, idx, val, false);

	if (k <= 0)
		return k;
	switch (idx) {
	case MSR_TSC: *val = x86_rdtsc(c); return 0;
	case MSR_APIC_BASE: *val = c->apic_base; return 0;
	case MSR_PATCH_LEVEL: *val = 0; return 0;
	case MSR_MTRRCAP: *val = MTRRCAP_VALUE; return 0;
	case MSR_SYSENTER_CS: *val = c->sysenter_cs; return 0;
	case MSR_SYSENTER_ESP: *val = c->sysenter_esp; return 0;
	case MSR_SYSENTER_EIP: *val = c->sysenter_eip; return 0;
	/* No machine-check banks: MCG_CAP = 0 (Vol. 3B 15.3.1.1). */
	case MSR_MCG_CAP: case MSR_MCG_STATUS: *val = 0; return 0;
	case MSR_MISC_ENABLE: *val = c->misc_enable; return 0;
	case MSR_PAT: *val = c->pat; return 0;
	case MSR_MTRR_DEF_TYPE: *val = c->mtrr_def_type; return 0;
	case MSR_EFER: *val = c->efer; return 0;
	case MSR_STAR: *val = c->star; return 0;
	case MSR_LSTAR: *val = c->lstar; return 0;
	case MSR_CSTAR: *val = c->cstar; return 0;
	case MSR_FMASK: *val = c->fmask; return 0;
	case MSR_FS_BASE: *val = c->seg[S_FS].base; return 0;
	case MSR_GS_BASE: *val = c->seg[S_GS].base; return 0;
	case MSR_KERNEL_GS_BASE: *val = c->kernel_gs_base; return 0;
	case MSR_TSC_AUX: *val = c->tsc_aux; return 0;
	/* AMD family 0Fh registers Linux touches for this CPUID signature
	 * (SYSCFG is read without a fixup by the MTRR code); all-zero means
	 * "no quirks", no fixed-range DRAM attributes, no SME. */
	case MSR_AMD_SYSCFG: case MSR_AMD_HWCR: case MSR_AMD_INT_PENDING: case MSR_AMD_DE_CFG:
		*val = 0;
		return 0;
	}
	if (idx >= MSR_MTRR_VAR0 && idx < MSR_MTRR_VAR_END) {
		*val = c->mtrr_var[idx - MSR_MTRR_VAR0];
		return 0;
	}
	k = fixed_index(idx);
	if (k >= 0) {
		*val = c->mtrr_fixed[k];
		return 0;
	}
	if (idx >= MSR_KVM_FIRST && idx <= MSR_KVM_LAST) {
		*val = c->kvm_msr[idx - MSR_KVM_FIRST];
		return 0;
	}
	/* The legacy AMD performance counters (AMD APM Vol. 2, 13.2.1) are
	 * absent on purpose, and Linux probes for them with rdmsr_safe on
	 * every boot: that #GP is expected, not a guest mistake to report. */
	if (idx >= MSR_AMD_PERF_FIRST && idx <= MSR_AMD_PERF_LAST)
		pr_debug("x86emu: cpu%d: rdmsr %#x: no performance counters -> #GP", c->index, idx);
	else
		pr_guest("x86emu: cpu%d: rdmsr of unknown MSR %#x -> #GP", c->index, idx);
	return -1;
}

static int efer_write(struct x86_cpu *c, uint64_t v)
{
	uint64_t valid = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;

	if (v & ~valid)
		return -1;
	/* LME cannot change while paging is on (AMD APM Vol. 2 14.6.1);
	 * LMA is the CPU's own status bit: writes leave it alone. */
	if ((c->cr0 & X86_CR0_PG) && ((v ^ c->efer) & X86_EFER_LME))
		return -1;
	v = (v & ~X86_EFER_LMA) | (c->efer & X86_EFER_LMA);
	if ((v ^ c->efer) & X86_EFER_NXE)
		x86_tlb_flush(c, true);
	c->efer = v;
	x86_mode_update(c);
	return 0;
}

int x86_msr_write(struct x86_cpu *c, uint32_t idx, uint64_t v)
{
	int k = msr_bus(c, idx, &v, true);

	if (k <= 0)
		return k;
	switch (idx) {
	case MSR_TSC:
		c->tsc_offset = v - __rdtsc();
		return 0;
	case MSR_APIC_BASE:
		if (v & ~APIC_BASE_VALID)
			goto bad;
		/* The BSP flag is read-only. */
		c->apic_base = (v & ~0x100ULL) | (c->apic_base & 0x100);
		return 0;
	case MSR_PATCH_LEVEL:
		return 0;
	case MSR_SYSENTER_CS: c->sysenter_cs = v & 0xffff; return 0;
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
		if (!msr_canonical(v))
			goto bad;
		if (idx == MSR_SYSENTER_ESP)
			c->sysenter_esp = v;
		else
			c->sysenter_eip = v;
		return 0;
	case MSR_MCG_STATUS:
		if (v)
			goto bad;
		return 0;
	case MSR_MISC_ENABLE: c->misc_enable = v; return 0;
	case MSR_PAT:
		for (int b = 0; b < 8; b++)
			if (!mtype_ok((uint8_t)(v >> (8 * b)), true) || ((v >> (8 * b)) & 0xf8))
				goto bad;
		c->pat = v;
		return 0;
	case MSR_MTRR_DEF_TYPE:
		if ((v & ~0xcffULL) || !mtype_ok(v & 0xff, false))
			goto bad;
		c->mtrr_def_type = v;
		return 0;
	case MSR_EFER:
		if (efer_write(c, v) < 0)
			goto bad;
		return 0;
	case MSR_STAR: c->star = v; return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!msr_canonical(v))
			goto bad;
		if (idx == MSR_LSTAR)
			c->lstar = v;
		else
			c->cstar = v;
		return 0;
	case MSR_FMASK: c->fmask = (uint32_t)v; return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!msr_canonical(v))
			goto bad;
		if (idx == MSR_FS_BASE)
			c->seg[S_FS].base = v;
		else if (idx == MSR_GS_BASE)
			c->seg[S_GS].base = v;
		else
			c->kernel_gs_base = v;
		return 0;
	case MSR_TSC_AUX:
		if (v >> 32)
			goto bad;
		c->tsc_aux = v;
		return 0;
	case MSR_AMD_SYSCFG: case MSR_AMD_HWCR: case MSR_AMD_INT_PENDING: case MSR_AMD_DE_CFG:
		return 0; /* no model-specific behaviour to change */
	}
	if (idx >= MSR_MTRR_VAR0 && idx < MSR_MTRR_VAR_END) {
		/* PHYSBASE: type in 7:0; PHYSMASK: valid bit 11; both with
		 * bits above MAXPHYADDR reserved (Vol. 3A 11.11.2.3). */
		bool base = !((idx - MSR_MTRR_VAR0) & 1);
		if (v >> 40)
			goto bad;
		if (base ? ((v & 0xf00) || !mtype_ok(v & 0xff, false)) : (v & 0x7ff))
			goto bad;
		c->mtrr_var[idx - MSR_MTRR_VAR0] = v;
		return 0;
	}
	k = fixed_index(idx);
	if (k >= 0) {
		for (int b = 0; b < 8; b++)
			if (!mtype_ok((uint8_t)(v >> (8 * b)), false))
				goto bad;
		c->mtrr_fixed[k] = v;
		return 0;
	}
	if (idx >= MSR_KVM_FIRST && idx <= MSR_KVM_LAST) {
		c->kvm_msr[idx - MSR_KVM_FIRST] = v;
		kvmclock_wrmsr(c, idx, v);
		return 0;
	}
	pr_guest("x86emu: cpu%d: wrmsr of unknown MSR %#x (value %#llx) -> #GP", c->index, idx,
		 (unsigned long long)v);
	return -1;
bad:
	pr_guest("x86emu: cpu%d: wrmsr %#x: reserved value %#llx -> #GP", c->index, idx,
		 (unsigned long long)v);
	return -1;
}
