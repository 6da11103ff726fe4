/* ringvm's command line: `ringvm run ...`, `ringvm help [cmd]`,
 * `ringvm --version`. Exit status: the guest's debug-exit status, 0 on
 * poweroff, non-zero with a message on failure. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ringvm/acpi.h"
#include "ringvm/boot.h"
#include "ringvm/console.h"
#include "ringvm/log.h"
#include "ringvm/loop.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"

#define RINGVM_VERSION "0.1.0"
#define SHUTDOWN_GRACE_S 30

static const char usage_main[] =
	"usage: ringvm <command> [options]\n"
	"\n"
	"commands:\n"
	"  run       boot a guest kernel\n"
	"  help CMD  show help for a command\n"
	"\n"
	"  ringvm --version   print the version\n";

static const char usage_run[] =
	"usage: ringvm run --kernel FILE [options]\n"
	"\n"
	"  --kernel FILE       bzImage, ELF vmlinux with a PVH note, or multiboot ELF\n"
	"  --initrd FILE       initial ramdisk\n"
	"  --append STRING     kernel command line\n"
	"  --mem SIZE          guest RAM, e.g. 256M, 2G (default 256M)\n"
	"  --cpus N            vCPUs, 1 to 8 (default 1)\n"
	"  --accel NAME        auto, kvm or emu (default auto)\n"
	"  --vcpu-sched MODE   emu: threads (a host thread per vCPU, the default)\n"
	"                      or single (one thread runs all vCPUs in turn);\n"
	"                      KVM always uses threads and refuses single\n"
	"  --console SPEC      stdio, file:PATH or none (default stdio)\n"
	"  --timeout SECONDS   stop the guest after this long (exit status 124)\n"
	"  --boot-protocol P   auto (a bzImage is unpacked on the host and entered\n"
	"                      through PVH when it can be) or linux (always the\n"
	"                      bzImage's own 64-bit entry and decompressor)\n"
	"  --trace FILE        emu: write an instruction trace to FILE\n"
	"  --trace-limit N     emu: at most N traced instructions (default 100000)\n"
	"  -v, --verbose       more messages (repeat for debug)\n"
	"  -q, --quiet         errors only\n"
	"\n"
	"On the stdio console, Ctrl-A x quits and Ctrl-A h lists the other keys.\n";

static struct vm the_vm;
static int signal_efd = -1;
static volatile sig_atomic_t signal_seen;

/* The first SIGTERM/SIGINT/SIGHUP asks the guest to shut down (from the
 * event loop, not here: nothing below is async-signal-safe); a second one
 * stops the VM at once. */
static void on_signal(int sig)
{
	uint64_t one = 1;

	if (signal_seen || signal_efd < 0) {
		vm_request_stop(&the_vm, 128 + sig);
		return;
	}
	signal_seen = sig;
	if (write(signal_efd, &one, sizeof(one)) < 0)
		vm_request_stop(&the_vm, 128 + sig);
}

static void on_grace_expired(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;

	pr_warn("the guest did not power off within %d s of the power button: stopping it",
		SHUTDOWN_GRACE_S);
	vm_request_stop(vm, 128 + signal_seen);
}

/* Like pressing a PC's power button: a guest listening to ACPI events
 * (the default guest runs acpid) powers off cleanly and ringvm exits 0. */
static void on_signal_event(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t n;

	if (read(signal_efd, &n, sizeof(n)) < 0)
		return;
	if (acpi_pm_power_button(vm) == 0 &&
	    loop_add_timer(vm->loop, SHUTDOWN_GRACE_S * 1000000ULL, on_grace_expired, vm) >= 0) {
		pr_info("signal %d: pressed the ACPI power button; waiting up to %d s for the guest",
			(int)signal_seen, SHUTDOWN_GRACE_S);
		return;
	}
	vm_request_stop(vm, 128 + signal_seen);
}

static void on_timeout(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;

	pr_err("guest did not finish within %u s (--timeout): stopping it", vm->cfg.timeout_s);
	vm_request_stop(vm, 124);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "ringvm: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'ringvm help run'.\n");
	return 2;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "accel", required_argument, NULL, 'A' },
		{ "console", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "trace", required_argument, NULL, 'T' },
		{ "trace-limit", required_argument, NULL, 'L' },
		{ "boot-protocol", required_argument, NULL, 'B' },
		{ "vcpu-sched", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vm_config cfg = {
		.mem_size = 256 * MiB, .ncpus = 1, .accel = "auto", .console = "stdio",
		.append = "", .trace_limit = 100000,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	char *end;
	int c, status;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case 'i': cfg.initrd = optarg; break;
		case 'a': cfg.append = optarg; break;
		case 'A': cfg.accel = optarg; break;
		case 'C': cfg.console = optarg; break;
		case 'T': cfg.trace = optarg; break;
		case 'B':
			if (!strcmp(optarg, "linux"))
				boot_prefer_pvh = false;
			else if (strcmp(optarg, "auto"))
				return bad_usage("--boot-protocol '%s': choose auto or linux", optarg);
			break;
		case 'S':
			if (!strcmp(optarg, "single"))
				cfg.vcpu_sched = VM_SCHED_SINGLE;
			else if (!strcmp(optarg, "threads"))
				cfg.vcpu_sched = VM_SCHED_THREADS;
			else
				return bad_usage("--vcpu-sched '%s': choose threads or single", optarg);
			break;
		case 'm':
			if (parse_size(optarg, &cfg.mem_size) < 0)
				return bad_usage("--mem '%s': not a size (try 256M or 2G)", optarg);
			if (cfg.mem_size < 2 * MiB || cfg.mem_size > 64 * GiB || cfg.mem_size & 0xfff)
				return bad_usage("--mem '%s': must be a multiple of 4K between 2M and 64G", optarg);
			break;
		case 'c': {
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > VM_MAX_CPUS)
				return bad_usage("--cpus '%s': must be a number from 1 to 8", optarg);
			cfg.ncpus = (int)n;
			break;
		}
		case 't': {
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > 86400 * 365)
				return bad_usage("--timeout '%s': must be a positive number of seconds", optarg);
			cfg.timeout_s = (unsigned)n;
			break;
		}
		case 'L': {
			long long n = strtoll(optarg, &end, 10);
			if (*end || end == optarg || n < 1)
				return bad_usage("--trace-limit '%s': must be a positive count", optarg);
			cfg.trace_limit = (uint64_t)n;
			break;
		}
		case 'v':
			log_threshold = log_threshold < LOG_INFO ? LOG_INFO : LOG_DEBUG;
			break;
		case 'q': log_threshold = LOG_ERR; break;
		case 'h': fputs(usage_run, stdout); return 0;
		case ':':
			return bad_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (!cfg.kernel)
		return bad_usage("%s", "run needs --kernel FILE");
	if (cfg.vcpu_sched == VM_SCHED_SINGLE && !strcmp(cfg.accel, "kvm"))
		return bad_usage("%s", "--vcpu-sched single: only for --accel emu "
				 "(KVM runs every vCPU on a thread of its own)");

	if (vm_init(&the_vm, &cfg) < 0)
		return 1;
	if (cfg.vcpu_sched == VM_SCHED_SINGLE && the_vm.accel != &accel_emu) {
		/* --accel auto chose KVM. */
		vm_exit(&the_vm);
		console_restore_all();
		return bad_usage("%s", "--vcpu-sched single: only for --accel emu, and --accel "
				 "auto chose kvm (KVM runs every vCPU on a thread of its own)");
	}
	signal_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (signal_efd >= 0 && loop_add_fd(the_vm.loop, signal_efd, EPOLLIN, on_signal_event, &the_vm) < 0) {
		close(signal_efd);
		signal_efd = -1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (cfg.timeout_s && loop_add_timer(the_vm.loop, (uint64_t)cfg.timeout_s * 1000000ULL,
					    on_timeout, &the_vm) < 0)
		pr_warn("--timeout: cannot arm the timer");
	status = vm_run(&the_vm);
	vm_exit(&the_vm);
	if (signal_efd >= 0)
		close(signal_efd);
	console_restore_all();
	return status;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run")) {
		fputs(usage_run, stdout);
		return 0;
	}
	fprintf(stderr, "ringvm: help: unknown command '%s'\n%s", argv[1], usage_main);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ringvm %s\n", RINGVM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	fprintf(stderr, "ringvm: unknown command '%s'\n%s", argv[1], usage_main);
	return 2;
}
