/* chroot: the process root directory (the walk's "/" and its ".." stop). */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

/* sys_chroot makes filename (a searchable directory) the process root, as
 * ksys_chroot: lookup, search permission, then CAP_SYS_CHROOT (euid 0). The
 * working directory is left where it is. */
long sys_chroot(uptr filename)
{
	struct path p;
	char *name;
	long ret;

	if ((ret = getname(filename, false, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	ret = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (ret < 0)
		goto out;
	if (!S_ISDIR(p.dentry->inode->mode))
		ret = -ENOTDIR;
	else if ((ret = inode_permission(p.dentry->inode, MAY_EXEC)) == 0 &&
		 current_proc.cred.euid != 0)
		ret = -EPERM;
	if (ret == 0) {
		path_put(&current_proc.root);
		current_proc.root = p;
	} else {
		path_put(&p);
	}
out:
	kmutex_unlock(&vfs_lock);
	kfree(name);
	return ret;
}
