/* sethostname and setdomainname: the names uname reports (kernel/sys.c). */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>

#define NEW_UTS_LEN 64

/* CAP_SYS_ADMIN (euid 0), then 0 <= len <= 64, then the copy; the name is
 * len bytes, the rest of the field zeroed. */
static long set_uts_name(char field[NEW_UTS_LEN + 1], uptr name, int len)
{
	char tmp[NEW_UTS_LEN];

	if (current_proc.cred.euid != 0)
		return -EPERM;
	if (len < 0 || len > NEW_UTS_LEN)
		return -EINVAL;
	if (copy_from_user(tmp, name, (size_t)len) < 0)
		return -EFAULT;
	memcpy(field, tmp, (size_t)len);
	memset(field + len, 0, (size_t)(NEW_UTS_LEN + 1 - len));
	return 0;
}

/* sys_sethostname sets uname's nodename to len bytes at name. */
long sys_sethostname(uptr name, int len)
{
	return set_uts_name(current_proc.nodename, name, len);
}

/* sys_setdomainname sets uname's domainname to len bytes at name. */
long sys_setdomainname(uptr name, int len)
{
	return set_uts_name(current_proc.domainname, name, len);
}
