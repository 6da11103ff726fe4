/* Interrupt lines. A device holds a struct irq_line and raises or lowers it;
 * the accelerator routes it (KVM's in-kernel irqchip, or the emulated
 * PIC/IOAPIC under emu). Devices never know which. */
#ifndef RINGVM_IRQ_H
#define RINGVM_IRQ_H

struct vm;

struct irq_line {
	struct vm *vm;
	unsigned gsi;
};

void irq_line_init(struct irq_line *l, struct vm *vm, unsigned gsi);
void irq_line_set(struct irq_line *l, int level);
static inline void irq_line_raise(struct irq_line *l) { irq_line_set(l, 1); }
static inline void irq_line_lower(struct irq_line *l) { irq_line_set(l, 0); }
/* Edge: raise then lower. */
void irq_line_pulse(struct irq_line *l);

#endif
