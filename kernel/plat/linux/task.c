/* Process and CPU state of the host thread: exit and the FS base. */
#include <kernel/linux.h>
#include "../plat.h"
#include "seed.h"
#include "syscall.h"

#define HOST_ARCH_SET_FS 0x1002
#define HOST_ARCH_GET_FS 0x1003

void (*plat_exit_hook)(void);
int plat_exit_status, plat_exit_signal;

static void run_exit_hook(void)
{
	void (*hook)(void) = plat_exit_hook;

	plat_exit_hook = NULL; /* once, even if the hook itself faults */
	if (hook)
		hook();
}

_Noreturn void plat_exit(int status)
{
	if (plat_exit_hook)
		plat_exit_status = status;
	run_exit_hook();
	for (;;)
		host_syscall1(HOST_NR(exit_group), status);
}

_Noreturn void plat_kill_self(int sig)
{
	struct {
		u64 handler, flags, restorer, mask;
	} dfl = { 0, 0, 0, 0 }; /* SIG_DFL */
	u64 set = 1ULL << (sig - 1);
	long pid = host_syscall0(HOST_NR(getpid));

	if (plat_exit_hook)
		plat_exit_signal = sig;
	run_exit_hook();
	host_syscall4(HOST_NR(rt_sigaction), sig, &dfl, 0, 8);
	host_syscall4(HOST_NR(rt_sigprocmask), SIG_UNBLOCK, &set, 0, 8);
	host_syscall3(HOST_NR(tgkill), pid, host_syscall0(HOST_NR(gettid)), sig);
	plat_exit(128 + sig);
}

long (*plat_tls_hook)(bool set, u64 *base);

long plat_set_fs(u64 base)
{
	if (plat_tls_hook)
		return plat_tls_hook(true, &base);
	return host_syscall2(HOST_NR(arch_prctl), HOST_ARCH_SET_FS, base);
}

long plat_get_fs(u64 *base)
{
	if (plat_tls_hook)
		return plat_tls_hook(false, base);
	return host_syscall2(HOST_NR(arch_prctl), HOST_ARCH_GET_FS, base);
}

/* --- A reproducible entropy stream (abi-run --seed) ------------------- */

static bool entropy_seeded;
static u64 entropy_state;

void plat_entropy_seed(u64 seed)
{
	entropy_seeded = true;
	entropy_state = seed;
}

/* splitmix64: small, fast, and the same on every host. */
static u64 splitmix64(void)
{
	u64 z = (entropy_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

long plat_seeded_entropy(void *buf, size_t len)
{
	u8 *p = buf;

	if (!entropy_seeded)
		return -ENOSYS;
	for (size_t i = 0; i < len; i += 8) {
		u64 v = splitmix64();

		for (size_t j = 0; j < 8 && i + j < len; j++)
			p[i + j] = (u8)(v >> (8 * j));
	}
	return 0;
}

const struct plat_guest *plat_guest;

void plat_stop_self(void)
{
	host_syscall2(HOST_NR(kill), host_syscall0(HOST_NR(getpid)), SIGSTOP);
}
