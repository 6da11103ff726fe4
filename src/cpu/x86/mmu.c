/* Guest memory access for the software CPU: segmentation checks, paging
 * (32-bit, PAE, 4-level), the soft TLB and the RAM/MMIO split.
 *
 * References: Intel SDM Vol. 3A chapter 3 (segmentation), 4 (paging: 4.3
 * 32-bit, 4.4 PAE, 4.5 4-level, 4.6 access rights, 4.7 #PF error code,
 * 4.8 accessed/dirty, 4.10 TLBs), 5.3-5.6 (limit and type checks). */
#include <string.h>
#include "cpu/x86/cpu.h"
#include "cpu/x86/system.h"
#include "ringvm/util.h"

/* Page-table entry bits (SDM Vol. 3A 4.3 - 4.5, Tables 4-4 .. 4-20). */
#define PTE_P    (1ULL << 0)
#define PTE_RW   (1ULL << 1)
#define PTE_US   (1ULL << 2)
#define PTE_A    (1ULL << 5)
#define PTE_D    (1ULL << 6)
#define PTE_PS   (1ULL << 7)
#define PTE_G    (1ULL << 8)
#define PTE_XD   (1ULL << 63)

/* MAXPHYADDR is 40 (CPUID 0x80000008 EAX[7:0], cpuid.c): bits 51:40 of
 * every PAE / 4-level entry are reserved (SDM Vol. 3A 4.4.2, 4.5.4). */
#define PHYS_BITS 40
#define PHYS_MASK (((1ULL << PHYS_BITS) - 1) & ~0xfffULL)
#define RSVD_HIGH (((1ULL << 52) - 1) & ~((1ULL << PHYS_BITS) - 1))

/* #PF error code bits (SDM Vol. 3A 4.7, Figure 4-12). */
#define PFE_P    (1u << 0)
#define PFE_W    (1u << 1)
#define PFE_U    (1u << 2)
#define PFE_RSVD (1u << 3)
#define PFE_I    (1u << 4)
/* Internal: marks a failed walk (a not-present supervisor read has error
 * code 0). Never reaches the guest. */
#define PFE_FAIL (1u << 31)

struct walk {
	uint64_t phys;        /* physical address of the page (4 KiB aligned) */
	bool writable;        /* a write at this privilege is allowed and D is set */
	bool global;
	uint8_t size_class;   /* TLB_SZ_* */
};

static inline uint64_t tlb_key(uint64_t lin, bool user)
{
	return (lin & ~0xfffULL) | TLB_VALID | (user ? TLB_USERTAG : 0);
}

static inline struct x86_tlb_entry *tlb_slot(struct x86_cpu *c, uint64_t lin)
{
	return &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
}

/* --- physical memory --- */

static void phys_rw(struct x86_cpu *c, uint64_t gpa, void *buf, int len, bool write)
{
	uint8_t *page = c->bus.ram_page ? c->bus.ram_page(c->bus.opaque, gpa & ~0xfffULL) : NULL;

	if (page) {
		if (write)
			memcpy(page + (gpa & 0xfff), buf, len);
		else
			memcpy(buf, page + (gpa & 0xfff), len);
		return;
	}
	if (!write)
		memset(buf, 0xff, len);
	if (c->bus.mmio) {
		/* Split into naturally sized pieces the bus understands. */
		uint8_t *b = buf;
		while (len > 0) {
			int n = len >= 8 ? 8 : len >= 4 ? 4 : len >= 2 ? 2 : 1;
			c->bus.mmio(c->bus.opaque, gpa, b, n, write);
			gpa += n;
			b += n;
			len -= n;
		}
	}
}

uint64_t x86_phys_read(struct x86_cpu *c, uint64_t gpa, int size)
{
	uint64_t v = 0;

	phys_rw(c, gpa, &v, size, false);
	return v;
}

void x86_phys_write(struct x86_cpu *c, uint64_t gpa, int size, uint64_t v)
{
	phys_rw(c, gpa, &v, size, true);
	if (x86_page_has_code(c, gpa & ~0xfffULL))
		x86_code_written(c, gpa, size);
}

/* Read a paging-structure entry; *ptr gets its host address for the A/D
 * update, or NULL when the table is not in RAM (then A/D are not set). */
static uint64_t pte_read(struct x86_cpu *c, uint64_t gpa, int size, uint64_t **ptr)
{
	uint8_t *page = c->bus.ram_page ? c->bus.ram_page(c->bus.opaque, gpa & ~0xfffULL) : NULL;
	uint64_t v = 0;

	*ptr = NULL;
	if (page) {
		*ptr = (uint64_t *)(page + (gpa & 0xfff));
		if (size == 8)
			return __atomic_load_n(*ptr, __ATOMIC_RELAXED);
		return __atomic_load_n((uint32_t *)*ptr, __ATOMIC_RELAXED);
	}
	phys_rw(c, gpa, &v, size, false);
	return v;
}

/* Set A (and D) bits atomically: another vCPU may be walking or the guest
 * OS clearing them at the same time (SDM Vol. 3A 4.8: locked update). */
static void pte_set_bits(uint64_t *ptr, int size, uint64_t old, uint64_t bits)
{
	if (!ptr || (old & bits) == bits)
		return;
	if (size == 8)
		__atomic_fetch_or(ptr, bits, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_or((uint32_t *)ptr, (uint32_t)bits, __ATOMIC_SEQ_CST);
}

/* --- page walk --- */

/* Translate lin. Returns 0 and fills *w, or a #PF error code (never 0, P or
 * RSVD or an access bit is always set) without touching CR2. */
static uint32_t mmu_walk(struct x86_cpu *c, uint64_t lin, int acc, bool user, struct walk *w)
{
	bool write = acc & ACC_W, fetch = acc & ACC_X;
	bool nxe = c->efer & X86_EFER_NXE;
	uint32_t err = (write ? PFE_W : 0) | (user ? PFE_U : 0);
	uint64_t rsvd_xd = nxe ? 0 : PTE_XD;
	uint64_t *ptrs[4];
	uint64_t ents[4];
	int sizes[4];
	int levels = 0;
	bool rw = true, us = true, xd = false;
	uint64_t e, page, leaf_phys;
	int shift;

	if (!(c->cr0 & X86_CR0_PG)) {
		w->phys = lin & (c->efer & X86_EFER_LMA ? ~0xfffULL : 0xfffff000ULL);
		w->writable = true;
		w->global = false;
		w->size_class = TLB_SZ_4K;
		return 0;
	}
	/* The I/D bit is reported when execute-disable is in force (4.7). */
	if (fetch && nxe && (c->cr4 & X86_CR4_PAE))
		err |= PFE_I;

	if (!(c->cr4 & X86_CR4_PAE)) {
		/* 32-bit paging (4.3): 2 levels of 4-byte entries. */
		uint64_t pde_a = (c->cr3 & 0xfffff000ULL) | ((lin >> 20) & 0xffc);
		e = pte_read(c, pde_a, 4, &ptrs[0]);
		ents[0] = e; sizes[0] = 4; levels = 1;
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		rw &= !!(e & PTE_RW); us &= !!(e & PTE_US);
		if ((e & PTE_PS) && (c->cr4 & X86_CR4_PSE)) {
			/* 4 MiB page; without PSE-36 bits 21:13 are reserved
			 * (Table 4-4). */
			if (e & 0x3fe000)
				return err | PFE_FAIL | PFE_P | PFE_RSVD;
			leaf_phys = (e & 0xffc00000ULL) | (lin & 0x3ff000);
			shift = 22;
			goto leaf;
		}
		uint64_t pte_a = (e & 0xfffff000ULL) | ((lin >> 10) & 0xffc);
		e = pte_read(c, pte_a, 4, &ptrs[1]);
		ents[1] = e; sizes[1] = 4; levels = 2;
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		rw &= !!(e & PTE_RW); us &= !!(e & PTE_US);
		leaf_phys = e & 0xfffff000ULL;
		shift = 12;
		goto leaf;
	}

	if (c->efer & X86_EFER_LMA) {
		/* 4-level paging (4.5): PML4E and PDPTE, then as PAE. */
		uint64_t a = (c->cr3 & PHYS_MASK) | ((lin >> 36) & 0xff8);
		e = pte_read(c, a, 8, &ptrs[levels]);
		ents[levels] = e; sizes[levels++] = 8;
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		/* PS is reserved in a PML4E (Table 4-15). */
		if ((e & (RSVD_HIGH | rsvd_xd | PTE_PS)))
			return err | PFE_FAIL | PFE_P | PFE_RSVD;
		rw &= !!(e & PTE_RW); us &= !!(e & PTE_US); xd |= !!(e & PTE_XD);
		a = (e & PHYS_MASK) | ((lin >> 27) & 0xff8);
		e = pte_read(c, a, 8, &ptrs[levels]);
		ents[levels] = e; sizes[levels++] = 8;
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		/* 1 GiB pages are not advertised, so PS is reserved here. */
		if ((e & (RSVD_HIGH | rsvd_xd | PTE_PS)))
			return err | PFE_FAIL | PFE_P | PFE_RSVD;
		rw &= !!(e & PTE_RW); us &= !!(e & PTE_US); xd |= !!(e & PTE_XD);
	} else {
		/* PAE (4.4): the PDPTE has no R/W, U/S or XD (Table 4-8);
		 * bits 2:1 and 8:5 are reserved. Read from memory on each walk
		 * rather than cached at CR3 load: the difference shows only to
		 * a guest that edits live PDPTEs without reloading CR3. */
		uint64_t a = (c->cr3 & 0xffffffe0ULL) | ((lin >> 27) & 0x18);
		e = pte_read(c, a, 8, &ptrs[levels]);
		ents[levels] = e; sizes[levels++] = 8;
		ptrs[levels - 1] = NULL; /* no A bit in a PAE PDPTE */
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		if (e & (RSVD_HIGH | PTE_XD | 0x1e6))
			return err | PFE_FAIL | PFE_P | PFE_RSVD;
	}
	/* Page directory. */
	{
		uint64_t a = (e & PHYS_MASK) | ((lin >> 18) & 0xff8);
		e = pte_read(c, a, 8, &ptrs[levels]);
		ents[levels] = e; sizes[levels++] = 8;
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		if (e & (RSVD_HIGH | rsvd_xd))
			return err | PFE_FAIL | PFE_P | PFE_RSVD;
		rw &= !!(e & PTE_RW); us &= !!(e & PTE_US); xd |= !!(e & PTE_XD);
		if (e & PTE_PS) {
			/* 2 MiB page: bits 20:13 reserved (Table 4-9/4-17). */
			if (e & 0x1fe000)
				return err | PFE_FAIL | PFE_P | PFE_RSVD;
			leaf_phys = (e & PHYS_MASK & ~0x1fffffULL) | (lin & 0x1ff000);
			shift = 21;
			goto leaf;
		}
		a = (e & PHYS_MASK) | ((lin >> 9) & 0xff8);
		e = pte_read(c, a, 8, &ptrs[levels]);
		ents[levels] = e; sizes[levels++] = 8;
		if (!(e & PTE_P))
			return err | PFE_FAIL;
		if (e & (RSVD_HIGH | rsvd_xd))
			return err | PFE_FAIL | PFE_P | PFE_RSVD;
		rw &= !!(e & PTE_RW); us &= !!(e & PTE_US); xd |= !!(e & PTE_XD);
		leaf_phys = e & PHYS_MASK;
		shift = 12;
	}

leaf:
	/* Access rights (SDM Vol. 3A 4.6). SMEP/SMAP are not advertised. */
	if (user && !us)
		return err | PFE_FAIL | PFE_P;
	if (write && !rw && (user || (c->cr0 & X86_CR0_WP)))
		return err | PFE_FAIL | PFE_P;
	if (fetch && xd && nxe)
		return err | PFE_FAIL | PFE_P;

	/* Accessed on every level, dirty on the leaf for writes (4.8). */
	for (int i = 0; i < levels; i++) {
		uint64_t bits = PTE_A;
		if (i == levels - 1 && write)
			bits |= PTE_D;
		pte_set_bits(ptrs[i], sizes[i], ents[i], bits);
	}
	page = ents[levels - 1];
	w->phys = leaf_phys;
	/* The fast write tag needs D already set and the write allowed. */
	w->writable = (write || (page & PTE_D)) &&
		      (rw || (!user && !(c->cr0 & X86_CR0_WP)));
	w->global = (page & PTE_G) && (c->cr4 & X86_CR4_PGE);
	w->size_class = shift == 12 ? TLB_SZ_4K : shift == 21 ? TLB_SZ_2M : TLB_SZ_4M;
	return 0;
}

/* Raise #PF for lin with err (SDM Vol. 3A 6.15 "Interrupt 14"). */
static _Noreturn void mmu_page_fault(struct x86_cpu *c, uint64_t lin, uint32_t err)
{
	c->cr2 = lin;
	x86_fault(c, X86_PF, err & ~PFE_FAIL);
}

/* Translate with the TLB; fill it on a miss. Returns the TLB entry or NULL
 * with *err set (no fault raised). */
static struct x86_tlb_entry *mmu_lookup(struct x86_cpu *c, uint64_t lin, int acc, bool user,
					uint32_t *err)
{
	struct x86_tlb_entry *t = tlb_slot(c, lin);
	uint64_t key = tlb_key(lin, user);
	struct walk w;
	uint8_t *host;

	if (acc & ACC_W) {
		if (t->tag_w == key)
			return t;
	} else if (acc & ACC_X) {
		if (t->tag_x == key)
			return t;
	} else if (t->tag_r == key) {
		return t;
	}
	*err = mmu_walk(c, lin, acc, user, &w);
	if (*err)
		return NULL;
	/* Keep the entry's other tags only when they describe the same
	 * translation at the same privilege. */
	{
		uint64_t old = t->tag_r ? t->tag_r : t->tag_w ? t->tag_w : t->tag_x;
		if (old && (old != key || (t->phys & ~0xfffULL) != w.phys))
			t->tag_r = t->tag_w = t->tag_x = 0;
	}
	host = c->bus.ram_page ? c->bus.ram_page(c->bus.opaque, w.phys) : NULL;
	t->phys = w.phys | (w.global ? TLB_GLOBAL : 0) | (host ? 0 : TLB_MMIO) |
		  ((uint64_t)w.size_class << TLB_SZ_SHIFT);
	t->addend = host ? (uintptr_t)host - (uintptr_t)(lin & ~0xfffULL) : 0;
	if (acc & ACC_X) {
		t->tag_x = key;
		/* Fetching from a page that has a fast write tag under the same
		 * linear address: drop it so SMC writes reach run.c. */
		t->tag_w = 0;
	} else {
		t->tag_r = key;
		if (w.writable && !x86_page_has_code(c, w.phys))
			t->tag_w = key;
		else if (acc & ACC_W)
			t->tag_w = 0;
	}
	return t;
}

/* Supervisor or user access for this CPU right now. */
static inline bool mmu_user(const struct x86_cpu *c)
{
	return c->cpl == 3;
}

/* Physical address for lin, faulting (#PF) when it cannot be accessed. */
static struct x86_tlb_entry *mmu_xlate(struct x86_cpu *c, uint64_t lin, int acc, bool user)
{
	uint32_t err = 0;
	struct x86_tlb_entry *t = mmu_lookup(c, lin, acc, user, &err);

	if (!t)
		mmu_page_fault(c, lin, err);
	return t;
}

/* --- linear access --- */

static void lin_rw(struct x86_cpu *c, uint64_t lin, void *buf, int len, bool write, bool user)
{
	int acc = write ? ACC_W : ACC_R;
	uint64_t first = 0x1000 - (lin & 0xfff);
	struct x86_tlb_entry *t1, *t2 = NULL;
	uint64_t lin2 = lin + first;
	uint64_t p1, p2 = 0;

	if (!(c->efer & X86_EFER_LMA))
		lin2 &= 0xffffffffULL;
	/* Both pages are checked before any byte moves (SDM Vol. 3A 4.10.2
	 * gives no partial writes for one instruction's access). */
	t1 = mmu_xlate(c, lin, acc, user);
	p1 = (t1->phys & ~0xfffULL) | (lin & 0xfff);
	if ((uint64_t)len > first) {
		t2 = mmu_xlate(c, lin2, acc, user);
		p2 = t2->phys & ~0xfffULL;
	} else {
		first = len;
	}
	if (write) {
		x86_phys_write_bytes(c, p1, buf, (int)first);
		if (t2)
			x86_phys_write_bytes(c, p2, (uint8_t *)buf + first, len - (int)first);
	} else {
		phys_rw(c, p1, buf, (int)first, false);
		if (t2)
			phys_rw(c, p2, (uint8_t *)buf + first, len - (int)first, false);
	}
}

void x86_phys_write_bytes(struct x86_cpu *c, uint64_t gpa, const void *buf, int len)
{
	phys_rw(c, gpa, (void *)buf, len, true);
	if (x86_page_has_code(c, gpa & ~0xfffULL))
		x86_code_written(c, gpa, len);
}

uint64_t x86_read_lin(struct x86_cpu *c, uint64_t lin, int size, bool sys)
{
	uint64_t v = 0;

	lin_rw(c, lin, &v, size, false, !sys && mmu_user(c));
	return v;
}

void x86_write_lin(struct x86_cpu *c, uint64_t lin, int size, uint64_t v, bool sys)
{
	lin_rw(c, lin, &v, size, true, !sys && mmu_user(c));
}

/* --- segmentation --- */

static inline bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static _Noreturn void seg_fault(int seg, struct x86_cpu *c)
{
	x86_fault(c, seg == S_SS ? X86_SS : X86_GP, 0);
}

/* Offset -> linear address with the limit/rights checks of SDM Vol. 3A
 * 5.3 (limit, incl. expand-down) and 5.4-5.6 (type); 64-bit mode only
 * checks canonical form (3.3.7.1) and adds FS/GS bases. */
uint64_t x86_seg_lin(struct x86_cpu *c, int seg, uint64_t off, int size, int acc)
{
	const struct x86_seg *s = &c->seg[seg];
	uint64_t lin;

	if (c->mode == MODE_LONG) {
		lin = off;
		if (seg == S_FS || seg == S_GS)
			lin += s->base;
		if (!canonical(lin) || !canonical(lin + size - 1))
			seg_fault(seg, c);
		return lin;
	}
	if (c->mode != MODE_REAL && c->mode != MODE_V86) {
		uint32_t type = SEG_TYPE(s);
		if (s->attr & SEG_UNUSABLE)
			seg_fault(seg, c);
		if (acc & ACC_W) {
			/* Writable data only (type 0x2 bit, not code). */
			if ((type & 0x8) || !(type & 0x2))
				seg_fault(seg, c);
		} else if ((type & 0xa) == 0x8) {
			/* Execute-only code is not readable. */
			seg_fault(seg, c);
		}
		if (!(type & 0x8) && (type & 0x4)) {
			/* Expand-down: valid offsets are limit+1 .. 0xffff or
			 * 0xffffffff per the B flag (5.3). */
			uint64_t upper = SEG_DB(s) ? 0xffffffffULL : 0xffffULL;
			if (off <= s->limit || off + size - 1 > upper)
				seg_fault(seg, c);
			return (s->base + off) & 0xffffffffULL;
		}
	}
	if (off + size - 1 > s->limit)
		seg_fault(seg, c);
	return (s->base + off) & 0xffffffffULL;
}

/* Alignment check (SDM Vol. 3A 6.15 "Interrupt 17"): CPL 3, CR0.AM, AC. */
static inline void mmu_align_check(struct x86_cpu *c, uint64_t lin, int size)
{
	if (__builtin_expect(c->cpl == 3, 0) && (c->cr0 & (1ULL << 18)) &&
	    (c->rflags & F_AC) && (lin & (size - 1)))
		x86_fault(c, X86_AC, 0);
}

uint64_t x86_read(struct x86_cpu *c, int seg, uint64_t off, int size)
{
	uint64_t lin = x86_seg_lin(c, seg, off, size, ACC_R);
	bool user = mmu_user(c);
	struct x86_tlb_entry *t = tlb_slot(c, lin);
	uint64_t v = 0;

	mmu_align_check(c, lin, size);
	if ((lin & 0xfff) + size <= 0x1000 && t->tag_r == tlb_key(lin, user) &&
	    !(t->phys & TLB_MMIO)) {
		memcpy(&v, (void *)(uintptr_t)(lin + t->addend), size);
		return v;
	}
	lin_rw(c, lin, &v, size, false, user);
	return v;
}

void x86_write(struct x86_cpu *c, int seg, uint64_t off, int size, uint64_t v)
{
	uint64_t lin = x86_seg_lin(c, seg, off, size, ACC_W);
	bool user = mmu_user(c);
	struct x86_tlb_entry *t = tlb_slot(c, lin);

	mmu_align_check(c, lin, size);
	if ((lin & 0xfff) + size <= 0x1000 && t->tag_w == tlb_key(lin, user) &&
	    !(t->phys & TLB_MMIO)) {
		memcpy((void *)(uintptr_t)(lin + t->addend), &v, size);
		return;
	}
	lin_rw(c, lin, &v, size, true, user);
}

void x86_read_bytes(struct x86_cpu *c, int seg, uint64_t off, void *dst, int len)
{
	uint64_t lin = x86_seg_lin(c, seg, off, len, ACC_R);
	bool user = mmu_user(c);

	/* Up to 4 KiB + a page crossing per chunk (FXSAVE is 512 bytes). */
	while (len > 0) {
		int n = len > 2048 ? 2048 : len;
		lin_rw(c, lin, dst, n, false, user);
		lin += n;
		dst = (uint8_t *)dst + n;
		len -= n;
	}
}

void x86_write_bytes(struct x86_cpu *c, int seg, uint64_t off, const void *src, int len)
{
	uint64_t lin = x86_seg_lin(c, seg, off, len, ACC_W);
	bool user = mmu_user(c);

	/* Check every page first so a fault leaves memory untouched. */
	for (uint64_t a = lin & ~0xfffULL; a < lin + len; a += 0x1000)
		mmu_xlate(c, a < lin ? lin : a, ACC_W, user);
	while (len > 0) {
		int n = len > 2048 ? 2048 : len;
		lin_rw(c, lin, (void *)src, n, true, user);
		lin += n;
		src = (const uint8_t *)src + n;
		len -= n;
	}
}

void *x86_rmw_ptr(struct x86_cpu *c, int seg, uint64_t off, int size)
{
	uint64_t lin = x86_seg_lin(c, seg, off, size, ACC_W | ACC_R);
	bool user = mmu_user(c);
	struct x86_tlb_entry *t;
	uint64_t phys;

	mmu_align_check(c, lin, size);
	if ((lin & 0xfff) + size > 0x1000) {
		/* Split lock: check both pages, let the caller read+write. */
		mmu_xlate(c, lin, ACC_W, user);
		mmu_xlate(c, (lin & ~0xfffULL) + 0x1000, ACC_W, user);
		return NULL;
	}
	t = mmu_xlate(c, lin, ACC_W, user);
	if (t->phys & TLB_MMIO)
		return NULL;
	phys = (t->phys & ~0xfffULL) | (lin & 0xfff);
	if (x86_page_has_code(c, phys & ~0xfffULL))
		x86_code_written(c, phys, size);
	return (void *)(uintptr_t)(lin + t->addend);
}

/* --- code fetch --- */

int x86_fetch(struct x86_cpu *c, uint64_t rip, uint8_t *buf, uint64_t *phys)
{
	const struct x86_seg *cs = &c->seg[S_CS];
	bool user = mmu_user(c);
	uint64_t lin, avail = 15;
	struct x86_tlb_entry *t;
	uint32_t err = 0;
	uint64_t first;

	if (c->mode == MODE_LONG) {
		lin = rip;
		if (!canonical(lin))
			x86_fault(c, X86_GP, 0);
	} else {
		/* CS limit (SDM Vol. 3A 5.3): bytes past it are not
		 * fetchable; the first one faults. */
		if (rip > cs->limit)
			x86_fault(c, X86_GP, 0);
		if (cs->limit - rip + 1 < avail)
			avail = cs->limit - rip + 1;
		lin = (cs->base + rip) & 0xffffffffULL;
	}
	t = mmu_xlate(c, lin, ACC_X, user);
	*phys = (t->phys & ~0xfffULL) | (lin & 0xfff);
	first = 0x1000 - (lin & 0xfff);
	if (first >= avail) {
		phys_rw(c, *phys, buf, (int)avail, false);
		return (int)avail;
	}
	phys_rw(c, *phys, buf, (int)first, false);
	{
		uint64_t lin2 = lin + first;
		if (c->mode == MODE_LONG ? !canonical(lin2) : false)
			return (int)first;
		if (c->mode != MODE_LONG)
			lin2 &= 0xffffffffULL;
		t = mmu_lookup(c, lin2, ACC_X, user, &err);
		if (!t)
			return (int)first;
		phys_rw(c, t->phys & ~0xfffULL, buf + first, (int)(avail - first), false);
	}
	return (int)avail;
}

/* --- TLB maintenance (SDM Vol. 3A 4.10.4) --- */

void x86_tlb_flush(struct x86_cpu *c, bool global_too)
{
	for (int i = 0; i < TLB_SIZE; i++) {
		struct x86_tlb_entry *t = &c->tlb[i];
		if (!global_too && (t->phys & TLB_GLOBAL))
			continue;
		t->tag_r = t->tag_w = t->tag_x = 0;
	}
}

static const uint64_t tlb_sz_mask[] = {
	[TLB_SZ_4K] = ~0xfffULL, [TLB_SZ_2M] = ~0x1fffffULL, [TLB_SZ_4M] = ~0x3fffffULL,
};

/* INVLPG drops the translation of the page holding lin, whatever its size:
 * a 2 or 4 MiB page is kept here as 4 KiB pieces, so scan for them. */
void x86_tlb_flush_page(struct x86_cpu *c, uint64_t lin)
{
	for (int i = 0; i < TLB_SIZE; i++) {
		struct x86_tlb_entry *t = &c->tlb[i];
		uint64_t tag = t->tag_r | t->tag_w | t->tag_x;
		unsigned sz = (t->phys >> TLB_SZ_SHIFT) & 3;
		uint64_t m;

		if (!tag)
			continue;
		m = tlb_sz_mask[sz < ARRAY_SIZE(tlb_sz_mask) ? sz : 0];
		if (((tag ^ lin) & m) == 0)
			t->tag_r = t->tag_w = t->tag_x = 0;
	}
}

void x86_tlb_code_page(struct x86_cpu *c, uint64_t phys)
{
	phys &= ~0xfffULL;
	for (int i = 0; i < TLB_SIZE; i++)
		if ((c->tlb[i].phys & ~0xfffULL) == phys)
			c->tlb[i].tag_w = 0;
}

/* Debug/loader helper: linear -> physical with the current paging mode,
 * supervisor, no A/D side effects avoided (a real walk). -1 on failure. */
int x86_translate(struct x86_cpu *c, uint64_t lin, int acc, uint64_t *phys)
{
	struct walk w;

	if (mmu_walk(c, lin, acc, false, &w))
		return -1;
	*phys = w.phys | (lin & 0xfff);
	return 0;
}
