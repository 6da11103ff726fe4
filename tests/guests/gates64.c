/* IDT gate checks in IA-32e mode during exception delivery (SDM Vol. 3A,
 * 6.14.1 "64-Bit Mode IDT", 6.13 "Error Code", 6.15 "Exception and
 * Interrupt Reference", Table 6-5 "Conditions for Generating a Double
 * Fault"): a gate with an invalid type gives #GP, a not-present gate #NP,
 * both with error code vector * 8 + IDT (2) + EXT (1: the event being
 * delivered is an earlier exception); a contributory exception raised
 * while delivering a contributory one is a double fault, #DF(0), here on
 * its own IST stack. INT n from ring 3: delivered through a DPL-3 gate,
 * #GP(vector * 8 + 2) through a DPL-0 one.
 *
 * ringvm-test: needs-hw-kvm -- this project's KVM without VT-x/AMD-V
 * ignores the gate type, reports #DF for a not-present gate (its
 * software event delivery is not exact) and has no INT n in 64-bit mode;
 * the SDM decides this guest's expected output. */
#include "rt.h"
#include "long64.h"

static uint8_t ist3[4096] __attribute__((aligned(16)));
static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));
extern volatile uint64_t u_rsp, u_rax;
void user_int(void), user_int_ret(void);

static void ud2_resumed(void)
{
	__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp; ud2; 2:"
			 ::: "eax", "ecx", "edx", "memory");
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t n;

	(void)magic, (void)info;
	lm_enter_flat(0);
	*(volatile uint64_t *)(lm_tss + 52) = TOP(ist3);   /* IST3 */
	lm_set_gate(8, 0, 3, 0xe);
	printf("IA-32e mode\n");

	/* Type 0 is not a 64-bit interrupt or trap gate: #GP. */
	lm_set_gate(6, 0, 0, 0x0);
	n = lm_count;
	ud2_resumed();
	printf("#UD through a gate of type 0: vector %u error %llx\n", (unsigned)lm_last.vec,
	       lm_last.err);
	check(lm_count == n + 1 && lm_last.vec == 13 && lm_last.err == 6 * 8 + 3);

	/* A 64-bit interrupt gate with P=0: #NP. #UD is benign, so no #DF. */
	lm_set_gate(6, 0, 0, 0xe);
	lm_gate_present(6, 0);
	n = lm_count;
	ud2_resumed();
	printf("#UD through a not-present gate: vector %u error %llx\n", (unsigned)lm_last.vec,
	       lm_last.err);
	check(lm_count == n + 1 && lm_last.vec == 11 && lm_last.err == 6 * 8 + 3);
	lm_gate_present(6, 1);

	/* #GP (a selector beyond the GDT) through a not-present gate: #NP
	 * while delivering #GP, both contributory: #DF(0). */
	lm_gate_present(13, 0);
	n = lm_count;
	__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
			 "movw $0x1230, %%ax; movw %%ax, %%fs; 2: movw $0x10, %%ax; movw %%ax, %%fs"
			 ::: "eax", "ecx", "edx", "memory");
	printf("#GP through a not-present gate: vector %u error %llx, frame on ist3 at top-%u\n",
	       (unsigned)lm_last.vec, lm_last.err, (unsigned)(TOP(ist3) - lm_last.frame));
	check(lm_count == n + 1 && lm_last.vec == 8 && lm_last.err == 0);
	check(lm_last.frame == TOP(ist3) - 40);
	lm_gate_present(13, 1);

	/* INT n from ring 3 in 64-bit mode: through a DPL-3 gate it is
	 * delivered (stack from RSP0) and IRETQ returns after the INT; through
	 * a DPL-0 gate it raises #GP(vector * 8 + 2), EXT clear because INT n
	 * is a software interrupt (SDM Vol. 2A, INT n pseudo-code). */
	*(volatile uint64_t *)(lm_tss + 4) = TOP(kstack);   /* RSP0 */
	lm_set_gate(0x40, 3, 0, 0xe);
	lm_set_gate(0x41, 0, 0, 0xe);
	lm_set_mode(0x40, 1);
	n = lm_count;
	lm_user_call((uint32_t)user_int, TOP(ustack), 0x3b, 0, 2);
	check(lm_count == n + 2);
	printf("ring 3 int 0x40 (dpl 3 gate): vector %x from cs %llx, rip after the int %s, "
	       "saved rsp = user rsp %s, frame at rsp0-%u\n", (unsigned)lm_log[n % 16].vec,
	       lm_log[n % 16].cs, lm_log[n % 16].rip == (uint32_t)user_int_ret ? "yes" : "no",
	       lm_log[n % 16].rsp == u_rsp ? "yes" : "no",
	       (unsigned)(TOP(kstack) - lm_log[n % 16].frame));
	check(lm_log[n % 16].vec == 0x40 && lm_log[n % 16].cs == 0x3b);
	check(lm_log[n % 16].rip == (uint32_t)user_int_ret && lm_log[n % 16].rsp == u_rsp);
	check(lm_log[n % 16].frame == TOP(kstack) - 40 && u_rax == 0x40);
	printf("ring 3 int 0x41 (dpl 0 gate): vector %u error %llx\n", (unsigned)lm_last.vec,
	       lm_last.err);
	check(lm_last.vec == 13 && lm_last.err == 0x41 * 8 + 2);
	pass();
}
