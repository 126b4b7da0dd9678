/* access, faccessat, faccessat2: permission checks with the real ids. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define S_IRWXO 7

static long do_faccessat(int dfd, uptr filename, int mode, int flags)
{
	struct cred c = current_proc.cred;
	struct path p;
	char *name;
	long ret;

	if (mode & ~S_IRWXO) /* only F_OK, R_OK, W_OK, X_OK */
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* Without AT_EACCESS the question is asked for the real ids. */
	if (!(flags & AT_EACCESS)) {
		c.fsuid = c.uid;
		c.fsgid = c.gid;
	}
	if ((ret = getname(filename, flags & AT_EMPTY_PATH, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	ret = path_lookupat(dfd, name, at_lookup_flags((unsigned int)flags), &p);
	if (ret == 0) {
		ret = inode_permission_cred(&c, p.dentry->inode, mode);
		path_put(&p);
	}
	kmutex_unlock(&vfs_lock);
	kfree(name);
	return ret;
}

/* sys_faccessat2 checks mode (F_OK or R/W/X_OK) on filename; AT_EACCESS uses
 * the effective ids. */
long sys_faccessat2(int dfd, uptr filename, int mode, int flags)
{
	return do_faccessat(dfd, filename, mode, flags);
}

/* sys_faccessat is faccessat2 without flags (glibc's flags are emulated). */
long sys_faccessat(int dfd, uptr filename, int mode)
{
	return do_faccessat(dfd, filename, mode, 0);
}

/* sys_access is faccessat(AT_FDCWD, ...). */
long sys_access(uptr filename, int mode)
{
	return do_faccessat(AT_FDCWD, filename, mode, 0);
}
