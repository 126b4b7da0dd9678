/* hostfs: inodes, lookup and attributes. The dentry cache is checked
 * against the host on every cached lookup (revalidate): a name the host no
 * longer has, or that now names another file, is dropped with its cached
 * subtree. Each hostfs inode belongs to exactly one dentry (its alias);
 * hard links are separate inodes carrying the host's inode number.
 * Attributes come from the host (stat refreshes them); permission checks
 * use those bits with the kernel's credentials; chmod, chown and utimes act
 * on a descriptor of the file itself. */
#include "internal.h"

void hostfs_apply_stat(struct inode *ino, const struct plat_stat *st)
{
	ino->ino = st->ino;
	inode_set_host_attrs(ino, st);
	ino->btime = ino->ctime;
}

static void hostfs_free(struct inode *ino)
{
	hostfs_stash_drop(ino);
	if (S_ISDIR(ino->mode))
		hostfs_dirfd_drop(ino);
	if (HI(ino)->tmpfd >= 0)
		plat_host_close(HI(ino)->tmpfd);
	if (!list_empty(&HI(ino)->open))
		list_del(&HI(ino)->open);
	kfree(ino->priv);
}

struct inode *hostfs_inode(struct super_block *sb, const struct plat_stat *st)
{
	struct inode *ino = inode_alloc(sb, st->mode); /* times: the host's, below */
	struct hostfs_inode *hi;

	if (!ino)
		return NULL;
	hi = kzalloc(sizeof *hi);
	if (!hi) {
		iput(ino);
		return NULL;
	}
	list_init(&hi->files);
	list_init(&hi->open);
	hi->inode = ino;
	hi->tmpfd = -1;
	ino->priv = hi;
	ino->free_priv = hostfs_free;
	hostfs_apply_stat(ino, st);
	switch (st->mode & S_IFMT) {
	case S_IFDIR:
		ino->iops = &hostfs_dir_iops;
		ino->fops = &hostfs_dir_fops;
		break;
	case S_IFLNK:
		ino->iops = &hostfs_link_iops;
		break;
	case S_IFREG:
		ino->iops = &hostfs_file_iops;
		ino->fops = &hostfs_file_fops;
		break;
	default:
		ino->iops = &hostfs_special_iops;
		ino->fops = &hostfs_special_fops;
		break;
	}
	return ino;
}

/* The dentry of a hostfs inode: set by every operation that sees it, or
 * found among the children of the directory lookup found it in, from the
 * newest: lookup_child has just linked it there (from the oldest, a stat
 * in a directory of 100,000 cached entries scanned most of them). */
struct dentry *hostfs_alias(struct inode *ino)
{
	struct hostfs_inode *hi = HI(ino);
	struct list *pos;

	if (hi->alias || !hi->parent)
		return hi->alias;
	for (pos = hi->parent->children.prev; pos != &hi->parent->children; pos = pos->prev) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (c->inode == ino) {
			hi->alias = c;
			break;
		}
	}
	return hi->alias;
}

void hostfs_set_alias(struct dentry *d)
{
	if (d->inode && d->inode->sb->ops == d->parent->inode->sb->ops)
		HI(d->inode)->alias = d;
}

/* Stats what ino names on the host now: through an open file when there is
 * one, else by its name. */
static long host_stat(struct inode *ino, struct plat_stat *st)
{
	struct hostfs_sb *hs = HSB(ino);
	struct dentry *d = hostfs_alias(ino);
	int fd = hostfs_open_fd(ino, false);
	long r;

	if (fd >= 0)
		return plat_host_fstatat(fd, "", st, AT_EMPTY_PATH);
	if (d == hs->root)
		return plat_host_fstatat(hs->rootfd, "", st, AT_EMPTY_PATH);
	if (!d || !d->linked)
		return -ENOENT;
	if ((r = hostfs_host_parent(d, &fd)) < 0)
		return r;
	r = plat_host_fstatat(fd, d->name, st, AT_SYMLINK_NOFOLLOW);
	hostfs_host_put(hs, fd);
	return r;
}

/* Refreshes ino from the host, unless its name now holds another file
 * (then it keeps what it had, as Linux keeps a deleted file's inode). */
void hostfs_getattr(struct inode *ino)
{
	struct plat_stat st;

	if (host_stat(ino, &st) == 0 && st.ino == ino->ino &&
	    (st.mode & S_IFMT) == (ino->mode & S_IFMT))
		hostfs_apply_stat(ino, &st);
}

/* The open intent's lookup of the walk's last name, for an open for
 * reading: the file opened as the open will want it (O_NONBLOCK and O_NOCTTY, so that a FIFO or a terminal
 * the name turns out to hold neither blocks nor becomes anything's
 * terminal; hostfs does not keep those open), by the names the walk left
 * unchecked, and stat'ed through the new fd: two host calls for the
 * lookup and the open together. *st is the file's; the fd is kept for
 * hostfs_open when the file is a regular one or a directory. -EAGAIN: ask
 * the usual way. */
static long intent_lookup(struct dentry *dd, const char *name, long intent, struct plat_stat *st,
			  int *fd)
{
	int flags = (int)(intent & HOSTFS_OPEN_FLAGS) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		    O_NOCTTY | (int)(intent & O_DIRECTORY);
	bool chained;
	long r;

	/* only for reading: the guest's permission checks come after this
	 * open, and a write open the guest is then refused would still have
	 * been a write open and close on the host (IN_CLOSE_WRITE for a
	 * watcher) */
	if ((intent & O_ACCMODE) != O_RDONLY)
		return -EAGAIN;
	r = hostfs_intent_open(dd, name, flags, &chained);
	if (r == -ENOENT && !chained)
		return r; /* not there: as the lookup's own fstatat would say */
	if (r == -ESTALE || r == -ENOMEM)
		return r;
	if (r < 0)
		return -EAGAIN; /* a symlink, a directory opened for writing, ... */
	*fd = (int)r;
	if ((r = plat_host_fstatat(*fd, "", st, AT_EMPTY_PATH)) < 0) {
		plat_host_close(*fd);
		return r;
	}
	if (!S_ISREG(st->mode) && !S_ISDIR(st->mode)) {
		plat_host_close(*fd);
		*fd = -1;
	}
	return 0;
}

long hostfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct hostfs_sb *hs = HSB(dir);
	struct dentry *dd = hostfs_alias(dir);
	long intent = vfs_open_intent();
	char buf[NAME_MAX + 1];
	struct plat_stat st;
	int dfd, fd = -1;
	long r = -EAGAIN;

	if (!dd || len > NAME_MAX)
		return -ENOENT;
	memcpy(buf, name, len);
	buf[len] = 0;
	if (intent >= 0 && vfs_walk_last())
		r = intent_lookup(dd, buf, intent, &st, &fd);
	if (r == -EAGAIN) {
		if ((r = hostfs_host_dir(hs, dd, &dfd)) < 0)
			return r;
		r = plat_host_fstatat(dfd, buf, &st, AT_SYMLINK_NOFOLLOW);
		hostfs_host_put(hs, dfd);
	}
	if (r < 0)
		return r == -ENOTDIR ? -ENOENT : r;
	if (!(*out = hostfs_inode(dir->sb, &st))) {
		if (fd >= 0)
			plat_host_close(fd);
		return -ENOMEM;
	}
	HI(*out)->parent = dd;
	if (fd >= 0)
		hostfs_stash(*out, fd, (int)(intent & HOSTFS_OPEN_FLAGS));
	return 0;
}

/* Drops the cached subtree below d (its entries may be stale). */
void hostfs_prune(struct dentry *d)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (c->mounted)
			continue;
		dget(c);
		hostfs_prune(c);
		d_unlink(c);
		dput(c);
	}
}

/* A cached d is still good when the host has the same file (type and
 * inode number) under its name. */
bool hostfs_check_name(struct dentry *d)
{
	struct plat_stat st;
	int dfd;
	long r;

	if ((r = hostfs_host_parent(d, &dfd)) == 0) {
		r = plat_host_fstatat(dfd, d->name, &st, AT_SYMLINK_NOFOLLOW);
		hostfs_host_put(HSB(d->inode), dfd);
	}
	if (r == 0 && st.ino == d->inode->ino && (st.mode & S_IFMT) == (d->inode->mode & S_IFMT)) {
		hostfs_apply_stat(d->inode, &st);
		return true;
	}
	hostfs_prune(d);
	return false;
}

/* A cached d is checked against the host (hostfs_check_name); a mount point
 * is always good. Under an open intent (vfs_open_intent) the check of a
 * directory passed on the way, and of a last name that is a regular file
 * or directory, is left to the open, which makes it for the whole path in
 * one host call (hostfs_intent_open): d is marked pending until then. */
bool hostfs_revalidate(struct inode *dir, struct dentry *d)
{
	u32 type = d->inode->mode & S_IFMT;

	(void)dir;
	if (d->mounted)
		return true;
	hostfs_set_alias(d);
	if (vfs_open_intent() >= 0 && (type == S_IFDIR || (type == S_IFREG && vfs_walk_last()))) {
		HI(d->inode)->pending = vfs_walk_gen();
		return true;
	}
	return hostfs_check_name(d);
}

/* chmod, chown and utimes, on a descriptor of the file itself, so nothing
 * is followed and no name is looked up again: fchmod refuses an O_PATH fd
 * (a file hostfs cannot read: a FIFO, a socket, a device), which the
 * platform's fchmodat2(AT_EMPTY_PATH) takes. */
long hostfs_setattr(struct inode *ino, unsigned int what)
{
	bool tmp = false;
	int fd = -1;
	long r;

	if (ino->sb->rdonly) {
		r = -EROFS;
		goto out;
	}
	if ((r = hostfs_own_fd(ino, &fd, &tmp)) < 0)
		goto out;
	if (what & SETATTR_MODE) {
		r = plat_host_fchmod(fd, (int)(ino->mode & S_IALLUGO));
		if (r == -EBADF) /* an O_PATH fd */
			r = S_ISLNK(ino->mode)
				    ? -EOPNOTSUPP /* Linux's lchmod */
				    : plat_host_fchmod_path(fd, (int)(ino->mode & S_IALLUGO));
	}
	if (r == 0 && (what & (SETATTR_UID | SETATTR_GID)))
		r = plat_host_fchownat(fd, "", (what & SETATTR_UID) ? ino->uid : (u32)-1,
				       (what & SETATTR_GID) ? ino->gid : (u32)-1, AT_EMPTY_PATH);
	if (r == 0 && (what & (SETATTR_ATIME | SETATTR_MTIME))) {
		s64 t[4] = { ino->atime.tv_sec, ino->atime.tv_nsec, ino->mtime.tv_sec,
			     ino->mtime.tv_nsec };

		if (!(what & SETATTR_ATIME))
			t[1] = UTIME_OMIT;
		if (!(what & SETATTR_MTIME))
			t[3] = UTIME_OMIT;
		r = plat_host_utimensat(fd, "", (what & SETATTR_TIMES_NOW) ? NULL : t,
					AT_EMPTY_PATH);
	}
	if (tmp)
		plat_host_close(fd);
out:
	/* what the host made of it: a refused change undone, the set-id bits
	 * a chmod or chown cleared; new times alone are what was asked (their
	 * ctime, which a stat asks the host for) */
	if (r < 0 || (what & ~(unsigned int)(SETATTR_ATIME | SETATTR_MTIME | SETATTR_TIMES_NOW)))
		hostfs_getattr(ino);
	return r;
}
