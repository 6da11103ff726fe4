/* The guest-visible CPUID: exactly what the software CPU implements.
 *
 * References: Intel SDM Vol. 2A "CPUID" (leaves 0, 1, 7, 0x80000000-8),
 * AMD CPUID Specification #25481 (extended leaves, AMD vendor), Linux
 * Documentation/virt/kvm/x86/cpuid.rst (0x40000000 hypervisor leaves).
 *
 * Vendor: "AuthenticAMD" keeps Linux from enabling PTI and from trusting
 * Intel-only leaves 0x15/0x16 (EMU-NOTES "CPUID that boots"). The family /
 * model / stepping are those of a K8-class CPU (family 0Fh, extended model
 * 6, model 0Bh), the signature QEMU's generic x86-64 model uses, so the
 * guest takes well-trodden paths. */
#include <stdlib.h>
#include <string.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/kvmclock.h"
#include "cpu/x86/kvmpv.h"
#include "cpu/x86/system.h"

/* Leaf 1 EDX (SDM Vol. 2A Table 3-11). */
#define F1D_FPU   (1u << 0)
#define F1D_DE    (1u << 2)
#define F1D_PSE   (1u << 3)
#define F1D_TSC   (1u << 4)
#define F1D_MSR   (1u << 5)
#define F1D_PAE   (1u << 6)
#define F1D_CX8   (1u << 8)
#define F1D_APIC  (1u << 9)
#define F1D_SEP   (1u << 11)
#define F1D_MTRR  (1u << 12)
#define F1D_PGE   (1u << 13)
#define F1D_CMOV  (1u << 15)
#define F1D_PAT   (1u << 16)
#define F1D_CLFSH (1u << 19)
#define F1D_MMX   (1u << 23)
#define F1D_FXSR  (1u << 24)
#define F1D_SSE   (1u << 25)
#define F1D_SSE2  (1u << 26)
/* Leaf 1 ECX (Table 3-10). */
#define F1C_CX16   (1u << 13)
#define F1C_MOVBE  (1u << 22)
#define F1C_POPCNT (1u << 23)
#define F1C_TSC_DEADLINE (1u << 24) /* the platform's LAPIC has it (src/hw/lapic.c) */
#define F1C_HYPERVISOR (1u << 31)
/* Leaf 0x80000001 (AMD #25481; SDM Table 3-8). */
#define F81C_LAHF (1u << 0)
#define F81C_ABM  (1u << 5)   /* LZCNT */
#define F81D_SYSCALL (1u << 11)
#define F81D_NX   (1u << 20)
#define F81D_RDTSCP (1u << 27)
#define F81D_LM   (1u << 29)

/* Implemented by this CPU: PSE/PAE/PGE/NX paging (mmu.c), SYSENTER and
 * SYSCALL (sys.c), MSR/TSC/MTRR/PAT registers (msr.c), CMOV/CX8/CX16/
 * POPCNT/MOVBE/LZCNT and LAHF in 64-bit mode (core ISA), x87/FXSR/SSE/SSE2
 * and CLFLUSH (fp). MMX is left out: sse.c makes its encodings #UD;
 * DE means CR4.DE (DR4/DR5 #UD), which sys.c honours. */
#define LEAF1_EDX (F1D_FPU | F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE | F1D_CX8 | \
		   F1D_APIC | F1D_SEP | F1D_MTRR | F1D_PGE | F1D_CMOV | F1D_PAT | \
		   F1D_CLFSH | F1D_FXSR | F1D_SSE | F1D_SSE2)
#define LEAF1_ECX (F1C_CX16 | F1C_MOVBE | F1C_POPCNT | F1C_TSC_DEADLINE | F1C_HYPERVISOR)
/* AMD repeats the leaf-1 EDX bits 0-9, 12-17, 23-24 in 0x80000001 EDX. */
#define AMD_DUP_MASK (0x3ffu | (0x3fu << 12) | (3u << 23))
#define LEAF81_EDX ((LEAF1_EDX & AMD_DUP_MASK) | F81D_SYSCALL | F81D_NX | F81D_RDTSCP | F81D_LM)
#define LEAF81_ECX (F81C_LAHF | F81C_ABM)

#define SIGNATURE 0x00060fb1u  /* family 0Fh, ext. model 6, model 0Bh, stepping 1 */
#define MAX_BASIC 0x7u
#define MAX_EXT   0x80000008u
#define MAX_HV    0x40000010u

static void put_str(uint32_t *out, const char *s)
{
	memcpy(out, s, 4);
}

uint32_t x86_cpuid_features_edx(void)
{
	return LEAF1_EDX;
}

void x86_cpuid_query(struct x86_cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	static const char brand[48] = "ringvm software CPU";

	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case 0:
	case 0x80000000:
		out[0] = leaf ? MAX_EXT : MAX_BASIC;
		/* Vendor string in EBX, EDX, ECX order. */
		put_str(&out[1], "Auth");
		put_str(&out[3], "enti");
		put_str(&out[2], "cAMD");
		break;
	case 1:
		out[0] = SIGNATURE;
		/* EBX: initial APIC id 31:24, one logical processor (HTT is
		 * clear, so 23:16 is not used), CLFLUSH line 8 * 8 bytes. */
		out[1] = ((uint32_t)c->index << 24) | (1u << 16) | (8u << 8);
		out[2] = LEAF1_ECX;
		out[3] = LEAF1_EDX;
		break;
	case 7:
		/* No structured extended features; max sub-leaf 0. */
		break;
	case 0x40000000:
		out[0] = MAX_HV;
		put_str(&out[1], "KVMK");
		put_str(&out[2], "VMKV");
		put_str(&out[3], "M\0\0\0");
		break;
	case 0x40000001:
		/* KVM paravirtual features: the clock (kvmclock.c), whose TSC
		 * is stable across vCPUs (one shared origin); PV EOI and PV
		 * unhalt where the platform behind this CPU implements them
		 * (kvmpv.c). RINGVM_NO_KVMCLOCK, RINGVM_NO_PVEOI and
		 * RINGVM_NO_PVUNHALT in the environment hide one each, so
		 * bench/boot.py can show what it buys. */
		if (!getenv("RINGVM_NO_KVMCLOCK"))
			out[0] = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE;
		out[0] |= kvmpv_features(c);
		break;
	case 0x40000010:
		/* Hypervisor timing leaf: TSC and local APIC bus rates in kHz,
		 * so a guest need not calibrate either. */
		out[0] = (uint32_t)kvmclock_tsc_khz();
		out[1] = 1000000; /* PLATFORM_APIC_BUS_HZ: 1 GHz */
		break;
	case 0x80000001:
		out[0] = SIGNATURE;
		out[2] = LEAF81_ECX;
		out[3] = LEAF81_EDX;
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		memcpy(out, brand + (leaf - 0x80000002) * 16, 16);
		break;
	case 0x80000007:
		/* No invariant-TSC bit (EDX[8]), though the TSC is invariant:
		 * with it Linux demotes kvm-clock below the TSC (arch/x86/
		 * kernel/kvmclock.c, rating 299 on constant+nonstop TSCs), and
		 * kvm-clock is the clock this platform documents. Its stable
		 * bit already tells the guest the TSC does not drift. */
		break;
	case 0x80000008:
		/* 40 physical, 48 linear address bits; one core. EBX bit 2
		 * (XSaveErPtr, AMD #25481): fxsave.c always saves and restores
		 * FIP/FDP, so Linux needs no X86_BUG_FXSAVE_LEAK workaround
		 * (which runs EMMS, an MMX instruction we do not have). */
		out[0] = 40 | (48 << 8);
		out[1] = 1u << 2;
		break;
	default:
		/* AMD returns zeros above the maximum leaf. */
		break;
	}
	(void)sub;
}
