/* ELF32/ELF64 program-header reader for the PVH and multiboot loaders
 * (System V gABI, "ELF Header" and "Program Header"). Every offset and size
 * comes from an untrusted file and is checked before use. */
#include <errno.h>
#include <string.h>
#include "ringvm/util.h"
#include "boot/boot-int.h"

#define EM_386    3
#define EM_X86_64 62

int elf_probe(const uint8_t *img, size_t len)
{
	return len >= 4 && !memcmp(img, "\177ELF", 4);
}

int elf_parse(struct elf_image *e, const uint8_t *img, size_t len,
	      char *err, size_t errlen)
{
	size_t ehsize, phsize;

	memset(e, 0, sizeof(*e));
	if (!elf_probe(img, len))
		return boot_fail(err, errlen, -EINVAL, "not an ELF file");
	if (len < 52)
		return boot_fail(err, errlen, -EINVAL, "truncated ELF header (%zu bytes)", len);
	if (img[4] != 1 && img[4] != 2)
		return boot_fail(err, errlen, -EINVAL, "bad ELF class %u", img[4]);
	if (img[5] != 1)
		return boot_fail(err, errlen, -EINVAL, "ELF file is not little-endian");
	e->is64 = img[4] == 2;
	ehsize = e->is64 ? 64 : 52;
	phsize = e->is64 ? 56 : 32;
	if (len < ehsize)
		return boot_fail(err, errlen, -EINVAL, "truncated ELF64 header (%zu bytes)", len);
	e->img = img;
	e->len = len;
	e->machine = get_le16(img + 18);
	if (e->machine != EM_386 && e->machine != EM_X86_64)
		return boot_fail(err, errlen, -EINVAL, "ELF machine %u is not x86", e->machine);
	if (e->is64) {
		e->entry = get_le64(img + 24);
		e->phoff = get_le64(img + 32);
		e->phentsize = get_le16(img + 54);
		e->phnum = get_le16(img + 56);
	} else {
		e->entry = get_le32(img + 24);
		e->phoff = get_le32(img + 28);
		e->phentsize = get_le16(img + 42);
		e->phnum = get_le16(img + 44);
	}
	if (!e->phnum)
		return boot_fail(err, errlen, -EINVAL, "ELF file has no program headers");
	if (e->phnum > ELF_MAX_PHDRS)
		return boot_fail(err, errlen, -EINVAL, "ELF file has %u program headers (max %d)",
				 e->phnum, ELF_MAX_PHDRS);
	if (e->phentsize < phsize)
		return boot_fail(err, errlen, -EINVAL, "ELF program header size %u is too small",
				 e->phentsize);
	if (e->phoff > len || (uint64_t)e->phnum * e->phentsize > len - e->phoff)
		return boot_fail(err, errlen, -EINVAL,
				 "ELF program header table (offset 0x%llx, %u entries) is beyond the end of the file",
				 (unsigned long long)e->phoff, e->phnum);
	return 0;
}

void elf_phdr_get(const struct elf_image *e, unsigned i, struct elf_phdr *ph)
{
	const uint8_t *p = e->img + e->phoff + (size_t)i * e->phentsize;

	if (e->is64) {
		ph->type = get_le32(p);
		ph->flags = get_le32(p + 4);
		ph->offset = get_le64(p + 8);
		ph->vaddr = get_le64(p + 16);
		ph->paddr = get_le64(p + 24);
		ph->filesz = get_le64(p + 32);
		ph->memsz = get_le64(p + 40);
		ph->align = get_le64(p + 48);
	} else {
		ph->type = get_le32(p);
		ph->offset = get_le32(p + 4);
		ph->vaddr = get_le32(p + 8);
		ph->paddr = get_le32(p + 12);
		ph->filesz = get_le32(p + 16);
		ph->memsz = get_le32(p + 20);
		ph->flags = get_le32(p + 24);
		ph->align = get_le32(p + 28);
	}
}

static bool in_file(const struct elf_image *e, uint64_t off, uint64_t len)
{
	return off <= e->len && len <= e->len - off;
}

int elf_find_note(const struct elf_image *e, const char *name, uint32_t type,
		  const uint8_t **desc, uint32_t *descsz)
{
	size_t nlen = strlen(name) + 1;

	for (unsigned i = 0; i < e->phnum; i++) {
		struct elf_phdr ph;
		const uint8_t *p;
		uint64_t left;

		elf_phdr_get(e, i, &ph);
		if (ph.type != ELF_PT_NOTE)
			continue;
		if (!in_file(e, ph.offset, ph.filesz))
			return -EINVAL;
		p = e->img + ph.offset;
		left = ph.filesz;
		/* Each note: namesz, descsz, type, then name and desc, each
		 * padded to 4 bytes (gABI "Note Section"). */
		while (left >= 12) {
			uint64_t nsz = get_le32(p), dsz = get_le32(p + 4);
			uint32_t t = get_le32(p + 8);
			uint64_t npad = ALIGN_UP(nsz, 4), dpad = ALIGN_UP(dsz, 4);

			if (npad > left - 12 || dpad > left - 12 - npad)
				return -EINVAL;
			if (t == type && nsz == nlen && !memcmp(p + 12, name, nlen)) {
				*desc = p + 12 + npad;
				*descsz = (uint32_t)dsz;
				return 1;
			}
			p += 12 + npad + dpad;
			left -= 12 + npad + dpad;
		}
	}
	return 0;
}

int elf_load(struct guest_mem *m, const struct elf_image *e, uint64_t *end,
	     char *err, size_t errlen)
{
	struct elf_phdr seg[ELF_MAX_PHDRS];
	unsigned n = 0;
	uint64_t hi = 0;

	for (unsigned i = 0; i < e->phnum; i++) {
		struct elf_phdr *ph = &seg[n];

		elf_phdr_get(e, i, ph);
		if (ph->type != ELF_PT_LOAD || !ph->memsz)
			continue;
		if (ph->filesz > ph->memsz)
			return boot_fail(err, errlen, -EINVAL,
					 "segment %u: file size 0x%llx exceeds memory size 0x%llx", i,
					 (unsigned long long)ph->filesz, (unsigned long long)ph->memsz);
		if (!in_file(e, ph->offset, ph->filesz))
			return boot_fail(err, errlen, -EINVAL,
					 "segment %u: file offset 0x%llx + size 0x%llx is beyond the end of the file (%zu bytes)",
					 i, (unsigned long long)ph->offset,
					 (unsigned long long)ph->filesz, e->len);
		if (ph->paddr + ph->memsz < ph->paddr)
			return boot_fail(err, errlen, -EINVAL, "segment %u: address wraps around", i);
		if (!boot_range_ok(ph->paddr, ph->memsz))
			return boot_fail(err, errlen, -EINVAL,
					 "segment %u at 0x%llx-0x%llx overlaps memory reserved for boot data/BIOS (below 1 MiB)",
					 i, (unsigned long long)ph->paddr,
					 (unsigned long long)(ph->paddr + ph->memsz));
		if (!mem_ptr(m, ph->paddr, ph->memsz))
			return boot_fail(err, errlen, -ENOMEM,
					 "segment %u at 0x%llx-0x%llx is outside guest RAM (%llu MiB)",
					 i, (unsigned long long)ph->paddr,
					 (unsigned long long)(ph->paddr + ph->memsz),
					 (unsigned long long)(m->ram_size / MiB));
		for (unsigned j = 0; j < n; j++)
			if (ph->paddr < seg[j].paddr + seg[j].memsz &&
			    seg[j].paddr < ph->paddr + ph->memsz)
				return boot_fail(err, errlen, -EINVAL,
						 "segment %u at 0x%llx overlaps an earlier segment at 0x%llx",
						 i, (unsigned long long)ph->paddr,
						 (unsigned long long)seg[j].paddr);
		if (ph->paddr + ph->memsz > hi)
			hi = ph->paddr + ph->memsz;
		n++;
	}
	if (!n)
		return boot_fail(err, errlen, -EINVAL, "ELF file has no loadable segment");

	/* Everything checked: now copy, then zero the BSS tail. */
	for (unsigned j = 0; j < n; j++) {
		uint8_t *dst = mem_ptr(m, seg[j].paddr, seg[j].memsz);

		memcpy(dst, e->img + seg[j].offset, seg[j].filesz);
		memset(dst + seg[j].filesz, 0, seg[j].memsz - seg[j].filesz);
	}
	*end = hi;
	return 0;
}
