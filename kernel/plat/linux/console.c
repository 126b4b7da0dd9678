/* The console: the guest's fds 0, 1 and 2 forwarded to the host's. */
#include <kernel/linux.h>
#include "../plat.h"
#include "syscall.h"

long plat_console_read(int hostfd, void *buf, size_t len)
{
	long r;

	do
		r = host_syscall3(HOST_NR(read), hostfd, buf, len);
	while (r == -EINTR);
	return r;
}

long plat_console_write(int hostfd, const void *buf, size_t len)
{
	long r;

	do
		r = host_syscall3(HOST_NR(write), hostfd, buf, len);
	while (r == -EINTR);
	return r;
}

long plat_console_ioctl(int hostfd, unsigned int cmd, void *arg)
{
	return host_syscall3(HOST_NR(ioctl), hostfd, cmd, arg);
}

int plat_console_poll(int hostfd, int events)
{
	struct {
		int fd;
		short events, revents;
	} p = { hostfd, (short)events, 0 };
	long r = host_syscall3(HOST_NR(poll), &p, 1, 0);

	return r < 0 ? 0 : p.revents;
}

u32 plat_console_mode(int hostfd)
{
	/* struct stat (x86_64): st_mode is the u32 at offset 24. */
	u64 st[18];
	long r = host_syscall2(HOST_NR(fstat), hostfd, st);

	return r < 0 ? 0 : (u32)(st[3] & 0xffffffffu);
}
