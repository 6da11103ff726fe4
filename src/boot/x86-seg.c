/* Segment, descriptor-table and paging state for the boot vCPU. */
#include <errno.h>
#include <string.h>
#include "ringvm/util.h"
#include "ringvm/x86-regs.h"
#include "boot/boot-int.h"

void x86_seg_flat(struct x86_segment *s, uint16_t sel, int code, int bits64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	/* Code: execute/read, accessed (0xb). Data: read/write, accessed
	 * (0x3). SDM vol. 3A, 3.4.5.1, table 3-1. */
	s->type = code ? 0xb : 0x3;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	/* A 64-bit code segment must have L=1 and D=0 (SDM vol. 3A, 5.2.1);
	 * everything else is a 32-bit segment. */
	s->l = code && bits64;
	s->db = !s->l;
}

/* The 8-byte descriptor that a segment register cache entry came from
 * (SDM vol. 3A, 3.4.5, figure 3-8). */
static uint64_t seg_to_desc(const struct x86_segment *s)
{
	uint32_t lim = s->g ? s->limit >> 12 : s->limit;
	uint64_t d;

	d = (lim & 0xffffULL) | (s->base & 0xffffffULL) << 16;
	d |= (uint64_t)(s->type & 0xf) << 40 | (uint64_t)(s->s & 1) << 44;
	d |= (uint64_t)(s->dpl & 3) << 45 | (uint64_t)(s->present & 1) << 47;
	d |= (uint64_t)((lim >> 16) & 0xf) << 48 | (uint64_t)(s->avl & 1) << 52;
	d |= (uint64_t)(s->l & 1) << 53 | (uint64_t)(s->db & 1) << 54;
	d |= (uint64_t)(s->g & 1) << 55 | ((s->base >> 24) & 0xffULL) << 56;
	return d;
}

int boot_setup_segments(struct guest_mem *m, struct vcpu_sregs *s, int bits64)
{
	uint8_t gdt[0x30];

	memset(gdt, 0, sizeof(gdt));
	x86_seg_flat(&s->cs, BOOT_SEL_CODE, 1, bits64);
	x86_seg_flat(&s->ds, BOOT_SEL_DATA, 0, bits64);
	s->es = s->fs = s->gs = s->ss = s->ds;

	/* VM entry needs a usable TR even though nothing will ever task
	 * switch: a busy TSS (type 0xb; 32-bit busy TSS in protected mode,
	 * 64-bit busy TSS in IA-32e mode), SDM vol. 3C, 26.3.1.2. */
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = BOOT_SEL_TSS;
	s->tr.limit = 0x67;
	s->tr.type = 0xb;
	s->tr.present = 1;

	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 0x2;
	s->ldt.unusable = 1;

	/* The descriptors in memory match the hidden parts loaded above, so a
	 * guest that reloads a selector gets the same segment. The TSS slot
	 * is 16 bytes so it is also a valid 64-bit system descriptor. */
	put_le64(gdt + BOOT_SEL_CODE, seg_to_desc(&s->cs));
	put_le64(gdt + BOOT_SEL_DATA, seg_to_desc(&s->ds));
	put_le64(gdt + BOOT_SEL_TSS, seg_to_desc(&s->tr));
	if (mem_write(m, BOOT_GDT_ADDR, gdt, sizeof(gdt)))
		return -EFAULT;
	s->gdt.base = BOOT_GDT_ADDR;
	s->gdt.limit = sizeof(gdt) - 1;
	/* Interrupts stay off until the kernel loads its own IDT. */
	s->idt.base = 0;
	s->idt.limit = 0;
	return 0;
}

int boot_setup_longmode(struct guest_mem *m, struct vcpu_sregs *s)
{
	const uint64_t pdpt = BOOT_PML4_ADDR + 0x1000, pd = BOOT_PML4_ADDR + 0x2000;
	uint8_t *t = mem_ptr(m, BOOT_PML4_ADDR, BOOT_PGTABLE_END - BOOT_PML4_ADDR);

	if (!t)
		return -EFAULT;
	memset(t, 0, BOOT_PGTABLE_END - BOOT_PML4_ADDR);
	/* PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 2 MiB
	 * pages: an identity map of [0, 4 GiB), which covers everything the
	 * 64-bit boot protocol wants mapped (boot.rst, "64-bit Boot
	 * Protocol"). Present|RW, PS for the 2 MiB leaves (SDM vol. 3A,
	 * 4.5, tables 4-15 to 4-18). */
	put_le64(t, pdpt | 0x3);
	for (int i = 0; i < 4; i++)
		put_le64(t + 0x1000 + i * 8, (pd + i * 0x1000ULL) | 0x3);
	for (int i = 0; i < 4 * 512; i++)
		put_le64(t + 0x2000 + i * 8, (uint64_t)i * 2 * MiB | 0x83);

	s->cr3 = BOOT_PML4_ADDR;
	s->cr4 = X86_CR4_PAE;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	/* LMA is normally set by the CPU when paging turns on with LME=1;
	 * we hand over the state after that transition (SDM vol. 3A, 9.8.5). */
	s->efer = X86_EFER_LME | X86_EFER_LMA;
	return 0;
}
