/* hostfs: directories. The namespace operations (create, O_TMPFILE, mkdir,
 * symlink, link, unlink, rmdir, rename) each act on one name in the host
 * directory hostfs_host_dir verified, then link the new dentry to what the
 * host made; readlink reads the host's symlink verbatim; readdir lists the
 * host directory with the host's offsets. The operation tables of
 * directories and symlinks live here. */
#include "internal.h"

/* Links d to the host file st describes (just made). The directory's own
 * new times and link count are not asked for: a stat of it asks the host. */
static long link_st(struct inode *dir, struct dentry *d, const struct plat_stat *st)
{
	struct inode *ino = hostfs_inode(dir->sb, st);

	if (!ino)
		return -ENOMEM;
	HI(ino)->alias = d;
	d_link(d, ino);
	return 0;
}

/* Links d to the host file now named by d (just made). */
static long link_new(struct inode *dir, struct dentry *d, int dfd)
{
	struct plat_stat st;
	long r = plat_host_fstatat(dfd, d->name, &st, AT_SYMLINK_NOFOLLOW);

	return r < 0 ? r : link_st(dir, d, &st);
}

/* The host's umask is not the guest's: a new file or directory gets the
 * permission bits asked for, keeping the set-id and sticky bits the host
 * decided on (a set-group-ID parent's, say). fd is the new file's own (an
 * O_PATH one too), st what the host made (its mode is set to the new one). */
static void exact_mode(int fd, u32 mode, struct plat_stat *st)
{
	int want;
	long r;

	if ((st->mode & 0777) == (mode & 0777))
		return;
	want = (int)((mode & 0777) | (st->mode & 07000));
	if ((r = plat_host_fchmod(fd, want)) == -EBADF)
		r = plat_host_fchmod_path(fd, want);
	if (r == 0)
		st->mode = (st->mode & S_IFMT) | (u32)want;
}

/* A new regular file, made by the host's O_CREAT | O_EXCL open with the
 * access mode of the guest's open in progress (vfs_open_flags), whose
 * hostfs_open then takes that descriptor (the stash): one host open and one
 * fstat for the create and the open together. */
static long hostfs_create(struct inode *dir, struct dentry *d, u32 mode)
{
	struct hostfs_sb *hs = HSB(dir);
	long open = vfs_open_flags();
	int dfd, flags = O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			 (open >= 0 ? (int)(open & HOSTFS_OPEN_FLAGS) : O_RDONLY);
	struct plat_stat st;
	long r, fd;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	fd = plat_host_openat(dfd, d->name, flags, (int)(mode & S_IALLUGO));
	hostfs_host_put(hs, dfd);
	if (fd < 0)
		return fd;
	if ((r = plat_host_fstatat((int)fd, "", &st, AT_EMPTY_PATH)) == 0) {
		exact_mode((int)fd, mode, &st);
		r = link_st(dir, d, &st);
	}
	if (r == 0 && open >= 0)
		hostfs_stash(d->inode, (int)fd, flags & HOSTFS_OPEN_FLAGS);
	else
		plat_host_close((int)fd);
	return r;
}

/* O_TMPFILE on the host, in the host directory of dir: the inode keeps
 * the host's descriptor, the only way to the file until it is linked. */
static long hostfs_tmpfile(struct inode *dir, u32 mode, struct inode **out)
{
	struct hostfs_sb *hs = HSB(dir);
	struct dentry *dd = hostfs_alias(dir);
	struct plat_stat st;
	bool borrowed = false;
	int dfd;
	long r, fd;

	if (dir->sb->rdonly)
		return -EROFS;
	r = dd ? hostfs_host_dir(hs, dd, &dfd) : -ENOENT;
	if (r == -ENOENT && (dfd = hostfs_open_fd(dir, false)) >= 0) {
		/* a directory removed since it was opened: through that open
		 * fd (Linux makes tmpfiles in removed directories too) */
		borrowed = true;
		r = 0;
	}
	if (r < 0)
		return r;
	fd = plat_host_openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, (int)(mode & S_IALLUGO));
	if (!borrowed)
		hostfs_host_put(hs, dfd);
	if (fd < 0)
		return fd;
	if ((r = plat_host_fstatat((int)fd, "", &st, AT_EMPTY_PATH)) == 0)
		exact_mode((int)fd, mode, &st);
	if (r < 0 || !(*out = hostfs_inode(dir->sb, &st))) {
		plat_host_close((int)fd);
		return r < 0 ? r : -ENOMEM;
	}
	HI(*out)->tmpfd = (int)fd;
	return 0;
}

static long hostfs_mkdir(struct inode *dir, struct dentry *d, u32 mode)
{
	struct hostfs_sb *hs = HSB(dir);
	struct plat_stat st;
	int dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	if ((r = plat_host_mkdirat(dfd, d->name, (int)(mode & S_IALLUGO))) == 0 &&
	    (r = plat_host_fstatat(dfd, d->name, &st, AT_SYMLINK_NOFOLLOW)) == 0) {
		if ((st.mode & 0777) != (mode & 0777)) {
			/* O_PATH: the guest may have asked for a mode it cannot read */
			long fd = plat_host_openat(
				dfd, d->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);

			if (fd >= 0) {
				exact_mode((int)fd, mode, &st);
				plat_host_close((int)fd);
			}
		}
		r = link_st(dir, d, &st);
	}
	hostfs_host_put(hs, dfd);
	return r;
}

static long hostfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	struct hostfs_sb *hs = HSB(dir);
	int dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	if ((r = plat_host_symlinkat(target, dfd, d->name)) == 0)
		r = link_new(dir, d, dfd);
	hostfs_host_put(hs, dfd);
	return r;
}

/* Names an O_TMPFILE file on the host: linkat(AT_EMPTY_PATH), which the
 * host allows for a descriptor it opened itself (Linux 6.10), else through
 * its /proc link. The new name is an inode of its own, as every hostfs
 * hard link is. */
static long link_tmpfile(struct inode *dir, struct inode *ino, struct dentry *d)
{
	int fd = HI(ino)->tmpfd, dfd;
	char path[PLAT_FD_PATH_MAX];
	long r;

	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_linkat(fd, "", dfd, d->name, AT_EMPTY_PATH);
	if (r == -ENOENT)
		r = plat_host_linkat(AT_FDCWD, plat_host_fd_path(fd, path), dfd, d->name,
				     AT_SYMLINK_FOLLOW);
	if (r == 0)
		r = link_new(dir, d, dfd);
	hostfs_host_put(HSB(dir), dfd);
	hostfs_getattr(ino);
	return r;
}

static long hostfs_link(struct inode *dir, struct inode *ino, struct dentry *d)
{
	struct hostfs_sb *hs = HSB(dir);
	struct dentry *old = hostfs_alias(ino);
	int ofd, dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	if (HI(ino)->tmpfd >= 0)
		return link_tmpfile(dir, ino, d);
	if (!old || !old->linked || old == hs->root)
		return -ENOENT;
	if ((r = hostfs_host_parent(old, &ofd)) < 0)
		return r;
	if ((r = hostfs_host_parent(d, &dfd)) == 0) {
		if ((r = plat_host_linkat(ofd, old->name, dfd, d->name, 0)) == 0)
			r = link_new(dir, d, dfd);
		hostfs_host_put(hs, dfd);
	}
	hostfs_host_put(hs, ofd);
	hostfs_getattr(ino);
	return r;
}

static long remove_name(struct inode *dir, struct dentry *d, int flags)
{
	struct hostfs_sb *hs = HSB(dir);
	int dfd;
	long r;

	if (dir->sb->rdonly)
		return -EROFS;
	hostfs_set_alias(d);
	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_unlinkat(dfd, d->name, flags);
	hostfs_host_put(hs, dfd);
	if (r < 0)
		return r;
	/* An open file still sees its nlink: the host's, through its host fd;
	 * one less than before when it has none (an O_PATH open keeps none, and
	 * the name the host would be asked about is gone). */
	if (hostfs_open_fd(d->inode, false) >= 0)
		hostfs_getattr(d->inode);
	else if (d->inode->nlink > 0)
		d->inode->nlink--;
	if (flags)
		d->inode->nlink = 0;
	hostfs_prune(d);
	d_unlink(d);
	return 0; /* the directory's new times: when a stat asks */
}

static long hostfs_unlink(struct inode *dir, struct dentry *d)
{
	return remove_name(dir, d, 0);
}

static long hostfs_rmdir(struct inode *dir, struct dentry *d)
{
	return remove_name(dir, d, AT_REMOVEDIR);
}

static long hostfs_rename(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
			  const char *new_name, struct dentry *target, unsigned int flags)
{
	struct hostfs_sb *hs = HSB(old_dir);
	int ofd, nfd;
	long r;

	if (old_dir->sb->rdonly)
		return -EROFS;
	hostfs_set_alias(old);
	if (target)
		hostfs_set_alias(target);
	if ((r = hostfs_host_parent(old, &ofd)) < 0)
		return r;
	if ((r = hostfs_host_dir(hs, hostfs_alias(new_dir), &nfd)) == 0) {
		r = plat_host_renameat2(ofd, old->name, nfd, new_name, flags);
		hostfs_host_put(hs, nfd);
	}
	hostfs_host_put(hs, ofd);
	if (r < 0)
		return r;
	/* a replaced directory was empty on the host: what the cache holds
	 * below it is stale */
	if (target && !(flags & RENAME_EXCHANGE))
		hostfs_prune(target);
	return 0; /* the directories' new times: when a stat asks */
}

static long hostfs_readlink(struct inode *ino, char *buf, size_t len)
{
	struct dentry *d = hostfs_alias(ino);
	int dfd;
	long r;

	if (!d || !d->linked)
		return -ENOENT;
	if ((r = hostfs_host_parent(d, &dfd)) < 0)
		return r;
	r = plat_host_readlinkat(dfd, d->name, buf, len);
	hostfs_host_put(HSB(ino), dfd);
	return r;
}

/* When not even the first entry fits, the position moves as the host's
 * filesystem moves it in that case (tmpfs may normalise it): ask the host
 * the same question with a buffer too small for anything. */
static void nothing_fit(int fd, s64 start, struct dir_context *ctx)
{
	char tiny[1];
	long pos;

	if (plat_host_lseek(fd, start, SEEK_SET) < 0)
		return;
	plat_host_getdents64(fd, tiny, sizeof tiny);
	if ((pos = plat_host_lseek(fd, 0, SEEK_CUR)) >= 0)
		ctx->pos = pos;
}

/* The longest struct linux_dirent64 record (a NAME_MAX name): a host
 * buffer with this much room left that the host did not fill was not
 * filled because the listing ended. */
#define DIRENT64_MAX ((offsetof(struct linux_dirent64, d_name) + NAME_MAX + 1 + 7) & ~(size_t)7)

/* Lists the host directory from ctx->pos, a host directory offset (0: the
 * start); d_off values are the host's, so positions resume exactly. The
 * host is asked for no more records than the caller has room for (its
 * records are the guest's, byte for byte), so none is read and dropped and
 * the host descriptor stays where the listing stops: the next call resumes
 * there without an lseek. A host call that left room for any record
 * unused ends the call (the listing ended: the caller's next call hears it
 * from the host). At the end the host's own end offset is not asked for
 * (ext4's and tmpfs's is the last record's d_off anyway) until a seek
 * wants the position (hostfs_dir_llseek). */
static long hostfs_iterate(struct file *f, struct dir_context *ctx)
{
	struct hostfs_file *hf = f->priv;
	u8 *buf = kmalloc(BOUNCE_SIZE);
	long n, r = 0;

	if (!buf)
		return -ENOMEM;
	s64 start = ctx->pos;
	bool known = !hf->dirpos_unknown && start == hf->dirpos;
	bool any = false;

	hf->dirpos_unknown = true; /* until the host says where it is */
	hf->at_end = false;
	if (!known && (r = plat_host_lseek(hf->fd, start, SEEK_SET)) < 0)
		goto out;
	r = 0;
	for (;;) {
		/* a room too small for the next record: the host says EINVAL
		 * after records that fit, and with none the old way finds out
		 * where the host leaves the position */
		size_t ask = ctx->room < DIRENT64_MAX && !any ? BOUNCE_SIZE
							      : MIN(ctx->room, (size_t)BOUNCE_SIZE);

		if (ask == 0)
			break;
		n = plat_host_getdents64(hf->fd, buf, ask);
		if (n == -EINVAL && any) {
			n = 1; /* full: not the end */
			break;
		}
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);

			if (!ctx->emit(ctx, de->d_name, strlen(de->d_name), de->d_ino, de->d_type,
				       de->d_off)) {
				if (!any)
					nothing_fit(hf->fd, start, ctx);
				goto out;
			}
			any = true;
			ctx->pos = de->d_off;
			off += de->d_reclen;
		}
		if (ask - (size_t)n >= DIRENT64_MAX)
			break; /* the host had room for more: the listing ended */
	}
	if (n < 0) {
		r = n;
		goto out;
	}
	/* the host descriptor is just past the last record listed */
	hf->dirpos = ctx->pos;
	hf->dirpos_unknown = false;
	hf->at_end = n == 0;
out:
	kfree(buf);
	return r;
}

/* A listing that reached the end left the position at the last record's
 * d_off: where the host left its descriptor is asked when a seek needs the
 * position (SEEK_CUR, as telldir's lseek). */
static long hostfs_dir_llseek(struct file *f, s64 off, int whence)
{
	struct hostfs_file *hf = f->priv;
	long pos;

	if (hf && hf->at_end && !hf->dirpos_unknown && f->pos == hf->dirpos && whence == SEEK_CUR &&
	    (pos = plat_host_lseek(hf->fd, 0, SEEK_CUR)) >= 0)
		f->pos = hf->dirpos = pos;
	return dir_llseek(f, off, whence);
}

const struct inode_ops hostfs_dir_iops = {
	.lookup = hostfs_lookup,
	.create = hostfs_create,
	.tmpfile = hostfs_tmpfile,
	.mkdir = hostfs_mkdir,
	.symlink = hostfs_symlink,
	.link = hostfs_link,
	.unlink = hostfs_unlink,
	.rmdir = hostfs_rmdir,
	.rename = hostfs_rename,
	.revalidate = hostfs_revalidate,
	.lookup_refreshes = true,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

const struct inode_ops hostfs_link_iops = {
	.readlink = hostfs_readlink,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
};

const struct file_ops hostfs_dir_fops = {
	.open = hostfs_open,
	.release = hostfs_release,
	.iterate = hostfs_iterate,
	.llseek = hostfs_dir_llseek,
};
