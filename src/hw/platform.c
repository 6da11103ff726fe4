/* The emulated PC platform for accelerators without an in-kernel irqchip:
 * the 8259A pair, the 8254 PIT, the IOAPIC and one local APIC per CPU, and
 * the wiring between them and the CPUs.
 *
 * Wiring (MP spec 1.4 default configuration, figure "Virtual Wire Mode via
 * Local APIC"): ISA IRQs go to the PIC and to the IOAPIC pin of the same
 * number, except the PIT's IRQ0 which is IOAPIC pin 2 (the MP spec default
 * and the ACPI "interrupt source override" every PC firmware reports). The
 * master PIC's INT goes to LINT0 of the local APICs; each APIC drives its
 * CPU's INTR. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "ringvm/bus.h"
#include "ringvm/log.h"
#include "ringvm/platform.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

struct platform {
	struct vm *vm;
	int ncpus;
	struct pic pic;
	struct pit pit;
	struct ioapic *ioapic;
	struct lapic *lapic[VM_MAX_CPUS];
	void (*notify)(void *opaque, int cpu, bool pending);
	void *notify_opaque;
	void (*event)(void *opaque, int cpu, enum platform_cpu_event ev, uint8_t vector);
	void *event_opaque;
	uint64_t tsc_hz;
	uint64_t (*read_tsc)(void *opaque, int cpu);
	void *tsc_opaque;
	bool pending[VM_MAX_CPUS];
};

/* The vCPU whose thread is running: MMIO to the APIC page is per CPU. */
static __thread int platform_thread_cpu;

uint64_t platform_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int platform_ncpus(const struct platform *p)
{
	return p->ncpus;
}

struct lapic *platform_lapic(struct platform *p, int cpu)
{
	return cpu >= 0 && cpu < p->ncpus ? p->lapic[cpu] : NULL;
}

bool platform_pic_output(struct platform *p)
{
	return p->pic.chip[0].output;
}

int platform_pic_ack(struct platform *p)
{
	return pic_intr_ack(&p->pic);
}

void platform_update_cpu(struct platform *p, int cpu)
{
	struct lapic *l = platform_lapic(p, cpu);
	bool pending;

	if (!l)
		return;
	pending = lapic_pending(l);
	if (p->pending[cpu] == pending)
		return;
	p->pending[cpu] = pending;
	if (p->notify)
		p->notify(p->notify_opaque, cpu, pending);
}

void platform_eoi_broadcast(struct platform *p, uint8_t vector)
{
	if (p->ioapic)
		ioapic_eoi(p->ioapic, vector);
}

void platform_cpu_event(struct platform *p, int cpu, enum platform_cpu_event ev, uint8_t vector)
{
	if (p->event)
		p->event(p->event_opaque, cpu, ev, vector);
	else
		pr_debug("platform: cpu %d event %d (vector %#x) has no handler", cpu, ev, vector);
}

uint64_t platform_tsc(struct platform *p, int cpu)
{
	return p->read_tsc ? p->read_tsc(p->tsc_opaque, cpu) : platform_clock_ns();
}

uint64_t platform_tsc_hz(struct platform *p)
{
	return p->tsc_hz ? p->tsc_hz : 1000000000ULL;
}

/* The master PIC's INT changed: it is on every CPU's LINT0. */
static void platform_pic_out(void *opaque, bool level)
{
	struct platform *p = opaque;

	for (int i = 0; i < p->ncpus; i++)
		platform_update_cpu(p, i);
}

/* PIT channel 0 is wired to ISA IRQ 0. */
static void platform_pit_irq(void *opaque, int level)
{
	platform_set_irq(opaque, 0, level);
}

/* ---- APIC page ---- */

static uint64_t platform_lapic_read(void *opaque, uint64_t off, unsigned size)
{
	struct lapic *l = platform_lapic(opaque, platform_thread_cpu);
	uint32_t v;

	if (!l)
		return 0;
	/* Registers are 32 bits on 16-byte boundaries (SDM Vol. 3A 11.4.1);
	 * narrower reads get the bytes of the dword. */
	v = lapic_read(l, (uint32_t)off & ~3u);
	return size >= 4 ? v : v >> (8 * (off & 3));
}

static void platform_lapic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct lapic *l = platform_lapic(opaque, platform_thread_cpu);

	if (!l)
		return;
	if (size < 4 || (off & 3)) {
		pr_guest("lapic: %u-byte write at %#llx ignored", size, (unsigned long long)off);
		return;
	}
	lapic_write(l, (uint32_t)off, (uint32_t)val);
}

static const struct bus_ops platform_lapic_ops = {
	.read = platform_lapic_read,
	.write = platform_lapic_write,
};

/* ---- public interface ---- */

struct platform *platform_new(struct vm *vm)
{
	struct platform *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return NULL;
	p->vm = vm;
	p->ncpus = vm->ncpus < 1 ? 1 : vm->ncpus > VM_MAX_CPUS ? VM_MAX_CPUS : vm->ncpus;
	p->pic.out_changed = platform_pic_out;
	p->pic.opaque = p;
	p->pit.irq = platform_pit_irq;
	p->pit.opaque = p;
	p->pit.tfd = -1;
	p->pit.rtfd = -1;
	ret = pic_init(&p->pic, vm);
	if (ret < 0) {
		pr_err("platform: cannot create the 8259 PICs: %d", ret);
		goto err;
	}
	ret = pit_init(&p->pit, vm);
	if (ret < 0) {
		pr_err("platform: cannot create the 8254 PIT: %d", ret);
		goto err;
	}
	for (int i = 0; i < p->ncpus; i++) {
		p->lapic[i] = lapic_new(p, vm, i);
		if (!p->lapic[i]) {
			pr_err("platform: cannot create the local APIC of cpu %d", i);
			goto err;
		}
	}
	ret = bus_register(vm, BUS_MMIO, LAPIC_BASE, 0x1000, &platform_lapic_ops, p);
	if (ret < 0) {
		pr_err("platform: cannot map the local APIC page: %d", ret);
		goto err;
	}
	/* IOAPIC ID after the APIC IDs 0..n-1, as the MP table says. */
	p->ioapic = ioapic_new(p, vm, (uint8_t)p->ncpus);
	if (!p->ioapic) {
		pr_err("platform: cannot create the IOAPIC");
		goto err;
	}
	return p;
err:
	platform_free(p);
	return NULL;
}

void platform_free(struct platform *p)
{
	if (!p)
		return;
	pit_exit(&p->pit);
	for (int i = 0; i < VM_MAX_CPUS; i++)
		lapic_free(p->lapic[i]);
	ioapic_free(p->ioapic);
	free(p);
}

void platform_set_irq(struct platform *p, unsigned gsi, int level)
{
	if (gsi < 16)
		pic_set_irq(&p->pic, gsi, level);
	if (p->ioapic && gsi < IOAPIC_PINS) {
		/* IRQ0 is on pin 2; pin 0 carries nothing (the PIC's INT would
		 * be there in virtual wire mode B, which we do not model). */
		if (gsi == 0)
			ioapic_set_irq(p->ioapic, 2, level);
		else if (gsi != 2)
			ioapic_set_irq(p->ioapic, gsi, level);
	}
	if (gsi >= IOAPIC_PINS)
		pr_debug("platform: gsi %u is not wired", gsi);
}

int platform_intr_ack(struct platform *p, int cpu)
{
	struct lapic *l;
	int vec = -1;

	vm_lock(p->vm);
	/* The CPU saw INTR high. If an 8259 request has gone since, the PIC
	 * answers with its spurious IR7 vector as real hardware does. */
	l = platform_lapic(p, cpu);
	p->pic.last_ack_irq = -2;      /* stays -2 unless the PIC answers */
	if (l)
		vec = lapic_intr_ack(l);
	/* The PIT replays owed ticks when IRQ0 is taken, through the PIC or
	 * through IOAPIC pin 2. */
	if (vec >= 0 && (p->pic.last_ack_irq == 0 ||
			 (p->pic.last_ack_irq == -2 && p->ioapic &&
			  ioapic_pin_vector(p->ioapic, 2) == vec)))
		pit_irq_acked(&p->pit);
	vm_unlock(p->vm);
	return vec;
}

void platform_set_notify(struct platform *p,
			 void (*fn)(void *opaque, int cpu, bool pending),
			 void *opaque)
{
	p->notify = fn;
	p->notify_opaque = opaque;
}

void platform_set_event_handler(struct platform *p,
				void (*fn)(void *opaque, int cpu, enum platform_cpu_event ev,
					   uint8_t vector),
				void *opaque)
{
	p->event = fn;
	p->event_opaque = opaque;
}

void platform_set_thread_cpu(int cpu)
{
	platform_thread_cpu = cpu;
}

int platform_msr_read(struct platform *p, int cpu, uint32_t idx, uint64_t *val)
{
	struct lapic *l = platform_lapic(p, cpu);
	int ret;

	if (!l)
		return -ENOENT;
	vm_lock(p->vm);
	ret = lapic_msr_read(l, idx, val);
	vm_unlock(p->vm);
	return ret;
}

int platform_msr_write(struct platform *p, int cpu, uint32_t idx, uint64_t val)
{
	struct lapic *l = platform_lapic(p, cpu);
	int ret;

	if (!l)
		return -ENOENT;
	vm_lock(p->vm);
	ret = lapic_msr_write(l, idx, val);
	vm_unlock(p->vm);
	return ret;
}

uint8_t platform_get_cr8(struct platform *p, int cpu)
{
	struct lapic *l = platform_lapic(p, cpu);
	uint8_t v;

	if (!l)
		return 0;
	vm_lock(p->vm);
	v = lapic_get_tpr(l) >> 4;
	vm_unlock(p->vm);
	return v;
}

void platform_set_cr8(struct platform *p, int cpu, uint8_t cr8)
{
	struct lapic *l = platform_lapic(p, cpu);

	if (!l)
		return;
	vm_lock(p->vm);
	lapic_set_tpr(l, (uint8_t)((cr8 & 0xf) << 4));
	vm_unlock(p->vm);
}

void platform_set_tsc(struct platform *p, uint64_t hz,
		      uint64_t (*read_tsc)(void *opaque, int cpu), void *opaque)
{
	p->tsc_hz = hz;
	p->read_tsc = read_tsc;
	p->tsc_opaque = opaque;
}

void platform_reset(struct platform *p)
{
	pic_reset(&p->pic);
	pit_reset(&p->pit);
	if (p->ioapic)
		ioapic_reset(p->ioapic);
	for (int i = 0; i < p->ncpus; i++)
		lapic_reset(p->lapic[i]);
	for (int i = 0; i < p->ncpus; i++)
		platform_update_cpu(p, i);
}
