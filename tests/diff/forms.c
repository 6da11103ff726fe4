/* The form table and the little encoder the form builders use. Encodings
 * follow SDM Vol. 2A chapter 2 (legacy prefixes, REX, ModRM/SIB). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

struct diff_form *diff_form_add(struct diff_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct diff_form *v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "diffrun: out of memory\n");
			exit(2);
		}
		t->v = v;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return &t->v[t->n++];
}

void enc_begin(struct diff_form *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
	f->len = 0;
	f->imm_off = -1;
	f->fdef = DF_ARITH;
	f->aux = 0xff;
	f->ninsn = 1;
}

void enc_byte(struct diff_form *f, uint8_t b)
{
	if (f->len >= sizeof(f->code)) {
		fprintf(stderr, "diffrun: form %s too long\n", f->name);
		exit(2);
	}
	f->code[f->len++] = b;
}

static void enc_head(struct diff_form *f, int width, uint8_t pfx, int r, int x, int b,
		     bool force_rex, const uint8_t *op, int oplen)
{
	uint8_t rex = 0x40 | (width == 8 ? 8 : 0) | ((r >> 3) & 1) << 2 |
		      ((x >> 3) & 1) << 1 | ((b >> 3) & 1);

	/* LOCK/REP/mandatory prefixes, then 66 for 16-bit operands. For SSE
	 * forms the caller passes 66/F2/F3 as pfx and width 4. */
	if (pfx)
		enc_byte(f, pfx);
	if (width == 2)
		enc_byte(f, 0x66);
	/* REX must come right before the opcode (SDM Vol. 2A 2.2.1). */
	if (rex != 0x40 || force_rex)
		enc_byte(f, rex);
	for (int i = 0; i < oplen; i++)
		enc_byte(f, op[i]);
}

void enc_op(struct diff_form *f, int width, uint8_t pfx, const uint8_t *op, int oplen, int rm)
{
	enc_head(f, width, pfx, 0, 0, rm, false, op, oplen);
}

void enc_rr(struct diff_form *f, int width, uint8_t pfx, const uint8_t *op, int oplen,
	    int reg, int rm, bool force_rex)
{
	enc_head(f, width, pfx, reg, 0, rm, force_rex, op, oplen);
	enc_byte(f, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

void enc_rm(struct diff_form *f, int width, uint8_t pfx, const uint8_t *op, int oplen,
	    int reg, int8_t disp, bool force_rex)
{
	enc_head(f, width, pfx, reg, 0, 3, force_rex, op, oplen);
	f->mem = true;
	if (disp == 0) {
		enc_byte(f, (uint8_t)(0x00 | (reg & 7) << 3 | 3));          /* [rbx] */
	} else {
		enc_byte(f, (uint8_t)(0x40 | (reg & 7) << 3 | 3));          /* [rbx+d8] */
		enc_byte(f, (uint8_t)disp);
	}
}

void enc_imm(struct diff_form *f, uint64_t v, int len, int kind)
{
	if (kind != IMM_NONE) {
		f->imm_off = (int8_t)f->len;
		f->imm_len = (uint8_t)len;
		f->imm_kind = (uint8_t)kind;
	}
	for (int i = 0; i < len; i++)
		enc_byte(f, (uint8_t)(v >> (8 * i)));
}

void enc_end(struct diff_form *f, int ninsn)
{
	f->ninsn = (uint8_t)ninsn;
}
