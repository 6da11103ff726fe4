/* End to end: a little kernel in IA-32e mode running a ring-3 program.
 * 4-level paging (SDM Vol. 3A, 4.5) maps the first 2 MiB 1:1 with 4 KiB
 * pages: the user program's code (read-only) and data pages are U=1, the
 * kernel's U=0, so a ring-3 access to kernel memory is a #PF with error
 * code P|U (5) for a read, P|W|U (7) for a write (4.6.1 "Determination of
 * Access Rights", 4.7 "Page-Fault Exceptions"). The PIT interrupts the
 * ring-3 program at 1 kHz through the remapped 8259: each IRQ 0 arrives
 * with CPL 3, switches to RSP0 of the 64-bit TSS (6.14.4), is counted and
 * acknowledged, and IRETQ returns to ring 3. The program makes system
 * calls with SYSCALL (STAR/LSTAR/FMASK, IF masked on entry; Vol. 2B,
 * SYSCALL, and Vol. 3A, 5.8.8) to a dispatcher that writes to COM1 for
 * it (ring 3 has no I/O permission: IOPL 0, no I/O bitmap; Vol. 1, 19.5),
 * returns the tick count or exits, and SYSRETQ back. It checksums a buffer
 * again and again until 50 ticks have passed, prints the checksum, and
 * exits; user64.c recomputes the checksum and checks what the kernel saw.
 * The 64-bit code is user64-asm.S.
 *
 * ringvm-test: needs-hw-kvm -- this host's KVM (no VT-x/AMD-V, the host
 * kernel emulates the guest) gets through paging, the IRETQ to ring 3 and
 * the three probes, but its SYSCALL from ring 3 does not load the kernel
 * CS from STAR[47:32] (see EMU-BUGS.txt): the fetch at LSTAR still runs at
 * CPL 3 and is a #PF (error 5, saved CS 0x3b) on the supervisor page. emu
 * and QEMU TCG agree with the SDM and with user64.expect. */
#include "rt.h"
#include "long64.h"

#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  1u

#define RF_IF 0x200u
#define RF_TF 0x100u
#define RF_DF 0x400u

#define PTE_P 0x001ull
#define PTE_W 0x002ull
#define PTE_U 0x004ull

#define PF_P 0x01
#define PF_W 0x02
#define PF_U 0x04

#define IRQ_BASE 0x20
#define NTICKS   50
#define NQWORDS  512

extern const char ucode_start[], ucode_end[], udata_start[], udata_end[], ustack_top[];
extern const char __image_end[];
extern const char u_peek_insn[], u_poke_insn[], u_out_insn[];
extern volatile uint64_t ubuf[NQWORDS], u_sum, u_passes, u_bad;
extern volatile uint64_t k_secret, k_ticks, k_ticks_user, k_ticks_loop, k_syscalls, k_sys_bad;
extern volatile uint64_t k_exit_code, k_exited;
void sys_entry(void), irq0_hook(void), user_main(void), u_peek(void), u_poke(void), u_out(void);

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint64_t kbuf[NQWORDS];

static int in(uint64_t a, const char *lo, const char *hi)
{
	return a >= (uint32_t)lo && a < (uint32_t)hi;
}

/* 4 KiB pages for the first 2 MiB: supervisor, writable, except the
 * user's. A user-mode access needs U=1 at every level (SDM Vol. 3A, 4.6.1),
 * so the upper levels allow it and the PTEs decide. */
static void map(void)
{
	check((uint32_t)__image_end <= 0x200000);
	for (uint32_t i = 0; i < 512; i++) {
		uint32_t a = i << 12;
		uint64_t e = a | PTE_P | PTE_W;

		if (in(a, ucode_start, ucode_end))
			e = a | PTE_P | PTE_U;           /* user code, read-only */
		else if (in(a, udata_start, udata_end))
			e = a | PTE_P | PTE_W | PTE_U;   /* user data and stack */
		pt[i] = e;
	}
	pd[0] = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
	pdpt[0] = (uint32_t)pd | PTE_P | PTE_W | PTE_U;
	pml4[0] = (uint32_t)pdpt | PTE_P | PTE_W | PTE_U;
}

/* The ring-3 program's checksum (user64-asm.S, u_checksum), in C. */
static uint64_t checksum(const uint64_t *p)
{
	uint64_t a = 0, b = 0, h = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < NQWORDS; i++) {
		uint64_t t = a + p[i];

		a = t + (t < p[i]);                      /* ADD, then ADC $0 */
		b += a;
		h = (h ^ p[i]) * 0x100000001b3ull;
	}
	return a ^ b ^ h;
}

/* Runs a ring-3 probe with IF=0 that must end in vector vec. */
static void probe(const char *what, void (*fn)(void), const char *insn, unsigned vec,
		  uint64_t err)
{
	uint32_t n = lm_count;

	lm_user_call((uint32_t)fn, (uint32_t)ustack_top, LM_UCS64, 0, 2);
	check(lm_count == n + 1);
	printf("%s: vector %u error %llx from cs %llx, rip at the insn %s",
	       what, (unsigned)lm_last.vec, lm_last.err, lm_last.cs,
	       lm_last.rip == (uint32_t)insn ? "yes" : "no");
	if (vec == 14)
		printf(", cr2 = the kernel address %s",
		       lm_last.cr2 == (uint32_t)&k_secret ? "yes" : "no");
	printf("\n");
	check(lm_last.vec == vec && lm_last.err == err && lm_last.cs == LM_UCS64);
	check(lm_last.rip == (uint32_t)insn);
	check(vec != 14 || lm_last.cr2 == (uint32_t)&k_secret);
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t r[4];
	uint64_t s;

	(void)magic, (void)info;
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 11)))
		fail("no SYSCALL/SYSRET (cpuid 0x80000001 edx.syscall)");
	pic_remap(IRQ_BASE, IRQ_BASE + 8);   /* every line masked for now */

	map();
	lm_enter((uint32_t)pml4, EFER_SCE);
	/* 64-bit TSS (SDM Vol. 3A, 8.7): RSP0 at 4; the I/O map base at 102
	 * past the limit (0x67) means no I/O bitmap: with IOPL 0 every port
	 * is closed to CPL 3 (Vol. 1, 19.5.2). */
	*(volatile uint64_t *)(lm_tss + 4) = TOP(kstack);
	*(volatile uint16_t *)(lm_tss + 102) = sizeof(lm_tss);
	/* STAR[47:32]: SYSCALL CS 0x18 (SS 0x20); STAR[63:48]: SYSRET base
	 * 0x28 (SS 0x30|3, 64-bit CS 0x38|3). FMASK clears IF, TF, DF on
	 * entry (SDM Vol. 2B, SYSCALL, SYSRET). */
	wrmsr(MSR_STAR, 0x28ull << 48 | 0x18ull << 32);
	wrmsr(MSR_LSTAR, (uint32_t)sys_entry);
	wrmsr(MSR_FMASK, RF_IF | RF_TF | RF_DF);
	printf("IA-32e mode, 4-level paging: user pages U=1, kernel pages U=0\n");

	/* Ring 3 touching the kernel, or the hardware. */
	probe("ring 3 read of a kernel page", u_peek, u_peek_insn, 14, PF_P | PF_U);
	probe("ring 3 write to a kernel page", u_poke, u_poke_insn, 14, PF_P | PF_W | PF_U);
	printf("kernel data unchanged: %s\n", k_secret == 0x5ec2e7 ? "yes" : "no");
	check(k_secret == 0x5ec2e7);
	probe("ring 3 outb to com1", u_out, u_out_insn, 13, 0);

	/* The timer: IRQ 0 -> vector 0x20, counted by irq0_hook, IRETQ back. */
	lm_hook[IRQ_BASE] = (uint32_t)irq0_hook;
	lm_set_mode(IRQ_BASE, LM_IRET);
	pit_periodic(1000);
	pic_unmask(0);

	lm_user_call((uint32_t)user_main, (uint32_t)ustack_top, LM_UCS64, 0, RF_IF | 2);
	outb(0x21, 0xff);   /* IF is clear here; mask IRQ 0 anyway */
	if (!k_exited)
		fail("ring 3 ended by vector %u error %llx at rip %llx cs %llx cr2 %llx",
		     (unsigned)lm_last.vec, lm_last.err, lm_last.rip, lm_last.cs, lm_last.cr2);
	printf("back in the kernel: exit(%u)\n", (unsigned)k_exit_code);
	check(k_exit_code == 0 && u_bad == 0 && u_passes >= 1);

	/* The same buffer and checksum computed here. */
	s = 0x2545f4914f6cdd1dull;
	for (unsigned i = 0; i < NQWORDS; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		kbuf[i] = s;
	}
	printf("user buffer as expected: %s, kernel's checksum: %016llx\n",
	       memcmp(kbuf, (const void *)ubuf, sizeof(kbuf)) == 0 ? "yes" : "no",
	       checksum(kbuf));
	check(memcmp(kbuf, (const void *)ubuf, sizeof(kbuf)) == 0);
	check(checksum(kbuf) == u_sum);

	printf("every syscall entered at cs %x ss %x with if=0: %s\n", LM_CS64, LM_SS64,
	       k_syscalls >= 6 && k_sys_bad == 0 ? "yes" : "no");
	check(k_syscalls >= 6 && k_sys_bad == 0);
	printf("timer: at least %u ticks taken in ring 3: %s\n", NTICKS,
	       k_ticks_user >= NTICKS ? "yes" : "no");
	check(k_ticks_user >= NTICKS);
	printf("every tick from cs %x ss %x onto the rsp0 stack: %s\n", LM_UCS64, LM_UDS,
	       k_ticks_user == k_ticks ? "yes" : "no");
	check(k_ticks_user == k_ticks);
	printf("ticks inside the checksum loop: %s\n", k_ticks_loop ? "yes" : "no");
	check(k_ticks_loop > 0);
	pass();
}
