/* getrandom: the platform's entropy, which never blocks once the host has
 * booted, so GRND_NONBLOCK and GRND_RANDOM change nothing. */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include "../plat/plat.h"

/* sys_getrandom fills buf with up to len random bytes; a fault after some
 * bytes returns the count, before any is EFAULT. */
long sys_getrandom(uptr ubuf, size_t len, unsigned int flags)
{
	u8 buf[256];
	size_t done = 0;

	if (flags & ~(unsigned int)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
		return -EINVAL;
	len = MIN(len, MAX_RW_COUNT);
	while (done < len) {
		size_t n = MIN(len - done, sizeof buf), got;

		if (plat_entropy(buf, n) < 0)
			return done ? (long)done : -EIO;
		got = copy_to_user_partial(uptr_add(ubuf, done), buf, n);
		done += got;
		if (got < n)
			return done ? (long)done : -EFAULT;
	}
	return (long)done;
}
