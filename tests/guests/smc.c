/* Self-modifying code. The SDM (Vol. 3A, "Self-Modifying Code", 11.6 in
 * older editions, and "Handling Self- and Cross-Modifying Code", 8.1.3)
 * says a write to a code byte is checked against instructions already
 * fetched, by physical address, and the modified instruction is the one
 * that executes (P6 and later invalidate the prefetch queue). An emulator
 * that caches decoded instructions must therefore notice every store to
 * code: this guest writes into an instruction that already ran (in a
 * loop), into the very next instruction, a few instructions ahead in
 * the same block, into a buffer of code that is executed, rewritten and
 * executed again, with every kind of instruction that stores (ALU
 * read-modify-write, locked, XCHG, CMPXCHG(8B), string, PUSH/CALL onto a
 * stack inside the code, POP to memory, bit ops, SETcc, shifts), into an
 * instruction that straddles a page boundary, and
 * through a second virtual mapping of the same physical page. */
#include "rt.h"

uint32_t smc_loop(void), smc_next(void), smc_ahead(void);
uint32_t smc_writers(uint8_t *code, uint32_t *out);
extern const char smc_call_ret[];
void copy_code(void *dst, const void *src, unsigned n);
extern const uint8_t tpl_mov_ret[6], tpl_inc3_ret[6];

typedef uint32_t (*fn_t)(void);

/* Buffer for generated code, in RAM (no paging yet). */
static uint8_t buf[8192] __attribute__((aligned(4096)));

/* 4-level paging in IA-32e mode (SDM Vol. 3A, 4.5), staying in
 * compatibility mode so that this 32-bit code keeps running (as in
 * longmode.c, without the jump to a 64-bit segment): 2 MiB pages, except
 * 6..8 MiB, mapped by a page table with two aliases of one frame.
 * (Legacy 32-bit paging would do, but KVM without VT-x/AMD-V here
 * refuses CR0.PG outside IA-32e mode.) */
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
#define ALIAS_PHYS 0x600000u
#define VA_EXEC    0x600000u     /* PTE 0 -> ALIAS_PHYS */
#define VA_WRITE   0x601000u     /* PTE 1 -> ALIAS_PHYS as well */

static void set_imm(uint8_t *p, uint32_t v)
{
	/* Byte stores, so that a straddling immediate is written in pieces. */
	for (int i = 0; i < 4; i++)
		((volatile uint8_t *)p)[i] = (uint8_t)(v >> (8 * i));
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t v, sum;
	fn_t f;

	(void)magic, (void)info;
	idt_init();

	v = smc_loop();
	printf("loop rewriting its own immediate: sum %u\n", v);
	check(v == 10);
	v = smc_loop();
	printf("same loop again: sum %u\n", v);
	check(v == 10);

	v = smc_next();
	printf("store into the next instruction: %x\n", v);
	check(v == 0x42);
	v = smc_ahead();
	printf("store three instructions ahead: %x\n", v);
	check(v == 0x11223344);

	/* Copy, run, overwrite, run again: same length, then different. */
	f = (fn_t)(void *)buf;
	copy_code(buf, tpl_mov_ret, sizeof(tpl_mov_ret));
	v = f();
	printf("buffer: first code returns %u\n", v);
	check(v == 1);
	set_imm(buf + 1, 2);
	v = f();
	printf("buffer: new immediate returns %u\n", v);
	check(v == 2);
	copy_code(buf, tpl_inc3_ret, sizeof(tpl_inc3_ret));
	v = f();
	printf("buffer: different instructions return %u\n", v);
	check(v == 3);
	copy_code(buf, tpl_mov_ret, sizeof(tpl_mov_ret));
	sum = 0;
	for (uint32_t i = 0; i < 50; i++) {
		set_imm(buf + 1, i);
		sum += f();
	}
	printf("buffer rewritten 50 times: sum %u\n", sum);
	check(sum == 50 * 49 / 2);

	/* Every kind of store into code that has run (smc-asm.S). */
	{
		static const char *const how[16] = {
			"mov", "add", "lock inc", "xchg", "lock cmpxchg", "stos", "push",
			"bts", "sete", "pop to memory", "lock cmpxchg8b", "neg", "rol",
			"xadd", "inc byte", "call (return address)",
		};
		const uint32_t want[16] = {
			0, 5, 6, 0x100, 0x200, 0x300, 0x400, 0xc00, 0xc01, 0x500, 0x600,
			0xfffffa00, 0xfffa00ff, 0xfffa1333, 0xfffb1333, (uint32_t)smc_call_ret,
		};
		uint32_t out[16];

		copy_code(buf + 256, tpl_mov_ret, sizeof(tpl_mov_ret));
		check(smc_writers(buf + 256, out) == 16);
		for (unsigned i = 0; i < 16; i++) {
			printf("store by %s: %s\n", how[i], out[i] == want[i] ? "seen" : "MISSED");
			if (out[i] != want[i])
				fail("store by %s: code returned %x, want %x", how[i], out[i], want[i]);
		}
	}

	/* An instruction whose immediate straddles a page boundary: the
	 * opcode and one byte in the first page, three bytes in the next. */
	f = (fn_t)(void *)(buf + 4096 - 2);
	copy_code(buf + 4096 - 2, tpl_mov_ret, sizeof(tpl_mov_ret));
	set_imm(buf + 4096 - 1, 0x01020304);
	v = f();
	printf("straddling instruction: %x\n", v);
	check(v == 0x01020304);
	buf[4096 + 2] = 0x77;   /* only bytes in the second page change */
	v = f();
	printf("straddling instruction, second page rewritten: %x\n", v);
	check(v == 0x77020304);
	/* One unaligned 4-byte store across the boundary, into both pages. */
	*(volatile uint32_t *)(buf + 4096 - 1) = 0x0a0b0c0d;
	v = f();
	printf("straddling instruction, straddling store: %x\n", v);
	check(v == 0x0a0b0c0d);

	/* Two virtual pages, one physical frame: code written through one
	 * mapping is executed through the other. */
	for (unsigned i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;          /* 2 MiB, W, P */
	pd[3] = (uint32_t)pt | 0x3;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = (ALIAS_PHYS + i * 4096ull) | 0x3;
	pt[1] = ALIAS_PHYS | 0x3;                            /* the alias */
	pdpt[0] = (uint32_t)pd | 0x3;
	pml4[0] = (uint32_t)pdpt | 0x3;
	/* SDM Vol. 3A, 10.8.5: CR4.PAE, CR3, EFER.LME, then CR0.PG. The IDT
	 * of rt.c is not valid in IA-32e mode: a fault from here on is a
	 * triple fault, which the test runner reports as a failure too. */
	__asm__ volatile("cli; movl %%cr4, %%eax; orl $0x20, %%eax; movl %%eax, %%cr4;"
			 "movl %0, %%cr3;"
			 "movl $0xc0000080, %%ecx; rdmsr; orl $0x100, %%eax; wrmsr;"
			 "movl %%cr0, %%eax; orl $0x80000000, %%eax; movl %%eax, %%cr0; jmp 1f; 1:"
			 :: "r"(pml4) : "eax", "ecx", "edx", "memory");
	printf("IA-32e paging on, %x and %x map one frame\n", VA_EXEC, VA_WRITE);
	f = (fn_t)(void *)VA_EXEC;
	copy_code((void *)VA_WRITE, tpl_mov_ret, sizeof(tpl_mov_ret));
	v = f();
	printf("alias: written via %x, run via %x: %u\n", VA_WRITE, VA_EXEC, v);
	check(v == 1);
	set_imm((uint8_t *)VA_WRITE + 1, 0xa2);
	v = f();
	printf("alias: immediate rewritten via the other mapping: %x\n", v);
	check(v == 0xa2);
	copy_code((void *)VA_WRITE, tpl_inc3_ret, sizeof(tpl_inc3_ret));
	v = f();
	printf("alias: new instructions via the other mapping: %u\n", v);
	check(v == 3);
	/* And the other way round: run via the write alias, write via exec. */
	f = (fn_t)(void *)VA_WRITE;
	copy_code((void *)VA_EXEC, tpl_mov_ret, sizeof(tpl_mov_ret));
	set_imm((uint8_t *)VA_EXEC + 1, 0xb3);
	v = f();
	printf("alias: reversed roles: %x\n", v);
	check(v == 0xb3);
	sum = 0;
	for (uint32_t i = 0; i < 20; i++) {
		set_imm((uint8_t *)VA_EXEC + 1, i);
		sum += f();
		set_imm((uint8_t *)VA_WRITE + 1, 100 + i);
		sum += ((fn_t)(void *)VA_EXEC)();
	}
	printf("alias: 40 alternating rewrites: sum %u\n", sum);
	check(sum == 190 + 20 * 100 + 190);
	pass();
}
