/* x86emu_run(): the decoded-instruction cache and the dispatch loop.
 *
 * Decoded instructions are cached in blocks of up to BLOCK_MAX records keyed
 * by the *physical* address of their first byte (EMU-NOTES: "decode once
 * into fixed-size records ... cached by guest physical address"), so an
 * alias mapping or a new address space reuses them and a write through any
 * mapping invalidates them. A block never crosses a 4 KiB page; an
 * instruction that does is decoded and run uncached.
 *
 * Self-modifying code: each page holding cached code has a generation
 * number; a write to such a page (mmu.c calls x86_code_written) bumps it,
 * which invalidates every block of the page at once, and ends the running
 * block after the writing instruction (SDM Vol. 3A 8.1.3: a write to code
 * is seen by the next instruction fetched).
 *
 * The page tables (generation, "holds code") are shared by all vCPUs of
 * the process (one process is one VM), so cross-modifying code works too:
 * Linux patches kernel text on one CPU (text_poke) and the others see it
 * at their next block lookup, which is no later than the serialising
 * instruction SDM Vol. 3A 8.1.3 asks the executing CPU for. When a page
 * becomes code, every vCPU drops its soft-TLB write tags for code pages at
 * its next block boundary (code_epoch), so its writes to that page take
 * mmu.c's slow path and reach x86_code_written().
 *
 * Events (stop requests, NMI, maskable interrupts, halt) are checked
 * between blocks. A block ends early when RIP does not go where the next
 * record expects (a taken branch, a fault, a REP slice) or code was
 * written; instructions that change what the loop must look at (HLT, STI,
 * MOV SS, POPF, mode changes, I/O) are always last in their block
 * (ends_block). TF, the interrupt shadow and tracing run one instruction
 * at a time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "cpu/x86/isa.h"
#include "cpu/x86/jit.h"
#include "cpu/x86/system.h"

#define BLOCK_MAX  16
/* 32768 direct-mapped slots: a Linux boot rebuilt ~1.05M blocks over
 * collisions with 8192 slots, ~0.39M with these. Per vCPU: 0.75 MiB of
 * slots and a 9 MiB record arena (below), touched only as code runs. */
#define DC_BITS    15
#define DC_BLOCKS  (1u << DC_BITS)
#define PG_BITS    20                 /* page generation slots (4 GiB exact) */
#define PG_SLOTS   (1u << PG_BITS)

struct dblock {
	uint64_t phys;       /* physical address of the first instruction */
	uint32_t gen;        /* page generation it was decoded under */
	uint8_t code_size;
	uint8_t n;           /* instructions; 0 = empty slot */
	bool tail_special;   /* the last instruction is one ends_block() names,
	                        other than a near transfer (chain() stops) */
	uint8_t hits;        /* whole-block runs before translation; 255: never */
	struct x86_insn *insn; /* n records in the arena */
	x86_jit_fn jit;      /* its translation (jit.c), or NULL */
	uint64_t jit_rip;    /* the RIP it was translated at */
	uint8_t jit_cpl;     /* and the CPL */
	const struct dblock *jit_desc; /* a copy in the JIT's data, for fault
	                        recovery after a linked jump (jit.h) */
};

/* The records of all blocks live packed in one arena, n per block, not
 * BLOCK_MAX: most blocks are a few instructions long, and a Linux boot's
 * decoded code is bigger than the host's caches, so density is speed
 * (the block lookup's cache miss was the loop's largest single cost).
 * When the arena is full every block is dropped at once and decoding
 * starts over (like QEMU's code buffer flush). */
#define ARENA_RECS (DC_BLOCKS * 6u)

struct dcache {
	struct dblock *blocks;
	struct x86_insn *arena;
	struct x86_jit *jit; /* translated blocks; NULL: interpret only */
	unsigned arena_used; /* records handed out since the last flush */
	uint64_t faults;     /* faulted instructions: they count toward max_insns */
	uint64_t epoch_seen; /* code_epoch when this vCPU last fixed its TLB */
	bool written;        /* a code page was written by this instruction */
	/* The block block_exec() is running (NULL outside it) and the RIP
	 * of its first record: icount is added once per block, so a fault
	 * in the middle recovers how many records before it retired from
	 * c->insn_rip (fault_retired()). */
	const struct dblock *running;
	uint64_t running_rip;
	/* Block linking (jit.h struct x86_jit_env): the icount a linked
	 * jump must not pass, and the link slot of the last exit back. */
	uint64_t icount_stop;
	void *last_exit;
};

/* Shared by every vCPU (see the top of the file); accessed with relaxed
 * atomics since other vCPU threads read and write them. calloc'd once:
 * the kernel maps the pages lazily, so untouched slots cost nothing. */
static uint32_t *page_gen;     /* per physical page (low PG_BITS of the frame) */
static uint8_t *page_code;     /* page holds cached code */
static uint64_t code_epoch;    /* bumped when a page becomes code */
static pthread_once_t pages_once = PTHREAD_ONCE_INIT;

/* Block translation (jit.c): on unless RINGVM_JIT=0; a block is
 * translated on its jit_hot-th whole run (RINGVM_JIT_HOT, 1..254), so code
 * that runs a few times (most of a boot) is never translated. The code
 * buffer (RINGVM_JIT_KIB, 64 KiB..1 GiB; tests make it tiny so that it
 * fills and starts over all the time) is address space until used. */
static bool jit_on = true;
static unsigned jit_hot = 16;
static size_t jit_bytes = 64u << 20;

static void pages_alloc(void)
{
	const char *e = getenv("RINGVM_JIT"), *h = getenv("RINGVM_JIT_HOT");
	const char *kib = getenv("RINGVM_JIT_KIB");

	page_gen = calloc(PG_SLOTS, sizeof(*page_gen));
	page_code = calloc(PG_SLOTS, 1);
	if (e && !strcmp(e, "0"))
		jit_on = false;
	if (h && atoi(h) >= 1 && atoi(h) <= 254)
		jit_hot = (unsigned)atoi(h);
	if (kib && atol(kib) >= 64 && atol(kib) <= (1L << 20))
		jit_bytes = (size_t)atol(kib) << 10;
}

static inline uint32_t pg_slot(uint64_t phys)
{
	return (uint32_t)(phys >> 12) & (PG_SLOTS - 1);
}

static inline uint32_t gen_of(uint32_t s)
{
	return __atomic_load_n(&page_gen[s], __ATOMIC_RELAXED);
}

static struct dcache *dc_get(struct x86_cpu *c)
{
	struct dcache *dc = c->dcache;

	if (likely(dc))
		return dc;
	pthread_once(&pages_once, pages_alloc);
	if (!page_gen || !page_code)
		return NULL;
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NULL;
	dc->blocks = calloc(DC_BLOCKS, sizeof(*dc->blocks));
	dc->arena = calloc(ARENA_RECS, sizeof(*dc->arena));
	if (!dc->blocks || !dc->arena) {
		free(dc->blocks);
		free(dc->arena);
		free(dc);
		return NULL;
	}
	/* Without an executable buffer the interpreter does it all. */
	dc->jit = jit_on ? x86_jit_new(jit_bytes) : NULL;
	c->dcache = dc;
	return dc;
}

void x86_dcache_free(struct x86_cpu *c)
{
	struct dcache *dc = c->dcache;

	if (!dc)
		return;
	free(dc->blocks);
	free(dc->arena);
	x86_jit_free(dc->jit);
	free(dc);
	c->dcache = NULL;
}

bool x86_page_has_code(struct x86_cpu *c, uint64_t phys)
{
	return page_code && __atomic_load_n(&page_code[pg_slot(phys)], __ATOMIC_RELAXED);
}

void x86_code_written(struct x86_cpu *c, uint64_t phys, int len)
{
	struct dcache *dc = c->dcache;
	uint64_t p, end;

	if (!page_code || len <= 0)
		return;
	end = (phys + (uint64_t)len - 1) >> 12;
	for (p = phys >> 12; p <= end; p++) {
		uint32_t s = (uint32_t)p & (PG_SLOTS - 1);
		if (__atomic_load_n(&page_code[s], __ATOMIC_RELAXED)) {
			__atomic_store_n(&page_code[s], 0, __ATOMIC_RELAXED);
			__atomic_fetch_add(&page_gen[s], 1, __ATOMIC_RELEASE);
			if (dc)
				dc->written = true;
		}
	}
}

/* Another vCPU made a page into code since we last looked: drop our write
 * tags for every code page so our writes to it are seen. */
static void tlb_sync_code(struct x86_cpu *c, struct dcache *dc)
{
	uint64_t e = __atomic_load_n(&code_epoch, __ATOMIC_ACQUIRE);

	if (likely(e == dc->epoch_seen))
		return;
	dc->epoch_seen = e;
	for (int k = 0; k < TLB_SIZE; k++) {
		struct x86_tlb_entry *t = &c->tlb[k];
		if (t->tag_w && __atomic_load_n(&page_code[pg_slot(t->phys)], __ATOMIC_RELAXED))
			t->tag_w = 0;
	}
}

/* --- tracing --- */

static void trace_insn(struct x86_cpu *c, const struct x86_insn *ins)
{
	FILE *f = c->trace;
	uint8_t buf[16];
	uint64_t phys;
	ZydisDisassembledInstruction dis;
	ZydisMachineMode mm;
	int n;

	if (!c->trace_left) {
		c->trace = NULL;
		return;
	}
	c->trace_left--;
	n = x86_fetch(c, c->insn_rip, buf, &phys);
	if (n > ins->len)
		n = ins->len;
	mm = c->code_size == 8 ? ZYDIS_MACHINE_MODE_LONG_64
	     : c->code_size == 4 ? ZYDIS_MACHINE_MODE_LEGACY_32
	     : c->mode == MODE_REAL ? ZYDIS_MACHINE_MODE_REAL_16 : ZYDIS_MACHINE_MODE_LEGACY_16;
	fprintf(f, "%016llx: ", (unsigned long long)c->insn_rip);
	for (int k = 0; k < 10; k++) {
		if (k < n)
			fprintf(f, "%02x", buf[k]);
		else
			fputs("  ", f);
	}
	if (ZYAN_SUCCESS(ZydisDisassembleIntel(mm, c->insn_rip, buf, (ZyanUSize)n, &dis)))
		fprintf(f, "  %s\n", dis.info.length ? dis.text : "?");
	else
		fputs("  (bad)\n", f);
}

/* --- decoding into blocks --- */

/* Instructions after which a block ends. Unconditional transfers (what
 * follows may be data), and everything that can change what the run loop
 * must look at between instructions without moving RIP elsewhere: HLT, the
 * interrupt shadow (STI, MOV SS, POP SS), IF/TF (POPF, CLI), CPU mode
 * (MOV CR, LMSW, WRMSR, group 7), software interrupts, and port I/O (a
 * device may ask the CPU to stop). This keeps the per-instruction check in
 * block_exec() down to "did RIP go where expected, was code written". */
static bool ends_block(const struct x86_insn *i)
{
	if (i->map == 0) {
		switch (i->op) {
		case 0xc2: case 0xc3: case 0xca: case 0xcb: case 0xcf:
		case 0xe9: case 0xea: case 0xeb: case 0x9a: case 0xe8:
		case 0xcc: case 0xcd: case 0xce: case 0xf4: case 0xf1:
		case 0xfa: case 0xfb: case 0x17: case 0x9d:
		case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		case 0xec: case 0xed: case 0xee: case 0xef:
		case 0x6c: case 0x6d: case 0x6e: case 0x6f:
			return true;
		case 0x8e:
			return (i->reg & 7) == S_SS;
		case 0xff:
			return (i->reg & 7) >= 2 && (i->reg & 7) <= 5;
		}
		return false;
	}
	if (i->map == 1) {
		switch (i->op) {
		case 0x00: case 0x01: case 0x05: case 0x07: case 0x0b:
		case 0x06: case 0x08: case 0x09:
		case 0x20: case 0x21: case 0x22: case 0x23:
		case 0x30: case 0x34: case 0x35: case 0xaa:
			return true;
		}
	}
	return false;
}

/* Block enders after which chain() may go straight on: near JMP, CALL and
 * RET (direct or indirect) end a block only because what follows them may
 * be data; they change nothing else the run loop looks at. */
static bool near_transfer(const struct x86_insn *i)
{
	if (i->map != 0)
		return false;
	switch (i->op) {
	case 0xc2: case 0xc3: case 0xe8: case 0xe9: case 0xeb:
		return true;
	case 0xff:
		return (i->reg & 7) == 2 || (i->reg & 7) == 4;
	}
	return false;
}

/* Raise the fault a failed decode at c->rip stands for; n bytes were there. */
static _Noreturn void decode_fault(struct x86_cpu *c, int r, int n)
{
	if (r == X86_DEC_TRUNC) {
		uint8_t tmp[16];
		uint64_t ph;
		/* The byte after what could be fetched faults (#PF/#GP). */
		x86_fetch(c, c->rip + (uint64_t)n, tmp, &ph);
		x86_fault(c, X86_GP, 0);
	}
	if (r == X86_DEC_TOOLONG)
		x86_fault(c, X86_GP, 0);   /* SDM Vol. 2A 2.3.11 */
	x86_fault(c, X86_UD, X86_NOERR);
}

/* Decode a block at phys from the page's host memory. Returns it, or NULL
 * when the first instruction cannot be cached (crosses the page, not RAM). */
static struct dblock *block_build(struct x86_cpu *c, struct dcache *dc, struct dblock *b,
				  uint64_t phys)
{
	const uint8_t *page = c->bus.ram_page ? c->bus.ram_page(c->bus.opaque, phys & ~0xfffULL) : NULL;
	unsigned off = phys & 0xfff;
	uint32_t s = pg_slot(phys);
	int k;

	if (!page)
		return NULL;
	/* Mark the page as code, then take its generation, then decode: a
	 * write racing with us from another vCPU either lands before the
	 * decode reads the bytes or bumps the generation. */
	if (!__atomic_load_n(&page_code[s], __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&page_code[s], 1, __ATOMIC_SEQ_CST);
		/* Writes to this page must now reach x86_code_written(): here
		 * at once, on the other vCPUs at their next block. */
		x86_tlb_code_page(c, phys);
		dc->epoch_seen = __atomic_add_fetch(&code_epoch, 1, __ATOMIC_ACQ_REL);
	}
	/* Room for a whole block, or start the arena over (nothing points
	 * into it across this call but b, a slot, which is refilled here). */
	if (dc->arena_used + BLOCK_MAX > ARENA_RECS) {
		memset(dc->blocks, 0, DC_BLOCKS * sizeof(*dc->blocks));
		dc->arena_used = 0;
		if (dc->jit)
			x86_jit_reset(dc->jit);   /* translations call into the arena */
	}
	/* The slot is empty until it is complete: a decode fault or a page
	 * crossing below leaves it so. */
	b->n = 0;
	b->hits = 0;
	b->jit = NULL;
	b->insn = dc->arena + dc->arena_used;
	b->gen = gen_of(s);
	for (k = 0; k < BLOCK_MAX; k++) {
		int avail = 0x1000 - (int)off;
		int r = x86_decode(page + off, avail > 15 ? 15 : avail, c->code_size, &b->insn[k]);
		if (r <= 0) {
			if (k == 0) {
				if (r == X86_DEC_TRUNC)
					return NULL;     /* crosses the page: uncached */
				decode_fault(c, r, avail);
			}
			break;
		}
		x86_specialize(&b->insn[k], c->code_size);
		off += (unsigned)r;
		if (ends_block(&b->insn[k]) || off >= 0x1000) {
			k++;
			break;
		}
	}
	b->phys = phys;
	b->code_size = c->code_size;
	b->n = (uint8_t)k;
	dc->arena_used += (unsigned)k;
	b->tail_special = k > 0 && ends_block(&b->insn[k - 1]) && !near_transfer(&b->insn[k - 1]);
	return b;
}

static inline struct dblock *block_slot(struct dcache *dc, uint64_t phys)
{
	return &dc->blocks[(phys * 0x9e3779b97f4a7c15ULL) >> (64 - DC_BITS)];
}

/* --- execution --- */

/* Run up to n (>= 1) instructions of a block. Returns how many retired.
 * The per-instruction work is what EMU-NOTES' threaded dispatch leaves:
 * advance RIP, one indirect call, one check that RIP went where the next
 * record expects and that no code was written. Kept free of the tracing
 * case (block_exec_trace) so that the loop's values stay in registers
 * across the call. */
static inline __attribute__((always_inline))
unsigned block_exec(struct x86_cpu *c, struct dcache *dc, const struct dblock *b, unsigned n)
{
	const uint64_t ipmask = x86_mask(c->code_size);
	const struct x86_insn *ins = b->insn, *end = b->insn + n;
	uint64_t rip = c->rip;
	unsigned ran;

	dc->written = false;
	dc->running = b;
	dc->running_rip = rip;
	do {
		uint64_t next = (rip + ins->len) & ipmask;

		c->insn_rip = rip;
		c->rip = next;
		ins->fn(c, ins);
		ins++;
		if (unlikely(c->rip != next || dc->written))
			break;
		rip = next;
	} while (ins != end);
	/* Counted once here rather than per record: one memory update per
	 * block instead of one per instruction (a fault leaves through
	 * longjmp before this; x86emu_run() counts those records then). */
	ran = (unsigned)(ins - b->insn);
	c->icount += ran;
	dc->running = NULL;
	/* The block's last instruction may have been one that ends_block()
	 * names; the run loop looks at everything else. */
	return ran;
}

/* Records of the running block that retired before the one at
 * c->insn_rip faulted: records run in order from running_rip, each at the
 * end of the one before (block_exec() stops at any other RIP). */
static unsigned fault_retired(struct x86_cpu *c, const struct dcache *dc)
{
	const struct dblock *b = dc->running;
	const uint64_t ipmask = x86_mask(b->code_size);
	uint64_t rip = dc->running_rip;
	unsigned k;

	for (k = 0; k < b->n && rip != c->insn_rip; k++)
		rip = (rip + b->insn[k].len) & ipmask;
	return k < b->n ? k : 0;
}

/* The same for one instruction, traced (--trace runs one at a time). */
static __attribute__((noinline))
void block_exec_trace(struct x86_cpu *c, struct dcache *dc, const struct dblock *b)
{
	const struct x86_insn *ins = &b->insn[0];
	uint64_t next = (c->rip + ins->len) & x86_mask(c->code_size);

	dc->written = false;
	c->insn_rip = c->rip;
	c->rip = next;
	trace_insn(c, ins);
	ins->fn(c, ins);
	c->icount++;
}

/* Translate b, which is about to run whole at c->rip. When the code
 * buffer is full every translation is dropped and this one retried (hot
 * blocks come back at their next run). */
static x86_jit_fn jit_try(struct x86_cpu *c, struct dcache *dc, struct dblock *b, bool *full)
{
	const struct x86_jit_env env = {
		.written = &dc->written,
		.icount_stop = &dc->icount_stop,
		.code_epoch = &code_epoch,
		.epoch_seen = &dc->epoch_seen,
		.page_gen = &page_gen[pg_slot(b->phys)],
		.running = (const void **)&dc->running,
		.running_rip = &dc->running_rip,
		.last_exit = &dc->last_exit,
	};
	struct dblock *desc = x86_jit_data(dc->jit, sizeof(*desc));

	*full = !desc;
	if (!desc)
		return NULL;
	*desc = *b;
	b->jit_desc = desc;
	return x86_jit_compile(dc->jit, b->insn, b->n, c->rip, b->code_size, c->cpl,
			       b->tail_special, &env, full);
}

static __attribute__((noinline)) void jit_build(struct x86_cpu *c, struct dcache *dc,
						struct dblock *b)
{
	bool full;
	x86_jit_fn f = jit_try(c, dc, b, &full);

	if (!f && full) {
		x86_jit_reset(dc->jit);
		for (unsigned k = 0; k < DC_BLOCKS; k++)
			dc->blocks[k].jit = NULL;
		f = jit_try(c, dc, b, &full);
	}
	b->jit = f;
	b->jit_rip = c->rip;
	b->jit_cpl = c->cpl;
	if (!f)
		b->hits = 255;
}

/* Whether b's translation may run now. It bakes in its RIP (an alias
 * mapping of the same physical code runs interpreted) and the CPL of its
 * soft-TLB tags, and it takes branches without the CS limit check of
 * legacy modes, so it runs only where that check cannot fail (64-bit code
 * or a 4 GiB CS) and without CPL-3 alignment checking (x86_tlb_fast()
 * leaves those accesses to mmu.c); a linked jump stays in the page, so
 * legacy-mode CS must also start at 0 for RIP pages to be linear pages. */
static inline bool jit_runnable(const struct x86_cpu *c, const struct dblock *b)
{
	return b->jit && c->rip == b->jit_rip && c->cpl == b->jit_cpl &&
	       (c->mode == MODE_LONG ||
		(c->seg[S_CS].limit == 0xffffffffu && c->seg[S_CS].base == 0)) &&
	       !(c->cpl == 3 && (c->rflags & F_AC));
}

/* Run a whole block, translated when it is hot (jit_runnable()). The
 * bookkeeping around a translation is block_exec()'s.
 *
 * Returns whether chain() may go on: the block left by a branch or ran to
 * an end that is not tail_special. stop: the icount a linked jump must
 * not pass (run_stop()). */
static inline __attribute__((always_inline))
bool block_go(struct x86_cpu *c, struct dcache *dc, struct dblock *b, unsigned want, uint64_t stop)
{
	unsigned ran;

	dc->last_exit = NULL;
	if (want == b->n && dc->jit) {
		if (!b->jit && b->hits < 255 && ++b->hits >= jit_hot)
			jit_build(c, dc, b);
		if (jit_runnable(c, b)) {
			bool go_on;

			dc->written = false;
			dc->running = b->jit_desc;
			dc->running_rip = c->rip;
			dc->icount_stop = stop;
			go_on = b->jit(c);
			dc->running = NULL;
			return go_on;
		}
	}
	ran = block_exec(c, dc, b, want);
	return ran != b->n ? ran != 0 : !b->tail_special;
}

/* The icount at which x86emu_run()'s budget is spent. */
static inline uint64_t run_stop(const struct x86_cpu *c, uint64_t done, uint64_t limit)
{
	uint64_t left = limit - done;

	return left > UINT64_MAX - c->icount ? UINT64_MAX : c->icount + left;
}

/* One instruction that is not cached (crosses a page, or not in RAM). */
static void exec_uncached(struct x86_cpu *c, const uint8_t *buf, int n, bool trace)
{
	struct x86_insn ins;
	int r = x86_decode(buf, n, c->code_size, &ins);

	if (r <= 0)
		decode_fault(c, r, n);
	c->rip = (c->rip + (uint64_t)r) & x86_mask(c->code_size);
	if (trace)
		trace_insn(c, &ins);
	ins.fn(c, &ins);
	c->icount++;
}

/* Physical address of CS:RIP straight from the soft TLB's fetch tag when
 * it is there (mmu.c fills it; its tag layout is in system.h), sparing the
 * 15-byte copy of x86_fetch() on the hot path. False: use x86_fetch(). */
static inline bool code_phys_fast(struct x86_cpu *c, uint64_t *phys)
{
	const struct x86_tlb_entry *t;
	uint64_t lin;

	if (c->mode == MODE_LONG) {
		lin = c->rip;
	} else {
		if (c->rip + 15 > c->seg[S_CS].limit)
			return false;     /* near the limit: x86_fetch checks it */
		lin = (c->seg[S_CS].base + c->rip) & 0xffffffffULL;
	}
	t = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
	if (t->tag_x != ((lin & ~0xfffULL) | TLB_VALID | (c->cpl == 3 ? TLB_USERTAG : 0)) ||
	    (t->phys & TLB_MMIO))
		return false;
	*phys = (t->phys & ~0xfffULL) | (lin & 0xfff);
	return true;
}

/* Deliver NMI or a maskable interrupt if one is pending and allowed (SDM
 * Vol. 3A 6.8: IF, and the one-instruction shadow after STI / MOV SS, 6.8.3).
 * Returns false on a triple fault. */
static bool take_events(struct x86_cpu *c)
{
	if (c->shadow)
		return true;
	if (atomic_load_explicit(&c->nmi_pending, memory_order_relaxed) && !c->nmi_blocked) {
		atomic_store(&c->nmi_pending, 0);
		c->nmi_blocked = 1;    /* until IRET (seg.c) */
		c->halted = 0;
		c->insn_rip = c->rip;
		return x86_deliver(c, X86_NMI, X86_NOERR, false, true);
	}
	if (atomic_load_explicit(&c->irq_pending, memory_order_relaxed) && (c->rflags & F_IF)) {
		int vec = c->bus.intr_ack ? c->bus.intr_ack(c->bus.opaque) : -1;
		if (vec >= 0) {
			c->halted = 0;
			c->insn_rip = c->rip;
			return x86_deliver(c, vec & 0xff, X86_NOERR, false, true);
		}
	}
	return true;
}

/* Block to block without the full round of run_loop(): after a block
 * that ran to its end or left by a branch (or a REP slice), look up and run
 * the next one directly while nothing needs the loop's attention. What
 * this skips can change only through an instruction that ends_block()
 * names other than near JMP/CALL/RET (HLT, STI, MOV SS, POPF, IRET, far
 * transfers, mode and TF changes, software interrupts, I/O: tail_special),
 * through a fault (which leaves through longjmp), or
 * through another thread (stop requests, NMI, interrupts): it stops at
 * the first of those, and the loop's full checks run. The soft TLB's code
 * tags and the page generations are checked for every block as in
 * run_loop(). */
static inline void chain(struct x86_cpu *c, struct dcache *dc, bool go_on,
			 uint64_t start, uint64_t start_faults, uint64_t limit)
{
	for (;;) {
		uint64_t phys, done;
		unsigned want;
		struct dblock *b;
		/* A translated block's exit to fill with a link to this one. */
		void *link = dc->last_exit;

		dc->last_exit = NULL;
		if (!go_on)
			return;
		if (unlikely(c->shutdown | c->shadow | c->halted) ||
		    (c->rflags & F_TF) || c->trace ||
		    atomic_load_explicit(&c->stop_req, memory_order_relaxed) ||
		    atomic_load_explicit(&c->nmi_pending, memory_order_relaxed) ||
		    atomic_load_explicit(&c->irq_pending, memory_order_relaxed))
			return;
		done = (c->icount - start) + (dc->faults - start_faults);
		if (done >= limit)
			return;
		tlb_sync_code(c, dc);
		c->insn_rip = c->rip;
		if (!code_phys_fast(c, &phys))
			return;
		b = block_slot(dc, phys);
		if (!(b->n && b->phys == phys && b->code_size == c->code_size &&
		      b->gen == gen_of(pg_slot(phys))))
			return;
		want = b->n;
		if (limit - done < want)
			want = (unsigned)(limit - done);
		if (link && want == b->n && jit_runnable(c, b))
			x86_jit_link(link, c->rip, b->jit, b->gen, b->n, b->jit_desc, phys,
				     &page_gen[pg_slot(phys)]);
		go_on = block_go(c, dc, b, want, run_stop(c, done, limit));
	}
}

static enum x86emu_stop run_loop(struct x86_cpu *c, struct dcache *dc, uint64_t start,
				 uint64_t start_faults, uint64_t limit)
{
	for (;;) {
		uint64_t done = (c->icount - start) + (dc->faults - start_faults);
		uint8_t buf[16];
		uint64_t phys;
		bool single, tf, trace;
		int n;

		if (unlikely(c->shutdown)) {
			c->shutdown = 0;
			return X86EMU_SHUTDOWN;
		}
		if (unlikely(atomic_load_explicit(&c->stop_req, memory_order_relaxed))) {
			atomic_store(&c->stop_req, 0);
			return X86EMU_STOPPED;
		}
		if (!take_events(c))
			return X86EMU_SHUTDOWN;
		if (c->halted)
			return X86EMU_HLT;
		if (done >= limit)
			return X86EMU_LIMIT;

		/* The shadow covers exactly the next instruction. */
		single = c->shadow != 0;
		c->shadow = 0;
		tf = c->rflags & F_TF;
		trace = c->trace && c->trace_left;
		if (tf || trace)
			single = true;

		tlb_sync_code(c, dc);
		c->insn_rip = c->rip;
		n = 0;
		if (!code_phys_fast(c, &phys))
			n = x86_fetch(c, c->rip, buf, &phys);
		{
			struct dblock *b = block_slot(dc, phys);
			unsigned want = single ? 1 : BLOCK_MAX;

			if (limit - done < want)
				want = (unsigned)(limit - done);
			if (!(b->n && b->phys == phys && b->code_size == c->code_size &&
			      b->gen == gen_of(pg_slot(phys))))
				b = block_build(c, dc, b, phys);
			if (b) {
				bool go_on;

				if (want > b->n)
					want = b->n;
				if (unlikely(trace)) {
					block_exec_trace(c, dc, b);
					go_on = false;    /* single: chain() is not called */
				} else
					go_on = block_go(c, dc, b, want, run_stop(c, done, limit));
				if (!single)
					chain(c, dc, go_on, start, start_faults, limit);
			} else {
				if (!n)
					n = x86_fetch(c, c->rip, buf, &phys);
				exec_uncached(c, buf, n, trace);
			}
		}
		if (unlikely(tf) && c->shadow != 2) {
			/* Single-step trap after the instruction (SDM Vol. 3A
			 * 17.3.1.4): DR6.BS, then #DB with RIP after it. After
			 * MOV SS / POP SS (shadow 2, seg.c) it waits for the next
			 * instruction (6.8.3). */
			c->dr[6] |= 1u << 14;
			c->insn_rip = c->rip;
			if (!x86_deliver(c, X86_DB, X86_NOERR, false, false))
				return X86EMU_SHUTDOWN;
		}
	}
}

enum x86emu_stop x86emu_run(struct x86emu *e, uint64_t max_insns)
{
	/* Volatile: read again after a longjmp back to the setjmp below. */
	struct x86_cpu *volatile c = x86_cpu_of(e);
	struct dcache *volatile dc = dc_get(c);
	volatile uint64_t start = c->icount, start_faults, limit;

	if (!dc)
		return X86EMU_STOPPED;   /* out of memory: the caller sees no progress */
	start_faults = dc->faults;
	limit = max_insns ? max_insns : UINT64_MAX;
	x86_optab_init();

	if (setjmp(c->fault_jmp)) {
		/* An instruction (or its fetch) faulted: c->rip is back at it
		 * (intr.c). The faulted instruction uses one step of the limit
		 * so a single-stepping caller sees the delivery. */
		if (dc->running) {
			c->icount += fault_retired(c, dc);
			dc->running = NULL;
		}
		dc->faults++;
		c->shadow = 0;
		if (!x86_deliver(c, c->exc_vec, c->exc_err, false, false))
			return X86EMU_SHUTDOWN;
	}
	return run_loop(c, dc, start, start_faults, limit);
}
