/* Helpers shared by the system half of the software CPU (mmu.c seg.c
 * intr.c sys.c msr.c cpuid.c api.c); not part of the cpu.h contract. */
#ifndef RINGVM_CPU_X86_SYSTEM_H
#define RINGVM_CPU_X86_SYSTEM_H

#include "cpu/x86/cpu.h"

/* Soft TLB tag and phys low bits (mmu.c). A tag is the linear page |
 * TLB_VALID | TLB_USERTAG when filled for a CPL-3 access. */
#define TLB_VALID    1ULL
#define TLB_USERTAG  2ULL
#define TLB_GLOBAL   1ULL       /* in phys: G page with CR4.PGE */
#define TLB_MMIO     2ULL       /* in phys: not RAM, never a host pointer */
#define TLB_SZ_SHIFT 2          /* in phys: page size class */
enum { TLB_SZ_4K, TLB_SZ_2M, TLB_SZ_4M };

/* CR bits not in x86-regs.h (SDM Vol. 3A 2.5). */
#define CR0_MP (1ULL << 1)
#define CR0_EM (1ULL << 2)
#define CR0_TS (1ULL << 3)
#define CR0_AM (1ULL << 18)
#define CR0_NW (1ULL << 29)
#define CR0_CD (1ULL << 30)
#define CR4_VME (1ULL << 0)
#define CR4_PVI (1ULL << 1)
#define CR4_TSD (1ULL << 2)
#define CR4_DE  (1ULL << 3)
#define CR4_PSE (1ULL << 4)
#define CR4_MCE (1ULL << 6)
#define CR4_PGE (1ULL << 7)
#define CR4_PCE (1ULL << 8)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_PSE CR4_PSE
#define X86_CR4_PGE CR4_PGE

/* mmu.c */
uint64_t x86_seg_lin(struct x86_cpu *c, int seg, uint64_t off, int size, int acc);
uint64_t x86_phys_read(struct x86_cpu *c, uint64_t gpa, int size);
void x86_phys_write(struct x86_cpu *c, uint64_t gpa, int size, uint64_t v);
void x86_phys_write_bytes(struct x86_cpu *c, uint64_t gpa, const void *buf, int len);
int x86_translate(struct x86_cpu *c, uint64_t lin, int acc, uint64_t *phys);

/* seg.c: descriptor helpers used by intr.c and sys.c. */
struct x86_desc {
	uint32_t lo, hi;
};
/* Read the GDT/LDT descriptor for sel; faults vec with error code
 * (sel & ~3) | ext if it lies outside the table (SDM Vol. 3A 3.5.1).
 * Returns its linear address. */
uint64_t x86_desc_read(struct x86_cpu *c, uint16_t sel, struct x86_desc *d, int vec,
		       uint32_t ext);
#define DESC_TYPE(d) (((d)->hi >> 8) & 0xf)
#define DESC_S(d)    (((d)->hi >> 12) & 1)
#define DESC_DPL(d)  (((d)->hi >> 13) & 3)
#define DESC_P(d)    (((d)->hi >> 15) & 1)
#define DESC_L(d)    (((d)->hi >> 21) & 1)
#define DESC_DB(d)   (((d)->hi >> 22) & 1)
/* Code segment: S=1 and type bit 3; conforming is type bit 2. */
#define DESC_CODE(d) (DESC_S(d) && (DESC_TYPE(d) & 8))
#define DESC_CONFORMING(d) (DESC_TYPE(d) & 4)
/* Fill a cached segment from a descriptor. */
void x86_desc_to_seg(const struct x86_desc *d, uint16_t sel, struct x86_seg *s);
/* 16-byte system descriptor's high base (long mode TSS/LDT/gates). */
uint64_t x86_desc_read_hi(struct x86_cpu *c, uint64_t lin);
void x86_desc_set_accessed(struct x86_cpu *c, uint64_t lin, struct x86_desc *d);
/* Load CS for a far transfer target already checked by the caller. */
void x86_set_cs(struct x86_cpu *c, uint16_t sel, const struct x86_desc *d, int cpl);
/* Null-selector SS for long mode privilege changes (SDM Vol. 3A 6.14.4). */
void x86_seg_null(struct x86_seg *s, uint16_t sel);
/* After a privilege drop: data segments not accessible at the new CPL
 * become null (SDM Vol. 3A "RET"/"IRET" operation). */
void x86_seg_fix_outer(struct x86_cpu *c);

/* desc.c: LAR/LSL/VERR/VERW/ARPL and group 6, registered by seg.c. */
void x86_register_desc(void);

/* intr.c */
/* Inner stack for privilege level dpl from a 16/32-bit TSS (SDM Vol. 3A
 * 7.2.1); faults #TS(TR | ext) beyond the TSS limit. */
void x86_tss_stack(struct x86_cpu *c, int dpl, uint16_t *ss, uint64_t *sp, uint32_t ext);
/* 8 bytes at off in the 64-bit TSS (RSPn at 4 + 8n, ISTn at 0x1c + 8n). */
uint64_t x86_tss_read64(struct x86_cpu *c, unsigned off, uint32_t ext);
/* Check and load SS for a privilege change to cpl (CALL gate, interrupt):
 * #TS(sel | ext) for a bad selector, #SS(sel | ext) when not present. */
void x86_check_inner_ss(struct x86_cpu *c, uint16_t sel, int cpl, struct x86_seg *out,
			uint32_t ext);
/* Push onto a stack described by seg ss (not yet loaded) at privilege
 * cpl: returns the new stack pointer. size 2, 4 or 8. */
uint64_t x86_push_on(struct x86_cpu *c, const struct x86_seg *ss, uint64_t sp, int ssize,
		     int size, uint64_t v, int cpl, uint32_t err);

/* sys.c: control register writes with their checks; -1 means #GP(0). */
int x86_write_cr0(struct x86_cpu *c, uint64_t v);
int x86_write_cr3(struct x86_cpu *c, uint64_t v);
int x86_write_cr4(struct x86_cpu *c, uint64_t v);

/* msr.c */
void x86_msr_reset(struct x86_cpu *c);

/* cpuid.c */
uint32_t x86_cpuid_features_edx(void);

#endif
