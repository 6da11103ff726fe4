/* Stack switching of 64-bit interrupt delivery (SDM Vol. 3A, 6.14.4
 * "Stack Switching in IA-32e Mode", 6.14.5 "Interrupt Stack Table",
 * 6.14.2 "64-Bit Mode Stack Frame"): an IST gate always switches to its
 * IST stack, at CPL 0 too; a non-IST gate from ring 3 switches to RSP0
 * of the 64-bit TSS; RSP is aligned down to 16 bytes before the frame
 * (SS, RSP, RFLAGS, CS, RIP: 40 bytes) is pushed; IRETQ returns to
 * ring 3 with the interrupted RSP. */
#include "rt.h"
#include "long64.h"

static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint8_t ist1[4096] __attribute__((aligned(16)));
static uint8_t ist2[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));

extern volatile uint64_t k_ud_rsp, u_log[4];
void skip_ud2(void), skip_hlt(void), k_ud_misaligned(void), user_ist(void);

#define FRAME 40   /* SS, RSP, RFLAGS, CS, RIP */

static void tss_set(unsigned off, uint64_t v) { *(volatile uint64_t *)(lm_tss + off) = v; }

static const char *where(uint64_t frame)
{
	if (frame >= (uint32_t)kstack && frame < TOP(kstack)) return "rsp0 stack";
	if (frame >= (uint32_t)ist1 && frame < TOP(ist1)) return "ist1 stack";
	if (frame >= (uint32_t)ist2 && frame < TOP(ist2)) return "ist2 stack";
	if (frame >= (uint32_t)ustack && frame < TOP(ustack)) return "user stack";
	return "elsewhere";
}

static uint32_t top_of(uint64_t frame)
{
	if (frame >= (uint32_t)kstack && frame < TOP(kstack)) return TOP(kstack);
	if (frame >= (uint32_t)ist1 && frame < TOP(ist1)) return TOP(ist1);
	if (frame >= (uint32_t)ist2 && frame < TOP(ist2)) return TOP(ist2);
	return 0;
}

/* The frame (saved RIP) must be FRAME bytes below a 16-byte boundary. */
static void show(const char *what, volatile struct lm_fault *f, uint64_t want_frame)
{
	printf("%s: vector %u from cs %llx, frame on %s at top-%u, 16-byte aligned %s\n",
	       what, (unsigned)f->vec, f->cs, where(f->frame),
	       (unsigned)(top_of(f->frame) - f->frame),
	       (f->frame + FRAME) % 16 == 0 ? "yes" : "no");
	check(f->frame == want_frame);
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t n;

	(void)magic, (void)info;
	lm_enter_flat(0);

	/* 64-bit TSS (SDM Vol. 3A, 8.7, Figure 8-11): RSP0 at 4, IST1 at
	 * 36, IST2 at 44. IST1 deliberately 8 bytes off a 16-byte boundary. */
	tss_set(4, TOP(kstack));
	tss_set(36, TOP(ist1) - 8);
	tss_set(44, TOP(ist2));
	lm_set_gate(0, 0, 1, 0xe);     /* #DE: IST1 */
	printf("IA-32e mode: TSS rsp0/ist1/ist2 set\n");

	/* #DE at CPL 0 from compatibility mode through an IST gate: the IST
	 * stack even without a privilege change; aligned down by 8. */
	n = lm_count;
	__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
			 "xorl %%edx, %%edx; movl $1, %%eax; xorl %%ecx, %%ecx; divl %%ecx; 2:"
			 ::: "eax", "ecx", "edx", "memory");
	check(lm_count == n + 1);
	show("cpl0 #DE, ist1", &lm_last, TOP(ist1) - 16 - FRAME);
	check(lm_last.vec == 0 && lm_last.ss == 0x10);

	/* #UD at CPL 0 in 64-bit mode, no IST, RSP = 8 mod 16: the frame
	 * goes on the current stack, aligned down. */
	check(lm_try64((uint32_t)k_ud_misaligned) == 1);
	printf("cpl0 #UD, no ist, rsp 8 mod 16: frame at rsp-%u\n",
	       (unsigned)(k_ud_rsp - lm_last.frame));
	check(lm_last.vec == 6 && lm_last.frame == k_ud_rsp - 8 - FRAME);

	/* Ring 3: #UD (no IST: RSP0, then IRETQ back), #GP from HLT (IST2,
	 * then IRETQ back), #DE (IST1 even from ring 3: IST wins over RSP0).
	 * Exceptions rather than INT n: KVM without VT-x/AMD-V cannot
	 * emulate INT n outside real mode. */
	lm_set_gate(13, 0, 2, 0xe);    /* #GP: IST2 */
	lm_hook[6] = (uint32_t)skip_ud2;
	lm_hook[13] = (uint32_t)skip_hlt;
	lm_set_mode(6, 1);
	lm_set_mode(13, 1);
	n = lm_count;
	lm_user_call((uint32_t)user_ist, TOP(ustack) - 8, 0x3b, 0, 2);
	check(lm_count == n + 3);
	show("cpl3 #UD, no ist", &lm_log[n % 16], TOP(kstack) - FRAME);
	printf("  saved ss %llx rsp = user rsp %s\n", lm_log[n % 16].ss,
	       lm_log[n % 16].rsp == u_log[0] ? "yes" : "no");
	check(lm_log[n % 16].vec == 6 && lm_log[n % 16].ss == 0x33 && lm_log[n % 16].rsp == u_log[0]);
	show("cpl3 #GP (hlt), ist2", &lm_log[(n + 1) % 16], TOP(ist2) - FRAME);
	printf("  error code %llx\n", lm_log[(n + 1) % 16].err);
	check(lm_log[(n + 1) % 16].vec == 13 && lm_log[(n + 1) % 16].cs == 0x3b);
	check(lm_log[(n + 1) % 16].err == 0);
	show("cpl3 #DE, ist1", &lm_log[(n + 2) % 16], TOP(ist1) - 16 - FRAME);
	check(lm_log[(n + 2) % 16].vec == 0 && lm_log[(n + 2) % 16].cs == 0x3b);
	printf("ring 3 rsp after each iretq unchanged: %s %s, ran on: %s\n",
	       u_log[1] == u_log[0] ? "yes" : "no", u_log[2] == u_log[0] ? "yes" : "no",
	       u_log[3] == 0x1234 ? "yes" : "no");
	check(u_log[0] == TOP(ustack) - 8 && u_log[1] == u_log[0] && u_log[2] == u_log[0]);
	check(u_log[3] == 0x1234);
	pass();
}
