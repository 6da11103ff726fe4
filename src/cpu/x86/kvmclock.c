/* The KVM paravirtual clock under the software CPU (Linux Documentation/
 * virt/kvm/x86/msr.rst, MSR_KVM_WALL_CLOCK_NEW and MSR_KVM_SYSTEM_TIME_NEW;
 * the structures are the pvclock ABI of arch/x86/include/asm/pvclock-abi.h).
 *
 * The guest's TSC is the host's plus a fixed offset (x86_rdtsc), so one
 * snapshot of (TSC, nanoseconds) and the TSC's rate describe guest time for
 * good: Linux then needs neither a PIT calibration nor a periodic update,
 * and uses "kvm-clock" as its clocksource. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/kvmclock.h"
#include "ringvm/log.h"
#include "ringvm/util.h"

#define PVCLOCK_TSC_STABLE_BIT 0x01

static pthread_once_t kvmclock_once = PTHREAD_ONCE_INIT;
static uint64_t origin_ns;   /* the guest's time zero, shared by every vCPU */
static double tsc_hz;

/* CLOCK_MONOTONIC, not _RAW: it runs at the rate the host's wall clock
 * does (NTP slews both), so guest `date` keeps step with the host's. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One (nanoseconds, TSC) pair read as close together as the host lets us:
 * of a few tries, the one whose two clock reads bracket the RDTSC most
 * tightly, so a preemption in the middle cannot skew it. */
static void clock_pair(uint64_t *ns, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 8; i++) {
		uint64_t t0 = mono_ns(), c = __rdtsc(), t1 = mono_ns();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*ns = t0 + (t1 - t0) / 2;
			*tsc = c;
		}
	}
}

/* Measure the host TSC against CLOCK_MONOTONIC over 50 ms. With pairs a
 * microsecond wide at worst the error stays near 20 ppm: about a
 * millisecond of drift per minute (the guest's clock has no other source
 * of drift: its TSC is the host's). */
static void kvmclock_calibrate(void)
{
	struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	uint64_t t0, t1, c0, c1;

	clock_pair(&t0, &c0);
	origin_ns = t0;
	nanosleep(&pause, NULL);
	clock_pair(&t1, &c1);
	tsc_hz = (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
	pr_debug("kvmclock: host TSC runs at %.3f MHz", tsc_hz / 1e6);
}

uint64_t x86emu_tsc_hz(void)
{
	pthread_once(&kvmclock_once, kvmclock_calibrate);
	return (uint64_t)(tsc_hz + 0.5);
}

uint64_t kvmclock_tsc_khz(void)
{
	pthread_once(&kvmclock_once, kvmclock_calibrate);
	return (uint64_t)(tsc_hz / 1000.0 + 0.5);
}

static uint8_t *kvmclock_guest_ptr(struct x86_cpu *c, uint64_t gpa, unsigned len)
{
	uint8_t *page;

	if ((gpa & 0xfff) + len > 4096)
		return NULL;
	page = c->bus.ram_page(c->bus.opaque, gpa & ~0xfffULL);
	return page ? page + (gpa & 0xfff) : NULL;
}

/* tsc_to_system_mul and tsc_shift such that
 * ns = ((tsc_delta << shift, or >> -shift) * mul) >> 32. */
static void kvmclock_scale(uint32_t *mul, int8_t *shift)
{
	double r = 1e9 / tsc_hz;
	int s = 0;

	while (r >= 1.0) {
		r /= 2;
		s++;
	}
	while (r < 0.5) {
		r *= 2;
		s--;
	}
	*mul = (uint32_t)(r * 4294967296.0);
	*shift = (int8_t)s;
}

/* Version odd while the record changes, even when it is consistent: the
 * guest retries its read when it sees odd or a changed version. */
static void kvmclock_publish_system_time(struct x86_cpu *c, uint64_t gpa)
{
	uint8_t *p = kvmclock_guest_ptr(c, gpa, 32);
	uint32_t mul, version;
	int8_t shift;
	uint64_t ns, tsc;

	if (!p) {
		pr_guest("kvmclock: cpu%d: system time area %#llx is not RAM", c->index,
			 (unsigned long long)gpa);
		return;
	}
	kvmclock_scale(&mul, &shift);
	version = get_le32(p);
	put_le32(p, version | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* The guest's TSC is the host's plus its offset (x86_rdtsc). */
	clock_pair(&ns, &tsc);
	ns -= origin_ns;
	tsc += c->tsc_offset;
	put_le64(p + 8, tsc);
	put_le64(p + 16, ns);
	put_le32(p + 24, mul);
	p[28] = (uint8_t)shift;
	p[29] = PVCLOCK_TSC_STABLE_BIT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le32(p, (version | 1) + 1);
}

/* The wall-clock time at which guest time was zero. */
static void kvmclock_publish_wall_clock(struct x86_cpu *c, uint64_t gpa)
{
	uint8_t *p = kvmclock_guest_ptr(c, gpa, 12);
	struct timespec now;
	uint64_t wall_ns, up_ns;
	uint32_t version;

	if (!p) {
		pr_guest("kvmclock: cpu%d: wall clock area %#llx is not RAM", c->index,
			 (unsigned long long)gpa);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	up_ns = mono_ns() - origin_ns;
	wall_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - up_ns;
	version = get_le32(p);
	put_le32(p, version | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le32(p + 4, (uint32_t)(wall_ns / 1000000000ULL));
	put_le32(p + 8, (uint32_t)(wall_ns % 1000000000ULL));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le32(p, (version | 1) + 1);
}

int kvmclock_wrmsr(struct x86_cpu *c, uint32_t idx, uint64_t v)
{
	pthread_once(&kvmclock_once, kvmclock_calibrate);
	switch (idx) {
	case MSR_KVM_WALL_CLOCK_NEW:
		kvmclock_publish_wall_clock(c, v);
		return 0;
	case MSR_KVM_SYSTEM_TIME_NEW:
		/* Bit 0 enables; the area is 32-byte aligned by the ABI. */
		if (v & 1)
			kvmclock_publish_system_time(c, v & ~1ULL);
		return 0;
	}
	return -1;
}
