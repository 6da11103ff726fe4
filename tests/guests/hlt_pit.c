/* Timer interrupts wake a halted CPU: PIT channel 0 at 1 kHz through the
 * remapped master 8259, counted by a handler that sends EOI. */
#include "rt.h"

#define IRQ_BASE 0x20
#define TICKS    20

static volatile uint32_t ticks;

static void on_timer(struct isr_frame *f)
{
	(void)f;
	ticks++;
	pic_eoi(0);
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t halts = 0;

	(void)magic, (void)info;
	idt_init();
	pic_remap(IRQ_BASE, IRQ_BASE + 8);
	idt_set_handler(IRQ_BASE + 0, on_timer);
	pit_periodic(1000);
	pic_unmask(0);
	/* "sti; hlt" back to back: STI's interrupt shadow (SDM Vol. 2B, STI)
	 * keeps a tick from sneaking in between and leaving us halted. */
	while (ticks < TICKS) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		if (++halts > 100 * TICKS)
			fail("woke %u times, saw only %u ticks", halts, ticks);
	}
	printf("ticks: %u\n", (unsigned)ticks >= TICKS ? TICKS : (unsigned)ticks);
	pass();
}
