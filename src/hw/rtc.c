/* CMOS real-time clock (Motorola MC146818A datasheet) at index port 0x70 and
 * data port 0x71.
 *
 * The time registers are computed from the host's UTC clock on every read,
 * plus an offset the guest can change by writing them, so the clock never
 * drifts and needs no timer. The update cycle is never in progress (UIP is
 * always 0): a reader can never catch it half way. Alarm and periodic
 * interrupts are not delivered; register C still reports the update-ended
 * flag so polling guests see seconds tick. Bytes 0x0e-0x7f are battery-
 * backed RAM, preset with the memory sizes PC firmware (SeaBIOS) reads. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/log.h"
#include "ringvm/memory.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"
#include "hw/hw-priv.h"

#define RTC_PORT 0x70

/* Register map (datasheet Figure 3) */
#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d
#define RTC_CENTURY       0x32  /* PC/AT convention, also ACPI FADT default */

#define REG_A_UIP  0x80
#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_DM   0x04  /* 1 = binary, 0 = BCD */
#define REG_B_24H  0x02
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
#define REG_D_VRT  0x80

struct rtc {
	struct vm *vm;
	uint8_t index;
	uint8_t cmos[128];
	int64_t offset;          /* guest time minus host time, seconds */
	int64_t last_c_read;     /* guest time when register C was last read */
};

static int64_t rtc_now(const struct rtc *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + r->offset;
}

static uint8_t rtc_to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned rtc_from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0x0f);
}

/* A value as the guest's data mode (register B DM bit) shows it. */
static uint8_t rtc_encode(const struct rtc *r, unsigned v)
{
	return (r->cmos[RTC_REG_B] & REG_B_DM) ? (uint8_t)v : rtc_to_bcd(v % 100);
}

static unsigned rtc_decode(const struct rtc *r, uint8_t v)
{
	return (r->cmos[RTC_REG_B] & REG_B_DM) ? v : rtc_from_bcd(v);
}

/* Hours in 12-hour mode are 1-12 with bit 7 set for PM (datasheet,
 * "Time, Calendar and Alarm Data Modes"). */
static uint8_t rtc_encode_hour(const struct rtc *r, unsigned h)
{
	bool pm;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_encode(r, h);
	pm = h >= 12;
	h %= 12;
	if (!h)
		h = 12;
	return (uint8_t)(rtc_encode(r, h) | (pm ? 0x80 : 0));
}

static unsigned rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	unsigned h;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_decode(r, v) % 24;
	h = rtc_decode(r, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

static uint8_t rtc_read_time(struct rtc *r, uint8_t reg)
{
	time_t t = (time_t)rtc_now(r);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case RTC_SECONDS:      return rtc_encode(r, (unsigned)tm.tm_sec);
	case RTC_MINUTES:      return rtc_encode(r, (unsigned)tm.tm_min);
	case RTC_HOURS:        return rtc_encode_hour(r, (unsigned)tm.tm_hour);
	case RTC_DAY_OF_WEEK:  return rtc_encode(r, (unsigned)tm.tm_wday + 1); /* Sunday = 1 */
	case RTC_DAY_OF_MONTH: return rtc_encode(r, (unsigned)tm.tm_mday);
	case RTC_MONTH:        return rtc_encode(r, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR:         return rtc_encode(r, (unsigned)(tm.tm_year + 1900) % 100);
	default:               return rtc_encode(r, (unsigned)(tm.tm_year + 1900) / 100);
	}
}

/* The guest sets the clock: change one field of the current guest time
 * and keep the difference to the host clock. Out-of-range values are
 * normalized by timegm() the way a confused chip would count on. */
static void rtc_write_time(struct rtc *r, uint8_t reg, uint8_t val)
{
	time_t t = (time_t)rtc_now(r), nt;
	struct tm tm;
	unsigned v;

	gmtime_r(&t, &tm);
	v = reg == RTC_HOURS ? rtc_decode_hour(r, val) : rtc_decode(r, val);
	switch (reg) {
	case RTC_SECONDS:      tm.tm_sec = (int)(v % 60); break;
	case RTC_MINUTES:      tm.tm_min = (int)(v % 60); break;
	case RTC_HOURS:        tm.tm_hour = (int)v; break;
	case RTC_DAY_OF_WEEK:  return; /* derived from the date */
	case RTC_DAY_OF_MONTH: tm.tm_mday = (int)(v ? v : 1); break;
	case RTC_MONTH:        tm.tm_mon = (int)(v ? v - 1 : 0) % 12; break;
	case RTC_YEAR:
		tm.tm_year = (int)(((unsigned)(tm.tm_year + 1900) / 100) * 100 + v % 100) - 1900;
		break;
	default: /* century */
		tm.tm_year = (int)(v * 100 + (unsigned)(tm.tm_year + 1900) % 100) - 1900;
		break;
	}
	nt = timegm(&tm);
	if (nt == (time_t)-1) {
		pr_guest("rtc: guest wrote an impossible date (reg %#x = %#x)", reg, val);
		return;
	}
	r->offset += (int64_t)nt - (int64_t)t;
}

static bool rtc_is_time_reg(uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t reg)
{
	int64_t now;
	uint8_t v;

	if (rtc_is_time_reg(reg))
		return rtc_read_time(r, reg);
	switch (reg) {
	case RTC_REG_A:
		return r->cmos[RTC_REG_A] & (uint8_t)~REG_A_UIP;
	case RTC_REG_C:
		/* An update cycle ends every second; report UF once per
		 * second that passed since the last read (reading clears). */
		now = rtc_now(r);
		v = 0;
		if (now != r->last_c_read)
			v |= REG_C_UF;
		r->last_c_read = now;
		if ((v & REG_C_UF) && (r->cmos[RTC_REG_B] & REG_B_UIE))
			v |= REG_C_IRQF;
		return v;
	case RTC_REG_D:
		return REG_D_VRT;  /* the battery is always good */
	default:
		return r->cmos[reg];
	}
}

static void rtc_write_reg(struct rtc *r, uint8_t reg, uint8_t val)
{
	if (rtc_is_time_reg(reg)) {
		rtc_write_time(r, reg, val);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		r->cmos[RTC_REG_A] = val & (uint8_t)~REG_A_UIP;
		break;
	case RTC_REG_B:
		/* SET stops updates while the guest loads new values; ours
		 * are applied field by field, so there is nothing to hold. */
		if (val & (REG_B_PIE | REG_B_AIE | REG_B_UIE))
			pr_debug("rtc: interrupts enabled (B=%#x) but not delivered", val);
		r->cmos[RTC_REG_B] = val;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;  /* read-only */
	default:
		r->cmos[reg] = val;
		break;
	}
}

static uint64_t rtc_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct rtc *r = opaque;

	if (off == 0)
		return 0xff;  /* the index register is write-only */
	return rtc_read_reg(r, r->index);
}

static void rtc_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = opaque;

	if (off == 0)
		r->index = (uint8_t)val & 0x7f;  /* bit 7: NMI mask, not modelled */
	else
		rtc_write_reg(r, r->index, (uint8_t)val);
}

static const struct bus_ops rtc_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

/* Memory sizes where PC firmware looks for them, as QEMU's pc machine
 * and SeaBIOS lay them out: 0x15-0x16 base memory in KiB, 0x17-0x18 (and
 * 0x30-0x31) KiB above 1 MiB up to 64 MiB, 0x34-0x35 64 KiB units above
 * 16 MiB below 4 GiB, 0x5b-0x5d 64 KiB units above 4 GiB. */
static void rtc_set_memory_sizes(struct rtc *r, const struct guest_mem *m)
{
	uint64_t low = 0, high = 0, v;
	unsigned sum = 0;

	for (int i = 0; i < m->nr; i++) {
		if (m->r[i].gpa < MEM_HOLE_END)
			low += m->r[i].size;
		else
			high += m->r[i].size;
	}
	r->cmos[0x15] = 640 & 0xff;
	r->cmos[0x16] = 640 >> 8;
	v = low > MiB ? (low - MiB) / KiB : 0;
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)v;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(v >> 8);
	v = low > 16 * MiB ? (low - 16 * MiB) / (64 * KiB) : 0;
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[0x34] = (uint8_t)v;
	r->cmos[0x35] = (uint8_t)(v >> 8);
	v = high / (64 * KiB);
	r->cmos[0x5b] = (uint8_t)v;
	r->cmos[0x5c] = (uint8_t)(v >> 8);
	r->cmos[0x5d] = (uint8_t)(v >> 16);
	/* IBM AT checksum over 0x10-0x2d, stored big-endian at 0x2e. */
	for (int i = 0x10; i <= 0x2d; i++)
		sum += r->cmos[i];
	r->cmos[0x2e] = (uint8_t)(sum >> 8);
	r->cmos[0x2f] = (uint8_t)sum;
}

int rtc_init(struct vm *vm)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->vm = vm;
	/* 32.768 kHz time base, 1024 Hz rate; 24-hour BCD, as PC firmware
	 * programs it. */
	r->cmos[RTC_REG_A] = 0x26;
	r->cmos[RTC_REG_B] = REG_B_24H;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	rtc_set_memory_sizes(r, &vm->mem);
	r->last_c_read = rtc_now(r);
	ret = bus_register(vm, BUS_PIO, RTC_PORT, 2, &rtc_ops, r);
	if (ret < 0)
		free(r);
	return ret;
}

void rtc_exit(struct vm *vm)
{
	const struct bus_range *b = bus_find(&vm->bus[BUS_PIO], RTC_PORT);

	if (b && b->ops == &rtc_ops)
		free(b->opaque);
}
