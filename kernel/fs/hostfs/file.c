/* hostfs: regular files. Each open file holds a host descriptor of its
 * own (struct hostfs_file); read and write go through a bounce buffer with
 * pread/pwrite at the file position, mmap maps the host file itself, and
 * truncate and fallocate use an open writable descriptor or one opened by
 * name for the call (without following, and checked to be the file). Host
 * FIFOs, devices and sockets are not opened. The operation tables of
 * regular and special files live here. */
#include "internal.h"

/* ino's size may have changed (truncate, fallocate, a write): the
 * mappings follow. A hostfs mapping is the host's mapping of the host file,
 * so the host itself takes pages past a new end away (a touch is SIGBUS, as
 * on Linux) and shows pages the file grows over; what the kernel follows is
 * the file's size, by which vma_accessible lets a system call reach a
 * mapped page or gives EFAULT. ino's own size is made fresh, and so is that
 * of the other inodes of the same host file (its other names: each has an
 * inode of its own) that have open files, which every mapping holds. */
static void size_changed(struct inode *ino)
{
	struct list *pos;

	hostfs_getattr(ino);
	list_for_each(pos, &HSB(ino)->open) {
		struct inode *m = list_entry(pos, struct hostfs_inode, open)->inode;

		if (m != ino && m->ino == ino->ino)
			hostfs_getattr(m);
	}
}

/* A write that ended at end made the host file at least that long: the
 * size follows without asking the host (its times, which only a stat shows,
 * are asked then). ino and its other names with open files, as
 * size_changed. */
static void size_grew(struct inode *ino, s64 end)
{
	struct list *pos;

	if (end > ino->size)
		ino->size = end;
	list_for_each(pos, &HSB(ino)->open) {
		struct inode *m = list_entry(pos, struct hostfs_inode, open)->inode;

		if (m != ino && m->ino == ino->ino && end > m->size)
			m->size = end;
	}
}

/* Runs fn on a writable host fd of ino: an open file's, or one opened by
 * name for the call. */
static long with_writable(struct inode *ino, long (*fn)(int fd, s64 a, s64 b, int mode), s64 a,
			  s64 b, int mode)
{
	struct dentry *d = hostfs_alias(ino);
	int fd = hostfs_open_fd(ino, true), dfd;
	struct plat_stat st;
	long r, tmp;

	if (ino->sb->rdonly)
		return -EROFS;
	if (fd >= 0) {
		r = fn(fd, a, b, mode);
	} else {
		if (!d || !d->linked)
			return -ENOENT;
		if ((r = hostfs_host_parent(d, &dfd)) < 0)
			return r;
		tmp = plat_host_openat(dfd, d->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
				       0);
		hostfs_host_put(HSB(ino), dfd);
		if (tmp < 0)
			return tmp;
		/* the file the guest looked up, not one the host put there since */
		r = plat_host_fstatat((int)tmp, "", &st, AT_EMPTY_PATH);
		if (r == 0 && (st.ino != ino->ino || !S_ISREG(st.mode)))
			r = -ENOENT;
		if (r == 0)
			r = fn((int)tmp, a, b, mode);
		plat_host_close((int)tmp);
	}
	size_changed(ino);
	return r;
}

static long do_ftruncate(int fd, s64 size, s64 unused, int mode)
{
	(void)unused, (void)mode;
	return plat_host_ftruncate(fd, size);
}

static long do_fallocate(int fd, s64 off, s64 len, int mode)
{
	return plat_host_fallocate(fd, mode, off, len);
}

static long hostfs_truncate(struct inode *ino, s64 size)
{
	return with_writable(ino, do_ftruncate, size, 0, 0);
}

static long hostfs_fallocate(struct inode *ino, int mode, s64 off, s64 len)
{
	return with_writable(ino, do_fallocate, off, len, mode);
}

static long deferred_open(struct inode *ino, struct file *f, int flags);
static long attach(struct inode *ino, struct file *f, int fd, int flags, long r);

long hostfs_open(struct inode *ino, struct file *f)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = f->path.dentry;
	struct plat_stat st;
	int dfd, flags = O_NOFOLLOW | O_CLOEXEC;
	const char *name = d->name;
	char path[PLAT_FD_PATH_MAX];
	long fd, r;

	hostfs_set_alias(d);
	if (S_ISDIR(ino->mode)) {
		flags |= O_RDONLY | O_DIRECTORY;
	} else {
		flags |= (int)(f->flags & (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC | O_NOATIME));
		if (ino->sb->rdonly && file_writable(f))
			return -EROFS;
	}
	if ((fd = hostfs_unstash(ino, flags)) >= 0) {
		/* opened by the open intent's lookup, which stat'ed it */
		r = 0;
		goto have_fd;
	}
	if (HI(ino)->tmpfd >= 0) {
		/* nameless: a file description of its own, through the host's /proc */
		fd = plat_host_openat(AT_FDCWD, plat_host_fd_path(HI(ino)->tmpfd, path),
				      flags & ~O_NOFOLLOW, 0);
		goto opened;
	}
	if (d != hs->root && hostfs_pending(d) && vfs_open_intent() >= 0)
		return deferred_open(ino, f, flags);
	if (d == hs->root) {
		dfd = hs->rootfd;
		name = ".";
	} else if ((r = hostfs_host_parent(d, &dfd)) < 0) {
		return r;
	}
	fd = plat_host_openat(dfd, name, flags, 0);
	hostfs_host_put(hs, dfd);
opened:
	if (fd < 0)
		return fd;
	/* it must still be the file the guest looked up */
	r = plat_host_fstatat((int)fd, "", &st, AT_EMPTY_PATH);
	if (r == 0 && (st.ino != ino->ino || (st.mode & S_IFMT) != (ino->mode & S_IFMT)))
		r = -ENOENT;
	if (r == 0)
		hostfs_apply_stat(ino, &st);
have_fd:
	return attach(ino, f, (int)fd, flags, r);
}

/* The open of a name the walk left unchecked (hostfs_revalidate): by the
 * path from the last checked directory in one host call, then checked to
 * be the file the guest's cache holds, with the attributes the walk's
 * permission checks used; when not, -ESTALE, and do_filp_open walks again
 * checking each name. */
static long deferred_open(struct inode *ino, struct file *f, int flags)
{
	struct dentry *d = f->path.dentry;
	struct plat_stat st;
	bool chained;
	long fd = hostfs_intent_open(d->parent, d->name, flags | O_NONBLOCK | O_NOCTTY, &chained);
	long r;

	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EXDEV)
		return -ESTALE;
	if (fd < 0)
		return fd;
	r = plat_host_fstatat((int)fd, "", &st, AT_EMPTY_PATH);
	if (r == 0 && (st.ino != ino->ino || st.mode != ino->mode || st.uid != ino->uid ||
		       st.gid != ino->gid))
		r = -ESTALE;
	if (r == 0)
		hostfs_apply_stat(ino, &st);
	return attach(ino, f, (int)fd, flags, r);
}

/* Makes fd (the host's open ino, flags) the open file's, unless r < 0. */
static long attach(struct inode *ino, struct file *f, int fd, int flags, long r)
{
	struct hostfs_file *hf = NULL;

	if (r == 0 && !(hf = kzalloc(sizeof *hf)))
		r = -ENOMEM;
	if (r < 0) {
		plat_host_close(fd);
		return r;
	}
	hf->fd = (int)fd;
	hf->writable = file_writable(f);
	hf->append = (flags & O_APPEND) != 0;
	if (S_ISREG(ino->mode) && list_empty(&HI(ino)->files))
		list_add_tail(&HI(ino)->open, &HSB(ino)->open);
	list_add_tail(&hf->link, &HI(ino)->files);
	f->priv = hf;
	return 0;
}

void hostfs_release(struct file *f)
{
	struct hostfs_file *hf = f->priv;

	if (!hf)
		return;
	plat_host_close(hf->fd);
	list_del(&hf->link);
	if (list_empty(&HI(f->inode)->files) && !list_empty(&HI(f->inode)->open))
		list_del(&HI(f->inode)->open);
	kfree(hf);
	f->priv = NULL;
}

/* The bounce buffer of reads and writes: one, since they run under
 * vfs_lock, and large enough that a program's usual read or write (grep
 * reads 96 KiB at once) is one host call; a kmalloc of it would be a host
 * mapping per call. */
#define IO_SIZE (128 * 1024)
static u8 io_buf[IO_SIZE] __attribute__((aligned(4096)));

static long hostfs_read(struct file *f, struct uio *u, s64 pos)
{
	struct hostfs_file *hf = f->priv;
	size_t done = 0;
	long r = 0;
	u8 *buf = io_buf;

	while (u->resid > 0) {
		size_t want = MIN(u->resid, (size_t)IO_SIZE), got;

		r = plat_host_pread(hf->fd, buf, want, pos + (s64)done);
		if (r <= 0)
			break;
		got = uio_copy_out(u, buf, (size_t)r);
		done += got;
		if (got < (size_t)r) {
			r = -EFAULT;
			break;
		}
		if ((size_t)r < want)
			break;
	}
	return done ? (long)done : r;
}

static long hostfs_write(struct file *f, struct uio *u, s64 pos)
{
	struct hostfs_file *hf = f->priv;
	size_t done = 0;
	long r = 0;
	u8 *buf;

	if (f->inode->sb->rdonly)
		return -EROFS;
	/* the host fd has O_APPEND when the file does (fcntl F_SETFL may have
	 * changed the file's since): then the host appends */
	if (hf->append != ((f->flags & O_APPEND) != 0)) {
		if ((r = plat_host_set_append(hf->fd, !hf->append)) < 0)
			return r;
		hf->append = !hf->append;
	}
	buf = io_buf;
	while (u->resid > 0) {
		size_t want = MIN(u->resid, (size_t)IO_SIZE);
		size_t got = uio_copy_in(u, buf, want);

		r = got ? plat_host_pwrite(hf->fd, buf, got, pos + (s64)done) : -EFAULT;
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < want) {
			r = (size_t)r < got ? 0 : -EFAULT;
			break;
		}
	}
	/* an appending write went where the host's end was: ask it */
	if (hf->append)
		size_changed(f->inode);
	else if (done)
		size_grew(f->inode, pos + (s64)done);
	return done ? (long)done : r;
}

static long hostfs_llseek(struct file *f, s64 off, int whence)
{
	struct hostfs_file *hf = f->priv;
	long r;

	/* only SEEK_END needs the size, the host's own */
	if (whence == SEEK_END)
		hostfs_getattr(f->inode);
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_file_llseek(f, off, whence);
	if ((r = plat_host_lseek(hf->fd, off, whence)) >= 0)
		f->pos = r;
	return r;
}

static long hostfs_fsync(struct file *f, bool datasync)
{
	struct hostfs_file *hf = f->priv;

	return datasync ? plat_host_fdatasync(hf->fd) : plat_host_fsync(hf->fd);
}

/* The host maps its own file: private mappings copy on write as on Linux,
 * shared ones write to the host file directly. Called without vfs_lock. */
static long hostfs_mmap(struct file *f, uintptr_t addr, size_t len, s64 off, int prot, bool shared)
{
	struct hostfs_file *hf = f->priv;

	if (shared && (prot & PROT_WRITE) && f->inode->sb->rdonly)
		return -EROFS;
	return plat_host_mmap_file(addr, len, prot, shared, hf->fd, off);
}

static long hostfs_special_open(struct inode *ino, struct file *f)
{
	(void)ino, (void)f;
	return -ENXIO; /* host FIFOs, devices and sockets are not opened */
}

const struct inode_ops hostfs_file_iops = {
	.truncate = hostfs_truncate,
	.fallocate = hostfs_fallocate,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

const struct file_ops hostfs_file_fops = {
	.open = hostfs_open,
	.release = hostfs_release,
	.read = hostfs_read,
	.write = hostfs_write,
	.llseek = hostfs_llseek,
	.fsync = hostfs_fsync,
	.mmap = hostfs_mmap,
};

const struct inode_ops hostfs_special_iops = {
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

const struct file_ops hostfs_special_fops = {
	.open = hostfs_special_open,
};
