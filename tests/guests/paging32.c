/* 32-bit paging without PAE (SDM Vol. 3A, 4.3 "32-Bit Paging"): a 4 MiB
 * page (CR4.PSE) and 4 KiB pages; page faults with the exact CR2 and
 * error code (4.7 "Page-Fault Exceptions"), CR0.WP at CPL 0 (4.6.1), the
 * accessed and dirty bits the CPU sets (4.8), and the TLB flushes the
 * SDM promises: INVLPG and a CR3 load (4.10.4.1).
 *
 * ringvm-test: needs-hw-kvm -- this project's KVM without VT-x/AMD-V
 * answers CR0.PG outside IA-32e mode with #GP(0), so 32-bit paging cannot
 * be tested there; emu and QEMU TCG give the output in paging32.expect. */
#include "rt.h"

#define PTE_P  0x001u
#define PTE_W  0x002u
#define PTE_U  0x004u
#define PTE_A  0x020u
#define PTE_D  0x040u
#define PDE_PS 0x080u   /* 4 MiB page (CR4.PSE=1) */

#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)

#define PF_P 0x1u       /* error code: protection violation (else not present) */
#define PF_W 0x2u       /* write access */

/* volatile: the CPU writes A and D behind the compiler's back. */
static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt[1024] __attribute__((aligned(4096)));   /* 4 MiB .. 8 MiB */

/* Physical pages used as test data (in the 4K-mapped range). */
#define PG(n)      (0x400000u + (n) * 0x1000u)
#define NP_PAGE    PG(5)    /* not present */
#define RO_PAGE    PG(6)    /* present, read-only */
#define AD_PAGE    PG(7)    /* accessed/dirty bits watched */
#define ALIAS_VA   PG(8)    /* remapped: PG(9) then PG(10) then PG(11) */
#define NP_4M_VA   0xc00000u /* PD[3] not present */
#define BIG_VA     0x800000u /* PD[2]: 4 MiB page onto physical 4 MiB */

static volatile uint32_t seen_cr2, seen_err, seen_eip, resume_eip, faults;

static void on_pf(struct isr_frame *f)
{
	uint32_t cr2;

	__asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
	seen_cr2 = cr2;
	seen_err = f->error;
	seen_eip = f->eip;
	faults++;
	f->eip = resume_eip;
}

static void flush(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

/* One access that must fault: prints what the handler saw, checks it. */
static void expect_pf(const char *what, uint32_t va, int write, uint32_t want_err)
{
	uint32_t at, n = faults, v = 0;

	if (write)
		__asm__ volatile("movl $1f, %0; movl $2f, resume_eip; 1: movl %2, (%1); 2:"
				 : "=&r"(at) : "r"(va), "r"(0x5a5a5a5au) : "memory");
	else
		__asm__ volatile("movl $1f, %0; movl $2f, resume_eip; 1: movl (%2), %1; 2:"
				 : "=&r"(at), "+r"(v) : "r"(va) : "memory");
	if (faults != n + 1)
		fail("%s: no page fault", what);
	printf("%s %08x: #PF cr2 %08x error %x eip %s\n", what, va, seen_cr2, seen_err,
	       seen_eip == at ? "at insn" : "WRONG");
	check(seen_cr2 == va);
	check(seen_err == want_err);
	check(seen_eip == at);
}

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }
static void wr(uint32_t va, uint32_t v) { *(volatile uint32_t *)va = v; }

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t cr0, cr4;

	(void)magic, (void)info;
	idt_init();
	idt_set_handler(14, on_pf);

	/* Test data in physical memory, written before paging is on. */
	wr(PG(9), 0x99999999);
	wr(PG(10), 0xaaaaaaaa);
	wr(PG(11), 0xbbbbbbbb);
	wr(RO_PAGE + 0x10, 0x600d600d);

	/* PD[0]: 4 MiB identity page over this image and low memory;
	 * PD[1]: page table for 4..8 MiB; PD[2]: 4 MiB page at 8 MiB onto
	 * physical 4 MiB; PD[3]: not present. */
	pd[0] = 0x000000 | PDE_PS | PTE_W | PTE_P;
	pd[1] = (uint32_t)pt | PTE_W | PTE_P;
	pd[2] = 0x400000 | PDE_PS | PTE_W | PTE_P;
	for (unsigned i = 0; i < 1024; i++)
		pt[i] = PG(i) | PTE_W | PTE_P;
	pt[5] = 0;                                   /* NP_PAGE */
	pt[6] = RO_PAGE | PTE_P;                     /* read-only */
	pt[7] = AD_PAGE | PTE_W | PTE_P;             /* A and D clear */
	pt[8] = PG(9) | PTE_W | PTE_P;               /* ALIAS_VA -> PG(9) */

	__asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("movl %0, %%cr4" :: "r"(cr4 | CR4_PSE));
	__asm__ volatile("movl %0, %%cr3" :: "r"(pd) : "memory");
	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
	cr0 |= CR0_PG | CR0_WP;
	__asm__ volatile("movl %0, %%cr0; jmp 1f; 1:" :: "r"(cr0) : "memory");
	printf("paging on: cr0.pg=%u cr0.wp=%u cr4.pse=%u\n", cr0 >> 31, (cr0 >> 16) & 1,
	       (cr4 | CR4_PSE) >> 4 & 1);

	/* Error code bits (SDM Vol. 3A, 4.7): P=0 for a not-present page,
	 * W/R=1 for a write, U/S=0 at CPL 0. CR2 is the linear address. */
	expect_pf("read  not-present 4K", NP_PAGE + 0x123, 0, 0);
	expect_pf("write not-present 4K", NP_PAGE + 0xffc, 1, PF_W);
	expect_pf("read  not-present 4M", NP_4M_VA + 0x1234, 0, 0);
	expect_pf("write not-present 4M", NP_4M_VA + 0x3ffffc, 1, PF_W);

	/* A supervisor write to a read-only page faults only with CR0.WP=1
	 * (SDM Vol. 3A, 4.6.1): error P|W. Reading it is fine. */
	check(rd(RO_PAGE + 0x10) == 0x600d600d);
	expect_pf("write read-only (wp=1)", RO_PAGE + 0x10, 1, PF_P | PF_W);
	check(rd(RO_PAGE + 0x10) == 0x600d600d);
	__asm__ volatile("movl %0, %%cr0" :: "r"(cr0 & ~CR0_WP) : "memory");
	wr(RO_PAGE + 0x10, 0x0dd0);
	__asm__ volatile("movl %0, %%cr0" :: "r"(cr0) : "memory");
	printf("write read-only (wp=0): no fault, reads back %x\n", rd(RO_PAGE + 0x10));
	check(rd(RO_PAGE + 0x10) == 0x0dd0);

	/* 4 MiB page: PD[2] maps 8 MiB onto physical 4 MiB, so PG(10) is
	 * visible at BIG_VA + 0xa000; a store there shows at the 4K mapping. */
	printf("4M page: %08x via %08x\n", rd(BIG_VA + 0xa000), BIG_VA + 0xa000);
	check(rd(BIG_VA + 0xa000) == 0xaaaaaaaa);
	wr(BIG_VA + 0xb004, 0x4d4d4d4d);
	check(rd(PG(11) + 4) == 0x4d4d4d4d);

	/* Accessed and dirty flags (SDM Vol. 3A, 4.8): a read sets A in
	 * the PTE, a write sets D; the PDE that references a page table gets
	 * A; the PDE of a 4 MiB page gets A and D. */
	check(!(pt[7] & (PTE_A | PTE_D)));
	(void)rd(AD_PAGE + 8);
	printf("after read:  pte a=%u d=%u\n", pt[7] >> 5 & 1, pt[7] >> 6 & 1);
	check((pt[7] & (PTE_A | PTE_D)) == PTE_A);
	wr(AD_PAGE + 8, 1);
	printf("after write: pte a=%u d=%u\n", pt[7] >> 5 & 1, pt[7] >> 6 & 1);
	check((pt[7] & (PTE_A | PTE_D)) == (PTE_A | PTE_D));
	printf("pde of the page table: a=%u; pde of the 4M page: a=%u d=%u\n",
	       pd[1] >> 5 & 1, pd[2] >> 5 & 1, pd[2] >> 6 & 1);
	check(pd[1] & PTE_A);
	check((pd[2] & (PTE_A | PTE_D)) == (PTE_A | PTE_D));

	/* INVLPG (SDM Vol. 3A, 4.10.4.1): after a PTE changes, INVLPG of
	 * the address makes the next access use the new translation. */
	printf("alias -> pg9: %08x\n", rd(ALIAS_VA));
	check(rd(ALIAS_VA) == 0x99999999);
	pt[8] = PG(10) | PTE_W | PTE_P;
	flush(ALIAS_VA);
	printf("alias -> pg10 after invlpg: %08x\n", rd(ALIAS_VA));
	check(rd(ALIAS_VA) == 0xaaaaaaaa);
	/* A CR3 load flushes all non-global translations (4.10.4.1). */
	pt[8] = PG(11) | PTE_W | PTE_P;
	__asm__ volatile("movl %%cr3, %%eax; movl %%eax, %%cr3" ::: "eax", "memory");
	printf("alias -> pg11 after cr3 reload: %08x\n", rd(ALIAS_VA));
	check(rd(ALIAS_VA) == 0xbbbbbbbb);
	/* Making a page not present: INVLPG, then the access faults. */
	pt[8] = 0;
	flush(ALIAS_VA);
	expect_pf("read  unmapped alias", ALIAS_VA + 0x40, 0, 0);

	check(faults == 6);
	pass();
}
