/* The library platform's fault handler: libabik.so runs inside its host
 * process (Python, through ctypes), so a user copy that faults on a page the
 * VMA map calls accessible raises SIGSEGV or SIGBUS in that process. The
 * handler installed at boot resumes such a fault at the copy routine's fixup
 * (uaccess_fixup, mm/copy_user.c), so the call returns EFAULT or a short
 * count. Every other fault belongs to whoever handled it before us (Python's
 * faulthandler, or the default action): the old action is put back and the
 * handler returns, so the faulting instruction runs again and faults under
 * the old disposition, as if we had never been there. A signal sent with
 * kill or tgkill does not recur by itself and is raised again.
 *
 * abi-run installs its own handler (plat/hosted/trap.c's on_fault), which
 * asks uaccess_fixup the same question; if it comes first, this one chains
 * to it. */
#include <kernel/linux.h>
#include <kernel/mm.h>
#include "../plat.h"
#include "syscall.h"

#define HOST_REG_RIP 16    /* ucontext_t's gregs[REG_RIP] */
#define HOST_SI_USER_MAX 0 /* si_code <= 0: sent by kill, tgkill, sigqueue */

struct host_sigaction {
	void *handler;
	u64 flags;
	void *restorer;
	u64 mask;
};

struct host_ucontext {
	u64 uc_flags, uc_link;
	u64 ss_sp;
	u32 ss_flags, pad;
	u64 ss_size;
	u64 gregs[23];
};

void plat_fault_restorer(void);

__asm__(".text\n"
	".globl plat_fault_restorer\n"
	".hidden plat_fault_restorer\n"
	".type plat_fault_restorer,@function\n"
	"plat_fault_restorer:\n"
	"	mov $15, %eax\n" /* rt_sigreturn */
	"	syscall\n"
	"	hlt\n"
	".previous\n");

static const int fault_sigs[] = { SIGSEGV, SIGBUS };
/* The actions found at install, restored for faults that are not ours. */
static struct host_sigaction old_action[2];

static int slot(int sig)
{
	return sig == SIGBUS;
}

static void on_fault(int sig, void *info, void *ctx)
{
	struct host_ucontext *uc = ctx;
	int code = *(const int *)((const char *)info + 8); /* si_code */
	uintptr_t fixup = uaccess_fixup((uintptr_t)uc->gregs[HOST_REG_RIP]);

	if (fixup && code > HOST_SI_USER_MAX) {
		uc->gregs[HOST_REG_RIP] = fixup;
		return;
	}
	host_syscall4(HOST_NR(rt_sigaction), sig, &old_action[slot(sig)], 0, 8);
	/* A fault recurs when we return; a sent signal is sent again, and
	 * stays pending (blocked in here) until the old action can take it. */
	if (code <= HOST_SI_USER_MAX)
		host_syscall3(HOST_NR(tgkill), host_syscall0(HOST_NR(getpid)),
			      host_syscall0(HOST_NR(gettid)), sig);
}

long plat_fault_install(void)
{
	struct host_sigaction sa = {
		.handler = (void *)on_fault,
		/* SA_ONSTACK: where the host thread has a signal stack (abi-run's
		 * SIGSYS handler runs on one), the fault nests on it. */
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)plat_fault_restorer,
		.mask = 0,
	};
	u64 open = 0;
	long r;

	for (unsigned i = 0; i < sizeof fault_sigs / sizeof fault_sigs[0]; i++) {
		struct host_sigaction cur;

		open |= 1ULL << (fault_sigs[i] - 1);
		if ((r = host_syscall4(HOST_NR(rt_sigaction), fault_sigs[i], 0, &cur, 8)) < 0)
			return r;
		if (cur.handler == (void *)on_fault)
			continue; /* still ours from an earlier boot */
		old_action[slot(fault_sigs[i])] = cur;
		if ((r = host_syscall4(HOST_NR(rt_sigaction), fault_sigs[i], &sa, 0, 8)) < 0)
			return r;
	}
	/* A fault whose signal is blocked kills outright: the calling thread
	 * (the one that boots; others keep their masks) lets them through. */
	return host_syscall4(HOST_NR(rt_sigprocmask), SIG_UNBLOCK, &open, 0, 8);
}
