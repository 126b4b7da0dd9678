/* Timers on a Linux host (plat.h, "Timers"): the guest's interval timers
 * are the host process's own, and each of its POSIX timers is a host
 * POSIX timer whose signal (HOST_SIG_TIMER, SI_TIMER) goes to the one host
 * thread plat_timer_tid names; that thread turns it into the guest's
 * signal (posix_timer_fire). With no such thread (the library platform,
 * which runs no guest code) there are no timers: -ENOSYS. */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/task.h>
#include "../plat.h"
#include "syscall.h"

#define HOST_SIGEV_SIGNAL 0
#define HOST_SIGEV_NONE 1
#define HOST_SIGEV_THREAD_ID 4
#define HOST_SIGEV_BAD 99 /* an event every kernel refuses (EINVAL) */
/* A pid no host has (pid_max is at most 4194304): a CPU clock of it is
 * refused by timer_create with EINVAL after the id is allocated. */
#define NO_SUCH_PID 0x3ffffff

int plat_timer_tid;

struct host_sigevent {
	u64 value;
	s32 signo, notify;
	s32 tid;
	s32 pad[11];
};
_Static_assert(sizeof(struct host_sigevent) == 64, "struct sigevent is 64 bytes");

long plat_alarm(unsigned int seconds)
{
	if (!plat_timer_tid)
		return -ENOSYS;
	return host_syscall1(HOST_NR(alarm), seconds);
}

long plat_setitimer(int which, const void *value, void *ovalue)
{
	if (!plat_timer_tid)
		return -ENOSYS;
	return host_syscall3(HOST_NR(setitimer), which, value, ovalue);
}

long plat_getitimer(int which, void *value)
{
	if (!plat_timer_tid)
		return -ENOSYS;
	return host_syscall2(HOST_NR(getitimer), which, value);
}

s32 plat_cpu_clock(const struct task *t, bool thread, int which)
{
	s32 pid;

	if (!t)
		pid = NO_SUCH_PID;
	else if (t == current || !thread)
		pid = 0; /* the calling host thread, or the host process */
	else
		pid = t->host_tid;
	return (s32)(((u32)~pid << 3) | (thread ? 4u : 0u) | (u32)which);
}

long plat_timer_create(s32 clock, int kind, u64 cookie, int *id)
{
	struct host_sigevent ev;

	if (!plat_timer_tid) /* no timers; a bad event is still refused */
		return kind == PLAT_TIMER_INVALID ? -EINVAL : -ENOSYS;
	memset(&ev, 0, sizeof ev);
	ev.value = cookie;
	switch (kind) {
	case PLAT_TIMER_SIGNAL:
		ev.notify = HOST_SIGEV_THREAD_ID;
		ev.signo = PLAT_SIG_TIMER;
		ev.tid = plat_timer_tid;
		break;
	case PLAT_TIMER_NONE:
		ev.notify = HOST_SIGEV_NONE;
		break;
	default:
		ev.notify = HOST_SIGEV_BAD;
		break;
	}
	return host_syscall3(HOST_NR(timer_create), clock, &ev, id);
}

long plat_timer_settime(int id, int flags, const void *value, void *ovalue)
{
	if (!plat_timer_tid)
		return -EINVAL;
	return host_syscall4(HOST_NR(timer_settime), id, flags, value, ovalue);
}

long plat_timer_gettime(int id, void *value)
{
	if (!plat_timer_tid)
		return -EINVAL;
	return host_syscall2(HOST_NR(timer_gettime), id, value);
}

long plat_timer_delete(int id)
{
	if (!plat_timer_tid)
		return -EINVAL;
	return host_syscall1(HOST_NR(timer_delete), id);
}
