/* Interrupt and debug shadows (SDM Vol. 3A, 6.8.3 "Masking Exceptions and
 * Interrupts When Switching Stacks", and Vol. 2B, STI): after STI sets IF,
 * a pending external interrupt is recognized only after the next
 * instruction, so STI; CLI takes none and STI; HLT wakes up after the
 * HLT; POPF has no such shadow. A single-step trap after MOV SS is held
 * until after the next instruction. The pending interrupt is IRQ 0 of the
 * 8259 from the PIT, waited for with IF=0 by polling the IRR.
 *
 * ringvm-test: needs-hw-kvm -- this project's KVM without VT-x/AMD-V
 * injects the timer interrupt only at its own exits, not in a short IF=1
 * window, and does not hold the single-step trap after MOV SS. */
#include "rt.h"

#define VEC_TIMER 0x20

static volatile uint32_t t_count, t_eip, d_count, d_eip;

static void on_timer(struct isr_frame *f)
{
	if (t_count++ == 0)
		t_eip = f->eip;
	pic_eoi(0);
}

static void on_debug(struct isr_frame *f)
{
	if (d_count++ == 0)
		d_eip = f->eip;
	f->eflags &= ~0x100u;   /* TF off */
}

static int irq0_pending(void)
{
	outb(0x20, 0x0a);         /* OCW3: next read of port 0x20 is the IRR */
	return inb(0x20) & 1;
}

/* Spin with IF=0 until IRQ 0 is pending, and reset the record. */
static void wait_pending(void)
{
	unsigned spins = 0;

	__asm__ volatile("cli");
	while (!irq0_pending())
		if (++spins > 10000000)
			fail("IRQ 0 never became pending");
	t_count = 0;
	t_eip = 0;
}

static const char *where(uint32_t eip, uint32_t a, uint32_t b)
{
	return eip == a ? "right after sti" : eip == b ? "one instruction later" : "elsewhere";
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t a, b;

	(void)magic, (void)info;
	idt_init();
	idt_set_handler(VEC_TIMER, on_timer);
	idt_set_handler(1, on_debug);
	pic_remap(VEC_TIMER, VEC_TIMER + 8);
	pit_periodic(1000);
	pic_unmask(0);

	/* STI; INC: the interrupt comes after the INC. */
	wait_pending();
	__asm__ volatile("movl $1f, %0; movl $2f, %1; sti; 1: incl %%ecx; 2: nop; nop; cli"
			 : "=&r"(a), "=&r"(b) :: "ecx", "memory");
	printf("sti; inc: interrupt taken %s\n", where(t_eip, a, b));
	check(t_count >= 1 && t_eip == b);

	/* STI; CLI: no interrupt at all, and IRQ 0 is still pending. */
	wait_pending();
	__asm__ volatile("sti; cli" ::: "memory");
	printf("sti; cli: interrupts taken %u, still pending %u\n", t_count, irq0_pending());
	check(t_count == 0 && irq0_pending());

	/* STI; HLT: HLT runs, the interrupt wakes it; saved EIP after HLT. */
	wait_pending();
	__asm__ volatile("movl $1f, %0; movl $2f, %1; sti; 1: hlt; 2: cli"
			 : "=&r"(a), "=&r"(b) :: "memory");
	printf("sti; hlt: interrupt taken %s\n", where(t_eip, a, b));
	check(t_count >= 1 && t_eip == b);

	/* POPF setting IF: no shadow, the interrupt comes right away. */
	wait_pending();
	__asm__ volatile("movl $1f, %0; movl $2f, %1; pushfl; orl $0x200, (%%esp); popfl;"
			 "1: incl %%ecx; 2: nop; cli"
			 : "=&r"(a), "=&r"(b) :: "ecx", "memory", "cc");
	printf("popf (if=1); inc: interrupt taken %s\n",
	       t_eip == a ? "right after popf" : t_eip == b ? "one instruction later" : "elsewhere");
	check(t_count >= 1 && t_eip == a);
	pic_remap(VEC_TIMER, VEC_TIMER + 8);   /* all masked again */

	/* TF set by POPF, then MOV SS: the single-step trap that would follow
	 * MOV SS is held until after the next instruction (6.8.3). */
	__asm__ volatile("movl $1f, %0; movl $2f, %1; movw %%ss, %%dx;"
			 "pushfl; orl $0x100, (%%esp); popfl;"
			 "movw %%dx, %%ss; 1: incl %%ecx; 2: nop"
			 : "=&r"(a), "=&r"(b) :: "ecx", "edx", "memory", "cc");
	printf("tf; mov ss; inc: #DB %u time(s), after the %s\n", d_count,
	       d_eip == a ? "mov ss" : d_eip == b ? "instruction after mov ss" : "WRONG place");
	check(d_count == 1 && d_eip == b);
	pass();
}
