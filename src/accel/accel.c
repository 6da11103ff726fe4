/* Accelerator registry and --accel selection. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ringvm/accel.h"
#include "ringvm/log.h"

const struct accel_ops *const accel_registry[] = {
	&accel_kvm,
	&accel_emu,
};
const int accel_registry_nr = 2;

int host_has_hw_virt(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		/* Whole words only: "svm" must not match inside another flag. */
		for (char *t = strtok(line, " \t\n"); t; t = strtok(NULL, " \t\n"))
			if (!strcmp(t, "vmx") || !strcmp(t, "svm"))
				found = 1;
		break;
	}
	fclose(f);
	return found;
}

static const struct accel_ops *accel_find(const char *name)
{
	for (int i = 0; i < accel_registry_nr; i++) {
		const struct accel_ops *a = accel_registry[i];
		if (a && !strcmp(a->name, name))
			return a;
	}
	return NULL;
}

static void accel_note(const char *name, const char *why)
{
	if (log_threshold == LOG_ERR) /* -q */
		return;
	fprintf(stderr, "ringvm: accel: %s (%s)\n", name, why);
}

const struct accel_ops *accel_select(const char *name)
{
	const struct accel_ops *kvm = &accel_kvm;
	const struct accel_ops *emu = &accel_emu;
	char why[256] = "";

	if (!name || !strcmp(name, "auto")) {
		int kvm_ok = kvm->probe(why, sizeof(why)) == 0;
		int hw = host_has_hw_virt();

		if (kvm_ok && hw) {
			accel_note("kvm", "auto: /dev/kvm works and the CPU has vmx/svm");
			return kvm;
		}
		accel_note("emu", kvm_ok ? "auto: /dev/kvm opens but the CPU has no vmx/svm, so KVM would emulate in the host kernel; ringvm's software CPU is faster"
					 : "auto: KVM unusable; ringvm's software CPU");
		return emu;
	}
	if (!strcmp(name, "kvm")) {
		if (kvm->probe(why, sizeof(why)) < 0) {
			pr_err("--accel kvm: %s", why);
			return NULL;
		}
		accel_note("kvm", host_has_hw_virt() ? "requested; hardware virtualization present"
			   : "requested; no vmx/svm on this CPU: the host kernel emulates the guest, expect ~1-2 M instructions/s");
		return kvm;
	}
	const struct accel_ops *a = accel_find(name);
	if (!a) {
		pr_err("--accel %s: unknown accelerator (choose auto, kvm or emu)", name);
		return NULL;
	}
	if (a->probe && a->probe(why, sizeof(why)) < 0) {
		pr_err("--accel %s: %s", name, why);
		return NULL;
	}
	accel_note(a->name, "requested");
	return a;
}
