/* memfd_create: an anonymous ramfs file, made in /dev/shm and unlinked at
 * once, so that it lives exactly as long as its descriptors (and mappings,
 * once files can be mapped). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
/* Linux's MFD_NAME_MAX_LEN: NAME_MAX less the "memfd:" prefix. */
#define MFD_NAME_MAX (NAME_MAX - 6)

static struct file_ops memfd_fops;

/* Linux names a memfd "/memfd:NAME (deleted)" in /proc/self/fd. */
static long memfd_dname(struct file *f, char *buf, size_t len)
{
	char tmp[NAME_MAX + 32];
	int n = ksnprintf(tmp, sizeof tmp, "/%s (deleted)", f->path.dentry->name);
	size_t m = MIN((size_t)n, len);

	memcpy(buf, tmp, m);
	return (long)m;
}

/* Makes the unlinked file; vfs_lock held. */
static long memfd_make(const char *name, u32 mode, struct file **out)
{
	struct path shm = devfs_shm();
	struct inode *dir = shm.dentry ? shm.dentry->inode : NULL;
	char dname[NAME_MAX + 1];
	struct dentry *d;
	struct path p;
	long r;

	if (!dir || !dir->iops || !dir->iops->create || !dir->iops->unlink)
		return -ENOSYS;
	ksnprintf(dname, sizeof dname, "memfd:%s", name);
	d = dentry_new(shm.dentry, dname, strlen(dname));
	if (!d)
		return -ENOMEM;
	if ((r = dir->iops->create(dir, d, S_IFREG | mode)) < 0)
		goto out;
	dir->iops->unlink(dir, d);
	memfd_fops = *d->inode->fops;
	memfd_fops.dname = memfd_dname;
	d->inode->fops = &memfd_fops;
	p = (struct path){ shm.mnt, d };
	*out = file_open_path(&p, O_RDWR | O_LARGEFILE);
	r = *out ? 0 : -ENOMEM;
out:
	dput(d);
	return r;
}

/* sys_memfd_create makes an anonymous file named uname (for /proc only). */
long sys_memfd_create(uptr uname, unsigned int flags)
{
	char name[MFD_NAME_MAX + 1];
	struct file *f = NULL;
	long n, fd;

	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL; /* no hugetlbfs */
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	n = strncpy_from_user(name, uname, sizeof name);
	if (n < 0)
		return n;
	if (n == (long)sizeof name)
		return -EINVAL; /* longer than MFD_NAME_MAX_LEN */
	if ((fd = fd_reserve(0, flags & MFD_CLOEXEC)) < 0)
		return fd;
	kmutex_lock(&vfs_lock);
	n = memfd_make(name, (flags & MFD_NOEXEC_SEAL) ? 0666 : 0777, &f);
	kmutex_unlock(&vfs_lock);
	if (n < 0) {
		fd_unreserve((unsigned int)fd);
		return n;
	}
	fd_commit((unsigned int)fd, f);
	return fd;
}
