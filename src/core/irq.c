/* Interrupt lines: forwarded to the accelerator, which knows the irqchip. */
#include "ringvm/irq.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"

void irq_line_init(struct irq_line *l, struct vm *vm, unsigned gsi)
{
	l->vm = vm;
	l->gsi = gsi;
}

void irq_line_set(struct irq_line *l, int level)
{
	/* A VM without an accelerator exists only in unit tests: the device's
	 * own state is what they check. */
	if (!l->vm || !l->vm->accel || !l->vm->accel->irq_line)
		return;
	if (l->vm->accel->irq_line(l->vm, l->gsi, level) < 0)
		pr_debug("irq: gsi %u level %d not delivered", l->gsi, level);
}

void irq_line_pulse(struct irq_line *l)
{
	irq_line_set(l, 1);
	irq_line_set(l, 0);
}
