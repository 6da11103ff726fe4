/* Boot loader registry and the helpers the loaders share. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

/* Probe order matters: a PVH vmlinux and a multiboot kernel are both ELF;
 * the PVH loader only claims ELF files carrying the Xen entry note. */
const struct boot_loader *const boot_registry[] = {
	&boot_linux,
	&boot_pvh,
	&boot_multiboot,
	NULL,
};

int boot_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int boot_load(struct guest_mem *m, const struct boot_params_in *in,
	      struct boot_state *out, char *err, size_t errlen)
{
	const char *name = in->kernel_name ? in->kernel_name : "kernel";
	char reason[256];
	int ret;

	reason[0] = '\0';
	if (!in->kernel || !in->kernel_len) {
		ret = boot_fail(reason, sizeof(reason), -EINVAL, "empty file");
		goto fail;
	}
	if (in->initrd_len && !in->initrd) {
		ret = boot_fail(reason, sizeof(reason), -EINVAL, "initrd length without data");
		goto fail;
	}
	for (const struct boot_loader *const *l = boot_registry; *l; l++) {
		if (!(*l)->probe(in->kernel, in->kernel_len))
			continue;
		memset(out, 0, sizeof(*out));
		ret = (*l)->load(m, in, out, reason, sizeof(reason));
		if (ret)
			goto fail;
		/* A loader may report what it actually used (a bzImage
		 * entered through PVH says "pvh"). */
		if (!out->protocol)
			out->protocol = (*l)->name;
		return 0;
	}
	if (elf_probe(in->kernel, in->kernel_len))
		ret = boot_fail(reason, sizeof(reason), -EINVAL,
				"ELF file has neither a PVH entry note (Xen PHYS32_ENTRY) nor a multiboot header");
	else
		ret = boot_fail(reason, sizeof(reason), -EINVAL,
				"not a bzImage, PVH ELF or multiboot kernel (no known magic)");
fail:
	if (!reason[0])
		snprintf(reason, sizeof(reason), "%s", strerror(-ret));
	boot_fail(err, errlen, ret, "%s: %s", name, reason);
	return ret;
}

/* Ranges no kernel segment may touch: the loaders' own tables and the
 * EBDA/VGA/option-ROM/BIOS window (0x9fc00-0xfffff), which real firmware
 * owns and where mptable_write() puts the MP tables. */
bool boot_range_ok(uint64_t addr, uint64_t len)
{
	static const struct { uint64_t lo, hi; } rsv[] = {
		{ 0, BOOT_DATA_END },
		{ BOOT_EBDA_START, BOOT_HIGH_START },
	};

	if (addr + len < addr)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(rsv); i++)
		if (addr < rsv[i].hi && addr + len > rsv[i].lo)
			return false;
	return true;
}

int boot_put_cmdline(struct guest_mem *m, const char *cmdline, size_t max,
		     char *err, size_t errlen)
{
	size_t n = cmdline ? strlen(cmdline) : 0;

	if (max > BOOT_CMDLINE_MAX - 1)
		max = BOOT_CMDLINE_MAX - 1;
	if (n > max)
		return boot_fail(err, errlen, -E2BIG,
				 "command line is %zu bytes, the kernel accepts at most %zu", n, max);
	if (mem_write(m, BOOT_CMDLINE_ADDR, n ? cmdline : "", n + 1))
		return boot_fail(err, errlen, -ENOMEM, "no RAM for the command line at 0x%llx",
				 BOOT_CMDLINE_ADDR);
	return 0;
}

int boot_place_initrd(const struct guest_mem *m, uint64_t lo, uint64_t hi,
		      size_t len, uint64_t *addr, char *err, size_t errlen)
{
	lo = ALIGN_UP(lo, 4096);
	/* Highest region first: "as high as possible" (boot.rst, initrd). */
	for (int i = m->nr - 1; i >= 0; i--) {
		uint64_t rlo = m->r[i].gpa, rhi = m->r[i].gpa + m->r[i].size;
		uint64_t top, start;

		if (rlo < lo)
			rlo = lo;
		if (rhi > hi)
			rhi = hi;
		if (rlo >= rhi || rhi - rlo < len)
			continue;
		top = rhi - len;
		start = ALIGN_DOWN(top, 4096);
		if (start < rlo)
			continue;
		*addr = start;
		return 0;
	}
	return boot_fail(err, errlen, -ENOMEM,
			 "initrd (%zu bytes) does not fit in RAM between 0x%llx and 0x%llx",
			 len, (unsigned long long)lo, (unsigned long long)hi);
}

int boot_write_tables(struct guest_mem *m, int ncpus, char *err, size_t errlen)
{
	int ret;

	if (ncpus <= 0)
		ncpus = 1;
	ret = mptable_write(m, ncpus);
	if (!ret)
		ret = acpi_write(m, ncpus);
	if (ret == -EINVAL)
		return boot_fail(err, errlen, ret, "cannot describe %d CPUs (at most 254)", ncpus);
	if (ret)
		return boot_fail(err, errlen, ret, "guest RAM too small for the MP/ACPI tables");
	return 0;
}

void boot_regs_reset(struct boot_state *out)
{
	memset(&out->regs, 0, sizeof(out->regs));
	/* Bit 1 of RFLAGS is reserved and reads as 1 (SDM vol. 1, 3.4.3). */
	out->regs.rflags = 0x2;
	/* xAPIC enabled at its default base, BSP flag set (SDM vol. 3A,
	 * 11.4.4). KVM's SET_SREGS writes this MSR, so zero would disable
	 * the local APIC. */
	out->sregs.apic_base = 0xfee00000ULL | (1ULL << 11) | (1ULL << 8);
}

int boot_finish_flat32(struct guest_mem *m, int ncpus, uint64_t entry,
		       struct boot_state *out, char *err, size_t errlen)
{
	int ret = boot_write_tables(m, ncpus, err, errlen);

	if (ret)
		return ret;
	/* Multiboot (3.2) and PVH both start in 32-bit flat protected mode
	 * with paging and interrupts off. A20 needs nothing: guest RAM never
	 * wraps at 1 MiB here. */
	boot_regs_reset(out);
	if (boot_setup_segments(m, &out->sregs, 0))
		return boot_fail(err, errlen, -ENOMEM, "guest RAM too small for the GDT");
	out->sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	out->regs.rbx = BOOT_INFO_ADDR;
	out->regs.rip = entry;
	return 0;
}
