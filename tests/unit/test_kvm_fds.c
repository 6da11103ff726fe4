/* The KVM backend's virtio fast paths, driven through accel_kvm on a bare
 * VM with a few bytes of real-mode code: an ioeventfd port write signals
 * its eventfd without leaving the kernel, and an irqfd write raises its
 * GSI in the in-kernel PIC. Skips when /dev/kvm is unusable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <cmocka.h>
#include "ringvm/accel.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"

static struct vm the_vm;

static int setup(void **state)
{
	char why[128];

	if (accel_kvm.probe(why, sizeof(why)) < 0)
		return 0;
	memset(&the_vm, 0, sizeof(the_vm));
	atomic_store(&the_vm.state, VM_RUNNING);
	the_vm.ncpus = 1;
	the_vm.accel = &accel_kvm;
	assert_int_equal(mem_init(&the_vm.mem, 2 * MiB), 0);
	assert_int_equal(accel_kvm.vm_init(&the_vm), 0);
	assert_int_equal(accel_kvm.map_memory(&the_vm, 0, 0, 2 * MiB, the_vm.mem.host), 0);
	the_vm.vcpus[0].vm = &the_vm;
	assert_int_equal(accel_kvm.vcpu_init(&the_vm.vcpus[0]), 0);
	*state = &the_vm;
	return 0;
}

static int teardown(void **state)
{
	if (!*state)
		return 0;
	accel_kvm.vcpu_fini(&the_vm.vcpus[0]);
	accel_kvm.vm_exit(&the_vm);
	mem_exit(&the_vm.mem);
	return 0;
}

/* Real mode at 0:1000. */
static void start_at(const uint8_t *code, size_t len)
{
	struct vcpu_regs r = { .rip = 0x1000, .rflags = 2 };
	struct vcpu_regs cur;
	struct vcpu_sregs s;

	assert_int_equal(mem_write(&the_vm.mem, 0x1000, code, len), 0);
	assert_int_equal(accel_kvm.get_regs(&the_vm.vcpus[0], &cur, &s), 0);
	s.cs.base = 0;
	s.cs.selector = 0;
	assert_int_equal(accel_kvm.set_regs(&the_vm.vcpus[0], &r, &s), 0);
}

static void test_ioeventfd(void **state)
{
	/* mov al,0x42; mov dx,0x3000; out dx,al; inc dx; out dx,al; jmp $ */
	static const uint8_t code[] = { 0xb0, 0x42, 0xba, 0x00, 0x30, 0xee, 0x42, 0xee, 0xeb, 0xfe };
	struct vcpu_exit e = { 0 };
	uint64_t count = 0;
	int fd;

	if (!*state)
		skip();
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(accel_kvm.ioeventfd(&the_vm, true, 0x3000, 1, fd), 0);
	start_at(code, sizeof(code));
	assert_int_equal(accel_kvm.vcpu_run(&the_vm.vcpus[0], &e), 0);
	/* The first exit is the second OUT: 0x3000 never left the kernel. */
	assert_int_equal(e.type, VCPU_EXIT_IO);
	assert_int_equal(e.io.port, 0x3001);
	assert_int_equal(e.io.data[0], 0x42);
	assert_int_equal(read(fd, &count, sizeof(count)), sizeof(count));
	assert_int_equal(count, 1);
	close(fd);
}

static void test_irqfd(void **state)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	uint64_t one = 1;
	int fd, vm_fd;

	if (!*state)
		skip();
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(accel_kvm.irqfd(&the_vm, 5, fd), 0);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	/* The 8259 latches the edge in IRR (masked or not: IMR only gates
	 * delivery, Intel 8259A datasheet): read the PIC state from KVM. */
	vm_fd = kvm_vm_fd(&the_vm);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(ioctl(vm_fd, KVM_GET_IRQCHIP, &chip), 0);
		if (chip.chip.pic.irr & (1u << 5))
			break;
		usleep(1000);
	}
	assert_int_equal(chip.chip.pic.irr & (1u << 5), 1u << 5);
	assert_int_equal(chip.chip.pic.irr & (1u << 6), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ioeventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irqfd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
