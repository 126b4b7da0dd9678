/* memfd_create: an anonymous ramfs file, made in /dev/shm and unlinked at
 * once, so that it lives exactly as long as its descriptors (and mappings,
 * once files can be mapped). Its seals (F_ADD_SEALS, F_GET_SEALS) live in
 * the inode and the VFS asks seals_* before changing data or size, as
 * shmem does; other tmpfs-like files (ramfs) report F_SEAL_SEAL. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
#define F_ALL_SEALS                                                                       \
	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
	 F_SEAL_EXEC)
#define F_ANY_WRITE (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
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

long seals_write(const struct inode *ino, s64 pos, size_t len)
{
	s64 stop, end;

	if (!(ino->seals & (F_ANY_WRITE | F_SEAL_GROW)) || len == 0)
		return (long)len;
	if (ino->seals & F_ANY_WRITE)
		return -EPERM;
	if (!__builtin_add_overflow(pos, (s64)len, &end) && end <= ino->size)
		return (long)len;
	/* shmem_write_begin refuses the page-sized chunk that would grow the
	 * file; the chunks before it are written */
	stop = MAX(pos, ino->size & (s64)PAGE_MASK);
	return stop > pos ? (long)(stop - pos) : -EPERM;
}

long seals_resize(const struct inode *ino, s64 size)
{
	if ((size < ino->size && (ino->seals & F_SEAL_SHRINK)) ||
	    (size > ino->size && (ino->seals & F_SEAL_GROW)))
		return -EPERM;
	return 0;
}

long seals_fallocate(const struct inode *ino, int mode, s64 off, s64 len)
{
	if (mode & FALLOC_FL_PUNCH_HOLE)
		return (ino->seals & F_ANY_WRITE) ? -EPERM : 0;
	/* allocating past the end grows the file, even with KEEP_SIZE */
	return (ino->seals & F_SEAL_GROW) && off + len > ino->size ? -EPERM : 0;
}

long seals_chmod(const struct inode *ino, u32 mode)
{
	return (ino->seals & F_SEAL_EXEC) && ((ino->mode ^ mode) & 0111) ? -EPERM : 0;
}

long seals_mmap(const struct inode *ino, int prot, bool shared)
{
	return shared && (prot & PROT_WRITE) && (ino->seals & F_ANY_WRITE) ? -EPERM : 0;
}

/* Whether f has seals: a memfd keeps them in its inode; other tmpfs-like
 * regular files (ramfs's) have F_SEAL_SEAL alone, fixed (*fixed). */
static bool memfd_sealable(const struct file *f, bool *fixed)
{
	const struct inode *ino = f->inode;

	*fixed = false;
	if (ino->fops == &memfd_fops)
		return true;
	/* ramfs, tmpfs's model, is the filesystem that stores xattrs in memory */
	*fixed = S_ISREG(ino->mode) && ino->sb->xattr == SB_XATTR_MEM;
	return *fixed;
}

/* Linux's memfd_add_seals. */
static long memfd_add_seals(struct file *f, u32 seals)
{
	struct inode *ino = f->inode;
	bool fixed;
	long ret = 0;

	if (!file_writable(f))
		return -EPERM;
	if (seals & ~(u32)F_ALL_SEALS)
		return -EINVAL;
	if (!memfd_sealable(f, &fixed))
		return -EINVAL;
	if (fixed)
		return -EPERM; /* F_SEAL_SEAL */
	kmutex_lock(&vfs_lock);
	if (ino->seals & F_SEAL_SEAL) {
		ret = -EPERM;
		goto out;
	}
	/* F_SEAL_WRITE is EBUSY while a shared mapping may write the file
	 * (Linux's mapping_deny_writable) */
	if ((seals & F_SEAL_WRITE) && !(ino->seals & F_SEAL_WRITE) &&
	    filemap_mapped_writable(ino)) {
		ret = -EBUSY;
		goto out;
	}
	/* F_SEAL_EXEC on an executable file implies the write seals (W^X) */
	if ((seals & F_SEAL_EXEC) && (ino->mode & 0111))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	ino->seals |= seals;
out:
	kmutex_unlock(&vfs_lock);
	return ret;
}

long memfd_fcntl(struct file *f, unsigned int cmd, unsigned long arg)
{
	bool fixed;

	if (cmd == F_ADD_SEALS)
		return memfd_add_seals(f, (u32)arg);
	if (!memfd_sealable(f, &fixed))
		return -EINVAL;
	return fixed ? F_SEAL_SEAL : (long)f->inode->seals;
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
	if (n == 0) {
		/* sealing needs MFD_ALLOW_SEALING; MFD_NOEXEC_SEAL implies it
		 * and seals F_SEAL_EXEC at once */
		f->inode->seals = (flags & MFD_NOEXEC_SEAL)     ? F_SEAL_EXEC
				  : (flags & MFD_ALLOW_SEALING) ? 0
								: F_SEAL_SEAL;
	}
	kmutex_unlock(&vfs_lock);
	if (n < 0) {
		fd_unreserve((unsigned int)fd);
		return n;
	}
	fd_commit((unsigned int)fd, f);
	return fd;
}
