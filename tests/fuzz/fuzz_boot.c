/* Fuzz target for the boot loaders: the input is a kernel file; everything
 * in it is attacker-controlled. Built two ways:
 *   clang -fsanitize=fuzzer,address          libFuzzer binary
 *   cc -DFUZZ_REPLAY                         replays a corpus directory
 *                                            (so `make test` needs no clang)
 * Any crash, sanitizer report or abort() below is a bug. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/log.h"
#include "ringvm/memory.h"
#include "ringvm/util.h"

/* Big enough for a synthetic bzImage (runs at 16 MiB), small enough that
 * zeroing a huge BSS stays quick. */
#define FUZZ_RAM (24 * MiB)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem fuzz_mem;
static int fuzz_verbose;   /* replay -v: one line per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096] = { 0x1f, 0x8b };
	struct boot_params_in in = {
		.kernel = data, .kernel_len = size, .kernel_name = "fuzz",
		.initrd = initrd, .initrd_name = "rd", .cmdline = "console=ttyS0",
	};
	struct boot_state st;
	char err[256];
	int ret;

	if (!fuzz_mem.host && mem_init(&fuzz_mem, FUZZ_RAM))
		abort();
	/* The last input byte picks the variant so the corpus reaches the
	 * initrd and SMP paths without a second input. */
	if (size) {
		in.initrd_len = data[size - 1] & 1 ? sizeof(initrd) : 0;
		in.ncpus = 1 + (data[size - 1] >> 1) % 8;
	}
	ret = boot_load(&fuzz_mem, &in, &st, err, sizeof(err));
	if (fuzz_verbose)
		printf("  %s\n", ret ? err : st.protocol);
	if (ret) {
		/* Every failure is negative and explains itself with the file
		 * name first. */
		if (ret > 0 || strncmp(err, "fuzz: ", 6) || !err[6])
			abort();
		return 0;
	}
	if (!st.protocol || !mem_ptr(&fuzz_mem, st.regs.rip, 1) ||
	    st.regs.rflags != 2 || !(st.sregs.cr0 & X86_CR0_PE))
		abort();
	return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"

static int replay_one(const char *path)
{
	uint8_t *buf;
	size_t len;
	int ret = file_read_all(path, &buf, &len);

	if (ret) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	if (fuzz_verbose)
		printf("%s\n", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int n;

	log_threshold = LOG_ERR;
	n = replay_args(argc, argv, &fuzz_verbose, replay_one);
	if (n < 0)
		return 1;
	printf("fuzz_boot: replayed %d inputs, no crash\n", n);
	mem_exit(&fuzz_mem);
	return n ? 0 : 1;
}
#endif
