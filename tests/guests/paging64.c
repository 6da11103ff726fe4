/* 4-level paging in IA-32e mode (SDM Vol. 3A, 4.5 "4-Level Paging"):
 * 2 MiB and 4 KiB pages; page faults with the exact CR2 (a 64-bit one
 * too) and error code (4.7) for a not-present page, an instruction fetch
 * from an execute-disable page (EFER.NXE, 4.6.2), a ring-3 access to a
 * supervisor page and a ring-3 write to a read-only page (4.6.1),
 * reserved bits set in paging-structure entries (4.5.4, 4.7: RSVD),
 * the accessed/dirty flags at every level (4.8), and the register state
 * of a REP string instruction that faults half-way. The C code runs in
 * compatibility mode at CPL 0 (see lib/long64.h); ring 3 is entered with
 * IRETQ.
 *
 * QEMU 7.2 TCG reports the reserved-bit faults with error 8/0xa (RSVD
 * without P); the SDM (4.7: "bit 3 of the error code can be set only if
 * bit 0 is also set") and KVM say 9/0xb. */
#include "rt.h"
#include "long64.h"

#define PTE_P   0x001ull
#define PTE_W   0x002ull
#define PTE_U   0x004ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PS  0x080ull
#define PTE_XD  (1ull << 63)

#define EFER_NXE (1u << 11)

/* Error code bits (SDM Vol. 3A, 4.7, Figure 4-12). */
#define PF_P    0x01
#define PF_W    0x02
#define PF_U    0x04
#define PF_RSVD 0x08
#define PF_ID   0x10

#define PG(n)     (0x400000u + (n) * 0x1000u)   /* 4 KiB pages, PD[2] */
#define NP_PAGE   PG(5)
#define NX_PAGE   PG(6)
#define SUP_PAGE  PG(7)
#define USR_PAGE  PG(8)
#define RO_PAGE   PG(9)          /* user, read-only */
#define RSVD_2M   0x600000u      /* PD[3]: 2 MiB page with bit 13 set */
#define ALIAS_2M  0x800000u      /* PD[4]: 2 MiB page onto physical 4 MiB */

static volatile uint64_t pml4[512] __attribute__((aligned(4096)));
static volatile uint64_t pdpt[512] __attribute__((aligned(4096)));
static volatile uint64_t pd[512] __attribute__((aligned(4096)));
static volatile uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));

/* Read by the ring-3 and 64-bit snippets below. */
volatile uint32_t user_arg;
volatile uint64_t addr64;

void user_read(void), user_write(void), user_exec(void), read64(void);
__asm__(".text\n.code32\n"
	/* Ring 3, compatibility mode. IRETQ to CPL 3 left DS/ES null
	 * (DPL 0 data), so load the user data segment first. */
	"user_read:  movw $0x33, %ax; movw %ax, %ds; movw %ax, %es\n"
	"            movl user_arg, %ebx; movl (%ebx), %eax; ud2\n"
	"user_write: movw $0x33, %ax; movw %ax, %ds; movw %ax, %es\n"
	"            movl user_arg, %ebx; movl %eax, (%ebx); ud2\n"
	"user_exec:  movw $0x33, %ax; movw %ax, %ds; movw %ax, %es\n"
	"            movl user_arg, %ebx; jmp *%ebx\n"
	".code64\n"
	"read64:     movq addr64(%rip), %rax; movq (%rax), %rax; ret\n"
	".code32\n");

static void report(const char *what, uint64_t va, uint32_t at, uint64_t want_err)
{
	printf("%s %llx: vector %u cr2 %llx error %llx rip %s\n", what, (unsigned long long)va,
	       (unsigned)lm_last.vec, lm_last.cr2, lm_last.err,
	       lm_last.rip == at ? "at insn" : "WRONG");
	check(lm_last.vec == 14);
	check(lm_last.cr2 == va);
	check(lm_last.err == want_err);
	check(lm_last.rip == at);
}

/* An access from CPL 0 compatibility mode that must fault. */
static void k_access(const char *what, uint32_t va, int kind, uint64_t want_err)
{
	uint32_t at = 0, n = lm_count, v = 0;

	if (kind == 0)
		__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
				 "movl $1f, %0; 1: movl (%2), %1; 2:"
				 : "=&b"(at), "+S"(v) : "D"(va) : "eax", "ecx", "edx", "memory");
	else if (kind == 1)
		__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
				 "movl $1f, %0; 1: movl %1, (%2); 2:"
				 : "=&b"(at) : "S"(v), "D"(va) : "eax", "ecx", "edx", "memory");
	else
		/* The fetch at va faults: RIP = CR2 = va. */
		__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
				 "movl %1, %0; call *%1; 2:"
				 : "=&b"(at) : "D"(va) : "eax", "ecx", "edx", "esi", "memory");
	check(lm_count == n + 1);
	report(what, va, at, want_err);
}

static void u_access(const char *what, void (*fn)(void), uint32_t va, uint32_t at,
		     uint64_t want_err)
{
	uint32_t n = lm_count;

	user_arg = va;
	lm_user_call((uint32_t)fn, (uint32_t)ustack + sizeof(ustack), 0x2b, 0, 2);
	check(lm_count == n + 1);
	report(what, va, at, want_err);
	printf("  from cs %llx (cpl %u)\n", lm_last.cs, (unsigned)(lm_last.cs & 3));
	check(lm_last.cs == 0x2b);
}

/* REP MOVSB running into a not-present page: the fault comes at the first
 * byte there, with ECX, ESI and EDI describing the remaining iterations and
 * the bytes before it already copied, so that the instruction can resume
 * (SDM Vol. 2B, REP: "the state of the registers is preserved to allow the
 * string operation to be resumed"). Then REP STOSB with DF=1 running down
 * into the not-present page. */
static void rep_faults(void)
{
	static uint8_t src[32];
	uint32_t n = lm_count, at;

	for (unsigned i = 0; i < 32; i++)
		src[i] = (uint8_t)(0x40 + i);
	memset((void *)(NP_PAGE - 0x10), 0, 0x10);
	__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
			 "movl $1f, %%ebx; movl $32, %%ecx; 1: rep movsb; 2:"
			 : "=b"(at) : "S"(src), "D"(NP_PAGE - 0x10)
			 : "eax", "ecx", "edx", "memory");
	check(lm_count == n + 1);
	report("rep movsb into not-present", NP_PAGE, at, PF_W);
	printf("  ecx %x, esi = src+%x, edi %llx, bytes before the page copied: %s\n",
	       (unsigned)lm_last.rcx, (unsigned)(lm_last.rsi - (uint32_t)src), lm_last.rdi,
	       memcmp((void *)(NP_PAGE - 0x10), src, 0x10) == 0 ? "yes" : "no");
	check(lm_last.rcx == 0x10 && lm_last.rsi == (uint32_t)src + 0x10 && lm_last.rdi == NP_PAGE);
	check(memcmp((void *)(NP_PAGE - 0x10), src, 0x10) == 0);

	n = lm_count;
	__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
			 "movl $1f, %%ebx; movl $32, %%ecx; movb $0xc3, %%al; std; 1: rep stosb; 2: cld"
			 : "=b"(at) : "D"(NX_PAGE + 8)
			 : "eax", "ecx", "edx", "memory", "cc");
	__asm__ volatile("cld");
	check(lm_count == n + 1);
	report("rep stosb (df=1) down into not-present", NP_PAGE + 0xfff, at, PF_W);
	printf("  ecx %x, edi %llx\n", (unsigned)lm_last.rcx, lm_last.rdi);
	check(lm_last.rcx == 32 - 9 && lm_last.rdi == NP_PAGE + 0xfff);
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t r[4];

	(void)magic, (void)info;
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 20)))
		fail("no execute-disable bit (cpuid 0x80000001 edx.nx)");

	/* Everything user-accessible unless a test says otherwise. */
	for (unsigned i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PS | PTE_U | PTE_W | PTE_P;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = PG(i) | PTE_U | PTE_W | PTE_P;
	pd[2] = (uint32_t)pt | PTE_U | PTE_W | PTE_P;
	pt[5] = 0;
	pt[6] |= PTE_XD;
	pt[7] &= ~PTE_U;
	pt[9] &= ~PTE_W;
	/* 2 MiB PDE: bits 20:13 are reserved (SDM Vol. 3A, 4.5.4, Table 4-17). */
	pd[3] = RSVD_2M | (1ull << 13) | PTE_PS | PTE_U | PTE_W | PTE_P;
	pd[4] = 0x400000 | PTE_PS | PTE_U | PTE_W | PTE_P;
	pdpt[0] = (uint32_t)pd | PTE_U | PTE_W | PTE_P;
	pml4[0] = (uint32_t)pdpt | PTE_U | PTE_W | PTE_P;
	/* PS (bit 7) is reserved in a PML4E (Table 4-15). */
	pml4[1] = (uint32_t)pdpt | PTE_PS | PTE_U | PTE_W | PTE_P;

	*(volatile uint8_t *)NX_PAGE = 0xc3;        /* ret */
	*(volatile uint8_t *)SUP_PAGE = 0xc3;
	*(volatile uint32_t *)USR_PAGE = 0x05e7da7a;

	lm_enter((uint32_t)pml4, EFER_NXE);
	*(volatile uint64_t *)(lm_tss + 4) = (uint32_t)kstack + sizeof(kstack);   /* RSP0 */
	printf("IA-32e mode, 4-level paging, EFER.NXE=1\n");

	/* Plain accesses that work: 4K page, and the same bytes through a
	 * 2 MiB page. */
	check(*(volatile uint32_t *)USR_PAGE == 0x05e7da7a);
	printf("2M alias of %x: %x\n", USR_PAGE, *(volatile uint32_t *)(ALIAS_2M + 0x8000));
	check(*(volatile uint32_t *)(ALIAS_2M + 0x8000) == 0x05e7da7a);

	/* Accessed and dirty flags at every level (SDM Vol. 3A, 4.8): a read
	 * through the 2 MiB alias sets A in the PML4E, PDPTE and PDE; a write
	 * sets D in the PDE that maps the page; D is not a flag of the upper
	 * levels (4.5.4, Tables 4-15, 4-17). A CR3 load flushes the cached
	 * translation so that the CPU walks the tables again. */
	pml4[0] &= ~PTE_A;
	pdpt[0] &= ~PTE_A;
	pd[4] &= ~(PTE_A | PTE_D);
	__asm__ volatile("movl %%cr3, %%eax; movl %%eax, %%cr3" ::: "eax", "memory");
	(void)*(volatile uint32_t *)(ALIAS_2M + 0x10);
	printf("after read:  pml4e a=%u pdpte a=%u pde a=%u d=%u\n", (unsigned)(pml4[0] >> 5 & 1),
	       (unsigned)(pdpt[0] >> 5 & 1), (unsigned)(pd[4] >> 5 & 1), (unsigned)(pd[4] >> 6 & 1));
	check((pml4[0] & PTE_A) && (pdpt[0] & PTE_A) && (pd[4] & (PTE_A | PTE_D)) == PTE_A);
	*(volatile uint32_t *)(ALIAS_2M + 0x10) = 0;
	printf("after write: pde a=%u d=%u\n", (unsigned)(pd[4] >> 5 & 1), (unsigned)(pd[4] >> 6 & 1));
	check((pd[4] & (PTE_A | PTE_D)) == (PTE_A | PTE_D));

	/* Not present: P=0; W/R for writes; I/D for fetches (4.7). */
	k_access("read  not-present", NP_PAGE + 0x123, 0, 0);
	k_access("write not-present", NP_PAGE + 0xff8, 1, PF_W);
	k_access("fetch not-present", NP_PAGE + 0x10, 2, PF_ID);

	/* XD=1 with EFER.NXE=1: reads are fine, a fetch faults with P|I/D
	 * (4.6.2). */
	check(*(volatile uint8_t *)NX_PAGE == 0xc3);
	k_access("fetch execute-disable", NX_PAGE, 2, PF_ID | PF_P);

	/* Reserved bits: RSVD|P, plus W/R for a write (4.7). */
	k_access("read  reserved-bit 2M pde", RSVD_2M + 0x1234, 0, PF_RSVD | PF_P);
	k_access("write reserved-bit 2M pde", RSVD_2M + 0x8, 1, PF_RSVD | PF_W | PF_P);

	rep_faults();

	/* 64-bit linear addresses: CR2 holds all 64 bits. PML4[256] is not
	 * present; PML4[1] has the reserved PS bit. */
	addr64 = 0xffff800000001234ull;
	check(lm_try64((uint32_t)read64) == 1);
	report("read  not-present (64-bit)", addr64, lm_last.rip, 0);
	printf("  rip in read64: %s\n", lm_last.rip > (uint32_t)read64 &&
	       lm_last.rip < (uint32_t)read64 + 16 ? "yes" : "no");
	addr64 = 0x8000000000ull + 0x5678;
	check(lm_try64((uint32_t)read64) == 1);
	report("read  reserved-bit pml4e (64-bit)", addr64, lm_last.rip, PF_RSVD | PF_P);

	/* Ring 3: a supervisor page (U/S=0 in the PTE) faults with U/S=1 in
	 * the error code (4.6.1); a user page does not (the snippet then
	 * reaches its UD2). */
	user_arg = USR_PAGE;
	lm_user_call((uint32_t)user_read, (uint32_t)ustack + sizeof(ustack), 0x2b, 0, 2);
	printf("ring 3 read of a user page: vector %u\n", (unsigned)lm_last.vec);
	check(lm_last.vec == 6);
	u_access("ring 3 read  supervisor page", user_read, SUP_PAGE + 0x40,
		 (uint32_t)user_read + 14, PF_U | PF_P);
	u_access("ring 3 write supervisor page", user_write, SUP_PAGE + 0x40,
		 (uint32_t)user_write + 14, PF_U | PF_W | PF_P);
	u_access("ring 3 fetch supervisor page", user_exec, SUP_PAGE,
		 SUP_PAGE, PF_U | PF_ID | PF_P);
	u_access("ring 3 write read-only page", user_write, RO_PAGE + 0x80,
		 (uint32_t)user_write + 14, PF_U | PF_W | PF_P);
	u_access("ring 3 read  not-present", user_read, NP_PAGE + 4,
		 (uint32_t)user_read + 14, PF_U);

	check(lm_count == 16);
	pass();
}
