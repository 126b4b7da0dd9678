/* The working directory: chdir, fchdir, getcwd. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

static long set_cwd(struct path *p)
{
	long r;

	if (!S_ISDIR(p->dentry->inode->mode))
		return -ENOTDIR;
	if ((r = inode_permission(p->dentry->inode, MAY_EXEC)) < 0)
		return r;
	path_put(&current_proc.cwd);
	current_proc.cwd = *p;
	path_get(p);
	return 0;
}

long init_chdir(const char *name)
{
	struct path p;
	long ret;

	kmutex_lock(&vfs_lock);
	ret = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (ret == 0) {
		ret = set_cwd(&p);
		path_put(&p);
	}
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_chdir makes filename (a searchable directory) the working directory. */
long sys_chdir(uptr filename)
{
	char *name;
	long ret;

	if ((ret = getname(filename, false, &name)) < 0)
		return ret;
	ret = init_chdir(name);
	kfree(name);
	return ret;
}

/* sys_fchdir makes the directory open on fd the working directory. */
long sys_fchdir(unsigned int fd)
{
	struct path p;
	long ret;

	kmutex_lock(&vfs_lock);
	ret = fd_path((int)fd, &p);
	if (ret == 0) {
		ret = set_cwd(&p);
		path_put(&p);
	}
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_getcwd copies the working directory's name; the raw call returns its
 * length with the NUL, ERANGE when size is too small, ENOENT once removed. */
long sys_getcwd(uptr buf, unsigned long size)
{
	char *page = kmalloc(PATH_MAX), *start;
	long ret;

	if (!page)
		return -ENOMEM;
	kmutex_lock(&vfs_lock);
	if (d_unlinked(current_proc.cwd.dentry))
		ret = -ENOENT;
	else
		ret = d_path(&current_proc.cwd, page, PATH_MAX, &start);
	kmutex_unlock(&vfs_lock);
	if (ret > 0 && (unsigned long)ret > size)
		ret = -ERANGE;
	if (ret > 0 && copy_to_user(buf, start, (size_t)ret) < 0)
		ret = -EFAULT;
	kfree(page);
	return ret;
}
