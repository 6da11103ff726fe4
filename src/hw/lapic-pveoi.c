/* The local APIC's KVM paravirtual EOI (Linux Documentation/virt/kvm/
 * x86/msr.rst, MSR_KVM_PV_EOI_EN; the guest side is Linux's
 * arch/x86/kernel/kvm.c), KVM_FEATURE_PV_EOI; the MSR itself is lapic.c's.
 *
 * The guest registers a 4-byte-aligned word with
 * MSR_KVM_PV_EOI_EN. When we deliver a vector whose EOI needs no more than
 * clearing its ISR bit, we set bit 0 of that word; the guest's EOI then
 * clears the bit instead of writing the EOI register, and saves an exit
 * (here: an MMIO decode and a trip through the bus). We follow KVM's
 * rules for when the bit may be set: the vector is edge-triggered (a
 * level one must reach the IOAPIC), it is the only one in service, and
 * nothing waits in IRR (its EOI would have to unblock that at once).
 *
 * Seeing the EOI: only we set the bit and only the guest clears it, so a
 * clear bit means the EOI happened; any thread may look (device lock
 * held) and retire the vector from ISR (lapic_pv_eoi_sync). Taking the
 * bit back while it is still set (lapic_pv_eoi_revoke) must happen on the
 * vCPU's own thread, between instructions: the guest clears it with a
 * non-atomic read-modify-write. An interrupt that arrives while the bit
 * is armed makes the CPU ask (lapic_pending), and the INTA, on the vCPU
 * thread, takes the bit back or finds the EOI done; a guest that has not
 * EOIed yet then writes the EOI register as usual. */
#include "ringvm/vm.h"
#include "hw/lapic-priv.h"

uint32_t *lapic_pv_eoi_word(const struct lapic *l)
{
	if (!(l->pv_eoi_msr & PV_EOI_ENABLE))
		return NULL;
	return mem_ptr(&l->vm->mem, l->pv_eoi_msr & ~3ULL, 4);
}

/* Any thread: retire the armed vector if the guest has cleared its bit.
 * True when that EOI happened (the caller re-evaluates INTR). */
bool lapic_pv_eoi_sync(struct lapic *l)
{
	const uint32_t *w;

	if (!l->pv_eoi_armed)
		return false;
	w = lapic_pv_eoi_word(l);
	if (w && (__atomic_load_n(w, __ATOMIC_ACQUIRE) & PV_EOI_PENDING))
		return false;
	l->pv_eoi_armed = false;
	lapic_eoi_isr(l);
	return true;
}

/* vCPU thread only: end the PV EOI of the armed vector. If the guest has
 * not cleared the bit, clear it ourselves: the guest then finds it clear
 * and writes the EOI register. Otherwise its EOI happened: retire the
 * vector. True when an EOI was done. */
bool lapic_pv_eoi_revoke(struct lapic *l)
{
	uint32_t *w;

	if (!l->pv_eoi_armed)
		return false;
	l->pv_eoi_armed = false;
	w = lapic_pv_eoi_word(l);
	if (w && (__atomic_fetch_and(w, ~PV_EOI_PENDING, __ATOMIC_ACQ_REL) & PV_EOI_PENDING))
		return false;
	lapic_eoi_isr(l);
	return true;
}

/* Just acknowledged vec (now in ISR): offer its EOI through the guest's
 * word if KVM's conditions hold (see above). */
void lapic_pv_eoi_arm(struct lapic *l, unsigned vec)
{
	uint32_t *w;
	int hi;

	if (l->pv_eoi_armed || vec_test(l->tmr, vec) || vec_highest(l->irr) >= 0)
		return;
	/* The only vector in service: clearing vec leaves ISR empty. */
	vec_set(l->isr, vec, false);
	hi = vec_highest(l->isr);
	vec_set(l->isr, vec, true);
	if (hi >= 0)
		return;
	w = lapic_pv_eoi_word(l);
	if (!w)
		return;
	__atomic_fetch_or(w, PV_EOI_PENDING, __ATOMIC_ACQ_REL);
	l->pv_eoi_armed = true;
}

