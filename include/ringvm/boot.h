/* Boot loaders: Linux bzImage (boot protocol), ELF vmlinux with a PVH
 * entry note, multiboot v1 ELF. Each writes the kernel into guest memory
 * and fills the initial register state of the boot vCPU. */
#ifndef RINGVM_BOOT_H
#define RINGVM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memory.h"
#include "x86-regs.h"

struct boot_params_in {
	const uint8_t *kernel;   /* whole file */
	size_t kernel_len;
	const char *kernel_name; /* for messages */
	const uint8_t *initrd;   /* NULL if none */
	size_t initrd_len;
	const char *initrd_name;
	const char *cmdline;     /* "" if none */
	int ncpus;
};

struct boot_state {
	struct vcpu_regs regs;
	struct vcpu_sregs sregs;
	const char *protocol;    /* "linux", "pvh", "multiboot" */
};

struct boot_loader {
	const char *name;
	/* 1 if the image looks like ours (magic), 0 otherwise. */
	int (*probe)(const uint8_t *img, size_t len);
	/* 0, or -errno with a one-line reason in err (without the file name). */
	int (*load)(struct guest_mem *m, const struct boot_params_in *in,
		    struct boot_state *out, char *err, size_t errlen);
};

extern const struct boot_loader boot_linux;
extern const struct boot_loader boot_pvh;
extern const struct boot_loader boot_multiboot;
extern const struct boot_loader *const boot_registry[];

/* true (default): a bzImage whose compressed vmlinux ringvm can unpack
 * (gzip, xz, lzma, zstd, lz4) and that has a PVH entry note is unpacked on
 * the host and entered through PVH (state->protocol "pvh"), skipping the
 * guest-side decompressor; false: always the 64-bit boot protocol. */
extern bool boot_prefer_pvh;

/* Pick a loader by probing, load. On failure err holds
 * "<file>: <what is wrong>". */
int boot_load(struct guest_mem *m, const struct boot_params_in *in,
	      struct boot_state *out, char *err, size_t errlen);

/* MP table (Intel MP spec 1.4) in the BIOS area for ncpus CPUs, so SMP
 * guests find their APs and the IOAPIC without ACPI. */
int mptable_write(struct guest_mem *m, int ncpus);

/* ACPI RSDP/RSDT/XSDT/MADT for ncpus CPUs at ACPI_RSDP_ADDR (BIOS area), for
 * kernels that find CPUs and the IOAPIC only through ACPI. The loaders call
 * it (and mptable_write) themselves. 0, -EINVAL or -EFAULT. */
#define ACPI_RSDP_ADDR 0xe0000ULL
int acpi_write(struct guest_mem *m, int ncpus);

#endif
