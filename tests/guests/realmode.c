/* Mode switches: from the 32-bit multiboot entry down to real mode and
 * back (realmode-asm.S), with real-mode code that installs an IVT entry
 * and takes an INT through it, does 16-bit arithmetic and segment:offset
 * addressing (bases above 64 KiB and above 1 MiB), and writes to COM1.
 * The real-mode code stores what it saw at RM_RES; this side checks it.
 * Also: BCD adjusts, XLAT, LES, PUSHA/POPA, far CALL/RET, #DE through the
 * IVT, and segment limits kept across the switch (unreal mode, and #GP
 * past a 64 KiB limit). QEMU TCG does not check segment limits, so it
 * misses that last #GP; KVM and the SDM agree with realmode.expect. */
#include "rt.h"

#define RM_RES 0x3000		/* same as in realmode-asm.S */
#define RM_SEG 0x0800

void run_real_mode(void);
extern const char rm_int_ret_off[], rm_far_ret_off[], rm_de_off[], rm_gp_off[];

static uint16_t res16(unsigned off) { return *(volatile uint16_t *)(RM_RES + off); }
static uint32_t res32(unsigned off) { return *(volatile uint32_t *)(RM_RES + off); }

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t cr0;

	(void)magic, (void)info;
	memset((void *)RM_RES, 0xa5, 0x60);
	*(volatile uint16_t *)0x30010 = 0;
	printf("protected mode: dropping to real mode\n");
	run_real_mode();
	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
	printf("protected mode again: cr0.pe=%u\n", cr0 & 1);
	check(cr0 & 1);

	/* SDM Vol. 3A, 10.9.2: with PE clear the CPU is in real mode. */
	printf("real mode cr0.pe=%u\n", res32(0x00) & 1);
	check((res32(0x00) & 1) == 0);

	/* INT n in real mode pushes FLAGS, CS, IP; IP is that of the next
	 * instruction; IRET pops all three (SDM Vol. 2A, INT n / IRET). */
	printf("int 0x40: pushed cs %04x ip %s flags %04x; handler flags %04x\n",
	       res16(0x06), res16(0x04) == (uint32_t)rm_int_ret_off ? "next insn" : "WRONG",
	       res16(0x08), res16(0x0e));
	check(res16(0x06) == RM_SEG);
	check(res16(0x04) == (uint32_t)rm_int_ret_off);
	check(res16(0x08) == 0x0403);
	check(res16(0x0e) == 0x0403);
	printf("iret: ax %04x flags %04x\n", res16(0x0a), res16(0x0c));
	check(res16(0x0a) == 0x1235);
	check(res16(0x0c) == 0x0403);

	/* ADD: 0xffff + 1 = 0 with CF, ZF, AF and PF set, OF and SF clear. */
	printf("add: 0xffff+1 = %04x flags %04x\n", res16(0x12), res16(0x10));
	check(res16(0x12) == 0 && res16(0x10) == 0x0055);
	printf("mul: 1234*5678 = %04x:%04x\n", res16(0x16), res16(0x14));
	check(res16(0x16) == 0x0626 && res16(0x14) == 0x0060);
	printf("div: 12345/100 = %04x rem %04x\n", res16(0x18), res16(0x1a));
	check(res16(0x18) == 0x0123 && res16(0x1a) == 0x0045);
	printf("[bx+si+2]: %c%c\n", res16(0x1c) & 0xff, res16(0x1c) >> 8);
	check(res16(0x1c) == ('v' | 'm' << 8));

	/* Real-mode linear address = segment * 16 + offset (SDM Vol. 3A,
	 * 20.1.1): 3000:0010 and 3001:0000 are the same byte. */
	printf("3001:0000 after a store to 3000:0010: %04x (linear 30010: %04x)\n",
	       res16(0x1e), *(volatile uint16_t *)0x30010);
	check(res16(0x1e) == 0xbeef && *(volatile uint16_t *)0x30010 == 0xbeef);
	printf("ffff:0010 (linear 100000): %08x\n", res32(0x20));
	check(res32(0x20) == 0x1badb002);

	/* BCD adjustments (SDM Vol. 2A): only the flags each one defines. */
	printf("das: 35-47 -> %02x flags %04x\n", res16(0x28) & 0xff, res16(0x2a));
	check((res16(0x28) & 0xff) == 0x88 && res16(0x2a) == 0x0095);   /* SF AF PF CF */
	printf("aam: 3f -> ax %04x flags %04x; aad -> ax %04x\n", res16(0x30), res16(0x32),
	       res16(0x34));
	check(res16(0x30) == 0x0603 && res16(0x32) == 0x0004 && res16(0x34) == 0x003f);
	printf("xlat: %c\n", res16(0x36) & 0xff);
	check((res16(0x36) & 0xff) == 'g');
	printf("les: %04x:%04x\n", res16(0x3a), res16(0x38));
	check(res16(0x3a) == 0x1234 && res16(0x38) == 0x5678);
	printf("pusha: sp moved by %u, popa restored ax %04x cx %04x\n",
	       (uint16_t)(res16(0x4a) - res16(0x3c)), res16(0x3e), res16(0x40));
	check((uint16_t)(res16(0x4a) - res16(0x3c)) == 16);
	check(res16(0x3e) == 0x1111 && res16(0x40) == 0x2222);
	printf("call far: pushed cs %04x ip %s\n", res16(0x44),
	       res16(0x42) == (uint32_t)rm_far_ret_off ? "next insn" : "WRONG");
	check(res16(0x44) == RM_SEG && res16(0x42) == (uint32_t)rm_far_ret_off);
	printf("#DE: ip %s, handler result %04x\n",
	       res16(0x48) == (uint32_t)rm_de_off ? "at div" : "WRONG", res16(0x46));
	check(res16(0x48) == (uint32_t)rm_de_off && res16(0x46) == 0xdede);
	printf("4 GiB limit kept in real mode: 0000:00100000 = %08x\n", res32(0x4c));
	check(res32(0x4c) == 0x1badb002);
	printf("offset 0x10000 past a 64 KiB limit: %u #GP, ip %s, cs %04x\n", res16(0x50),
	       res16(0x52) == (uint32_t)rm_gp_off ? "at the mov" : "WRONG", res16(0x54));
	check(res16(0x50) == 1 && res16(0x52) == (uint32_t)rm_gp_off && res16(0x54) == RM_SEG);
	pass();
}
