/* A tiny machine for the software-CPU unit tests: guest RAM in a malloc'd
 * buffer, a GDT/IDT/TSS/page-table builder, and the public x86emu API.
 * Included by tests/unit/test_x86_mmu.c and test_x86_intr.c. */
#ifndef RINGVM_TEST_X86EMU_FIXTURE_H
#define RINGVM_TEST_X86EMU_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/x86emu.h"

/* Each test binary uses a different subset of these helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define T_MEM_SIZE (8u << 20)

/* Guest physical layout used by every test. */
#define T_GDT     0x1000
#define T_IDT     0x2000
#define T_TSS     0x3000
#define T_USTACK  0x6000   /* user stack top */
#define T_KSTACK  0x7000   /* kernel stack top (TSS RSP0/ESP0) */
#define T_IST1    0x5800   /* IST1 stack top */
#define T_CODE    0x8000
#define T_HANDLERS 0x9000  /* vector v: "hlt" at T_HANDLERS + 16 * v */
#define T_PML4    0x10000
#define T_PDPT    0x11000
#define T_PD      0x12000
#define T_PT      0x13000
#define T_PD32    0x14000  /* 32-bit paging page directory */
#define T_PT32    0x15000
#define T_PDPT_PAE 0x16000 /* 32-byte aligned PAE PDPT */
#define T_PD_PAE  0x17000
#define T_PT_PAE  0x18000

/* Selectors (GDT at T_GDT). */
#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_CODE32 0x18
#define SEL_UDATA  0x23
#define SEL_UCODE64 0x2b
#define SEL_UCODE32 0x33
#define SEL_TSS    0x38

/* Page-table bits. */
#define P_P  1ULL
#define P_W  2ULL
#define P_U  4ULL
#define P_A  0x20ULL
#define P_D  0x40ULL
#define P_PS 0x80ULL
#define P_G  0x100ULL
#define P_XD (1ULL << 63)

struct tvm {
	uint8_t *mem;
	struct x86emu *cpu;
	int irq_vector;          /* what intr_ack answers */
	int acks;
	uint32_t last_out;
	uint16_t last_port;
	int outs;
};

static uint8_t *t_ram_page(void *opaque, uint64_t gpa)
{
	struct tvm *t = opaque;

	if (gpa >= T_MEM_SIZE)
		return NULL;
	return t->mem + (gpa & ~0xfffULL);
}

static void t_mmio(void *opaque, uint64_t gpa, void *data, unsigned len, bool write)
{
	if (!write)
		memset(data, 0xff, len);
}

static void t_pio(void *opaque, uint16_t port, void *data, unsigned len, bool in)
{
	struct tvm *t = opaque;

	if (in) {
		memset(data, 0xff, len);
		return;
	}
	t->last_port = port;
	t->last_out = 0;
	memcpy(&t->last_out, data, len);
	t->outs++;
}

static int t_intr_ack(void *opaque)
{
	struct tvm *t = opaque;

	t->acks++;
	x86emu_set_irq(t->cpu, false);
	return t->irq_vector;
}

static inline void t_w8(struct tvm *t, uint64_t a, uint8_t v) { t->mem[a] = v; }
static inline void t_w16(struct tvm *t, uint64_t a, uint16_t v) { memcpy(t->mem + a, &v, 2); }
static inline void t_w32(struct tvm *t, uint64_t a, uint32_t v) { memcpy(t->mem + a, &v, 4); }
static inline void t_w64(struct tvm *t, uint64_t a, uint64_t v) { memcpy(t->mem + a, &v, 8); }
static inline uint16_t t_r16(struct tvm *t, uint64_t a) { uint16_t v; memcpy(&v, t->mem + a, 2); return v; }
static inline uint32_t t_r32(struct tvm *t, uint64_t a) { uint32_t v; memcpy(&v, t->mem + a, 4); return v; }
static inline uint64_t t_r64(struct tvm *t, uint64_t a) { uint64_t v; memcpy(&v, t->mem + a, 8); return v; }
/* New code behind the CPU's back: drop what it decoded there. */
static inline void t_code(struct tvm *t, uint64_t a, const void *b, size_t n)
{
	memcpy(t->mem + a, b, n);
	if (t->cpu)
		x86emu_invalidate(t->cpu, a, n);
}

static struct tvm *t_new(void)
{
	struct tvm *t = calloc(1, sizeof(*t));
	struct x86emu_bus bus = {
		.ram_page = t_ram_page, .mmio = t_mmio, .pio = t_pio, .intr_ack = t_intr_ack,
	};

	if (!t)
		return NULL;
	t->mem = calloc(1, T_MEM_SIZE);
	bus.opaque = t;
	t->cpu = x86emu_new(&bus, 0);
	t->irq_vector = -1;
	for (int v = 0; v < 256; v++)
		t_w8(t, T_HANDLERS + 16 * v, 0xf4); /* hlt */
	return t;
}

static void t_free(struct tvm *t)
{
	x86emu_free(t->cpu);
	free(t->mem);
	free(t);
}

static void t_gdt(struct tvm *t)
{
	t_w64(t, T_GDT + 0x00, 0);
	t_w64(t, T_GDT + 0x08, 0x00af9b000000ffffULL); /* 64-bit code, DPL 0 */
	t_w64(t, T_GDT + 0x10, 0x00cf93000000ffffULL); /* data, DPL 0 */
	t_w64(t, T_GDT + 0x18, 0x00cf9b000000ffffULL); /* 32-bit code, DPL 0 */
	t_w64(t, T_GDT + 0x20, 0x00cff3000000ffffULL); /* data, DPL 3 */
	t_w64(t, T_GDT + 0x28, 0x00affb000000ffffULL); /* 64-bit code, DPL 3 */
	t_w64(t, T_GDT + 0x30, 0x00cffb000000ffffULL); /* 32-bit code, DPL 3 */
	/* Available 32/64-bit TSS at T_TSS, limit 0x67. */
	t_w64(t, T_GDT + 0x38, 0x0000890000000067ULL | ((uint64_t)T_TSS << 16));
	t_w64(t, T_GDT + 0x40, 0);
}

static void t_seg(struct x86_segment *s, uint16_t sel, int type, int dpl, int l, int db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = (uint8_t)type;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->present = 1;
	s->l = (uint8_t)l;
	s->db = (uint8_t)db;
	s->g = 1;
}

/* 64-bit gate: interrupt (type 0xe) or trap (0xf). */
static void t_gate64(struct tvm *t, int vec, uint64_t off, int type, int dpl, int ist, bool present)
{
	uint64_t a = T_IDT + 16 * vec;

	t_w32(t, a, (uint32_t)(off & 0xffff) | (SEL_CODE64 << 16));
	t_w32(t, a + 4, (uint32_t)(off & 0xffff0000) | (present ? 0x8000 : 0) | (dpl << 13) |
		   (type << 8) | ist);
	t_w32(t, a + 8, (uint32_t)(off >> 32));
	t_w32(t, a + 12, 0);
}

static void t_gate32(struct tvm *t, int vec, uint32_t off, uint16_t sel, int type, int dpl)
{
	uint64_t a = T_IDT + 8 * vec;

	t_w32(t, a, (off & 0xffff) | ((uint32_t)sel << 16));
	t_w32(t, a + 4, (off & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8));
}

/* Identity map the first 2 MiB with 4 KiB user-writable pages and the next
 * 2 MiB with one 2 MiB page; every handler gets a gate. */

/* The fixture's busy 32/64-bit TSS in TR, its GDT, and an IDT of
 * idt_limit bytes: what every mode the tests enter shares. */
static inline void t_sys_tables(struct vcpu_sregs *s, uint16_t idt_limit)
{
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = SEL_TSS;
	s->tr.base = T_TSS;
	s->tr.limit = 0x67;
	s->tr.type = 0xb;
	s->tr.present = 1;
	s->gdt.base = T_GDT;
	s->gdt.limit = 0x47;
	s->idt.base = T_IDT;
	s->idt.limit = idt_limit;
}

static void t_long_mode(struct tvm *t, int cpl)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;

	t_gdt(t);
	t_w64(t, T_PML4, T_PDPT | P_P | P_W | P_U);
	t_w64(t, T_PDPT, T_PD | P_P | P_W | P_U);
	t_w64(t, T_PD, T_PT | P_P | P_W | P_U);
	t_w64(t, T_PD + 8, 0x200000 | P_P | P_W | P_U | P_PS);
	for (uint64_t p = 0; p < 512; p++)
		t_w64(t, T_PT + 8 * p, (p << 12) | P_P | P_W | P_U);
	for (int v = 0; v < 256; v++)
		t_gate64(t, v, T_HANDLERS + 16 * v, 0xe, 0, 0, true);
	t_w64(t, T_TSS + 4, T_KSTACK);    /* RSP0 */
	t_w64(t, T_TSS + 0x24, T_IST1);   /* IST1 */

	x86emu_get_sregs(t->cpu, &s);
	if (cpl == 3) {
		t_seg(&s.cs, SEL_UCODE64, 0xb, 3, 1, 0);
		t_seg(&s.ss, SEL_UDATA, 0x3, 3, 0, 1);
	} else {
		t_seg(&s.cs, SEL_CODE64, 0xb, 0, 1, 0);
		t_seg(&s.ss, SEL_DATA, 0x3, 0, 0, 1);
	}
	s.ds = s.es = s.fs = s.gs = s.ss;
	t_sys_tables(&s, 0xfff);
	s.cr0 = 0x80010033; /* PG WP NE ET MP PE */
	s.cr3 = T_PML4;
	s.cr4 = 0x20;       /* PAE */
	s.efer = 0xd01;     /* NXE LMA LME SCE */
	x86emu_set_sregs(t->cpu, &s);
	memset(&r, 0, sizeof(r));
	r.rip = T_CODE;
	r.rsp = cpl == 3 ? T_USTACK : T_KSTACK - 0x100;
	r.rflags = 2;
	x86emu_set_regs(t->cpu, &r);
}

static struct vcpu_regs t_regs(struct tvm *t)
{
	struct vcpu_regs r;

	x86emu_get_regs(t->cpu, &r);
	return r;
}

static struct vcpu_sregs t_sregs(struct tvm *t)
{
	struct vcpu_sregs s;

	x86emu_get_sregs(t->cpu, &s);
	return s;
}

/* The handler for vector v has run its hlt. */
static inline uint64_t t_handler_done(int v)
{
	return T_HANDLERS + 16 * v + 1;
}

#endif
