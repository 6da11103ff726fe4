/* The VM object: builds memory, accelerator, devices and vCPUs from a
 * config, runs them, and tears them down. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/acpi.h"
#include "ringvm/boot.h"
#include "ringvm/console.h"
#include "ringvm/hw.h"
#include "ringvm/log.h"
#include "ringvm/loop.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"

void vm_lock(struct vm *vm)
{
	pthread_mutex_lock(&vm->dev_lock);
}

void vm_unlock(struct vm *vm)
{
	pthread_mutex_unlock(&vm->dev_lock);
}

static void vm_kick_all(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->accel && vm->accel->vcpu_kick && vm->vcpus[i].priv)
			vm->accel->vcpu_kick(&vm->vcpus[i]);
}

void vm_request_stop(struct vm *vm, int status)
{
	int expect = VM_RUNNING;

	/* The first request wins: a later poweroff cannot hide a failure. */
	if (!atomic_compare_exchange_strong(&vm->state, &expect, VM_STOPPING)) {
		expect = VM_RESETTING;
		if (!atomic_compare_exchange_strong(&vm->state, &expect, VM_STOPPING))
			return;
	}
	vm->exit_status = status;
	if (vm->loop)
		loop_stop(vm->loop);
	vm_kick_all(vm);
}

void vm_request_reset(struct vm *vm)
{
	int expect = VM_RUNNING;

	if (!atomic_compare_exchange_strong(&vm->state, &expect, VM_RESETTING))
		return;
	if (vm->loop)
		loop_stop(vm->loop);
	vm_kick_all(vm);
}

/* Read kernel and initrd and hand them to the boot loaders. */
static int vm_load_kernel(struct vm *vm)
{
	struct boot_params_in in = {
		.kernel_name = vm->cfg.kernel,
		.initrd_name = vm->cfg.initrd,
		.cmdline = vm->cfg.append ? vm->cfg.append : "",
		.ncpus = vm->ncpus,
	};
	struct boot_state bs;
	uint8_t *kbuf = NULL, *ibuf = NULL;
	char err[256];
	int ret;

	ret = file_read_all(vm->cfg.kernel, &kbuf, &in.kernel_len);
	if (ret < 0) {
		pr_err("%s: cannot read kernel: %s", vm->cfg.kernel, strerror(-ret));
		return ret;
	}
	in.kernel = kbuf;
	if (vm->cfg.initrd) {
		ret = file_read_all(vm->cfg.initrd, &ibuf, &in.initrd_len);
		if (ret < 0) {
			pr_err("%s: cannot read initrd: %s", vm->cfg.initrd, strerror(-ret));
			goto out;
		}
		in.initrd = ibuf;
	}
	memset(&bs, 0, sizeof(bs));
	ret = boot_load(&vm->mem, &in, &bs, err, sizeof(err));
	if (ret < 0) {
		pr_err("%s", err);
		goto out;
	}
	vm->boot_regs = bs.regs;
	vm->boot_sregs = bs.sregs;
	pr_debug("boot: %s protocol, entry %#llx", bs.protocol, (unsigned long long)bs.regs.rip);
out:
	free(kbuf);
	free(ibuf);
	return ret;
}

static int vm_init_devices(struct vm *vm)
{
	uint64_t ram = vm->mem.ram_size;
	uint16_t ncpus = (uint16_t)vm->ncpus;
	int ret;

	vm->uart = uart_init(vm, 0x3f8, 4, vm->console);
	if (!vm->uart)
		return -ENOMEM;
	if ((ret = i8042_init(vm)) < 0 || (ret = rtc_init(vm)) < 0 ||
	    (ret = debugexit_init(vm)) < 0 || (ret = boottimer_init(vm)) < 0 ||
	    (ret = pci_init(vm)) < 0 || (ret = post_init(vm)) < 0 ||
	    (ret = acpi_pm_init(vm)) < 0)
		return ret;
	vm->fw_cfg = fw_cfg_new();
	if (!vm->fw_cfg)
		return -ENOMEM;
	if ((ret = fw_cfg_add(vm->fw_cfg, FW_CFG_RAM_SIZE, &ram, sizeof(ram))) < 0 ||
	    (ret = fw_cfg_add(vm->fw_cfg, FW_CFG_NB_CPUS, &ncpus, sizeof(ncpus))) < 0 ||
	    (ret = fw_cfg_add(vm->fw_cfg, FW_CFG_MAX_CPUS, &ncpus, sizeof(ncpus))) < 0)
		return ret;
	return fw_cfg_attach(vm->fw_cfg, vm);
}

/* Put the boot processor in the loader's entry state. */
static int vm_set_boot_state(struct vm *vm)
{
	int ret = vm->accel->set_regs(&vm->vcpus[0], &vm->boot_regs, &vm->boot_sregs);

	if (ret < 0)
		pr_err("cannot set the boot vCPU's registers: %s", strerror(-ret));
	return ret;
}

int vm_init(struct vm *vm, const struct vm_config *cfg)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->ncpus = cfg->ncpus;
	atomic_store(&vm->state, VM_RUNNING);
	pthread_mutex_init(&vm->dev_lock, NULL);

	vm->accel = accel_select(cfg->accel);
	if (!vm->accel)
		return -ENODEV;
	ret = mem_init(&vm->mem, cfg->mem_size);
	if (ret < 0) {
		pr_err("cannot allocate %llu MiB of guest memory: %s",
		       (unsigned long long)(cfg->mem_size >> 20), strerror(-ret));
		return ret;
	}
	vm->loop = loop_new();
	if (!vm->loop) {
		ret = -ENOMEM;
		goto err;
	}
	vm->console = console_open(cfg->console ? cfg->console : "stdio", vm);
	if (!vm->console) {
		ret = -errno;
		pr_err("console '%s': %s", cfg->console, strerror(errno));
		goto err;
	}
	ret = vm->accel->vm_init(vm);
	if (ret < 0) {
		pr_err("%s: cannot create the VM: %s", vm->accel->name, strerror(-ret));
		goto err;
	}
	for (int i = 0; i < vm->mem.nr; i++) {
		const struct mem_region *r = &vm->mem.r[i];
		ret = vm->accel->map_memory(vm, i, r->gpa, r->size, r->host);
		if (ret < 0) {
			pr_err("%s: cannot map guest memory: %s", vm->accel->name, strerror(-ret));
			goto err;
		}
	}
	ret = vm_init_devices(vm);
	if (ret < 0) {
		pr_err("cannot create devices: %s", strerror(-ret));
		goto err;
	}
	ret = vm_load_kernel(vm);
	if (ret < 0)
		goto err;
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		ret = vm->accel->vcpu_init(&vm->vcpus[i]);
		if (ret < 0) {
			pr_err("%s: cannot create vCPU %d: %s", vm->accel->name, i, strerror(-ret));
			goto err;
		}
	}
	ret = vm_set_boot_state(vm);
	if (ret < 0)
		goto err;
	return 0;
err:
	vm_exit(vm);
	return ret;
}

void vm_exit(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].priv && vm->accel->vcpu_fini)
			vm->accel->vcpu_fini(&vm->vcpus[i]);
	if (vm->accel && vm->accel_priv && vm->accel->vm_exit)
		vm->accel->vm_exit(vm);
	hw_exit(vm);
	acpi_pm_exit(vm);
	if (vm->uart)
		uart_free(vm->uart);
	if (vm->fw_cfg)
		fw_cfg_free(vm->fw_cfg);
	if (vm->console)
		console_close(vm->console);
	if (vm->loop)
		loop_free(vm->loop);
	for (int i = 0; i < BUS_NR; i++)
		bus_free(&vm->bus[i]);
	mem_exit(&vm->mem);
	vm->uart = NULL;
	vm->fw_cfg = NULL;
	vm->console = NULL;
	vm->loop = NULL;
}

static void vm_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	if (vm->uart)
		uart_receive(vm->uart, buf, len);
}

/* Guest reset: CPUs and interrupt controllers back to power-on, the kernel
 * loaded again (like QEMU's -kernel), devices keep their state the way
 * CMOS keeps its NVRAM across a real reset. */
static int vm_reset(struct vm *vm)
{
	int ret;

	pr_info("guest reset");
	ret = vm->accel->vm_reset ? vm->accel->vm_reset(vm) : -ENOSYS;
	if (ret < 0) {
		pr_err("%s: reset failed: %s", vm->accel->name, strerror(-ret));
		return ret;
	}
	ret = vm_load_kernel(vm);
	if (ret < 0)
		return ret;
	return vm_set_boot_state(vm);
}

int vm_run(struct vm *vm)
{
	if (console_attach_input(vm->console, vm->loop, vm_console_input, vm) < 0)
		pr_warn("console input unavailable");
	for (;;) {
		int started = 0;

		for (int i = 0; i < vm->ncpus; i++) {
			if (vcpu_start(&vm->vcpus[i]) < 0) {
				vm_request_stop(vm, 1);
				break;
			}
			started++;
		}
		loop_run(vm->loop);
		vm_kick_all(vm);
		for (int i = 0; i < started; i++)
			pthread_join(vm->vcpus[i].thread, NULL);
		if (atomic_load(&vm->state) != VM_RESETTING)
			break;
		if (vm_reset(vm) < 0) {
			vm->exit_status = 1;
			break;
		}
		loop_rearm(vm->loop);
		atomic_store(&vm->state, VM_RUNNING);
	}
	return vm->exit_status;
}
