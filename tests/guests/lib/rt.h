/* The test guests' runtime: port I/O, COM1 output, exit through the
 * debug-exit port, IDT/PIC/PIT helpers. 32-bit protected mode, no paging. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define COM1          0x3f8
#define DEBUGEXIT     0xf4
#define BOOTTIMER     0x440
#define CMOS_INDEX    0x70
#define CMOS_DATA     0x71

/* Exit codes written to the debug-exit port; ringvm (and QEMU's
 * isa-debug-exit) turn a write of v into exit status (v << 1) | 1. */
#define EXIT_PASS 0x10   /* -> status 0x21 */
#define EXIT_FAIL 0x11   /* -> status 0x23 */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Entry point each guest defines; magic/info come from the multiboot loader. */
void guest_main(uint32_t mb_magic, const uint32_t *mb_info);

/* Serial output on COM1. '\n' goes out as "\r\n" like any serial console. */
void serial_putc(char c);
void serial_puts(const char *s);
/* printf subset: %c %s %d %u %x %X %p %%, width/zero-pad, 'l' and 'll'
 * (64-bit only for x). */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

void guest_exit(uint8_t code) __attribute__((noreturn));
/* Prints "PASS" and exits with EXIT_PASS. */
void pass(void) __attribute__((noreturn));
/* Prints "FAIL: <why>" and exits with EXIT_FAIL. */
void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* fail() unless cond, naming the condition. */
#define check(cond) do { if (!(cond)) fail("%s:%d: %s", __FILE__, __LINE__, #cond); } while (0)

/* CMOS / RTC register access (MC146818A). Bit 7 of the index port masks
 * NMI on real hardware; we leave it clear. */
uint8_t cmos_read(uint8_t idx);
void cmos_write(uint8_t idx, uint8_t v);

/* What isr_common (isr.S) pushes: segment regs, pushal, vector, error code,
 * then the CPU's own frame (no privilege change, so no ESP/SS). */
struct isr_frame {
	uint32_t es, ds;
	uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
};

typedef void (*isr_fn)(struct isr_frame *f);
/* Builds the IDT (vectors 0-47 go to isr_dispatch) and loads it. */
void idt_init(void);
/* Handler for one vector; NULL restores the default (print + FAIL). */
void idt_set_handler(unsigned vec, isr_fn fn);

/* Remap the 8259 pair to vectors base_master/base_slave, all lines masked. */
void pic_remap(uint8_t base_master, uint8_t base_slave);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);
/* PIT channel 0, mode 2 (rate generator) at about hz. */
void pit_periodic(unsigned hz);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
