/* Faults in 32-bit protected mode reach their IDT handler with the right
 * vector, error code and saved EIP: #DE (divide by zero), #UD (ud2),
 * #GP (loading a selector beyond the GDT limit), #DB (single step, a
 * trap: EIP is after the instruction). SDM Vol. 3A, 6.15 for each vector. */
#include "rt.h"
#include "guest-asm.h"

static volatile uint32_t seen_vec, seen_err, seen_eip, resume_eip, hits;

static void on_fault(struct isr_frame *f)
{
	seen_vec = f->vector;
	seen_err = f->error;
	seen_eip = f->eip;
	hits++;
	f->eip = resume_eip;
	f->eflags &= ~0x100u;   /* TF: stop single-stepping */
}

static void report(const char *what, uint32_t fault_eip, int is_trap)
{
	printf("%s: vector %u error %x eip %s\n", what, seen_vec, seen_err,
	       seen_eip == fault_eip ? (is_trap ? "after insn" : "at insn") : "WRONG");
	if (seen_eip != fault_eip)
		fail("%s: saved eip %x, expected %x", what, seen_eip, fault_eip);
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t at, after;

	(void)magic, (void)info;
	idt_init();
	for (unsigned v = 0; v < 32; v++)
		idt_set_handler(v, on_fault);

	/* #DE: divl by zero. A fault: EIP points at the div. */
	__asm__ volatile("movl $1f, %0; movl $2f, %1; movl %1, resume_eip;"
			 "xorl %%edx, %%edx; movl $1, %%eax; xorl %%ecx, %%ecx;"
			 "1: divl %%ecx; 2:"
			 : "=&r"(at), "=&r"(after) :: "eax", "ecx", "edx", "memory");
	report("divide by zero", at, 0);
	check(seen_vec == 0 && seen_err == 0);

	__asm__ volatile("movl $1f, %0; movl $2f, %1; movl %1, resume_eip;"
			 "1: ud2; 2:"
			 : "=&r"(at), "=&r"(after) :: "memory");
	report("ud2", at, 0);
	check(seen_vec == 6 && seen_err == 0);

	/* Selector 0x1230: index 0x246, far past our GDT_ENTRIES-entry GDT,
	 * TI=0, RPL=0. The error code is the selector with RPL cleared
	 * (SDM Vol. 3A, 6.13). */
	__asm__ volatile("movl $1f, %0; movl $2f, %1; movl %1, resume_eip;"
			 "movw $0x1230, %%ax;"
			 "1: movw %%ax, %%fs; 2:"
			 "movw %2, %%ax; movw %%ax, %%fs"
			 : "=&r"(at), "=&r"(after) : "i"(SEL_DATA) : "eax", "memory");
	report("bad segment load", at, 0);
	check(seen_vec == 13 && seen_err == 0x1230);

	/* #DB from EFLAGS.TF is a trap (SDM Vol. 3A, 18.3.1.4 "Single-Step
	 * Exception Condition"): it fires after the instruction that follows
	 * the POPF setting TF, with the saved EIP after it. The handler clears
	 * TF in the saved EFLAGS. int3 would be the classic trap, but on hosts
	 * without VT-x/AMD-V KVM's instruction emulator cannot execute INT n
	 * in protected mode, so it would test the host rather than ringvm. */
	__asm__ volatile("movl $2f, %1; movl %1, resume_eip;"
			 "pushfl; orl $0x100, (%%esp); popfl;"
			 "nop; 2: movl $2b, %0"
			 : "=&r"(at), "=&r"(after) :: "memory", "cc");
	report("single step", at, 1);
	check(seen_vec == 1 && seen_err == 0);

	check(hits == 4);
	pass();
}
